from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from tremplin.contracts.rules import (
    FIELD_LABELS,
    MAD_CAP_HOURS,
    SMIC_HOURLY,
    CddiDerogation,
    ClientKind,
    ContractKind,
    ContractTerms,
    EndReason,
    ExitCategory,
    JobCategory,
    MadCapState,
    PartTimeDerogation,
    Placement,
    PostType,
    age_on,
    contract_errors,
    contract_errors_by_field,
    economic_dismissal_blocks,
    exit_category_for,
    exit_category_is_confirmed,
    format_decimal,
    mad_cap_applies,
    mad_cap_status,
    mad_derogation_errors,
    mad_windows,
    period_end,
    post_type_for,
    probation_period,
    renewal_errors,
    requires_pass_iae,
    started_months,
)

D = Decimal
NNBSP = "\u202f"
START = date(2025, 1, 15)
TODAY = date(2025, 1, 10)
DAY = timedelta(days=1)

# --- Helpers ---------------------------------------------------------------------------------


def valid_terms(kind: ContractKind, **overrides: Any) -> ContractTerms:
    """Terms that break no rule for ``kind``, starting on START, changed by ``overrides``."""
    per_kind: dict[ContractKind, dict[str, Any]] = {
        ContractKind.CDDU: {"planned_end": START + timedelta(days=30)},
        ContractKind.CDDUA: {"planned_end": period_end(START, 12), "monthly_hours": D(85)},
        ContractKind.CDDI: {"planned_end": period_end(START, 6), "weekly_hours": D(26)},
        ContractKind.ETTI_MISSION: {"planned_end": START + timedelta(days=30)},
        ContractKind.CDI_INCLUSION: {"planned_end": None, "birth_date": date(1960, 3, 1)},
        ContractKind.PEC: {"planned_end": period_end(START, 12), "weekly_hours": D(20)},
        ContractKind.CDI: {"planned_end": None, "weekly_hours": D(35)},
        ContractKind.CDD: {"planned_end": period_end(START, 3), "weekly_hours": D(35)},
    }
    base = ContractTerms(
        kind=kind,
        start=START,
        planned_end=None,
        weekly_hours=None,
        monthly_hours=None,
        hourly_rate=D("12.50"),
        birth_date=date(1990, 6, 1),
        pass_iae_start=date(2024, 9, 1),
        pass_iae_end=date(2030, 12, 31),
    )
    return replace(base, **{**per_kind[kind], **overrides})


def status_of(
    existing: list[Placement],
    proposed: Placement,
    *,
    derogations: list[tuple[date, date]] | None = None,
    today: date = date(2025, 6, 1),
) -> Any:
    return mad_cap_status(existing, proposed=proposed, derogations=derogations or [], today=today)


def company(day: date, hours: str | int, **kwargs: Any) -> Placement:
    return Placement(day, D(hours), ClientKind.COMPANY, **kwargs)


# --- Formatting and calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1234.5", f"1{NNBSP}234,5", id="thousands"),
        pytest.param("412.50", "412,5", id="trailing_zero_dropped"),
        pytest.param("480", "480", id="integer"),
        pytest.param("4.8E+2", "480", id="exponent_form"),
        pytest.param("0.25", "0,25", id="quarter_hour"),
        pytest.param("1234567.891", f"1{NNBSP}234{NNBSP}567,891", id="millions"),
        pytest.param("-1234", f"-1{NNBSP}234", id="negative"),
        pytest.param("0", "0", id="zero"),
    ],
)
def test_format_decimal(value: str, expected: str) -> None:
    assert format_decimal(D(value)) == expected


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False))
def test_format_decimal_round_trips(value: Decimal) -> None:
    text = format_decimal(value).replace(NNBSP, "").replace(",", ".")
    assert D(text) == value


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(date(2025, 1, 15), 4, date(2025, 5, 14), id="mid_month"),
        pytest.param(date(2025, 1, 31), 1, date(2025, 2, 28), id="missing_quantieme"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="missing_quantieme_leap_year"),
        pytest.param(date(2024, 1, 30), 1, date(2024, 2, 29), id="thirtieth_leap_year"),
        pytest.param(date(2025, 3, 1), 1, date(2025, 3, 31), id="first_of_month"),
        pytest.param(date(2025, 3, 31), 1, date(2025, 4, 30), id="thirty_first_to_thirty_day"),
        pytest.param(date(2025, 2, 3), 24, date(2027, 2, 2), id="two_years"),
    ],
)
def test_period_end(start: date, months: int, expected: date) -> None:
    assert period_end(start, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2025, 1, 15), date(2025, 5, 14), 4, id="exact_months"),
        pytest.param(date(2025, 1, 15), date(2025, 5, 15), 5, id="one_day_into_next_month"),
        pytest.param(date(2025, 1, 15), date(2025, 1, 15), 1, id="single_day"),
        pytest.param(date(2025, 1, 15), date(2025, 1, 14), 0, id="end_before_start"),
        pytest.param(date(2025, 1, 31), date(2025, 2, 28), 1, id="missing_quantieme"),
    ],
)
def test_started_months(start: date, end: date, expected: int) -> None:
    assert started_months(start, end) == expected


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 12, 31)),
    st.integers(min_value=1, max_value=120),
)
def test_started_months_inverts_period_end(start: date, months: int) -> None:
    end = period_end(start, months)
    assert started_months(start, end) == months
    assert started_months(start, end + DAY) == months + 1


@pytest.mark.parametrize(
    ("birth", "day", "expected"),
    [
        pytest.param(date(1968, 1, 15), date(2025, 1, 15), 57, id="on_birthday"),
        pytest.param(date(1968, 1, 16), date(2025, 1, 15), 56, id="day_before_birthday"),
        pytest.param(date(2000, 2, 29), date(2025, 2, 27), 24, id="leap_day_born_day_before"),
        pytest.param(date(2000, 2, 29), date(2025, 2, 28), 25, id="leap_day_born_common_year"),
    ],
)
def test_age_on(birth: date, day: date, expected: int) -> None:
    assert age_on(birth, day) == expected


