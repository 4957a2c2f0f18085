from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.core.models import AuditEntry
from tremplin.missions import actions
from tremplin.missions.models import MadDerogation, Placement
from tremplin.missions.rules import PlacementDecision
from tremplin.missions.tests.factories import ContractFactory, PlacementFactory, ai_entity

pytestmark = pytest.mark.django_db

DAY = date(2025, 11, 3)


@pytest.fixture
def ai_world() -> dict[str, Any]:
    ai = ai_entity()
    first = ContractFactory(entity=ai, cddu=True, start=date(2025, 2, 1))
    company = ClientFactory(entity=ai)
    PlacementFactory(contract=first, client=company, start=date(2025, 2, 3), hours=Decimal(300))
    second = ContractFactory(entity=ai, person=first.person, cddu=True, start=date(2025, 11, 1))
    return {
        "ai": ai,
        "person": first.person,
        "second": second,
        "company": company,
        "planner": user_with_role(Role.PLANNER, ai),
    }


def place(world: dict[str, Any], hours: str, **kwargs: Any) -> Placement:
    placement, _ = actions.place_worker(
        kwargs.pop("contract", world["second"]),
        client=kwargs.pop("client", world["company"]),
        number="1",
        start=DAY,
        end=DAY,
        hours=Decimal(hours),
        task="Inventaire",
        today=DAY,
        by=world["planner"],
        **kwargs,
    )
    return placement


def test_the_cap_counts_every_contract_of_the_worker_in_the_ai(ai_world: dict[str, Any]) -> None:
    with pytest.raises(actions.PlacementNotSaved) as refused:
        place(ai_world, "181")
    assert refused.value.check.decision == PlacementDecision.REFUSED
    assert "300 h utilisées sur 480 h depuis le 03/02/2025" in str(refused.value)
    assert Placement.objects.count() == 1 and not AuditEntry.objects.exists()


def test_placements_in_another_ai_do_not_count(ai_world: dict[str, Any]) -> None:
    other_ai = ai_entity(group=ai_world["ai"].group)
    elsewhere = ContractFactory(entity=other_ai, person=ai_world["person"])
    PlacementFactory(
        contract=elsewhere, hours=Decimal(400), start=date(2025, 6, 2), end=date(2025, 6, 30)
    )
    placement = place(ai_world, "60", warning_acknowledged=True)
    assert placement.hours == 60


def test_a_warning_is_not_saved_until_acknowledged(ai_world: dict[str, Any]) -> None:
    with pytest.raises(actions.PlacementNotSaved) as pending:
        place(ai_world, "90")
    assert pending.value.check.decision == PlacementDecision.TO_CONFIRM
    assert Placement.objects.count() == 1
    placement = place(ai_world, "90", warning_acknowledged=True)
    entry = AuditEntry.objects.get()
    assert entry.action == "missions.placement_created" and entry.object_id == str(placement.pk)
    assert entry.data == {
        "number": "1",
        "client": ai_world["company"].name,
        "client_kind": "COMPANY",
        "start": "2025-11-03",
        "end": "2025-11-03",
        "hours": "90",
        "cap_state": "WARNING",
        "hours_used_before": "300.00",
        "warning_acknowledged": True,
    }
    assert placement.created_by == ai_world["planner"]


def test_the_ai_derogations_are_applied(ai_world: dict[str, Any]) -> None:
    MadDerogation.objects.create(
        entity=ai_world["ai"], valid_from=DAY, valid_to=date(2028, 11, 2), reference="Arrêté"
    )
    assert place(ai_world, "250").hours == 250


def test_add_mad_derogation_is_audited(ai_world: dict[str, Any]) -> None:
    director = user_with_role(Role.DIRECTION, ai_world["ai"])
    derogation = actions.add_mad_derogation(
        ai_world["ai"],
        valid_from=date(2025, 1, 1),
        valid_to=date(2027, 12, 31),
        reference="Arrêté 79-1",
        by=director,
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.entity) == (
        "missions.derogation_added",
        director,
        ai_world["ai"],
    )
    assert entry.object_id == str(derogation.pk)
