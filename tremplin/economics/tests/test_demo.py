"""The demo group's economics: loaded with the demo, consistent, idempotent."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from tremplin.economics import demo, queries
from tremplin.economics.models import (
    AidEntry,
    AllocationRun,
    CostPool,
    FinancialEntry,
    PoolCost,
    Scenario,
    TimeRecord,
)
from tremplin.organisations.models import Group

pytestmark = pytest.mark.django_db


@time_machine.travel(date(2026, 3, 10), tick=False)
def test_demo_economics(settings: Any) -> None:
    settings.DEBUG = True
    call_command("load_demo", stdout=None)
    group = Group.objects.get(slug="groupe-elan")
    # Five shared functions, costed every month of 2025 and of 2026 up to March.
    assert CostPool.objects.filter(entity__group=group).count() == 5
    assert PoolCost.objects.filter(pool__entity__group=group).count() == 5 * 15
    assert TimeRecord.objects.filter(day__year=2025).count() == 2 * 3 * 12
    assert FinancialEntry.objects.filter(day__year=2025, kind="grant").exists()
    assert FinancialEntry.objects.filter(day__year=2026, kind="cost").exists()
    # Advances of the aide au poste of January to March 2026, for the AI and the EI annexes.
    assert AidEntry.objects.filter(month__year=2026).count() == 2 * 3
    run = AllocationRun.objects.get(entity__group=group)
    assert run.period_code == "2026"
    live = queries.economic_model(group, date(2026, 1, 1), date(2026, 12, 31))
    assert run.group_result == live.group_result == live.external_flows()
    assert run.recharges.exists()
    scenario = Scenario.objects.get(name=demo.SCENARIO_NAME)
    assert len(scenario.changes[0]["person_ids"]) == 3
    counts = [
        model.objects.count()
        for model in (
            CostPool,
            PoolCost,
            TimeRecord,
            FinancialEntry,
            AidEntry,
            AllocationRun,
            Scenario,
        )
    ]
    demo.load(group, date(2026, 3, 10))
    assert counts == [
        model.objects.count()
        for model in (
            CostPool,
            PoolCost,
            TimeRecord,
            FinancialEntry,
            AidEntry,
            AllocationRun,
            Scenario,
        )
    ]
