"""The dashboards, their exports and the annual report: who may read them, what they hold."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import MembershipFactory, user_with_role
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.tests.pdf import pdf_text
from tremplin.organisations.rules import SiaeKind
from tremplin.organisations.tests.factories import (
    ConventionFactory,
    EntityFactory,
    FinancialAnnexFactory,
    GroupFactory,
)
from tremplin.pathways.models import Exit
from tremplin.pathways.rules import ExitReason, exit_category
from tremplin.pathways.tests.factories import PathwayStepFactory
from tremplin.people.tests.factories import IntakeFactory, PersonFactory
from tremplin.timesheets.tests.factories import InterventionFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
D = Decimal
NOW = datetime(2026, 3, 16, 10, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world() -> dict[str, Any]:
    group = GroupFactory(name="Groupe Essai")
    ai = EntityFactory(group=group, association=True, name="Association Essai")
    ei = EntityFactory(group=group, name="Entreprise Essai")
    annex = FinancialAnnexFactory(
        convention=ConventionFactory(entity=ai, kind=SiaeKind.AI), year=2025, etp=D("4.00")
    )
    # Two CDDUA concluded in 2025 at the AI: 80 h and 91 h a month, 85,50 h on average.
    for hours in (80, 91):
        ContractFactory(
            person__entity=ai, entity=ai, cddua=True, start=date(2025, 4, 7), monthly_hours=D(hours)
        )
    ContractFactory(person__entity=ei, entity=ei, cdi=True, start=date(2025, 9, 1))
    return {"group": group, "ai": ai, "ei": ei, "annex": annex}


def _get(client: Any, user: Any, name: str, *args: str, query: str = "") -> Any:
    client.force_login(user)
    return client.get(reverse(name, args=args) + query)


# --- Who may read what ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DIRECTION, Role.ACCOUNTANT, Role.FEDERATION, Role.CIP])
def test_indicator_roles_read_their_entity(client: Any, world: dict[str, Any], role: Role) -> None:
    response = _get(
        client, user_with_role(role, world["ai"]), "indicators:entity", world["ai"].slug
    )
    assert response.status_code == 200
    assert "Indicateurs 2025 — Association Essai" in response.content.decode()


@pytest.mark.parametrize("role", [Role.PLANNER, Role.RECEPTION, Role.HR, Role.WORKER])
def test_other_roles_are_refused(client: Any, world: dict[str, Any], role: Role) -> None:
    user = user_with_role(role, world["ai"])
    assert _get(client, user, "indicators:entity", world["ai"].slug).status_code == 403
    assert _get(client, user, "indicators:entity_csv", world["ai"].slug).status_code == 403
    assert _get(client, user, "indicators:index").status_code == 403


def test_the_group_needs_a_role_in_every_entity(client: Any, world: dict[str, Any]) -> None:
    ai, ei, group = world["ai"], world["ei"], world["group"]
    accountant = user_with_role(Role.ACCOUNTANT, ai)
    assert _get(client, accountant, "indicators:group", group.slug).status_code == 403
    assert _get(client, accountant, "indicators:group_pdf", group.slug).status_code == 403
    # The other entity is not visible to them: 404, not 403.
    assert _get(client, accountant, "indicators:entity", ei.slug).status_code == 404
    federation = user_with_role(Role.FEDERATION, ai, ei)
    assert _get(client, federation, "indicators:group", group.slug).status_code == 200
    direction = user_with_role(Role.DIRECTION, ai)  # group-wide
    assert _get(client, direction, "indicators:group", group.slug).status_code == 200


def test_another_group_answers_404(client: Any, world: dict[str, Any]) -> None:
    outsider = user_with_role(Role.DIRECTION, EntityFactory())
    for name, slug in (
        ("indicators:group", world["group"].slug),
        ("indicators:group_csv", world["group"].slug),
        ("indicators:entity", world["ai"].slug),
        ("indicators:entity_pdf", world["ai"].slug),
    ):
        assert _get(client, outsider, name, slug).status_code == 404, name


def test_the_index_opens_the_widest_dashboard_the_user_may_read(
    client: Any, world: dict[str, Any]
) -> None:
    direction = user_with_role(Role.DIRECTION, world["ai"])
    response = _get(client, direction, "indicators:index")
    assert response["Location"] == reverse("indicators:group", args=[world["group"].slug])
    cip = user_with_role(Role.CIP, world["ai"])
    response = _get(client, cip, "indicators:index")
    assert response["Location"] == reverse("indicators:entity", args=[world["ai"].slug])


def test_the_navigation_shows_pilotage_to_indicator_roles(
    client: Any, world: dict[str, Any]
) -> None:
    page = _get(client, user_with_role(Role.ACCOUNTANT, world["ai"]), "indicators:index")
    page = client.get(page["Location"]).content.decode()
    assert f'href="{reverse("indicators:index")}"' in page
    planner = user_with_role(Role.PLANNER, world["ai"])
    client.force_login(planner)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("indicators:index")}"' not in home


def test_a_post_is_not_allowed(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.DIRECTION, world["ai"]))
    response = client.post(reverse("indicators:entity", args=[world["ai"].slug]))
    assert response.status_code == 405


# --- The dashboard --------------------------------------------------------------------------------


def test_the_dashboard_shows_the_figures_charts_and_their_tables(
    client: Any, world: dict[str, Any]
) -> None:
    direction = user_with_role(Role.DIRECTION, world["ai"])
    response = _get(client, direction, "indicators:group", world["group"].slug)
    html = BeautifulSoup(response.content, "html.parser")
    assert html.select_one("h1").get_text(strip=True) == "Indicateurs 2025 — Groupe Essai"
    row = html.select_one('#indicators tr[data-key="cddua_average_monthly_hours"]')
    # Group, then Association Essai, then Entreprise Essai.
    assert [td.get_text(strip=True) for td in row.select("td")] == [
        "85,50\u00a0h",
        "85,50\u00a0h",
        "—",
    ]
    jobs = html.select_one('#indicators tr[data-key="jobs_created_cdi"]')
    assert [td.get_text(strip=True) for td in jobs.select("td")] == ["1", "0", "1"]
    # Each chart has its canvas and a table of the same numbers; the data for the charts is
    # JSON, the scripts carry the CSP nonce.
    for key in ("contracts", "jobs", "exits", "etp", "hours"):
        assert html.select_one(f'canvas[data-chart="{key}"]') is not None
        assert html.select_one(f"#table-{key}") is not None
    etp = html.select_one("#table-etp tbody")
    assert [td.get_text(strip=True) for td in etp.select("tr")[0].select("td")] == ["4,00", "0,00"]
    data = html.select_one("script#indicator-charts")
    assert data is not None and data["type"] == "application/json"
    scripts = [
        s for s in html.select("script[src]") if "chart" in s["src"] or "indicators" in s["src"]
    ]
    assert len(scripts) == 2 and all(s.get("nonce") for s in scripts)


def test_the_year_can_be_chosen_and_a_wrong_one_is_explained(
    client: Any, world: dict[str, Any]
) -> None:
    direction = user_with_role(Role.DIRECTION, world["ai"])
    page = _get(client, direction, "indicators:entity", world["ai"].slug, query="?annee=2026")
    text = page.content.decode()
    assert "Indicateurs 2026" in text and "(année en cours)" in text and "16/03/2026" in text
    page = _get(client, direction, "indicators:entity", world["ai"].slug, query="?annee=1999")
    html = BeautifulSoup(page.content, "html.parser")
    assert "« 1999 » n'est pas une année proposée" in html.select_one(".alert-danger").get_text()
    assert "Indicateurs 2025" in html.select_one("h1").get_text()
    csv_page = _get(
        client, direction, "indicators:entity_csv", world["ai"].slug, query="?annee=1999"
    )
    assert csv_page.status_code == 404


# --- Exports --------------------------------------------------------------------------------------


def test_the_csv_export(client: Any, world: dict[str, Any]) -> None:
    direction = user_with_role(Role.DIRECTION, world["ai"])
    response = _get(client, direction, "indicators:group_csv", world["group"].slug)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"indicateurs-{world['group'].slug}-2025.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    lines = {row[0]: row for row in csv.reader(io.StringIO(text), delimiter=";")}
    assert lines["indicateur"][3:] == ["Groupe Essai", "Association Essai", "Entreprise Essai"]
    assert lines["cddua_average_monthly_hours"][1:] == [
        "Volume mensuel moyen garanti des CDDUA",
        "h",
        "85,50",
        "85,50",
        "",
    ]
    assert lines["contracts_by_kind.CDI"][3:] == ["1", "0", "1"]


def test_the_xlsx_export(client: Any, world: dict[str, Any]) -> None:
    direction = user_with_role(Role.DIRECTION, world["ai"])
    response = _get(
        client, direction, "indicators:entity_xlsx", world["ai"].slug, query="?annee=2025"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("Association Essai — indicateurs 2025",)
    header = rows.index(("indicateur", "libellé", "unité", "Association Essai"))
    # Read-only workbooks drop the empty cells at the end of a row.
    values = {row[0]: (row[3] if len(row) > 3 else None) for row in rows[header + 1 :]}
    assert values["cddua_concluded"] == 2
    assert D(str(values["cddua_average_monthly_hours"])) == D("85.5")
    assert values["etp_conventioned"] == 4


def test_the_annual_report_is_a_pdf_with_the_key_figures(
    client: Any, world: dict[str, Any]
) -> None:
    ai = world["ai"]
    exit_reason = ExitReason.CDI
    Exit.objects.create(
        person=PersonFactory.create(entity=ai),
        entity=ai,
        exit_on=date(2025, 10, 1),
        reason=exit_reason,
        category=exit_category(exit_reason),
        siae_kind=SiaeKind.AI,
        hours_worked=D(400),
        counted=True,
    )
    direction = user_with_role(Role.DIRECTION, ai)
    response = _get(client, direction, "indicators:entity_pdf", ai.slug)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="rapport-activite-{ai.slug}-2025.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "Rapport d'activité 2025" in text
    assert "Association Essai" in text
    assert "2 (85,50 h)" in text  # CDDUA concluded and their hours
    assert "Taux de sorties dynamiques : 100,0 %" in text
    assert "4,00" in text  # the annexe financière's ETP
    group_pdf = _get(client, direction, "indicators:group_pdf", world["group"].slug)
    group_text = pdf_text(group_pdf.content)
    assert "Par structure" in group_text and "Entreprise Essai" in group_text


# --- Queries --------------------------------------------------------------------------------------


def _add_rows(entity: Any, n: int) -> None:
    """``n`` of each record the indicators read, in 2025."""
    for i in range(n):
        person = PersonFactory.create(entity=entity, birth_date=date(1970, 1, 1))
        IntakeFactory(person=person, entity=entity, contacted_on=date(2025, 2, 1))
        PathwayStepFactory(person=person, entity=entity, started_on=date(2022, 1, 3 + i % 20))
        contract = ContractFactory(
            person=person, entity=entity, cddua=True, start=date(2025, 3, 3), monthly_hours=D(85)
        )
        intervention = InterventionFactory(entity=entity, worker=person, day=date(2025, 3, 4))
        TimeEntryFactory(
            entity=entity,
            person=person,
            client=intervention.order.client,
            intervention=intervention,
            day=date(2025, 3, 4),
            hours=D(3),
            validated=True,
        )
        Exit.objects.create(
            person=person,
            entity=entity,
            exit_on=date(2025, 11, 3),
            reason=ExitReason.TRAINING,
            category=exit_category(ExitReason.TRAINING),
            siae_kind=SiaeKind.AI,
            hours_worked=D(300),
            counted=True,
        )
        assert contract.pk


def test_the_dashboard_runs_as_many_queries_for_3n_rows_as_for_n(
    client: Any, world: dict[str, Any]
) -> None:
    ai = world["ai"]
    client.force_login(user_with_role(Role.DIRECTION, ai))
    url = reverse("indicators:group", args=[world["group"].slug])
    counts = []
    for n in (3, 6):  # 3 rows, then 9
        _add_rows(ai, n)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        html = BeautifulSoup(response.content, "html.parser")
        row = html.select_one('#indicators tr[data-key="people_received"]')
        counts.append((len(queries), row.select("td")[0].get_text(strip=True)))
    (queries_n, received_n), (queries_3n, received_3n) = counts
    assert (received_n, received_3n) == ("3", "9")
    assert queries_3n == queries_n


def test_a_membership_in_one_entity_opens_that_entity_only(
    client: Any, world: dict[str, Any]
) -> None:
    user = user_with_role(Role.CIP, world["ai"])
    MembershipFactory(user=user, entity=world["ei"], role=Role.PLANNER)
    assert _get(client, user, "indicators:entity", world["ei"].slug).status_code == 403
    assert _get(client, user, "indicators:group", world["group"].slug).status_code == 403