# --- Enums and tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "category", "confirmed"),
    [
        pytest.param(EndReason.HIRED_CDI, ExitCategory.DURABLE_EMPLOYMENT, True, id="cdi"),
        pytest.param(
            EndReason.HIRED_CDD_OVER_6_MONTHS, ExitCategory.DURABLE_EMPLOYMENT, True, id="cdd_long"
        ),
        pytest.param(
            EndReason.HIRED_CDD_UNDER_6_MONTHS,
            ExitCategory.TRANSITIONAL_EMPLOYMENT,
            True,
            id="cdd_short",
        ),
        pytest.param(
            EndReason.HIRED_ASSISTED_CONTRACT,
            ExitCategory.TRANSITIONAL_EMPLOYMENT,
            True,
            id="assisted_contract",
        ),
        pytest.param(
            EndReason.BUSINESS_CREATION, ExitCategory.DURABLE_EMPLOYMENT, True, id="creation"
        ),
        pytest.param(EndReason.PUBLIC_SERVICE, ExitCategory.DURABLE_EMPLOYMENT, True, id="public"),
        pytest.param(EndReason.TRAINING, ExitCategory.POSITIVE_EXIT, True, id="training"),
        pytest.param(EndReason.HIRED_OTHER_SIAE, ExitCategory.POSITIVE_EXIT, True, id="other_siae"),
        pytest.param(EndReason.END_OF_TERM, ExitCategory.OTHER_EXIT, True, id="end_of_term"),
        pytest.param(EndReason.RESIGNATION, ExitCategory.OTHER_EXIT, True, id="resignation"),
        pytest.param(EndReason.DISMISSAL, ExitCategory.OTHER_EXIT, True, id="dismissal"),
        pytest.param(
            EndReason.PROBATION_END_BY_EMPLOYER,
            ExitCategory.OTHER_EXIT,
            True,
            id="probation_employer",
        ),
        pytest.param(
            EndReason.PROBATION_END_BY_EMPLOYEE,
            ExitCategory.OTHER_EXIT,
            True,
            id="probation_employee",
        ),
        pytest.param(
            EndReason.MUTUAL_AGREEMENT, ExitCategory.OTHER_EXIT, True, id="mutual_agreement"
        ),
        pytest.param(EndReason.RETIREMENT, ExitCategory.WITHDRAWN, False, id="retirement"),
        pytest.param(EndReason.DEATH, ExitCategory.WITHDRAWN, False, id="death"),
        pytest.param(
            EndReason.HIRED_CDI_INCLUSION,
            ExitCategory.DURABLE_EMPLOYMENT,
            False,
            id="cdi_inclusion_unconfirmed",
        ),
    ],
)
def test_exit_category_for(reason: EndReason, category: ExitCategory, confirmed: bool) -> None:
    assert exit_category_for(reason) is category
    assert exit_category_is_confirmed(reason) is confirmed


@pytest.mark.parametrize("reason", list(EndReason), ids=lambda reason: reason.value)
def test_every_end_reason_has_an_exit_category(reason: EndReason) -> None:
    assert exit_category_for(reason) in ExitCategory


@pytest.mark.parametrize(
    ("client_kind", "applies"),
    [
        pytest.param(ClientKind.HOUSEHOLD, False, id="household"),
        pytest.param(ClientKind.ASSOCIATION, False, id="association"),
        pytest.param(ClientKind.LOCAL_AUTHORITY, False, id="local_authority"),
        pytest.param(ClientKind.COMPANY, True, id="company"),
        pytest.param(ClientKind.SOCIAL_LANDLORD, True, id="social_landlord"),
        pytest.param(ClientKind.MUTUAL_INSURER, True, id="mutual_insurer"),
        pytest.param(ClientKind.PUBLIC_BODY, True, id="public_body"),
    ],
)
def test_mad_cap_applies(client_kind: ClientKind, applies: bool) -> None:
    assert mad_cap_applies(client_kind) is applies


@pytest.mark.parametrize("kind", list(ContractKind), ids=lambda kind: kind.value)
def test_post_type_and_pass_requirement_agree(kind: ContractKind) -> None:
    insertion = post_type_for(kind) is PostType.INSERTION
    assert requires_pass_iae(kind) is insertion
    assert insertion is (kind not in {ContractKind.PEC, ContractKind.CDI, ContractKind.CDD})


CDDU, CDDUA, CDDI = ContractKind.CDDU, ContractKind.CDDUA, ContractKind.CDDI
ETTI, INCLUSION, PEC = ContractKind.ETTI_MISSION, ContractKind.CDI_INCLUSION, ContractKind.PEC
CDI, CDD = ContractKind.CDI, ContractKind.CDD
CddiD, PartD = CddiDerogation, PartTimeDerogation

# --- Contract checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ContractKind), ids=lambda kind: kind.value)
def test_default_terms_are_valid(kind: ContractKind) -> None:
    assert contract_errors(valid_terms(kind), today=TODAY) == []


def case(ident: str, kind: ContractKind, field: str | None, **overrides: Any) -> Any:
    """A row of a contract table: terms of ``kind`` changed by ``overrides``, field in error."""
    return pytest.param(kind, overrides, field, id=ident)


FOUR_MONTHS = period_end(START, 4)  # 14/05/2025

