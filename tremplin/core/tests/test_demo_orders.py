"""The demo's catalogue, orders, interventions and hours: shape, planning rules, the worker's
phone page, idempotency and the monthly close of the past months."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from tremplin.accounts.demo import email_for
from tremplin.accounts.models import User
from tremplin.closing.actions import close_month, reopen_close, start_close
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.contracts.models import Contract
from tremplin.orders.demo import ORDERS, SERVICES, window
from tremplin.orders.models import (
    Intervention,
    InterventionStatus,
    Order,
    OrderKind,
    Quote,
    QuoteStatus,
    Service,
)
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.models import Entity
from tremplin.people.models import Person
from tremplin.timesheets.models import EntryStatus, TimeEntry

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 26)  # a Thursday
MODELS = ("orders", "timesheets", "closing")


def _load_demo(settings: Any, day: date = TODAY) -> None:
    settings.DEBUG = True
    moment = datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)
    with time_machine.travel(moment, tick=False):
        call_command("load_demo", stdout=StringIO())


def _counts() -> dict[str, int]:
    return {
        model.__name__: model._default_manager.count()
        for label in MODELS
        for model in apps.get_app_config(label).get_models()
    }


def test_catalogue_orders_interventions_and_entries_have_the_expected_shape(
    settings: Any,
) -> None:
    _load_demo(settings)
    first, last = window(TODAY)
    assert (first, last) == (date(2026, 8, 1), date(2026, 11, 30))
    catalogue = set(Service.objects.values_list("entity__slug", "kind", "unit"))
    assert catalogue == {(s.entity, s.kind, s.unit) for s in SERVICES}
    assert Order.objects.count() == len(ORDERS)
    for order in Order.objects.select_related("client", "service", "usual_worker"):
        assert order.usual_worker is not None
        assert order.first_day == first
        interventions = order.interventions.all()
        assert interventions.exists()
        assert {i.day.weekday() for i in interventions} <= set(order.weekdays)
        assert min(i.day for i in interventions) < first + relativedelta(days=14)
        assert max(i.day for i in interventions) > last - relativedelta(days=14)
        assert {i.worker_id for i in interventions} == {order.usual_worker.pk}
        for intervention in interventions:
            assert intervention.contract is not None
            assert intervention.contract.person_id == order.usual_worker.pk
            assert intervention.contract.entity_id == order.entity_id
            assert (
                Contract.objects.filter(pk=intervention.contract.pk)
                .active_on(intervention.day)
                .exists()
            )
        if order.service.kind == ServiceKind.PLACEMENT:
            assert order.kind == OrderKind.PLACEMENT
        if order.entity.slug == "elan-domicile":
            assert {i.planned_hours for i in interventions} <= {
                Decimal(2),
                Decimal("2.5"),
                Decimal(3),
            }
            assert order.quote is not None
            assert order.quote.status == QuoteStatus.ACCEPTED
            assert order.quote.accepted_on is not None
            assert order.quote.accepted_on <= order.first_day
    assert Quote.objects.filter(status=QuoteStatus.ACCEPTED).count() == 8

    past = Intervention.objects.filter(day__lt=TODAY)
    assert TimeEntry.objects.filter(intervention__in=past).count() == past.count()
    assert not TimeEntry.objects.filter(day__gte=TODAY).exists()
    assert TimeEntry.objects.filter(intervention__isnull=True).count() == 0
    statuses: dict[tuple[int, int], set[str]] = defaultdict(set)
    for day, status in TimeEntry.objects.values_list("day", "status"):
        statuses[(day.year, day.month)].add(status)
    assert statuses[(2026, 8)] == {EntryStatus.VALIDATED}
    assert statuses[(2026, 9)] == {EntryStatus.VALIDATED}
    assert statuses[(2026, 10)] == {EntryStatus.VALIDATED, EntryStatus.DECLARED}
    assert statuses[(2026, 11)] == {EntryStatus.DECLARED}
    for entry in TimeEntry.objects.select_related("intervention"):
        assert entry.intervention is not None
        assert entry.hours == entry.intervention.planned_hours
        assert entry.person_id == entry.intervention.worker_id
        # Realised once its hours are validated; still planned while they wait for validation.
        realised = entry.status == EntryStatus.VALIDATED
        assert (entry.intervention.status == InterventionStatus.DONE) is realised
    # The invoicing demo closes (and invoices) the months before last; last month stays open.
    assert set(MonthlyClose.objects.values_list("year", "month", "status")) == {
        (2026, 8, CloseStatus.CLOSED),
        (2026, 9, CloseStatus.CLOSED),
    }


def test_no_worker_is_double_booked_or_over_the_weekly_hours(settings: Any) -> None:
    _load_demo(settings)
    by_worker: dict[int, list[Intervention]] = defaultdict(list)
    for intervention in Intervention.objects.exclude(status=InterventionStatus.CANCELLED):
        assert intervention.worker_id is not None
        by_worker[intervention.worker_id].append(intervention)
    assert len(by_worker) >= 10
    for interventions in by_worker.values():
        interventions.sort(key=lambda i: i.start)
        for before, after in zip(interventions, interventions[1:], strict=False):
            assert before.end <= after.start, (before, after)
        weeks: dict[tuple[int, int], Any] = defaultdict(int)
        for intervention in interventions:
            weeks[intervention.day.isocalendar()[:2]] += intervention.planned_hours
            contract = intervention.contract
            assert contract is not None
            if contract.weekly_hours:
                same_contract = sum(
                    i.planned_hours
                    for i in interventions
                    if i.contract_id == contract.pk
                    and i.day.isocalendar()[:2] == intervention.day.isocalendar()[:2]
                )
                assert same_contract <= contract.weekly_hours
        assert max(weeks.values()) <= 48


def test_the_worker_account_sees_this_week_s_interventions(settings: Any) -> None:
    _load_demo(settings)
    person = Person.objects.get(user__email=email_for("salarie"))
    monday = TODAY - relativedelta(days=TODAY.weekday())
    this_week = person.interventions.filter(day__gte=monday, day__lte=TODAY)
    assert this_week.exists()
    assert (
        Contract.objects.filter(person=person, entity__slug="elan-emploi").active_on(TODAY).exists()
    )
    browser = HttpClient()
    browser.force_login(User.objects.get(email=email_for("salarie")))
    with time_machine.travel(datetime(2026, 11, 26, 12, tzinfo=PARIS), tick=False):
        response = browser.get(reverse("timesheets:my_hours"))
    assert response.status_code == 200
    page = response.content.decode()
    for intervention in this_week.select_related("order__client"):
        assert f'id="card-{intervention.pk}"' in page
        assert intervention.order.client.name.replace("'", "&#x27;") in page


def test_a_second_load_adds_nothing(settings: Any) -> None:
    _load_demo(settings)
    before = _counts()
    _load_demo(settings)
    assert _counts() == before
    assert before["Intervention"] > 400
    assert before["TimeEntry"] > 300


@pytest.mark.parametrize("months_ago", [2, 3])
def test_the_months_before_last_close_on_the_demo_data(settings: Any, months_ago: int) -> None:
    _load_demo(settings)
    month = TODAY.replace(day=1) - relativedelta(months=months_ago)
    for entity in Entity.objects.filter(orders__isnull=False).distinct():
        entries = TimeEntry.objects.filter(
            entity=entity, day__year=month.year, day__month=month.month
        )
        assert entries.exists()
        demo_close = MonthlyClose.objects.get(entity=entity, year=month.year, month=month.month)
        reopen_close(demo_close, reason="Contrôle des heures", by=None)
        close = start_close(
            entity, year=month.year, month=month.month, by=None, run_in_background=False
        )
        result = close_month(close)
        assert result.changed, result.message
        close.refresh_from_db()
        assert close.status == CloseStatus.CLOSED
        assert entries.locked().count() == entries.count()
        assert close.invoice_drafts.exists()
        assert close.payroll.exists()
