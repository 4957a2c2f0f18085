from __future__ import annotations

import inspect
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from tremplin.core.parameters import DatedParameter, ParameterNotInForce
from tremplin.organisations import rules as organisation_rules
from tremplin.pathways import rules
from tremplin.pathways.rules import AdministrativeCriterion as C
from tremplin.pathways.rules import (
    ExitCategory,
    ExitReason,
    ProlongationPeriod,
    ProlongationReason,
    SiaeKind,
    SuspensionPeriod,
    SuspensionReason,
)

D = date
P = pytest.param
REGIME_START = D(2021, 8, 31)
BEFORE_REGIME = D(2021, 8, 30)
NO_DB = settings(database=None, deadline=None)


def make_nir(sex: str, year: int, month: int, department: str, rest: str = "123456") -> str:
    """Build a NIR with a computed key (2A/2B count as 19/18), never a real person's number."""
    body = f"{sex}{year:02d}{month:02d}{department}{rest}"
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(department, department) + body[7:]
    return f"{body}{97 - int(numeric) % 97:02d}"


def with_wrong_key(nir: str) -> str:
    return f"{nir[:13]}{int(nir[13:]) % 97 + 1:02d}"


# --- Module-wide properties ------------------------------------------------------------------

ALL_PARAMETERS = sorted(
    (v for v in vars(rules).values() if isinstance(v, DatedParameter)), key=lambda p: p.code
)
PUBLIC_FUNCTIONS = [
    f
    for name, f in inspect.getmembers(rules, inspect.isfunction)
    if not name.startswith("_") and f.__module__ == rules.__name__
]


def test_siae_kind_is_the_organisations_enum() -> None:
    assert rules.SiaeKind is organisation_rules.SiaeKind


@pytest.mark.parametrize("parameter", ALL_PARAMETERS, ids=lambda p: p.code)
def test_parameter_raises_before_its_first_period(parameter: DatedParameter[object]) -> None:
    first = min(p.valid_from for p in parameter.periods)
    assert all(p.source for p in parameter.periods)
    parameter.on(first)
    with pytest.raises(ParameterNotInForce):
        parameter.on(first - timedelta(days=1))


def test_unconfirmed_parameters_are_exactly_the_listed_ones() -> None:
    unconfirmed = {p.code for p in ALL_PARAMETERS if any(not x.confirmed for x in p.periods)}
    assert unconfirmed == {
        "appointment_max_gap_days",
        "contrat_passerelle_kinds",
        "exit_follow_up_months",
        "pass_iae_prolongation_rules",
    }


@pytest.mark.parametrize("function", PUBLIC_FUNCTIONS, ids=lambda f: f.__name__)
def test_public_function_has_a_docstring_sentence(function: object) -> None:
    doc = inspect.getdoc(function)
    assert doc
    assert doc.splitlines()[0].endswith(".")


# --- Enums -----------------------------------------------------------------------------------


def test_criteria_levels() -> None:
    level_1 = {c for c in C if c.level is rules.CriterionLevel.LEVEL_1}
    assert level_1 == {C.RSA, C.ASS, C.AAH, C.DETLD}
    assert len(C) - len(level_1) == 14


@pytest.mark.parametrize(
    ("category", "dynamic", "counted"),
    [
        P(ExitCategory.DURABLE_EMPLOYMENT, True, True, id="durable"),
        P(ExitCategory.TRANSITIONAL_EMPLOYMENT, True, True, id="transitional"),
        P(ExitCategory.POSITIVE_EXIT, True, True, id="positive"),
        P(ExitCategory.OTHER_EXIT, False, True, id="other"),
        P(ExitCategory.WITHDRAWN, False, False, id="withdrawn"),
    ],
)
def test_exit_category_flags(category: ExitCategory, dynamic: bool, counted: bool) -> None:
    assert category.is_dynamic is dynamic
    assert category.counts_in_rates is counted


# --- Eligibility -----------------------------------------------------------------------------

TODAY = D(2026, 3, 2)


@pytest.mark.parametrize(
    ("kind", "criteria", "eligible"),
    [
        P(SiaeKind.AI, [C.RSA], True, id="ai_one_level_1"),
        P(SiaeKind.ACI, [C.DETLD], True, id="aci_one_level_1"),
        P(SiaeKind.EITI, [C.AAH, C.JEUNE], True, id="eiti_level_1_with_level_2"),
        P(SiaeKind.AI, [], False, id="ai_no_criterion"),
        P(SiaeKind.AI, [C.JEUNE], False, id="ai_one_below_level_2_threshold"),
        P(SiaeKind.AI, [C.JEUNE, C.QPV], True, id="ai_at_level_2_threshold"),
        P(SiaeKind.ETTI, [C.JEUNE], False, id="etti_one_below_level_2_threshold"),
        P(SiaeKind.ETTI, [C.SENIOR, C.TH], True, id="etti_at_level_2_threshold"),
        P(SiaeKind.ACI, [C.JEUNE, C.QPV], False, id="aci_one_below_level_2_threshold"),
        P(SiaeKind.ACI, [C.JEUNE, C.QPV, C.PM], True, id="aci_at_level_2_threshold"),
        P(SiaeKind.EI, [C.FLE, C.PI], False, id="ei_one_below_level_2_threshold"),
        P(SiaeKind.EI, [C.FLE, C.PI, C.DELD], True, id="ei_at_level_2_threshold"),
        P(SiaeKind.EITI, [C.ZRR, C.ASE], False, id="eiti_one_below_level_2_threshold"),
        P(SiaeKind.EITI, [C.ZRR, C.ASE, C.REF_DA], True, id="eiti_at_level_2_threshold"),
        P(SiaeKind.ACI, [C.JEUNE, C.JEUNE, C.QPV], False, id="aci_duplicate_counts_once"),
    ],
)
def test_is_eligible_by_criteria(kind: SiaeKind, criteria: list[C], eligible: bool) -> None:
    result = rules.is_eligible_by_criteria(kind, criteria, today=TODAY)
    assert result.eligible is eligible
    assert result.reasons
    if not eligible:
        assert result.reasons[0] == "Aucun critère de niveau 1."
        assert "requis pour le type de SIAE" in result.reasons[1]