DURATION_CASES = [
    # CDDI: 4 months minimum, 24 months in total, 60 with a derogation (art. L5132-11-1).
    case("cddi_at_lower_bound", CDDI, None, planned_end=FOUR_MONTHS),
    case("cddi_one_day_short", CDDI, "planned_end", planned_end=FOUR_MONTHS - DAY),
    case(
        "cddi_one_day_short_court_sentence",
        CDDI,
        None,
        planned_end=FOUR_MONTHS - DAY,
        cddi_derogation=CddiD.COURT_SENTENCE,
    ),
    case("cddi_at_upper_bound", CDDI, None, planned_end=period_end(START, 24)),
    case("cddi_past_upper_bound", CDDI, "planned_end", planned_end=period_end(START, 24) + DAY),
    case(
        "cddi_renewal_at_cumulated_bound",
        CDDI,
        None,
        is_renewal=True,
        previous_cumulated_months=20,
        planned_end=FOUR_MONTHS,
    ),
    case(
        "cddi_renewal_past_cumulated_bound",
        CDDI,
        "planned_end",
        is_renewal=True,
        previous_cumulated_months=20,
        planned_end=FOUR_MONTHS + DAY,
    ),
    case(
        "cddi_renewal_shorter_than_four_months",
        CDDI,
        None,
        is_renewal=True,
        previous_cumulated_months=6,
        planned_end=START + DAY * 30,
    ),
    case(
        "cddi_cumulated_already_reached",
        CDDI,
        "previous_cumulated_months",
        is_renewal=True,
        previous_cumulated_months=24,
    ),
    case(
        "cddi_senior_at_extended_bound",
        CDDI,
        None,
        cddi_derogation=CddiD.SENIOR_50,
        birth_date=date(1970, 1, 1),
        planned_end=period_end(START, 60),
    ),
    case(
        "cddi_senior_past_extended_bound",
        CDDI,
        "planned_end",
        cddi_derogation=CddiD.SENIOR_50,
        birth_date=date(1970, 1, 1),
        planned_end=period_end(START, 60) + DAY,
    ),
    case(
        "cddi_senior_on_fiftieth_birthday",
        CDDI,
        None,
        cddi_derogation=CddiD.SENIOR_50,
        birth_date=date(1975, 1, 15),
        planned_end=period_end(START, 30),
    ),
    case(
        "cddi_senior_one_day_before_fiftieth_birthday",
        CDDI,
        "cddi_derogation",
        cddi_derogation=CddiD.SENIOR_50,
        birth_date=date(1975, 1, 16),
        planned_end=period_end(START, 30),
    ),
    case(
        "cddi_rqth_at_extended_bound",
        CDDI,
        None,
        cddi_derogation=CddiD.DISABLED_WORKER,
        planned_end=period_end(START, 60),
    ),
    case(
        "cddi_rqth_past_extended_bound",
        CDDI,
        "planned_end",
        cddi_derogation=CddiD.DISABLED_WORKER,
        planned_end=period_end(START, 60) + DAY,
    ),
    case(
        "cddi_severe_difficulties_past_extended_bound",
        CDDI,
        "planned_end",
        cddi_derogation=CddiD.SEVERE_DIFFICULTIES,
        planned_end=period_end(START, 60) + DAY,
    ),
    case(
        "cddi_training_in_progress_past_extended_bound",
        CDDI,
        None,
        cddi_derogation=CddiD.TRAINING_IN_PROGRESS,
        planned_end=period_end(START, 66),
    ),
    # CDDUA: 6 to 18 months (group practice, unconfirmed).
    case("cddua_at_lower_bound", CDDUA, None, planned_end=period_end(START, 6)),
    case("cddua_one_day_short", CDDUA, "planned_end", planned_end=period_end(START, 6) - DAY),
    case("cddua_at_upper_bound", CDDUA, None, planned_end=period_end(START, 18)),
    case("cddua_past_upper_bound", CDDUA, "planned_end", planned_end=period_end(START, 18) + DAY),
    # ETTI mission: no minimum, 24 months renewals included (art. L5132-6).
    case("etti_one_day", ETTI, None, planned_end=START),
    case("etti_at_upper_bound", ETTI, None, planned_end=period_end(START, 24)),
    case("etti_past_upper_bound", ETTI, "planned_end", planned_end=period_end(START, 24) + DAY),
    case(
        "etti_renewal_at_cumulated_bound",
        ETTI,
        None,
        is_renewal=True,
        previous_cumulated_months=12,
        planned_end=period_end(START, 12),
    ),
    case(
        "etti_renewal_past_cumulated_bound",
        ETTI,
        "planned_end",
        is_renewal=True,
        previous_cumulated_months=12,
        planned_end=period_end(START, 12) + DAY,
    ),
    # PEC: 9 to 12 months, renewals 6 to 12 months, 24 months in total.
    case("pec_one_day_short", PEC, "planned_end", planned_end=period_end(START, 9) - DAY),
    case("pec_at_lower", PEC, None, planned_end=period_end(START, 9)),
    case("pec_at_upper", PEC, None, planned_end=period_end(START, 12)),
    case("pec_past_upper_bound", PEC, "planned_end", planned_end=period_end(START, 12) + DAY),
    case("pec_without_term", PEC, None, planned_end=None),
    case(
        "pec_renewal_one_day_short_is_far_short",
        PEC,
        "planned_end",
        is_renewal=True,
        previous_cumulated_months=12,
        planned_end=FOUR_MONTHS,
    ),
    case(
        "pec_renewal_one_day_short",
        PEC,
        "planned_end",
        is_renewal=True,
        previous_cumulated_months=12,
        planned_end=period_end(START, 6) - DAY,
    ),
    case(
        "pec_renewal_at_lower_bound",
        PEC,
        None,
        is_renewal=True,
        previous_cumulated_months=12,
        planned_end=period_end(START, 6),
    ),
    case(
        "pec_renewal_at_upper_bound",
        PEC,
        None,
        is_renewal=True,
        previous_cumulated_months=12,
        planned_end=period_end(START, 12),
    ),
    case(
        "pec_renewal_past_upper_bound",
        PEC,
        "planned_end",
        is_renewal=True,
        previous_cumulated_months=6,
        planned_end=period_end(START, 12) + DAY,
    ),
    case(
        "pec_renewal_at_cumulated_bound",
        PEC,
        None,
        is_renewal=True,
        previous_cumulated_months=18,
        planned_end=period_end(START, 6),
    ),
    case(
        "pec_renewal_past_cumulated_bound",
        PEC,
        "planned_end",
        is_renewal=True,
        previous_cumulated_months=19,
        planned_end=period_end(START, 6),
    ),
    # Terms of fixed-term and open-ended contracts.
    case("cdd_without_term", CDD, "planned_end", planned_end=None),
    case("cddi_without_term", CDDI, "planned_end", planned_end=None),
    case("cdd_end_before_start", CDD, "planned_end", planned_end=START - DAY),
    case("cdd_single_day", CDD, None, planned_end=START),
    case("cdi_with_term", CDI, "planned_end", planned_end=START + DAY),
    case("cdi_renewal", CDI, "kind", is_renewal=True),
    case("cdi_inclusion_with_term", INCLUSION, "planned_end", planned_end=period_end(START, 12)),
]


