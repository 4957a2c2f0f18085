"""The FEC of the sales journal: format of LPF art. A47 A-1, balanced entries, credit notes
reversed, an entity and period filter, the file name, and the French error when the entity
lacks its SIREN."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.core.models import AccessLogEntry
from tremplin.invoicing import actions
from tremplin.invoicing.fec import (
    COLUMNS,
    ENCODING,
    FecError,
    Sale,
    SaleLine,
    SaleVat,
    encode,
    export_fec,
    fec_amount,
    fec_filename,
    fec_text,
    journal_rows,
)
from tremplin.invoicing.models import Invoice
from tremplin.invoicing.tests import factories_documents as docs
from tremplin.orders.rules import ServiceKind
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.models import Entity

D = Decimal
AMOUNT = re.compile(r"^\d+,\d{2}$")
DAY = re.compile(r"^20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")


def sale(
    number: str = "FA-2026-00001",
    *,
    lines: tuple[tuple[str, str, str], ...] = (("menage", "SAP-MEN", "100.00"),),
    vat: tuple[tuple[str, str], ...] = (("10", "10.00"),),
    credit: bool = False,
    day: date = date(2026, 3, 31),
    client: str = "C000001",
) -> Sale:
    sign = D(-1) if credit else D(1)
    sale_lines = tuple(SaleLine(a, code, sign * D(x)) for a, code, x in lines)
    sale_vat = tuple(SaleVat(D(rate), sign * D(x)) for rate, x in vat)
    excl = sum((line.amount for line in sale_lines), D("0.00"))
    tax = sum((v.amount for v in sale_vat), D("0.00"))
    return Sale(
        number=number,
        issue_date=day,
        validated_on=day,
        is_credit_note=credit,
        client_code=client,
        client_name="Mme Jeanne Martin",
        total_excl_tax=excl,
        total_vat=tax,
        total_incl_tax=excl + tax,
        lines=sale_lines,
        vat=sale_vat,
    )


def parse(text: str) -> list[dict[str, str]]:
    header, *lines = text.split("\r\n")[:-1]
    assert header.split("\t") == list(COLUMNS)
    return [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines]


def amount(value: str) -> Decimal:
    return D(value.replace(",", ".")) if value else D(0)


# --- Pure: entries and format --------------------------------------------------------------------


def test_an_invoice_entry_debits_the_client_and_credits_revenue_and_vat() -> None:
    invoice = sale(
        lines=(
            ("menage", "SAP-MEN", "100.00"),
            ("jardinage", "SAP-JAR", "50.00"),
            ("menage", "SAP-MEN", "20.00"),
        ),
        vat=(("10", "12.00"), ("20", "10.00")),
    )
    rows = parse(fec_text(journal_rows([invoice])))
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in rows] == [
        ("411000", "192,00", "0,00"),
        ("706230", "0,00", "50,00"),
        ("706210", "0,00", "120,00"),
        ("445712", "0,00", "12,00"),
        ("445711", "0,00", "10,00"),
    ]
    client_row = rows[0]
    assert (client_row["CompAuxNum"], client_row["CompAuxLib"]) == ("C000001", "Mme Jeanne Martin")
    assert all(r["CompAuxNum"] == "" for r in rows[1:])
    assert rows[1]["EcritureLib"] == "Facture FA-2026-00001 Mme Jeanne Martin [analytique SAP-JAR]"
    assert {r["EcritureNum"] for r in rows} == {"VT000001"}
    assert {(r["JournalCode"], r["JournalLib"]) for r in rows} == {("VT", "Journal des ventes")}
    assert {(r["PieceRef"], r["PieceDate"], r["EcritureDate"]) for r in rows} == {
        ("FA-2026-00001", "20260331", "20260331")
    }


def test_a_credit_note_is_the_same_entry_reversed() -> None:
    invoice_rows = journal_rows([sale()])
    credit_rows = journal_rows([sale("AV-2026-00001", credit=True)])
    assert [(r.account, r.debit, r.credit) for r in credit_rows] == [
        (r.account, r.credit, r.debit) for r in invoice_rows
    ]
    assert parse(fec_text(credit_rows))[0]["EcritureLib"] == "Avoir AV-2026-00001 Mme Jeanne Martin"


def test_entries_are_numbered_in_chronological_order_without_gaps() -> None:
    rows = journal_rows(
        [
            sale("FA-2026-00002", day=date(2026, 3, 31)),
            sale("AV-2026-00001", day=date(2026, 3, 15), credit=True),
            sale("FA-2026-00001", day=date(2026, 3, 15)),
        ]
    )
    numbers = list(dict.fromkeys((r.entry_number, r.piece_ref) for r in rows))
    assert numbers == [
        ("VT000001", "FA-2026-00001"),
        ("VT000002", "AV-2026-00001"),
        ("VT000003", "FA-2026-00002"),
    ]


def test_the_file_has_the_18_columns_header_separators_dates_and_amounts() -> None:
    text = fec_text(journal_rows([sale(), sale("AV-2026-00001", credit=True)]))
    lines = text.split("\r\n")
    assert lines[0] == (
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\t"
        "CompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\t"
        "ValidDate\tMontantdevise\tIdevise"
    )
    assert lines[-1] == ""  # every record ends with CR LF
    for line in lines[1:-1]:
        fields = line.split("\t")
        assert len(fields) == 18
        row = dict(zip(COLUMNS, fields, strict=True))
        for column in ("EcritureDate", "PieceDate", "ValidDate"):
            assert DAY.match(row[column]), (column, row[column])
        assert AMOUNT.match(row["Debit"]) and AMOUNT.match(row["Credit"])
        assert row["CompteNum"][:3].isdigit()
        assert row["EcritureLet"] == row["DateLet"] == row["Montantdevise"] == row["Idevise"] == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(D("1234.5"), "1234,50", id="no_thousands_separator"),
        pytest.param(D("0"), "0,00", id="zero"),
        pytest.param(D("0.01"), "0,01", id="one_cent"),
        pytest.param(None, "", id="empty"),
    ],
)
def test_fec_amount(value: Decimal | None, text: str) -> None:
    assert fec_amount(value) == text


def test_text_fields_cannot_break_the_file() -> None:
    tricky = dataclasses.replace(sale(), client_name="Dupont\tet | fils\r\nSARL")
    rows = parse(fec_text(journal_rows([tricky])))
    assert rows[0]["CompAuxLib"] == "Dupont et fils SARL"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        pytest.param("Léa Œuvre, 12 €", "Léa Œuvre, 12 €", id="french_letters_and_euro"),
        pytest.param("L’Atelier — fin…", "L'Atelier - fin...", id="typography_made_plain"),
        pytest.param("Gdańsk", "Gdansk", id="accent_outside_the_set"),
        pytest.param("Łukasz 漢", "?ukasz ?", id="letter_outside_the_set"),
    ],
)
def test_the_file_is_iso_8859_15(text: str, stored: str) -> None:
    assert ENCODING == "iso8859_15"
    assert encode(text) == stored.encode(ENCODING)


@pytest.mark.parametrize(
    ("siren", "closing", "name"),
    [
        pytest.param("732829320", date(2026, 12, 31), "732829320FEC20261231.txt", id="year_end"),
        pytest.param("552100554", date(2027, 6, 30), "552100554FEC20270630.txt", id="june_close"),
    ],
)
def test_the_file_name_rule(siren: str, closing: date, name: str) -> None:
    assert fec_filename(siren, closing) == name


def test_an_unknown_vat_rate_is_refused_naming_the_invoice() -> None:
    with pytest.raises(FecError) as exc:
        journal_rows([sale(vat=(("7", "7.00"),))])
    assert exc.value.messages == [
        "Pas de compte de TVA collectée pour le taux de 7,00 % de la facture FA-2026-00001."
    ]


def test_totals_that_do_not_add_up_are_refused() -> None:
    broken = dataclasses.replace(sale(), total_incl_tax=D("110.01"))
    with pytest.raises(FecError, match="n'est pas le total HT plus la TVA"):
        journal_rows([broken])


activities = st.sampled_from([kind.value for kind in ServiceKind])
cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: D(c) / 100)
rates = st.sampled_from(["20", "10", "5.5", "2.1", "0"])


@st.composite
def sales(draw: Any) -> Sale:
    lines = draw(
        st.lists(
            st.tuples(activities, st.sampled_from(["", "A1", "B2"]), cents, rates),
            min_size=1,
            max_size=6,
        )
    )
    credit = draw(st.booleans())
    sign = D(-1) if credit else D(1)
    bases: dict[str, Decimal] = defaultdict(lambda: D("0.00"))
    for _, _, base, rate in lines:
        bases[rate] += base
    vat = tuple(
        SaleVat(D(rate), sign * (base * D(rate) / 100).quantize(D("0.01")))
        for rate, base in bases.items()
    )
    sale_lines = tuple(SaleLine(a, code, sign * base) for a, code, base, _ in lines)
    excl = sum((line.amount for line in sale_lines), D("0.00"))
    tax = sum((v.amount for v in vat), D("0.00"))
    number = draw(st.integers(min_value=1, max_value=99_999))
    return Sale(
        number=f"{'AV' if credit else 'FA'}-2026-{number:05d}",
        issue_date=date(2026, 1, 1 + draw(st.integers(0, 30))),
        validated_on=date(2026, 2, 1),
        is_credit_note=credit,
        client_code="C000001",
        client_name="Client",
        total_excl_tax=excl,
        total_vat=tax,
        total_incl_tax=excl + tax,
        lines=sale_lines,
        vat=vat,
    )


@given(st.lists(sales(), min_size=1, max_size=8))
def test_every_entry_balances_and_the_client_account_sums_the_invoices(
    batch: list[Sale],
) -> None:
    rows = parse(fec_text(journal_rows(batch)))
    by_entry: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_entry[row["EcritureNum"]].append(row)
    assert len(by_entry) == len(batch)
    for entry in by_entry.values():
        assert sum(amount(r["Debit"]) for r in entry) == sum(amount(r["Credit"]) for r in entry)
    clients = [r for r in rows if r["CompteNum"] == "411000"]
    net = sum(amount(r["Debit"]) - amount(r["Credit"]) for r in clients)
    assert net == sum(s.total_incl_tax for s in batch)  # credit notes count negative
    revenue = sum(
        amount(r["Credit"]) - amount(r["Debit"]) for r in rows if r["CompteNum"].startswith("706")
    )
    assert revenue == sum(s.total_excl_tax for s in batch)


# --- From the database ----------------------------------------------------------------------------


@pytest.fixture
def journal() -> dict[str, Any]:
    """March and April invoices of one entity, a credit note, a draft, another entity's invoice."""
    with time_machine.travel(date(2026, 4, 20), tick=False):
        entity = docs.seller()
        user = docs.accountant(entity)
        client = ClientFactory(entity=entity, name="Logistique Atlantique SA")
        cleaning = ServiceFactory(entity=entity, analytic_code="B2B-ENT")
        washing = ServiceFactory(entity=entity, car_wash=True)
        march = docs.issued_invoice(
            entity, client, [(cleaning, D("10"))], by=user, issue_date=date(2026, 3, 31)
        )
        april = docs.issued_invoice(
            entity,
            client,
            [(cleaning, D("4")), (washing, D("2"))],
            by=user,
            issue_date=date(2026, 4, 2),
        )
        credit = actions.issue_credit_note(
            march, by=user, reason="Erreur de quantité", issue_date=date(2026, 4, 3)
        )
        draft = actions.create_draft(entity, client=client, by=user)
        actions.add_line(draft, by=user, service=cleaning, quantity=D("1"))
        late = docs.issued_invoice(
            entity, client, [(cleaning, D("1"))], by=user, issue_date=date(2026, 4, 15)
        )
        other = docs.company_invoice(issue_date=date(2026, 4, 2))
    return {
        "entity": entity,
        "user": user,
        "march": march,
        "april": april,
        "credit": credit,
        "late": late,
        "other": other,
    }


