"""Acceptance journey of issue #5 in a real Chromium: from the order to the payroll files.

A planner creates a recurring order (two weekdays, 2 h) through the order form, generates the
month's interventions and assigns the usual worker; the worker declares the hours of a past
intervention on a phone-sized screen; a staff member validates them; the accountant closes the
month and downloads the payroll and ASP files, which carry the worker and the declared hours.

Time cannot be frozen across the live server's thread: every date is relative to ``today()``.
The declared intervention is the latest day of the last week that is not a public holiday, so it
may fall in last month at the start of a month; the close is then of that month.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tremplin.accounts.models import User
from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import PASSWORD, user_with_role
from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing.rules import month_bounds
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.dates import format_date, today
from tremplin.orders.models import Intervention, Order
from tremplin.orders.rules import ServiceKind, is_public_holiday
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus, TimeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")  # fmt: skip


def log_in(page: Page, user: User) -> None:
    page.goto("/compte/login/")
    main = page.locator("main")
    main.locator("#id_login").fill(user.email)
    main.locator("#id_password").fill(PASSWORD)
    main.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def worked_day(day: date) -> date:
    """The latest day of the last six before ``day`` that is not a public holiday."""
    return next(
        d
        for d in (day - timedelta(days=n) for n in range(1, 7))
        if not is_public_holiday(d, subdivision=None)
    )


def downloaded_text(page: Page, link_name: str) -> str:
    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name=link_name).click()
    path = download_info.value.path()
    return Path(path).read_text(encoding="utf-8-sig")


def test_from_the_order_to_the_payroll_and_asp_files(page: Page, live_server: Any) -> None:
    day = today()
    worked = worked_day(day)
    first, last = month_bounds(worked.year, worked.month)
    entity = EntityFactory(name="Élan Services", slug="elan-services")
    client = Client.objects.get(
        pk=ClientFactory(entity=entity, name="Cabinet Sabourin", kind=ClientKind.COMPANY).pk
    )
    service = ServiceFactory(
        entity=entity, kind=ServiceKind.OFFICE_CLEANING, name="Entretien de bureaux"
    )
    planner = user_with_role(Role.PLANNER, entity)
    staff = user_with_role(Role.HR, entity)
    accountant = user_with_role(Role.ACCOUNTANT, entity)
    worker_account = user_with_role(Role.WORKER, entity)
    worker = PersonFactory(entity=entity, birth_name="Dorgebray", first_name="Yanis")
    worker.user = worker_account
    worker.save(update_fields=["user"])
    ContractFactory(person=worker, entity=entity, start=first - timedelta(days=60))
    other_day = (worked.weekday() + 3) % 7

    # The planner creates the order through the form.
    log_in(page, planner)
    page.goto(reverse("orders:order_new", args=[client.pk]))
    main = page.locator("main")
    main.locator("#id_kind").select_option("recurring")
    main.locator("#id_service").select_option(str(service.pk))
    main.locator("#id_first_day").fill(first.isoformat())
    main.locator(f"#id_weekdays_{worked.weekday()}").check()
    main.locator(f"#id_weekdays_{other_day}").check()
    main.locator("#id_start_time").fill("09:00")
    main.locator("#id_end_time").fill("11:00")
    main.locator("#id_usual_worker").select_option(str(worker.pk))
    main.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".alert-success")).to_contain_text("La commande a été enregistrée.")
    order = Order.objects.get(client=client)
    assert sorted(order.weekdays) == sorted([worked.weekday(), other_day])

    # … generates the month's interventions and assigns the worker.
    main.locator("#id_start").fill(first.isoformat())
    main.locator("#id_end").fill(last.isoformat())
    main.get_by_role("button", name="Générer").click()
    expect(page.locator(".alert-success")).to_contain_text("intervention(s) créée(s)")
    target = Intervention.objects.get(order=order, day=worked)
    month_days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    expected = [
        d
        for d in month_days
        if d.weekday() in {worked.weekday(), other_day} and not is_public_holiday(d)
    ]
    assert sorted(order.interventions.values_list("day", flat=True)) == expected
    main.get_by_label(f"Intervenant du {format_date(worked)}").select_option(str(worker.pk))
    main.locator(f"form[action='{reverse('orders:assign', args=[target.pk])}']").get_by_role(
        "button", name="Attribuer"
    ).click()
    expect(page.locator(".alert-success")).to_contain_text(f"interviendra le {format_date(worked)}")
    main.get_by_role("button", name="Attribuer les interventions à venir").click()
    expect(page.locator(".alert-success")).to_contain_text("intervention(s) attribuée(s)")
    assert not order.interventions.filter(day__gte=day, worker__isnull=True).exists()
    target.refresh_from_db()
    assert target.worker == worker
    log_out(page)

    # The worker declares 1,75 h on a phone.
    assert page.context.browser is not None
    phone_context = page.context.browser.new_context(
        locale="fr-FR", base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    phone = phone_context.new_page()
    log_in(phone, worker_account)
    phone.goto(reverse("timesheets:my_hours"))
    card = phone.locator(f"main #card-{target.pk}")
    expect(card).to_contain_text("Cabinet Sabourin")
    card.get_by_label("Heures travaillées").fill("1,75")
    card.get_by_role("button", name="Déclarer ces heures").click()
    expect(phone.locator(f"main #card-{target.pk}")).to_contain_text("Heures enregistrées.")
    entry = TimeEntry.objects.get(intervention=target)
    assert entry.status == EntryStatus.DECLARED
    assert str(entry.hours) == "1.75"
    phone_context.close()

    # A staff member validates the hours.
    log_in(page, staff)
    page.goto(f"{reverse('timesheets:index')}?mois={worked:%Y-%m}")
    main.locator(f"#e{entry.pk}").check()
    main.get_by_role("button", name="Valider les lignes cochées").click()
    expect(page.locator(".alert-success")).to_contain_text("1 relevé validé.")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.VALIDATED
    log_out(page)

    # The accountant closes the month and downloads both files.
    log_in(page, accountant)
    page.goto(reverse("closing:close", args=[entity.slug, worked.year, worked.month]))
    label = f"{MONTHS[worked.month - 1]} {worked.year}"
    main.get_by_role("button", name=f"Lancer la clôture de {label}").click()
    expect(main.get_by_role("link", name="Télécharger les variables de paie (CSV)")).to_be_visible()
    assert TimeEntry.objects.locked().filter(pk=entry.pk).exists()

    payroll = downloaded_text(page, "Télécharger les variables de paie (CSV)")
    lines = payroll.strip().splitlines()
    assert lines[0].startswith("Identifiant;Nom;Prénom;Heures normales")
    assert len(lines) == 2
    assert lines[1].startswith(f"{worker.pk};DORGEBRAY;Yanis;1,75;")

    asp = downloaded_text(page, "Télécharger le suivi mensuel ASP (CSV)")
    lines = asp.strip().splitlines()
    assert lines[0].startswith("Identifiant;Nom;Prénom;Contrat")
    assert len(lines) == 2
    cells = lines[1].split(";")
    assert cells[:3] == [str(worker.pk), "DORGEBRAY", "Yanis"]
    assert cells[5] == f"{worked:%m/%Y}"
    assert cells[6] == "1,75"