def test_eligibility_reasons_in_french() -> None:
    ok = rules.is_eligible_by_criteria(SiaeKind.AI, [C.QPV, C.JEUNE], today=TODAY)
    assert ok.reasons == (
        "2 critères de niveau 2 (Jeune (moins de 26 ans), Résident en QPV), 2 requis pour le"
        " type de SIAE « Association intermédiaire ».",
    )
    ko = rules.is_eligible_by_criteria(SiaeKind.ACI, [C.QPV], today=TODAY)
    assert ko.reasons[1] == (
        "1 critère de niveau 2 sur 3 requis pour le type de SIAE « Atelier et chantier"
        " d'insertion »."
    )
    level_1 = rules.is_eligible_by_criteria(SiaeKind.EI, [C.RSA, C.QPV], today=TODAY)
    assert level_1.reasons == ("Critère de niveau 1 rempli : Bénéficiaire du RSA.",)


def test_eligibility_thresholds_are_dated() -> None:
    assert rules.is_eligible_by_criteria(SiaeKind.AI, [C.RSA], today=REGIME_START).eligible
    with pytest.raises(ParameterNotInForce):
        rules.is_eligible_by_criteria(SiaeKind.AI, [C.RSA], today=BEFORE_REGIME)


@pytest.mark.parametrize(
    ("made_on", "authorised", "until"),
    [
        P(D(2025, 1, 15), True, D(2025, 7, 14), id="prescriber_six_months"),
        P(D(2025, 8, 31), True, D(2026, 2, 27), id="prescriber_end_of_month_clipped"),
        P(D(2024, 2, 29), True, D(2024, 8, 28), id="prescriber_leap_day"),
        P(D(2023, 8, 31), True, D(2024, 2, 28), id="prescriber_into_leap_february"),
        P(D(2025, 1, 15), False, D(2025, 4, 16), id="employer_92_days"),
        P(D(2024, 2, 29), False, D(2024, 5, 30), id="employer_leap_day"),
        P(REGIME_START, False, D(2021, 11, 30), id="employer_at_lower_bound"),
    ],
)
def test_diagnosis_valid_until(made_on: date, authorised: bool, until: date) -> None:
    assert rules.diagnosis_valid_until(made_on, prescriber_is_authorised=authorised) == until


def test_diagnosis_validity_before_regime_raises() -> None:
    with pytest.raises(ParameterNotInForce):
        rules.diagnosis_valid_until(BEFORE_REGIME, prescriber_is_authorised=True)


@pytest.mark.parametrize(
    ("today", "pass_end", "valid"),
    [
        P(D(2025, 1, 14), None, False, id="day_before_made_on"),
        P(D(2025, 1, 15), None, True, id="on_made_on"),
        P(D(2025, 7, 14), None, True, id="on_last_valid_day"),
        P(D(2025, 7, 15), None, False, id="one_day_past_end"),
        P(D(2025, 9, 1), D(2025, 9, 1), True, id="expired_but_pass_valid"),
        P(D(2025, 9, 2), D(2025, 9, 1), False, id="expired_and_pass_ended"),
    ],
)
def test_is_diagnosis_valid(today: date, pass_end: date | None, valid: bool) -> None:
    made_on = D(2025, 1, 15)
    result = rules.is_diagnosis_valid(
        made_on, today, prescriber_is_authorised=True, pass_end=pass_end
    )
    assert result is valid


# --- PASS IAE duration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        P(D(2025, 1, 1), D(2026, 12, 31), id="no_leap_day"),
        P(D(2024, 2, 29), D(2026, 2, 27), id="leap_day_start"),
        P(D(2023, 6, 1), D(2025, 5, 30), id="span_crosses_leap_day"),
        P(D(2025, 3, 1), D(2027, 2, 28), id="march_start_no_leap_day"),
        P(D(2023, 3, 1), D(2025, 2, 27), id="march_start_crosses_leap_day"),
        P(REGIME_START, D(2023, 8, 30), id="at_lower_bound"),
    ],
)
def test_pass_end(start: date, end: date) -> None:
    assert rules.pass_end(start) == end


def test_pass_end_before_regime_raises() -> None:
    with pytest.raises(ParameterNotInForce):
        rules.pass_end(BEFORE_REGIME)


START = D(2025, 1, 6)
BASE_END = D(2027, 1, 5)
SUSPENDED = SuspensionReason.CONTRACT_SUSPENDED
MARCH = SuspensionPeriod(D(2025, 3, 1), D(2025, 3, 31), SUSPENDED)


@pytest.mark.parametrize(
    ("suspensions", "prolongations", "end"),
    [
        P([], [], BASE_END, id="nothing"),
        P([SuspensionPeriod(D(2025, 3, 3), D(2025, 3, 3), SUSPENDED)], [], D(2027, 1, 6), id="1d"),
        P([MARCH], [], D(2027, 2, 5), id="month_suspension"),
        P(
            [MARCH, SuspensionPeriod(D(2025, 6, 1), D(2025, 6, 10), SUSPENDED)],
            [],
            D(2027, 2, 15),
            id="two_suspensions",
        ),
        P(
            [],
            [ProlongationPeriod(BASE_END, D(2028, 1, 5), ProlongationReason.RQTH)],
            D(2028, 1, 5),
            id="one_prolongation",
        ),
        P(
            [MARCH],
            [ProlongationPeriod(D(2027, 2, 5), D(2028, 2, 5), ProlongationReason.SENIOR)],
            D(2028, 2, 5),
            id="suspension_then_prolongation",
        ),
    ],
)
def test_pass_end_with_suspensions_and_prolongations(
    suspensions: list[SuspensionPeriod], prolongations: list[ProlongationPeriod], end: date
) -> None:
    assert (
        rules.pass_end_with_suspensions_and_prolongations(START, suspensions, prolongations) == end
    )


