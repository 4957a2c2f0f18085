from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import factory

from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.orders.models import Intervention, Order, OrderKind
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets import rules
from tremplin.timesheets.models import (
    ClientSignOff,
    EntrySource,
    EntryStatus,
    TimeEntry,
)


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    class Meta:
        model = Order

    entity = factory.SubFactory(EntityFactory)
    client = factory.SubFactory(ClientFactory, entity=factory.SelfAttribute("..entity"))
    service = factory.SubFactory(ServiceFactory, entity=factory.SelfAttribute("..entity"))
    kind = OrderKind.ONE_OFF
    first_day = date(2026, 11, 1)
    start_time = time(9)
    end_time = time(12)


class InterventionFactory(factory.django.DjangoModelFactory[Intervention]):
    """A 3-hour morning intervention of a worker on ``day``."""

    class Meta:
        model = Intervention

    entity = factory.SubFactory(EntityFactory)
    order = factory.SubFactory(OrderFactory, entity=factory.SelfAttribute("..entity"))
    worker = factory.SubFactory(PersonFactory, entity=factory.SelfAttribute("..entity"))
    day = date(2026, 11, 20)
    start = factory.LazyAttribute(lambda o: datetime.combine(o.day, time(8), tzinfo=UTC))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=3))
    planned_hours = Decimal(3)


def _close_month(entry: TimeEntry, create: bool, extracted: object, **kwargs: object) -> None:
    if create:
        MonthlyClose.objects.update_or_create(
            entity=entry.entity,
            year=entry.day.year,
            month=entry.day.month,
            defaults={"status": CloseStatus.CLOSED},
        )


class TimeEntryFactory(factory.django.DjangoModelFactory[TimeEntry]):
    class Meta:
        model = TimeEntry
        skip_postgeneration_save = True

    entity = factory.SubFactory(EntityFactory)
    person = factory.SubFactory(PersonFactory, entity=factory.SelfAttribute("..entity"))
    client = factory.SubFactory(ClientFactory, entity=factory.SelfAttribute("..entity"))
    day = date(2026, 11, 10)
    hours = Decimal("3.50")
    source = EntrySource.STAFF
    status = EntryStatus.DECLARED

    class Params:
        validated = factory.Trait(status=EntryStatus.VALIDATED)
        # A validated entry of a closed month: the close locks the month, not the row.
        locked = factory.Trait(
            status=EntryStatus.VALIDATED, month_closed=factory.PostGeneration(_close_month)
        )


TOKEN = "jeton-de-test-" + "x" * 30


class ClientSignOffFactory(factory.django.DjangoModelFactory[ClientSignOff]):
    """A sign-off whose link token is ``TOKEN`` (or ``token=…``)."""

    class Meta:
        model = ClientSignOff
        exclude = ["token"]

    token = TOKEN
    client = factory.SubFactory(ClientFactory)
    year = 2026
    month = 11
    token_hash = factory.LazyAttribute(lambda o: rules.hash_token(o.token))
    expires_on = date(2026, 12, 26)

    class Params:
        signed = factory.Trait(
            signed_at=factory.LazyFunction(lambda: datetime(2026, 11, 27, 9, tzinfo=UTC)),
            signed_by_name="Alex Martin",
            total_hours=Decimal(10),
        )