@pytest.mark.parametrize(("kind", "overrides", "field"), DURATION_CASES)
def test_contract_duration_and_term(
    kind: ContractKind, overrides: dict[str, Any], field: str | None
) -> None:
    errors = contract_errors_by_field(valid_terms(kind, **overrides), today=TODAY)
    if field is None:
        assert errors == {}
    else:
        assert field in errors


HOURS_CASES = [
    # CDDI: 20 to 35 h a week, under 20 h with a préfet derogation.
    case("cddi_no_hours", CDDI, "weekly_hours", weekly_hours=None),
    case("cddi_at_lower_bound", CDDI, None, weekly_hours=D(20)),
    case("cddi_under_lower_bound", CDDI, "weekly_hours", weekly_hours=D("19.75")),
    case(
        "cddi_under_lower_bound_derogation_in_force",
        CDDI,
        None,
        weekly_hours=D("19.75"),
        derogation_reason="Arrêté préfectoral du 02/01/2025",
    ),
    case(
        "cddi_under_lower_bound_blank_reason",
        CDDI,
        "weekly_hours",
        weekly_hours=D("19.75"),
        derogation_reason="   ",
    ),
    case("cddi_at_upper_bound", CDDI, None, weekly_hours=D(35)),
    case("cddi_past_upper_bound", CDDI, "weekly_hours", weekly_hours=D("35.25")),
    case(
        "cddi_past_upper_bound_derogation_does_not_help",
        CDDI,
        "weekly_hours",
        weekly_hours=D("35.25"),
        derogation_reason="Arrêté préfectoral",
    ),
    case("zero_hours", CDDU, "weekly_hours", weekly_hours=D(0)),
    case("cddu_below_24h", CDDU, None, weekly_hours=D(10)),
    case("etti_below_24h", ETTI, None, weekly_hours=D(10)),
    # PEC: 20 h a week minimum (unconfirmed).
    case("pec_at_lower_bound", PEC, None, weekly_hours=D(20)),
    case("pec_under_lower_bound", PEC, "weekly_hours", weekly_hours=D("19.5")),
    case(
        "pec_under_lower_bound_derogation_in_force",
        PEC,
        None,
        weekly_hours=D("19.5"),
        derogation_reason="Décision d'attribution de l'aide",
    ),
    # CDI / CDD: 24 h minimum and its legal derogations (art. L3123-7, L3123-27).
    case("cdi_at_part_time_minimum", CDI, None, weekly_hours=D(24)),
    case("cdi_under_minimum", CDI, "weekly_hours", weekly_hours=D("23.5")),
    case("cdd_under_minimum", CDD, "weekly_hours", weekly_hours=D("23.5")),
    case(
        "cdi_employee_request",
        CDI,
        None,
        weekly_hours=D(10),
        part_time_derogation=PartD.EMPLOYEE_REQUEST,
    ),
    case(
        "cdi_branch_agreement",
        CDI,
        None,
        weekly_hours=D(10),
        part_time_derogation=PartD.BRANCH_AGREEMENT,
    ),
    case(
        "cdi_insertion_pathway",
        CDI,
        None,
        weekly_hours=D(10),
        part_time_derogation=PartD.INSERTION_PATHWAY,
    ),
    case(
        "student_one_day_before_26",
        CDI,
        None,
        weekly_hours=D(10),
        part_time_derogation=PartD.STUDENT,
        birth_date=date(1999, 1, 16),
    ),
    case(
        "student_on_26th_birthday",
        CDI,
        "part_time_derogation",
        weekly_hours=D(10),
        part_time_derogation=PartD.STUDENT,
        birth_date=date(1999, 1, 15),
    ),
    case(
        "short_contract_at_seven_days",
        CDD,
        None,
        weekly_hours=D(10),
        part_time_derogation=PartD.SHORT_CONTRACT,
        planned_end=START + DAY * 6,
    ),
    case(
        "short_contract_past_seven_days",
        CDD,
        "part_time_derogation",
        weekly_hours=D(10),
        part_time_derogation=PartD.SHORT_CONTRACT,
        planned_end=START + DAY * 7,
    ),
    case(
        "short_contract_on_cdi",
        CDI,
        "part_time_derogation",
        weekly_hours=D(10),
        part_time_derogation=PartD.SHORT_CONTRACT,
    ),
    case("replacement_cdd", CDD, None, weekly_hours=D(10), part_time_derogation=PartD.REPLACEMENT),
    case(
        "replacement_on_cdi",
        CDI,
        "part_time_derogation",
        weekly_hours=D(10),
        part_time_derogation=PartD.REPLACEMENT,
    ),
    # CDDUA: guaranteed monthly volume, at most a full-time month (151,67 h).
    case("cddua_no_volume", CDDUA, "monthly_hours", monthly_hours=None),
    case("cddua_zero", CDDUA, "monthly_hours", monthly_hours=D(0)),
    case("cddua_at_upper_bound", CDDUA, None, monthly_hours=D("151.67")),
    case("cddua_past_upper_bound", CDDUA, "monthly_hours", monthly_hours=D("151.68")),
    case("negative_monthly_volume", CDDI, "monthly_hours", monthly_hours=D(-1)),
]


@pytest.mark.parametrize(("kind", "overrides", "field"), HOURS_CASES)
def test_contract_hours(kind: ContractKind, overrides: dict[str, Any], field: str | None) -> None:
    errors = contract_errors_by_field(valid_terms(kind, **overrides), today=TODAY)
    if field is None:
        assert errors == {}
    else:
        assert field in errors


