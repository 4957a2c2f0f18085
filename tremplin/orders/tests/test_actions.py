from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.models import ClientRequirement
from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.models import HabilitationKind
from tremplin.contracts.tests.factories import ContractFactory, HabilitationFactory
from tremplin.missions.tests.factories import ContractFactory as AiContractFactory
from tremplin.missions.tests.factories import ai_entity
from tremplin.orders import actions
from tremplin.orders.models import Absence, AbsenceKind, OrderKind
from tremplin.orders.rules import PARIS
from tremplin.orders.tests.factories import InterventionFactory, OrderFactory, ServiceFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 1, 5)


@pytest.fixture
def world() -> dict[str, Any]:
    order = OrderFactory()
    contract = ContractFactory(
        entity=order.entity, person__entity=order.entity, start=date(2026, 1, 1)
    )
    return {
        "order": order,
        "worker": contract.person,
        "contract": contract,
        "user": user_with_role(Role.PLANNER, order.entity),
    }


def test_generation_is_idempotent_and_reports_existing(world: dict[str, Any]) -> None:
    order, user = world["order"], world["user"]
    first = actions.generate_interventions(
        order, start=date(2026, 1, 1), end=date(2026, 1, 31), by=user
    )
    assert (first.created, first.existing) == (4, 0)
    second = actions.generate_interventions(
        order, start=date(2026, 1, 1), end=date(2026, 2, 10), by=user
    )
    assert (second.created, second.existing) == (2, 4)
    assert order.interventions.count() == 6
    first_one = order.interventions.order_by("start").first()
    assert first_one.start.astimezone(PARIS).time() == time(9)


def test_an_exception_cancels_the_planned_intervention(world: dict[str, Any]) -> None:
    order, user = world["order"], world["user"]
    actions.generate_interventions(order, start=date(2026, 1, 1), end=date(2026, 1, 31), by=user)
    actions.add_order_exception(order, day=date(2026, 1, 13), reason="Client absent", by=user)
    assert order.interventions.get(day=date(2026, 1, 13)).status == "cancelled"
    again = actions.generate_interventions(
        order, start=date(2026, 1, 1), end=date(2026, 1, 31), by=user
    )
    assert again.created == 0


def test_assignment_sets_worker_and_contract(world: dict[str, Any]) -> None:
    intervention = InterventionFactory(order=world["order"])
    actions.assign_worker(intervention, worker=world["worker"], today=TODAY, by=world["user"])
    intervention.refresh_from_db()
    assert intervention.worker == world["worker"]
    assert intervention.contract == world["contract"]


def test_double_booking_in_another_entity_of_the_group_is_refused(world: dict[str, Any]) -> None:
    worker = world["worker"]
    other_order = OrderFactory(client__entity__group=world["order"].entity.group)
    InterventionFactory(order=other_order, worker=worker)
    intervention = InterventionFactory(order=world["order"])
    with pytest.raises(actions.AssignmentRefused) as refused:
        actions.assign_worker(intervention, worker=worker, today=TODAY, by=world["user"])
    assert "Double réservation" in refused.value.errors[0]
    intervention.refresh_from_db()
    assert intervention.worker is None


def test_absence_and_missing_habilitation_are_both_reported(world: dict[str, Any]) -> None:
    worker, order = world["worker"], world["order"]
    Absence.objects.create(
        person=worker,
        entity=order.entity,
        kind=AbsenceKind.LEAVE,
        start=date(2026, 1, 12),
        end=date(2026, 1, 16),
    )
    ClientRequirement.objects.create(client=order.client, habilitation=HabilitationKind.FIRST_AID)
    HabilitationFactory(person=worker, first_aid=True, expires_on=date(2026, 1, 1))
    with pytest.raises(actions.AssignmentRefused) as refused:
        actions.assign_worker(
            InterventionFactory(order=order), worker=worker, today=TODAY, by=world["user"]
        )
    text = " ".join(refused.value.errors)
    assert "Absence : le salarié est absent du 12/01/2026 au 16/01/2026" in text
    assert "Habilitation exigée par le client : Sauveteur secouriste du travail (SST)" in text


def test_weekly_hours_of_the_contract_are_a_ceiling(world: dict[str, Any]) -> None:
    worker, order, contract = world["worker"], world["order"], world["contract"]
    for day in (12, 14, 15):  # 3 × 8 h = 24 h already planned this week under the contract
        InterventionFactory(
            order=OrderFactory(client=order.client),
            day=date(2026, 1, day),
            planned_hours=Decimal(8),
            worker=worker,
            contract=contract,
        )
    intervention = InterventionFactory(order=order, planned_hours=Decimal("2.5"))
    with pytest.raises(actions.AssignmentRefused) as refused:
        actions.assign_worker(intervention, worker=worker, today=TODAY, by=world["user"])
    assert "durée hebdomadaire du contrat de 26,00 h" in refused.value.errors[0]


def test_without_a_running_contract_the_worker_is_refused(world: dict[str, Any]) -> None:
    intervention = InterventionFactory(order=world["order"], day=date(2027, 1, 12))
    with pytest.raises(actions.AssignmentRefused) as refused:
        actions.assign_worker(intervention, worker=world["worker"], today=TODAY, by=world["user"])
    assert refused.value.errors[0].startswith("Contrat : aucun contrat de travail")


def test_ai_placement_counts_planned_interventions_against_the_480h_cap() -> None:
    entity = ai_entity()
    contract = AiContractFactory(entity=entity)
    worker = contract.person
    client = ClientFactory(entity=entity)
    order = OrderFactory(
        client=client,
        kind=OrderKind.PLACEMENT,
        service=ServiceFactory(entity=entity, placement=True),
    )
    user = user_with_role(Role.PLANNER, entity)
    # 479 h already planned with companies in the window (one long placement intervention).
    InterventionFactory(
        order=order, day=date(2026, 1, 6), planned_hours=Decimal(479), worker=worker
    )
    intervention = InterventionFactory(order=order, planned_hours=Decimal(2))
    with pytest.raises(actions.AssignmentRefused) as refused:
        actions.assign_worker(intervention, worker=worker, today=TODAY, by=user)
    assert "Plafond de mise à disposition" in refused.value.errors[-1]
    assert "au-delà du plafond" in refused.value.errors[-1]


def test_bulk_assignment_of_the_usual_worker(world: dict[str, Any]) -> None:
    order, worker, user = world["order"], world["worker"], world["user"]
    order.usual_worker = worker
    order.save()
    actions.generate_interventions(order, start=date(2026, 1, 1), end=date(2026, 1, 31), by=user)
    Absence.objects.create(
        person=worker,
        entity=order.entity,
        kind=AbsenceKind.TRAINING,
        start=date(2026, 1, 20),
        end=date(2026, 1, 20),
    )
    result = actions.assign_usual_worker(order, today=TODAY, by=user)
    assert result.assigned == 3
    assert [i.day for i, _ in result.refused] == [date(2026, 1, 20)]
    assert order.interventions.filter(worker=worker).count() == 3
