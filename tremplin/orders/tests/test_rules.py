from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import holidays
import pytest

from tremplin.orders import rules
from tremplin.orders.rules import PARIS, Recurrence, ServiceKind, Slot

TUESDAY_9_11 = Recurrence(
    weekdays=(1,), start_time=time(9), end_time=time(11), first_day=date(2026, 1, 6), last_day=None
)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


@pytest.mark.parametrize(
    ("period_start", "period_end"),
    [
        pytest.param(date(2026, 3, 23), date(2026, 4, 5), id="march_dst_weekend_29_03"),
        pytest.param(date(2026, 10, 19), date(2026, 11, 1), id="october_dst_weekend_25_10"),
    ],
)
def test_a_tuesday_visit_keeps_9_local_and_2_hours_across_dst(
    period_start: date, period_end: date
) -> None:
    result = rules.occurrences(TUESDAY_9_11, period_start=period_start, period_end=period_end)
    assert len(result) == 2
    offsets = {o.start.utcoffset() for o in result}
    assert len(offsets) == 2  # one visit each side of the change
    for occurrence in result:
        assert occurrence.start.astimezone(PARIS).time() == time(9)
        assert occurrence.hours == Decimal("2.00")


@pytest.mark.parametrize(
    ("holiday", "subdivision"),
    [
        pytest.param(date(2026, 7, 14), None, id="14_july"),
        pytest.param(date(2026, 5, 1), None, id="1_may"),
        pytest.param(date(2026, 5, 14), None, id="ascension"),
        pytest.param(date(2026, 5, 25), None, id="whit_monday"),
        pytest.param(date(2026, 12, 26), "57", id="moselle_26_december"),
        pytest.param(date(2026, 4, 3), "57", id="moselle_good_friday"),
    ],
)
def test_public_holidays_are_skipped(holiday: date, subdivision: str | None) -> None:
    every_day = Recurrence(
        weekdays=(0, 1, 2, 3, 4, 5, 6),
        start_time=time(9),
        end_time=time(11),
        first_day=date(2026, 1, 1),
        last_day=None,
    )
    days = {
        o.day
        for o in rules.occurrences(
            every_day, period_start=holiday, period_end=holiday, subdivision=subdivision
        )
    }
    assert days == set()


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 12, 26), id="26_december"),
        pytest.param(date(2026, 4, 3), id="good_friday"),
    ],
)
def test_outside_alsace_moselle_26_december_and_good_friday_are_worked(day: date) -> None:
    pattern = Recurrence((day.weekday(),), time(9), time(11), date(2026, 1, 1), None)
    assert [o.day for o in rules.occurrences(pattern, period_start=day, period_end=day)] == [day]


def test_every_two_weeks_counts_from_the_first_week() -> None:
    pattern = Recurrence((1,), time(9), time(11), date(2026, 1, 6), None, interval_weeks=2)
    days = [
        o.day
        for o in rules.occurrences(
            pattern, period_start=date(2026, 1, 1), period_end=date(2026, 2, 10)
        )
    ]
    assert days == [date(2026, 1, 6), date(2026, 1, 20), date(2026, 2, 3)]


def test_exceptions_are_skipped_and_the_last_day_is_inclusive() -> None:
    pattern = Recurrence((1,), time(9), time(11), date(2026, 1, 6), date(2026, 1, 27))
    days = [
        o.day
        for o in rules.occurrences(
            pattern,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            exceptions=frozenset({date(2026, 1, 13)}),
        )
    ]
    assert days == [date(2026, 1, 6), date(2026, 1, 20), date(2026, 1, 27)]


@pytest.mark.parametrize(
    ("kind", "declared", "rate"),
    [
        pytest.param(ServiceKind.HOUSEWORK, True, Decimal("10.0"), id="housework_sap_10"),
        pytest.param(ServiceKind.GARDENING, True, Decimal("20.0"), id="gardening_sap_20"),
        pytest.param(ServiceKind.HOUSEWORK, False, Decimal("20.0"), id="housework_not_declared"),
        pytest.param(ServiceKind.CAR_WASH, True, Decimal("20.0"), id="b2b_normal_rate"),
    ],
)
def test_vat_rate_by_activity(kind: ServiceKind, declared: bool, rate: Decimal) -> None:
    assert rules.vat_rate(kind, on=date(2026, 1, 1), sap_declared=declared) == rate


