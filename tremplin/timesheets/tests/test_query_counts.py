"""The hours list and the counters run as many SQL queries for 3N rows as for N."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.timesheets.tests.factories import (
    InterventionFactory,
    ServiceFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db

N = 4


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(date(2026, 11, 26), tick=False):
        yield


def _queries_and_rows(client: Any, url: str, rows: str) -> tuple[int, int]:
    client.get(url)  # the session and its entity are settled by a first visit
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    return len(queries), len(page.select(rows))


def _assert_constant(
    client: Any, url: str, rows: str, add: Callable[[int], None], per_round: int
) -> None:
    add(N)
    queries_n, rows_n = _queries_and_rows(client, url, rows)
    add(2 * N)
    queries_3n, rows_3n = _queries_and_rows(client, url, rows)
    assert (rows_n, rows_3n) == (N * per_round, 3 * N * per_round)
    assert queries_3n == queries_n


def test_the_hours_list_runs_a_constant_number_of_queries(client: Any) -> None:
    entity = EntityFactory()
    client.force_login(user_with_role(Role.PLANNER, entity))

    def add(count: int) -> None:
        for _ in range(count):
            # Each row its own worker, client, service and intervention.
            intervention = InterventionFactory(entity=entity)
            TimeEntryFactory(
                entity=entity,
                person=intervention.worker,
                client=intervention.order.client,
                intervention=intervention,
                service=ServiceFactory(entity=entity),
                day=date(2026, 11, 10),
                validated=True,
            )

    _assert_constant(client, reverse("timesheets:index"), "main tbody tr:has(td)", add, 1)


def test_the_counters_run_a_constant_number_of_queries(client: Any) -> None:
    entity = EntityFactory()
    client.force_login(user_with_role(Role.PLANNER, entity))

    def add(count: int) -> None:
        for _ in range(count):
            contract = ContractFactory(person__entity=entity, start=date(2026, 9, 1))
            intervention = InterventionFactory(entity=entity, worker=contract.person)
            TimeEntryFactory(
                entity=entity,
                person=contract.person,
                client=intervention.order.client,
                intervention=intervention,
            )

    _assert_constant(
        client,
        reverse("timesheets:counters") + "?mois=2026-11",
        "main tbody tr:has(td)",
        add,
        1,
    )