ELIGIBILITY_CASES = [
    # CDI inclusion: 57 and over on the start date, since loi 2020-1577 (in force 16/12/2020).
    case("cdi_inclusion_on_57th_birthday", INCLUSION, None, birth_date=date(1968, 1, 15)),
    case("cdi_inclusion_one_day_before_57", INCLUSION, "birth_date", birth_date=date(1968, 1, 16)),
    case(
        "cdi_inclusion_on_law_date", INCLUSION, None, start=date(2020, 12, 16), pass_iae_start=None
    ),
    case(
        "cdi_inclusion_before_law_date",
        INCLUSION,
        "kind",
        start=date(2020, 12, 15),
        pass_iae_start=None,
    ),
    # PASS IAE coverage of insertion contracts.
    case("cddi_without_pass", CDDI, "pass_iae_end", pass_iae_end=None),
    case("cdi_inclusion_without_pass", INCLUSION, "pass_iae_end", pass_iae_end=None),
    case("cdd_needs_no_pass", CDD, None, pass_iae_end=None),
    case("pec_needs_no_pass", PEC, None, pass_iae_end=None),
    case("start_on_pass_first_day", CDDI, None, pass_iae_start=START),
    case("start_one_day_before_pass", CDDI, "pass_iae_end", pass_iae_start=START + DAY),
    case("start_on_pass_last_day", CDDU, None, pass_iae_end=START, planned_end=START),
    case(
        "start_one_day_after_pass",
        CDDU,
        "pass_iae_end",
        pass_iae_end=START - DAY,
        planned_end=START,
    ),
    case("end_on_pass_last_day", CDDI, None, pass_iae_end=period_end(START, 6)),
    case("end_one_day_after_pass", CDDI, "pass_iae_end", pass_iae_end=period_end(START, 6) - DAY),
    # A renewal is agreed at the latest on the previous term, the day before its start.
    case("renewal_agreed_before_term", CDDI, None, is_renewal=True, previous_cumulated_months=6),
    case(
        "renewal_agreed_on_term",
        CDDI,
        None,
        is_renewal=True,
        previous_cumulated_months=6,
        start=TODAY + DAY,
    ),
    case(
        "renewal_agreed_after_term",
        CDDI,
        "start",
        is_renewal=True,
        previous_cumulated_months=6,
        start=TODAY,
    ),
    case(
        "start_before_recorded_rules",
        CDD,
        "start",
        start=date(2017, 12, 31),
        planned_end=date(2018, 3, 30),
    ),
]


@pytest.mark.parametrize(("kind", "overrides", "field"), ELIGIBILITY_CASES)
def test_contract_eligibility(
    kind: ContractKind, overrides: dict[str, Any], field: str | None
) -> None:
    errors = contract_errors_by_field(valid_terms(kind, **overrides), today=TODAY)
    if field is None:
        assert errors == {}
    else:
        assert field in errors


def _revaluations() -> list[Any]:
    periods = sorted(SMIC_HOURLY.periods, key=lambda period: period.valid_from)
    return [
        pytest.param(before.value, after.value, after.valid_from, id=f"{after.valid_from}")
        for before, after in zip(periods, periods[1:], strict=False)
    ]


@pytest.mark.parametrize(("old", "new", "revalued_on"), _revaluations())
def test_smic_around_each_revaluation(old: Decimal, new: Decimal, revalued_on: date) -> None:
    cent = D("0.01")

    def rate_errors(start: date, rate: Decimal) -> dict[str, list[str]]:
        terms = valid_terms(
            ContractKind.CDD, start=start, planned_end=start + DAY * 60, hourly_rate=rate
        )
        return contract_errors_by_field(terms, today=start - DAY)

    day_before = revalued_on - DAY
    assert "hourly_rate" in rate_errors(day_before, old - cent)
    assert rate_errors(day_before, old) == {}
    assert "hourly_rate" in rate_errors(revalued_on, new - cent)
    assert rate_errors(revalued_on, new) == {}
    assert "hourly_rate" in rate_errors(revalued_on, old)


def test_smic_table_is_increasing_and_only_the_latest_value_is_unconfirmed() -> None:
    periods = sorted(SMIC_HOURLY.periods, key=lambda period: period.valid_from)
    assert all(a.value < b.value for a, b in zip(periods, periods[1:], strict=False))
    assert all(a.valid_to == b.valid_from - DAY for a, b in zip(periods, periods[1:], strict=False))
    assert [period.confirmed for period in periods][:-1] == [True] * (len(periods) - 1)
    assert SMIC_HOURLY.on(date(2025, 6, 1)) == D("11.88")


def test_messages_name_the_field_the_rule_and_the_bound() -> None:
    terms = valid_terms(ContractKind.CDDI, planned_end=FOUR_MONTHS - DAY)
    assert contract_errors(terms, today=TODAY) == [
        "Date de fin prévue : durée initiale d'un CDDI : 4 mois au moins (Code du travail, "
        "art. L5132-5, L5132-11-1 et L5132-15-1) ; fin au plus tôt le 14/05/2025."
    ]


def test_smic_message_quotes_rate_value_and_source() -> None:
    terms = valid_terms(ContractKind.CDD, hourly_rate=D("11.87"))
    (message,) = contract_errors(terms, today=TODAY)
    assert message == (
        "Taux horaire brut : 11,87\u00a0€ est inférieur au SMIC horaire brut en vigueur le "
        "15/01/2025 (11,88\u00a0€, Décret n° 2024-951 du 23/10/2024 ; Code du travail, "
        "art. L3231-2)."
    )


def test_every_message_starts_with_a_field_label() -> None:
    terms = valid_terms(
        ContractKind.CDDI,
        planned_end=START,
        weekly_hours=D(40),
        hourly_rate=D(1),
        pass_iae_end=None,
    )
    messages = contract_errors(terms, today=TODAY)
    assert len(messages) == 4
    assert all(message.split(" : ")[0] in FIELD_LABELS.values() for message in messages)


@given(st.dates(min_value=date(2018, 1, 1), max_value=date(2028, 12, 31)))
def test_cddi_lower_bound_holds_on_any_start_day(start: date) -> None:
    terms = valid_terms(
        ContractKind.CDDI,
        start=start,
        planned_end=period_end(start, 4),
        hourly_rate=D(20),
        pass_iae_start=None,
        pass_iae_end=date(2040, 1, 1),
    )
    assert contract_errors_by_field(terms, today=start - DAY) == {}
    short = replace(terms, planned_end=period_end(start, 4) - DAY)
    assert list(contract_errors_by_field(short, today=start - DAY)) == ["planned_end"]


