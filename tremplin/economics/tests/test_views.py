"""Pages of the group's economics: who sees them, what they show, what their forms do."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.economics.models import (
    ActivityTaxStatus,
    AllocationRun,
    CostPool,
    FinancialEntry,
    Scenario,
)
from tremplin.economics.rules import KeyMethod
from tremplin.economics.tests.factories import CostPoolFactory, PoolCostFactory, issued_invoice
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory

D = Decimal
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(date(2026, 6, 15), tick=False):
        yield


@pytest.fixture
def group() -> dict[str, Any]:
    g = GroupFactory()
    ai = EntityFactory(group=g, association=True, name="Association")
    company = EntityFactory(group=g, name="Société")
    return {
        "group": g,
        "ai": ai,
        "company": company,
        "direction": user_with_role(Role.DIRECTION, ai),
    }


def _text(response: Any, selector: str) -> str:
    node = BeautifulSoup(response.content, "html.parser").select_one(selector)
    assert node is not None, selector
    return _squash(node.get_text(" "))


def _squash(text: str) -> str:
    """Collapse ordinary white space, keeping the no-break spaces of French amounts."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


GROUP_PAGES = [
    "/economie/",
    "/economie/consolide/",
    "/economie/fonctions/",
    "/economie/repartitions/",
    "/economie/scenarios/",
    "/economie/fiscalite/",
]


