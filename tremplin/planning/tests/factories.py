"""Factories of the planning engine's rows, and of a small located week to plan.

The week is the one of Monday 12/01/2026 (no public holiday). Places are around Niort.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import factory

from tremplin.clients.models import ClientSite
from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.orders.models import Intervention, Order
from tremplin.orders.rules import PARIS
from tremplin.orders.tests.factories import OrderFactory
from tremplin.organisations.models import Entity
from tremplin.organisations.tests.factories import EntityFactory, SiteFactory
from tremplin.people.models import Person
from tremplin.people.tests.factories import PersonFactory
from tremplin.planning.models import (
    PlanningLock,
    PlanningRun,
    ProposedAssignment,
    RunStatus,
    RunWorker,
    UnservedIntervention,
    UnservedReason,
    WorkerHome,
)

MONDAY = date(2026, 1, 12)
NIORT = (Decimal("46.323700"), Decimal("-0.464800"))


class ClientSiteFactory(factory.django.DjangoModelFactory[ClientSite]):
    """A client's place of work in Niort, with coordinates."""

    class Meta:
        model = ClientSite

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Lieu {n}")
    address = "5 rue du Marché"
    postal_code = "79000"
    city = "Niort"
    latitude = Decimal("46.325000")
    longitude = Decimal("-0.460000")

    class Params:
        unlocated = factory.Trait(latitude=None, longitude=None)


class WorkerHomeFactory(factory.django.DjangoModelFactory[WorkerHome]):
    class Meta:
        model = WorkerHome

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    latitude = Decimal("46.300000")
    longitude = Decimal("-0.480000")


class PlanningRunFactory(factory.django.DjangoModelFactory[PlanningRun]):
    """A run of the week of 12/01/2026 with a proposal ready."""

    class Meta:
        model = PlanningRun

    entity = factory.SubFactory(EntityFactory)
    week = MONDAY
    status = RunStatus.DONE
    progress = 100
    step = "Proposition prête"
    seconds = 2

    class Params:
        running = factory.Trait(status=RunStatus.RUNNING, progress=40, step="Recherche")


class RunWorkerFactory(factory.django.DjangoModelFactory[RunWorker]):
    class Meta:
        model = RunWorker

    run = factory.SubFactory(PlanningRunFactory)
    person = factory.SubFactory(PersonFactory, entity=factory.SelfAttribute("..run.entity"))
    min_hours = Decimal(20)
    target_hours = Decimal(26)
    max_hours = Decimal(26)
    planned_hours = Decimal(20)
    current_hours = Decimal(18)
    home_latitude, home_longitude = NIORT


class ProposedAssignmentFactory(factory.django.DjangoModelFactory[ProposedAssignment]):
    class Meta:
        model = ProposedAssignment

    run = factory.SubFactory(PlanningRunFactory)
    intervention = factory.SubFactory(
        "tremplin.orders.tests.factories.InterventionFactory",
        order__client__entity=factory.SelfAttribute("....run.entity"),
    )
    worker = factory.SubFactory(PersonFactory, entity=factory.SelfAttribute("..run.entity"))
    start = factory.SelfAttribute("intervention.start")
    end = factory.SelfAttribute("intervention.end")
    latitude = Decimal("46.325000")
    longitude = Decimal("-0.460000")
    changed = True


class UnservedFactory(factory.django.DjangoModelFactory[UnservedIntervention]):
    class Meta:
        model = UnservedIntervention

    run = factory.SubFactory(PlanningRunFactory)
    intervention = factory.SubFactory(
        "tremplin.orders.tests.factories.InterventionFactory",
        order__client__entity=factory.SelfAttribute("....run.entity"),
    )
    reason = UnservedReason.CAPACITY
    message = "Capacité insuffisante"


class PlanningLockFactory(factory.django.DjangoModelFactory[PlanningLock]):
    class Meta:
        model = PlanningLock

    entity = factory.SelfAttribute("intervention.entity")
    intervention = factory.SubFactory("tremplin.orders.tests.factories.InterventionFactory")
    worker = factory.SubFactory(PersonFactory, entity=factory.SelfAttribute("..entity"))


# --- A small week to plan --------------------------------------------------------------------


def located_entity(**kwargs: Any) -> Entity:
    """An entity whose head office has coordinates (the routes' default starting point)."""
    entity: Entity = EntityFactory(**kwargs)  # type: ignore[assignment]
    SiteFactory(entity=entity, latitude=NIORT[0], longitude=NIORT[1])
    return entity


def worker(entity: Entity, name: str, **contract: Any) -> Person:
    """A person with a contract of ``entity`` covering the week (a CDDI of 26 h by default)."""
    person: Person = PersonFactory(entity=entity, birth_name=name)  # type: ignore[assignment]
    ContractFactory(
        person=person,
        entity=entity,
        start=contract.pop("start", date(2025, 12, 1)),
        planned_end=contract.pop("planned_end", date(2026, 6, 30)),
        **contract,
    )
    return person


def order(entity: Entity, *, located: bool = True, **kwargs: Any) -> Order:
    """A recurring order of a client of ``entity`` whose place of work has coordinates."""
    client = kwargs.pop("client", None) or ClientFactory(entity=entity)
    site = ClientSiteFactory(client=client, unlocated=not located)
    return OrderFactory(client=client, site=site, **kwargs)


def intervention(
    the_order: Order, day: date, start: time = time(9), hours: int = 2, **kwargs: Any
) -> Intervention:
    """An intervention of ``the_order`` on ``day`` from ``start``."""
    begin = datetime.combine(day, start, tzinfo=PARIS)
    return Intervention.objects.create(
        order=the_order,
        entity=the_order.entity,
        day=day,
        start=begin,
        end=begin + timedelta(hours=hours),
        planned_hours=Decimal(hours),
        **kwargs,
    )