starts = st.dates(min_value=D(2021, 9, 1), max_value=D(2030, 12, 31))


@st.composite
def suspension_lists(draw: st.DrawFn) -> list[SuspensionPeriod]:
    periods = []
    for offset, length in draw(st.lists(st.tuples(st.integers(0, 700), st.integers(1, 1096)))):
        first = D(2022, 1, 1) + timedelta(days=offset)
        periods.append(SuspensionPeriod(first, first + timedelta(days=length - 1), SUSPENDED))
    return periods


@NO_DB
@given(start=starts, suspensions=suspension_lists(), extra_days=st.integers(1, 1096))
def test_suspension_pushes_end_by_exactly_its_length(
    start: date, suspensions: list[SuspensionPeriod], extra_days: int
) -> None:
    before = rules.pass_end_with_suspensions_and_prolongations(start, suspensions)
    extra = SuspensionPeriod(start, start + timedelta(days=extra_days - 1), SUSPENDED)
    after = rules.pass_end_with_suspensions_and_prolongations(start, [*suspensions, extra])
    assert (after - before).days == extra.length_days == extra_days
    total = sum(s.length_days for s in suspensions)
    assert before == rules.pass_end(start) + timedelta(days=total)


@NO_DB
@given(start=starts, months=st.integers(1, 12))
def test_prolongation_sets_the_end_to_its_own_end(start: date, months: int) -> None:
    end = rules.pass_end(start)
    added = ProlongationPeriod(end, end + relativedelta(months=months), ProlongationReason.RQTH)
    assert rules.pass_end_with_suspensions_and_prolongations(start, (), [added]) == added.end


@NO_DB
@given(start=starts)
def test_pass_lasts_730_days_both_ends_counted(start: date) -> None:
    assert (rules.pass_end(start) - start).days + 1 == 730


@pytest.mark.parametrize(
    ("day", "valid"),
    [
        P(START - timedelta(days=1), False, id="day_before_start"),
        P(START, True, id="at_start"),
        P(BASE_END, True, id="at_end"),
        P(BASE_END + timedelta(days=1), False, id="day_after_end"),
    ],
)
def test_is_pass_valid_on(day: date, valid: bool) -> None:
    assert rules.is_pass_valid_on(START, BASE_END, day) is valid


@pytest.mark.parametrize(
    ("end", "today", "months", "within"),
    [
        P(D(2026, 3, 1), D(2026, 3, 2), 3, False, id="already_ended"),
        P(D(2026, 3, 2), D(2026, 3, 2), 3, True, id="ends_today"),
        P(D(2026, 6, 2), D(2026, 3, 2), 3, True, id="at_upper_bound"),
        P(D(2026, 6, 3), D(2026, 3, 2), 3, False, id="one_day_past_upper_bound"),
        P(D(2026, 4, 2), D(2026, 3, 2), 1, True, id="one_month_at_upper_bound"),
        P(D(2026, 4, 3), D(2026, 3, 2), 1, False, id="one_month_past_upper_bound"),
        P(D(2026, 2, 28), D(2025, 11, 30), 3, True, id="end_of_month_clipped_to_february"),
        P(D(2026, 3, 1), D(2025, 11, 30), 3, False, id="end_of_month_one_day_past"),
        P(D(2024, 2, 29), D(2023, 11, 30), 3, True, id="end_of_month_leap_february"),
    ],
)
def test_ends_within(end: date, today: date, months: int, within: bool) -> None:
    assert rules.ends_within(end, today, months) is within


def test_ends_within_defaults_to_three_months() -> None:
    assert rules.ends_within(D(2026, 6, 2), D(2026, 3, 2))
    assert not rules.ends_within(D(2026, 6, 3), D(2026, 3, 2))


# --- Suspensions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "max_end"),
    [
        P(D(2025, 1, 10), D(2028, 1, 9), id="plain"),
        P(D(2024, 2, 29), D(2027, 2, 27), id="leap_day_start"),
        P(D(2025, 5, 31), D(2028, 5, 30), id="end_of_month"),
        P(D(2025, 3, 1), D(2028, 2, 29), id="ends_on_leap_day"),
    ],
)
def test_suspension_max_end(start: date, max_end: date) -> None:
    assert rules.suspension_max_end(start) == max_end


S_PASS_START = D(2025, 1, 6)
S_PASS_END = D(2027, 1, 5)
S_TODAY = D(2026, 3, 2)
PASSERELLE = SuspensionReason.CONTRAT_PASSERELLE


def suspension_errors(
    start: date,
    end: date,
    reason: SuspensionReason = SUSPENDED,
    kind: SiaeKind = SiaeKind.AI,
    others: tuple[SuspensionPeriod, ...] = (),
) -> list[str]:
    return rules.suspension_errors(
        SuspensionPeriod(start, end, reason),
        kind=kind,
        pass_start=S_PASS_START,
        pass_end=S_PASS_END,
        today=S_TODAY,
        others=others,
    )


AI, ACI, EI, ETTI = SiaeKind.AI, SiaeKind.ACI, SiaeKind.EI, SiaeKind.ETTI
CTA = SuspensionReason.APPROVAL_BETWEEN_CTA_MEMBERS
PASSERELLE_RESERVED = (
    "Le motif de suspension « Bascule dans l'expérimentation contrat passerelle » est réservé"
    " aux ACI et EI."
)


