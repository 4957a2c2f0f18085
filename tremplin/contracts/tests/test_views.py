from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup, Tag
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.contracts.models import Amendment, Contract, Funding, Habilitation, StaffLoan
from tremplin.contracts.rules import ContractKind, EndReason, PostType, period_end
from tremplin.contracts.tests.factories import ContractFactory, StaffLoanFactory
from tremplin.core.models import AuditEntry
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import ConventionFactory, EntityFactory, GroupFactory
from tremplin.pathways.models import PathwayStep, StepKind
from tremplin.pathways.tests.factories import PassIaeFactory, PathwayStepFactory
from tremplin.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
START = date(2025, 3, 3)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(datetime(2025, 2, 24, 10, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def world() -> SimpleNamespace:
    group = GroupFactory(name="Groupe Essai")
    ai = EntityFactory(group=group, name="Asso", association=True)
    ConventionFactory(entity=ai, kind=SiaeKind.AI, start=date(2025, 1, 1), end=date(2027, 12, 31))
    services = EntityFactory(group=group, name="Services")
    ConventionFactory(entity=services, kind=SiaeKind.EI)
    home = EntityFactory(group=group, name="Domicile")
    person = PersonFactory(entity=ai, birth_name="Martin", first_name="Lina")
    pass_iae = PassIaeFactory(person=person, entity=ai)  # 06/01/2025 → 05/01/2027
    return SimpleNamespace(
        group=group,
        ai=ai,
        services=services,
        home=home,
        person=person,
        pass_iae=pass_iae,
        hr=user_with_role(Role.HR, ai),
    )


def page_text(response: Any) -> str:
    """The visible text of a page, whitespace (no-break spaces included) folded to one space."""
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def value_of(page: BeautifulSoup, selector: str) -> str:
    """The ``value`` attribute of the element ``selector`` finds."""
    element = page.select_one(selector)
    assert element is not None, selector
    return str(element["value"])


def contract_data(entity: Any, **overrides: str) -> dict[str, str]:
    data = {
        "entity": str(entity.pk),
        "kind": "CDDI",
        "job_title": "Agent polyvalent",
        "rome": "",
        "job_category": "WORKER_EMPLOYEE",
        "start": START.isoformat(),
        "planned_end": period_end(START, 6).isoformat(),
        "weekly_hours": "26",
        "monthly_hours": "",
        "hourly_rate": "12.50",
        "post_type": "",
        "funding": "",
        "probation_end": "",
        "derogation_reason": "",
        "part_time_derogation": "",
        "cddi_derogation": "",
    }
    return {**data, **overrides}


# --- Creating contracts -------------------------------------------------------------------------

BAD_INPUTS = [
    pytest.param(
        {"kind": "CDDU", "planned_end": "", "weekly_hours": ""},
        "Date de fin prévue : obligatoire pour un CDDU (Code du travail, art. L1242-12).",
        id="cddu_without_term",
    ),
    pytest.param(
        {
            "kind": "CDDUA",
            "planned_end": period_end(START, 19).isoformat(),
            "weekly_hours": "",
            "monthly_hours": "85",
        },
        "Date de fin prévue : durée totale d'un CDDUA, renouvellements compris : 18 mois au "
        "plus (pratique du groupe pour le CDD d'usage amélioré)",
        id="cddua_of_19_months",
    ),
    pytest.param(
        {"kind": "CDDI", "weekly_hours": "18"},
        "Durée hebdomadaire : 20 h par semaine au moins pour un CDDI (Code du travail, "
        "art. L5132-5, L5132-11-1 et L5132-15-1) ; en dessous, indiquer le motif de la "
        "dérogation préfectorale.",
        id="cddi_of_18_hours_without_derogation",
    ),
    pytest.param(
        {"kind": "ETTI_MISSION", "planned_end": "2025-04-02", "pass_start": "2025-04-01"},
        "PASS IAE : le PASS IAE ne commence que le 01/04/2025, après le début du contrat "
        "(03/03/2025) (Code du travail, art. L5132-3).",
        id="etti_mission_starting_before_the_pass",
    ),
    pytest.param(
        {"kind": "CDI_INCLUSION", "planned_end": "", "weekly_hours": "24"},
        "Date de naissance : le CDI inclusion est réservé aux personnes de 57 ans et plus au "
        "début du contrat (loi n° 2020-1577 du 14/12/2020) ; 57 ans le 15/06/2042.",
        id="cdi_inclusion_under_57",
    ),
    pytest.param(
        {"kind": "PEC", "planned_end": period_end(START, 13).isoformat(), "weekly_hours": "20"},
        "Date de fin prévue : durée initiale d'un PEC (CUI-CAE) : 12 mois au plus (Code du "
        "travail, art. L5134-25 ; circulaire DGEFP du 11/01/2018) ; fin au plus tard le "
        "02/03/2026.",
        id="pec_of_13_months",
    ),
    pytest.param(
        {"kind": "CDI", "planned_end": "", "weekly_hours": "35", "hourly_rate": "11.87"},
        "Taux horaire brut : 11,87 € est inférieur au SMIC horaire brut en vigueur le "
        "03/03/2025 (11,88 €, Décret n° 2024-951 du 23/10/2024 ; Code du travail, "
        "art. L3231-2).",
        id="cdi_one_cent_under_the_smic",
    ),
    pytest.param(
        {"kind": "CDD", "planned_end": period_end(START, 3).isoformat(), "weekly_hours": "20"},
        "Durée hebdomadaire : 24 h par semaine au moins pour un CDD (Code du travail, "
        "art. L3123-27), sauf dérogation légale (Code du travail, art. L3123-7, L5132-6 et "
        "L5132-7) : la préciser.",
        id="cdd_of_20_hours_without_derogation",
    ),
]


def test_every_contract_kind_is_covered_by_a_bad_input() -> None:
    covered = {p.values[0]["kind"] for p in BAD_INPUTS}  # type: ignore[index]
    assert covered == {k.value for k in ContractKind}


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS)
def test_bad_input_names_the_field_and_the_rule_and_saves_nothing(
    client: Any, world: SimpleNamespace, overrides: dict[str, str], message: str
) -> None:
    overrides = dict(overrides)
    if pass_start := overrides.pop("pass_start", None):
        world.pass_iae.start = date.fromisoformat(pass_start)
        world.pass_iae.save()
    client.force_login(world.hr)
    steps_before = PathwayStep.objects.count()
    response = client.post(
        reverse("contracts:contract_new", args=[world.person.pk]),
        contract_data(world.ai, **overrides),
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert not Contract.objects.exists()
    assert not AuditEntry.objects.exists()
    assert PathwayStep.objects.count() == steps_before
    # What was typed is still there.
    form = BeautifulSoup(response.content, "html.parser")
    assert value_of(form, "#id_job_title") == "Agent polyvalent"
    assert value_of(form, "#id_kind option[selected]") == overrides["kind"]


def test_cddi_gets_its_defaults_and_opens_an_insertion_step(
    client: Any, world: SimpleNamespace
) -> None:
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:contract_new", args=[world.person.pk]), contract_data(world.ai)
    )
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:contract", args=[contract.pk])
    assert contract.post_type == PostType.INSERTION
    assert contract.funding == Funding.AIDE_AU_POSTE
    # 6 months, 26 weeks: one day per week within two weeks (art. L1242-10).
    assert contract.probation_end == date(2025, 3, 16)
    step = contract.pathway_step
    assert step is not None
    assert (step.kind, step.entity, step.siae_kind, step.started_on) == (
        StepKind.INSERTION,
        world.ai,
        SiaeKind.AI,
        START,
    )
    entry = AuditEntry.objects.get()
    assert entry.action == "contracts.contract_created" and entry.actor == world.hr


def test_an_insertion_contract_joins_the_open_step_of_the_entity(
    client: Any, world: SimpleNamespace
) -> None:
    step = PathwayStepFactory(person=world.person, entity=world.ai, started_on=date(2025, 1, 6))
    client.force_login(world.hr)
    client.post(
        reverse("contracts:contract_new", args=[world.person.pk]),
        contract_data(world.ai, kind="CDDU", planned_end="2025-03-31", weekly_hours=""),
    )
    assert Contract.objects.get().pathway_step == step
    assert PathwayStep.objects.count() == 1


def test_a_cdi_after_insertion_in_the_group_opens_a_lasting_job_step(
    client: Any, world: SimpleNamespace
) -> None:
    PathwayStepFactory(
        person=world.person, entity=world.ai, started_on=date(2024, 1, 8), ended_on=START
    )
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:contract_new", args=[world.person.pk]),
        contract_data(world.home, kind="CDI", planned_end="", weekly_hours="28"),
    )
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert (contract.post_type, contract.funding) == (PostType.PERMANENT, Funding.NONE)
    assert contract.probation_end == date(2025, 5, 2)  # 2 months (art. L1221-19)
    step = contract.pathway_step
    assert step is not None
    assert (step.kind, step.entity, step.started_on) == (StepKind.LASTING_JOB, world.home, START)


