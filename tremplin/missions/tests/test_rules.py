from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tremplin.clients.rules import ClientKind
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.rules import ContractKind, MadCapState
from tremplin.missions.rules import (
    LedgerState,
    PlacementDecision,
    check_placement,
    derogation_in_force,
    derogation_overlap_errors,
    mad_ledger,
    next_mission_order_number,
    placement_contract_errors,
    placement_errors,
)

H = Decimal


def company(day: date, hours: str, dismissal: date | None = None) -> contract_rules.Placement:
    return contract_rules.Placement(day, H(hours), ClientKind.COMPANY, dismissal)


def household(day: date, hours: str) -> contract_rules.Placement:
    return contract_rules.Placement(day, H(hours), ClientKind.HOUSEHOLD)


# --- Contracts that may carry a placement -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "is_ai", "existing", "expected"),
    [
        (ContractKind.CDDUA, True, 0, 0),
        (ContractKind.CDDUA, True, 5, 0),
        (ContractKind.CDDU, True, 0, 0),
        (ContractKind.CDDU, True, 1, 1),
        (ContractKind.CDDI, True, 0, 1),
        (ContractKind.CDI, True, 0, 1),
        (ContractKind.CDDUA, False, 0, 1),
        (ContractKind.CDDI, False, 0, 2),
    ],
    ids=[
        "cddua_first",
        "cddua_sixth_order",
        "cddu_first",
        "cddu_second_refused",
        "cddi_refused",
        "cdi_refused",
        "not_an_ai",
        "cddi_outside_an_ai",
    ],
)
def test_which_contracts_carry_a_placement(
    kind: ContractKind, is_ai: bool, existing: int, expected: int
) -> None:
    errors = placement_contract_errors(
        contract_kind=kind, entity_is_ai=is_ai, placements_on_contract=existing
    )
    assert len(errors) == expected
    assert all(e.startswith("Contrat : ") for e in errors)


def test_contract_kind_message_names_the_kind_and_the_article() -> None:
    [message] = placement_contract_errors(
        contract_kind=ContractKind.CDDI, entity_is_ai=True, placements_on_contract=0
    )
    assert message == (
        "Contrat : une mise à disposition se rattache à un CDDU ou à un CDDUA "
        "(art. L5132-7 du Code du travail) ; ce contrat est un CDD d'insertion (CDDI)."
    )


def _errors(
    start: date,
    end: date,
    hours: str = "35",
    contract_end: date | None = date(2025, 12, 31),
) -> dict[str, list[str]]:
    return placement_errors(
        contract_kind=ContractKind.CDDUA,
        entity_is_ai=True,
        placements_on_contract=0,
        contract_start=date(2025, 1, 1),
        contract_end=contract_end,
        start=start,
        end=end,
        hours=H(hours),
    )


@pytest.mark.parametrize(
    ("start", "end", "hours", "contract_end", "fields"),
    [
        (date(2025, 1, 1), date(2025, 12, 31), "35", date(2025, 12, 31), set()),
        (date(2024, 12, 31), date(2025, 1, 10), "35", date(2025, 12, 31), {"start"}),
        (date(2025, 12, 1), date(2026, 1, 1), "35", date(2025, 12, 31), {"end"}),
        (date(2025, 12, 1), date(2027, 1, 1), "35", None, set()),
        (date(2025, 3, 10), date(2025, 3, 9), "5", date(2025, 12, 31), {"end"}),
        (date(2025, 3, 10), date(2025, 3, 10), "12", date(2025, 12, 31), set()),
        (date(2025, 3, 10), date(2025, 3, 10), "12.25", date(2025, 12, 31), {"hours"}),
        (date(2025, 3, 10), date(2025, 3, 11), "24", date(2025, 12, 31), set()),
    ],
    ids=[
        "whole_contract",
        "starts_the_day_before_the_contract",
        "ends_the_day_after_the_contract",
        "open_ended_contract",
        "ends_before_it_starts",
        "twelve_hours_in_a_day",
        "past_twelve_hours_in_a_day",
        "twelve_hours_a_day_over_two_days",
    ],
)
def test_placement_errors(
    start: date, end: date, hours: str, contract_end: date | None, fields: set[str]
) -> None:
    assert set(_errors(start, end, hours, contract_end)) == fields