@pytest.mark.parametrize(
    ("start", "end", "reason", "kind"),
    [
        P(D(2026, 2, 1), D(2026, 5, 31), SUSPENDED, AI, id="plain"),
        P(S_TODAY, S_TODAY, SuspensionReason.CONTRACT_BROKEN, AI, id="one_day"),
        P(D(2026, 3, 1), D(2029, 2, 28), SUSPENDED, ETTI, id="at_max_duration"),
        P(D(2025, 3, 2), D(2025, 4, 1), CTA, AI, id="at_retroactivity_bound"),
        P(D(2026, 2, 1), D(2026, 4, 30), PASSERELLE, EI, id="passerelle_ei"),
        P(D(2026, 2, 1), D(2026, 4, 30), PASSERELLE, ACI, id="passerelle_aci_2026"),
    ],
)
def test_valid_suspension(start: date, end: date, reason: SuspensionReason, kind: SiaeKind) -> None:
    assert suspension_errors(start, end, reason, kind) == []


@pytest.mark.parametrize(
    ("start", "end", "reason", "kind", "message"),
    [
        P(
            *(D(2026, 2, 10), D(2026, 2, 9), SUSPENDED, AI),
            "La date de fin de la suspension doit être postérieure ou égale à sa date de début.",
            id="end_before_start",
        ),
        P(
            *(D(2026, 3, 1), D(2029, 3, 1), SUSPENDED, AI),
            "La suspension dépasse la durée maximale de 36 mois (suspension du PASS IAE) : date"
            " de fin maximale le 28/02/2029.",
            id="one_day_past_max_duration",
        ),
        P(
            *(D(2025, 3, 1), D(2025, 4, 1), SUSPENDED, AI),
            "La suspension ne peut pas commencer plus de 365 jours avant aujourd'hui"
            " (rétroactivité maximale de la suspension du PASS IAE).",
            id="one_day_past_retroactivity",
        ),
        P(
            *(S_TODAY + timedelta(days=1), D(2026, 4, 1), SUSPENDED, AI),
            "La suspension ne peut pas commencer dans le futur.",
            id="starts_tomorrow",
        ),
        P(
            *(D(2026, 2, 1), D(2026, 2, 28), SuspensionReason.SICKNESS, AI),
            "Le motif de suspension « Arrêt pour longue maladie » n'est plus accepté.",
            id="historical_reason",
        ),
        P(D(2026, 2, 1), D(2026, 2, 28), PASSERELLE, AI, PASSERELLE_RESERVED, id="passerelle_ai"),
        P(
            D(2026, 2, 1),
            D(2026, 2, 28),
            PASSERELLE,
            ETTI,
            PASSERELLE_RESERVED,
            id="passerelle_etti",
        ),
    ],
)
def test_invalid_suspension(
    start: date, end: date, reason: SuspensionReason, kind: SiaeKind, message: str
) -> None:
    assert suspension_errors(start, end, reason, kind) == [message]


@pytest.mark.parametrize(
    ("pass_start", "pass_end", "start", "errors"),
    [
        P(
            D(2026, 2, 1),
            D(2028, 1, 31),
            D(2026, 1, 31),
            [
                "La suspension doit commencer pendant la validité du PASS IAE (du 01/02/2026 au"
                " 31/01/2028)."
            ],
            id="day_before_pass_start",
        ),
        P(D(2026, 2, 1), D(2028, 1, 31), D(2026, 2, 1), [], id="at_pass_start"),
        P(D(2024, 2, 2), D(2026, 2, 2), D(2026, 2, 2), [], id="at_pass_end"),
        P(
            D(2024, 2, 2),
            D(2026, 2, 1),
            D(2026, 2, 2),
            [
                "La suspension doit commencer pendant la validité du PASS IAE (du 02/02/2024 au"
                " 01/02/2026)."
            ],
            id="day_after_pass_end",
        ),
    ],
)
def test_suspension_must_start_within_pass(
    pass_start: date, pass_end: date, start: date, errors: list[str]
) -> None:
    result = rules.suspension_errors(
        SuspensionPeriod(start, D(2026, 2, 20), SUSPENDED),
        kind=SiaeKind.AI,
        pass_start=pass_start,
        pass_end=pass_end,
        today=S_TODAY,
    )
    assert result == errors


@pytest.mark.parametrize(
    ("other", "overlaps"),
    [
        P(SuspensionPeriod(D(2026, 1, 1), D(2026, 1, 31), SUSPENDED), False, id="ends_day_before"),
        P(SuspensionPeriod(D(2026, 1, 1), D(2026, 2, 1), SUSPENDED), True, id="ends_on_first_day"),
        P(SuspensionPeriod(D(2026, 2, 28), D(2026, 3, 1), SUSPENDED), True, id="starts_last_day"),
        P(SuspensionPeriod(D(2026, 3, 1), D(2026, 3, 2), SUSPENDED), False, id="starts_day_after"),
    ],
)
def test_suspension_overlap(other: SuspensionPeriod, overlaps: bool) -> None:
    errors = suspension_errors(D(2026, 2, 1), D(2026, 2, 28), others=(other,))
    expected = (
        f"La suspension chevauche une suspension existante (du {other.start:%d/%m/%Y} au"
        f" {other.end:%d/%m/%Y})."
    )
    assert errors == ([expected] if overlaps else [])


def test_suspension_before_regime_returns_the_parameter_message() -> None:
    errors = rules.suspension_errors(
        SuspensionPeriod(BEFORE_REGIME, D(2021, 9, 30), SUSPENDED),
        kind=SiaeKind.AI,
        pass_start=D(2021, 1, 1),
        pass_end=D(2022, 12, 31),
        today=D(2021, 10, 1),
    )
    assert errors == [
        "Le paramètre « Durée maximale d'une suspension du PASS IAE (mois) » n'a pas de valeur"
        " en vigueur le 30/08/2021."
    ]


