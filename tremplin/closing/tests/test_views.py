from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.rules import french_vat_number
from tremplin.closing import actions
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.closing.tests.factories import TimeEntryFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.models import AccessLogEntry
from tremplin.invoicing.tests.factories import InvoiceFactory, issued_invoice
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed() -> dict[str, Any]:
    contract = ContractFactory.create(
        start=date(2026, 9, 1),
        person=PersonFactory(birth_name="=HYPERLINK(1)", first_name="@Camille"),
    )
    TimeEntryFactory(person=contract.person, day=date(2026, 10, 6), hours=Decimal("7.25"))
    entity = contract.entity
    close = actions.start_close(entity, year=2026, month=10, by=None, run_in_background=False)
    actions.close_month(close)
    return {"entity": entity, "close": close, "person": contract.person}


def url(name: str, entity: Any) -> str:
    return reverse(f"closing:{name}", args=[entity.slug, 2026, 10])


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ACCOUNTANT, 200),
        (Role.DIRECTION, 200),
        (Role.PLANNER, 403),
        (Role.CIP, 403),
        (Role.HR, 403),
    ],
    ids=str,
)
@pytest.mark.parametrize("name", ["close", "payroll_csv", "asp_csv"])
def test_roles(client: Any, closed: dict[str, Any], role: Role, expected: int, name: str) -> None:
    client.force_login(user_with_role(role, closed["entity"]))
    assert client.get(url(name, closed["entity"])).status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"), [(Role.ACCOUNTANT, 200), (Role.DIRECTION, 403)], ids=str
)
def test_only_the_accountant_reopens(
    client: Any, closed: dict[str, Any], role: Role, expected: int
) -> None:
    client.force_login(user_with_role(role, closed["entity"]))
    assert client.get(url("reopen", closed["entity"])).status_code == expected


def test_index_lists_the_months_of_the_entities(
    client: Any, closed: dict[str, Any], time_machine: Any
) -> None:
    time_machine.move_to(date(2026, 11, 15))
    client.force_login(user_with_role(Role.ACCOUNTANT, closed["entity"]))
    response = client.get(reverse("closing:index"))
    content = response.content.decode()
    assert "Octobre 2026" in content and "Juin 2026" in content and "Mai 2026" not in content
    assert "Clôturé" in content
    assert client.get("/").status_code in {200, 302}


def test_index_refuses_other_roles(client: Any, closed: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.PLANNER, closed["entity"]))
    assert client.get(reverse("closing:index")).status_code == 403


def test_start_then_follow_the_close(client: Any, django_capture_on_commit_callbacks: Any) -> None:
    contract = ContractFactory.create(start=date(2026, 9, 1))
    TimeEntryFactory(person=contract.person, day=date(2026, 10, 6))
    client.force_login(user_with_role(Role.DIRECTION, contract.entity))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("close", contract.entity))
    assert response.status_code == 302
    close = MonthlyClose.objects.get(entity=contract.entity)
    assert close.status == CloseStatus.CLOSED
    page = client.get(url("close", contract.entity)).content.decode()
    assert "Brouillons de facture" in page and "variables-de-paie.csv" in page


def test_progress_partial_polls_while_running(client: Any) -> None:
    contract = ContractFactory.create()
    MonthlyClose.objects.create(
        entity=contract.entity, year=2026, month=10, progress=40, step="Brouillons"
    )
    client.force_login(user_with_role(Role.ACCOUNTANT, contract.entity))
    full = client.get(url("close", contract.entity)).content.decode()
    partial = client.get(url("close", contract.entity), headers={"HX-Request": "true"})
    fragment = partial.content.decode().strip()
    assert 'hx-trigger="every 1s"' in fragment and 'value="40"' in fragment
    assert fragment in full  # the swap gives the page a full render would give
    assert "Actualiser" in fragment  # without JavaScript, a link reloads the page
    assert "HX-Refresh" not in partial


def test_progress_partial_refreshes_the_page_when_done(client: Any, closed: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.ACCOUNTANT, closed["entity"]))
    response = client.get(url("close", closed["entity"]), headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "every 1s" not in response.content.decode()


def read_csv(response: Any) -> list[list[str]]:
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_payroll_csv(client: Any, closed: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.ACCOUNTANT, closed["entity"]))
    rows = read_csv(client.get(url("payroll_csv", closed["entity"])))
    assert rows[0][:4] == ["Identifiant", "Nom", "Prénom", "Heures normales"]
    assert rows[1] == [
        str(closed["person"].pk),
        "'=HYPERLINK(1)",
        "'@Camille",
        "7,25",
        "0,00",
        "0,00",
        "0,00",
        "0,00",
        "0,0",
        "0",
    ]
    assert AccessLogEntry.objects.filter(what="closing.payroll_exported").count() == 1


