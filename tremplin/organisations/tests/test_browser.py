"""Smoke journey in a real Chromium: log in as direction, switch entity, open the group."""

from __future__ import annotations

from typing import Any

import pytest

from tremplin.accounts import demo as accounts_demo
from tremplin.core.dates import today
from tremplin.organisations import demo as organisations_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_direction_logs_in_switches_entity_and_opens_the_group(page: Any) -> None:
    group = organisations_demo.load(today())
    accounts_demo.load(group)

    page.goto("/")
    assert page.locator("h1").inner_text() == "Connexion à Tremplin"
    page.fill("#id_login", accounts_demo.email_for("direction"))
    page.fill("#id_password", accounts_demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert "Élan Emploi" in page.locator("p.lead").inner_text()

    page.select_option("#entity-select", "elan-services")
    page.click("#entity-switcher button[type=submit]")
    page.wait_for_load_state()
    assert "Élan Services" in page.locator("p.lead").inner_text()

    page.get_by_role("link", name="Groupe", exact=True).click()
    page.wait_for_url("**/groupe/")
    titles = page.locator("#entities h2").all_inner_texts()
    assert titles == ["Élan Domicile", "Élan Emploi", "Élan Services"]
    assert page.locator("#entities").get_by_text("n° AI-079-24-0012").count() == 1
    assert page.locator("#entities").get_by_text("n° EI-079-24-0031").count() == 1