def test_a_cdi_without_insertion_in_the_group_has_no_pathway_step(
    client: Any, world: SimpleNamespace
) -> None:
    client.force_login(world.hr)
    client.post(
        reverse("contracts:contract_new", args=[world.person.pk]),
        contract_data(world.home, kind="CDI", planned_end="", weekly_hours="35"),
    )
    assert Contract.objects.get().pathway_step is None
    assert not PathwayStep.objects.exists()


def test_a_pec_is_financed_by_the_pec_aid(client: Any, world: SimpleNamespace) -> None:
    client.force_login(world.hr)
    client.post(
        reverse("contracts:contract_new", args=[world.person.pk]),
        contract_data(world.ai, kind="PEC", planned_end=period_end(START, 12).isoformat()),
    )
    contract = Contract.objects.get()
    assert (contract.funding, contract.post_type) == (Funding.PEC, PostType.PERMANENT)


def test_new_contract_page_shows_the_pass_and_offers_the_current_entity(
    client: Any, world: SimpleNamespace
) -> None:
    client.force_login(world.hr)
    response = client.get(reverse("contracts:contract_new", args=[world.person.pk]))
    assert "PASS IAE du 06/01/2025 au 05/01/2027" in page_text(response)
    page = BeautifulSoup(response.content, "html.parser")
    assert value_of(page, "#id_entity option[selected]") == str(world.ai.pk)
    offered = {o["value"] for o in page.select("#id_entity option") if o["value"]}
    assert offered == {str(world.ai.pk), str(world.services.pk), str(world.home.pk)}