# --- Renewals ----------------------------------------------------------------------------------

PREVIOUS = valid_terms(ContractKind.CDDI)  # 15/01/2025 – 14/07/2025
RENEWAL = valid_terms(
    ContractKind.CDDI,
    start=date(2025, 7, 15),
    planned_end=period_end(date(2025, 7, 15), 6),
    is_renewal=True,
    previous_cumulated_months=6,
)


@pytest.mark.parametrize(
    ("previous", "renewal", "expected_start"),
    [
        pytest.param(PREVIOUS, RENEWAL, None, id="continues_previous"),
        pytest.param(
            PREVIOUS, replace(RENEWAL, start=date(2025, 7, 16)), "Date de début", id="one_day_gap"
        ),
        pytest.param(
            PREVIOUS, replace(RENEWAL, kind=ContractKind.CDDU), "Type de contrat", id="other_kind"
        ),
        pytest.param(
            PREVIOUS, replace(RENEWAL, is_renewal=False), "Type de contrat", id="not_flagged"
        ),
        pytest.param(
            PREVIOUS,
            replace(RENEWAL, previous_cumulated_months=5),
            "Durée déjà accomplie",
            id="understated_months",
        ),
        pytest.param(
            valid_terms(ContractKind.CDI),
            replace(RENEWAL, kind=ContractKind.CDI),
            "Type de contrat",
            id="open_ended_contract",
        ),
    ],
)
def test_renewal_errors(
    previous: ContractTerms, renewal: ContractTerms, expected_start: str | None
) -> None:
    errors = renewal_errors(previous, renewal)
    if expected_start is None:
        assert errors == []
        assert contract_errors(renewal, today=date(2025, 7, 14)) == []
    else:
        assert any(message.startswith(expected_start) for message in errors)


# --- Probation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "months", "extra", "expected"),
    [
        pytest.param(ContractKind.CDDI, 1, {}, 4, id="cddi_one_month"),
        pytest.param(ContractKind.CDDI, 3, {}, 13, id="cddi_three_months"),
        pytest.param(ContractKind.CDDI, 4, {}, 14, id="cddi_four_months_capped"),
        pytest.param(ContractKind.CDD, 6, {}, 14, id="cdd_at_six_months"),
        pytest.param(ContractKind.CDD, 7, {}, relativedelta(months=1), id="cdd_past_six_months"),
        pytest.param(ContractKind.CDDU, 1, {"duration_weeks": 2}, 2, id="cddu_two_weeks"),
        pytest.param(ContractKind.PEC, 12, {}, relativedelta(months=1), id="pec_fixed_term"),
        pytest.param(ContractKind.PEC, None, {}, relativedelta(months=2), id="pec_without_term"),
        pytest.param(ContractKind.ETTI_MISSION, 1, {}, 2, id="mission_at_one_month"),
        pytest.param(ContractKind.ETTI_MISSION, 2, {}, 3, id="mission_at_two_months"),
        pytest.param(ContractKind.ETTI_MISSION, 3, {}, 5, id="mission_past_two_months"),
        pytest.param(ContractKind.CDI, None, {}, relativedelta(months=2), id="cdi_employee"),
        pytest.param(
            ContractKind.CDI,
            None,
            {"category": JobCategory.SUPERVISOR},
            relativedelta(months=3),
            id="cdi_supervisor",
        ),
        pytest.param(
            ContractKind.CDI,
            None,
            {"category": JobCategory.EXECUTIVE},
            relativedelta(months=4),
            id="cdi_executive",
        ),
        pytest.param(
            ContractKind.CDI_INCLUSION, None, {}, relativedelta(months=2), id="cdi_inclusion"
        ),
    ],
)
def test_probation_period(
    kind: ContractKind, months: int | None, extra: dict[str, Any], expected: relativedelta | int
) -> None:
    assert probation_period(kind, months, on=START, **extra) == expected


# --- MAD cap -----------------------------------------------------------------------------------

FIRST = date(2025, 2, 3)
LATER = date(2025, 6, 2)
MAD_RULE = "Plafond de mise à disposition en entreprise (art. R5132-18 2° du Code du travail) : "


@pytest.mark.parametrize(
    ("hours", "state"),
    [
        pytest.param("83.52", MadCapState.OK, id="at_79.9_percent"),
        pytest.param("84", MadCapState.WARNING, id="at_80_percent"),
        pytest.param("180", MadCapState.WARNING, id="at_100_percent"),
        pytest.param("180.25", MadCapState.REFUSED, id="past_100_percent_by_a_quarter_hour"),
    ],
)
def test_mad_cap_thresholds(hours: str, state: MadCapState) -> None:
    status = status_of([company(FIRST, 300)], company(LATER, hours))
    assert status.state is state
    assert (status.hours_used, status.hours_left, status.window_start) == (D(300), D(180), FIRST)


def test_mad_message_says_rule_hours_left_and_window_start() -> None:
    status = status_of([company(FIRST, "412.5")], company(LATER, 10))
    assert status.state is MadCapState.WARNING
    assert status.message == (
        f"{MAD_RULE}412,5 h utilisées sur 480 h depuis le 03/02/2025 ; il reste 67,5 h. "
        "Seuil d'alerte de 80 % atteint : après cette mise à disposition (10 h), il restera 57,5 h."
    )


def test_mad_refusal_message_gives_the_total() -> None:
    status = status_of([company(FIRST, "412.5")], company(LATER, 70))
    assert status.state is MadCapState.REFUSED
    assert status.message.endswith(
        "il reste 67,5 h. La mise à disposition proposée (70 h) porterait le total à 482,5 h, "
        "au-delà du plafond."
    )


def test_mad_message_mentions_hours_planned_after_today() -> None:
    existing = [company(FIRST, 100), company(date(2025, 9, 1), 50)]
    status = status_of(existing, company(LATER, 10), today=date(2025, 5, 1))
    assert status.hours_planned == D(50)
    assert "150 h utilisées (dont 50 h planifiées après le 01/05/2025) sur 480 h" in status.message


