from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.core.models import AuditEntry
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import ConventionFactory, EntityFactory
from tremplin.pathways.models import PathwayStep, StepKind
from tremplin.people import actions
from tremplin.people.models import (
    DocumentKind,
    IntakeChannel,
    NotAdmittedReason,
    Orienter,
    Person,
    PersonJob,
    SkillKind,
)
from tremplin.people.rules import Civility, IntakeStatus
from tremplin.people.tests.factories import (
    IntakeFactory,
    PersonFactory,
    PersonJobFactory,
    RomeJobFactory,
    make_nir,
)
from tremplin.people.tests.object_urls import PDF_BYTES

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def entity() -> Any:
    return EntityFactory(name="Asso Essai")


@pytest.fixture
def user(entity: Any) -> Any:
    return user_with_role(Role.RECEPTION, entity)


def no_nir_in_audit(*nirs: str) -> bool:
    text = str(list(AuditEntry.objects.values_list("data", "object_repr")))
    return not any(nir in text for nir in nirs)


def test_record_intake_creates_the_file_held_by_the_entity(entity: Any, user: Any) -> None:
    nir = make_nir("1", 1979, 11)
    person = Person(
        civility=Civility.M,
        birth_name="Morel",
        first_name="Hugo",
        birth_date=date(1979, 11, 3),
    )
    intake = actions.record_intake(
        entity,
        person=person,
        contacted_on=DAY,
        channel=IntakeChannel.PRESCRIBER,
        orienter=Orienter.MISSION_LOCALE,
        orienter_name="Mission locale du Niortais",
        nir=nir,
        by=user,
    )
    person.refresh_from_db()
    assert person.entity == entity and person.reveal_nir() == nir
    assert person.identity_key == "morel|hugo|1979-11-03" and person.name_key == "morel hugo"
    assert intake.status == IntakeStatus.CONTACTED and intake.status_changed_on == DAY
    assert intake.received_by == user
    entry = AuditEntry.objects.get()
    assert entry.action == "people.intake_recorded" and entry.actor == user
    assert entry.entity == entity and entry.object_id == str(intake.pk)
    assert entry.data == {
        "dossier": "créé",
        "channel": "prescriber",
        "orienter": "01",
        "nir": "modifié",
    }
    assert no_nir_in_audit(nir)


def test_record_intake_attaches_to_an_existing_person(entity: Any, user: Any) -> None:
    other = EntityFactory(group=entity.group)
    person = PersonFactory(entity=other, nir=True)
    intake = actions.record_intake(
        entity,
        person=person,
        contacted_on=DAY,
        channel=IntakeChannel.WALK_IN,
        orienter=Orienter.SPONTANEOUS,
        nir=make_nir("2", 1985, 6),  # ignored: the existing file keeps its own
        by=user,
    )
    person.refresh_from_db()
    assert intake.person == person and person.entity == other
    assert Person.objects.visible_in([entity.pk]).get() == person
    assert AuditEntry.objects.get().data["dossier"] == "existant"
    assert "nir" not in AuditEntry.objects.get().data


def test_move_intake_refuses_a_forbidden_move(entity: Any, user: Any) -> None:
    intake = IntakeFactory(entity=entity, person__entity=entity)
    with pytest.raises(ValidationError) as error:
        actions.move_intake(intake, to=IntakeStatus.HIRED, on=DAY, hired_on=DAY, by=user)
    assert error.value.messages == [
        "Étape : passage de « Premier contact » à « Embauché » impossible."
    ]
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.CONTACTED
    assert not AuditEntry.objects.exists() and not PathwayStep.objects.exists()


def test_move_intake_records_the_reason(entity: Any, user: Any) -> None:
    intake = IntakeFactory(entity=entity, person__entity=entity)
    step = actions.move_intake(
        intake,
        to=IntakeStatus.NOT_ADMITTED,
        on=DAY,
        not_admitted_reason=NotAdmittedReason.NO_POSITION,
        redirected_to="ignoré",
        by=user,
    )
    intake.refresh_from_db()
    assert step is None
    assert intake.not_admitted_reason == "no_position" and intake.redirected_to == ""
    assert AuditEntry.objects.get().data == {
        "from": "contacted",
        "to": "not_admitted",
        "not_admitted_reason": "no_position",
    }


