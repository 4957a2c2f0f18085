"""Journey in Chromium: a planner hits the 480 h cap, then places the hours at a household."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import PASSWORD, user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.core.dates import today
from tremplin.missions.models import Placement
from tremplin.missions.tests.factories import ContractFactory, PlacementFactory, ai_entity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_company_placement_past_the_cap_is_refused_and_a_household_one_accepted(
    page: Any,
) -> None:
    day = today()
    ai = ai_entity(name="Élan Emploi")
    planner = user_with_role(Role.PLANNER, ai)
    contract = ContractFactory(
        entity=ai,
        start=day - timedelta(days=90),
        planned_end=day + timedelta(days=270),
        person__birth_name="Moreau",
        person__first_name="Inès",
    )
    company = ClientFactory(entity=ai, name="Menuiserie Dupont")
    ClientFactory(entity=ai, name="Famille Martin", household=True)
    PlacementFactory(
        contract=contract,
        client=company,
        number="1",
        start=day - timedelta(days=60),
        end=day - timedelta(days=5),
        hours=Decimal("470"),
    )

    page.goto("/")
    page.fill("#id_login", planner.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.get_by_role("link", name="Clients", exact=True).click()
    page.wait_for_url("**/clients/")
    page.get_by_role("link", name="Mises à disposition").click()
    page.wait_for_url("**/mises-a-disposition/")
    page.get_by_role("link", name="MOREAU Inès").click()
    assert "470,00 h" in page.locator(f"#cap-{ai.pk}").inner_text()
    page.get_by_role("link", name="Nouvelle mise à disposition").click()
    page.wait_for_url(f"**/contrats/{contract.pk}/nouvelle/")

    assert page.input_value("#id_number") == "2"
    page.select_option("#id_client", label="Menuiserie Dupont")
    page.fill("#id_start", (day + timedelta(days=7)).isoformat())
    page.fill("#id_end", (day + timedelta(days=11)).isoformat())
    page.fill("#id_hours", "20")
    page.fill("#id_task", "Renfort pour un inventaire")
    page.click("#placement-form button[type=submit]")
    page.wait_for_load_state()

    error = page.locator(".invalid-feedback", has_text="Heures prévues").inner_text()
    assert "Plafond de mise à disposition en entreprise (art. R5132-18 2° du Code du travail)" in (
        error
    )
    assert "il reste 10 h" in error and "porterait le total à 490 h" in error
    assert Placement.objects.count() == 1

    page.select_option("#id_client", label="Famille Martin")
    page.click("#placement-form button[type=submit]")
    page.wait_for_url(f"**/salaries/{contract.person_id}/")
    assert "a été enregistrée" in page.locator("[role=status]").first.inner_text()
    rows = page.locator("table.placements tbody tr").all_inner_texts()
    assert any("Famille Martin" in row and "hors plafond" in row for row in rows)
    assert "470,00 h" in page.locator(f"#cap-{ai.pk}").inner_text()
    assert Placement.objects.filter(client__name="Famille Martin", hours=20).exists()
