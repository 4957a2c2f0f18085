"""The demo's contracts, clients and placements: shape, rules, the 480 h cap, idempotency."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core.management import call_command

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind, client_errors
from tremplin.contracts.demo import END_REASONS
from tremplin.contracts.forms import person_facts
from tremplin.contracts.models import (
    Amendment,
    Contract,
    Habilitation,
    HabilitationKind,
    MedicalVisit,
    StaffLoan,
)
from tremplin.contracts.rules import (
    SMIC_HOURLY,
    AlertKind,
    ContractKind,
    ContractTerms,
    EndReason,
    MadWindow,
    contract_errors,
    end_errors,
    is_cddu_conversion,
    mad_cap_applies,
    mad_windows,
    register_alerts,
    renewal_errors,
    staff_loan_errors,
    started_months,
)
from tremplin.contracts.rules import Placement as CapPlacement
from tremplin.core.models import AuditEntry
from tremplin.core.tests.demo_cleanup import wipe_database
from tremplin.missions.models import Placement
from tremplin.missions.rules import (
    PLACEMENT_CONTRACT_KINDS,
    LedgerState,
    PlacementDecision,
    check_placement,
    mad_ledger,
    placement_errors,
)
from tremplin.pathways.models import Exit, PathwayStep, StepKind
from tremplin.pathways.rules import ExitReason

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 26)
DAYS = pytest.mark.parametrize("day", [TODAY, date(2028, 2, 29)], ids=["autumn", "leap_day"])
CAP = Decimal(480)
MODELS = ("clients", "contracts", "missions")


def _load_demo(settings: Any, day: date) -> None:
    settings.DEBUG = True
    moment = datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)
    with time_machine.travel(moment, tick=False):
        call_command("load_demo", stdout=StringIO())


def _counts(*labels: str) -> dict[str, int]:
    return {
        model.__name__: model._default_manager.count()
        for label in labels or MODELS
        for model in apps.get_app_config(label).get_models()
    }


def _rows(queryset: Any) -> list[tuple[str, ...]]:
    return sorted(tuple(map(str, row)) for row in queryset)


def _fingerprint() -> dict[str, list[tuple[str, ...]]]:
    """The demo's contracts and placements without primary keys."""
    key = "person__identity_key"
    return {
        "clients": _rows(
            Client.objects.values_list(
                "entity__slug", "name", "kind", "siret", "economic_dismissal_on"
            )
        ),
        "contracts": _rows(
            Contract.objects.values_list(
                key, "entity__slug", "kind", "start", "planned_end", "actual_end", "end_reason",
                "weekly_hours", "monthly_hours", "hourly_rate", "probation_end", "funding",
                "renews__start", "pathway_step__started_on", "job_title",
            )
        ),
        "amendments": _rows(
            Amendment.objects.values_list(
                "contract__person__identity_key", "contract__start", "effective_on", "reason"
            )
        ),
        "placements": _rows(
            Placement.objects.values_list(
                "contract__person__identity_key", "contract__start", "number", "client__name",
                "start", "end", "hours", "task",
            )
        ),
        "habilitations": _rows(
            Habilitation.objects.values_list(key, "kind", "obtained_on", "expires_on")
        ),
        "visits": _rows(
            MedicalVisit.objects.values_list(key, "entity__slug", "done_on", "next_due_on")
        ),
        "loans": _rows(
            StaffLoan.objects.values_list(
                "contract__person__identity_key", "borrower__slug", "start", "end",
                "agreement_reference", "consent_on",
            )
        ),
    }  # fmt: skip


def _chain_months(contract: Contract) -> tuple[int, int]:
    """Started months of the first contract of the chain, and of the whole chain."""
    chain = contract.renewal_chain()
    first, last = chain[0], chain[-1]
    assert first.planned_end is not None and last.planned_end is not None
    return (
        started_months(first.start, first.planned_end),
        started_months(first.start, last.planned_end),
    )


def _terms(contract: Contract) -> ContractTerms:
    facts = person_facts(contract.person)
    return ContractTerms(
        kind=ContractKind(contract.kind),
        start=contract.start,
        planned_end=contract.planned_end,
        weekly_hours=contract.weekly_hours,
        monthly_hours=contract.monthly_hours,
        hourly_rate=contract.hourly_rate,
        birth_date=facts.birth_date,
        pass_iae_start=facts.pass_start,
        pass_iae_end=facts.pass_end,
        is_renewal=contract.renews_id is not None,
        previous_cumulated_months=contract.months_before(),
    )


def _open_steps(day: date, kind: StepKind, slug: str) -> list[PathwayStep]:
    return [
        s
        for s in PathwayStep.objects.filter(kind=kind, entity__slug=slug).select_related("person")
        if s.is_open_on(day)
    ]