@pytest.mark.parametrize(
    ("start", "kind", "confirmed", "valid"),
    [
        P(D(2025, 12, 31), SiaeKind.EI, True, True, id="last_confirmed_day"),
        P(D(2026, 1, 1), SiaeKind.EI, False, True, id="first_unconfirmed_day"),
        P(D(2025, 12, 31), SiaeKind.AI, True, False, id="kind_not_allowed"),
    ],
)
def test_passerelle_periods(start: date, kind: SiaeKind, confirmed: bool, valid: bool) -> None:
    assert rules.CONTRAT_PASSERELLE_KINDS.period_on(start).confirmed is confirmed
    errors = rules.suspension_errors(
        SuspensionPeriod(start, start + timedelta(days=30), PASSERELLE),
        kind=kind,
        pass_start=D(2025, 1, 1),
        pass_end=D(2026, 12, 31),
        today=D(2026, 3, 1),
    )
    assert (errors == []) is valid


# --- Prolongations ---------------------------------------------------------------------------

P_END = D(2026, 1, 5)
P_MAX = D(2027, 1, 5)
P_TODAY = D(2025, 12, 1)
RQTH = ProlongationReason.RQTH
DIFFICULTIES = ProlongationReason.PARTICULAR_DIFFICULTIES
TRAINING = ProlongationReason.COMPLETE_TRAINING
SENIOR_CDI = ProlongationReason.SENIOR_CDI
HEALTH = ProlongationReason.HEALTH_CONTEXT


@pytest.mark.parametrize(
    ("reason", "on", "caps"),
    [
        P(SENIOR_CDI, P_END, (120, None), id="senior_cdi"),
        P(TRAINING, P_END, (12, None), id="training"),
        P(RQTH, P_END, (12, 36), id="rqth"),
        P(ProlongationReason.SENIOR, P_END, (12, 60), id="senior"),
        P(DIFFICULTIES, P_END, (12, 36), id="difficulties"),
        P(HEALTH, D(2021, 11, 30), (12, 12), id="health_context_last_open_day"),
        P(HEALTH, D(2021, 12, 1), None, id="health_context_closed"),
    ],
)
def test_prolongation_rule(
    reason: ProlongationReason, on: date, caps: tuple[int, int | None] | None
) -> None:
    rule = rules.prolongation_rule(reason, on=on)
    found = None if rule is None else (rule.max_months, rule.max_cumulated_months)
    assert found == caps


def test_prolongation_rule_periods() -> None:
    assert not rules.PROLONGATION_RULES.period_on(D(2021, 11, 30)).confirmed
    assert rules.PROLONGATION_RULES.period_on(D(2021, 12, 1)).confirmed
    rule = rules.prolongation_rule(DIFFICULTIES, on=P_END)
    assert rule is not None
    assert rule.kinds == frozenset({SiaeKind.AI, SiaeKind.ACI})
    assert rule.needs_prescriber and rule.needs_report_file
    senior_cdi = rules.prolongation_rule(SENIOR_CDI, on=P_END)
    assert senior_cdi is not None
    assert not senior_cdi.needs_prescriber and senior_cdi.kinds is None


def period(start: date, end: date, reason: ProlongationReason = RQTH) -> ProlongationPeriod:
    return ProlongationPeriod(start, end, reason)


RQTH_2024 = period(D(2024, 1, 5), D(2025, 1, 5))
RQTH_2025 = period(D(2025, 1, 5), D(2026, 1, 5))
RQTH_2026 = period(D(2026, 1, 5), D(2027, 1, 5))
DIFF_18_MONTHS = period(D(2024, 1, 5), D(2025, 7, 5), DIFFICULTIES)
DIFF_12_MONTHS = period(D(2025, 7, 5), D(2026, 7, 5), DIFFICULTIES)
TRAINING_4_YEARS = period(D(2022, 1, 5), P_END, TRAINING)


@pytest.mark.parametrize(
    ("start", "reason", "previous", "training_ends_on", "max_end"),
    [
        P(P_END, RQTH, [], None, P_MAX, id="rqth_first_request"),
        P(P_END, SENIOR_CDI, [], None, D(2036, 1, 5), id="senior_cdi_ten_years"),
        P(D(2025, 8, 31), RQTH, [], None, D(2026, 8, 31), id="end_of_month_start"),
        P(D(2024, 2, 29), RQTH, [], None, D(2025, 2, 28), id="leap_day_start"),
        P(P_END, RQTH, [RQTH_2024, RQTH_2025], None, P_MAX, id="rqth_third_year_at_cap"),
        P(P_MAX, RQTH, [RQTH_2024, RQTH_2025, RQTH_2026], None, P_MAX, id="rqth_cap_used_up"),
        P(
            *(D(2025, 7, 5), DIFFICULTIES, [DIFF_18_MONTHS], None, D(2026, 7, 5)),
            id="difficulties_per_request_binds",
        ),
        P(
            *(D(2026, 7, 5), DIFFICULTIES, [DIFF_18_MONTHS, DIFF_12_MONTHS], None, P_MAX),
            id="difficulties_cumulated_cap_binds",
        ),
        P(P_END, RQTH, [TRAINING_4_YEARS], None, P_MAX, id="other_reason_not_counted"),
        P(P_END, TRAINING, [], D(2026, 9, 30), D(2026, 9, 30), id="training_ends_first"),
        P(P_END, TRAINING, [], D(2027, 9, 30), P_MAX, id="per_request_before_training_end"),
        P(P_END, RQTH, [], D(2026, 3, 1), P_MAX, id="training_end_ignored_for_rqth"),
        P(P_END, HEALTH, [], None, None, id="closed_reason"),
    ],
)
def test_prolongation_max_end(
    start: date,
    reason: ProlongationReason,
    previous: list[ProlongationPeriod],
    training_ends_on: date | None,
    max_end: date | None,
) -> None:
    result = rules.prolongation_max_end(
        start, reason, previous=previous, training_ends_on=training_ends_on
    )
    assert result == max_end


@NO_DB
@given(
    start=starts,
    reason=st.sampled_from([r for r in ProlongationReason if r is not HEALTH]),
    used_months=st.integers(0, 60),
)
def test_prolongation_max_end_never_exceeds_per_request_cap(
    start: date, reason: ProlongationReason, used_months: int
) -> None:
    previous = [period(start - relativedelta(months=used_months), start, reason)]
    max_end = rules.prolongation_max_end(start, reason, previous=previous)
    rule = rules.prolongation_rule(reason, on=start)
    assert max_end is not None and rule is not None
    assert max_end <= start + relativedelta(months=rule.max_months)


