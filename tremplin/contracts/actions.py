"""Changes to contracts and to the HR register: atomic, by a user, audited once per call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q

from tremplin.contracts.models import (
    Amendment,
    Contract,
    Habilitation,
    HabilitationKind,
    MedicalVisit,
    StaffLoan,
    amendment_value,
)
from tremplin.contracts.rules import (
    INSERTION_KINDS,
    ContractKind,
    EndReason,
    exit_category_for,
    format_decimal,
)
from tremplin.core import audit
from tremplin.core.dates import format_date
from tremplin.pathways.models import PathwayStep, StepKind

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity
    from tremplin.people.models import Person


def _insertion_step(contract: Contract) -> PathwayStep:
    """The person's open insertion step in the contract's entity, or a new one."""
    step = (
        PathwayStep.objects.filter(
            person=contract.person,
            entity=contract.entity,
            kind=StepKind.INSERTION,
            ended_on__isnull=True,
        )
        .order_by("-started_on", "-pk")
        .first()
    )
    if step is not None:
        return step
    conventions = contract.entity.conventions_in_force(contract.start)
    return PathwayStep.objects.create(
        person=contract.person,
        entity=contract.entity,
        kind=StepKind.INSERTION,
        siae_kind=conventions[0].kind if conventions else "",
        job_title=contract.job_title,
        started_on=contract.start,
    )


def _lasting_job_step(contract: Contract) -> PathwayStep | None:
    """A lasting-job step for a CDI of someone who went through insertion in the group."""
    had_insertion = PathwayStep.objects.filter(
        person=contract.person,
        kind=StepKind.INSERTION,
        entity__group_id=contract.entity.group_id,
    ).exists()
    if not had_insertion:
        return None
    step = PathwayStep.objects.filter(
        person=contract.person,
        entity=contract.entity,
        kind=StepKind.LASTING_JOB,
        ended_on__isnull=True,
    ).first()
    return step or PathwayStep.objects.create(
        person=contract.person,
        entity=contract.entity,
        kind=StepKind.LASTING_JOB,
        job_title=contract.job_title,
        started_on=contract.start,
    )


@transaction.atomic
def create_contract(contract: Contract, *, by: User) -> Contract:
    """Save the already validated new ``contract`` and link it to the person's pathway.

    An insertion contract joins the person's open insertion step in the entity, or opens one
    (with the SIAE kind of the entity's convention in force); a CDI of someone who had an
    insertion step anywhere in the group opens a lasting-job step (the seed's AI leavers hired
    by the home-services company).
    """
    kind = ContractKind(contract.kind)
    if kind in INSERTION_KINDS:
        contract.pathway_step = _insertion_step(contract)
    elif kind is ContractKind.CDI:
        contract.pathway_step = _lasting_job_step(contract)
    contract.save()
    audit.log(
        contract,
        "contracts.contract_created",
        by=by,
        data={
            "kind": contract.kind,
            "start": contract.start.isoformat(),
            "planned_end": amendment_value(contract.planned_end),
            "pathway_step": contract.pathway_step_id,
        },
    )
    return contract


@transaction.atomic
def renew_contract(previous: Contract, *, renewal: Contract, by: User) -> Contract:
    """Save the validated ``renewal`` of ``previous``: same kind, same pathway step."""
    renewal.renews = previous
    renewal.pathway_step = previous.pathway_step
    renewal.save()
    audit.log(
        renewal,
        "contracts.contract_renewed",
        by=by,
        data={
            "renews": previous.pk,
            "start": renewal.start.isoformat(),
            "planned_end": amendment_value(renewal.planned_end),
        },
    )
    return renewal


@transaction.atomic
def amend_contract(
    contract: Contract,
    *,
    changes: Mapping[str, object],
    effective_on: date,
    reason: str,
    by: User,
) -> Amendment:
    """Record an avenant and give the contract its new values.

    The avenant keeps ``{field: [old, new]}`` as text for ever: it is never edited.
    """
    recorded: dict[str, list[str]] = {}
    for name, new in changes.items():
        recorded[name] = [amendment_value(getattr(contract, name)), amendment_value(new)]
        setattr(contract, name, new)
    contract.save(update_fields=list(changes))
    amendment = Amendment.objects.create(
        contract=contract,
        effective_on=effective_on,
        reason=reason,
        changes=recorded,
        created_by=by,
    )
    audit.log(
        contract,
        "contracts.contract_amended",
        by=by,
        data={"effective_on": effective_on.isoformat(), "reason": reason, "changes": recorded},
    )
    return amendment


@transaction.atomic
def end_contract(contract: Contract, *, on: date, reason: EndReason, by: User) -> Contract:
    """Record the actual end of ``contract``; close its pathway step if nothing else runs in it."""
    contract.actual_end = on
    contract.end_reason = reason
    contract.save(update_fields=["actual_end", "end_reason"])
    step = contract.pathway_step
    step_ended = False
    # An insertion step stays open: it ends when the exit is declared in the pathway (which
    # records its category and follow-ups). A lasting job ends with its last contract.
    if step is not None and step.ended_on is None and step.kind == StepKind.LASTING_JOB:
        still_running = (
            step.contracts.exclude(pk=contract.pk)
            .filter(
                Q(actual_end__gt=on)
                | Q(actual_end__isnull=True, planned_end__isnull=True)
                | Q(actual_end__isnull=True, planned_end__gt=on)
            )
            .exists()
        )
        if not still_running:
            step.ended_on = max(on, step.started_on)
            step.save(update_fields=["ended_on"])
            step_ended = True
    audit.log(
        contract,
        "contracts.contract_ended",
        by=by,
        data={
            "actual_end": on.isoformat(),
            "reason": reason,
            "exit_category": exit_category_for(reason),
            "step_ended": step_ended,
        },
    )
    return contract


@transaction.atomic
def lend_staff(
    contract: Contract,
    *,
    borrower: Entity,
    start: date,
    end: date,
    weekly_hours: Decimal,
    hourly_cost: Decimal,
    agreement_reference: str,
    consent_on: date,
    by: User,
) -> StaffLoan:
    """Lend the worker of ``contract`` to another entity of the group, with its avenant.

    Code du travail, art. L8241-2: the agreement between the entities and the worker's written
    consent are referenced; the amendment to the contract is created here.
    """
    amendment = Amendment.objects.create(
        contract=contract,
        effective_on=start,
        reason=(
            f"Prêt de main-d'œuvre à {borrower.name} (convention {agreement_reference}, "
            "Code du travail, art. L8241-2)"
        ),
        changes={
            "staff_loan": [
                "",
                f"{borrower.name}, du {format_date(start)} au {format_date(end)}",
            ],
            "staff_loan_hours": ["", f"{format_decimal(weekly_hours)} h"],
        },
        created_by=by,
    )
    loan = StaffLoan.objects.create(
        contract=contract,
        borrower=borrower,
        start=start,
        end=end,
        weekly_hours=weekly_hours,
        hourly_cost=hourly_cost,
        agreement_reference=agreement_reference,
        consent_on=consent_on,
        amendment=amendment,
    )
    audit.log(
        contract,
        "contracts.staff_lent",
        by=by,
        data={
            "borrower": borrower.name,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "weekly_hours": str(weekly_hours),
            "hourly_cost": str(hourly_cost),
            "agreement_reference": agreement_reference,
            "consent_on": consent_on.isoformat(),
        },
    )
    return loan


@transaction.atomic
def add_habilitation(
    person: Person,
    *,
    kind: HabilitationKind,
    label: str,
    obtained_on: date,
    expires_on: date | None,
    by: User,
) -> Habilitation:
    """Record a qualification or habilitation of ``person``, with its expiry."""
    habilitation = Habilitation.objects.create(
        person=person, kind=kind, label=label, obtained_on=obtained_on, expires_on=expires_on
    )
    audit.log(
        habilitation,
        "contracts.habilitation_added",
        by=by,
        entity=person.entity,
        data={
            "person": person.pk,
            "kind": kind,
            "obtained_on": obtained_on.isoformat(),
            "expires_on": amendment_value(expires_on),
        },
    )
    return habilitation


@transaction.atomic
def add_medical_visit(
    person: Person,
    *,
    entity: Entity,
    done_on: date | None,
    next_due_on: date,
    by: User,
) -> MedicalVisit:
    """Record an occupational-health visit of ``person`` for its employer ``entity``."""
    visit = MedicalVisit.objects.create(
        person=person, entity=entity, done_on=done_on, next_due_on=next_due_on
    )
    audit.log(
        visit,
        "contracts.medical_visit_added",
        by=by,
        entity=entity,
        data={
            "person": person.pk,
            "done_on": amendment_value(done_on),
            "next_due_on": next_due_on.isoformat(),
        },
    )
    return visit
