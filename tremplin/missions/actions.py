"""Placing an AI's salariés with clients, and recording préfet derogations: atomic, audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.models import Contract
from tremplin.core import audit
from tremplin.missions.models import MadDerogation, Placement
from tremplin.missions.rules import PlacementCheck, PlacementDecision, check_placement
from tremplin.people.models import Person

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity


class PlacementNotSaved(Exception):
    """The cap check did not let the placement through; nothing was written.

    ``check.decision`` is REFUSED (a legal limit) or TO_CONFIRM (the warning threshold is
    reached and the planner has not confirmed reading the warning).
    """

    def __init__(self, check: PlacementCheck) -> None:
        super().__init__(check.status.message)
        self.check = check


@transaction.atomic
def place_worker(
    contract: Contract,
    *,
    client: Client,
    number: str,
    start: date,
    end: date,
    hours: Decimal,
    task: str,
    workplace: str = "",
    hourly_rate: Decimal | None = None,
    warning_acknowledged: bool = False,
    today: date,
    by: User,
) -> tuple[Placement, PlacementCheck]:
    """Create a mission order under ``contract`` if the MAD cap and the dismissal ban allow it.

    Code du travail, art. L5132-9, R5132-18 2° and D5132-18-1: the check covers every placement
    of the salarié by the contract's AI, with the AI's préfet derogations, and is made inside
    this transaction after locking the contract and the salarié: a second planner placing the
    same salarié waits for this one, then counts its hours. Raises :class:`PlacementNotSaved`
    (and writes nothing) when the placement is refused or its warning is not acknowledged.
    """
    # Row locks on PostgreSQL; SQLite takes its single write lock at BEGIN (IMMEDIATE mode).
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("entity")
        .get(pk=contract.pk)
    )
    Person.objects.select_for_update().only("pk").get(pk=contract.person_id)
    entity = contract.entity

    existing = [
        p.as_rule()
        for p in Placement.objects.of_worker(contract.person_id, entity.pk).select_related("client")
    ]
    proposed = contract_rules.Placement(
        start=start,
        hours=hours,
        client_kind=ClientKind(client.kind),
        client_economic_dismissal_on=client.economic_dismissal_on,
    )
    check = check_placement(
        existing,
        proposed=proposed,
        derogations=MadDerogation.objects.filter(entity=entity).ranges(),
        today=today,
        warning_acknowledged=warning_acknowledged,
    )
    if check.decision != PlacementDecision.ACCEPTED:
        raise PlacementNotSaved(check)

    placement = Placement.objects.create(
        contract=contract,
        client=client,
        number=number,
        start=start,
        end=end,
        hours=hours,
        task=task,
        workplace=workplace,
        hourly_rate=hourly_rate,
        created_by=by,
    )
    audit.log(
        placement,
        "missions.placement_created",
        by=by,
        entity=entity,
        data={
            "number": number,
            "client": client.name,
            "client_kind": client.kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "hours": str(hours),
            "cap_state": check.status.state,
            "hours_used_before": str(check.status.hours_used),
            "warning_acknowledged": warning_acknowledged,
        },
    )
    return placement, check


@transaction.atomic
def add_mad_derogation(
    entity: Entity, *, valid_from: date, valid_to: date, reference: str, by: User
) -> MadDerogation:
    """Record a préfet decision letting ``entity`` exceed the MAD cap (art. D5132-18-1)."""
    derogation = MadDerogation.objects.create(
        entity=entity, valid_from=valid_from, valid_to=valid_to, reference=reference
    )
    audit.log(
        derogation,
        "missions.derogation_added",
        by=by,
        entity=entity,
        data={
            "reference": reference,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat(),
        },
    )
    return derogation