def prolongation_errors(
    start: date = P_END,
    end: date = P_MAX,
    reason: ProlongationReason = RQTH,
    kind: SiaeKind = SiaeKind.AI,
    today: date = P_TODAY,
    previous: tuple[ProlongationPeriod, ...] = (),
    is_suspended: bool = False,
    has_pending_request: bool = False,
    training_ends_on: date | None = None,
) -> list[str]:
    return rules.prolongation_errors(
        ProlongationPeriod(start, end, reason),
        kind=kind,
        pass_end=P_END,
        today=today,
        previous=previous,
        is_suspended=is_suspended,
        has_pending_request=has_pending_request,
        training_ends_on=training_ends_on,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        P({}, id="twelve_months_at_cap"),
        P({"end": D(2026, 1, 6)}, id="one_day"),
        P({"reason": DIFFICULTIES, "kind": SiaeKind.ACI}, id="difficulties_aci"),
        P({"reason": SENIOR_CDI, "end": D(2036, 1, 5)}, id="senior_cdi_at_cap"),
        P(
            {"reason": TRAINING, "end": D(2026, 6, 30), "training_ends_on": D(2026, 6, 30)},
            id="training_at_training_end",
        ),
        P({"previous": (RQTH_2024, RQTH_2025)}, id="third_rqth_year_at_cumulated_cap"),
        P({"today": D(2025, 1, 5)}, id="window_at_lower_bound"),
        P({"today": D(2026, 7, 5)}, id="window_at_upper_bound"),
    ],
)
def test_valid_prolongation(kwargs: dict[str, Any]) -> None:
    assert prolongation_errors(**kwargs) == []


RQTH_LABEL = "« Reconnaissance de la qualité de travailleur handicapé »"
OUTSIDE_WINDOW = (
    "La prolongation doit être demandée entre le 05/01/2025 et le 05/07/2026 (de 12 mois avant"
    " à 6 mois après la fin du PASS IAE)."
)
PENDING = "Une demande de prolongation est déjà en attente pour ce PASS IAE."


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        P(
            {"start": D(2026, 1, 4), "end": D(2026, 6, 30)},
            "La prolongation doit commencer à la date de fin du PASS IAE (05/01/2026).",
            id="does_not_start_on_pass_end",
        ),
        P({"end": P_END}, "La prolongation doit durer au moins un jour.", id="zero_length"),
        P(
            {"end": D(2027, 1, 6)},
            f"La prolongation dépasse la durée maximale de 12 mois par demande pour le motif"
            f" {RQTH_LABEL} (R5132-1-8) : date de fin maximale le 05/01/2027.",
            id="one_day_past_per_request_cap",
        ),
        P(
            {"reason": HEALTH},
            "Le motif de prolongation « Contexte sanitaire » n'est pas ouvert le 05/01/2026"
            " (R5132-1-8).",
            id="closed_reason",
        ),
        P(
            {"reason": DIFFICULTIES, "kind": SiaeKind.EI},
            "Le motif de prolongation « Difficultés particulièrement importantes » est réservé"
            " aux AI et ACI (R5132-1-8).",
            id="difficulties_reserved_to_ai_aci",
        ),
        P(
            {
                "end": D(2026, 7, 6),
                "previous": (
                    period(D(2023, 7, 5), D(2024, 7, 5)),
                    period(D(2024, 7, 5), D(2025, 7, 5)),
                    period(D(2025, 7, 5), P_END),
                ),
            },
            f"La durée cumulée des prolongations pour le motif {RQTH_LABEL} dépasse 36 mois"
            " (R5132-1-8) : date de fin maximale le 05/07/2026.",
            id="one_day_past_cumulated_cap",
        ),
        P(
            {"reason": TRAINING, "end": D(2026, 7, 1), "training_ends_on": D(2026, 6, 30)},
            "La prolongation pour fin de formation ne peut pas dépasser la fin de la formation"
            " (30/06/2026).",
            id="one_day_past_training_end",
        ),
        P({"today": D(2025, 1, 4)}, OUTSIDE_WINDOW, id="one_day_before_window"),
        P({"today": D(2026, 7, 6)}, OUTSIDE_WINDOW, id="one_day_after_window"),
        P(
            {"is_suspended": True},
            "Un PASS IAE suspendu ne peut pas être prolongé.",
            id="suspended",
        ),
        P({"has_pending_request": True}, PENDING, id="pending_request"),
    ],
)
def test_invalid_prolongation(kwargs: dict[str, Any], message: str) -> None:
    assert prolongation_errors(**kwargs) == [message]


def test_prolongation_before_regime_returns_the_parameter_message() -> None:
    errors = rules.prolongation_errors(
        ProlongationPeriod(D(2021, 6, 30), D(2022, 6, 30), RQTH),
        kind=SiaeKind.AI,
        pass_end=D(2021, 6, 30),
        today=D(2021, 6, 1),
    )
    assert errors == [
        "Le paramètre « Motifs et plafonds de prolongation du PASS IAE » n'a pas de valeur en"
        " vigueur le 30/06/2021."
    ]


@pytest.mark.parametrize(
    ("end", "window"),
    [
        P(P_END, (D(2025, 1, 5), D(2026, 7, 5)), id="plain"),
        P(D(2025, 8, 31), (D(2024, 8, 31), D(2026, 2, 28)), id="end_of_month_clipped"),
        P(D(2024, 2, 29), (D(2023, 2, 28), D(2024, 8, 29)), id="leap_day_end"),
        P(D(2024, 3, 31), (D(2023, 3, 31), D(2024, 9, 30)), id="end_of_march"),
    ],
)
def test_prolongation_window(end: date, window: tuple[date, date]) -> None:
    assert rules.prolongation_window(end) == window


