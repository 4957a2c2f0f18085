from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import factory

from tremplin.clients.tests.factories import ClientFactory
from tremplin.orders.models import Intervention, Order, OrderKind, Quote, Service
from tremplin.orders.rules import PARIS, ServiceKind, Unit
from tremplin.organisations.tests.factories import EntityFactory


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    class Meta:
        model = Service

    entity = factory.SubFactory(EntityFactory)
    kind = ServiceKind.OFFICE_CLEANING
    name = factory.Sequence(lambda n: f"Prestation {n}")
    unit_price = Decimal("25.00")

    class Params:
        housework = factory.Trait(kind=ServiceKind.HOUSEWORK, unit_price=Decimal("24.00"))
        placement = factory.Trait(kind=ServiceKind.PLACEMENT, unit_price=Decimal("20.00"))
        car_wash = factory.Trait(kind=ServiceKind.CAR_WASH, unit=Unit.VEHICLE)


class QuoteFactory(factory.django.DjangoModelFactory[Quote]):
    class Meta:
        model = Quote

    client = factory.SubFactory(ClientFactory, household=True)
    entity = factory.SelfAttribute("client.entity")
    number = factory.Sequence(lambda n: f"2026-{n:04d}")
    issued_on = date(2026, 1, 5)
    monthly_amount_ttc = Decimal("250.00")
    description = "Ménage hebdomadaire"


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    """A weekly Tuesday 9:00–11:00 order from 06/01/2026."""

    class Meta:
        model = Order

    client = factory.SubFactory(ClientFactory)
    entity = factory.SelfAttribute("client.entity")
    service = factory.SubFactory(ServiceFactory, entity=factory.SelfAttribute("..entity"))
    kind = OrderKind.RECURRING
    first_day = date(2026, 1, 6)
    weekdays = factory.LazyFunction(lambda: [1])
    start_time = time(9)
    end_time = time(11)


class InterventionFactory(factory.django.DjangoModelFactory[Intervention]):
    """A 2 h intervention on Tuesday 13/01/2026 at 9:00."""

    class Meta:
        model = Intervention

    order = factory.SubFactory(OrderFactory)
    entity = factory.SelfAttribute("order.entity")
    day = date(2026, 1, 13)
    start = factory.LazyAttribute(lambda o: datetime.combine(o.day, time(9), tzinfo=PARIS))
    end = factory.LazyAttribute(lambda o: datetime.combine(o.day, time(11), tzinfo=PARIS))
    planned_hours = Decimal("2.00")