@pytest.mark.django_db
def test_the_export_filters_entity_and_period_and_sums_the_invoices(
    journal: dict[str, Any],
) -> None:
    entity: Entity = journal["entity"]
    export = export_fec(entity, start=date(2026, 4, 1), end=date(2026, 4, 10))
    assert export.filename == f"{entity.siren}FEC20260410.txt"
    rows = parse(export.content.decode(ENCODING))
    pieces = list(dict.fromkeys(r["PieceRef"] for r in rows))
    assert pieces == [journal["april"].number, journal["credit"].number]
    assert export.entries == 2
    assert export.rows == len(rows)
    clients = [r for r in rows if r["CompteNum"] == "411000"]
    assert {r["CompAuxNum"] for r in clients} == {f"C{journal['april'].client_id:06d}"}
    net = sum(amount(r["Debit"]) - amount(r["Credit"]) for r in clients)
    expected = journal["april"].total_incl_tax + journal["credit"].total_incl_tax
    assert journal["credit"].total_incl_tax < 0
    assert net == expected
    credit_rows = [r for r in rows if r["PieceRef"] == journal["credit"].number]
    assert credit_rows[0]["Credit"] == fec_amount(-journal["credit"].total_incl_tax)
    assert {r["CompteNum"] for r in rows} == {"411000", "706330", "706310", "445711"}
    assert any("[analytique B2B-ENT]" in r["EcritureLib"] for r in rows)
    for entry in {r["EcritureNum"] for r in rows}:
        lines = [r for r in rows if r["EcritureNum"] == entry]
        assert sum(amount(r["Debit"]) for r in lines) == sum(amount(r["Credit"]) for r in lines)