@pytest.mark.parametrize(
    ("proposed_on", "state", "window_start", "used"),
    [
        pytest.param(date(2027, 2, 2), MadCapState.REFUSED, FIRST, D(480), id="last_day_of_window"),
        pytest.param(
            date(2027, 2, 3), MadCapState.OK, date(2027, 2, 3), D(0), id="day_after_window_restarts"
        ),
    ],
)
def test_mad_window_restarts_after_24_months(
    proposed_on: date, state: MadCapState, window_start: date, used: Decimal
) -> None:
    status = status_of([company(FIRST, 480)], company(proposed_on, 1))
    assert (status.state, status.window_start, status.hours_used) == (state, window_start, used)


def test_mad_proposal_opening_a_window_gathers_later_placements() -> None:
    existing = [company(FIRST, 300), company(date(2027, 3, 1), 100)]
    status = status_of(existing, company(date(2027, 2, 10), 50))
    assert (status.window_start, status.hours_used, status.state) == (
        date(2027, 2, 10),
        D(100),
        MadCapState.OK,
    )


def test_mad_earlier_proposal_that_shifts_a_later_window_past_the_cap_is_refused() -> None:
    existing = [
        company(date(2025, 3, 1), 300),
        company(date(2027, 2, 1), 100),
        company(date(2027, 4, 1), 400),
    ]
    assert [w.hours for w in mad_windows(existing)] == [D(400), D(400)]
    status = status_of(existing, company(date(2025, 1, 10), 10))
    assert status.state is MadCapState.REFUSED
    assert "période commençant le 01/02/2027 à 500 h" in status.message


def test_mad_existing_hours_already_past_the_cap_refuse_any_proposal() -> None:
    status = status_of([company(FIRST, 500)], company(LATER, "0.25"))
    assert (status.state, status.hours_left) == (MadCapState.REFUSED, D(0))


@pytest.mark.parametrize(
    "client_kind",
    [ClientKind.HOUSEHOLD, ClientKind.ASSOCIATION, ClientKind.LOCAL_AUTHORITY],
    ids=lambda kind: kind.value,
)
def test_mad_exempt_clients_do_not_count(client_kind: ClientKind) -> None:
    status = status_of([Placement(FIRST, D(480), client_kind)], company(LATER, 300))
    assert (status.state, status.hours_used, status.window_start) == (MadCapState.OK, D(0), LATER)


@pytest.mark.parametrize(
    "client_kind",
    [
        ClientKind.COMPANY,
        ClientKind.SOCIAL_LANDLORD,
        ClientKind.MUTUAL_INSURER,
        ClientKind.PUBLIC_BODY,
    ],
    ids=lambda kind: kind.value,
)
def test_mad_counted_clients_count(client_kind: ClientKind) -> None:
    status = status_of([Placement(FIRST, D(480), client_kind)], company(LATER, 1))
    assert status.state is MadCapState.REFUSED


def test_mad_household_proposal_is_outside_the_cap_and_says_so() -> None:
    status = status_of([company(FIRST, 480)], Placement(LATER, D(100), ClientKind.HOUSEHOLD))
    assert (status.state, status.cap_applies) == (MadCapState.OK, False)
    assert (status.hours_used, status.hours_left) == (D(480), D(0))
    assert status.message.startswith(
        "La mise à disposition auprès d'un particulier n'entre pas dans le plafond de 480 h"
    )


@pytest.mark.parametrize(
    ("derogation", "state"),
    [
        pytest.param((date(2025, 1, 1), date(2027, 12, 31)), MadCapState.OK, id="in_force"),
        pytest.param((LATER, date(2028, 6, 1)), MadCapState.OK, id="starts_on_placement_day"),
        pytest.param((date(2024, 6, 3), LATER), MadCapState.OK, id="ends_on_placement_day"),
        pytest.param(
            (date(2024, 6, 2), LATER - DAY), MadCapState.REFUSED, id="ended_the_day_before"
        ),
        pytest.param(
            (LATER + DAY, date(2028, 6, 2)), MadCapState.REFUSED, id="starts_the_day_after"
        ),
    ],
)
def test_mad_prefet_derogation(derogation: tuple[date, date], state: MadCapState) -> None:
    status = status_of([company(FIRST, 480)], company(LATER, 100), derogations=[derogation])
    assert status.state is state
    if state is MadCapState.OK:
        assert status.derogation == derogation
        assert status.message.startswith("Dérogation préfectorale en vigueur du ")
        assert "ne s'applique pas à cette mise à disposition" in status.message
    else:
        assert status.derogation is None


DISMISSED_ON = date(2025, 1, 15)


@pytest.mark.parametrize(
    ("dismissal_on", "placement_on", "blocked"),
    [
        pytest.param(None, DISMISSED_ON, False, id="no_dismissal"),
        pytest.param(DISMISSED_ON, DISMISSED_ON - DAY, False, id="day_before_dismissal"),
        pytest.param(DISMISSED_ON, DISMISSED_ON, True, id="dismissal_day"),
        pytest.param(DISMISSED_ON, date(2025, 7, 14), True, id="six_months_minus_a_day"),
        pytest.param(DISMISSED_ON, date(2025, 7, 15), True, id="at_six_months"),
        pytest.param(DISMISSED_ON, date(2025, 7, 16), False, id="six_months_plus_a_day"),
    ],
)
def test_economic_dismissal_blocks(
    dismissal_on: date | None, placement_on: date, blocked: bool
) -> None:
    assert economic_dismissal_blocks(dismissal_on, placement_on) is blocked


def test_mad_refused_after_the_client_s_economic_dismissal() -> None:
    proposal = company(date(2025, 7, 14), 10, client_economic_dismissal_on=DISMISSED_ON)
    status = status_of([], proposal)
    assert status.state is MadCapState.REFUSED
    assert status.message == (
        "Mise à disposition interdite : le client a procédé à un licenciement économique le "
        "15/01/2025 ; pas de mise à disposition avant le 16/07/2025 (interdiction de 6 mois "
        "après un licenciement économique)."
    )
    later = replace(proposal, start=date(2025, 7, 16))
    assert status_of([], later).state is MadCapState.OK