# --- Amendments -----------------------------------------------------------------------------


def amend_data(contract: Contract, **overrides: str) -> dict[str, str]:
    data = {
        "planned_end": contract.planned_end.isoformat() if contract.planned_end else "",
        "weekly_hours": str(contract.weekly_hours or ""),
        "monthly_hours": str(contract.monthly_hours or ""),
        "hourly_rate": str(contract.hourly_rate),
        "job_title": contract.job_title,
        "rome": "",
        "job_category": contract.job_category,
        "post_type": contract.post_type,
        "funding": contract.funding,
        "probation_end": contract.probation_end.isoformat() if contract.probation_end else "",
        "derogation_reason": contract.derogation_reason,
        "part_time_derogation": contract.part_time_derogation,
        "cddi_derogation": contract.cddi_derogation,
        "effective_on": "2025-04-01",
        "reason": "Augmentation de la durée du travail",
    }
    return {**data, **overrides}


def test_amendments_change_the_contract_and_keep_their_history(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    url = reverse("contracts:amend", args=[contract.pk])
    assert client.post(url, amend_data(contract, weekly_hours="30")).status_code == 302
    contract.refresh_from_db()
    response = client.post(
        url,
        amend_data(
            contract, hourly_rate="13.10", effective_on="2025-05-01", reason="Revalorisation"
        ),
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.weekly_hours, contract.hourly_rate) == (Decimal(30), Decimal("13.10"))
    first, second = Amendment.objects.filter(contract_id=contract.pk)
    assert first.changes == {"weekly_hours": ["26", "30"]}
    assert first.effective_on == date(2025, 4, 1) and first.created_by == world.hr
    assert second.changes == {"hourly_rate": ["12.5", "13.1"]}
    assert AuditEntry.objects.filter(action="contracts.contract_amended").count() == 2
    text = page_text(client.get(reverse("contracts:contract", args=[contract.pk])))
    assert "01/04/2025 Augmentation de la durée du travail" in text
    assert "Durée hebdomadaire (h) 26 h 30 h" in text
    assert "Taux horaire brut (€) 12,50 € 13,10 €" in text


def test_an_amendment_breaking_a_rule_is_refused_and_nothing_changes(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:amend", args=[contract.pk]), amend_data(contract, weekly_hours="18")
    )
    assert "Durée hebdomadaire : 20 h par semaine au moins pour un CDDI" in page_text(response)
    contract.refresh_from_db()
    assert contract.weekly_hours == Decimal(26)
    assert not Amendment.objects.exists() and not AuditEntry.objects.exists()


def test_an_amendment_that_changes_nothing_is_refused(client: Any, world: SimpleNamespace) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    response = client.post(reverse("contracts:amend", args=[contract.pk]), amend_data(contract))
    assert "Aucune clause ne change : un avenant modifie le contrat." in page_text(response)
    assert not Amendment.objects.exists()


def test_an_amended_rate_must_reach_the_smic_of_its_effective_date(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(
        person=world.person,
        entity=world.ai,
        hourly_rate=Decimal("11.90"),
        planned_end=period_end(START, 12),
    )
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:amend", args=[contract.pk]),
        amend_data(contract, hourly_rate="11.95", effective_on="2026-01-15"),
    )
    assert (
        "Taux horaire brut : 11,95 € est inférieur au SMIC horaire brut en vigueur le 15/01/2026 "
        "(12,02 €" in page_text(response)
    )
    assert not Amendment.objects.exists()


def test_amendment_outside_the_contract_is_refused(client: Any, world: SimpleNamespace) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:amend", args=[contract.pk]),
        amend_data(contract, weekly_hours="30", effective_on="2025-12-01"),
    )
    assert "Date d'effet : postérieure à la fin du contrat (02/09/2025)." in page_text(response)


