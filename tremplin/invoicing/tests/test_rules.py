"""Invoicing rules as tables, without the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tremplin.clients.rules import ClientKind
from tremplin.core.parameters import ParameterNotInForce
from tremplin.invoicing import rules
from tremplin.invoicing.rules import VatGroup
from tremplin.organisations.rules import VatRegime

D = Decimal


@pytest.mark.parametrize(
    ("quantity", "price", "expected"),
    [
        pytest.param("3.50", "24.15", "84.53", id="half_cent_rounds_up"),
        pytest.param("1.25", "13.33", "16.66", id="below_half_rounds_down"),
        pytest.param("2", "19.99", "39.98", id="exact"),
        pytest.param("0.5", "0.01", "0.01", id="half_of_a_cent_rounds_up"),
        pytest.param("-0.5", "0.01", "-0.01", id="negative_half_rounds_away_from_zero"),
        pytest.param("0", "25.00", "0.00", id="zero_quantity"),
    ],
)
def test_line_amount(quantity: str, price: str, expected: str) -> None:
    assert rules.line_amount(D(quantity), D(price)) == D(expected)


def test_worked_invoice_of_the_docs() -> None:
    lines = [
        (rules.line_amount(D("3.50"), D("24.15")), D("20")),
        (rules.line_amount(D("1.25"), D("13.33")), D("20.0")),
        (rules.line_amount(D("2"), D("19.99")), D("10")),
    ]
    totals = rules.totals(lines)
    assert totals.groups == (
        VatGroup(D("10.00"), D("39.98"), D("4.00")),
        VatGroup(D("20.00"), D("101.19"), D("20.24")),
    )
    assert (totals.excl_tax, totals.vat, totals.incl_tax) == (D("141.17"), D("24.24"), D("165.41"))


def test_vat_is_rounded_once_per_rate_not_per_line() -> None:
    totals = rules.totals([(D("0.05"), D("10"))] * 3)
    assert totals.vat == D("0.02")  # per line it would be 3 × 0,01


def test_no_lines_make_zero_totals() -> None:
    totals = rules.totals([])
    assert (totals.excl_tax, totals.vat, totals.incl_tax, totals.groups) == (0, 0, 0, ())


@pytest.mark.parametrize(
    ("regime", "rate", "expected"),
    [
        pytest.param(VatRegime.NORMAL, "20", "20", id="normal_keeps_rate"),
        pytest.param(VatRegime.SIMPLIFIED, "10", "10", id="simplified_keeps_rate"),
        pytest.param(VatRegime.NOT_SUBJECT, "20", "0", id="association_not_subject"),
        pytest.param(VatRegime.FRANCHISE, "20", "0", id="franchise_en_base"),
    ],
)
def test_effective_vat_rate(regime: str, rate: str, expected: str) -> None:
    assert rules.effective_vat_rate(D(rate), regime) == D(expected)


@pytest.mark.parametrize(
    ("quantity", "price", "left_q", "left_amount", "expected"),
    [
        pytest.param("1", "10.00", "3", "30.00", "-10.00", id="part_of_a_line"),
        pytest.param("3", "10.00", "3", "30.00", "-30.00", id="all_that_is_left"),
        pytest.param("0.5", "0.01", "0.5", "0.00", "-0.00", id="second_half_of_a_cent_line"),
        pytest.param("0.5", "0.01", "1", "0.01", "-0.01", id="first_half_of_a_cent_line"),
        pytest.param("0.4", "0.03", "0.5", "0.00", "0.00", id="capped_at_what_is_left"),
    ],
)
def test_credit_line_amount(
    quantity: str, price: str, left_q: str, left_amount: str, expected: str
) -> None:
    amount = rules.credit_line_amount(
        D(quantity), D(price), left_quantity=D(left_q), left_amount=D(left_amount)
    )
    assert amount == D(expected)


@pytest.mark.parametrize(
    ("base", "left_base", "left_vat", "expected_vat"),
    [
        pytest.param("-100.00", "100.00", "20.00", "-20.00", id="whole_rate_takes_all_vat"),
        pytest.param("-50.00", "100.00", "20.00", "-10.00", id="half_of_the_base"),
        pytest.param("-0.33", "0.66", "0.04", "-0.04", id="rounding_capped_at_vat_left"),
        pytest.param("-0.33", "0.33", "0.03", "-0.03", id="last_part_takes_exact_rest"),
    ],
)
def test_credit_note_groups(base: str, left_base: str, left_vat: str, expected_vat: str) -> None:
    rate = D("20.00")
    groups = rules.credit_note_groups(
        {rate: D(base)}, {rate: VatGroup(rate, D(left_base), D(left_vat))}
    )
    assert groups == (VatGroup(rate, D(base), D(expected_vat)),)


@pytest.mark.parametrize(
    ("asked", "invoiced", "credited", "error"),
    [
        pytest.param("1", "3", "0", "", id="within"),
        pytest.param("3", "3", "0", "", id="exactly_all"),
        pytest.param("2", "3", "1", "", id="rest_after_a_partial"),
        pytest.param("3", "3", "1", "dépasse la quantité restant à créditer (2,00)", id="beyond"),
        pytest.param("-1", "3", "0", "ne peut pas être négative", id="negative"),
    ],
)
def test_credit_quantity_error(asked: str, invoiced: str, credited: str, error: str) -> None:
    message = rules.credit_quantity_error(
        label="Ménage",
        position=2,
        asked=D(asked),
        invoiced=D(invoiced),
        already_credited=D(credited),
    )
    if error:
        assert error in message and message.startswith("Ligne 2 (Ménage)")
    else:
        assert message == ""


@pytest.mark.parametrize(
    ("series", "year", "sequence", "number"),
    [
        pytest.param("FA", 2026, 1, "FA-2026-00001", id="first"),
        pytest.param("AV", 2026, 42, "AV-2026-00042", id="credit_note"),
        pytest.param("FA", 2027, 123456, "FA-2027-123456", id="beyond_five_digits"),
    ],
)
def test_format_number_of(series: str, year: int, sequence: int, number: str) -> None:
    assert rules.format_number_of(series, year, sequence) == number


@pytest.mark.parametrize(
    ("sequences", "gaps"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([3, 1, 2], [], id="complete_unordered"),
        pytest.param([1, 2, 4, 6], [3, 5], id="two_gaps"),
    ],
)
def test_numbering_gaps(sequences: list[int], gaps: list[int]) -> None:
    assert rules.numbering_gaps(sequences) == gaps


TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("issue", "last", "error"),
    [
        pytest.param(TODAY, None, "", id="first_of_series_today"),
        pytest.param(date(2026, 11, 20), date(2026, 11, 20), "", id="same_day_as_last"),
        pytest.param(date(2026, 11, 27), None, "postérieure à aujourd'hui", id="future"),
        pytest.param(date(2026, 11, 19), date(2026, 11, 20), "ordre chronologique", id="backdated"),
    ],
)
def test_issue_date_error(issue: date, last: date | None, error: str) -> None:
    message = rules.issue_date_error(issue, last, TODAY)
    assert (error in message) if error else message == ""


@pytest.mark.parametrize(
    ("days", "kind", "error"),
    [
        pytest.param(30, ClientKind.COMPANY, "", id="thirty_days_b2b"),
        pytest.param(60, ClientKind.COMPANY, "", id="at_the_b2b_ceiling"),
        pytest.param(61, ClientKind.COMPANY, "60 jours au plus", id="past_the_b2b_ceiling"),
        pytest.param(90, ClientKind.HOUSEHOLD, "", id="household_has_no_ceiling"),
        pytest.param(-1, ClientKind.HOUSEHOLD, "négatif", id="negative"),
    ],
)
def test_payment_days_error(days: int, kind: str, error: str) -> None:
    message = rules.payment_days_error(days, client_kind=kind, on=TODAY)
    assert (error in message) if error else message == ""


@pytest.mark.parametrize(
    ("issue", "days", "due"),
    [
        pytest.param(date(2026, 1, 31), 30, date(2026, 3, 2), id="across_february"),
        pytest.param(date(2026, 12, 15), 30, date(2027, 1, 14), id="across_the_year"),
        pytest.param(date(2026, 5, 4), 0, date(2026, 5, 4), id="on_receipt"),
    ],
)
def test_due_date(issue: date, days: int, due: date) -> None:
    assert rules.due_date(issue, days) == due


@pytest.mark.parametrize(
    ("due", "balance", "overdue"),
    [
        pytest.param(date(2026, 11, 25), D("10.00"), True, id="day_after_due"),
        pytest.param(TODAY, D("10.00"), False, id="due_today"),
        pytest.param(date(2026, 10, 1), D("0.00"), False, id="paid"),
        pytest.param(date(2026, 10, 1), D("-5.00"), False, id="credited_beyond"),
        pytest.param(None, D("10.00"), False, id="draft_without_due_date"),
    ],
)
def test_is_overdue(due: date | None, balance: Decimal, overdue: bool) -> None:
    assert rules.is_overdue(due, balance, TODAY) is overdue


@pytest.mark.parametrize(
    ("amount", "balance", "error"),
    [
        pytest.param("60.00", "60.00", "", id="pays_the_balance"),
        pytest.param("10.00", "60.00", "", id="partial_payment"),
        pytest.param("60.01", "60.00", "dépasse le solde restant dû (60,00", id="beyond_balance"),
        pytest.param("0", "60.00", "différent de zéro", id="zero"),
        pytest.param("10.00", "0", "soldée", id="settled"),
        pytest.param("-10.00", "60.00", "remboursement", id="refund_while_owed"),
        pytest.param("-20.00", "-20.00", "", id="refund_the_credit"),
        pytest.param("-20.01", "-20.00", "dépasse la somme due au client", id="refund_too_much"),
        pytest.param("5.00", "-20.00", "montant négatif", id="payment_while_credited"),
    ],
)
def test_payment_error(amount: str, balance: str, error: str) -> None:
    message = rules.payment_error(D(amount), D(balance))
    assert (error in message) if error else message == ""


def _facts(**changes: object) -> rules.MentionFacts:
    base: dict[str, object] = {
        "issue_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "payment_days": 30,
        "client_kind": ClientKind.COMPANY,
        "seller_vat_regime": VatRegime.NORMAL,
        "operation_nature_label": "Prestations de services",
        "vat_on_debits": False,
    }
    return rules.MentionFacts(**(base | changes))


def test_b2b_mentions_carry_penalties_and_the_40_euro_indemnity() -> None:
    mentions = rules.legal_mentions(_facts())
    text = " ".join(mentions.lines)
    assert "Nature des opérations : Prestations de services." in text
    assert "Paiement à 30 jours, au plus tard le 01/04/2026" in text
    assert "Pas d'escompte" in text
    assert "12,15 %" in text and "40,00\u00a0€" in text
    assert mentions.late_penalty_rate == D("12.15")
    assert mentions.recovery_indemnity == D("40.00")
    assert "débits" not in text and mentions.vat_exemption == ""


def test_mentions_of_options_and_exemptions() -> None:
    text = " ".join(
        rules.legal_mentions(
            _facts(vat_on_debits=True, seller_vat_regime=VatRegime.NOT_SUBJECT)
        ).lines
    )
    assert "Option pour le paiement de la taxe d'après les débits." in text
    assert "TVA non applicable, art. 261-7-1° b du CGI." in text


def test_household_sap_mentions_without_the_b2b_indemnity() -> None:
    mentions = rules.legal_mentions(
        _facts(
            client_kind=ClientKind.HOUSEHOLD,
            is_sap=True,
            sap_declaration="SAP123456789",
            sap_declared_on=date(2020, 1, 1),
        )
    )
    text = " ".join(mentions.lines)
    assert mentions.recovery_indemnity is None and "40,00" not in text
    assert "Déclaration de services à la personne n° SAP123456789 du 01/01/2020" in text
    assert "199 sexdecies" in text


def test_credit_note_mentions_refer_to_the_original() -> None:
    mentions = rules.legal_mentions(
        _facts(
            corrects_number="FA-2026-00007",
            corrects_issue_date=date(2026, 2, 1),
            credit_reason="heures comptées deux fois",
        )
    )
    assert mentions.lines[0] == (
        "Avoir relatif à la facture n° FA-2026-00007 du 01/02/2026 — motif : heures comptées "
        "deux fois."
    )
    assert mentions.late_penalty_rate is None
    assert "FA-2026-00007" in mentions.payment_terms


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        pytest.param(date(2025, 6, 30), "13.15", id="last_day_of_first_half_2025"),
        pytest.param(date(2025, 7, 1), "12.15", id="first_day_of_second_half_2025"),
        pytest.param(date(2027, 1, 1), "12.15", id="open_ended_period"),
    ],
)
def test_late_penalty_rate_is_dated(day: date, rate: str) -> None:
    assert rules.LATE_PENALTY_RATE.on(day) == D(rate)


def test_penalty_rate_unknown_before_its_first_period() -> None:
    with pytest.raises(ParameterNotInForce):
        rules.LATE_PENALTY_RATE.on(date(2022, 12, 31))


@pytest.mark.parametrize(
    ("siret", "siren"),
    [
        pytest.param("73282932000074", "732829320", id="siret"),
        pytest.param("", "", id="household_without_siret"),
        pytest.param("7328", "", id="malformed"),
    ],
)
def test_siren_of(siret: str, siren: str) -> None:
    assert rules.siren_of(siret) == siren
