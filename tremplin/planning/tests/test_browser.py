"""Acceptance journey of issue #7 in a real Chromium: the planning engine on the demo week.

The planner of the demo group opens the weekly board of the association intermédiaire, goes to
the planning engine, runs it on the week for a few seconds and follows its progress while a
background worker (``db_worker``, as in production) runs it; then accepts the whole proposal,
sees each worker's hours against the contract's bounds, and finds them on the weekly board.

Time cannot be frozen across the live server's thread: the week is the current one, as the
demo's interventions are.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tremplin.accounts import demo as accounts_demo
from tremplin.core.dates import today
from tremplin.core.money import format_number
from tremplin.core.tests.tasks_worker import run_db_worker
from tremplin.orders.models import Intervention, InterventionStatus
from tremplin.organisations.models import Entity
from tremplin.planning import rules
from tremplin.planning.models import PlanningRun, RunStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECONDS = 3


def test_the_planner_runs_the_engine_on_the_demo_week_and_accepts_it(
    page: Page, settings: Any
) -> None:
    # The run goes through the database queue, so that its progress can be watched.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("load_demo", force=True, stdout=StringIO())
    ai = Entity.objects.get(slug="elan-emploi")
    monday = rules.week_monday(today())
    week_interventions = Intervention.objects.filter(
        entity=ai,
        day__range=(monday, monday + timedelta(days=6)),
        status=InterventionStatus.PLANNED,
    )
    expected = week_interventions.count()
    assert expected > 0

    page.goto("/compte/login/")
    main = page.locator("main")
    main.locator("#id_login").fill(accounts_demo.email_for("planning"))
    main.locator("#id_password").fill(accounts_demo.DEMO_PASSWORD)
    main.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    page.select_option("#entity-select", "elan-emploi")
    page.click("#entity-switcher button[type=submit]")
    page.wait_for_load_state()

    # From the weekly board to the engine, for the same week.
    page.get_by_role("link", name="Planning", exact=True).click()
    page.locator("#engine-link").click()
    page.wait_for_url("**/planning/moteur/?semaine=*")
    form = page.locator("#start-form")
    expect(form.locator("#id_entity")).to_have_value("elan-emploi")
    form.get_by_label("Durée de recherche (secondes)").fill(str(SECONDS))
    form.get_by_role("button", name="Lancer le calcul").click()

    # Queued: the page shows the progress bar and polls it.
    expect(page.locator(".alert-success")).to_contain_text("est lancé")
    progress = page.locator("#run-progress [role=progressbar]")
    expect(page.locator("#run-status")).to_have_text("En attente")
    expect(progress).to_have_attribute("aria-valuenow", "0")
    run = PlanningRun.objects.get(entity=ai)
    assert run.week == monday and run.seconds == SECONDS

    # The page polls the run every second; once a worker has run it, the page shows the
    # proposal by itself (no reload by the test).
    polls: list[int] = []
    page.on(
        "response",
        lambda response: (
            polls.append(response.status)
            if response.request.headers.get("hx-target") == "run-progress"
            else None
        ),
    )
    page.wait_for_timeout(1500)
    assert polls and set(polls) == {200}
    worker = threading.Thread(target=run_db_worker)
    worker.start()
    try:
        expect(page.locator("#run-status")).to_have_text("Proposition prête", timeout=60_000)
    finally:
        worker.join(timeout=120)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.served_count + run.unserved_count == expected
    expect(page.locator("#run-summary")).to_contain_text(
        f"{run.served_count} intervention(s) pourvue(s) sur {expected}"
    )

    # The planner accepts the whole proposal and sees the hours of each worker.
    page.get_by_role("button", name="Tout accepter").click()
    expect(page.locator(".alert-success")).to_contain_text(
        f"Proposition acceptée : {run.served_count} affectation(s)"
    )
    expect(page.locator("#accepted-badge")).to_be_visible()
    bars = page.locator("#hours tbody tr .progress-bar")
    expect(bars).to_have_count(run.workers.count())
    for row in run.assignments.all():
        assert week_interventions.get(pk=row.intervention_id).worker_id == row.worker_id
    busiest = run.workers.order_by("-planned_hours").first()
    assert busiest is not None and busiest.planned_hours > 0
    busy_row = page.locator(f'#hours tr[data-person="{busiest.person_id}"]')
    expect(busy_row).to_contain_text(f"{format_number(busiest.planned_hours)} h")
    expect(page.locator("#route-sketch")).to_be_visible()

    # Back on the weekly board, the accepted hours are shown under the week.
    page.locator('nav[aria-label="Fil d\'Ariane"]').get_by_role(
        "link", name="Planning de la semaine"
    ).click()
    expect(page.locator("#week-hours-table tbody tr .progress-bar")).to_have_count(
        run.workers.count()
    )
