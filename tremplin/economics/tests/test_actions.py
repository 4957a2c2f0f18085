"""Actions: accounting import, aide au poste entries, allocation runs, scenarios."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.contracts.models import Funding
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.models import AuditEntry
from tremplin.economics import actions, economic_model, rules
from tremplin.economics.models import AidEntry, AidEntryKind, FinancialEntry, Recharge
from tremplin.economics.rules import EntryKind, KeyMethod
from tremplin.economics.tests.factories import CostPoolFactory, PoolCostFactory
from tremplin.organisations.models import Entity
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    FinancialAnnexFactory,
    GroupFactory,
)
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus
from tremplin.timesheets.tests.factories import TimeEntryFactory

D = Decimal
pytestmark = pytest.mark.django_db

CSV = (
    "date;compte;libellé;montant;code analytique;activité;pièce\n"
    "31/01/2026;6132;Loyer de janvier;1 200,00;SIEGE;;F001\n"
    "31/01/2026;6132;Loyer de janvier;1 200,00;SIEGE;;F001\n"  # a second, identical rent line
    "15/02/2026;7410;Subvention du département;5 000,00;;;\n"
    "30/02/2026;6061;Fournitures;12,00;;;\n"  # impossible date
    "28/02/2026;706;Prestations;300,00;;;\n"  # a revenue account
    "28/02/2026;6226;Honoraires;douze;;peinture;\n"  # bad amount and unknown activity
)


def test_import_keeps_good_lines_and_names_each_error() -> None:
    entity = Entity.objects.get(pk=EntityFactory().pk)
    user = user_with_role(Role.ACCOUNTANT, entity)
    record = actions.import_accounting(
        entity, content=CSV.encode(), original_name="export.csv", by=user
    )
    assert (record.total_rows, record.imported_rows, record.error_rows) == (6, 3, 3)
    entries = FinancialEntry.objects.filter(entity=entity).order_by("day", "pk")
    assert [(e.kind, e.amount) for e in entries] == [
        (EntryKind.COST, D("1200.00")),
        (EntryKind.COST, D("1200.00")),
        (EntryKind.GRANT, D("5000.00")),
    ]
    assert [(e["line"], e["column"]) for e in record.errors] == [
        (5, "date"),
        (6, "compte"),
        (7, "montant"),
        (7, "activité"),
    ]
    assert AuditEntry.objects.filter(action="economics.accounting_imported").count() == 1


def test_import_twice_adds_nothing() -> None:
    entity = Entity.objects.get(pk=EntityFactory().pk)
    actions.import_accounting(entity, content=CSV.encode(), original_name="a.csv", by=None)
    again = actions.import_accounting(entity, content=CSV.encode(), original_name="a.csv", by=None)
    assert (again.imported_rows, again.duplicate_rows) == (0, 3)
    assert FinancialEntry.objects.filter(entity=entity).count() == 3
    # A third identical rent line in a later file is a new line.
    more = CSV + "31/01/2026;6132;Loyer de janvier;1 200,00;SIEGE;;F001\n"
    third = actions.import_accounting(entity, content=more.encode(), original_name="b.csv", by=None)
    assert third.imported_rows == 1


def test_import_refuses_a_file_without_the_columns() -> None:
    entity = Entity.objects.get(pk=EntityFactory().pk)
    record = actions.import_accounting(
        entity, content=b"jour;compte\n01/01/2026;6132\n", original_name="x.csv", by=None
    )
    assert record.imported_rows == 0
    assert record.errors[0]["column"] == "date, libellé, montant"
    assert "absente" in record.errors[0]["reason"]


def _aided_ai(hours_by_day: dict[date, Decimal]) -> tuple:
    entity = EntityFactory(association=True)
    convention = ConventionFactory(entity=entity, kind=SiaeKind.AI, start=date(2024, 1, 1))
    annex = FinancialAnnexFactory(convention=convention, year=2025, etp=D(2))
    person = PersonFactory(entity=entity)
    ContractFactory(
        person=person,
        entity=entity,
        cddua=True,
        start=date(2025, 1, 2),
        planned_end=date(2025, 12, 31),
        hourly_rate=D("11.88"),
        funding=Funding.AIDE_AU_POSTE,
    )
    for day, hours in hours_by_day.items():
        TimeEntryFactory(
            entity=entity, person=person, day=day, hours=hours, status=EntryStatus.VALIDATED
        )
    return entity, annex


def test_aid_entries_advances_then_regularisation() -> None:
    entity, annex = _aided_ai({date(2025, 3, 3): D("10.00"), date(2025, 9, 1): D("20.00")})
    # In May: advances of January to May, 2 ETP × 1 619 € / 12 = 269,83 € each.
    assert actions.record_aid_entries(annex, today=date(2025, 5, 20), by=None) == 5
    advances = AidEntry.objects.filter(annex=annex, kind=AidEntryKind.ADVANCE)
    assert {a.amount for a in advances} == {D("269.83")}
    # Again in May: nothing new.
    assert actions.record_aid_entries(annex, today=date(2025, 5, 31), by=None) == 0
    # After the year: the 7 other advances and the regularisation.
    assert actions.record_aid_entries(annex, today=date(2026, 1, 15), by=None) == 8
    regularisation = AidEntry.objects.get(annex=annex, kind=AidEntryKind.REGULARISATION)
    # Earned: 10 h and 20 h → 10/151,67 × 1 619/12 = 8,90 and 20/151,67 × 1 619/12 = 17,79;
    # advances 12 × 269,83 = 3 237,96; regularisation 26,69 − 3 237,96 = −3 211,27.
    assert regularisation.amount == D("-3211.27")
    assert regularisation.month == date(2026, 1, 1)
    total = sum(e.amount for e in AidEntry.objects.filter(annex=annex))
    assert total == D("26.69")


def test_run_allocation_stores_shares_recharges_and_pnl() -> None:
    group = GroupFactory()
    holder, other = EntityFactory(group=group, name="A"), EntityFactory(group=group, name="B")
    pool = CostPoolFactory(entity=holder, key_method=KeyMethod.FIXED)
    pool.fixed_shares.create(beneficiary=holder, share=D(25))
    pool.fixed_shares.create(beneficiary=other, share=D(75))
    PoolCostFactory(pool=pool, amount=D("1000.01"), day=date(2026, 2, 1))
    user = user_with_role(Role.DIRECTION, holder)
    run = actions.run_allocation(holder, period=rules.parse_period("2026-T1"), by=user)
    shares = {a.beneficiary_id: a.amount for a in run.allocations.all()}
    # 1 000,01 × 25 % = 250,0025 and × 75 % = 750,0075: floors 250,00 + 750,00, the cent to
    # the larger fraction (0,75 for B).
    assert shares == {holder.pk: D("250.00"), other.pk: D("750.01")}
    recharge = Recharge.objects.get(run=run)
    assert (recharge.lender, recharge.borrower, recharge.amount) == (holder, other, D("750.01"))
    assert run.group_result == D("-1000.01")
    assert run.pnl["entities"] == ["A", "B"]
    assert run.pnl["rows"][-1]["group"] == "-1000.01"
    assert AuditEntry.objects.filter(action="economics.allocation_run", actor=user).exists()


def test_scenario_moving_workers_changes_the_aid() -> None:
    group = GroupFactory()
    ai = EntityFactory(group=group, association=True)
    sap = EntityFactory(group=group)
    convention = ConventionFactory(entity=ai, kind=SiaeKind.AI, start=date(2025, 1, 1))
    FinancialAnnexFactory(convention=convention, year=2026, etp=D(5))
    for n, hours in enumerate([D(20), D(15), D(10)]):
        person = PersonFactory(entity=ai)
        ContractFactory(
            person=person,
            entity=ai,
            cddua=True,
            start=date(2026, 1, 5),
            hourly_rate=D("12.00"),
            funding=Funding.AIDE_AU_POSTE,
        )
        TimeEntryFactory(
            entity=ai,
            person=person,
            day=date(2026, 3, 2 + n),
            hours=hours,
            status=EntryStatus.VALIDATED,
        )
    scenario = actions.create_scenario(
        ai, name="Essai", period=rules.parse_period("2026-03"), by=None
    )
    scenario = actions.add_scenario_change(
        scenario,
        change={
            "kind": "move_workers",
            "source": ai.pk,
            "target": sap.pk,
            "count": 2,
            "move_revenue": True,
        },
        by=None,
    )
    inputs = economic_model.inputs_from_json(scenario.base)
    base = economic_model.compute(inputs)
    changed = economic_model.compute(economic_model.apply_changes(inputs, scenario.changes))
    # The two with the most hours move (20 h and 15 h): the AI keeps 10 h of aided work.
    assert len(scenario.changes[0]["person_ids"]) == 2
    # Aid: 45 h → 10 h; 45/151,67 × 1 619/12 = 40,03; 10/151,67 × 1 619/12 = 8,90.
    assert (base.entities[ai.pk].aid, changed.entities[ai.pk].aid) == (D("40.03"), D("8.90"))
    # Their 35 h move to the SAP company as CDI: 35 × 12,00 × 1,14 = 478,80.
    assert changed.entities[sap.pk].payroll_cost == D("478.80")
    assert changed.entities[ai.pk].payroll_cost == D("132.00")  # 10 × 12 × 1,10
    rows = {r.label: r for r in economic_model.compare(base, changed)}
    assert rows[f"{ai.name} — aide au poste"].difference == D("-31.13")
    actions.remove_scenario_change(scenario, index=0, by=None)
    assert scenario.changes == []
