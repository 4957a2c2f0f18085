from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.models import AccessLogEntry, AuditEntry
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    GroupFactory,
)
from tremplin.pathways import actions, rules
from tremplin.pathways.models import (
    Action,
    Appointment,
    BarrierAssessment,
    BarrierTheme,
    EligibilityDiagnosis,
    Exit,
    Objective,
    PassIae,
    PassProlongation,
    PassSuspension,
    PathwayStep,
    TaskStatus,
    Training,
    person_timeline,
)
from tremplin.pathways.tests.factories import (
    AppointmentFactory,
    EligibilityDiagnosisFactory,
    PassIaeFactory,
    PathwayStepFactory,
)
from tremplin.people.models import DocumentKind, PersonDocument
from tremplin.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
NOTES = "Compte rendu confidentiel : dettes de loyer."
COMMENT = "Observation confidentielle : permis suspendu."


@pytest.fixture
def world(time_machine: Any) -> dict[str, Any]:
    """An association (AI) and a company (EI) of one group; a person in insertion in the AI."""
    time_machine.move_to(NOW, tick=False)
    group = GroupFactory()
    ai = EntityFactory(group=group, name="Asso", association=True)
    ConventionFactory(entity=ai, kind=SiaeKind.AI)
    ei = EntityFactory(group=group, name="Société")
    ConventionFactory(entity=ei, kind=SiaeKind.EI)
    person = PersonFactory(entity=ai, birth_name="Martin")
    step = PathwayStepFactory(person=person, entity=ai, job_title="Agent d'entretien")
    return {
        "group": group,
        "ai": ai,
        "ei": ei,
        "person": person,
        "step": step,
        "cip": user_with_role(Role.CIP, ai),
    }


def text_of(response: Any) -> str:
    """The visible text of a page, whitespace collapsed (no HTML escaping to worry about)."""
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def url(name: str, *args: Any) -> str:
    return reverse(f"pathways:{name}", args=args)


def with_accompaniment(world: dict[str, Any]) -> None:
    """Appointment notes and barrier comments that only accompaniment roles may read."""
    person, ai, cip = world["person"], world["ai"], world["cip"]
    AppointmentFactory(person=person, entity=ai, notes=NOTES, held_on=date(2026, 2, 20))
    actions.assess_barriers(
        person,
        entity=ai,
        assessed_on=date(2026, 2, 20),
        barriers=[(BarrierTheme.MOBILITY, 2, "", COMMENT)],
        by=cip,
    )


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PLANNER, Role.ACCOUNTANT, Role.HR, Role.RECEPTION])
def test_accompaniment_is_refused_to_other_roles(
    client: Any, world: dict[str, Any], role: Role
) -> None:
    client.force_login(user_with_role(role, world["ai"]))
    response = client.get(url("accompaniment", world["person"].pk))
    assert response.status_code == 403
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.CIP, Role.DIRECTION])
def test_each_opening_of_the_accompaniment_is_logged(
    client: Any, world: dict[str, Any], role: Role
) -> None:
    with_accompaniment(world)
    user = user_with_role(role, world["ai"])
    client.force_login(user)
    for _ in range(2):
        response = client.get(url("accompaniment", world["person"].pk))
        assert response.status_code == 200
    assert NOTES in text_of(response) and COMMENT in text_of(response)
    entries = AccessLogEntry.objects.filter(what="pathways.accompaniment_opened")
    assert entries.count() == 2
    assert {(e.actor, e.object_id, e.entity) for e in entries} == {
        (user, str(world["person"].pk), world["ai"])
    }


@pytest.mark.parametrize("role", [Role.PLANNER, Role.ACCOUNTANT])
@pytest.mark.parametrize(
    "name", ["person", "eligibility", "exit_new", "diagnosis_new", "barriers_new"]
)
def test_planners_and_accountants_get_403_on_pathway_pages(
    client: Any, world: dict[str, Any], role: Role, name: str
) -> None:
    client.force_login(user_with_role(role, world["ai"]))
    assert client.get(url(name, world["person"].pk)).status_code == 403