def test_placement_error_messages() -> None:
    assert _errors(date(2024, 12, 31), date(2025, 1, 10))["start"] == [
        "La mise à disposition ne peut pas commencer avant le début du contrat (01/01/2025)."
    ]
    assert _errors(date(2025, 3, 10), date(2025, 3, 10), "13")["hours"] == [
        "13 h sur 1 jour dépassent la durée quotidienne maximale de travail (12 h par jour, "
        "art. L3121-18 et L3121-19 du Code du travail) : 12 h au plus."
    ]


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ([], "1"),
        (["1"], "2"),
        (["1", "2", "3"], "4"),
        (["3", "1"], "4"),
        (["OM-7"], "1"),
        (["1", "OM-7", " 9 "], "10"),
        (["002"], "3"),
    ],
    ids=["none", "one", "three", "unordered", "free_text_only", "mixed", "zero_padded"],
)
def test_next_mission_order_number(numbers: list[str], expected: str) -> None:
    assert next_mission_order_number(numbers) == expected


# --- Decision on a proposal -------------------------------------------------------------------

TODAY = date(2025, 10, 20)
HISTORY = [
    household(date(2025, 1, 20), "40"),
    company(date(2025, 2, 3), "150"),
    company(date(2025, 5, 12), "140"),
    company(date(2025, 9, 1), "122.5"),
]  # 412,5 h in companies since 03/02/2025 (docs/algorithms/mad-cap.md, example 1)


@pytest.mark.parametrize(
    ("proposed", "acknowledged", "decision", "field"),
    [
        (company(date(2025, 11, 3), "10"), False, PlacementDecision.TO_CONFIRM, "hours"),
        (company(date(2025, 11, 3), "10"), True, PlacementDecision.ACCEPTED, "hours"),
        (company(date(2025, 11, 3), "67.5"), True, PlacementDecision.ACCEPTED, "hours"),
        (company(date(2025, 11, 3), "67.75"), True, PlacementDecision.REFUSED, "hours"),
        (household(date(2025, 11, 3), "200"), False, PlacementDecision.ACCEPTED, "hours"),
        (
            company(date(2025, 11, 3), "1", dismissal=date(2025, 9, 1)),
            True,
            PlacementDecision.REFUSED,
            "client",
        ),
        (
            company(date(2025, 11, 3), "1", dismissal=date(2025, 4, 1)),
            True,
            PlacementDecision.ACCEPTED,
            "hours",
        ),
    ],
    ids=[
        "warning_not_acknowledged",
        "warning_acknowledged",
        "reaches_the_cap_exactly",
        "passes_the_cap_by_a_quarter",
        "household_not_counted",
        "dismissal_two_months_before",
        "dismissal_seven_months_before",
    ],
)
def test_check_placement(
    proposed: contract_rules.Placement,
    acknowledged: bool,
    decision: PlacementDecision,
    field: str,
) -> None:
    check = check_placement(
        HISTORY, proposed=proposed, today=TODAY, warning_acknowledged=acknowledged
    )
    assert check.decision == decision
    assert check.field == field


def test_a_refusal_explains_the_rule_the_hours_left_and_the_window_start() -> None:
    check = check_placement(
        HISTORY, proposed=company(date(2025, 11, 3), "70"), today=TODAY, warning_acknowledged=True
    )
    assert check.status.state == MadCapState.REFUSED
    assert check.status.message == (
        "Plafond de mise à disposition en entreprise (art. R5132-18 2° du Code du travail) : "
        "412,5 h utilisées sur 480 h depuis le 03/02/2025 ; il reste 67,5 h. La mise à "
        "disposition proposée (70 h) porterait le total à 482,5 h, au-delà du plafond."
    )


def test_a_derogation_in_force_lifts_the_cap() -> None:
    proposed = company(date(2025, 11, 3), "200")
    refused = check_placement(HISTORY, proposed=proposed, today=TODAY, warning_acknowledged=True)
    lifted = check_placement(
        HISTORY,
        proposed=proposed,
        derogations=[(date(2025, 11, 3), date(2028, 11, 2))],
        today=TODAY,
        warning_acknowledged=False,
    )
    assert refused.decision == PlacementDecision.REFUSED
    assert lifted.decision == PlacementDecision.ACCEPTED
    assert lifted.status.message.startswith("Dérogation préfectorale en vigueur du 03/11/2025")


