"""The people list runs as many SQL queries for 3N people as for N."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.models import Person
from tremplin.people.tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db

N = 4


def test_the_people_list_runs_a_constant_number_of_queries(client: Any) -> None:
    entity = EntityFactory.create()
    cip = user_with_role(Role.CIP, entity)
    client.force_login(cip)
    url = reverse("people:list")
    figures = []
    for count in (N, 3 * N):
        while Person.objects.filter(entity=entity).count() < count:
            intake = IntakeFactory(person__entity=entity, entity=entity)
            intake.person.referent = cip
            intake.person.save(update_fields=["referent"])
        client.get(url)  # the session and its entity are settled by a first visit
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        rows = BeautifulSoup(response.content, "html.parser").select("#people tbody tr")
        figures.append((len(queries), len(rows)))
    (queries_n, rows_n), (queries_3n, rows_3n) = figures
    assert (rows_n, rows_3n) == (N, 3 * N)
    assert queries_3n == queries_n