def _windows_by_worker() -> dict[tuple[int, int], tuple[list[Placement], list[MadWindow]]]:
    placements: dict[tuple[int, int], list[Placement]] = defaultdict(list)
    for placement in Placement.objects.select_related("client", "contract").order_by("pk"):
        contract = placement.contract
        placements[(contract.person_id, contract.entity_id)].append(placement)
    return {
        worker: (rows, mad_windows([p.as_rule() for p in rows]))
        for worker, rows in placements.items()
    }


# --- Shape --------------------------------------------------------------------------------------


@DAYS
def test_the_demo_has_the_seed_contracts(settings: Any, day: date) -> None:
    _load_demo(settings, day)
    kinds = Counter(Contract.objects.values_list("entity__slug", "kind"))
    assert set(kinds) == {
        ("elan-emploi", ContractKind.CDDU),
        ("elan-emploi", ContractKind.CDDUA),
        ("elan-services", ContractKind.CDDI),
        ("elan-services", ContractKind.CDI),
        ("elan-domicile", ContractKind.CDI),
    }

    # Everyone in an insertion post at the AI holds a CDDUA of 6 to 18 months on the step.
    ai_steps = _open_steps(day, StepKind.INSERTION, "elan-emploi")
    assert len(ai_steps) >= 40
    running = []
    for step in ai_steps:
        (contract,) = [c for c in step.contracts.all() if c.is_active_on(day)]
        assert contract.kind == ContractKind.CDDUA and contract.person_id == step.person_id
        first, total = _chain_months(contract)
        assert first >= 6 and total <= 18
        running.append(contract)
    hours = [c.monthly_hours for c in running]
    assert all(h is not None and 0 < h <= Decimal("151.67") for h in hours)
    assert Decimal(75) <= sum(hours) / len(hours) <= Decimal(95), "about 85 h a month"
    cddua = Contract.objects.filter(kind=ContractKind.CDDUA)
    assert cddua.exclude(renews=None).count() >= 5, "some CDDUA are renewed"
    earlier: dict[int, list[tuple[ContractKind, date]]] = defaultdict(list)
    for person_id, start in Contract.objects.filter(kind=ContractKind.CDDU).values_list(
        "person_id", "start"
    ):
        earlier[person_id].append((ContractKind.CDDU, start))
    conversions = [
        c
        for c in cddua.filter(renews=None)
        if is_cddu_conversion(ContractKind.CDDUA, c.start, earlier[c.person_id])
    ]
    assert len(conversions) >= 10, "the seed's CDDU → CDDUA conversions"

    # The two EI posts: a CDDI of 4 to 24 months, 20 to 35 hours a week.
    ei_steps = _open_steps(day, StepKind.INSERTION, "elan-services")
    assert len(ei_steps) == 2
    for step in ei_steps:
        (contract,) = [c for c in step.contracts.all() if c.is_active_on(day)]
        assert contract.kind == ContractKind.CDDI
        first, total = _chain_months(contract)
        assert first >= 4 and total <= 24
        assert contract.weekly_hours is not None and 20 <= contract.weekly_hours <= 35

    # The seed's 15 CDI at Élan Domicile, from the lasting job's first day, mostly part time.
    jobs = list(PathwayStep.objects.filter(kind=StepKind.LASTING_JOB, entity__slug="elan-domicile"))
    cdi = list(
        Contract.objects.filter(kind=ContractKind.CDI, entity__slug="elan-domicile").select_related(
            "pathway_step"
        )
    )
    assert len(jobs) == len(cdi) == 15
    assert {c.pathway_step for c in cdi} == set(jobs)
    for contract in cdi:
        assert contract.entity.slug == "elan-domicile" and contract.planned_end is None
        assert contract.start == contract.pathway_step.started_on
    weekly = [c.weekly_hours for c in cdi if c.weekly_hours is not None]
    assert len(weekly) == len(cdi) and all(24 <= h <= 35 for h in weekly)
    assert sum(h < 35 for h in weekly) >= 2 * len(weekly) / 3
    # And the seed's 3 CDI at Élan Services, outside the IAE, each on its lasting job.
    services = Contract.objects.filter(kind=ContractKind.CDI, entity__slug="elan-services")
    assert services.count() == 3
    for contract in services.select_related("pathway_step"):
        job = contract.pathway_step
        assert job is not None and job.kind == StepKind.LASTING_JOB
        assert job.entity_id == contract.entity_id and job.started_on == contract.start

    # Insertion contracts belong to the insertion step they start in; exits end the last one.
    for contract in Contract.objects.exclude(kind=ContractKind.CDI).select_related("pathway_step"):
        own = contract.pathway_step
        assert own is not None and own.kind == StepKind.INSERTION
        assert (own.person_id, own.entity_id) == (contract.person_id, contract.entity_id)
        assert own.is_open_on(contract.start)
    for exit_ in Exit.objects.select_related("step"):
        assert exit_.step is not None
        last = Contract.objects.filter(pathway_step=exit_.step).order_by("start", "pk").last()
        assert last is not None and last.actual_end == exit_.exit_on
        assert last.end_reason == END_REASONS[ExitReason(exit_.reason)]

    # Clients of every kind the cap distinguishes; one company barred by a recent dismissal.
    clients = list(Client.objects.select_related("entity"))
    assert {c.entity.slug for c in clients} == {"elan-emploi", "elan-services", "elan-domicile"}
    ai_kinds = {c.kind for c in clients if c.entity.slug == "elan-emploi"}
    assert ai_kinds >= {
        ClientKind.COMPANY,
        ClientKind.ASSOCIATION,
        ClientKind.LOCAL_AUTHORITY,
        ClientKind.HOUSEHOLD,
    }
    for client in clients:
        client.full_clean()  # SIRETs carry a valid key
        assert (
            client_errors(
                kind=ClientKind(client.kind),
                siret=client.siret,
                economic_dismissal_on=client.economic_dismissal_on,
                today=day,
            )
            == {}
        )
    (barred,) = [c for c in clients if c.economic_dismissal_on is not None]
    assert barred.kind == ClientKind.COMPANY and barred.entity.slug == "elan-emploi"
    assert barred.economic_dismissal_on == day - relativedelta(months=3)
    assert not barred.placements.exists()
    proposal = CapPlacement(
        start=day + timedelta(days=7),
        hours=Decimal(10),
        client_kind=ClientKind.COMPANY,
        client_economic_dismissal_on=barred.economic_dismissal_on,
    )
    check = check_placement([], proposed=proposal, today=day, warning_acknowledged=True)
    assert check.decision == PlacementDecision.REFUSED and check.field == "client"


