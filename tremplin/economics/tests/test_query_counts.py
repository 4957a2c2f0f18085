"""The economics pages read a constant number of queries whatever the volume of data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.economics.tests.factories import (
    CostPoolFactory,
    FinancialEntryFactory,
    PoolCostFactory,
    TimeRecordFactory,
    issued_invoice,
)
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus
from tremplin.timesheets.tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/economie/?periode=2026",
    "/economie/consolide/?periode=2026",
    "/economie/fonctions/?periode=2026",
]


def _add_data(entities: list[Any], n: int) -> None:
    for entity in entities:
        for i in range(n):
            person = PersonFactory(entity=entity)
            ContractFactory(entity=entity, person=person, cdi=True, start=date(2026, 1, 1))
            TimeEntryFactory(
                entity=entity,
                person=person,
                day=date(2026, 2, 1 + i),
                hours=Decimal(3),
                status=EntryStatus.VALIDATED,
            )
            issued_invoice(
                entity, [(ServiceKind.HOUSEWORK, Decimal("50.00"))], day=date(2026, 2, 1 + i)
            )
            FinancialEntryFactory(entity=entity, day=date(2026, 2, 1 + i))
        pool = CostPoolFactory(entity=entity)
        for i in range(n):
            PoolCostFactory(pool=pool, day=date(2026, 3, 1 + i))
            TimeRecordFactory(pool=pool, beneficiary=entity, day=date(2026, 3, 1 + i))


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", PAGES)
def test_query_count_does_not_grow_with_data(client: Any, url: str) -> None:
    group = GroupFactory()
    entities = [EntityFactory(group=group) for _ in range(2)]
    client.force_login(user_with_role(Role.DIRECTION, entities[0]))
    _add_data(entities, 1)
    few = _count(client, url)
    _add_data(entities, 4)
    assert _count(client, url) == few