@pytest.mark.parametrize("url", GROUP_PAGES)
def test_group_pages_for_the_direction(client: Any, group: dict[str, Any], url: str) -> None:
    client.force_login(group["direction"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", GROUP_PAGES)
def test_group_pages_refused_to_other_roles(client: Any, group: dict[str, Any], url: str) -> None:
    client.force_login(user_with_role(Role.CIP, group["ai"], group["company"]))
    assert client.get(url).status_code == 403
    # An accountant of one entity only does not see the group's figures.
    client.force_login(user_with_role(Role.ACCOUNTANT, group["company"]))
    assert client.get(url).status_code == 403


def test_accountant_of_every_entity_sees_the_group(client: Any, group: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.ACCOUNTANT, group["ai"], group["company"]))
    assert client.get("/economie/").status_code == 200


def test_entity_page_for_an_accountant_of_that_entity(client: Any, group: dict[str, Any]) -> None:
    company = group["company"]
    issued_invoice(company, [(ServiceKind.CAR_WASH, D("1234.50"))], day=date(2026, 5, 10))
    client.force_login(user_with_role(Role.ACCOUNTANT, company))
    response = client.get(f"/economie/structure/{company.slug}/?periode=2026-05")
    assert response.status_code == 200
    assert "1\u202f234,50\u00a0€" in _text(response, "#entity-figures")
    assert "Lavage de véhicule sans eau" in _text(response, "#margins")
    assert client.get(f"/economie/structure/{group['ai'].slug}/").status_code == 404  # not visible


def test_index_shows_each_entity_and_a_chart_with_its_table(
    client: Any, group: dict[str, Any]
) -> None:
    issued_invoice(group["company"], [(ServiceKind.CAR_WASH, D("100.00"))], day=date(2026, 2, 1))
    client.force_login(group["direction"])
    response = client.get("/economie/?periode=2026")
    table = _text(response, "#entity-results")
    assert "Association" in table and "Société" in table and "100,00" in table
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("canvas[data-chart='chart-results']") is not None
    assert soup.select_one("script#chart-results") is not None
    for script in soup.select("script[src]"):
        assert script.get("nonce"), script


def test_bad_period_falls_back_with_a_french_message(client: Any, group: dict[str, Any]) -> None:
    client.force_login(group["direction"])
    response = client.get("/economie/?periode=2026-13", follow=True)
    assert "Période invalide" in response.content.decode()
    assert "année 2026" in response.content.decode()


def test_add_entry_and_refuse_a_bad_one(client: Any, group: dict[str, Any]) -> None:
    client.force_login(group["direction"])
    url = f"/economie/structure/{group['ai'].slug}/saisie/"
    data = {"kind": "grant", "day": "2026-03-01", "label": "Subvention FSE", "amount": "2500,00"}
    response = client.post(url, data | {"amount": "2500.00"}, follow=True)
    assert "L'écriture est enregistrée." in _text(response, "main")
    assert FinancialEntry.objects.get(entity=group["ai"]).amount == D("2500.00")
    response = client.post(url, data | {"amount": "-3", "day": ""}, follow=True)
    text = _text(response, "main")
    assert "L'écriture n'est pas enregistrée" in text and "Date" in text and "Montant" in text
    assert FinancialEntry.objects.filter(entity=group["ai"]).count() == 1


def test_import_page_reports_errors_by_line_and_column(client: Any, group: dict[str, Any]) -> None:
    client.force_login(group["direction"])
    content = "date;compte;libellé;montant\n01/03/2026;6132;Loyer;900,00\n01/03/2026;706;Ventes;5\n"
    upload = SimpleUploadedFile("export.csv", content.encode(), content_type="text/csv")
    response = client.post(f"/economie/structure/{group['ai'].slug}/import/", {"file": upload})
    assert "1 importée(s)" in _text(response, "#import-summary")
    errors = _text(response, "#import-errors")
    assert "3" in errors and "compte" in errors and "ni une charge" in errors
    upload = SimpleUploadedFile("export.txt", b"x", content_type="text/plain")
    response = client.post(f"/economie/structure/{group['ai'].slug}/import/", {"file": upload})
    assert "Le fichier doit être un CSV" in response.content.decode()


def test_pool_creation_key_costs_and_time(client: Any, group: dict[str, Any]) -> None:
    client.force_login(group["direction"])
    response = client.post(
        "/economie/fonctions/",
        {
            "entity": group["ai"].pk,
            "function": "hr",
            "name": "RH transversale",
            "key_method": "headcount",
        },
    )
    pool = CostPool.objects.get(name="RH transversale")
    assert response["Location"] == f"/economie/fonctions/{pool.pk}/"
    client.post(
        f"/economie/fonctions/{pool.pk}/cout/",
        {"day": "2026-03-31", "label": "Salaires", "amount": "4200"},
    )
    client.post(
        f"/economie/fonctions/{pool.pk}/temps/",
        {"beneficiary": group["company"].pk, "day": "2026-03-10", "hours": "6"},
    )
    assert pool.costs.get().amount == D("4200")
    assert pool.time_records.get().beneficiary == group["company"]
    # Fixed shares must add up to 100 %.
    shares = {f"share_{group['ai'].pk}": "60", f"share_{group['company'].pk}": "30"}
    response = client.post(f"/economie/fonctions/{pool.pk}/", {"key_method": "fixed"} | shares)
    assert "totalisent 90" in response.content.decode()
    shares[f"share_{group['company'].pk}"] = "40"
    client.post(f"/economie/fonctions/{pool.pk}/", {"key_method": "fixed"} | shares)
    pool.refresh_from_db()
    assert pool.key_method == KeyMethod.FIXED
    response = client.get("/economie/fonctions/?periode=2026-03")
    assert "2\u202f520,00" in _text(response, "#pools")  # 60 % of 4 200


def test_pool_time_refuses_an_entity_of_another_group(client: Any, group: dict[str, Any]) -> None:
    pool = CostPoolFactory(entity=group["ai"])
    client.force_login(group["direction"])
    outsider = EntityFactory()
    client.post(
        f"/economie/fonctions/{pool.pk}/temps/",
        {"beneficiary": outsider.pk, "day": "2026-03-10", "hours": "6"},
    )
    assert not pool.time_records.exists()


def test_run_then_statement_and_csv(client: Any, group: dict[str, Any]) -> None:
    pool = CostPoolFactory(entity=group["ai"], key_method=KeyMethod.FIXED, name="Direction")
    pool.fixed_shares.create(beneficiary=group["ai"], share=D(50))
    pool.fixed_shares.create(beneficiary=group["company"], share=D(50))
    PoolCostFactory(pool=pool, amount=D("801.00"), day=date(2026, 4, 1))
    client.force_login(group["direction"])
    response = client.post("/economie/repartitions/", {"period": "2026-T2"})
    run = AllocationRun.objects.get()
    assert response["Location"] == f"/economie/repartitions/{run.pk}/"
    page = client.get(response["Location"])
    statement = _text(page, "table.statement")
    assert "Association refacture à Société : 400,50" in statement
    csv = client.get(f"/economie/repartitions/{run.pk}/refacturations.csv").content.decode(
        "utf-8-sig"
    )
    assert csv.splitlines()[1] == "2026-T2;Association;Société;Fonction partagée;Direction;400,50"


def test_scenario_create_change_and_compare(client: Any, group: dict[str, Any]) -> None:
    client.force_login(group["direction"])
    response = client.post("/economie/scenarios/", {"name": "Conciergerie", "period": "2026"})
    scenario = Scenario.objects.get()
    url = f"/economie/scenarios/{scenario.pk}/"
    assert response["Location"] == url
    client.post(
        url + "modifier/",
        {
            "change": "add_activity",
            "entity": group["company"].pk,
            "label": "Conciergerie",
            "revenue": "12000",
            "cost": "9000",
        },
    )
    page = client.get(url)
    changed = [
        _squash(tr.get_text(" "))
        for tr in BeautifulSoup(page.content, "html.parser").select("#comparison tr.changed")
    ]
    assert any(row.startswith("Société — résultat") and "+3\u202f000,00" in row for row in changed)
    assert any(row.startswith("Groupe — résultat consolidé") for row in changed)
    assert "Nouvelle activité « Conciergerie »" in _text(page, "#changes")
    response = client.post(
        url + "modifier/",
        {"change": "move_workers", "source": group["ai"].pk, "target": group["ai"].pk, "count": 1},
    )
    assert len(Scenario.objects.get().changes) == 1
    client.post(url + "retirer/0/")
    assert Scenario.objects.get().changes == []


def test_fiscal_view_warns_and_alerts(client: Any, group: dict[str, Any]) -> None:
    ai = group["ai"]
    client.force_login(group["direction"])
    # 2026 threshold 80 011 €: 70 000 € of car wash (lucrative) is 87,5 % → warning.
    issued_invoice(
        ai,
        [(ServiceKind.CAR_WASH, D("70000.00")), (ServiceKind.PLACEMENT, D("90000.00"))],
        day=date(2026, 3, 1),
    )
    response = client.get("/economie/fiscalite/?periode=2026")
    assert "87,5 %" in _text(response, "#franchise-warning")
    client.post(f"/economie/fiscalite/{ai.slug}/", {"activity": "placement", "is_lucrative": "1"})
    assert ActivityTaxStatus.objects.get(entity=ai).is_lucrative
    response = client.get("/economie/fiscalite/?periode=2026")
    assert "160\u202f000,00" in _text(response, "#franchise-alert")
    # A company has no such status.
    assert (
        client.post(
            f"/economie/fiscalite/{group['company'].slug}/",
            {"activity": "placement", "is_lucrative": "1"},
        ).status_code
        == 404
    )


def test_navigation_shows_economics_to_the_direction_only(
    client: Any, group: dict[str, Any]
) -> None:
    client.force_login(group["direction"])
    nav = BeautifulSoup(client.get("/").content, "html.parser").select_one("#nav-main")
    assert nav is not None and nav.select_one('a[href="/economie/"]') is not None
    client.force_login(user_with_role(Role.PLANNER, group["ai"]))
    assert 'href="/economie/"' not in client.get("/").content.decode()