# --- Renewals -----------------------------------------------------------------------------------


def renew_data(**overrides: str) -> dict[str, str]:
    start = date(2025, 9, 3)
    data = {
        "start": start.isoformat(),
        "planned_end": period_end(start, 6).isoformat(),
        "weekly_hours": "26",
        "monthly_hours": "",
        "hourly_rate": "12.50",
        "derogation_reason": "",
        "part_time_derogation": "",
        "cddi_derogation": "",
    }
    return {**data, **overrides}


def test_renewals_chain_and_count_the_months_already_done(
    client: Any, world: SimpleNamespace
) -> None:
    first = ContractFactory(person=world.person, entity=world.ai)
    step = PathwayStepFactory(person=world.person, entity=world.ai, started_on=START)
    first.pathway_step = step
    first.save()
    client.force_login(world.hr)
    response = client.post(reverse("contracts:renew", args=[first.pk]), renew_data())
    second = Contract.objects.get(renews_id=first.pk)
    assert response["Location"] == reverse("contracts:contract", args=[second.pk])
    assert (second.kind, second.pathway_step, second.probation_end) == ("CDDI", step, None)
    assert second.months_before() == 6
    # A third contract would take the CDDI past 24 months: 12 already done, 12 left.
    response = client.post(
        reverse("contracts:renew", args=[second.pk]),
        renew_data(start="2026-03-03", planned_end=period_end(date(2026, 3, 3), 13).isoformat()),
    )
    assert (
        "Date de fin prévue : durée totale d'un CDDI, renouvellements compris : 24 mois au plus "
        "(Code du travail, art. L5132-5, L5132-11-1 et L5132-15-1) ; avec 12 mois déjà "
        "accomplis, fin au plus tard le 02/03/2027." in page_text(response)
    )
    assert Contract.objects.count() == 2
    page = page_text(client.get(reverse("contracts:contract", args=[second.pk])))
    assert "Renouvelle le contrat du 03/03/2025 au 02/09/2025" in page
    page = page_text(client.get(reverse("contracts:contract", args=[first.pk])))
    assert "Renouvelé par le contrat du 03/09/2025 au 02/03/2026" in page
    assert AuditEntry.objects.filter(action="contracts.contract_renewed").count() == 1