@pytest.mark.parametrize(
    ("monthly", "quote", "expected"),
    [
        pytest.param(Decimal("99.99"), False, False, id="below_threshold"),
        pytest.param(Decimal("100.00"), False, True, id="at_threshold"),
        pytest.param(Decimal("100.00"), True, False, id="at_threshold_with_quote"),
    ],
)
def test_quote_error_from_100_euros_ttc(monthly: Decimal, quote: bool, expected: bool) -> None:
    error = rules.quote_error(
        monthly, on=date(2026, 1, 1), household=True, sap_service=True, has_accepted_quote=quote
    )
    assert bool(error) is expected
    if error:
        assert "arrêté du 17/03/2015" in error and "100,00\u00a0€ TTC" in error


def test_quote_error_ignores_companies() -> None:
    assert (
        rules.quote_error(
            Decimal(500),
            on=date(2026, 1, 1),
            household=False,
            sap_service=True,
            has_accepted_quote=False,
        )
        is None
    )


def test_estimated_monthly_price_of_a_weekly_two_hour_housework() -> None:
    # 52/12 visits × 2 h × 24 € × 1.10 = 228.80 €
    price = rules.estimated_monthly_price_ttc(
        visits_per_week=Decimal(1),
        units_per_visit=Decimal(2),
        unit_price_ht=Decimal(24),
        vat_percent=Decimal(10),
        recurring=True,
    )
    assert price == Decimal("228.80")


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        pytest.param([], Decimal(25), id="catalogue_price"),
        pytest.param([(date(2026, 1, 1), None, Decimal(22))], Decimal(22), id="client_price"),
        pytest.param([(date(2026, 3, 1), None, Decimal(22))], Decimal(25), id="not_yet_in_force"),
        pytest.param(
            [(date(2025, 1, 1), date(2025, 12, 31), Decimal(22))], Decimal(25), id="expired"
        ),
    ],
)
def test_unit_price_on(prices: list[tuple[date, date | None, Decimal]], expected: Decimal) -> None:
    assert rules.unit_price_on(prices, Decimal(25), date(2026, 2, 1)) == expected


def test_quote_numbers_follow_each_other_within_a_year() -> None:
    assert rules.next_quote_number([], year=2026) == "2026-0001"
    assert (
        rules.next_quote_number(["2026-0001", "2026-0007", "2025-0042"], year=2026) == "2026-0008"
    )


def test_iso_weeks() -> None:
    assert rules.parse_iso_week("2026-W48") == date(2026, 11, 23)
    assert rules.parse_iso_week("n'importe quoi") is None
    assert rules.iso_week_label(date(2026, 11, 29)) == "2026-W48"


@pytest.mark.parametrize(
    ("weekly", "monthly", "target"),
    [
        pytest.param(Decimal(26), None, Decimal(26), id="weekly_hours"),
        pytest.param(None, Decimal(85), Decimal("19.62"), id="cddua_monthly_x12_52"),
        pytest.param(None, None, None, id="none"),
    ],
)
def test_weekly_target(
    weekly: Decimal | None, monthly: Decimal | None, target: Decimal | None
) -> None:
    assert rules.weekly_target(weekly, monthly) == target


