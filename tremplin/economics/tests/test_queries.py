"""Each figure of the economic model on a small hand-made group, expected values by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.models import Funding
from tremplin.contracts.rules import ContractKind, PostType
from tremplin.contracts.tests.factories import ContractFactory, StaffLoanFactory
from tremplin.economics import economic_model, queries
from tremplin.economics.rules import KeyMethod
from tremplin.economics.tests.factories import (
    CostPoolFactory,
    FinancialEntryFactory,
    PoolCostFactory,
    issued_invoice,
)
from tremplin.invoicing.models import InvoiceKind
from tremplin.orders.rules import ServiceKind
from tremplin.orders.tests.factories import ServiceFactory
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
MARCH = (date(2026, 3, 1), date(2026, 3, 31))

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    """An association (AI, annex of 1 ETP), a SAP company and a services company.

    March 2026:
    - AI worker (CDDUA, 12,00 €/h, aided): 10 h of placement at the AI, 5 h lent to Services
      (loan at 13,20 €/h); 3 h still declared (ignored); 4 h in April (outside);
    - SAP worker (CDI, 14,00 €/h): 20 h of housework;
    - AI invoices 1 000,00 of placement, then a credit note of 100,00; SAP invoices 500,00 of
      housework; Services invoices 200,00 of office cleaning to the AI (intra-group);
    - AI receives a 300,00 grant; SAP pays 50,00 of costs;
    - the AI holds a direction pool of 1 000,00 divided by hours worked.
    """
    group = GroupFactory()
    ai = EntityFactory(group=group, association=True, name="A association")
    sap = EntityFactory(group=group, name="B domicile")
    services = EntityFactory(group=group, name="C services")
    convention = ConventionFactory(entity=ai, kind=SiaeKind.AI, start=date(2025, 1, 1))
    FinancialAnnexFactory(convention=convention, year=2026, etp=D(1))

    ai_worker = PersonFactory(entity=ai)
    contract = ContractFactory(
        person=ai_worker,
        entity=ai,
        cddua=True,
        start=date(2026, 1, 5),
        hourly_rate=D("12.00"),
        funding=Funding.AIDE_AU_POSTE,
    )
    placement = ServiceFactory(entity=ai, placement=True)
    ai_client = ClientFactory(entity=ai)
    for day, hours, status in [
        (date(2026, 3, 2), D(6), EntryStatus.VALIDATED),
        (date(2026, 3, 9), D(4), EntryStatus.VALIDATED),
        (date(2026, 3, 16), D(3), EntryStatus.DECLARED),
        (date(2026, 4, 1), D(4), EntryStatus.VALIDATED),
    ]:
        TimeEntryFactory(
            entity=ai,
            person=ai_worker,
            client=ai_client,
            service=placement,
            day=day,
            hours=hours,
            status=status,
        )
    StaffLoanFactory(
        contract=contract,
        borrower=services,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        hourly_cost=D("13.20"),
    )
    TimeEntryFactory(
        entity=services,
        person=ai_worker,
        client=ClientFactory(entity=services),
        day=date(2026, 3, 20),
        hours=D(5),
        status=EntryStatus.VALIDATED,
    )

    sap_worker = PersonFactory(entity=sap)
    ContractFactory(
        person=sap_worker,
        entity=sap,
        cdi=True,
        start=date(2025, 9, 1),
        hourly_rate=D("14.00"),
        weekly_hours=D(35),
    )
    TimeEntryFactory(
        entity=sap,
        person=sap_worker,
        client=ClientFactory(entity=sap),
        service=ServiceFactory(entity=sap, housework=True),
        day=date(2026, 3, 12),
        hours=D(20),
        status=EntryStatus.VALIDATED,
    )

    invoice = issued_invoice(ai, [(ServiceKind.PLACEMENT, D("1000.00"))], client=ai_client)
    issued_invoice(
        ai,
        [(ServiceKind.PLACEMENT, D("100.00"))],
        client=ai_client,
        kind=InvoiceKind.CREDIT_NOTE,
        corrects=invoice,
    )
    issued_invoice(sap, [(ServiceKind.HOUSEWORK, D("500.00"))])
    issued_invoice(
        services,
        [(ServiceKind.OFFICE_CLEANING, D("200.00"))],
        client=ClientFactory(entity=services, siret=ai.siret),
    )
    issued_invoice(sap, [(ServiceKind.HOUSEWORK, D("999.00"))], day=date(2026, 4, 2))

    FinancialEntryFactory(entity=ai, grant=True, amount=D("300.00"), day=date(2026, 3, 20))
    FinancialEntryFactory(
        entity=sap, amount=D("50.00"), day=date(2026, 3, 5), activity=ServiceKind.HOUSEWORK
    )
    FinancialEntryFactory(entity=sap, amount=D("70.00"), day=date(2026, 4, 5))  # April

    pool = CostPoolFactory(entity=ai, key_method=KeyMethod.HOURS, name="Direction")
    PoolCostFactory(pool=pool, amount=D("1000.00"), day=date(2026, 3, 31))
    return {"group": group, "ai": ai, "sap": sap, "services": services, "pool": pool}


def test_every_figure_of_the_model(world: dict[str, Any]) -> None:
    results = queries.entity_results(world["group"], *MARCH)
    ai, sap, services = (results[world[k].pk] for k in ("ai", "sap", "services"))

    # Revenue: 1 000,00 − 100,00 credit note; April's invoice is outside March.
    assert ai.revenue == D("900.00")
    assert ai.revenue_by_activity == {ServiceKind.PLACEMENT: D("900.00")}
    assert sap.revenue == D("500.00")
    assert (services.revenue, services.intra_group_revenue) == (D("200.00"), D("200.00"))
    assert ai.intra_group_purchases == D("200.00")

    # Payroll: AI worker 15 validated hours (declared and April hours left out):
    # 15 × 12,00 × 1,10 = 198,00 borne by the AI; SAP: 20 × 14,00 × 1,14 = 319,20.
    assert ai.payroll_cost == D("198.00")
    assert sap.payroll_cost == D("319.20")
    assert (ai.hours, sap.hours, services.hours) == (D(10), D(20), D(5))

    # Aide au poste: 15 h / 151,67 = 0,0989 ETP-month × 1 619 € / 12 = 13,34 €.
    assert ai.aid == D("13.34")
    assert (sap.aid, services.aid) == (D(0), D(0))

    # Staff loan at cost: 5 h × 13,20 = 66,00 from the AI to Services.
    assert (ai.loans_charged, services.loans_received) == (D("66.00"), D("66.00"))

    # Other grants and costs of March.
    assert ai.other_grants == D("300.00")
    assert sap.other_costs == D("50.00")

    # Direction pool 1 000,00 by hours 10 / 20 / 5 (of 35): quotas 285,714…, 571,428…,
    # 142,857…; floors 285,71 + 571,42 + 142,85 = 999,98; the two cents left go to the largest
    # fractions (0,857… SAP, 0,714… Services).
    assert ai.shared_costs == D("1000.00")
    assert ai.allocation_charged == D("714.29")  # 571,43 + 142,86
    assert sap.allocation_received == D("571.43")
    assert services.allocation_received == D("142.86")

    # Results:
    # AI  = 900 + 13,34 + 300 + 714,29 + 66 − 198 − 1 000 − 200 = 595,63
    # SAP = 500 − 319,20 − 50 − 571,43 = −440,63
    # Services = 200 − 66 − 142,86 = −8,86
    assert (ai.result, sap.result, services.result) == (D("595.63"), D("-440.63"), D("-8.86"))


def test_consolidated_result_is_the_sum_of_external_flows(world: dict[str, Any]) -> None:
    result = queries.economic_model(world["group"], *MARCH)
    # External revenue 900 + 500 = 1 400; + aid 13,34 + grants 300 − payroll 517,20
    # − costs 50 − direction 1 000 = 146,14.
    assert result.group_result == D("146.14") == result.external_flows()
    pnl = economic_model.consolidated_pnl(result)
    total = pnl[-1]
    assert total.label == "Résultat" and total.group == D("146.14")
    revenue = pnl[0]
    assert revenue.elimination == D("-200.00")
    assert revenue.group == D("1400.00")
    assert sum(row.elimination for row in pnl[:-1]) == total.elimination == D(0)


def test_margin_per_activity(world: dict[str, Any]) -> None:
    results = queries.entity_results(world["group"], *MARCH)
    sap = results[world["sap"].pk]
    housework = sap.margins[ServiceKind.HOUSEWORK]
    # 500 − 319,20 of payroll − 50 of costs tagged housework = 130,80
    assert housework.margin == D("130.80")
    services = results[world["services"].pk]
    # The lent hours have no service: their cost at the loan rate goes to "not assigned".
    assert services.margins[economic_model.UNASSIGNED].payroll == D("66.00")


def test_aid_counts_the_months_before_the_period_against_the_annex(
    world: dict[str, Any],
) -> None:
    # April alone: 4 h; the 15 h of March come before, all within the 12 ETP-months.
    results = queries.entity_results(world["group"], date(2026, 4, 1), date(2026, 4, 30))
    assert results[world["ai"].pk].aid == D("3.56")  # 4 / 151,67 × 1 619 / 12 = 3,558…


def test_headcount_and_etp_are_read_from_contracts(world: dict[str, Any]) -> None:
    results = queries.entity_results(world["group"], *MARCH)
    sap = results[world["sap"].pk]
    assert sap.headcount == 1
    assert sap.etp == D("1.00")  # 35 h a week, the whole month
    ai = results[world["ai"].pk]
    assert ai.headcount == 1
    assert ai.etp == D("0.56")  # 85 h a month / 151,67 = 0,56


def test_hours_without_contract_are_reported(world: dict[str, Any]) -> None:
    TimeEntryFactory(
        entity=world["sap"],
        person=PersonFactory(entity=world["sap"]),
        day=date(2026, 3, 3),
        hours=D("2.50"),
        status=EntryStatus.VALIDATED,
    )
    result = queries.economic_model(world["group"], *MARCH)
    assert any("2,50 h validées sans contrat" in w for w in result.warnings)
    assert result.entities[world["sap"].pk].payroll_cost == D("319.20")


def test_a_pool_whose_key_is_empty_stays_with_its_holder(world: dict[str, Any]) -> None:
    pool = world["pool"]
    pool.key_method = KeyMethod.TIME_SPENT
    pool.save()
    result = queries.economic_model(world["group"], *MARCH)
    ai = result.entities[world["ai"].pk]
    assert ai.allocation_charged == D(0)
    assert any("n'a pas été réparti" in w for w in result.warnings)
    assert result.group_result == result.external_flows()


def test_contract_post_type_decides_the_aid(world: dict[str, Any]) -> None:
    # A permanent post of the AI consumes no aide au poste.
    person = PersonFactory(entity=world["ai"])
    ContractFactory(
        person=person,
        entity=world["ai"],
        kind=ContractKind.CDI,
        post_type=PostType.PERMANENT,
        planned_end=None,
        funding=Funding.NONE,
        start=date(2026, 1, 1),
    )
    TimeEntryFactory(
        entity=world["ai"],
        person=person,
        day=date(2026, 3, 4),
        hours=D(8),
        status=EntryStatus.VALIDATED,
    )
    results = queries.entity_results(world["group"], *MARCH)
    assert results[world["ai"].pk].aid == D("13.34")