def test_a_renewal_after_a_gap_or_after_the_term_is_refused(
    client: Any, world: SimpleNamespace
) -> None:
    first = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    url = reverse("contracts:renew", args=[first.pk])
    response = client.post(url, renew_data(start="2025-09-10"))
    assert (
        "Date de début : un renouvellement commence le lendemain du terme du contrat renouvelé, "
        "soit le 03/09/2025 ; sinon, c'est un nouveau contrat." in page_text(response)
    )
    with time_machine.travel(datetime(2025, 9, 5, 10, tzinfo=PARIS), tick=False):
        client.force_login(world.hr)  # the session of February has expired
        response = client.post(url, renew_data())
    assert (
        "Date de début : un renouvellement se conclut au plus tard au terme du contrat précédent "
        "(02/09/2025) ; saisi le 05/09/2025 (Code du travail, art. L1243-13)."
        in page_text(response)
    )
    assert Contract.objects.count() == 1


def test_a_cdi_is_not_renewed(client: Any, world: SimpleNamespace) -> None:
    contract = ContractFactory(person=world.person, entity=world.home, cdi=True)
    client.force_login(world.hr)
    response = client.get(reverse("contracts:renew", args=[contract.pk]), follow=True)
    assert "Ce contrat ne peut pas être renouvelé" in page_text(response)


# --- Ending -------------------------------------------------------------------------------------


def test_ending_maps_the_exit_category_and_leads_to_the_exit_of_the_open_step(
    client: Any, world: SimpleNamespace
) -> None:
    step = PathwayStepFactory(person=world.person, entity=world.ai, started_on=START)
    contract = ContractFactory(person=world.person, entity=world.ai, pathway_step=step)
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:end", args=[contract.pk]),
        {"actual_end": "2025-05-15", "end_reason": EndReason.HIRED_CDI},
        follow=True,
    )
    text = page_text(response)
    assert "catégorie de sortie « Emploi durable »" in text
    assert "Catégorie de sortie : Emploi durable" in text
    page = BeautifulSoup(response.content, "html.parser")
    link = page.find("a", string="Déclarer la sortie dans le parcours")
    assert isinstance(link, Tag)
    assert link["href"] == reverse("pathways:exit_new", args=[world.person.pk])
    contract.refresh_from_db()
    step.refresh_from_db()
    assert (contract.actual_end, contract.end_reason) == (date(2025, 5, 15), EndReason.HIRED_CDI)
    assert step.ended_on is None  # closed by the exit, with its category and follow-ups
    entry = AuditEntry.objects.get(action="contracts.contract_ended")
    assert entry.data["exit_category"] == "DURABLE_EMPLOYMENT"
    exit_page = BeautifulSoup(client.get(link["href"]).content, "html.parser")
    assert exit_page.select_one(f'option[value="{step.pk}"]') is not None


