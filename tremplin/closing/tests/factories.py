"""Factories of the rows the close reads (services, orders, interventions, time entries)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import factory

from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.orders.models import Absence, AbsenceKind, Intervention, Order, OrderKind
from tremplin.orders.rules import PARIS
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntrySource, EntryStatus, TimeEntry


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    class Meta:
        model = Order

    entity = factory.SubFactory(EntityFactory)
    client = factory.SubFactory(ClientFactory, entity=factory.SelfAttribute("..entity"))
    service = factory.SubFactory(ServiceFactory, entity=factory.SelfAttribute("..entity"))
    kind = OrderKind.ONE_OFF
    first_day = date(2026, 1, 1)
    start_time = time(9)
    end_time = time(12)


class InterventionFactory(factory.django.DjangoModelFactory[Intervention]):
    class Meta:
        model = Intervention

    order = factory.SubFactory(OrderFactory)
    entity = factory.SelfAttribute("order.entity")
    day = date(2026, 10, 5)
    start = factory.LazyAttributeSequence(
        lambda o, n: datetime.combine(o.day, time(8), tzinfo=PARIS) + timedelta(minutes=n % 600)
    )
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=3))
    planned_hours = Decimal(3)


class TimeEntryFactory(factory.django.DjangoModelFactory[TimeEntry]):
    """A validated entry of 3 h for an intervention of the worker's entity."""

    class Meta:
        model = TimeEntry

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    intervention = factory.SubFactory(
        InterventionFactory,
        order__entity=factory.SelfAttribute("...entity"),
        day=factory.SelfAttribute("..day"),
        worker=factory.SelfAttribute("..person"),
    )
    client = factory.SelfAttribute("intervention.order.client")
    day = date(2026, 10, 5)
    hours = Decimal(3)
    status = EntryStatus.VALIDATED
    source = EntrySource.STAFF

    class Params:
        declared = factory.Trait(status=EntryStatus.DECLARED)


class AbsenceFactory(factory.django.DjangoModelFactory[Absence]):
    class Meta:
        model = Absence

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    kind = AbsenceKind.SICKNESS
    start = date(2026, 10, 12)
    end = date(2026, 10, 16)


class MonthlyCloseFactory(factory.django.DjangoModelFactory[MonthlyClose]):
    class Meta:
        model = MonthlyClose

    entity = factory.SubFactory(EntityFactory)
    year = 2026
    month = 10
    status = CloseStatus.RUNNING