@pytest.mark.parametrize(
    ("today", "inside"),
    [
        P(D(2025, 1, 4), False, id="one_day_before_window"),
        P(D(2025, 1, 5), True, id="at_lower_bound"),
        P(P_END, True, id="on_pass_end"),
        P(D(2026, 7, 5), True, id="at_upper_bound"),
        P(D(2026, 7, 6), False, id="one_day_past_window"),
    ],
)
def test_is_in_prolongation_window(today: date, inside: bool) -> None:
    assert rules.is_in_prolongation_window(P_END, today) is inside


# --- Waiting period --------------------------------------------------------------------------

W_END = D(2025, 6, 30)


@pytest.mark.parametrize(
    ("end", "waiting_end"),
    [
        P(W_END, D(2027, 6, 30), id="plain"),
        P(D(2024, 2, 29), D(2026, 2, 28), id="leap_day_end"),
        P(REGIME_START, D(2023, 8, 31), id="at_lower_bound"),
    ],
)
def test_waiting_period_end(end: date, waiting_end: date) -> None:
    assert rules.waiting_period_end(end) == waiting_end


def test_waiting_period_before_regime_raises() -> None:
    with pytest.raises(ParameterNotInForce):
        rules.waiting_period_end(BEFORE_REGIME)


@pytest.mark.parametrize(
    ("today", "waiting"),
    [
        P(W_END, False, id="on_pass_end"),
        P(D(2025, 7, 1), True, id="day_after_end"),
        P(D(2027, 6, 30), True, id="last_day_of_waiting"),
        P(D(2027, 7, 1), False, id="day_after_waiting"),
    ],
)
def test_is_in_waiting_period(today: date, waiting: bool) -> None:
    assert rules.is_in_waiting_period(W_END, today) is waiting


@pytest.mark.parametrize(
    ("today", "authorised", "allowed"),
    [
        P(W_END, True, False, id="pass_still_running"),
        P(D(2025, 7, 1), False, False, id="waiting_auto_prescription"),
        P(D(2025, 7, 1), True, True, id="waiting_authorised_prescriber"),
        P(D(2027, 6, 30), False, False, id="last_day_of_waiting_auto_prescription"),
        P(D(2027, 6, 30), True, True, id="last_day_of_waiting_authorised_prescriber"),
        P(D(2027, 7, 1), False, True, id="after_waiting_auto_prescription"),
    ],
)
def test_can_get_new_pass(today: date, authorised: bool, allowed: bool) -> None:
    assert rules.can_get_new_pass(W_END, today, prescriber_is_authorised=authorised) is allowed


# --- Exits -----------------------------------------------------------------------------------

EXIT_DAY = D(2026, 1, 31)


@pytest.mark.parametrize(
    ("kind", "hours", "months", "counts"),
    [
        P(SiaeKind.AI, "149.99", "24", False, id="ai_below_hours"),
        P(SiaeKind.AI, "150", "0", True, id="ai_at_hours_threshold"),
        P(SiaeKind.ETTI, "149", "0", False, id="etti_below_hours"),
        P(SiaeKind.ETTI, "150.00", "0", True, id="etti_at_hours_threshold"),
        P(SiaeKind.ACI, "2000", "2.99", False, id="aci_below_months"),
        P(SiaeKind.ACI, "0", "3", True, id="aci_at_months_threshold"),
        P(SiaeKind.EI, "0", "2.9", False, id="ei_below_months"),
        P(SiaeKind.EI, "0", "3.0", True, id="ei_at_months_threshold"),
    ],
)
def test_exit_counts(kind: SiaeKind, hours: str, months: str, counts: bool) -> None:
    result = rules.exit_counts(
        kind, hours_worked=Decimal(hours), contract_months=Decimal(months), on=EXIT_DAY
    )
    assert result is counts


def test_exit_counts_unknown_for_eiti() -> None:
    with pytest.raises(ValueError, match="EITI"):
        rules.exit_counts(
            SiaeKind.EITI, hours_worked=Decimal(500), contract_months=Decimal(6), on=EXIT_DAY
        )


def test_exit_counts_before_regime_raises() -> None:
    with pytest.raises(ParameterNotInForce):
        rules.exit_counts(
            SiaeKind.AI, hours_worked=Decimal(500), contract_months=Decimal(6), on=BEFORE_REGIME
        )


@pytest.mark.parametrize(
    ("reason", "category", "confirmed"),
    [
        P(ExitReason.CDI, ExitCategory.DURABLE_EMPLOYMENT, True, id="cdi"),
        P(ExitReason.LONG_FIXED_TERM, ExitCategory.DURABLE_EMPLOYMENT, True, id="long_cdd"),
        P(ExitReason.PUBLIC_SERVICE, ExitCategory.DURABLE_EMPLOYMENT, True, id="public"),
        P(ExitReason.BUSINESS_CREATION, ExitCategory.DURABLE_EMPLOYMENT, True, id="creation"),
        P(ExitReason.SHORT_FIXED_TERM, ExitCategory.TRANSITIONAL_EMPLOYMENT, True, id="short"),
        P(ExitReason.SUBSIDISED_CONTRACT, ExitCategory.TRANSITIONAL_EMPLOYMENT, True, id="aide"),
        P(ExitReason.TRAINING, ExitCategory.POSITIVE_EXIT, True, id="training"),
        P(ExitReason.OTHER_SIAE, ExitCategory.POSITIVE_EXIT, True, id="other_siae"),
        P(ExitReason.JOB_SEEKER, ExitCategory.OTHER_EXIT, True, id="job_seeker"),
        P(ExitReason.INACTIVE, ExitCategory.OTHER_EXIT, True, id="inactive"),
        P(ExitReason.OTHER, ExitCategory.OTHER_EXIT, True, id="other"),
        P(ExitReason.DEATH, ExitCategory.WITHDRAWN, False, id="death_unconfirmed"),
        P(ExitReason.MOVED_AWAY, ExitCategory.WITHDRAWN, False, id="moved_unconfirmed"),
        P(ExitReason.ILLNESS, ExitCategory.WITHDRAWN, False, id="illness_unconfirmed"),
    ],
)
def test_exit_category(reason: ExitReason, category: ExitCategory, confirmed: bool) -> None:
    assert rules.exit_category(reason) is category
    assert rules.is_exit_category_confirmed(reason) is confirmed