def test_ending_keeps_the_step_open_while_a_renewal_runs_in_it(
    client: Any, world: SimpleNamespace
) -> None:
    step = PathwayStepFactory(person=world.person, entity=world.ai, started_on=START)
    first = ContractFactory(person=world.person, entity=world.ai, pathway_step=step)
    ContractFactory(
        person=world.person,
        entity=world.ai,
        pathway_step=step,
        renews=first,
        start=date(2025, 9, 3),
    )
    client.force_login(world.hr)
    client.post(
        reverse("contracts:end", args=[first.pk]),
        {"actual_end": "2025-09-02", "end_reason": EndReason.END_OF_TERM},
    )
    step.refresh_from_db()
    assert step.ended_on is None


def test_the_end_page_lists_reasons_with_their_exit_category(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    text = page_text(client.get(reverse("contracts:end", args=[contract.pk])))
    assert "Entrée en formation qualifiante ou pré-qualifiante Sortie positive" in text
    assert "Déménagement Retrait des sorties constatées à confirmer" in text


def test_end_of_term_on_another_day_is_refused(client: Any, world: SimpleNamespace) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:end", args=[contract.pk]),
        {"actual_end": "2025-06-30", "end_reason": EndReason.END_OF_TERM},
    )
    assert (
        "Motif de fin : « fin du contrat à son terme » suppose une fin effective au terme prévu, "
        "le 02/09/2025" in page_text(response)
    )
    contract.refresh_from_db()
    assert contract.actual_end is None and not AuditEntry.objects.exists()


