from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tremplin.contracts.rules import ContractKind
from tremplin.timesheets import rules
from tremplin.timesheets.models import EntryStatus

TODAY = date(2026, 11, 26)
CONTEXT = rules.ImportContext(
    entity_id=7,
    today=TODAY,
    workers={"12": ((date(2026, 1, 1), None),), "13": ((date(2026, 1, 1), date(2026, 10, 31)),)},
    clients={"40": 40},
    services={"entretien de locaux": 5},
    closed_months=frozenset({(2026, 9)}),
)
GOOD = {
    "date": "05/11/2026",
    "matricule": "12",
    "client": "40",
    "heures": "7,5",
    "prestation": "Entretien de locaux",
    "trajet_minutes": "20",
}


def check(**changes: str) -> rules.ParsedRow | list[rules.RowError]:
    return rules.RowChecker(CONTEXT).check({**GOOD, **changes}, 3)


def test_a_good_row_is_parsed() -> None:
    row = check()
    assert row == rules.ParsedRow(
        line=3,
        day=date(2026, 11, 5),
        person_id=12,
        client_id=40,
        hours=Decimal("7.5"),
        service_id=5,
        travel_minutes=20,
        key=rules.import_key(7, date(2026, 11, 5), 12, 40, Decimal("7.50"), 5, 20),
    )


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"date": "31/02/2026"}, "date", "date invalide : format attendu jj/mm/aaaa"),
        ({"date": "2026-11-05"}, "date", "date invalide"),
        ({"date": ""}, "date", "la date est obligatoire"),
        ({"date": "27/11/2026"}, "date", "dans le futur"),
        ({"date": "15/09/2026"}, "date", "le mois de septembre 2026 est clôturé"),
        ({"matricule": "99"}, "matricule", "aucun salarié de la structure n'a ce matricule"),
        ({"matricule": ""}, "matricule", "obligatoire"),
        (
            {"matricule": "13", "date": "02/11/2026"},
            "date",
            "le salarié 13 n'a pas de contrat dans la structure le 02/11/2026",
        ),
        ({"client": "41"}, "client", "aucun client de la structure n'a ce numéro"),
        ({"heures": "0"}, "heures", "supérieur à 0"),
        ({"heures": "24,5"}, "heures", "ne peut pas dépasser 24"),
        ({"heures": "abc"}, "heures", "nombre d'heures invalide"),
        ({"heures": "7,555"}, "heures", "au plus deux décimales"),
        ({"heures": "-2"}, "heures", "supérieur à 0"),
        ({"prestation": "Jardinage"}, "prestation", "aucune prestation du catalogue"),
        ({"trajet_minutes": "vingt"}, "trajet_minutes", "nombre entier de minutes"),
        ({"trajet_minutes": "601"}, "trajet_minutes", "ne peut pas dépasser 600 minutes"),
    ],
    ids=[
        "impossible_day",
        "iso_date",
        "missing_date",
        "tomorrow",
        "closed_month",
        "unknown_worker",
        "missing_worker",
        "worker_without_contract_that_day",
        "unknown_client",
        "zero_hours",
        "past_24_hours",
        "hours_not_a_number",
        "three_decimals",
        "negative_hours",
        "unknown_service",
        "travel_not_a_number",
        "travel_past_upper_bound",
    ],
)
def test_a_bad_row_is_reported_with_its_column_and_reason(
    changes: dict[str, str], column: str, message: str
) -> None:
    errors = check(**changes)
    assert isinstance(errors, list)
    assert [(e.line, e.column) for e in errors] == [(3, column)]
    assert message in errors[0].message


@pytest.mark.parametrize(
    ("hours", "expected"),
    [("24", Decimal(24)), ("0,01", Decimal("0.01")), ("7.5", Decimal("7.5")), ("8", Decimal(8))],
    ids=["at_upper_bound", "smallest", "decimal_point_tolerated", "integer"],
)
def test_hours_at_the_bounds_are_accepted(hours: str, expected: Decimal) -> None:
    row = check(heures=hours)
    assert isinstance(row, rules.ParsedRow)
    assert row.hours == expected


