"""The economics rules as tables, without the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tremplin.contracts.rules import ContractKind
from tremplin.core.parameters import ParameterNotInForce
from tremplin.economics import rules
from tremplin.economics.rules import EntryKind, FranchiseState, PeriodKind
from tremplin.organisations.rules import SiaeKind

D = Decimal


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-T1", PeriodKind.QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-T4", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
        ("2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        (" 2026-12 ", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31)),
    ],
    ids=["year", "first_quarter", "last_quarter", "leap_february", "spaces_trimmed"],
)
def test_parse_period(text: str, kind: PeriodKind, start: date, end: date) -> None:
    period = rules.parse_period(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert rules.parse_period(period.code) == period


@pytest.mark.parametrize("text", ["", "26", "2026-13", "2026-00", "2026-T5", "2026/10", "abcd"])
def test_parse_period_refuses_in_french(text: str) -> None:
    with pytest.raises(ValueError, match="Période invalide"):
        rules.parse_period(text)


@pytest.mark.parametrize(
    ("code", "previous", "following", "label"),
    [
        ("2026", "2025", "2027", "année 2026"),
        ("2026-T1", "2025-T4", "2026-T2", "1e trimestre 2026"),
        ("2026-01", "2025-12", "2026-02", "janvier 2026"),
    ],
)
def test_period_navigation(code: str, previous: str, following: str, label: str) -> None:
    period = rules.parse_period(code)
    assert period.previous().code == previous
    assert period.next().code == following
    assert period.label == label


@pytest.mark.parametrize(
    ("start", "end", "first", "last", "days"),
    [
        (date(2026, 1, 1), None, date(2026, 3, 1), date(2026, 3, 31), 31),
        (date(2026, 3, 15), None, date(2026, 3, 1), date(2026, 3, 31), 17),
        (date(2026, 1, 1), date(2026, 3, 10), date(2026, 3, 1), date(2026, 3, 31), 10),
        (date(2026, 4, 1), None, date(2026, 3, 1), date(2026, 3, 31), 0),
        (date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31), 0),
    ],
    ids=["open_covers_all", "starts_inside", "ends_inside", "starts_after", "ended_before"],
)
def test_overlap_days(start: date, end: date | None, first: date, last: date, days: int) -> None:
    assert rules.overlap_days(start, end, first, last) == days


# --- Largest remainder --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # 100,00 / 3 = 33,333… each: one cent left, to the first key given (equal weights).
        (
            D("100.00"),
            {"a": D(1), "b": D(1), "c": D(1)},
            {"a": D("33.34"), "b": D("33.33"), "c": D("33.33")},
        ),
        # 10,00 × 2/3 = 6,666… and 3,333…: the larger fraction (0,666…) takes the cent.
        (D("10.00"), {"a": D(1), "b": D(2)}, {"a": D("3.33"), "b": D("6.67")}),
        # Exact quotas leave nothing to distribute.
        (D("1000.00"), {"a": D(60), "b": D(40)}, {"a": D("600.00"), "b": D("400.00")}),
        # A zero weight gets nothing.
        (
            D("0.05"),
            {"a": D(0), "b": D(1), "c": D(1)},
            {"a": D("0.00"), "b": D("0.03"), "c": D("0.02")},
        ),
        # Negative totals are split as their absolute value, then negated.
        (
            D("-100.00"),
            {"a": D(1), "b": D(1), "c": D(1)},
            {"a": D("-33.34"), "b": D("-33.33"), "c": D("-33.33")},
        ),
        # 0,01 among 1 and 2: quotas 0,0033… and 0,0066…: the cent to the larger fraction.
        (D("0.01"), {"a": D(1), "b": D(2)}, {"a": D("0.00"), "b": D("0.01")}),
    ],
    ids=["thirds", "larger_fraction_wins", "exact", "zero_weight", "negative", "one_cent"],
)
def test_largest_remainder(
    total: Decimal, weights: dict[str, Decimal], expected: dict[str, Decimal]
) -> None:
    shares = rules.largest_remainder(total, weights)
    assert shares == expected
    assert sum(shares.values()) == total


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        (D("10.00"), {"a": D(0), "b": D(0)}, "nulle"),
        (D("10.00"), {}, "nulle"),
        (D("10.00"), {"a": D(-1), "b": D(2)}, "négative"),
        (D("10.001"), {"a": D(1)}, "centime"),
    ],
    ids=["all_zero", "no_entity", "negative_weight", "below_the_cent"],
)
def test_largest_remainder_refuses(
    total: Decimal, weights: dict[str, Decimal], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        rules.largest_remainder(total, weights)


@pytest.mark.parametrize(
    ("shares", "errors"),
    [
        ({1: D(60), 2: D(40)}, 0),
        ({1: D(60), 2: D(30)}, 1),
        ({1: D(120), 2: D(-20)}, 1),
    ],
    ids=["hundred", "short_of_hundred", "out_of_bounds"],
)
def test_fixed_share_errors(shares: dict[object, Decimal], errors: int) -> None:
    assert len(rules.fixed_share_errors(shares)) == errors


# --- Dated parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "amount"),
    [
        (SiaeKind.AI, date(2024, 10, 31), D(1588)),
        (SiaeKind.AI, date(2024, 11, 1), D(1619)),
        (SiaeKind.EI, date(2024, 12, 31), D(12459)),
        (SiaeKind.EI, date(2025, 1, 1), D(13304)),
        (SiaeKind.ETTI, date(2023, 5, 1), D(4636)),
        (SiaeKind.ACI, date(2022, 8, 1), D(22289)),
        (SiaeKind.AI, date(2026, 6, 1), D(1619)),
    ],
    ids=[
        "ai_before_11_2024",
        "ai_from_11_2024",
        "ei_end_2024",
        "ei_2025",
        "etti_5_2023",
        "aci_8_2022",
        "ai_2026_carried",
    ],
)
def test_aid_amounts(kind: SiaeKind, day: date, amount: Decimal) -> None:
    assert rules.aid_amount(kind, day) == amount


def test_aid_amounts_carried_over_are_marked_unconfirmed() -> None:
    assert rules.AID_AMOUNTS.period_on(date(2024, 11, 1)).confirmed
    assert not rules.AID_AMOUNTS.period_on(date(2026, 1, 1)).confirmed
    assert rules.aid_amount(SiaeKind.EITI, date(2018, 6, 1)) is None  # no amount: no aid


@pytest.mark.parametrize(
    ("kind", "siae", "rate"),
    [
        (ContractKind.CDDUA, SiaeKind.AI, D("0.10")),
        (ContractKind.CDDI, SiaeKind.EI, D("0.12")),
        (ContractKind.CDDI, None, D("0.14")),
        (ContractKind.CDI, SiaeKind.AI, D("0.14")),
        (ContractKind.PEC, None, D("0.12")),
    ],
    ids=["ai_insertion", "ei_insertion", "insertion_without_convention", "cdi", "pec"],
)
def test_employer_rate(kind: ContractKind, siae: SiaeKind | None, rate: Decimal) -> None:
    assert rules.employer_rate(kind, siae_kind=siae, on=date(2026, 3, 1)) == rate


def test_employer_rate_before_2019_is_not_in_force() -> None:
    with pytest.raises(ParameterNotInForce, match="01/06/2018"):
        rules.employer_rate(ContractKind.CDI, siae_kind=None, on=date(2018, 6, 1))


def test_payroll_cost() -> None:
    # 85 h × 12,02 € × 1,10 = 1 123,87 €
    assert rules.payroll_cost(D(85), D("12.02"), D("0.10")) == D("1123.87")


# --- Aide au poste ------------------------------------------------------------------------------


def test_aid_earned_month_by_month_within_the_annex() -> None:
    # AI, 1 619 €/ETP/year in 2026; annex 1 ETP → at most 12 ETP-months in the year.
    consumed = {date(2026, 1, 1): D(2), date(2026, 2, 1): D(5), date(2026, 3, 1): D(3)}
    months = rules.aid_earned(SiaeKind.AI, consumed, annex_etp=D(1), consumed_before=D(0))
    # January 2 ETP, February 5, March 3 → 10 ETP-months, all within 12.
    # 2 × 1 619 / 12 = 269,83 ; 5 × 1 619 / 12 = 674,58 ; 3 × 1 619 / 12 = 404,75.
    assert [m.amount for m in months] == [D("269.83"), D("674.58"), D("404.75")]


def test_aid_stops_at_the_annex_posts() -> None:
    # Annex 1 ETP: 12 ETP-months a year; 10 consumed before March, 5 in March → 2 paid.
    months = rules.aid_earned(
        SiaeKind.AI, {date(2026, 3, 1): D(5)}, annex_etp=D(1), consumed_before=D(10)
    )
    assert months[0].paid_etp == D(2)
    assert months[0].amount == D("269.83")  # 2 × 1 619 / 12
    later = rules.aid_earned(
        SiaeKind.AI, {date(2026, 4, 1): D(1)}, annex_etp=D(1), consumed_before=D(15)
    )
    assert later[0].amount == D("0.00")


def test_no_annex_no_aid() -> None:
    months = rules.aid_earned(SiaeKind.EI, {date(2026, 1, 1): D(1)}, annex_etp=None)
    assert months[0].amount == D("0.00")


def test_aid_advance_is_a_twelfth_of_the_annex() -> None:
    # 15 ETP × 1 619 € / 12 = 2 023,75 €
    assert rules.aid_advance(SiaeKind.AI, D(15), date(2026, 5, 1)) == D("2023.75")


def test_etp_months() -> None:
    assert rules.etp_months(D("151.67")) == D(1)


# --- Franchise ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lucrative", "year", "state", "share"),
    [
        (D("0"), 2025, FranchiseState.UNDER, D("0.0")),
        (D("64008.79"), 2025, FranchiseState.UNDER, D("80.0")),  # just under 80 % of 80 011
        (D("64008.80"), 2025, FranchiseState.NEAR, D("80.0")),  # exactly 80 %
        (D("80011"), 2025, FranchiseState.NEAR, D("100.0")),  # at the threshold: still franchised
        (D("80011.01"), 2025, FranchiseState.ABOVE, D("100.0")),
        (D("78596.01"), 2024, FranchiseState.ABOVE, D("100.0")),
    ],
    ids=["nothing", "under_warning", "at_warning", "at_threshold", "above", "above_2024"],
)
def test_franchise_check(
    lucrative: Decimal, year: int, state: FranchiseState, share: Decimal
) -> None:
    check = rules.franchise_check(lucrative, year=year)
    assert check.state == state
    assert check.share == share


def test_franchise_2026_is_unconfirmed() -> None:
    assert not rules.franchise_check(D(1000), year=2026).confirmed
    assert rules.franchise_check(D(1000), year=2025).confirmed


# --- Accounting import --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1 234,56", D("1234.56")),
        ("1234.5", D("1234.5")),
        ("-12,00", D("-12.00")),
        ("1\u202f000,00 €", D("1000.00")),
        ("1.234,56", D("1234.56")),
    ],
)
def test_parse_amount(text: str, amount: Decimal) -> None:
    assert rules.parse_amount(text) == amount


@pytest.mark.parametrize(
    ("account", "kind"),
    [("6132", EntryKind.COST), ("7410", EntryKind.GRANT), ("706", None), ("401", None)],
)
def test_kind_of_account(account: str, kind: EntryKind | None) -> None:
    assert rules.kind_of_account(account) == kind


def _row(**values: str) -> dict[str, str]:
    row = {"date": "31/03/2026", "compte": "6132", "libellé": "Loyer", "montant": "1 200,00"}
    return row | values


def test_parse_import_row_reads_a_good_line() -> None:
    line = rules.parse_import_row(2, _row(**{"activité": "lavage", "pièce": "F12"}))
    assert isinstance(line, rules.ImportedLine)
    assert (line.day, line.kind, line.amount, line.activity) == (
        date(2026, 3, 31),
        EntryKind.COST,
        D("1200.00"),
        "lavage",
    )


@pytest.mark.parametrize(
    ("values", "column", "reason"),
    [
        ({"date": "31/02/2026"}, "date", "date invalide"),
        ({"date": ""}, "date", "obligatoire"),
        ({"compte": "706"}, "compte", "ni une charge"),
        ({"compte": "6x"}, "compte", "invalide"),
        ({"montant": "douze"}, "montant", "illisible"),
        ({"activité": "peinture"}, "activité", "inconnue"),
        ({"libellé": "x" * 300}, "libellé", "255"),
    ],
    ids=[
        "impossible_date",
        "missing_date",
        "revenue_account",
        "bad_account",
        "bad_amount",
        "unknown_activity",
        "long_label",
    ],
)
def test_parse_import_row_names_line_column_reason(
    values: dict[str, str], column: str, reason: str
) -> None:
    errors = rules.parse_import_row(7, _row(**values))
    assert isinstance(errors, list)
    assert [(e.line, e.column) for e in errors] == [(7, column)]
    assert reason in errors[0].reason
    assert str(errors[0]).startswith(f"Ligne 7, colonne « {column} »")
