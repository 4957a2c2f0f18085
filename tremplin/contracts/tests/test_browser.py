"""Acceptance journey of issue #4 in a real Chromium.

HR converts a worker of the association intermédiaire to a CDDUA through the contract form,
then places them from the new contract: 20 more hours at a company are refused by the 480 h cap
(470 h already placed there under an older contract, in the same 24-month window), with the rule,
the hours left and the first day of the window; the same 20 hours at a household are accepted and
listed in the worker's ledger.

Time cannot be frozen across the live server's thread: every date is relative to ``today()``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tremplin.accounts.models import User
from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import PASSWORD, user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.models import Contract
from tremplin.contracts.rules import SMIC_HOURLY, ContractKind, EndReason, period_end
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.dates import format_date, today
from tremplin.missions.models import Placement
from tremplin.missions.tests.factories import PlacementFactory
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import ConventionFactory, EntityFactory
from tremplin.pathways.models import StepKind
from tremplin.pathways.tests.factories import PassIaeFactory, PathwayStepFactory
from tremplin.people.tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, user: User) -> None:
    page.goto("/compte/login/")
    main = page.locator("main")
    main.locator("#id_login").fill(user.email)
    main.locator("#id_password").fill(PASSWORD)
    main.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")


def test_hr_converts_to_a_cddua_and_the_cap_refuses_a_company_but_not_a_household(
    page: Page,
) -> None:
    day = today()
    hired = day - timedelta(days=400)
    ai = EntityFactory(association=True, name="Élan Emploi", slug="elan-emploi")
    ConventionFactory(
        entity=ai, kind=SiaeKind.AI, start=day - timedelta(days=500), end=day + timedelta(days=500)
    )
    hr = user_with_role(Role.HR, ai)
    person = PersonFactory(entity=ai, birth_name="Fradet", first_name="Solène")
    PassIaeFactory(person=person, entity=ai, start=hired)
    step = PathwayStepFactory(person=person, entity=ai, siae_kind=SiaeKind.AI, started_on=hired)
    older = ContractFactory(
        person=person,
        entity=ai,
        cddua=True,
        start=hired,
        planned_end=period_end(hired, 12),
        actual_end=period_end(hired, 12),
        end_reason=EndReason.END_OF_TERM,
        pathway_step=step,
    )
    company = ClientFactory(entity=ai, name="Menuiserie Vauclair")
    ClientFactory(entity=ai, name="Mme Airault", household=True)
    first_company_day = day - timedelta(days=300)
    PlacementFactory(
        contract=older,
        client=company,
        number="1",
        start=first_company_day,
        end=first_company_day + timedelta(days=59),
        hours=Decimal("470"),
    )

    log_in(page, hr)

    # The CDDUA, through the contract form.
    page.goto(reverse("contracts:contract_new", args=[person.pk]))
    form = page.locator("main form")
    start = day + timedelta(days=1)
    end = period_end(start, 6)
    form.locator("#id_entity").select_option(label="Élan Emploi")
    form.locator("#id_kind").select_option(ContractKind.CDDUA.value)
    form.locator("#id_job_title").fill("Agent d'entretien des locaux")
    form.locator("#id_start").fill(start.isoformat())
    form.locator("#id_planned_end").fill(end.isoformat())
    form.locator("#id_monthly_hours").fill("85")
    form.locator("#id_hourly_rate").fill(str(SMIC_HOURLY.on(start)))
    form.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/contrats/*/")

    contract = Contract.objects.get(person_id=person.pk, kind=ContractKind.CDDUA, start=start)
    assert page.url.endswith(reverse("contracts:contract", args=[contract.pk]))
    main = page.locator("main")
    expect(main.locator("h1")).to_contain_text("CDD d'usage amélioré (CDDUA)")
    expect(main.locator("[role=status]", has_text="Le contrat a été enregistré.")).to_be_visible()
    terms = main.locator("dl.facts").inner_text()
    assert f"du {format_date(start)} au {format_date(end)}" in terms
    assert "85,00 h garanties par mois" in terms
    assert contract.pathway_step == step and step.kind == StepKind.INSERTION

    # From the new contract, 20 hours at the company: past the cap, refused and explained.
    page.goto(reverse("missions:placement_new", args=[contract.pk]))
    form = page.locator("main #placement-form")
    assert form.locator("#id_number").input_value() == "1"
    form.locator("#id_client").select_option(label="Menuiserie Vauclair")
    form.locator("#id_start").fill((day + timedelta(days=7)).isoformat())
    form.locator("#id_end").fill((day + timedelta(days=11)).isoformat())
    form.locator("#id_hours").fill("20")
    form.locator("#id_task").fill("Renfort pour l'inventaire annuel")
    form.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()

    error = page.locator("main .invalid-feedback", has_text="Heures prévues").inner_text()
    assert "Plafond de mise à disposition en entreprise (art. R5132-18 2° du Code du travail)" in (
        error
    )
    assert "il reste 10 h" in error
    assert f"470 h utilisées sur 480 h depuis le {format_date(first_company_day)}" in error
    assert "porterait le total à 490 h" in error
    assert not Placement.objects.filter(contract=contract).exists()

    # The same 20 hours at a household: outside the cap, accepted, listed in the ledger.
    form = page.locator("main #placement-form")
    form.locator("#id_client").select_option(label="Mme Airault")
    form.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"**{reverse('missions:ledger', args=[person.pk])}")
    main = page.locator("main")
    expect(main.locator("[role=status]", has_text="Mme Airault a été enregistrée")).to_be_visible()
    rows = main.locator("table.placements tbody tr").all_inner_texts()
    assert any("Mme Airault" in row and "20,00 h" in row and "hors plafond" in row for row in rows)
    assert any("Menuiserie Vauclair" in row and "470,00 h" in row for row in rows)
    expect(main.locator(f"#cap-{ai.pk}")).to_contain_text("470,00 h")
    placement = Placement.objects.get(contract=contract)
    assert (placement.client.name, placement.hours, placement.number) == (
        "Mme Airault",
        Decimal(20),
        "1",
    )
