"""The MAD index runs as many SQL queries for 3N salariés as for N."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.missions.tests.factories import ContractFactory, PlacementFactory, ai_entity

pytestmark = pytest.mark.django_db

N = 3


@pytest.fixture(autouse=True)
def _frozen_day(time_machine: Any) -> None:
    time_machine.move_to(datetime(2025, 10, 20, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


def test_the_index_runs_a_constant_number_of_queries(client: Any) -> None:
    ai = ai_entity()
    client.force_login(user_with_role(Role.PLANNER, ai))
    url = reverse("missions:index")
    figures = []
    for count in (N, 3 * N):
        while ai.contracts.count() < count:
            # Each salarié with two placements, at two clients.
            contract = ContractFactory(entity=ai)
            for number in ("1", "2"):
                PlacementFactory(
                    contract=contract,
                    client=ClientFactory(entity=ai),
                    number=number,
                    hours=Decimal(20),
                )
        client.get(url)  # the session and its entity are settled by a first visit
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        rows = BeautifulSoup(response.content, "html.parser").select("#workers tbody tr")
        figures.append((len(queries), len(rows)))
    (queries_n, rows_n), (queries_3n, rows_3n) = figures
    assert (rows_n, rows_3n) == (N, 3 * N)
    assert queries_3n == queries_n