def test_asp_csv(client: Any, closed: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.DIRECTION, closed["entity"]))
    rows = read_csv(client.get(url("asp_csv", closed["entity"])))
    assert rows[0][-5:] == [
        "Heures travaillées",
        "Heures facturées",
        "Missions",
        "Salaire brut",
        "Part ETP",
    ]
    # 7.25 h × 12.50 € = 90.63 € (90.625 half up); 7.25 / 151.67 = 0.0478 → 0.048.
    assert rows[1][-5:] == ["7,25", "7,25", "1", "90,63", "0,048"]
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_exports_of_an_unclosed_month_are_404(client: Any) -> None:
    contract = ContractFactory.create()
    client.force_login(user_with_role(Role.ACCOUNTANT, contract.entity))
    assert client.get(url("payroll_csv", contract.entity)).status_code == 404


def test_reopen_with_a_reason(client: Any, closed: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.ACCOUNTANT, closed["entity"]))
    assert client.post(url("reopen", closed["entity"]), {"reason": ""}).status_code == 200
    assert TimeEntry.objects.locked().count() == 1
    response = client.post(url("reopen", closed["entity"]), {"reason": "Heures oubliées du 6/10"})
    assert response.status_code == 302
    closed["close"].refresh_from_db()
    assert closed["close"].status == CloseStatus.REOPENED
    assert TimeEntry.objects.get().status == EntryStatus.VALIDATED
    assert not TimeEntry.objects.locked().exists()


def test_reopen_page_says_what_happens_to_the_invoices_of_the_close(
    client: Any, closed: dict[str, Any]
) -> None:
    entity, close = closed["entity"], closed["close"]
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    page = client.get(url("reopen", entity)).content.decode()
    assert 'id="draft-invoices"' not in page and 'id="issued-invoices"' not in page
    entity.vat_number = french_vat_number(entity.siren)  # to issue an invoice
    entity.save()
    issued_invoice(entity=entity, close=close)
    InvoiceFactory(entity=entity, close=close)
    InvoiceFactory(entity=entity, close=close)
    page = client.get(url("reopen", entity)).content.decode()
    assert "2 factures en brouillon préparées à partir de cette clôture seront supprimées" in page
    assert "1 facture déjà émise à partir de cette clôture reste inchangée" in page
    response = client.post(
        url("reopen", entity), {"reason": "Heures oubliées du 6/10"}, follow=True
    )
    text = response.content.decode()
    assert "Le mois est rouvert : 1 relevé(s)" in text
    assert "2 facture(s) en brouillon issue(s) de la clôture supprimée(s)" in text
    assert "1 facture(s) déjà émise(s) à partir de cette clôture reste(nt) inchangée(s)" in text
    assert close.invoices.get().is_issued


def test_unknown_month_is_404(client: Any, closed: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.ACCOUNTANT, closed["entity"]))
    assert client.get(f"/cloture/{closed['entity'].slug}/2026/13/").status_code == 404


def test_a_close_without_progress_offers_to_start_it_again(
    client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    contract = ContractFactory.create(start=date(2026, 9, 1))
    TimeEntryFactory(person=contract.person, day=date(2026, 10, 6))
    entity = contract.entity
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    with time_machine.travel(datetime(2026, 11, 2, 8, 0, tzinfo=UTC), tick=False) as clock:
        actions.start_close(entity, year=2026, month=10, by=None, run_in_background=False)
        clock.shift(timedelta(minutes=10))
        partial = client.get(url("close", entity), headers={"HX-Request": "true"}).content
        assert "Relancer" not in partial.decode()
        clock.shift(timedelta(minutes=25))
        fragment = client.get(url("close", entity), headers={"HX-Request": "true"}).content.decode()
        # Paris time on the page; the poll slows down while nothing moves.
        assert "Aucune progression depuis le 02/11/2026 à 09:00" in fragment
        assert 'hx-trigger="every 30s"' in fragment
        assert "Relancer la clôture de octobre 2026" in fragment
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url("close", entity))
    assert response.status_code == 302
    close = MonthlyClose.objects.get(entity=entity)
    assert close.status == CloseStatus.CLOSED and close.attempt == 2
