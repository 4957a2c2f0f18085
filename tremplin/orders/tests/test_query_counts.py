"""The catalogue runs as many SQL queries for 3N services as for N."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.orders.models import Service
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

N = 4


def test_the_catalogue_runs_a_constant_number_of_queries(client: Any) -> None:
    entity = EntityFactory.create()
    client.force_login(user_with_role(Role.DIRECTION, entity))
    url = reverse("orders:services")
    figures = []
    for count in (N, 3 * N):
        while Service.objects.filter(entity=entity).count() < count:
            ServiceFactory(entity=entity)
        client.get(url)  # the session and its entity are settled by a first visit
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        rows = BeautifulSoup(response.content, "html.parser").select("#services tbody tr")
        figures.append((len(queries), len(rows)))
    (queries_n, rows_n), (queries_3n, rows_3n) = figures
    assert (rows_n, rows_3n) == (N, 3 * N)
    assert queries_3n == queries_n
