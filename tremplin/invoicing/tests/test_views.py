"""The invoicing pages: roles, 404 across entities, French errors, query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import MembershipFactory, user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing.models import CloseStatus, InvoiceDraft, InvoiceDraftLine
from tremplin.closing.tests.factories import MonthlyCloseFactory, ServiceFactory
from tremplin.invoicing import actions
from tremplin.invoicing.models import Invoice, InvoiceKind, InvoiceStatus, PaymentMethod
from tremplin.invoicing.tests.factories import (
    InvoicingEntityFactory,
    draft_with_lines,
    issued_invoice,
)
from tremplin.organisations.tests.factories import GroupFactory

pytestmark = pytest.mark.django_db
D = Decimal
N = 3


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(date(2026, 11, 26), tick=False):
        yield


@pytest.fixture
def entity() -> Any:
    return InvoicingEntityFactory.create()


@pytest.fixture
def accountant(client: Any, entity: Any) -> Any:
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    return client


def _soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.ACCOUNTANT, 200), (Role.DIRECTION, 200), (Role.PLANNER, 403), (Role.CIP, 403)],
    ids=str,
)
@pytest.mark.parametrize("page", ["index", "list", "overdue", "new", "invoice", "credit_note"])
def test_roles(client: Any, entity: Any, role: Role, expected: int, page: str) -> None:
    invoice = issued_invoice(entity=entity)
    urls = {
        "index": reverse("invoicing:index"),
        "list": reverse("invoicing:list", args=[entity.slug]),
        "overdue": reverse("invoicing:overdue", args=[entity.slug]),
        "new": reverse("invoicing:invoice_new", args=[entity.slug]),
        "invoice": reverse("invoicing:invoice", args=[invoice.pk]),
        "credit_note": reverse("invoicing:credit_note_new", args=[invoice.pk]),
    }
    client.force_login(user_with_role(role, entity))
    assert client.get(urls[page]).status_code == expected


def test_an_entity_of_the_group_the_user_does_not_belong_to_answers_404(
    client: Any, entity: Any
) -> None:
    sister = InvoicingEntityFactory.create(group=entity.group)
    invoice = issued_invoice(entity=sister)
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    assert client.get(reverse("invoicing:invoice", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("invoicing:list", args=[sister.slug])).status_code == 404
    response = client.post(reverse("invoicing:payment_new", args=[invoice.pk]), {"amount": "1"})
    assert response.status_code == 404
    assert not invoice.payments.exists()


def test_navigation_points_to_the_invoicing_index(accountant: Any) -> None:
    response = accountant.get(reverse("invoicing:index"))
    link = _soup(response).find("a", string="Facturation")
    assert link is not None and link["href"] == "/factures/"
    assert "active" in link["class"]


def test_index_links_the_closed_months(accountant: Any, entity: Any) -> None:
    MonthlyCloseFactory.create(entity=entity, year=2026, month=10, status=CloseStatus.CLOSED)
    response = accountant.get(reverse("invoicing:index"))
    prepare = reverse("invoicing:prepare_from_close", args=[entity.slug, 2026, 10])
    assert _soup(response).find("a", href=prepare).text == "Préparer les factures"
    assert _soup(response).find("a", href=reverse("closing:close", args=[entity.slug, 2026, 10]))


# --- List ------------------------------------------------------------------------------------


def test_list_filters(accountant: Any, entity: Any) -> None:
    client_a = ClientFactory.create(entity=entity, name="Alpha")
    client_b = ClientFactory.create(entity=entity, name="Bêta")
    with time_machine.travel(date(2026, 9, 10), tick=False):
        old = issued_invoice(entity=entity, client=client_a)
    new = issued_invoice(entity=entity, client=client_b)
    draft = draft_with_lines(entity=entity, client=client_a)
    url = reverse("invoicing:list", args=[entity.slug])

    def numbers(**params: Any) -> set[str]:
        soup = _soup(accountant.get(url, params))
        return {a.text for a in soup.select("#invoices tbody td:first-child a")}

    assert numbers() == {old.number, new.number, f"Brouillon n° {draft.pk}"}
    assert numbers(status="issued") == {old.number, new.number}
    assert numbers(client=client_a.pk) == {old.number, f"Brouillon n° {draft.pk}"}
    assert numbers(start="2026-10-01", status="issued") == {new.number}
    assert numbers(end="2026-09-30") == {old.number}
    response = accountant.get(url, {"start": "2026-10-02", "end": "2026-10-01"})
    assert "La fin de la période doit suivre son début." in response.content.decode()


def test_list_htmx_returns_the_table_fragment(accountant: Any, entity: Any) -> None:
    issued_invoice(entity=entity)
    url = reverse("invoicing:list", args=[entity.slug])
    fragment = accountant.get(url, HTTP_HX_REQUEST="true").content.decode()
    page = _soup(accountant.get(url))
    assert fragment.strip().startswith('<div id="invoice-table">')
    swapped = BeautifulSoup(fragment, "html.parser").find(id="invoice-table")
    assert str(swapped) == str(page.find(id="invoice-table"))


def _count(accountant: Any, url: str, rows: str) -> tuple[int, int]:
    accountant.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = accountant.get(url)
    assert response.status_code == 200
    return len(queries), len(_soup(response).select(rows))


def test_list_runs_a_constant_number_of_queries(accountant: Any, entity: Any) -> None:
    url = reverse("invoicing:list", args=[entity.slug])
    figures = []
    for count in (N, 3 * N):
        while (
            Invoice.objects.filter(entity=entity, kind=InvoiceKind.INVOICE).issued().count() < count
        ):
            invoice = issued_invoice(entity=entity, client=ClientFactory.create(entity=entity))
            actions.record_payment(
                invoice, by=None, paid_on=date(2026, 11, 26), amount=D(10), method="cheque"
            )
            actions.issue_credit_note(
                invoice, by=None, lines={invoice.lines.get().pk: D(1)}, reason="Une heure"
            )
            draft_with_lines(entity=entity)
        figures.append(_count(accountant, url, "#invoices tbody tr"))
    (queries_n, rows_n), (queries_3n, rows_3n) = figures
    assert (rows_n, rows_3n) == (3 * N, 9 * N)
    assert queries_3n == queries_n


def test_overdue_and_index_run_a_constant_number_of_queries(client: Any) -> None:
    group = GroupFactory()
    user = user_with_role(Role.ACCOUNTANT)
    figures = []
    for count in (N, 3 * N):
        while user.memberships.count() < count:
            entity = InvoicingEntityFactory.create(group=group)
            MembershipFactory(user=user, entity=entity, role=Role.ACCOUNTANT)
            MonthlyCloseFactory.create(
                entity=entity, year=2026, month=10, status=CloseStatus.CLOSED
            )
            with time_machine.travel(date(2026, 9, 1), tick=False):
                for _ in range(count):
                    issued_invoice(entity=entity)
        client.force_login(user)
        index = _count(client, reverse("invoicing:index"), "table.closes tbody tr")
        overdue = _count(
            client, reverse("invoicing:overdue", args=[entity.slug]), "#overdue tbody tr"
        )
        figures.append((index, overdue))
    ((index_n, months_n), (overdue_n, late_n)), ((index_3n, months_3n), (overdue_3n, late_3n)) = (
        figures
    )
    assert (months_n, months_3n) == (6 * N, 18 * N)
    assert (late_n, late_3n) == (N, 3 * N)
    assert (index_3n, overdue_3n) == (index_n, overdue_n)


# --- Drafts ----------------------------------------------------------------------------------


def test_create_a_draft_add_edit_and_delete_lines(accountant: Any, entity: Any) -> None:
    client = ClientFactory.create(entity=entity)
    service = ServiceFactory.create(entity=entity, unit_price=D("25.00"))
    response = accountant.post(
        reverse("invoicing:invoice_new", args=[entity.slug]),
        {
            "client": client.pk,
            "period_start": "2026-10-01",
            "period_end": "2026-10-31",
            "payment_terms_days": "30",
            "operation_nature": "services",
        },
    )
    draft = Invoice.objects.get(entity=entity)
    assert response.status_code == 302 and response["Location"] == f"/factures/facture/{draft.pk}/"
    response = accountant.post(
        reverse("invoicing:line_add", args=[draft.pk]), {"service": service.pk, "quantity": "4"}
    )
    assert response.status_code == 302
    line = draft.lines.get()
    assert (line.quantity, line.amount_excl_tax) == (D(4), D("100.00"))
    edit = reverse("invoicing:line_edit", args=[draft.pk, line.pk])
    assert accountant.get(edit).status_code == 200
    accountant.post(edit, {"label": "Bureaux", "quantity": "2", "unit_price": "30"})
    draft.refresh_from_db()
    assert draft.total_incl_tax == D("72.00")
    page = _soup(accountant.get(reverse("invoicing:invoice", args=[draft.pk])))
    assert "Bureaux" in page.select_one("#lines").text
    assert "72,00" in page.select_one("#totals").text
    assert "Nature des opérations" in page.select_one("#mentions").text
    accountant.post(reverse("invoicing:line_delete", args=[draft.pk, line.pk]))
    assert not draft.lines.exists()
    accountant.post(reverse("invoicing:invoice_delete", args=[draft.pk]))
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"period_start": "2026-10-31", "period_end": "2026-10-01"},
            "La fin de la période doit suivre son début.",
            id="period_reversed",
        ),
        pytest.param(
            {"payment_terms_days": "90"},
            "60 jours au plus",
            id="b2b_terms_beyond_ceiling",
        ),
    ],
)
def test_draft_form_errors_are_french(
    accountant: Any, entity: Any, data: dict[str, str], message: str
) -> None:
    client = ClientFactory.create(entity=entity)
    response = accountant.post(
        reverse("invoicing:invoice_new", args=[entity.slug]),
        {"client": client.pk, "payment_terms_days": "30", "operation_nature": "services"} | data,
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_line_with_a_bad_quantity_is_refused_in_french(accountant: Any, entity: Any) -> None:
    draft = draft_with_lines(entity=entity)
    service = ServiceFactory.create(entity=entity)
    response = accountant.post(
        reverse("invoicing:line_add", args=[draft.pk]), {"service": service.pk, "quantity": "0"}
    )
    assert response.status_code == 400
    assert "Quantité : " in response.content.decode()
    assert draft.lines.count() == 1


def test_post_only_urls_refuse_get(accountant: Any, entity: Any) -> None:
    draft = draft_with_lines(entity=entity)
    assert accountant.get(reverse("invoicing:invoice_issue", args=[draft.pk])).status_code == 405
    assert accountant.get(reverse("invoicing:invoice_delete", args=[draft.pk])).status_code == 405


def test_issued_invoices_have_no_draft_pages(accountant: Any, entity: Any) -> None:
    invoice = issued_invoice(entity=entity)
    for name in ("invoice_edit", "invoice_issue", "line_add", "invoice_delete"):
        assert accountant.post(reverse(f"invoicing:{name}", args=[invoice.pk])).status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED


# --- Issue, credit note, payment -----------------------------------------------------------------


def test_issue_from_the_page(accountant: Any, entity: Any) -> None:
    draft = draft_with_lines(entity=entity, client__vat_registered=True)
    vat_number = draft.client.vat_number
    assert vat_number
    page = _soup(accountant.get(reverse("invoicing:invoice", args=[draft.pk])))
    assert f"N° TVA {vat_number}" in " ".join(page.select_one("#parties").text.split())
    response = accountant.post(
        reverse("invoicing:invoice_issue", args=[draft.pk]), {"issue_date": "2026-11-26"}
    )
    assert response.status_code == 302
    # The issued page prints the frozen snapshot, not the client's current number.
    draft.client.vat_number = ""
    draft.client.save(update_fields=["vat_number"])
    page = _soup(accountant.get(response["Location"]))
    assert page.h1.text.startswith("Facture n° FA-2026-00001")
    assert entity.siren in page.select_one("#parties").text
    assert f"N° TVA {vat_number}" in " ".join(page.select_one("#parties").text.split())
    assert "40,00" in page.select_one("#mentions").text


def test_issue_errors_name_the_missing_fields_and_keep_the_draft(accountant: Any) -> None:
    entity = InvoicingEntityFactory.create(vat_number="")
    accountant.force_login(user_with_role(Role.ACCOUNTANT, entity))
    draft = draft_with_lines(entity=entity)
    response = accountant.post(
        reverse("invoicing:invoice_issue", args=[draft.pk]), {"issue_date": "2026-11-26"}
    )
    assert response.status_code == 400
    assert "n° de TVA intracommunautaire" in response.content.decode()
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
    response = accountant.post(
        reverse("invoicing:invoice_issue", args=[draft.pk]), {"issue_date": "2026-12-01"}
    )
    assert "ne peut pas être dans le futur" in response.content.decode()


def test_credit_note_form(accountant: Any, entity: Any) -> None:
    invoice = issued_invoice((("10", "25.00", "20"),), entity=entity)
    line = invoice.lines.get()
    url = reverse("invoicing:credit_note_new", args=[invoice.pk])
    form = _soup(accountant.get(url))
    field = form.find("input", attrs={"name": f"line_{line.pk}"})
    assert field is not None and field["value"] == "10.00"
    response = accountant.post(url, {"reason": "Trop", f"line_{line.pk}": "11"})
    assert response.status_code == 400
    assert "inférieure ou égale à 10" in response.content.decode()
    response = accountant.post(url, {"reason": "Deux heures en trop", f"line_{line.pk}": "2"})
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert response["Location"] == f"/factures/facture/{note.pk}/"
    assert note.total_incl_tax == D("-60.00")
    page = _soup(accountant.get(reverse("invoicing:invoice", args=[invoice.pk])))
    assert note.number in page.select_one("#credit-notes").text
    assert "240,00" in page.select_one("#balance").text


def test_payment_form(accountant: Any, entity: Any) -> None:
    invoice = issued_invoice(entity=entity)
    url = reverse("invoicing:payment_new", args=[invoice.pk])
    data = {"paid_on": "2026-11-26", "method": PaymentMethod.TRANSFER, "reference": "VIR 1"}
    response = accountant.post(url, data | {"amount": "300.01"})
    assert response.status_code == 400
    assert "dépasse le solde restant dû (300,00" in response.content.decode()
    assert not invoice.payments.exists()
    assert accountant.post(url, data | {"amount": "300.00"}).status_code == 302
    page = _soup(accountant.get(reverse("invoicing:invoice", args=[invoice.pk])))
    assert "VIR 1" in page.select_one("#payments").text
    assert "(soldée)" in page.select_one("#balance").text


def test_overdue_page(accountant: Any, entity: Any) -> None:
    with time_machine.travel(date(2026, 9, 1), tick=False):
        late = issued_invoice(entity=entity)
    issued_invoice(entity=entity)
    page = _soup(accountant.get(reverse("invoicing:overdue", args=[entity.slug])))
    rows = page.select("#overdue tbody tr")
    assert len(rows) == 1 and str(late.number) in rows[0].text and "56" in rows[0].text
    detail = _soup(accountant.get(reverse("invoicing:invoice", args=[late.pk])))
    assert "En retard de 56 jours" in detail.h1.text


# --- From the close ------------------------------------------------------------------------------


def test_prepare_invoices_from_a_closed_month(accountant: Any, entity: Any) -> None:
    close = MonthlyCloseFactory.create(
        entity=entity, year=2026, month=10, status=CloseStatus.CLOSED
    )
    service = ServiceFactory.create(entity=entity)
    for name in ("Alpha", "Bêta"):
        draft = InvoiceDraft.objects.create(
            close=close,
            client=ClientFactory.create(entity=entity, name=name),
            total_excl_tax=D("50.00"),
        )
        InvoiceDraftLine.objects.create(
            draft=draft,
            service=service,
            label=service.name,
            quantity=D(2),
            unit_price=D("25.00"),
            vat_rate=D(20),
            amount_excl_tax=D("50.00"),
        )
    url = reverse("invoicing:prepare_from_close", args=[entity.slug, 2026, 10])
    assert "Alpha (50,00" in accountant.get(url).content.decode()
    response = accountant.post(url, follow=True)
    assert "2 facture(s) brouillon préparée(s)" in response.content.decode()
    assert len(_soup(response).select("#close-invoices tbody tr")) == 2
    response = accountant.post(url, follow=True)
    assert "rien n'a changé" in _soup(response).text
    assert Invoice.objects.filter(close=close).count() == 2


def test_a_month_not_closed_has_no_invoice_page(accountant: Any, entity: Any) -> None:
    MonthlyCloseFactory.create(entity=entity, year=2026, month=10, status=CloseStatus.RUNNING)
    url = reverse("invoicing:prepare_from_close", args=[entity.slug, 2026, 10])
    assert accountant.post(url).status_code == 404
    assert (
        accountant.get(
            reverse("invoicing:prepare_from_close", args=[entity.slug, 2026, 13])
        ).status_code
        == 404
    )