@pytest.mark.django_db
def test_the_whole_year_holds_every_issued_invoice_once(journal: dict[str, Any]) -> None:
    export = export_fec(journal["entity"], start=date(2026, 1, 1), end=date(2026, 12, 31))
    rows = parse(export.content.decode(ENCODING))
    issued = Invoice.objects.issued().filter(entity=journal["entity"])
    assert list(dict.fromkeys(r["PieceRef"] for r in rows)) == [
        journal[key].number for key in ("march", "april", "credit", "late")
    ]
    assert issued.count() == export.entries == 4
    net = sum(amount(r["Debit"]) - amount(r["Credit"]) for r in rows if r["CompteNum"] == "411000")
    assert net == sum(invoice.total_incl_tax for invoice in issued)


@pytest.mark.django_db
def test_an_entity_without_siren_cannot_export() -> None:
    entity = docs.seller(name="Atelier Nord", siren="", siret="", vat_number="")
    with pytest.raises(FecError) as exc:
        export_fec(entity, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert exc.value.messages == [
        "Le SIREN de la structure « Atelier Nord » n'est pas renseigné (champ « SIREN » de la "
        "fiche structure) : il nomme le fichier des écritures comptables (SIRENFECAAAAMMJJ)."
    ]


# --- View ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_accountant_downloads_the_fec(client: Any, journal: dict[str, Any]) -> None:
    entity = journal["entity"]
    client.force_login(journal["user"])
    response = client.get(
        reverse("invoicing:fec_export"),
        {"entity": entity.slug, "start": "2026-01-01", "end": "2026-12-31"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=iso-8859-15"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{entity.siren}FEC20261231.txt"'
    )
    assert response.content.decode(ENCODING).startswith("JournalCode\tJournalLib\t")
    assert AccessLogEntry.objects.filter(entity=entity, what="invoicing.fec_exported").exists()


@pytest.mark.django_db
def test_the_form_page_and_a_french_error_for_a_missing_siren(client: Any) -> None:
    entity = docs.seller(name="Atelier Nord", siren="", siret="", vat_number="")
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    page = client.get(reverse("invoicing:fec_export"))
    assert page.status_code == 200
    assert f'<option value="{entity.slug}" selected>Atelier Nord</option>' in page.content.decode()
    response = client.get(
        reverse("invoicing:fec_export"),
        {"entity": entity.slug, "start": "2026-01-01", "end": "2026-12-31"},
    )
    assert response.status_code == 400
    assert "Le SIREN de la structure « Atelier Nord » n&#x27;est pas renseigné" in (
        response.content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            {"start": "2026-12-31", "end": "2026-01-01"},
            "La fin de la période doit suivre son début.",
            id="end_before_start",
        ),
        pytest.param({"start": "2026-01-01", "end": ""}, "Ce champ est obligatoire.", id="no_end"),
    ],
)
def test_bad_periods_are_refused_in_french(
    client: Any, query: dict[str, str], message: str
) -> None:
    entity = docs.seller()
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    response = client.get(reverse("invoicing:fec_export"), {"entity": entity.slug, **query})
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_an_entity_the_user_cannot_invoice_is_not_offered(client: Any) -> None:
    mine = docs.seller()
    theirs = docs.seller(group=mine.group)
    user = user_with_role(Role.ACCOUNTANT, mine)
    from tremplin.accounts.tests.factories import MembershipFactory

    MembershipFactory(user=user, entity=theirs, role=Role.PLANNER)
    client.force_login(user)
    response = client.get(
        reverse("invoicing:fec_export"),
        {"entity": theirs.slug, "start": "2026-01-01", "end": "2026-12-31"},
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()


@pytest.mark.django_db
def test_a_role_without_invoicing_is_refused(client: Any) -> None:
    entity = docs.seller()
    client.force_login(user_with_role(Role.PLANNER, entity))
    assert client.get(reverse("invoicing:fec_export")).status_code == 403


@pytest.mark.django_db
def test_the_invoicing_index_offers_the_fec_export(client: Any) -> None:
    entity = docs.seller()
    client.force_login(user_with_role(Role.ACCOUNTANT, entity))
    with time_machine.travel(date(2026, 4, 20), tick=False):
        page = client.get(reverse("invoicing:index")).content.decode()
    assert f'action="{reverse("invoicing:fec_export")}"' in page
    assert f'<option value="{entity.slug}">{entity.name}</option>' in page
    assert 'name="end" value="2026-12-31"' in page