def test_every_exit_reason_has_a_category() -> None:
    assert set(rules.EXIT_REASON_CATEGORIES) == set(ExitReason)


@pytest.mark.parametrize(
    ("exit_on", "dates"),
    [
        P(D(2025, 1, 15), (D(2025, 4, 15), D(2025, 7, 15)), id="plain"),
        P(D(2025, 8, 31), (D(2025, 11, 30), D(2026, 2, 28)), id="end_of_month_clipped"),
        P(D(2023, 11, 30), (D(2024, 2, 29), D(2024, 5, 30)), id="lands_on_leap_day"),
        P(D(2024, 2, 29), (D(2024, 5, 29), D(2024, 8, 29)), id="leap_day_exit"),
    ],
)
def test_follow_up_dates(exit_on: date, dates: tuple[date, date]) -> None:
    assert rules.follow_up_dates(exit_on) == dates


def test_follow_up_before_regime_raises() -> None:
    with pytest.raises(ParameterNotInForce):
        rules.follow_up_dates(BEFORE_REGIME)


# --- Alerts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "today", "long"),
    [
        P(D(2024, 1, 15), D(2026, 1, 14), False, id="last_day_of_24_months"),
        P(D(2024, 1, 15), D(2026, 1, 15), True, id="first_day_past_24_months"),
        P(D(2023, 8, 31), D(2025, 8, 30), False, id="end_of_month_last_day"),
        P(D(2023, 8, 31), D(2025, 8, 31), True, id="end_of_month_past"),
        P(D(2024, 2, 29), D(2026, 2, 27), False, id="leap_day_start_last_day"),
        P(D(2024, 2, 29), D(2026, 2, 28), True, id="leap_day_start_past"),
    ],
)
def test_is_long_pathway(start: date, today: date, long: bool) -> None:
    assert rules.is_long_pathway(start, today) is long


@pytest.mark.parametrize(
    ("birth", "today", "flags"),
    [
        P(D(1976, 3, 10), D(2026, 3, 9), (False, False), id="day_before_50"),
        P(D(1976, 3, 10), D(2026, 3, 10), (True, False), id="turns_50"),
        P(D(1969, 3, 10), D(2026, 3, 9), (True, False), id="day_before_57"),
        P(D(1969, 3, 10), D(2026, 3, 10), (True, True), id="turns_57"),
        P(D(1976, 2, 29), D(2026, 2, 27), (False, False), id="leap_birthday_day_before_50"),
        P(D(1976, 2, 29), D(2026, 2, 28), (True, False), id="leap_birthday_50_on_28_february"),
        P(D(1972, 2, 29), D(2029, 2, 28), (True, True), id="leap_birthday_57_on_28_february"),
    ],
)
def test_senior_threshold_flags(birth: date, today: date, flags: tuple[bool, bool]) -> None:
    result = rules.senior_threshold_flags(birth, today)
    assert (result.aged_50_plus, result.aged_57_plus) == flags


def test_senior_age_before_regime_raises() -> None:
    with pytest.raises(ParameterNotInForce):
        rules.senior_threshold_flags(D(1960, 1, 1), BEFORE_REGIME)


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        P(D(2000, 6, 15), D(2026, 6, 14), 25, id="day_before_birthday"),
        P(D(2000, 6, 15), D(2026, 6, 15), 26, id="on_birthday"),
        P(D(2000, 2, 29), D(2026, 3, 1), 26, id="leap_birthday_in_march"),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert rules.age_on(birth, day) == age


@pytest.mark.parametrize(
    ("last", "overdue"),
    [
        P(None, True, id="never_met"),
        P(D(2026, 3, 2), False, id="met_today"),
        P(D(2026, 1, 31), False, id="at_30_days"),
        P(D(2026, 1, 30), True, id="past_30_days"),
    ],
)
def test_appointment_overdue(last: date | None, overdue: bool) -> None:
    assert rules.appointment_overdue(last, D(2026, 3, 2)) is overdue


# --- Time spent in insertion -----------------------------------------------------------------

TODAY = D(2026, 11, 26)


@pytest.mark.parametrize(
    ("periods", "days"),
    [
        P([], 0, id="no_period"),
        P([(D(2026, 11, 26), None)], 1, id="open_period_starting_today"),
        P([(D(2026, 11, 27), None)], 0, id="period_starting_tomorrow"),
        P([(D(2026, 1, 1), D(2026, 1, 31))], 31, id="one_closed_month"),
        P([(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 1, 15), D(2026, 2, 10))], 41, id="overlap"),
        P([(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 1))], 32, id="adjacent"),
        P([(D(2026, 1, 1), D(2026, 1, 10)), (D(2026, 3, 1), D(2026, 3, 10))], 20, id="gap"),
        P([(D(2026, 11, 1), D(2027, 5, 1))], 26, id="end_after_today_is_clipped"),
    ],
)
def test_insertion_days(periods: list[tuple[date, date | None]], days: int) -> None:
    assert rules.insertion_days(periods, TODAY) == days
    assert rules.insertion_days(list(reversed(periods)), TODAY) == days


@pytest.mark.parametrize(
    ("start", "months"),
    [
        P(D(2024, 11, 27), Decimal("24.0"), id="two_years"),
        P(D(2026, 11, 26), Decimal("0.0"), id="one_day"),
        P(D(2026, 10, 27), Decimal("1.0"), id="one_month"),
    ],
)
def test_insertion_months(start: date, months: Decimal) -> None:
    assert rules.insertion_months([(start, None)], TODAY) == months
