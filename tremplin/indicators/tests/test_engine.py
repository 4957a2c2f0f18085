"""Each indicator on a small hand-made dataset; the expected value is worked out in a comment."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tremplin.closing.models import CloseStatus
from tremplin.closing.tests.factories import MonthlyCloseFactory
from tremplin.contracts.rules import PostType
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.economics.rules import EntryKind
from tremplin.economics.tests.factories import FinancialEntryFactory
from tremplin.indicators import engine
from tremplin.invoicing import actions as invoicing_actions
from tremplin.invoicing.tests.factories import (
    InvoicingEntityFactory,
    draft_with_lines,
    issued_invoice,
)
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.models import Entity
from tremplin.organisations.rules import AnnexState, SiaeKind
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    FinancialAnnexFactory,
    GroupFactory,
)
from tremplin.pathways.models import Exit, StepKind
from tremplin.pathways.rules import ExitCategory, ExitReason
from tremplin.pathways.tests.factories import PathwayStepFactory
from tremplin.people.tests.factories import IntakeFactory, PersonFactory
from tremplin.timesheets.tests.factories import InterventionFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
YEAR = 2025
TODAY = date(2026, 3, 16)


@pytest.fixture
def world() -> dict[str, Any]:
    group = GroupFactory()
    ai = EntityFactory(group=group, association=True, name="AI")
    ei = EntityFactory(group=group, name="EI")
    return {"group": group, "ai": ai, "ei": ei}


def figures(*entities: Entity, year: int = YEAR, today: date = TODAY) -> engine.Indicators:
    return engine.compute(list(entities), year, today=today).total


def exit_(entity: Entity, day: date, reason: ExitReason, *, counted: bool) -> Exit:
    from tremplin.pathways import rules

    return Exit.objects.create(
        person=PersonFactory.create(entity=entity),
        entity=entity,
        exit_on=day,
        reason=reason,
        category=rules.exit_category(reason),
        siae_kind=SiaeKind.AI,
        hours_worked=D(200) if counted else D(50),
        counted=counted,
    )


# --- People -------------------------------------------------------------------------------------


def test_people_received_count_each_person_once(world: dict[str, Any]) -> None:
    ai, ei = world["ai"], world["ei"]
    twice = PersonFactory(entity=ai)
    IntakeFactory(person=twice, entity=ai, contacted_on=date(2025, 2, 3))
    IntakeFactory(person=twice, entity=ai, contacted_on=date(2025, 9, 1))
    IntakeFactory(person=twice, entity=ei, contacted_on=date(2025, 10, 1))
    IntakeFactory(person__entity=ai, entity=ai, contacted_on=date(2025, 12, 31))
    IntakeFactory(person__entity=ai, entity=ai, contacted_on=date(2024, 12, 31))  # the year before
    IntakeFactory(person__entity=ai, entity=ai, contacted_on=date(2026, 1, 2))  # the year after
    # AI: ``twice`` and the one of 31/12 = 2. EI: ``twice`` = 1. Both: still 2 people.
    assert figures(ai)["people_received"] == 2
    assert figures(ei)["people_received"] == 1
    assert figures(ai, ei)["people_received"] == 2


def test_people_accompanied_had_an_insertion_step_open_in_the_year(world: dict[str, Any]) -> None:
    ai = world["ai"]
    PathwayStepFactory(entity=ai, person__entity=ai, started_on=date(2023, 5, 2))  # still open
    PathwayStepFactory(
        entity=ai, person__entity=ai, started_on=date(2024, 3, 1), ended_on=date(2025, 1, 1)
    )
    PathwayStepFactory(
        entity=ai, person__entity=ai, started_on=date(2024, 3, 1), ended_on=date(2024, 12, 31)
    )  # ended the year before
    PathwayStepFactory(entity=ai, person__entity=ai, started_on=date(2026, 1, 5))  # after
    PathwayStepFactory(
        entity=ai, person__entity=ai, kind=StepKind.LASTING_JOB, started_on=date(2025, 4, 1)
    )  # not an insertion step
    # Open on a day of 2025: the first two = 2.
    assert figures(ai)["people_accompanied"] == 2


# --- Contracts ----------------------------------------------------------------------------------


def test_contracts_running_by_kind(world: dict[str, Any]) -> None:
    ai = world["ai"]
    ContractFactory(person__entity=ai, entity=ai, cddua=True, start=date(2024, 10, 1))  # to 09/2025
    ContractFactory(person__entity=ai, entity=ai, cddu=True, start=date(2025, 6, 2))
    ContractFactory(person__entity=ai, entity=ai, cddu=True, start=date(2024, 11, 4))  # ended 2024
    ContractFactory(person__entity=ai, entity=ai, cdi=True, start=date(2020, 1, 6))  # open-ended
    ContractFactory(
        person__entity=ai,
        entity=ai,
        cddua=True,
        start=date(2024, 1, 8),
        actual_end=date(2024, 12, 31),
    )  # ended early in 2024
    result = figures(ai)
    # Running on a day of 2025: the CDDUA of 10/2024 (planned end 30/09/2025), the CDDU of
    # 06/2025, the CDI = 3 (the CDDU of 11/2024 ended on 04/12/2024, the last CDDUA in 2024).
    assert result["contracts_running"] == 3
    assert result["contracts_by_kind"] == {"CDDU": 1, "CDDUA": 1, "CDI": 1}


def test_cddua_concluded_with_hours_and_durations(world: dict[str, Any]) -> None:
    ai = world["ai"]
    first = ContractFactory(
        person__entity=ai, entity=ai, cddua=True, start=date(2025, 2, 3), monthly_hours=D(80)
    )  # 03/02/2025 → 02/02/2026 (12 months)
    ContractFactory(
        person=first.person,
        entity=ai,
        cddua=True,
        start=date(2026, 2, 3),
        planned_end=date(2026, 8, 2),
        monthly_hours=D(80),
        renews=first,
    )  # its renewal: the chain lasts 18 months
    ContractFactory(
        person__entity=ai,
        entity=ai,
        cddua=True,
        start=date(2025, 11, 3),
        planned_end=date(2026, 5, 2),
        monthly_hours=D(91),
    )  # 6 months
    ContractFactory(
        person__entity=ai, entity=ai, cddua=True, start=date(2024, 12, 2), monthly_hours=D(60)
    )  # concluded in 2024
    result = figures(ai)
    # Concluded in 2025: 2; hours (80 + 91) / 2 = 85,5; durations 6 and 18 months.
    assert result["cddua_concluded"] == 2
    assert result["cddua_average_monthly_hours"] == D("85.50")
    assert (result["cddua_duration_min_months"], result["cddua_duration_max_months"]) == (6, 18)


def test_jobs_created_and_people_hired(world: dict[str, Any]) -> None:
    ai, ei = world["ai"], world["ei"]
    mover = PersonFactory(entity=ai)
    ContractFactory(person=mover, entity=ai, cddu=True, start=date(2024, 9, 2))
    ContractFactory(person=mover, entity=ai, cddua=True, start=date(2025, 1, 6))  # not a new job
    ContractFactory(person=mover, entity=ei, cdi_part_time=True, start=date(2025, 7, 1))  # a job
    ContractFactory(person__entity=ei, entity=ei, cdi=True, start=date(2025, 3, 3))  # a job
    ContractFactory(person__entity=ei, entity=ei, cddi=True, start=date(2025, 12, 1))  # a job
    ContractFactory(person__entity=ai, entity=ai, cddu=True, start=date(2025, 4, 7))  # a job
    ei_result = figures(ei)
    # EI: the part-time CDI (24 h), the CDI (35 h), the CDDI (26 h) = 3 jobs, 2 CDI, part time
    # 2 of 3 (24 h and 26 h) = 66,7 %.
    assert ei_result["jobs_created"] == 3 and ei_result["jobs_created_cdi"] == 2
    assert ei_result["jobs_created_by_kind"] == {"CDDI": 1, "CDI": 2}
    assert ei_result["jobs_created_part_time"] == 2
    assert ei_result["jobs_created_part_time_share"] == D("66.7")
    # AI: only the CDDU of 04/2025 (``mover`` was employed since 2024).
    assert figures(ai)["jobs_created"] == 1
    # Both: 3 + 1 = 4 jobs for 4 people (``mover`` hired once, by the EI).
    both = figures(ai, ei)
    assert both["jobs_created"] == 4 and both["people_hired"] == 4


# --- Long pathways ------------------------------------------------------------------------------


def test_long_pathways_and_seniors_on_31_december(world: dict[str, Any]) -> None:
    ai, ei = world["ai"], world["ei"]
    senior = PersonFactory(entity=ai, birth_date=date(1970, 6, 1))  # 55 on 31/12/2025
    young = PersonFactory(entity=ai, birth_date=date(1995, 6, 1))
    PathwayStepFactory(person=senior, entity=ai, started_on=date(2023, 6, 1))  # 2 y 7 m
    PathwayStepFactory(person=young, entity=ai, started_on=date(2023, 12, 31))  # 2 y + 1 day
    for _ in range(3):
        PathwayStepFactory(person__entity=ai, entity=ai, started_on=date(2025, 2, 1))
    # Not in a pathway on 31/12/2025: left in November.
    PathwayStepFactory(
        person__entity=ai, entity=ai, started_on=date(2022, 1, 3), ended_on=date(2025, 11, 28)
    )
    # A year at the EI, then at the AI since 2025: long for the group, not for the AI.
    both = PersonFactory(entity=ai, birth_date=date(1990, 1, 1))
    PathwayStepFactory(
        person=both, entity=ei, siae_kind=SiaeKind.EI, started_on=date(2023, 1, 2),
        ended_on=date(2024, 12, 31),
    )  # fmt: skip
    PathwayStepFactory(person=both, entity=ai, started_on=date(2025, 1, 1))
    result = figures(ai)
    # AI on 31/12/2025: senior, young, the 3 hired in 2025, ``both`` = 6 in a pathway; long:
    # senior and young = 2 (33,3 %); seniors among them: 1 (50 %).
    assert result["in_pathway_at_reference"] == 6
    assert result["long_pathways"] == 2
    assert result["long_pathway_share"] == D("33.3")
    assert result["long_pathway_seniors"] == 1
    assert result["long_pathway_senior_share"] == D("50.0")
    # The group: ``both`` has 2 years at the EI + 1 at the AI = long too: 3 of 6 = 50 %.
    group = figures(ai, ei)
    assert group["long_pathways"] == 3 and group["long_pathway_share"] == D("50.0")


def test_the_current_year_reads_stocks_today(world: dict[str, Any]) -> None:
    ai = world["ai"]
    PathwayStepFactory(person__entity=ai, entity=ai, started_on=date(2024, 3, 15))
    # On 16/03/2026 (today) the step has lasted 2 years and 2 days: long. On 31/12/2025 not.
    assert figures(ai, year=2026)["long_pathways"] == 1
    assert figures(ai, year=2025)["long_pathways"] == 0


# --- Exits --------------------------------------------------------------------------------------


def test_exits_by_category_and_dynamic_rate(world: dict[str, Any]) -> None:
    ai = world["ai"]
    exit_(ai, date(2025, 3, 1), ExitReason.CDI, counted=True)
    exit_(ai, date(2025, 4, 1), ExitReason.SHORT_FIXED_TERM, counted=True)
    exit_(ai, date(2025, 5, 1), ExitReason.TRAINING, counted=False)  # under 150 h
    exit_(ai, date(2025, 6, 1), ExitReason.JOB_SEEKER, counted=True)
    exit_(ai, date(2025, 7, 1), ExitReason.MOVED_AWAY, counted=True)  # withdrawn
    exit_(ai, date(2024, 12, 31), ExitReason.CDI, counted=True)  # the year before
    result = figures(ai)
    # 5 exits in 2025, 4 counted; in the rate: CDI, short fixed term, job seeker = 3 (the
    # training is not counted, the move is withdrawn); dynamic: 2 → 2 / 3 = 66,7 %.
    assert (result["exits"], result["exits_counted"], result["dynamic_exits"]) == (5, 4, 2)
    assert result["dynamic_exit_rate"] == D("66.7")
    by_category = result["exits_by_category"]
    assert isinstance(by_category, dict)
    assert by_category[ExitCategory.POSITIVE_EXIT] == {"total": 1, "counted": 0}
    assert by_category[ExitCategory.WITHDRAWN] == {"total": 1, "counted": 1}


# --- Hours and ETP ------------------------------------------------------------------------------


def test_hours_worked_invoiced_and_etp(world: dict[str, Any]) -> None:
    ai = world["ai"]
    convention = ConventionFactory(entity=ai, kind=SiaeKind.AI)
    FinancialAnnexFactory(convention=convention, year=2025, etp=D("2.00"), state=AnnexState.CLOSED)
    FinancialAnnexFactory(convention=convention, year=2026, etp=D("3.00"))
    worker = PersonFactory(entity=ai)
    ContractFactory(
        person=worker,
        entity=ai,
        cddua=True,
        start=date(2025, 1, 6),
        planned_end=date(2025, 12, 31),
    )
    permanent = PersonFactory(entity=ai)
    ContractFactory(
        person=permanent, entity=ai, cdi=True, post_type=PostType.PERMANENT, start=date(2020, 1, 6)
    )
    service = ServiceFactory(entity=ai)
    intervention = InterventionFactory(entity=ai, worker=worker, day=date(2025, 3, 4))
    entry = {"entity": ai, "person": worker, "client": intervention.order.client}
    TimeEntryFactory(
        **entry, day=date(2025, 3, 4), hours=D("3.50"), validated=True, service=service
    )
    TimeEntryFactory(
        **entry, day=date(2025, 3, 4), hours=D("1.25"), validated=True, intervention=intervention
    )  # billed through its order's service
    TimeEntryFactory(**entry, day=date(2025, 3, 5), hours=D("2.00"), validated=True)  # no service
    TimeEntryFactory(
        **entry, day=date(2025, 11, 5), hours=D("4.00"), validated=True, service=service
    )
    TimeEntryFactory(**entry, day=date(2025, 11, 6), hours=D("7.00"))  # declared only
    TimeEntryFactory(**entry, day=date(2025, 1, 3), hours=D("5.00"), validated=True)  # no contract
    TimeEntryFactory(
        **{**entry, "person": permanent}, day=date(2025, 6, 2), hours=D("10.00"), validated=True
    )  # a permanent post
    TimeEntryFactory(**entry, day=date(2026, 1, 5), hours=D("8.00"), validated=True)  # in 2026
    MonthlyCloseFactory(entity=ai, year=2025, month=3, status=CloseStatus.CLOSED)
    MonthlyCloseFactory(entity=ai, year=2025, month=11, status=CloseStatus.REOPENED)
    result = figures(ai)
    # Worked (validated, 2025): 3,50 + 1,25 + 2,00 + 4,00 + 5,00 + 10,00 = 25,75 h.
    assert result["hours_worked"] == D("25.75")
    # Invoiced (March is closed, November reopened; with a service): 3,50 + 1,25 = 4,75 h.
    assert result["hours_invoiced"] == D("4.75")
    # On an insertion post: 3,50 + 1,25 + 2,00 + 4,00 = 10,75 h (not the day before the
    # CDDUA, not the permanent worker); ETP = 10,75 / (151,67 × 12) = 0,0059 → 0,01.
    assert result["etp_consumed"] == D("0.01")
    assert result["etp_conventioned"] == D("2.00")
    # 0,01 / 2,00 = 0,5 %.
    assert result["etp_consumption_rate"] == D("0.5")


def test_etp_consumed_over_the_months_of_the_current_year(world: dict[str, Any]) -> None:
    ai = world["ai"]
    worker = PersonFactory(entity=ai)
    ContractFactory(person=worker, entity=ai, cddua=True, start=date(2026, 1, 5))
    client = InterventionFactory(entity=ai, worker=worker).order.client
    for day in (date(2026, 1, 12), date(2026, 2, 9), date(2026, 3, 9)):
        TimeEntryFactory(
            entity=ai, person=worker, client=client, day=day, hours=D("7.50"), validated=True
        )
    # 3 × 7,50 = 22,50 h over 3 months (January to March 2026, today 16/03):
    # 22,50 / (151,67 × 3 = 455,01) = 0,0494… → 0,05 (over 12 months it would be 0,01).
    result = figures(ai, year=2026)
    assert result["hours_worked"] == D("22.50")
    assert result["etp_consumed"] == D("0.05")
    assert result["etp_conventioned"] is None and result["etp_consumption_rate"] is None


# --- Revenue and result ---------------------------------------------------------------------------


@time_machine.travel(datetime(2025, 12, 20, 10, tzinfo=PARIS), tick=False)
def test_revenue_of_issued_invoices_and_credit_notes(world: dict[str, Any]) -> None:
    entity = InvoicingEntityFactory(group=world["group"])
    issued_invoice((("1", "99.00", "20"),), entity=entity, issue_date=date(2024, 12, 31))
    issued_invoice((("10", "25.00", "20"),), entity=entity, issue_date=date(2025, 3, 31))
    corrected = issued_invoice(
        (("4", "30.50", "20"), ("2", "12.25", "10")), entity=entity, issue_date=date(2025, 6, 30)
    )
    invoicing_actions.issue_credit_note(
        corrected, by=None, reason="Erreur de quantité", issue_date=date(2025, 7, 2)
    )
    draft_with_lines(entity=entity)  # a draft: no revenue
    # 2025: 10 × 25 = 250,00 + (4 × 30,50 + 2 × 12,25 = 146,50) − 146,50 (the credit note of
    # 02/07/2025) = 250,00 excl. VAT; the invoice of 2024 and the draft count nothing.
    assert figures(entity)["revenue"] == D("250.00")


def test_result_comes_from_the_group_economics(world: dict[str, Any]) -> None:
    ei = world["ei"]
    FinancialEntryFactory(entity=ei, kind=EntryKind.GRANT, day=date(2025, 5, 1), amount=D("2000"))
    FinancialEntryFactory(entity=ei, kind=EntryKind.COST, day=date(2025, 6, 1), amount=D("450.50"))
    FinancialEntryFactory(entity=ei, kind=EntryKind.COST, day=date(2026, 2, 1), amount=D("99"))
    # No sale, no hour worked: 2 000 of grants − 450,50 of costs = 1 549,50 in 2025.
    assert figures(ei)["result"] == D("1549.50")
    assert figures(world["ai"], ei)["result"] == D("1549.50")


# --- The period -----------------------------------------------------------------------------------


def test_a_year_not_begun_is_refused(world: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="n'a pas commencé"):
        figures(world["ai"], year=2027)


def test_per_entity_and_total_in_one_report(world: dict[str, Any]) -> None:
    ai, ei = world["ai"], world["ei"]
    IntakeFactory(person__entity=ai, entity=ai, contacted_on=date(2025, 2, 3))
    IntakeFactory(person__entity=ei, entity=ei, contacted_on=date(2025, 2, 4))
    report = engine.compute([ai, ei], YEAR, today=TODAY)
    assert report.reference_date == date(2025, 12, 31)
    assert report.by_entity[ai.pk]["people_received"] == 1
    assert report.by_entity[ei.pk]["people_received"] == 1
    assert report.total["people_received"] == 2
    data = engine.payload(report, scope=world["group"])
    assert data["scope"] == {
        "kind": "group",
        "slug": world["group"].slug,
        "name": world["group"].name,
    }
    assert [e["slug"] for e in data["entities"]] == [ai.slug, ei.slug]
    assert data["indicators"]["etp_consumed"] == "0.00"