# --- Ledger -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("placements", "today", "used", "left", "percent", "state"),
    [
        ([], TODAY, "0", "480", "0.0", LedgerState.NONE),
        ([household(date(2025, 1, 1), "300")], TODAY, "0", "480", "0.0", LedgerState.NONE),
        ([company(date(2025, 1, 1), "383.5")], TODAY, "383.5", "96.5", "79.9", LedgerState.OK),
        ([company(date(2025, 1, 1), "384")], TODAY, "384", "96", "80.0", LedgerState.WARNING),
        ([company(date(2025, 1, 1), "480")], TODAY, "480", "0", "100.0", LedgerState.FULL),
        ([company(date(2025, 1, 1), "500")], TODAY, "500", "0", "104.2", LedgerState.OVER),
        (
            [company(date(2023, 1, 1), "480")],
            date(2024, 12, 31),
            "480",
            "0",
            "100.0",
            LedgerState.FULL,
        ),
        ([company(date(2023, 1, 1), "480")], date(2025, 1, 1), "0", "480", "0.0", LedgerState.NONE),
        (
            [company(date(2023, 1, 1), "480"), company(date(2025, 3, 1), "100")],
            date(2025, 3, 1),
            "100",
            "380",
            "20.8",
            LedgerState.OK,
        ),
        ([company(date(2026, 1, 5), "35")], TODAY, "0", "480", "0.0", LedgerState.NONE),
    ],
    ids=[
        "nothing_placed",
        "household_only",
        "just_under_the_warning",
        "at_the_warning",
        "at_the_cap",
        "past_the_cap",
        "last_day_of_the_window",
        "day_after_the_window",
        "new_window",
        "only_a_future_window",
    ],
)
def test_mad_ledger(
    placements: list[contract_rules.Placement],
    today: date,
    used: str,
    left: str,
    percent: str,
    state: LedgerState,
) -> None:
    ledger = mad_ledger(placements, today=today)
    assert (ledger.hours_used, ledger.hours_left, ledger.percent, ledger.state) == (
        H(used),
        H(left),
        H(percent),
        state,
    )


def test_ledger_bar_and_next_window() -> None:
    ledger = mad_ledger([company(date(2025, 2, 3), "500")], today=TODAY)
    assert ledger.meter_value == 480 and ledger.excess == 20
    assert ledger.warning_hours == 384
    assert ledger.reopens_on == date(2027, 2, 3)
    assert mad_ledger([], today=TODAY).reopens_on is None


# --- Derogations --------------------------------------------------------------------------------

RANGE = (date(2025, 1, 1), date(2027, 12, 31))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 12, 31), False),
        (date(2025, 1, 1), True),
        (date(2027, 12, 31), True),
        (date(2028, 1, 1), False),
    ],
    ids=["day_before", "first_day", "last_day", "day_after"],
)
def test_derogation_in_force(day: date, expected: bool) -> None:
    assert derogation_in_force([RANGE], day) is expected


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "overlaps"),
    [
        (date(2028, 1, 1), date(2030, 12, 31), False),
        (date(2027, 12, 31), date(2030, 12, 30), True),
        (date(2022, 1, 1), date(2024, 12, 31), False),
        (date(2022, 1, 2), date(2025, 1, 1), True),
        (date(2026, 1, 1), date(2026, 6, 30), True),
    ],
    ids=[
        "renewal_the_day_after",
        "renewal_on_the_last_day",
        "before",
        "ends_on_first_day",
        "inside",
    ],
)
def test_derogation_overlap(valid_from: date, valid_to: date, overlaps: bool) -> None:
    errors = derogation_overlap_errors(valid_from, valid_to, [RANGE])
    assert bool(errors) is overlaps


def test_derogation_overlap_message() -> None:
    [message] = derogation_overlap_errors(date(2027, 6, 1), date(2029, 5, 31), [RANGE])
    assert message == (
        "Début de la dérogation : la période chevauche la dérogation du 01/01/2025 au "
        "31/12/2027 ; un renouvellement commence au plus tôt le 01/01/2028."
    )
