from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.orders.models import Order
from tremplin.orders.tests.factories import InterventionFactory, OrderFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_day(time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 1, 5, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False)


def _board_with(workers: int) -> tuple[Any, Any]:
    order = OrderFactory()
    for _ in range(workers):
        contract = ContractFactory(
            entity=order.entity, person__entity=order.entity, start=date(2026, 1, 1)
        )
        InterventionFactory(order=OrderFactory(client=order.client), worker=contract.person)
    return order.entity, user_with_role(Role.PLANNER, order.entity)


def test_the_board_runs_a_constant_number_of_queries(
    client: Any, django_assert_num_queries: Any
) -> None:
    counts = []
    for size in (1, 5):
        entity, user = _board_with(size)
        client.force_login(user)
        client.get(reverse("orders:board"), {"semaine": "2026-W03"})  # warm the session
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("orders:board"), {"semaine": "2026-W03"})
        counts.append(len(ctx.captured_queries))
        rows = BeautifulSoup(response.content, "html.parser").select("#planning tbody tr")
        assert len(rows) == size
        with django_assert_num_queries(counts[0]):
            client.get(reverse("orders:board"), {"semaine": "2026-W03"})
    assert counts[0] == counts[1]


def test_the_board_shows_hours_against_the_target(client: Any) -> None:
    entity, user = _board_with(1)
    client.force_login(user)
    response = client.get(reverse("orders:board"), {"semaine": "2026-W03", "vue": "salaries"})
    row = BeautifulSoup(response.content, "html.parser").select_one("#planning tbody tr")
    text = " ".join(row.get_text(" ").split())
    assert "2,00 h / 26,00 h" in text
    assert "09h00–11h00" in text


def test_week_navigation_swaps_the_board_with_htmx(client: Any) -> None:
    entity, user = _board_with(2)
    client.force_login(user)
    url = reverse("orders:board")
    page = BeautifulSoup(client.get(url, {"semaine": "2026-W02"}).content, "html.parser")
    link = page.select_one("#board nav a")
    assert link is not None
    assert link["href"] == "?semaine=2026-W01&vue=salaries"
    fragment = BeautifulSoup(
        client.get(url, {"semaine": "2026-W03"}, headers={"HX-Request": "true"}).content,
        "html.parser",
    )
    assert fragment.find("html") is None
    full = BeautifulSoup(client.get(url, {"semaine": "2026-W03"}).content, "html.parser")
    page.select_one("#board").replace_with(fragment.select_one("#board"))
    assert str(page.select_one("#board")) == str(full.select_one("#board"))


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.PLANNER, 200), (Role.HR, 200), (Role.ACCOUNTANT, 403), (Role.CIP, 403)],
)
def test_board_roles(client: Any, role: Role, status: int) -> None:
    order = OrderFactory()
    client.force_login(user_with_role(role, order.entity))
    assert client.get(reverse("orders:board")).status_code == status
    assert client.get(reverse("orders:order", args=[order.pk])).status_code == status


def test_a_household_order_from_100_euros_needs_an_accepted_quote(client: Any) -> None:
    household = ClientFactory(household=True)
    service = ServiceFactory(entity=household.entity, housework=True)
    client.force_login(user_with_role(Role.PLANNER, household.entity))
    data = {
        "kind": "recurring",
        "service": service.pk,
        "first_day": "2026-01-06",
        "weekdays": ["1"],
        "start_time": "09:00",
        "end_time": "11:00",
        "interval_weeks": "1",
        "quantity": "1",
    }
    url = reverse("orders:order_new", args=[household.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Devis obligatoire" in response.content.decode()
    assert "arrêté du 17/03/2015" in response.content.decode()
    assert not Order.objects.exists()
    response = client.post(url, {**data, "interval_weeks": "4", "end_time": "10:00"})
    assert response.status_code == 302  # 52/12/4 visits × 1 h × 24 € × 1.20 = 31.20 €
    assert Order.objects.get().weekdays == [1]


def test_generate_then_assign_from_the_order_page(client: Any) -> None:
    order = OrderFactory()
    contract = ContractFactory(
        entity=order.entity, person__entity=order.entity, start=date(2026, 1, 1)
    )
    client.force_login(user_with_role(Role.PLANNER, order.entity))
    url = reverse("orders:generate", args=[order.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"start": "2026-01-01", "end": "2026-01-31"}, follow=True)
    assert "4 intervention(s) créée(s), 0 existai(en)t déjà" in response.content.decode()
    response = client.post(url, {"start": "2026-01-01", "end": "2026-01-31"}, follow=True)
    assert "0 intervention(s) créée(s), 4 existai(en)t déjà" in response.content.decode()
    intervention = order.interventions.order_by("start").first()
    response = client.post(
        reverse("orders:assign", args=[intervention.pk]),
        {"worker": contract.person.pk},
        follow=True,
    )
    assert "interviendra le 06/01/2026" in response.content.decode()


def test_catalogue_shows_the_vat_rate(client: Any) -> None:
    service = ServiceFactory()
    client.force_login(user_with_role(Role.ACCOUNTANT, service.entity))
    response = client.get(reverse("orders:services"))
    text = " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())
    assert "25,00 € 20,0 % 30,00 €" in text.replace("\u00a0", " ")


def test_the_board_shows_only_the_absences_of_its_own_entity(client: Any) -> None:
    from tremplin.orders.models import Absence, AbsenceKind
    from tremplin.organisations.tests.factories import EntityFactory

    entity, user = _board_with(1)
    worker = ContractFactory._meta.model.objects.get(entity=entity).person
    elsewhere = EntityFactory.create(group=entity.group)
    Absence.objects.create(
        person=worker,
        entity=elsewhere,
        kind=AbsenceKind.SICKNESS,
        start=date(2026, 1, 13),
        end=date(2026, 1, 14),
    )
    Absence.objects.create(
        person=worker,
        entity=entity,
        kind=AbsenceKind.LEAVE,
        start=date(2026, 1, 15),
        end=date(2026, 1, 15),
    )
    client.force_login(user)
    page = client.get(reverse("orders:board"), {"semaine": "2026-W03"}).content.decode()
    assert "Congés payés" in page
    assert "Arrêt de travail" not in page