def test_hiring_without_a_start_date_is_refused(entity: Any, user: Any) -> None:
    intake = IntakeFactory(entity=entity, person__entity=entity, status=IntakeStatus.DIAGNOSIS)
    with pytest.raises(ValidationError):
        actions.move_intake(intake, to=IntakeStatus.HIRED, on=DAY, by=user)
    assert not PathwayStep.objects.exists()


@pytest.mark.parametrize(
    ("convention", "kind", "siae_kind"),
    [
        pytest.param(
            (date(2025, 1, 1), date(2027, 12, 31)), StepKind.INSERTION, SiaeKind.ETTI, id="in_force"
        ),
        pytest.param(
            (date(2023, 1, 1), date(2026, 3, 15)),
            StepKind.LASTING_JOB,
            "",
            id="ended_the_day_before",
        ),
        pytest.param(
            (date(2026, 3, 16), None), StepKind.INSERTION, SiaeKind.ETTI, id="starts_that_day"
        ),
        pytest.param(None, StepKind.LASTING_JOB, "", id="no_convention"),
    ],
)
def test_hiring_opens_a_step_in_the_intake_entity(
    entity: Any,
    user: Any,
    convention: tuple[date, date | None] | None,
    kind: StepKind,
    siae_kind: str,
) -> None:
    if convention:
        ConventionFactory(entity=entity, kind=SiaeKind.ETTI, start=convention[0], end=convention[1])
    referent = user_with_role(Role.CIP, entity)
    person = PersonFactory(entity=EntityFactory(group=entity.group), referent=referent)
    intake = IntakeFactory(person=person, entity=entity, status=IntakeStatus.DIAGNOSIS)
    step = actions.move_intake(
        intake, to=IntakeStatus.HIRED, on=DAY, hired_on=DAY, job_title=" Agent ", by=user
    )
    assert step == PathwayStep.objects.get()
    assert step.entity == entity and step.person == person and step.referent == referent
    assert step.kind == kind and step.siae_kind == siae_kind and step.job_title == "Agent"
    assert step.started_on == DAY and step.ended_on is None
    entry = AuditEntry.objects.get()
    assert entry.data["step"] == step.pk and entry.data["kind"] == kind


def test_orient_intake_stays_in_the_group(entity: Any, user: Any) -> None:
    intake = IntakeFactory(entity=entity, person__entity=entity)
    sibling = EntityFactory(group=entity.group, name="Insertion Essai")
    with pytest.raises(ValidationError):
        actions.orient_intake(intake, to=EntityFactory(), by=user)
    actions.orient_intake(intake, to=sibling, by=user)
    intake.refresh_from_db()
    assert intake.entity == sibling
    entry = AuditEntry.objects.get()
    assert entry.data == {"from": "Asso Essai", "to": "Insertion Essai"}
    assert entry.entity == sibling


def test_update_person_audits_changes_and_never_the_nir(entity: Any, user: Any) -> None:
    old_nir = make_nir("2", 1985, 6)
    person = PersonFactory(entity=entity, nir=old_nir)
    new_nir = make_nir("2", 1985, 6, department="2B")
    person.usual_name = "Éluard"
    actions.update_person(person, changes={"usual_name": ["", "Éluard"]}, nir=new_nir, by=user)
    person.refresh_from_db()
    assert person.usual_name == "Éluard" and person.reveal_nir() == new_nir
    assert person.nir_masked.startswith("2 85 06 ") and "eluard" in person.name_key
    entry = AuditEntry.objects.get()
    assert entry.data == {"changes": {"usual_name": ["", "Éluard"], "nir": "modifié"}}
    assert no_nir_in_audit(old_nir, new_nir)