DAY = date(2026, 1, 13)
BASE = rules.AssignmentFacts(
    day=DAY,
    slot=Slot(at(DAY, 9), at(DAY, 11)),
    hours=Decimal(2),
    entity_name="Élan Services",
    placement=False,
    has_contract=True,
    weekly_hours=Decimal(26),
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, None, id="all_clear"),
        pytest.param(
            {"has_contract": False},
            "Contrat : aucun contrat de travail avec Élan Services",
            id="no_contract",
        ),
        pytest.param(
            {"has_contract": False, "placement": True},
            "(CDDU ou CDDUA)",
            id="no_placement_contract",
        ),
        pytest.param(
            {"busy": ((Slot(at(DAY, 10), at(DAY, 12)), "Client B, ACI"),)},
            "Double réservation",
            id="overlap",
        ),
        pytest.param(
            {"busy": ((Slot(at(DAY, 11), at(DAY, 12)), "Client B, ACI"),)},
            None,
            id="touching_is_no_overlap",
        ),
        pytest.param(
            {"absences": ((DAY, DAY, "Congés payés"),)},
            "Absence : le salarié est absent du 13/01/2026",
            id="absent",
        ),
        pytest.param(
            {"required": (("sst", "SST"),)},
            "Habilitation exigée par le client : SST",
            id="missing_habilitation",
        ),
        pytest.param(
            {"required": (("sst", "SST"),), "held": (("sst", date(2026, 1, 12)),)},
            "SST manquante ou expirée",
            id="expired_habilitation",
        ),
        pytest.param(
            {"required": (("sst", "SST"),), "held": (("sst", DAY),)}, None, id="valid_until_the_day"
        ),
        pytest.param({"contract_week_hours": Decimal(24)}, None, id="weekly_hours_reached_exactly"),
        pytest.param(
            {"contract_week_hours": Decimal("24.5")},
            "durée hebdomadaire du contrat de 26,00 h",
            id="weekly_hours_exceeded",
        ),
        pytest.param(
            {"weekly_hours": None, "contract_week_hours": Decimal(47)},
            "durée maximale légale de 48,00 h",
            id="no_weekly_hours_48h",
        ),
        pytest.param(
            {"weekly_hours": None, "contract_week_hours": Decimal(46)},
            None,
            id="no_weekly_hours_at_48h",
        ),
        pytest.param({"all_week_hours": Decimal(47)}, "dans le groupe", id="group_48h"),
    ],
)
def test_assignment_errors(changes: dict[str, object], expected: str | None) -> None:
    from dataclasses import replace

    errors = rules.assignment_errors(replace(BASE, **changes))
    if expected is None:
        assert errors == []
    else:
        assert len(errors) == 1 and expected in errors[0]


@pytest.mark.parametrize(
    ("postal_code", "expected"),
    [
        ("57000", "57"),
        ("67000", "6AE"),
        ("68100", "6AE"),
        ("79000", None),
        ("75011", None),
        ("97110", "971"),
        ("97133", "BL"),
        ("97150", "MF"),
        ("97200", "972"),
        ("97300", "973"),
        ("97400", "974"),
        ("97500", "PM"),
        ("97600", "976"),
        ("", None),
    ],
    ids=str,
)
def test_holiday_subdivision(postal_code: str, expected: str | None) -> None:
    assert rules.holiday_subdivision(postal_code) == expected


def test_every_holiday_subdivision_is_one_the_calendar_knows() -> None:
    known = set(holidays.France.subdivisions)
    assert set(rules.HOLIDAY_SUBDIVISIONS_BY_PREFIX.values()) <= known
    assert set(rules.HOLIDAY_SUBDIVISIONS_BY_POSTAL_CODE.values()) <= known


@pytest.mark.parametrize(
    ("postal_code", "day", "holiday"),
    [
        ("67000", date(2026, 4, 3), True),  # Good Friday in Alsace
        ("68100", date(2026, 12, 26), True),
        ("57000", date(2026, 12, 26), True),
        ("75011", date(2026, 12, 26), False),
        ("97200", date(2026, 5, 22), True),  # abolition of slavery, Martinique
        ("97400", date(2026, 12, 20), True),  # La Réunion
        ("75011", date(2026, 12, 20), False),
    ],
    ids=str,
)
def test_public_holidays_follow_the_postal_code(postal_code: str, day: date, holiday: bool) -> None:
    subdivision = rules.holiday_subdivision(postal_code)
    assert rules.is_public_holiday(day, subdivision=subdivision) is holiday