def test_several_problems_of_one_row_are_all_reported() -> None:
    errors = check(client="", heures="abc")
    assert isinstance(errors, list)
    assert [e.column for e in errors] == ["client", "heures"]


def test_the_same_row_twice_in_a_file_is_reported_on_the_second() -> None:
    checker = rules.RowChecker(CONTEXT)
    assert isinstance(checker.check(GOOD, 2), rules.ParsedRow)
    errors = checker.check({**GOOD, "heures": "7,50", "matricule": "012"}, 9)
    assert isinstance(errors, list)
    assert errors[0].line == 9
    assert "identique à la ligne 2" in errors[0].message


def test_the_import_key_depends_on_the_entity_and_the_content() -> None:
    key = rules.import_key(7, date(2026, 11, 5), 12, 40, Decimal("7.5"), None, 0)
    assert key == rules.import_key(7, date(2026, 11, 5), 12, 40, Decimal("7.50"), None, 0)
    assert key != rules.import_key(8, date(2026, 11, 5), 12, 40, Decimal("7.5"), None, 0)
    assert key != rules.import_key(7, date(2026, 11, 5), 12, 40, Decimal("7.5"), None, 5)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (date(2026, 3, 5), "05/03/2026"),
        (7.5, "7,5"),
        (12.0, "12"),
        (12, "12"),
        (" 40 ", "40"),
    ],
    ids=["empty", "date", "float", "whole_float", "int", "padded_text"],
)
def test_cells_of_a_spreadsheet_read_as_typed_text(value: object, text: str) -> None:
    assert rules.cell_text(value) == text


def test_a_header_without_a_required_column_is_refused() -> None:
    problem = rules.header_problem(["date", "matricule", "heures"])
    assert problem is not None and "« client »" in problem
    assert rules.header_problem(list(rules.REQUIRED_COLUMNS)) is None


@pytest.mark.parametrize(
    ("kind", "weekly", "monthly", "target"),
    [
        (ContractKind.CDDI, Decimal(26), None, Decimal("112.67")),
        (ContractKind.CDDI, Decimal(35), None, Decimal("151.67")),
        (ContractKind.CDDUA, None, Decimal(85), Decimal(85)),
        (ContractKind.CDDU, None, None, None),
    ],
    ids=["cddi_26h", "full_time", "cddua_guaranteed_volume", "cddu_no_duration"],
)
def test_contractual_target(
    kind: ContractKind, weekly: Decimal | None, monthly: Decimal | None, target: Decimal | None
) -> None:
    assert rules.contractual_target(kind, weekly, monthly) == target


@pytest.mark.parametrize(
    ("expires_on", "signed", "problem"),
    [
        (TODAY, False, None),
        (date(2026, 11, 25), False, "Ce lien a expiré le 25/11/2026."),
        (TODAY, True, "Ces heures ont déjà été validées avec ce lien."),
    ],
    ids=["last_valid_day", "expired_yesterday", "already_used"],
)
def test_signoff_link_state(expires_on: date, signed: bool, problem: str | None) -> None:
    assert rules.signoff_problem(expires_on=expires_on, signed=signed, today=TODAY) == problem


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(date(2026, 11, 12), True), (date(2026, 11, 11), False), (date(2026, 11, 27), False)],
    ids=["fourteen_days_ago", "fifteen_days_ago", "tomorrow"],
)
def test_worker_declaration_window(day: date, allowed: bool) -> None:
    assert rules.can_worker_declare(day, today=TODAY) is allowed


def test_a_locked_entry_cannot_change_and_names_its_month() -> None:
    assert not rules.can_be_changed(EntryStatus.LOCKED)
    assert rules.can_be_changed(EntryStatus.VALIDATED)
    assert "mois de février 2026 est clôturé" in rules.locked_message(date(2026, 2, 3))
    assert rules.TRANSITIONS[EntryStatus.LOCKED] == frozenset()
