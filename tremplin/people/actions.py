"""Changes to intakes and person files: atomic, by a user, audited.

A NIR never enters the audit data: its change is recorded as ``{"nir": "modifié"}``.
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from tremplin.accounts.rules import Role
from tremplin.core import audit
from tremplin.pathways.models import PathwayStep, StepKind
from tremplin.people.models import (
    DocumentKind,
    Intake,
    IntakeChannel,
    NotAdmittedReason,
    Orienter,
    Person,
    PersonDocument,
    PersonJob,
    RomeJob,
    SkillKind,
)
from tremplin.people.rules import IntakeStatus, intake_transition_errors

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity

NIR_CHANGED = "modifié"


@transaction.atomic
def record_intake(
    entity: Entity,
    *,
    person: Person,
    contacted_on: date,
    channel: IntakeChannel,
    orienter: Orienter,
    orienter_name: str = "",
    note: str = "",
    nir: str = "",
    contact: dict[str, str] | None = None,
    by: User,
) -> Intake:
    """Record a first contact of ``person`` with ``entity``, the entity concerned.

    An unsaved ``person`` is a new file, held by ``entity``, with ``nir`` (already validated)
    when given; a saved one is an existing file the intake attaches to, which makes it visible
    to ``entity``. Attaching completes the existing file: its empty contact fields take the
    values of ``contact``, and ``nir`` is stored when the file has none and no other file of
    the group holds it; what the file already has is never overwritten.
    """
    created = person.pk is None
    completed: list[str] = []
    if created:
        person.entity = entity
        if nir:
            person.set_nir(nir)
        person.save()
    else:
        for field, value in (contact or {}).items():
            if value and not getattr(person, field):
                setattr(person, field, value)
                completed.append(field)
        if nir and not person.has_nir:
            taken = Person.objects.filter(
                nir_hash=Person.nir_hash_of(nir, person.entity.group_id)
            ).exists()
            if not taken:
                person.set_nir(nir)
                completed += ["nir_ciphertext", "nir_hash", "nir_masked", "no_nir_reason"]
        if completed:
            person.save(update_fields=completed)
    intake = Intake.objects.create(
        entity=entity,
        person=person,
        contacted_on=contacted_on,
        channel=channel,
        orienter=orienter,
        orienter_name=orienter_name,
        note=note,
        status=IntakeStatus.CONTACTED,
        status_changed_on=contacted_on,
        received_by=by,
    )
    data: dict[str, Any] = {
        "dossier": "créé" if created else "existant",
        "channel": str(channel),
        "orienter": str(orienter),
    }
    if (created and nir) or "nir_hash" in completed:
        data["nir"] = NIR_CHANGED
    if completed:
        data["completed"] = sorted(f for f in completed if not f.startswith(("nir", "no_nir")))
    audit.log(intake, "people.intake_recorded", by=by, data=data)
    return intake


@transaction.atomic
def move_intake(
    intake: Intake,
    *,
    to: IntakeStatus,
    on: date,
    not_admitted_reason: NotAdmittedReason | str = "",
    redirected_to: str = "",
    hired_on: date | None = None,
    job_title: str = "",
    by: User,
) -> PathwayStep | None:
    """Move ``intake`` to the step ``to`` on ``on``; hiring opens a pathway step.

    The step is in the intake's entity: an insertion step, of the kind of the IAE convention in
    force on ``hired_on``, or a lasting job when the entity has none (the group's companies
    outside the IAE). Its referent is the person's; a person without one gets the hiring user
    when that user is an accompagnateur (CIP) of the entity.
    """
    current = IntakeStatus(intake.status)
    errors = intake_transition_errors(
        current, to, not_admitted_reason=str(not_admitted_reason), redirected_to=redirected_to
    )
    if to == IntakeStatus.HIRED and hired_on is None:
        errors.append("Date d'embauche : indiquez la date de début du contrat.")
    if errors:
        raise ValidationError(errors)
    intake.status = to
    intake.status_changed_on = on
    intake.not_admitted_reason = str(not_admitted_reason) if to == IntakeStatus.NOT_ADMITTED else ""
    intake.redirected_to = redirected_to.strip() if to == IntakeStatus.REDIRECTED else ""
    intake.save(
        update_fields=["status", "status_changed_on", "not_admitted_reason", "redirected_to"]
    )
    data: dict[str, Any] = {"from": current.value, "to": to.value}
    if intake.not_admitted_reason:
        data["not_admitted_reason"] = intake.not_admitted_reason
    if intake.redirected_to:
        data["redirected_to"] = intake.redirected_to
    step = None
    if to == IntakeStatus.HIRED and hired_on is not None:
        person = intake.person
        if person.referent_id is None and Role.CIP in by.roles_in(intake.entity):
            person.referent = by
            person.save(update_fields=["referent"])
            data["referent"] = by.pk
        conventions = intake.entity.conventions_in_force(hired_on)
        step = PathwayStep.objects.create(
            person=intake.person,
            entity=intake.entity,
            kind=StepKind.INSERTION if conventions else StepKind.LASTING_JOB,
            siae_kind=conventions[0].kind if conventions else "",
            job_title=job_title.strip(),
            started_on=hired_on,
            referent=intake.person.referent,
        )
        data.update(step=step.pk, kind=step.kind, started_on=hired_on.isoformat())
    audit.log(intake, "people.intake_moved", by=by, data=data)
    return step


@transaction.atomic
def orient_intake(intake: Intake, *, to: Entity, by: User) -> Intake:
    """Hand a waiting intake over to ``to``, another entity of the same group."""
    if to.group_id != intake.entity.group_id:
        raise ValidationError("Orienter vers : la structure doit appartenir au même groupe.")
    previous = intake.entity
    intake.entity = to
    intake.save(update_fields=["entity"])
    audit.log(intake, "people.intake_oriented", by=by, data={"from": previous.name, "to": to.name})
    return intake


@transaction.atomic
def update_person(person: Person, *, changes: dict[str, Any], nir: str = "", by: User) -> Person:
    """Save the already validated ``person`` and record what changed; ``nir`` replaces it."""
    if not changes:
        return person
    fields = [name for name in changes if name != "nir"]
    if nir:
        person.set_nir(nir)
        fields += ["nir_ciphertext", "nir_hash", "nir_masked", "no_nir_reason"]
        changes = {**changes, "nir": NIR_CHANGED}
    person.save(update_fields=fields)
    audit.log(person, "people.person_updated", by=by, data={"changes": changes})
    return person


@transaction.atomic
def add_person_job(
    person: Person, *, rome: RomeJob, kind: SkillKind, note: str = "", by: User
) -> PersonJob:
    """Add a job the person has experience in or wants to do."""
    job = PersonJob.objects.create(person=person, rome=rome, kind=kind, note=note)
    audit.log(person, "people.job_added", by=by, data={"rome": rome.code, "kind": str(kind)})
    return job


@transaction.atomic
def remove_person_job(job: PersonJob, *, by: User) -> None:
    """Remove a job from the person's file."""
    person, data = job.person, {"rome": job.rome.code, "kind": job.kind}
    job.delete()
    audit.log(person, "people.job_removed", by=by, data=data)


@transaction.atomic
def add_person_document(
    person: Person,
    *,
    kind: DocumentKind,
    upload: UploadedFile,
    content_type: str,
    valid_until: date | None = None,
    by: User,
) -> PersonDocument:
    """Store an already checked upload under a random name (``document_path``)."""
    name = PurePath(upload.name or "document").name
    document = PersonDocument(
        person=person,
        kind=kind,
        original_name=name[:255],
        content_type=content_type,
        size=upload.size or 0,
        valid_until=valid_until,
        uploaded_by=by,
    )
    document.file.save(name, upload, save=False)
    document.save()
    audit.log(
        person,
        "people.document_added",
        by=by,
        data={"document": document.pk, "kind": str(kind)},
    )
    return document