def test_mad_accepts_aware_datetimes() -> None:
    existing = [Placement(datetime(2025, 2, 3, 8, tzinfo=UTC), D(300), ClientKind.COMPANY)]
    status = status_of(existing, company(LATER, 10))
    assert (status.window_start, status.hours_used) == (FIRST, D(300))


def test_placement_hours_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        company(FIRST, 0)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "ok"),
    [
        pytest.param(date(2025, 1, 1), date(2027, 12, 31), True, id="at_three_years"),
        pytest.param(date(2025, 1, 1), date(2028, 1, 1), False, id="past_three_years"),
        pytest.param(date(2025, 1, 1), date(2024, 12, 31), False, id="ends_before_start"),
        pytest.param(date(2021, 8, 30), date(2022, 8, 30), False, id="before_decree"),
    ],
)
def test_mad_derogation_errors(valid_from: date, valid_to: date, ok: bool) -> None:
    assert (mad_derogation_errors(valid_from, valid_to) == []) is ok


# --- MAD properties ----------------------------------------------------------------------------

ANCHOR = date(2025, 1, 6)
hours_st = st.decimals(min_value=D("0.25"), max_value=D(300), places=2)
placement_st = st.builds(
    Placement,
    start=st.integers(min_value=0, max_value=1500).map(lambda n: ANCHOR + timedelta(days=n)),
    hours=hours_st,
    client_kind=st.sampled_from(list(ClientKind)),
)
company_st = st.builds(
    Placement,
    start=st.integers(min_value=0, max_value=1500).map(lambda n: ANCHOR + timedelta(days=n)),
    hours=hours_st,
    client_kind=st.just(ClientKind.COMPANY),
)
RANK = {MadCapState.OK: 0, MadCapState.WARNING: 1, MadCapState.REFUSED: 2}


@given(st.lists(placement_st, max_size=12), company_st)
def test_hours_left_and_used_add_up_to_the_cap(
    existing: list[Placement], proposed: Placement
) -> None:
    status = status_of(existing, proposed)
    assert status.hours_left == max(status.cap - status.hours_used, D(0))
    if status.hours_used <= status.cap:
        assert status.hours_used + status.hours_left == status.cap


@given(st.data(), st.lists(placement_st, max_size=12), placement_st)
def test_order_of_placements_does_not_change_the_result(
    data: st.DataObject, existing: list[Placement], proposed: Placement
) -> None:
    shuffled = data.draw(st.permutations(existing))
    assert status_of(shuffled, proposed) == status_of(existing, proposed)


@given(st.lists(company_st, max_size=8), st.lists(placement_st, max_size=8), company_st)
def test_exempt_placements_never_change_a_company_proposal(
    companies: list[Placement], others: list[Placement], proposed: Placement
) -> None:
    exempt = [p for p in others if not mad_cap_applies(p.client_kind)]
    assert status_of([*companies, *exempt], proposed) == status_of(companies, proposed)


@given(st.lists(company_st, max_size=8), company_st, hours_st)
def test_more_hours_never_improve_the_state(
    existing: list[Placement], proposed: Placement, extra: Decimal
) -> None:
    bigger = replace(proposed, hours=proposed.hours + extra)
    assert RANK[status_of(existing, bigger).state] >= RANK[status_of(existing, proposed).state]


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=700), st.decimals(D(1), D(80), places=2)),
        max_size=6,
    ),
    st.integers(min_value=0, max_value=700),
    hours_st,
)
def test_within_one_window_refused_exactly_when_hours_left_are_exceeded(
    offsets: list[tuple[int, Decimal]], proposal_offset: int, hours: Decimal
) -> None:
    existing = [company(ANCHOR, 1)] + [
        company(ANCHOR + timedelta(days=n), str(h)) for n, h in offsets
    ]
    status = status_of(existing, company(ANCHOR + timedelta(days=proposal_offset), str(hours)))
    assert status.window_start == ANCHOR
    assert (status.state is MadCapState.REFUSED) is (hours > status.hours_left)
    share = (status.hours_used + hours) / MAD_CAP_HOURS.on(ANCHOR)
    if status.state is not MadCapState.REFUSED:
        assert (status.state is MadCapState.WARNING) is (share >= D("0.8"))


# --- Worked examples of docs/algorithms/mad-cap.md -----------------------------------------------

EXAMPLE_1 = [
    Placement(date(2025, 1, 20), D(40), ClientKind.HOUSEHOLD),
    company(date(2025, 2, 3), 150),
    Placement(date(2025, 3, 17), D(35), ClientKind.ASSOCIATION),
    Placement(date(2025, 4, 7), D(70), ClientKind.LOCAL_AUTHORITY),
    Placement(date(2025, 5, 12), D(140), ClientKind.SOCIAL_LANDLORD),
    company(date(2025, 9, 1), "122.5"),
]


@pytest.mark.parametrize(
    ("proposal", "state"),
    [
        pytest.param(company(date(2025, 11, 3), 20), MadCapState.WARNING, id="twenty_hours"),
        pytest.param(company(date(2025, 11, 3), "67.5"), MadCapState.WARNING, id="reaches_cap"),
        pytest.param(company(date(2025, 11, 3), 70), MadCapState.REFUSED, id="passes_cap"),
        pytest.param(
            Placement(date(2025, 11, 3), D(30), ClientKind.HOUSEHOLD),
            MadCapState.OK,
            id="household",
        ),
    ],
)
def test_doc_example_1(proposal: Placement, state: MadCapState) -> None:
    status = status_of(EXAMPLE_1, proposal, today=date(2025, 10, 20))
    assert (status.state, status.hours_used, status.window_start) == (
        state,
        D("412.5"),
        date(2025, 2, 3),
    )


def test_doc_example_3_window_is_anchored_not_sliding() -> None:
    existing = [company(date(2025, 2, 3), 240), company(date(2026, 12, 1), 240)]
    status = status_of(existing, company(date(2027, 2, 3), 300), today=date(2027, 1, 1))
    assert (status.state, status.window_start, status.hours_used) == (
        MadCapState.OK,
        date(2027, 2, 3),
        D(0),
    )