# --- The demo obeys the rules -------------------------------------------------------------------


@DAYS
def test_every_demo_contract_and_placement_obeys_the_rules(settings: Any, day: date) -> None:
    _load_demo(settings, day)
    contracts = list(Contract.objects.select_related("person", "renews"))
    assert len(contracts) >= 150
    for contract in contracts:
        terms = _terms(contract)
        # A renewal is agreed by the previous term at the latest (art. L1243-13).
        agreed_on = contract.start - timedelta(days=1) if contract.renews else contract.start
        assert contract_errors(terms, today=agreed_on) == [], contract
        if contract.renews is not None:
            assert renewal_errors(_terms(contract.renews), terms) == [], contract
        if contract.actual_end is not None:
            assert (
                end_errors(
                    start=contract.start,
                    planned_end=contract.planned_end,
                    probation_end=contract.probation_end,
                    actual_end=contract.actual_end,
                    reason=EndReason(contract.end_reason),
                )
                == {}
            )
        if contract.probation_end is not None:
            assert contract.start <= contract.probation_end
            assert contract.planned_end is None or contract.probation_end <= contract.planned_end
        if contract.is_active_on(day):
            alerts = register_alerts(today=day, hourly_rate=contract.hourly_rate)
            assert AlertKind.BELOW_SMIC not in {a.kind for a in alerts}, contract

    # The SMIC increases reach the contracts through avenants.
    raises = list(Amendment.objects.filter(changes__has_key="hourly_rate"))
    assert raises
    for amendment in raises:
        old, new = (Decimal(v) for v in amendment.changes["hourly_rate"])
        assert old < new == SMIC_HOURLY.on(amendment.effective_on)
        assert amendment.contract.start < amendment.effective_on

    # Placements: under a CDDU (one) or a CDDUA of the AI, within it, each accepted in turn.
    on_contract: Counter[int] = Counter()
    for rows, _ in _windows_by_worker().values():
        existing: list[CapPlacement] = []
        for placement in rows:
            contract = placement.contract
            assert contract.entity.slug == "elan-emploi"
            assert ContractKind(contract.kind) in PLACEMENT_CONTRACT_KINDS
            errors = placement_errors(
                contract_kind=ContractKind(contract.kind),
                entity_is_ai=True,
                placements_on_contract=on_contract[contract.pk],
                contract_start=contract.start,
                contract_end=contract.end,
                start=placement.start,
                end=placement.end,
                hours=placement.hours,
            )
            assert errors == {}, placement
            check = check_placement(
                existing, proposed=placement.as_rule(), today=day, warning_acknowledged=True
            )
            assert check.decision == PlacementDecision.ACCEPTED, check.status.message
            existing.append(placement.as_rule())
            on_contract[contract.pk] += 1


# --- The 480 h cap ------------------------------------------------------------------------------


