"""Acceptance journey of issue #8 (group economics) in a real Chromium.

The direction opens the group dashboard, goes to the economics pages, runs the allocation of the
year's shared functions and reads the recharge statement, then creates a scenario moving three
insertion workers of the association to a CDI in the SAP company and compares it with the base.
The journey takes a screenshot of the comparison; with ``TREMPLIN_UPDATE_SCREENSHOTS=1`` it
replaces ``docs/screenshots/economics-scenario.png`` (otherwise it stays in the test's temporary
folder, so that a run leaves the work tree as it was).

Time cannot be frozen across the live server's thread: every date is relative to ``today()``.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.closing.tests.test_browser import log_in
from tremplin.contracts.models import Funding
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.dates import today
from tremplin.economics.models import AllocationRun, Recharge, Scenario
from tremplin.economics.rules import KeyMethod, SharedFunction
from tremplin.economics.tests.factories import CostPoolFactory, PoolCostFactory
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    FinancialAnnexFactory,
    GroupFactory,
)
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus
from tremplin.timesheets.tests.factories import TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "screenshots" / "economics-scenario.png"


def test_allocation_run_and_scenario_comparison(
    page: Page, live_server: Any, tmp_path: Path
) -> None:
    day = today()
    year_start = date(day.year, 1, 1)
    group = GroupFactory(name="Groupe Élan")
    ai = EntityFactory(group=group, association=True, name="Élan Emploi", slug="elan-emploi")
    sap = EntityFactory(group=group, name="Élan Domicile", slug="elan-domicile")
    convention = ConventionFactory(
        entity=ai, kind=SiaeKind.AI, start=year_start - timedelta(days=400)
    )
    FinancialAnnexFactory(convention=convention, year=day.year, etp=Decimal(10))
    for n, hours in enumerate([Decimal(7), Decimal(6), Decimal(5), Decimal(4)]):
        person = PersonFactory(entity=ai, birth_name=f"Salarié{n}")
        ContractFactory(
            person=person,
            entity=ai,
            cddua=True,
            start=year_start,
            planned_end=year_start + timedelta(days=364),
            hourly_rate=Decimal("12.00"),
            funding=Funding.AIDE_AU_POSTE,
        )
        TimeEntryFactory(
            entity=ai,
            person=person,
            day=year_start + timedelta(days=n),
            hours=hours,
            status=EntryStatus.VALIDATED,
        )
    pool = CostPoolFactory(
        entity=ai,
        function=SharedFunction.DIRECTION,
        name="Direction générale",
        key_method=KeyMethod.FIXED,
    )
    pool.fixed_shares.create(beneficiary=ai, share=Decimal(60))
    pool.fixed_shares.create(beneficiary=sap, share=Decimal(40))
    PoolCostFactory(pool=pool, day=year_start, amount=Decimal("5000.00"))
    director = user_with_role(Role.DIRECTION, ai)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The group dashboard, then the economics pages from the navigation.
    log_in(page, director)
    response = page.goto("/pilotage/")
    assert response is not None and response.status < 400
    page.locator("#nav-main").get_by_role("link", name="Économie").click()
    expect(page.locator("h1")).to_contain_text("Modèle économique de Groupe Élan")
    expect(page.locator("#entity-results")).to_contain_text("Élan Emploi")

    # An allocation run of the year, and its recharge statement.
    page.get_by_role("link", name="Répartitions").click()
    page.get_by_label("Période").fill(str(day.year))
    page.get_by_role("button", name="Lancer la répartition").click()
    expect(page.locator(".alert-success")).to_contain_text(
        f"La répartition de la période {day.year} est faite."
    )
    # 5 000,00 € × 40 % = 2 000,00 € recharged to the SAP company.
    expect(page.locator("table.statement")).to_contain_text(
        "Élan Emploi refacture à Élan Domicile : 2\u202f000,00\u00a0€"
    )
    run = AllocationRun.objects.get()
    assert Recharge.objects.get(run=run).amount == Decimal("2000.00")

    # A scenario: three insertion workers of the AI hired in CDI by the SAP company.
    page.locator("nav[aria-label='Économie du groupe']").get_by_role(
        "link", name="Scénarios"
    ).click()
    page.get_by_label("Nom du scénario").fill(
        "Passage de 3 salariés de l'AI en CDI dans l'entreprise SAP"
    )
    page.locator("#scenario-form").get_by_label("Période").fill(str(day.year))
    page.get_by_role("button", name="Créer le scénario").click()
    form = page.locator("#move-form")
    form.get_by_label("Structure d'origine").select_option(label="Élan Emploi")
    form.get_by_label("Structure qui embauche en CDI").select_option(label="Élan Domicile")
    form.get_by_label("Nombre de salariés").fill("3")
    form.get_by_role("button", name="Ajouter ce passage").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "La modification est ajoutée au scénario."
    )
    expect(page.locator("#changes")).to_contain_text(
        "Passage de 3 salarié(s) de Élan Emploi en CDI dans Élan Domicile"
    )
    comparison = page.locator("#comparison")
    # The three with the most hours (7 + 6 + 5 = 18 h) move: the AI keeps 4 h of aided work.
    aid_row = comparison.locator("tr.changed", has_text="Élan Emploi — aide au poste")
    expect(aid_row).to_be_visible()
    # 22 h → 4 h: 22/151,67 × 1 619/12 = 19,57 € ; 4/151,67 × 1 619/12 = 3,56 €.
    expect(aid_row).to_contain_text("19,57")
    expect(aid_row).to_contain_text("3,56")
    expect(
        comparison.locator("tr.changed", has_text="Élan Domicile — charges de personnel")
    ).to_contain_text("246,24")  # 18 × 12 × 1,14
    expect(comparison.locator("tr.changed", has_text="Groupe — résultat consolidé")).to_be_visible()
    scenario = Scenario.objects.get()
    assert len(scenario.changes[0]["person_ids"]) == 3

    page.locator("#compare-title").scroll_into_view_if_needed()
    update = os.environ.get("TREMPLIN_UPDATE_SCREENSHOTS") == "1"
    screenshot = SCREENSHOT if update else tmp_path / SCREENSHOT.name
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size < 300_000