def test_update_person_without_changes_writes_nothing(entity: Any, user: Any) -> None:
    person = PersonFactory(entity=entity)
    actions.update_person(person, changes={}, by=user)
    assert not AuditEntry.objects.exists()


def test_jobs_are_added_and_removed_with_an_audit_row_each(entity: Any, user: Any) -> None:
    person = PersonFactory(entity=entity)
    rome = RomeJobFactory(code="K1304", label="Services domestiques")
    job = actions.add_person_job(person, rome=rome, kind=SkillKind.SKILL, note="5 ans", by=user)
    assert PersonJob.objects.get() == job
    actions.remove_person_job(job, by=user)
    assert not PersonJob.objects.exists()
    rows = list(AuditEntry.objects.order_by("pk").values_list("action", "data", "object_id"))
    assert rows == [
        ("people.job_added", {"rome": "K1304", "kind": "skill"}, str(person.pk)),
        ("people.job_removed", {"rome": "K1304", "kind": "skill"}, str(person.pk)),
    ]


def test_remove_job_of_a_person_keeps_the_others(entity: Any, user: Any) -> None:
    kept = PersonJobFactory(person__entity=entity)
    removed = PersonJobFactory(person=kept.person)
    actions.remove_person_job(removed, by=user)
    assert list(PersonJob.objects.all()) == [kept]


def test_add_person_document_stores_the_file_under_a_random_name(
    entity: Any, user: Any, media_root: Path
) -> None:
    person = PersonFactory(entity=entity)
    upload = SimpleUploadedFile("Attestation RSA.pdf", PDF_BYTES)
    document = actions.add_person_document(
        person,
        kind=DocumentKind.CRITERION_PROOF,
        upload=upload,
        content_type="application/pdf",
        valid_until=date(2026, 6, 30),
        by=user,
    )
    assert document.original_name == "Attestation RSA.pdf" and document.size == len(PDF_BYTES)
    stored = str(document.file.name)
    assert "Attestation" not in stored
    assert (media_root / stored).read_bytes() == PDF_BYTES
    entry = AuditEntry.objects.get()
    assert entry.action == "people.document_added"
    assert entry.data == {"document": document.pk, "kind": "criterion_proof"}


@pytest.mark.django_db
def test_hiring_by_a_cip_makes_them_referent_of_a_person_without_one() -> None:
    intake = IntakeFactory.create(status=IntakeStatus.DIAGNOSIS)
    ConventionFactory.create(entity=intake.entity, start=date(2025, 1, 1), end=date(2027, 12, 31))
    cip = user_with_role(Role.CIP, intake.entity)
    step = actions.move_intake(
        intake, to=IntakeStatus.HIRED, on=date(2026, 3, 2), hired_on=date(2026, 3, 2), by=cip
    )
    intake.person.refresh_from_db()
    assert intake.person.referent == cip
    assert step is not None and step.referent == cip and step.kind == StepKind.INSERTION


@pytest.mark.django_db
def test_attaching_completes_the_empty_fields_of_the_existing_file_only() -> None:
    person = PersonFactory.create(phone="0549000001", email="")
    receptionist = user_with_role(Role.RECEPTION, person.entity)
    nir = make_nir("2", person.birth_date.year, person.birth_date.month)
    actions.record_intake(
        person.entity,
        person=person,
        contacted_on=date(2026, 3, 2),
        channel=IntakeChannel.WALK_IN,
        orienter=Orienter.SPONTANEOUS,
        nir=nir,
        contact={"phone": "0699999999", "email": "nouvelle@exemple.test", "city": ""},
        by=receptionist,
    )
    person.refresh_from_db()
    assert person.phone == "0549000001"  # never overwritten
    assert person.email == "nouvelle@exemple.test" and person.reveal_nir() == nir
    entry = AuditEntry.objects.get(action="people.intake_recorded")
    assert entry.data["completed"] == ["email"] and entry.data["nir"] == "modifié"
    assert nir not in str(entry.data)