def test_no_window_passes_the_cap_and_some_workers_come_close(settings: Any) -> None:
    _load_demo(settings, TODAY)
    workers = _windows_by_worker()
    assert len(workers) >= 60
    assert Counter(Placement.objects.values_list("client__kind", flat=True)).keys() >= {
        ClientKind.COMPANY,
        ClientKind.HOUSEHOLD,
        ClientKind.ASSOCIATION,
        ClientKind.LOCAL_AUTHORITY,
    }
    current: dict[tuple[int, int], Decimal] = {}
    beyond = []
    for worker, (rows, windows) in workers.items():
        assert all(w.hours <= w.cap == CAP for w in windows), worker
        window = next((w for w in windows if w.start <= TODAY <= w.end), None)
        if window is None:
            continue
        current[worker] = window.hours
        in_window = [p for p in rows if window.start <= p.start <= window.end]
        free = sum(
            (p.hours for p in in_window if not mad_cap_applies(ClientKind(p.client.kind))),
            Decimal(0),
        )
        if window.hours >= 400 and window.hours + free > CAP:
            beyond.append(worker)
    close = [w for w, hours in current.items() if 400 <= hours <= 470]
    warned = [w for w, hours in current.items() if hours >= CAP * Decimal("0.8")]
    assert len(close) >= 3
    assert len(warned) > len(close), "one more at about 80 % of the cap"
    assert beyond, "households and associations beyond 480 h for one of them"
    states = [mad_ledger([p.as_rule() for p in workers[w][0]], today=TODAY).state for w in warned]
    assert set(states) == {LedgerState.WARNING}


# --- HR register --------------------------------------------------------------------------------


def test_the_register_has_habilitations_visits_and_a_staff_loan(settings: Any) -> None:
    _load_demo(settings, TODAY)
    kinds = Counter(Habilitation.objects.values_list("kind", flat=True))
    assert kinds[HabilitationKind.DRIVING_LICENCE_B] >= 5 and kinds[HabilitationKind.FIRST_AID] >= 5
    for habilitation in Habilitation.objects.all():
        assert habilitation.obtained_on <= TODAY
        assert habilitation.expires_on is None or habilitation.obtained_on < habilitation.expires_on

    # The alerts of the register: on each line, the latest visit of the employer.
    alerts: Counter[AlertKind] = Counter()
    for contract in Contract.objects.active_on(TODAY).select_related("person"):
        person = contract.person
        visits = person.medical_visits.filter(entity_id=contract.entity_id)
        assert visits.exists(), f"{person} has a medical visit with their employer"
        for visit in visits:
            assert visit.done_on is not None and visit.done_on < visit.next_due_on
            assert visit.done_on <= TODAY
        lines = register_alerts(
            today=TODAY,
            medical_visit_due=max(v.next_due_on for v in visits),
            habilitations=[(str(h), h.expires_on) for h in person.habilitations.all()],
        )
        alerts.update(a.kind for a in lines)
    assert alerts[AlertKind.MEDICAL_VISIT_DUE] >= 2
    assert alerts[AlertKind.MEDICAL_VISIT_OVERDUE] == 1
    assert alerts[AlertKind.HABILITATION_EXPIRING] >= 1

    # One loan from the association to the EI, with its agreement, consent and avenant.
    loan = StaffLoan.objects.select_related("contract__entity", "borrower", "amendment").get()
    contract = loan.contract
    assert (contract.entity.slug, loan.borrower.slug) == ("elan-emploi", "elan-services")
    assert loan.agreement_reference and loan.consent_on <= loan.start <= TODAY <= loan.end
    assert loan.amendment is not None and loan.amendment.contract == contract
    assert "staff_loan" in loan.amendment.changes
    assert (
        staff_loan_errors(
            lender_id=contract.entity_id,
            lender_group_id=contract.entity.group_id,
            borrower_id=loan.borrower_id,
            borrower_group_id=loan.borrower.group_id,
            contract_start=contract.start,
            contract_end=contract.end,
            start=loan.start,
            end=loan.end,
            consent_on=loan.consent_on,
            weekly_hours=loan.weekly_hours,
            contract_weekly_hours=contract.weekly_hours,
        )
        == {}
    )
    assert AuditEntry.objects.filter(action="contracts.staff_lent").count() == 1


# --- Idempotent and deterministic ---------------------------------------------------------------


def test_load_demo_adds_no_contract_the_second_time(settings: Any) -> None:
    _load_demo(settings, TODAY)
    counts, content = _counts(), _fingerprint()
    assert counts["Contract"] >= 150 and counts["Placement"] >= 500

    _load_demo(settings, TODAY)
    assert _counts() == counts and _fingerprint() == content
    # Another day: the people keep their contracts and placements, nothing is added.
    _load_demo(settings, TODAY + timedelta(days=40))
    assert _counts() == counts

    # From scratch, the same day gives the same contracts and placements (seeded, not random).
    wipe_database()
    assert not Contract.objects.exists()
    _load_demo(settings, TODAY)
    assert _fingerprint() == content