def test_an_ended_contract_is_neither_amended_nor_ended_again(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai, ended=True)
    client.force_login(world.hr)
    for name in ("amend", "end", "loan_new"):
        response = client.get(reverse(f"contracts:{name}", args=[contract.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("contracts:contract", args=[contract.pk])


# --- Staff loans --------------------------------------------------------------------------------


def loan_data(borrower: Any, **overrides: str) -> dict[str, str]:
    data = {
        "borrower": str(borrower.pk),
        "start": "2025-04-01",
        "end": "2025-06-30",
        "weekly_hours": "10",
        "hourly_cost": "18.40",
        "agreement_reference": "CMAD-2025-01",
        "consent_on": "2025-03-20",
    }
    return {**data, **overrides}


def test_a_loan_creates_its_amendment_and_is_listed_on_the_contract(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(person=world.person, entity=world.home, cdi=True)
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:loan_new", args=[contract.pk]), loan_data(world.services)
    )
    assert response.status_code == 302
    loan = StaffLoan.objects.get()
    assert loan.amendment is not None
    assert loan.amendment.changes == {
        "staff_loan": ["", "Services, du 01/04/2025 au 30/06/2025"],
        "staff_loan_hours": ["", "10 h"],
    }
    assert AuditEntry.objects.filter(action="contracts.staff_lent").count() == 1
    assert AuditEntry.objects.count() == 1
    text = page_text(client.get(reverse("contracts:contract", args=[contract.pk])))
    assert "Services du 01/04/2025 au 30/06/2025 10,00 18,40 € CMAD-2025-01 20/03/2025" in text
    assert "Prêt de main-d'œuvre à Services (convention CMAD-2025-01" in text


def test_a_loan_outside_the_contract_or_without_prior_consent_is_refused(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)  # ends 02/09/2025
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:loan_new", args=[contract.pk]),
        loan_data(world.services, end="2025-10-31", consent_on="2025-04-02"),
    )
    text = page_text(response)
    assert "Fin : postérieure à la fin du contrat (02/09/2025)" in text
    assert "Accord écrit du salarié le : l'accord écrit du salarié précède le début du prêt" in text
    assert not StaffLoan.objects.exists() and not Amendment.objects.exists()


def test_only_entities_of_the_same_group_are_offered_as_borrowers(
    client: Any, world: SimpleNamespace
) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    outsider = EntityFactory()
    client.force_login(world.hr)
    url = reverse("contracts:loan_new", args=[contract.pk])
    page = BeautifulSoup(client.get(url).content, "html.parser")
    offered = {o["value"] for o in page.select("#id_borrower option") if o["value"]}
    assert offered == {str(world.services.pk), str(world.home.pk)}
    response = client.post(url, loan_data(outsider))
    assert response.status_code == 200 and not StaffLoan.objects.exists()


def test_an_overlapping_loan_is_refused(client: Any, world: SimpleNamespace) -> None:
    loan = StaffLoanFactory(
        contract=ContractFactory(person=world.person, entity=world.home, cdi=True),
        borrower=world.services,
    )
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:loan_new", args=[loan.contract.pk]),
        loan_data(world.ai, start="2025-06-01", end="2025-07-31"),
    )
    assert (
        "Début : un autre prêt de ce contrat couvre déjà la période du 01/04/2025 au 30/06/2025."
        in page_text(response)
    )


# --- Habilitations, medical visits, person page ---------------------------------------------------


def test_hr_adds_a_habilitation_and_a_medical_visit(client: Any, world: SimpleNamespace) -> None:
    ContractFactory(person=world.person, entity=world.services)
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:habilitation_new", args=[world.person.pk]),
        {"kind": "sst", "label": "", "obtained_on": "2024-06-01", "expires_on": "2026-06-01"},
    )
    assert response["Location"] == reverse("contracts:person_contracts", args=[world.person.pk])
    page = BeautifulSoup(
        client.get(reverse("contracts:medical_visit_new", args=[world.person.pk])).content,
        "html.parser",
    )
    # The employer offered first is the one of the person's contract.
    assert value_of(page, "#id_entity option[selected]") == str(world.services.pk)
    response = client.post(
        reverse("contracts:medical_visit_new", args=[world.person.pk]),
        {"entity": str(world.services.pk), "done_on": "2025-02-10", "next_due_on": "2030-02-10"},
    )
    assert response.status_code == 302
    assert Habilitation.objects.get().expires_on == date(2026, 6, 1)
    assert world.person.medical_visits.get().entity == world.services
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == [
        "contracts.habilitation_added",
        "contracts.medical_visit_added",
    ]
    text = page_text(client.get(reverse("contracts:person_contracts", args=[world.person.pk])))
    assert "Sauveteur secouriste du travail (SST) 01/06/2024 01/06/2026" in text
    assert "Services 10/02/2025 10/02/2030" in text


def test_habilitation_and_visit_dates_are_checked(client: Any, world: SimpleNamespace) -> None:
    client.force_login(world.hr)
    response = client.post(
        reverse("contracts:habilitation_new", args=[world.person.pk]),
        {"kind": "caces", "label": "R489", "obtained_on": "2024-06-01", "expires_on": "2024-01-01"},
    )
    assert "Valable jusqu'au : antérieure à la date d'obtention (01/06/2024)." in page_text(
        response
    )
    response = client.post(
        reverse("contracts:medical_visit_new", args=[world.person.pk]),
        {"entity": str(world.ai.pk), "done_on": "2025-02-10", "next_due_on": "2025-02-01"},
    )
    assert "Prochaine visite avant le : postérieure à la visite réalisée (10/02/2025)." in (
        page_text(response)
    )
    assert not AuditEntry.objects.exists()


def test_person_page_lists_only_contracts_of_entities_the_user_reads(
    client: Any, world: SimpleNamespace
) -> None:
    ContractFactory(person=world.person, entity=world.ai, job_title="Ménage en AI")
    ContractFactory(person=world.person, entity=world.home, cdi=True, job_title="Aide à domicile")
    client.force_login(user_with_role(Role.CIP, world.ai))
    text = page_text(client.get(reverse("contracts:person_contracts", args=[world.person.pk])))
    assert "Ménage en AI" in text and "Aide à domicile" not in text
    assert "Nouveau contrat" not in text
    client.force_login(world.hr)
    text = page_text(client.get(reverse("contracts:person_contracts", args=[world.person.pk])))
    assert "Ménage en AI" in text and "Aide à domicile" in text and "Nouveau contrat" in text