def test_reception_reads_but_does_not_write(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    assert client.get(url("eligibility", world["person"].pk)).status_code == 200
    assert client.get(url("diagnosis_new", world["person"].pk)).status_code == 403
    response = client.post(url("pass_new", world["person"].pk), {"number": "999990000001"})
    assert response.status_code == 403
    assert not PassIae.objects.exists()


@pytest.mark.parametrize("role", [Role.PLANNER, Role.ACCOUNTANT, Role.HR, Role.RECEPTION])
def test_notes_and_comments_appear_on_no_page_of_other_roles(
    client: Any, world: dict[str, Any], role: Role
) -> None:
    with_accompaniment(world)
    world["person"].referent = user = user_with_role(role, world["ai"])
    world["person"].save()
    client.force_login(user)
    pages = [
        reverse("people:person", args=[world["person"].pk]),
        url("person", world["person"].pk),
        url("eligibility", world["person"].pk),
        url("accompaniment", world["person"].pk),
        url("worklist"),
    ]
    for page in pages:
        body = client.get(page).content.decode()
        assert NOTES not in body and COMMENT not in body, page


def test_the_timeline_holds_no_accompaniment_content(world: dict[str, Any]) -> None:
    with_accompaniment(world)
    html = render_to_string(
        "pathways/_timeline.html", {"timeline": person_timeline(world["person"])}
    )
    assert "Agent d&#x27;entretien" in html
    assert NOTES not in html and COMMENT not in html


def _links_for(user: Any, person: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    request.visible_entities = list(user.visible_entities())
    request.entity = request.visible_entities[0]
    return render_to_string("pathways/_person_links.html", {"person": person}, request=request)


def test_person_links_follow_the_viewer_roles(world: dict[str, Any]) -> None:
    person, ai = world["person"], world["ai"]
    accompaniment = url("accompaniment", person.pk)
    cip_links = _links_for(world["cip"], person)
    assert accompaniment in cip_links and url("exit_new", person.pk) in cip_links
    hr_links = _links_for(user_with_role(Role.HR, ai), person)
    assert url("eligibility", person.pk) in hr_links and accompaniment not in hr_links
    reception_links = _links_for(user_with_role(Role.RECEPTION, ai), person)
    assert url("eligibility", person.pk) in reception_links
    assert url("exit_new", person.pk) not in reception_links
    for role in (Role.PLANNER, Role.ACCOUNTANT):
        assert "href" not in _links_for(user_with_role(role, ai), person)
    PathwayStep.objects.filter(pk=world["step"].pk).update(ended_on=date(2026, 2, 27))
    assert url("exit_new", person.pk) not in _links_for(world["cip"], person)


def test_a_person_of_another_entity_is_404_for_a_local_role(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(user_with_role(Role.CIP, world["ei"]))
    assert client.get(url("accompaniment", world["person"].pk)).status_code == 404


# --- Eligibility diagnoses --------------------------------------------------------------------


def proof_of(person: Any) -> PersonDocument:
    return PersonDocument.objects.create(
        person=person,
        kind=DocumentKind.CRITERION_PROOF,
        file="people/x/attestation.pdf",
        original_name="attestation-rsa.pdf",
        content_type="application/pdf",
        size=10,
    )


def test_diagnosis_form_defaults_the_siae_kind_from_the_convention(
    client: Any, world: dict[str, Any]
) -> None:
    other = PersonFactory(entity=world["ei"])
    client.force_login(user_with_role(Role.DIRECTION, world["ai"]))
    page = BeautifulSoup(client.get(url("diagnosis_new", other.pk)).content, "html.parser")
    selected = page.select_one("#id_siae_kind option[selected]")
    assert selected is not None and selected["value"] == "EI"
    levels = [legend.get_text() for legend in page.select(".criteria-level legend")]
    assert levels == ["Niveau 1", "Niveau 2"]


def test_diagnosis_with_a_level_1_criterion_and_its_proof(
    client: Any, world: dict[str, Any]
) -> None:
    person = world["person"]
    proof = proof_of(person)
    client.force_login(world["cip"])
    response = client.post(
        url("diagnosis_new", person.pk),
        {
            "siae_kind": "AI",
            "author_kind": "employer",
            "made_on": "2026-02-27",
            "criteria": ["RSA", "QPV"],
            "proof_RSA": proof.pk,
        },
    )
    assert response.status_code == 302
    diagnosis = EligibilityDiagnosis.objects.get()
    assert diagnosis.entity == world["ai"] and diagnosis.made_by == world["cip"]
    assert {(c.criterion, c.proof) for c in diagnosis.criteria.all()} == {
        ("RSA", proof),
        ("QPV", None),
    }
    assert AuditEntry.objects.filter(action="pathways.diagnosis_recorded").count() == 1
    page = text_of(client.get(url("eligibility", person.pk)))
    assert "Diagnostic du 27/02/2026 éligible valable" in page
    assert "Critère de niveau 1 rempli : Bénéficiaire du RSA." in page
    assert "valable jusqu'au 29/05/2026" in page
    assert "attestation-rsa.pdf" in page


def test_a_diagnosis_without_enough_criteria_shows_the_reasons(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["cip"])
    client.post(
        url("diagnosis_new", world["person"].pk),
        {
            "siae_kind": "EI",
            "author_kind": "employer",
            "made_on": "2026-03-02",
            "criteria": ["QPV"],
        },
    )
    page = text_of(client.get(url("eligibility", world["person"].pk)))
    assert "critères insuffisants" in page
    assert (
        "1 critère de niveau 2 sur 3 requis pour le type de SIAE « Entreprise d'insertion »."
        in page
    )


@pytest.mark.parametrize(
    ("post", "message"),
    [
        pytest.param(
            {"made_on": "2026-03-03"},
            "Date du diagnostic : La date ne peut pas être dans le futur.",
            id="made_on_in_the_future",
        ),
        pytest.param(
            {"made_on": "2021-08-30"},
            "Date du diagnostic : Le paramètre",
            id="made_on_before_the_regime",
        ),
        pytest.param(
            {"author_kind": "prescriber"},
            "Prescripteur habilité : Indiquez le prescripteur habilité",
            id="prescriber_without_name",
        ),
        pytest.param(
            {"criteria": ["QPV"], "proof_RSA": "PROOF"},
            "Justificatif (RSA) : Ce justificatif porte sur un critère non coché.",
            id="proof_of_an_unchecked_criterion",
        ),
    ],
)
def test_bad_diagnosis_is_refused_and_nothing_saved(
    client: Any, world: dict[str, Any], post: dict[str, Any], message: str
) -> None:
    proof = proof_of(world["person"])
    data = {"siae_kind": "AI", "author_kind": "employer", "made_on": "2026-03-01", **post}
    if data.get("proof_RSA") == "PROOF":
        data["proof_RSA"] = proof.pk
    client.force_login(world["cip"])
    response = client.post(url("diagnosis_new", world["person"].pk), data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert not EligibilityDiagnosis.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_prescriber_diagnosis_is_eligible_without_criteria(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["cip"])
    client.post(
        url("diagnosis_new", world["person"].pk),
        {
            "siae_kind": "AI",
            "author_kind": "prescriber",
            "prescriber_name": "France Travail Niort",
            "made_on": "2026-03-02",
        },
    )
    page = text_of(client.get(url("eligibility", world["person"].pk)))
    assert "Prescripteur habilité : France Travail Niort" in page
    assert "valable jusqu'au 01/09/2026" in page


def test_eligibility_page_logs_its_reading(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["cip"])
    client.get(url("eligibility", world["person"].pk))
    assert AccessLogEntry.objects.filter(what="pathways.eligibility_opened").count() == 1


# --- PASS IAE ---------------------------------------------------------------------------------


def test_pass_end_defaults_to_the_rule(client: Any, world: dict[str, Any]) -> None:
    diagnosis = EligibilityDiagnosisFactory(person=world["person"], made_on=date(2026, 2, 1))
    client.force_login(world["cip"])
    response = client.post(
        url("pass_new", world["person"].pk),
        {"number": "99999 2600012", "start": "2026-02-02", "diagnosis": diagnosis.pk},
    )
    assert response.status_code == 302
    pass_iae = PassIae.objects.get()
    assert pass_iae.number == "999992600012"
    assert pass_iae.end == rules.pass_end(date(2026, 2, 2)) == date(2028, 2, 1)
    assert pass_iae.diagnosis == diagnosis
    assert AuditEntry.objects.filter(action="pathways.pass_recorded").count() == 1


@pytest.mark.parametrize(
    ("post", "message"),
    [
        pytest.param(
            {"number": "99999260001"},
            "Numéro : Le numéro de PASS IAE comporte 12 chiffres",
            id="eleven_digits",
        ),
        pytest.param(
            {"number": "99999A600012"},
            "Numéro : Le numéro de PASS IAE comporte 12 chiffres",
            id="a_letter",
        ),
        pytest.param(
            {"end": "2026-02-01"},
            "Fin : La date de fin doit être postérieure ou égale au début.",
            id="end_before_start",
        ),
        pytest.param(
            {"start": "2021-08-30"},
            "Début : Le paramètre « Durée du PASS IAE (jours) » n'a pas de valeur",
            id="start_before_the_regime",
        ),
    ],
)
def test_bad_pass_is_refused_and_nothing_saved(
    client: Any, world: dict[str, Any], post: dict[str, str], message: str
) -> None:
    client.force_login(world["cip"])
    data = {"number": "999992600012", "start": "2026-02-02", "end": "", **post}
    response = client.post(url("pass_new", world["person"].pk), data)
    assert message in text_of(response)
    assert not PassIae.objects.exists()


def test_a_pass_number_of_another_group_is_accepted(client: Any, world: dict[str, Any]) -> None:
    # A PASS follows its holder across structures: another group may mirror the same one.
    PassIaeFactory(number="999993333333")
    client.force_login(world["cip"])
    response = client.post(
        url("pass_new", world["person"].pk), {"number": "999993333333", "start": "2026-02-02"}
    )
    assert response.status_code == 302
    assert world["person"].passes.get().number == "999993333333"


def test_a_second_pass_over_the_first_one_is_refused(client: Any, world: dict[str, Any]) -> None:
    first = PassIaeFactory(person=world["person"], number="999991111111")
    PassIaeFactory(person=PersonFactory(entity=world["ai"]), number="999992222222")
    client.force_login(world["cip"])
    response = client.post(
        url("pass_new", world["person"].pk), {"number": "999992222222", "start": "2026-02-02"}
    )
    page = text_of(response)
    assert "Numéro : Ce numéro de PASS IAE est déjà enregistré dans le groupe." in page
    assert (
        f"Début : La personne a déjà le PASS IAE n° {first.number}, valable du 06/01/2025" in page
    )
    assert PassIae.objects.count() == 2


def test_pass_badges(client: Any, world: dict[str, Any]) -> None:
    PassIaeFactory(person=world["person"], start=date(2024, 3, 1), end=date(2026, 2, 28))
    client.force_login(world["cip"])
    page = BeautifulSoup(client.get(url("eligibility", world["person"].pk)).content, "html.parser")
    badges = [b.get_text() for b in page.select(".pass h3 .badge")]
    assert badges == ["Terminé", "Prolongation possible", "Période de carence"]


# --- Suspensions and prolongations -------------------------------------------------------------


@pytest.fixture
def pass_iae(world: dict[str, Any]) -> PassIae:
    """A PASS from 06/01/2025 to 05/01/2027; on 02/03/2026 its prolongation window is open."""
    return PassIaeFactory(person=world["person"], entity=world["ai"])


@pytest.mark.parametrize(
    ("post", "message"),
    [
        pytest.param(
            {"start": "2026-03-01", "end": "2026-02-01"},
            "Fin : La date de fin de la suspension doit être postérieure ou égale",
            id="end_before_start",
        ),
        pytest.param(
            {"start": "2026-03-01", "end": "2029-03-01"},
            "Fin : La suspension dépasse la durée maximale de 36 mois (suspension du PASS IAE) :"
            " date de fin maximale le 28/02/2029.",
            id="beyond_36_months",
        ),
        pytest.param(
            {"start": "2026-03-03", "end": "2026-04-01"},
            "Début : La suspension ne peut pas commencer dans le futur.",
            id="start_in_the_future",
        ),
        pytest.param(
            {"start": "2025-03-01", "end": "2025-04-01"},
            "Début : La suspension ne peut pas commencer plus de 365 jours avant aujourd'hui",
            id="too_retroactive",
        ),
        pytest.param(
            {"reason": "CONTRAT_PASSERELLE"},
            "Motif : Le motif de suspension « Bascule dans l'expérimentation contrat passerelle »"
            " est réservé aux ACI et EI.",
            id="contrat_passerelle_in_an_ai",
        ),
    ],
)
def test_bad_suspension_is_refused_on_its_field(
    client: Any, world: dict[str, Any], pass_iae: PassIae, post: dict[str, str], message: str
) -> None:
    client.force_login(world["cip"])
    data = {
        "siae_kind": "AI",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "reason": "CONTRACT_SUSPENDED",
        **post,
    }
    response = client.post(url("suspension_new", pass_iae.pk), data)
    assert message in text_of(response)
    assert not PassSuspension.objects.exists()
    assert not AuditEntry.objects.exists()


def test_overlapping_suspension_is_refused(
    client: Any, world: dict[str, Any], pass_iae: PassIae
) -> None:
    PassSuspension.objects.create(
        pass_iae=pass_iae,
        entity=world["ai"],
        start=date(2026, 2, 1),
        end=date(2026, 2, 28),
        reason="CONTRACT_SUSPENDED",
    )
    client.force_login(world["cip"])
    data = {"siae_kind": "AI", "start": "2026-02-15", "end": "2026-03-01"}
    response = client.post(
        url("suspension_new", pass_iae.pk), {**data, "reason": "CONTRACT_BROKEN"}
    )
    assert (
        "Début : La suspension chevauche une suspension existante (du 01/02/2026 au 28/02/2026)."
        in text_of(response)
    )
    assert PassSuspension.objects.count() == 1


def test_suspension_pushes_the_pass_end(
    client: Any, world: dict[str, Any], pass_iae: PassIae
) -> None:
    client.force_login(world["cip"])
    response = client.post(
        url("suspension_new", pass_iae.pk),
        {
            "siae_kind": "AI",
            "start": "2026-02-01",
            "end": "2026-02-28",
            "reason": "CONTRACT_SUSPENDED",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="pathways.pass_suspended")
    assert entry.data["effective_end"] == "2027-02-02"
    page = text_of(client.get(url("eligibility", world["person"].pk)))
    assert "Fin avec suspensions et prolongations 02/02/2027" in page


def prolongation_post(**overrides: str) -> dict[str, str]:
    return {
        "siae_kind": "AI",
        "start": "2027-01-05",
        "end": "2028-01-05",
        "reason": "RQTH",
        "prescriber_name": "Cap emploi",
        "report": "",
        **overrides,
    }


@pytest.mark.parametrize(
    ("post", "message"),
    [
        pytest.param(
            {"start": "2027-01-04"},
            "Début : La prolongation doit commencer à la date de fin du PASS IAE (05/01/2027).",
            id="not_from_the_pass_end",
        ),
        pytest.param(
            {"end": "2028-01-06"},
            "Fin : La prolongation dépasse la durée maximale de 12 mois par demande",
            id="longer_than_12_months",
        ),
        pytest.param(
            {"prescriber_name": ""},
            "Prescripteur consulté : L'avis d'un prescripteur est requis pour ce motif",
            id="rqth_without_prescriber",
        ),
        pytest.param(
            {"siae_kind": "EI", "reason": "PARTICULAR_DIFFICULTIES"},
            "Motif : Le motif de prolongation « Difficultés particulièrement importantes » est"
            " réservé aux AI et ACI (R5132-1-8).",
            id="particular_difficulties_in_an_ei",
        ),
        pytest.param(
            {"reason": "COMPLETE_TRAINING", "prescriber_name": ""},
            "Fin de la formation : Obligatoire pour le motif « Fin d'une formation ».",
            id="training_end_missing",
        ),
        pytest.param(
            {"reason": "COMPLETE_TRAINING", "training_ends_on": "2027-06-30"},
            "Fin : La prolongation pour fin de formation ne peut pas dépasser la fin de la"
            " formation (30/06/2027).",
            id="beyond_the_training",
        ),
    ],
)
def test_bad_prolongation_is_refused_on_its_field(
    client: Any, world: dict[str, Any], pass_iae: PassIae, post: dict[str, str], message: str
) -> None:
    proof = proof_of(world["person"])
    client.force_login(world["cip"])
    data = prolongation_post(report=str(proof.pk), **post)
    response = client.post(url("prolongation_new", pass_iae.pk), data)
    assert message in text_of(response)
    assert not PassProlongation.objects.exists()


def test_prolongation_outside_its_window_is_refused(
    client: Any, world: dict[str, Any], time_machine: Any
) -> None:
    pass_iae = PassIaeFactory(person=world["person"], start=date(2026, 1, 5))  # ends 04/01/2028
    client.force_login(world["cip"])
    response = client.post(
        url("prolongation_new", pass_iae.pk),
        prolongation_post(
            start="2028-01-04", end="2029-01-04", report=str(proof_of(world["person"]).pk)
        ),
    )
    assert (
        "Début : La prolongation doit être demandée entre le 04/01/2027 et le 04/07/2028"
        in text_of(response)
    )
    assert not PassProlongation.objects.exists()
    time_machine.move_to(datetime(2027, 1, 4, 11, tzinfo=UTC), tick=False)
    client.force_login(world["cip"])  # the session of ten months ago has expired
    response = client.post(
        url("prolongation_new", pass_iae.pk),
        prolongation_post(
            start="2028-01-04", end="2029-01-04", report=str(proof_of(world["person"]).pk)
        ),
    )
    assert response.status_code == 302
    assert PassProlongation.objects.count() == 1


def test_a_suspended_pass_cannot_be_prolonged(
    client: Any, world: dict[str, Any], pass_iae: PassIae
) -> None:
    PassSuspension.objects.create(
        pass_iae=pass_iae,
        entity=world["ai"],
        start=date(2026, 3, 1),
        end=date(2026, 3, 10),
        reason="CONTRACT_SUSPENDED",
    )
    client.force_login(world["cip"])
    response = client.post(
        url("prolongation_new", pass_iae.pk),
        prolongation_post(
            start="2027-01-15", end="2028-01-15", report=str(proof_of(world["person"]).pk)
        ),
    )
    page = BeautifulSoup(response.content, "html.parser")
    assert (
        "Un PASS IAE suspendu ne peut pas être prolongé."
        in page.select_one(".alert-danger").get_text()
    )
    assert not PassProlongation.objects.exists()


def test_prolongation_is_recorded_and_moves_the_end(
    client: Any, world: dict[str, Any], pass_iae: PassIae
) -> None:
    report = proof_of(world["person"])
    client.force_login(world["cip"])
    response = client.post(
        url("prolongation_new", pass_iae.pk), prolongation_post(report=str(report.pk))
    )
    assert response.status_code == 302
    prolongation = PassProlongation.objects.get()
    assert prolongation.report == report and prolongation.prescriber_name == "Cap emploi"
    pass_iae.refresh_from_db()
    assert pass_iae.effective_end() == date(2028, 1, 5)
    assert AuditEntry.objects.filter(action="pathways.pass_prolonged").count() == 1


# --- Exits ------------------------------------------------------------------------------------


def exit_post(world: dict[str, Any], **overrides: str) -> dict[str, Any]:
    return {
        "step": world["step"].pk,
        "exit_on": "2026-02-27",
        "reason": "CDI",
        "hours_worked": "420",
        "employer": "Propreté 79",
        **overrides,
    }


@pytest.mark.parametrize(
    ("post", "message"),
    [
        pytest.param(
            {"exit_on": "2025-01-05"},
            "Date de sortie : La date de sortie ne peut pas précéder le début de l'étape"
            " (06/01/2025).",
            id="before_the_step_start",
        ),
        pytest.param(
            {"exit_on": "2026-03-03"},
            "Date de sortie : La date ne peut pas être dans le futur.",
            id="in_the_future",
        ),
        pytest.param(
            {"hours_worked": ""},
            "Heures travaillées : Obligatoire pour une sortie d'AI",
            id="ai_without_hours",
        ),
    ],
)
def test_bad_exit_is_refused_and_the_step_stays_open(
    client: Any, world: dict[str, Any], post: dict[str, str], message: str
) -> None:
    client.force_login(world["cip"])
    response = client.post(url("exit_new", world["person"].pk), exit_post(world, **post))
    assert message in text_of(response)
    assert not Exit.objects.exists()
    world["step"].refresh_from_db()
    assert world["step"].ended_on is None


def test_exit_closes_the_step_and_plans_the_follow_ups(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["cip"])
    response = client.post(url("exit_new", world["person"].pk), exit_post(world))
    assert response.status_code == 302
    exit_ = Exit.objects.get()
    assert (exit_.category, exit_.counted, exit_.siae_kind) == ("DURABLE_EMPLOYMENT", True, "AI")
    assert [f.due_on for f in exit_.follow_ups.all()] == [date(2026, 5, 27), date(2026, 8, 27)]
    world["step"].refresh_from_db()
    assert world["step"].ended_on == date(2026, 2, 27)
    page = text_of(client.get(url("person", world["person"].pk)))
    assert "Sortie du 27/02/2026 — Asso AI" in page
    assert "Emploi durable comptée dans les sorties" in page
    response = client.get(url("exit_new", world["person"].pk))
    assert "Aucune étape d'insertion en cours" in text_of(response)


def test_an_eiti_exit_is_not_counted_and_says_why(client: Any, world: dict[str, Any]) -> None:
    step = PathwayStepFactory(person=world["person"], entity=world["ei"], siae_kind="EITI")
    client.force_login(user_with_role(Role.DIRECTION, world["ai"]))
    form = text_of(client.get(url("exit_new", world["person"].pk)))
    assert "EITI : aucune règle de comptage des sorties n'est connue" in form
    response = client.post(
        url("exit_new", world["person"].pk),
        exit_post(world, step=str(step.pk), hours_worked=""),
    )
    assert response.status_code == 302
    assert Exit.objects.get(step_id=step.pk).counted is False
    page = text_of(client.get(url("person", world["person"].pk)))
    assert "non comptée : aucune règle de comptage connue pour les EITI" in page


def test_follow_up_is_recorded(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["cip"])
    client.post(url("exit_new", world["person"].pk), exit_post(world))
    follow_up = Exit.objects.get().follow_ups.first()
    target = url("follow_up", follow_up.pk)
    response = client.post(target, {"done_on": "2026-02-26", "situation": "CDI"})
    assert "Réalisé le : Le suivi ne peut pas précéder la sortie (27/02/2026)." in text_of(response)
    response = client.post(target, {"done_on": "", "situation": "CDI"})
    assert "Réalisé le : Ce champ est obligatoire." in text_of(response)
    follow_up.refresh_from_db()
    assert follow_up.done_on is None
    response = client.post(
        target, {"done_on": "2026-03-02", "situation": "CDI", "comment": "Toujours en poste"}
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.done_on, follow_up.situation) == (TODAY, "CDI")
    entry = AuditEntry.objects.get(action="pathways.follow_up_recorded")
    assert "Toujours en poste" not in str(entry.data)
    # The comment is for those who write the pathway, not for reception.
    assert "Toujours en poste" in text_of(client.get(url("person", world["person"].pk)))
    client.force_login(user_with_role(Role.RECEPTION, world["ai"]))
    assert "Toujours en poste" not in text_of(client.get(url("person", world["person"].pk)))


def test_a_person_linked_only_by_a_contract_can_be_followed_there(
    client: Any, world: dict[str, Any]
) -> None:
    person = PersonFactory(entity=world["ei"])
    ContractFactory(person=person, entity=world["ai"], cdi=True)
    client.force_login(user_with_role(Role.CIP, world["ai"]))
    assert client.get(url("diagnosis_new", person.pk)).status_code == 200


# --- Accompaniment writes ---------------------------------------------------------------------


def barrier_post(**overrides: str) -> dict[str, str]:
    data = {f"severity_{t.value}": "0" for t in BarrierTheme}
    return {"assessed_on": "2026-03-02", "health_category": "", **data, **overrides}


def test_barrier_form_says_no_medical_detail_and_has_no_health_comment(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["cip"])
    page = BeautifulSoup(client.get(url("barriers_new", world["person"].pk)).content, "html.parser")
    assert "jamais de détail médical" in page.select_one("#health-notice").get_text()
    assert page.select_one("[name=comment_health]") is None
    assert page.select_one("[name=health_category]") is not None


@pytest.mark.parametrize(
    ("post", "message"),
    [
        pytest.param(
            {"assessed_on": "2026-03-03"},
            "Date du diagnostic : La date ne peut pas être dans le futur.",
            id="in_the_future",
        ),
        pytest.param(
            {"health_category": "care_follow_up"},
            "Catégorie (santé) : Sans frein de santé, laissez la catégorie vide",
            id="health_category_without_barrier",
        ),
        pytest.param(
            {"severity_mobility": "7"},
            "Mobilité : Sélectionnez un choix valide.",
            id="unknown_severity",
        ),
    ],
)
def test_bad_barrier_assessment_is_refused(
    client: Any, world: dict[str, Any], post: dict[str, str], message: str
) -> None:
    client.force_login(world["cip"])
    response = client.post(url("barriers_new", world["person"].pk), barrier_post(**post))
    assert message in text_of(response)
    assert not BarrierAssessment.objects.exists()


def test_barrier_assessment_is_recorded_and_shown(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["cip"])
    response = client.post(
        url("barriers_new", world["person"].pk),
        barrier_post(
            severity_health="2",
            health_category="care_follow_up",
            severity_mobility="3",
            comment_mobility=COMMENT,
        ),
    )
    assert response.status_code == 302
    assessment = BarrierAssessment.objects.get()
    assert assessment.barriers.count() == 8
    entry = AuditEntry.objects.get()
    assert entry.data == {"person": world["person"].pk, "assessed_on": "2026-03-02"}
    page = text_of(client.get(url("accompaniment", world["person"].pk)))
    assert "Santé Frein important Suivi de soins en cours" in page
    assert f"Mobilité Frein bloquant {COMMENT}" in page
    # The next assessment starts from this one.
    form = BeautifulSoup(client.get(url("barriers_new", world["person"].pk)).content, "html.parser")
    selected = form.select_one("[name=severity_mobility] option[selected]")
    assert selected is not None and selected["value"] == "3"


def test_appointment_is_logged_without_its_notes_in_the_audit(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["cip"])
    target = url("appointment_new", world["person"].pk)
    response = client.post(target, {"held_on": "2026-03-03", "kind": "individual", "notes": NOTES})
    assert "Date : Un entretien à venir ne peut pas être consigné." in text_of(response)
    assert not Appointment.objects.exists()
    response = client.post(target, {"held_on": "2026-03-02", "kind": "phone", "notes": NOTES})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.referent == world["cip"] and appointment.entity == world["ai"]
    entry = AuditEntry.objects.get()
    assert NOTES not in str(entry.data) and entry.data["held_on"] == "2026-03-02"


def test_training_dates_in_the_wrong_order_are_refused(client: Any, world: dict[str, Any]) -> None:
    client.force_login(world["cip"])
    target = url("training_new", world["person"].pk)
    data = {
        "kind": "pmsmp",
        "title": "Immersion en blanchisserie",
        "organisation": "Blanchisserie du Marais",
        "start": "2026-03-10",
        "end": "2026-03-01",
    }
    response = client.post(target, data)
    assert "Fin : La date de fin doit être postérieure ou égale au début." in text_of(response)
    assert not Training.objects.exists()
    response = client.post(target, {**data, "end": "2026-03-20", "completed": "on"})
    assert response.status_code == 302
    assert Training.objects.get().completed is True
    assert "Immersion (PMSMP) : Immersion en blanchisserie" in text_of(
        client.get(url("person", world["person"].pk))
    )


def test_objective_owner_is_chosen_among_staff_of_the_person_entities(
    client: Any, world: dict[str, Any]
) -> None:
    outsider = user_with_role(Role.CIP, EntityFactory())
    worker = user_with_role(Role.WORKER, world["ai"])
    client.force_login(world["cip"])
    target = url("objective_new", world["person"].pk)
    data = {"title": "Permis B", "theme": "mobility", "due_on": "2026-06-30"}
    for refused in (outsider, worker):
        response = client.post(target, {**data, "owner": refused.pk})
        assert "Responsable : Sélectionnez un choix valide" in text_of(response)
    assert not Objective.objects.exists()
    response = client.post(target, {**data, "owner": world["cip"].pk})
    assert response.status_code == 302
    objective = Objective.objects.get()
    assert (objective.owner, objective.status) == (world["cip"], TaskStatus.TODO)


# --- Status changes with htmx -----------------------------------------------------------------


@pytest.fixture
def objective(world: dict[str, Any]) -> Objective:
    objective = actions.add_objective(
        world["person"],
        entity=world["ai"],
        title="Permis B",
        theme="mobility",
        owner=world["cip"],
        due_on=date(2026, 6, 30),
        by=world["cip"],
    )
    actions.add_action(
        objective,
        title="Inscription à l'auto-école",
        owner=world["cip"],
        due_on=None,
        by=world["cip"],
    )
    return objective


def region_of(soup: BeautifulSoup, selector: str) -> str:
    """A region of a page, its CSRF tokens (masked afresh at each render) blanked."""
    region = soup.select_one(selector)
    for token in region.select("[name=csrfmiddlewaretoken]"):
        token["value"] = ""
    return str(region)


def test_status_change_fragment_equals_the_region_of_a_full_render(
    client: Any, world: dict[str, Any], objective: Objective
) -> None:
    client.force_login(world["cip"])
    page_url = url("accompaniment", world["person"].pk)
    page = BeautifulSoup(client.get(page_url).content, "html.parser")
    region = f"#objective-{objective.pk}"
    assert "À faire" in page.select_one(f"{region} h3").get_text()
    response = client.post(
        url("objective_status", objective.pk),
        {"status": "in_progress"},
        headers={"HX-Request": "true"},
    )
    fragment = BeautifulSoup(response.content, "html.parser")
    assert fragment.find("html") is None
    page.select_one(region).replace_with(fragment.select_one(region))
    full = BeautifulSoup(client.get(page_url).content, "html.parser")
    assert region_of(page, region) == region_of(full, region)
    assert "En cours" in full.select_one(f"{region} h3").get_text()

    action = objective.actions.get()
    response = client.post(
        url("action_status", action.pk), {"status": "done"}, headers={"HX-Request": "true"}
    )
    fragment = BeautifulSoup(response.content, "html.parser")
    full = BeautifulSoup(client.get(page_url).content, "html.parser")
    assert region_of(fragment, region) == region_of(full, region)
    assert "Réalisé" in full.select_one(f"#action-{action.pk}").get_text()


def test_status_change_works_without_javascript(
    client: Any, world: dict[str, Any], objective: Objective
) -> None:
    client.force_login(world["cip"])
    response = client.post(url("objective_status", objective.pk), {"status": "done"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#objective-{objective.pk}")
    objective.refresh_from_db()
    assert objective.status == TaskStatus.DONE
    assert client.get(url("objective_status", objective.pk)).status_code == 405


def test_a_forbidden_status_change_is_refused(
    client: Any, world: dict[str, Any], objective: Objective
) -> None:
    client.force_login(world["cip"])
    client.post(url("objective_status", objective.pk), {"status": "done"})
    before = AuditEntry.objects.count()
    response = client.post(
        url("objective_status", objective.pk),
        {"status": "abandoned"},
        headers={"HX-Request": "true"},
    )
    assert "État : ce changement n'est pas possible" in text_of(response)
    objective.refresh_from_db()
    assert objective.status == TaskStatus.DONE
    assert AuditEntry.objects.count() == before


def test_status_change_is_for_accompaniment_roles(
    client: Any, world: dict[str, Any], objective: Objective
) -> None:
    client.force_login(user_with_role(Role.HR, world["ai"]))
    response = client.post(url("objective_status", objective.pk), {"status": "done"})
    assert response.status_code == 403
    action = Action.objects.get()
    assert client.post(url("action_status", action.pk), {"status": "done"}).status_code == 403
    objective.refresh_from_db()
    assert objective.status == TaskStatus.TODO


# --- Summary page -----------------------------------------------------------------------------


def test_person_page_shows_steps_across_entities_and_the_history(
    client: Any, world: dict[str, Any]
) -> None:
    PathwayStep.objects.filter(pk=world["step"].pk).update(ended_on=date(2025, 12, 31))
    PathwayStepFactory(
        person=world["person"], entity=world["ei"], siae_kind="EI", started_on=date(2026, 1, 5)
    )
    actions.record_pass(
        world["person"],
        entity=world["ai"],
        number="999992500001",
        start=date(2025, 1, 6),
        end=date(2027, 1, 5),
        diagnosis=None,
        by=world["cip"],
    )
    client.force_login(user_with_role(Role.HR, world["ai"]))
    response = client.get(url("person", world["person"].pk))
    page = BeautifulSoup(response.content, "html.parser")
    assert [
        r.select("td")[0].get_text(" ", strip=True) for r in page.select("#steps tbody tr")
    ] == [
        "Asso AI",
        "Société EI",
    ]
    assert "pathways.pass_recorded" in page.select_one(".table-audit").get_text()
    assert page.select_one(f"a[href='{url('accompaniment', world['person'].pk)}']") is None
    assert "Temps passé en insertion dans le groupe : 13,7 mois" in text_of(response)


def test_appointments_show_the_latest_ten_then_all_with_htmx(
    client: Any, world: dict[str, Any]
) -> None:
    for n in range(12):
        AppointmentFactory(person=world["person"], held_on=date(2026, 1, 1 + n), notes=f"n{n}")
    client.force_login(world["cip"])
    page_url = url("accompaniment", world["person"].pk)
    page = BeautifulSoup(client.get(page_url).content, "html.parser")
    assert len(page.select("#appointments tbody tr")) == 10
    assert page.select_one("#appointments tbody td").get_text() == "12/01/2026"
    fragment = BeautifulSoup(
        client.get(page_url, {"entretiens": "tous"}, headers={"HX-Request": "true"}).content,
        "html.parser",
    )
    assert fragment.find("html") is None
    assert len(fragment.select("#appointments tbody tr")) == 12
    full = BeautifulSoup(client.get(page_url, {"entretiens": "tous"}).content, "html.parser")
    assert str(fragment.select_one("#appointments")) == str(full.select_one("#appointments"))
    # Every reading of the notes, the fragment included, is in the access log.
    assert AccessLogEntry.objects.filter(what="pathways.accompaniment_opened").count() == 3
