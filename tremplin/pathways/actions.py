"""Changes to a person's pathway: atomic, by a user, one audit entry each.

Every entry carries the person's id (``data["person"]``) so that the pathway pages can show
their history. Accompaniment entries hold ids, dates and codes only: never the notes of an
appointment, the comments of a barrier diagnosis or the titles of objectives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from tremplin.core import audit
from tremplin.organisations.rules import SiaeKind
from tremplin.pathways import rules
from tremplin.pathways.models import (
    Action,
    Appointment,
    AppointmentKind,
    Barrier,
    BarrierAssessment,
    BarrierTheme,
    DiagnosisAuthor,
    DiagnosisCriterion,
    EligibilityDiagnosis,
    Exit,
    ExitFollowUp,
    HealthCategory,
    Objective,
    PassIae,
    PassProlongation,
    PassSuspension,
    PathwayStep,
    Training,
    TrainingKind,
)
from tremplin.pathways.rules import (
    AdministrativeCriterion,
    ExitReason,
    ProlongationReason,
    SuspensionReason,
    TaskStatus,
)

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity
    from tremplin.people.models import Person, PersonDocument, RomeJob


# --- Eligibility and PASS IAE -----------------------------------------------------------------


@transaction.atomic
def record_diagnosis(
    person: Person,
    *,
    entity: Entity,
    siae_kind: SiaeKind,
    author_kind: DiagnosisAuthor,
    prescriber_name: str,
    made_on: date,
    criteria: Mapping[AdministrativeCriterion, PersonDocument | None],
    by: User,
) -> EligibilityDiagnosis:
    """Record an eligibility diagnosis with its administrative criteria and their proofs."""
    diagnosis = EligibilityDiagnosis.objects.create(
        person=person,
        entity=entity,
        siae_kind=siae_kind,
        author_kind=author_kind,
        prescriber_name=prescriber_name if author_kind == DiagnosisAuthor.PRESCRIBER else "",
        made_on=made_on,
        made_by=by,
    )
    DiagnosisCriterion.objects.bulk_create(
        DiagnosisCriterion(diagnosis=diagnosis, criterion=criterion, proof=proof)
        for criterion, proof in criteria.items()
    )
    result = diagnosis.result()
    audit.log(
        diagnosis,
        "pathways.diagnosis_recorded",
        by=by,
        entity=entity,
        data={
            "person": person.pk,
            "made_on": made_on.isoformat(),
            "author_kind": str(author_kind),
            "siae_kind": str(siae_kind),
            "eligible": result.eligible,
        },
    )
    return diagnosis


@transaction.atomic
def record_pass(
    person: Person,
    *,
    entity: Entity,
    number: str,
    start: date,
    end: date,
    diagnosis: EligibilityDiagnosis | None,
    by: User,
) -> PassIae:
    """Mirror a PASS IAE delivered by Les emplois de l'inclusion (domain.md §3.7)."""
    pass_iae = PassIae.objects.create(
        person=person, entity=entity, number=number, start=start, end=end, diagnosis=diagnosis
    )
    audit.log(
        pass_iae,
        "pathways.pass_recorded",
        by=by,
        entity=entity,
        data={
            "person": person.pk,
            "number": number,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    return pass_iae


@transaction.atomic
def suspend_pass(
    pass_iae: PassIae,
    *,
    entity: Entity,
    start: date,
    end: date,
    reason: SuspensionReason,
    by: User,
) -> PassSuspension:
    """Record a suspension declared by the SIAE; the PASS end moves by its length (§3.4)."""
    suspension = PassSuspension.objects.create(
        pass_iae=pass_iae, entity=entity, start=start, end=end, reason=reason
    )
    # Read the PASS again: the caller may hold its suspensions prefetched, without this one.
    fresh = PassIae.objects.prefetch_related("suspensions", "prolongations").get(pk=pass_iae.pk)
    audit.log(
        pass_iae,
        "pathways.pass_suspended",
        by=by,
        entity=entity,
        data={
            "person": pass_iae.person_id,
            "suspension": suspension.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": str(reason),
            "effective_end": fresh.effective_end().isoformat(),
        },
    )
    return suspension


@transaction.atomic
def prolong_pass(
    pass_iae: PassIae,
    *,
    entity: Entity,
    start: date,
    end: date,
    reason: ProlongationReason,
    prescriber_name: str,
    report: PersonDocument | None,
    by: User,
) -> PassProlongation:
    """Record a prolongation granted on the platform (R5132-1-8, domain.md §3.5)."""
    prolongation = PassProlongation.objects.create(
        pass_iae=pass_iae,
        entity=entity,
        start=start,
        end=end,
        reason=reason,
        prescriber_name=prescriber_name,
        report=report,
    )
    audit.log(
        pass_iae,
        "pathways.pass_prolonged",
        by=by,
        entity=entity,
        data={
            "person": pass_iae.person_id,
            "prolongation": prolongation.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": str(reason),
        },
    )
    return prolongation


# --- Exits ------------------------------------------------------------------------------------


@transaction.atomic
def record_exit(
    step: PathwayStep,
    *,
    exit_on: date,
    reason: ExitReason,
    hours_worked: Decimal | None,
    employer: str,
    by: User,
) -> Exit:
    """Close ``step`` on ``exit_on`` and record the exit with its category and counting.

    The category comes from the reason (ASP RefCategorieSort); whether the exit counts from the
    hours worked (AI, ETTI) or the months of contract since the step began (ACI, EI); an EITI
    exit, with no known rule, is recorded as not counted (domain.md §4.5). The follow-ups are
    planned at :func:`rules.follow_up_dates`.
    """
    kind = SiaeKind(step.siae_kind)
    hours = hours_worked if rules.exit_hours_required(kind) and hours_worked else Decimal(0)
    months = rules.insertion_months([(step.started_on, exit_on)], exit_on)
    category = rules.exit_category(reason)
    counted = rules.exit_counts_or_false(
        kind, hours_worked=hours, contract_months=months, on=exit_on
    )
    step.ended_on = exit_on
    step.save(update_fields=["ended_on"])
    exit_ = Exit.objects.create(
        person_id=step.person_id,
        entity_id=step.entity_id,
        step=step,
        exit_on=exit_on,
        reason=reason,
        category=category,
        siae_kind=kind,
        hours_worked=hours,
        contract_months=months,
        counted=counted,
        employer=employer,
    )
    follow_ups = ExitFollowUp.objects.bulk_create(
        ExitFollowUp(exit=exit_, due_on=day) for day in rules.follow_up_dates(exit_on)
    )
    audit.log(
        exit_,
        "pathways.exit_recorded",
        by=by,
        data={
            "person": step.person_id,
            "step": step.pk,
            "exit_on": exit_on.isoformat(),
            "reason": str(reason),
            "category": str(category),
            "counted": counted,
            "follow_ups": [f.due_on.isoformat() for f in follow_ups],
        },
    )
    return exit_


@transaction.atomic
def record_follow_up(
    follow_up: ExitFollowUp, *, done_on: date, situation: ExitReason, comment: str, by: User
) -> ExitFollowUp:
    """Record what a post-exit follow-up found; the comment stays out of the audit log."""
    follow_up.done_on = done_on
    follow_up.situation = situation
    follow_up.comment = comment
    follow_up.save(update_fields=["done_on", "situation", "comment"])
    exit_ = follow_up.exit
    audit.log(
        exit_,
        "pathways.follow_up_recorded",
        by=by,
        data={
            "person": exit_.person_id,
            "follow_up": follow_up.pk,
            "due_on": follow_up.due_on.isoformat(),
            "done_on": done_on.isoformat(),
            "situation": str(situation),
        },
    )
    return follow_up


# --- Accompaniment (restricted): ids and dates only in the audit log --------------------------


@transaction.atomic
def assess_barriers(
    person: Person,
    *,
    entity: Entity,
    assessed_on: date,
    barriers: Sequence[tuple[BarrierTheme, int, HealthCategory | str, str]],
    by: User,
) -> BarrierAssessment:
    """Record a barrier diagnosis: one severity per theme, health as a coded category only."""
    assessment = BarrierAssessment.objects.create(
        person=person, entity=entity, assessed_on=assessed_on, assessed_by=by
    )
    Barrier.objects.bulk_create(
        Barrier(
            assessment=assessment,
            theme=theme,
            severity=severity,
            health_category=health_category if theme is BarrierTheme.HEALTH else "",
            comment=comment,
        )
        for theme, severity, health_category, comment in barriers
    )
    audit.log(
        assessment,
        "pathways.barriers_assessed",
        by=by,
        entity=entity,
        data={"person": person.pk, "assessed_on": assessed_on.isoformat()},
    )
    return assessment


@transaction.atomic
def add_objective(
    person: Person,
    *,
    entity: Entity,
    title: str,
    theme: BarrierTheme | str,
    owner: User,
    due_on: date | None,
    by: User,
) -> Objective:
    """Add an accompaniment objective, to do."""
    objective = Objective.objects.create(
        person=person, entity=entity, title=title, theme=theme, owner=owner, due_on=due_on
    )
    audit.log(
        objective,
        "pathways.objective_added",
        by=by,
        entity=entity,
        data={
            "person": person.pk,
            "objective": objective.pk,
            "owner": owner.pk,
            "due_on": due_on.isoformat() if due_on else "",
        },
    )
    return objective


@transaction.atomic
def add_action(
    objective: Objective, *, title: str, owner: User, due_on: date | None, by: User
) -> Action:
    """Add an action to an objective, to do."""
    action = Action.objects.create(objective=objective, title=title, owner=owner, due_on=due_on)
    audit.log(
        objective,
        "pathways.action_added",
        by=by,
        data={
            "person": objective.person_id,
            "objective": objective.pk,
            "action": action.pk,
            "owner": owner.pk,
            "due_on": due_on.isoformat() if due_on else "",
        },
    )
    return action


def _check_transition(current: str, new: TaskStatus) -> None:
    if not rules.can_change_task_status(TaskStatus(current), new):
        raise ValidationError(
            f"État : passer de « {TaskStatus(current).label} » à « {new.label} » n'est pas"
            " possible."
        )


@transaction.atomic
def change_objective_status(objective: Objective, *, status: TaskStatus, by: User) -> Objective:
    """Move an objective to ``status`` along :data:`rules.TASK_TRANSITIONS`."""
    previous = objective.status
    _check_transition(previous, status)
    objective.status = status
    objective.save(update_fields=["status"])
    audit.log(
        objective,
        "pathways.objective_status_changed",
        by=by,
        data={
            "person": objective.person_id,
            "objective": objective.pk,
            "from": previous,
            "to": str(status),
        },
    )
    return objective


@transaction.atomic
def change_action_status(action: Action, *, status: TaskStatus, by: User) -> Action:
    """Move an action to ``status`` along :data:`rules.TASK_TRANSITIONS`."""
    previous = action.status
    _check_transition(previous, status)
    action.status = status
    action.save(update_fields=["status"])
    objective = action.objective
    audit.log(
        objective,
        "pathways.action_status_changed",
        by=by,
        data={
            "person": objective.person_id,
            "objective": objective.pk,
            "action": action.pk,
            "from": previous,
            "to": str(status),
        },
    )
    return action


@transaction.atomic
def log_appointment(
    person: Person,
    *,
    entity: Entity,
    held_on: date,
    kind: AppointmentKind,
    notes: str,
    by: User,
) -> Appointment:
    """Add an appointment of the referent (``by``) to the log; its notes stay out of the audit."""
    appointment = Appointment.objects.create(
        person=person, entity=entity, held_on=held_on, kind=kind, referent=by, notes=notes
    )
    audit.log(
        appointment,
        "pathways.appointment_logged",
        by=by,
        entity=entity,
        data={
            "person": person.pk,
            "appointment": appointment.pk,
            "held_on": held_on.isoformat(),
            "kind": str(kind),
        },
    )
    return appointment


@transaction.atomic
def add_training(
    person: Person,
    *,
    entity: Entity,
    kind: TrainingKind,
    title: str,
    organisation: str,
    start: date,
    end: date | None,
    rome: RomeJob | None,
    completed: bool,
    certification: str,
    by: User,
) -> Training:
    """Record a training or an immersion in a company (PMSMP) during the pathway."""
    training = Training.objects.create(
        person=person,
        entity=entity,
        kind=kind,
        title=title,
        organisation=organisation,
        start=start,
        end=end,
        rome=rome,
        completed=completed,
        certification=certification,
    )
    audit.log(
        training,
        "pathways.training_added",
        by=by,
        entity=entity,
        data={
            "person": person.pk,
            "training": training.pk,
            "kind": str(kind),
            "start": start.isoformat(),
            "end": end.isoformat() if end else "",
        },
    )
    return training