def test_a_person_seen_only_through_a_contract_is_visible_to_that_entity(
    client: Any, world: SimpleNamespace
) -> None:
    ContractFactory(person=world.person, entity=world.home, cdi=True, job_title="Aide à domicile")
    client.force_login(user_with_role(Role.PLANNER, world.home))
    response = client.get(reverse("contracts:person_contracts", args=[world.person.pk]))
    assert response.status_code == 200 and "Aide à domicile" in page_text(response)


# --- Roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        pytest.param(Role.DIRECTION, 200, 200, id="direction"),
        pytest.param(Role.HR, 200, 200, id="hr"),
        pytest.param(Role.CIP, 200, 403, id="cip"),
        pytest.param(Role.PLANNER, 200, 403, id="planner"),
        pytest.param(Role.ACCOUNTANT, 200, 403, id="accountant"),
        pytest.param(Role.RECEPTION, 403, 403, id="reception"),
        pytest.param(Role.WORKER, 403, 403, id="worker"),
        pytest.param(Role.CLIENT_CONTACT, 403, 403, id="client_contact"),
        pytest.param(Role.FEDERATION, 403, 403, id="federation"),
    ],
)
def test_who_reads_and_who_writes_contracts(
    client: Any, world: SimpleNamespace, role: Role, read: int, write: int
) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(user_with_role(role, world.ai))
    for name in ("contracts:contract", "contracts:register", "contracts:quality"):
        args = [contract.pk] if name == "contracts:contract" else []
        assert client.get(reverse(name, args=args)).status_code == read, name
    url = reverse("contracts:person_contracts", args=[world.person.pk])
    assert client.get(url).status_code == read
    for name in ("amend", "renew", "end", "loan_new"):
        assert client.get(reverse(f"contracts:{name}", args=[contract.pk])).status_code == write
    for name in ("contract_new", "habilitation_new", "medical_visit_new"):
        url = reverse(f"contracts:{name}", args=[world.person.pk])
        assert client.get(url).status_code == write, name


def test_a_planner_of_another_entity_gets_404(client: Any, world: SimpleNamespace) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(user_with_role(Role.PLANNER, world.home))
    assert client.get(reverse("contracts:contract", args=[contract.pk])).status_code == 404
    url = reverse("contracts:person_contracts", args=[world.person.pk])
    assert client.get(url).status_code == 404


def test_audit_trail_htmx_swap_matches_the_full_page(client: Any, world: SimpleNamespace) -> None:
    contract = ContractFactory(person=world.person, entity=world.ai)
    client.force_login(world.hr)
    url = reverse("contracts:amend", args=[contract.pk])
    for n in range(11):
        client.post(url, amend_data(contract, job_title=f"Poste {n}"))
        contract.refresh_from_db()
    detail = reverse("contracts:contract", args=[contract.pk])
    page = BeautifulSoup(client.get(detail).content, "html.parser")
    assert len(page.select("#audit-trail tbody tr")) == 10
    fragment = BeautifulSoup(
        client.get(detail, {"journal": "tout"}, headers={"HX-Request": "true"}).content,
        "html.parser",
    )
    assert fragment.find("html") is None
    assert len(fragment.select("#audit-trail tbody tr")) == 11
    full = BeautifulSoup(client.get(detail, {"journal": "tout"}).content, "html.parser")
    page.select_one("#audit-trail").replace_with(fragment.select_one("#audit-trail"))
    assert str(page.select_one("#audit-trail")) == str(full.select_one("#audit-trail"))
