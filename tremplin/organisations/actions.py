"""Changes to the group's entities and conventions: atomic, by a user, audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from tremplin.core import audit
from tremplin.organisations.models import Convention, Entity, FinancialAnnex
from tremplin.organisations.rules import MEASURE_CODES, AnnexState, SiaeKind

if TYPE_CHECKING:
    from tremplin.accounts.models import User


@transaction.atomic
def update_entity(entity: Entity, *, changes: dict[str, list[str]], by: User) -> Entity:
    """Save the already validated ``entity`` and record which fields changed."""
    if not changes:
        return entity
    entity.save(update_fields=list(changes))
    audit.log(entity, "organisations.entity_updated", by=by, data={"changes": changes})
    return entity


@transaction.atomic
def add_convention(
    entity: Entity,
    *,
    kind: SiaeKind,
    number: str,
    start: date,
    end: date | None,
    territory: str = "",
    posts: Decimal | None = None,
    by: User,
) -> Convention:
    """Attach a new IAE convention to ``entity`` with the ASP measure code of its kind."""
    convention = Convention.objects.create(
        entity=entity,
        kind=kind,
        measure_code=MEASURE_CODES[kind],
        number=number,
        start=start,
        end=end,
        territory=territory,
        posts=posts,
    )
    audit.log(
        convention,
        "organisations.convention_added",
        by=by,
        entity=entity,
        data={"kind": kind, "number": number, "start": start.isoformat()},
    )
    return convention


@transaction.atomic
def add_annex(
    convention: Convention,
    *,
    year: int,
    number: str,
    etp: Decimal,
    state: AnnexState,
    by: User,
) -> FinancialAnnex:
    """Record the yearly *annexe financière* of ``convention``."""
    annex = FinancialAnnex.objects.create(
        convention=convention, year=year, number=number, etp=etp, state=state
    )
    audit.log(
        convention,
        "organisations.annex_added",
        by=by,
        entity=convention.entity,
        data={"year": year, "number": number, "etp": str(etp), "state": state},
    )
    return annex
