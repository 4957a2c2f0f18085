"""The close pages run as many SQL queries for 3N rows as for N."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import MembershipFactory, user_with_role
from tremplin.closing import actions
from tremplin.closing.models import CloseStatus
from tremplin.closing.tests.factories import MonthlyCloseFactory, TimeEntryFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory

pytestmark = pytest.mark.django_db

N = 3


def _queries_and_rows(client: Any, url: str, rows: str) -> tuple[int, int]:
    client.get(url)  # the session and its entity are settled by a first visit
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(BeautifulSoup(response.content, "html.parser").select(rows))


def test_a_closed_month_runs_a_constant_number_of_queries(client: Any) -> None:
    entity = EntityFactory()
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    url = reverse("closing:close", args=[entity.slug, 2026, 10])
    figures = []
    for count in (N, 3 * N):
        for close in entity.monthly_closes.all():
            actions.reopen_close(close, reason="Nouvelles heures", by=None)
        while entity.contracts.count() < count:
            # Each worker with an insertion contract and the hours of their own client.
            contract = ContractFactory(person__entity=entity, start=date(2026, 9, 1))
            TimeEntryFactory(person=contract.person, day=date(2026, 10, 6), hours=Decimal(3))
        close = actions.start_close(entity, year=2026, month=10, by=None, run_in_background=False)
        actions.close_month(close)
        assert close.status == CloseStatus.CLOSED
        figures.append(
            _queries_and_rows(client, url, "table.draft tbody tr, #payroll tbody tr, #asp tbody tr")
        )
    (queries_n, rows_n), (queries_3n, rows_3n) = figures
    assert (rows_n, rows_3n) == (3 * N, 9 * N)  # a draft line, a payroll row, an ASP row each
    assert queries_3n == queries_n


def test_the_close_index_runs_a_constant_number_of_queries(client: Any) -> None:
    group = GroupFactory()
    user = user_with_role(Role.ACCOUNTANT)
    figures = []
    for count in (N, 3 * N):
        while user.memberships.count() < count:
            entity = EntityFactory(group=group)
            MembershipFactory(user=user, entity=entity, role=Role.ACCOUNTANT)
            MonthlyCloseFactory(entity=entity, year=2026, month=10, status=CloseStatus.CLOSED)
        client.force_login(user)
        figures.append(_queries_and_rows(client, reverse("closing:index"), "#closes thead th"))
    (queries_n, columns_n), (queries_3n, columns_3n) = figures
    assert (columns_n, columns_3n) == (N + 1, 3 * N + 1)  # the month column, then one per entity
    assert queries_3n == queries_n
