from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tremplin.people import rules

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


# --- NIR -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        P("2 95 10 75 123 456 12", "295107512345612", id="spaces"),
        P("2.95.10.2a.123.456.12", "295102A12345612", id="dots_lower_corsica"),
        P(" 1 85 03 2b\t123 456 12 ", "185032B12345612", id="tabs_and_padding"),
        P("1\u00a085", "185", id="non_breaking_space"),
    ],
)
def test_normalize_nir(raw: str, normalized: str) -> None:
    assert rules.normalize_nir(raw) == normalized


VALID_NIRS = {
    "man_paris": make_nir("1", 85, 3, "75"),
    "woman": make_nir("2", 95, 10, "49"),
    "corsica_2a": make_nir("1", 85, 3, "2A"),
    "corsica_2b": make_nir("2", 90, 7, "2B"),
    "fictitious_month_20": make_nir("1", 80, 20, "99"),
    "fictitious_month_42": make_nir("2", 80, 42, "99"),
    "fictitious_month_50": make_nir("1", 80, 50, "99"),
    "fictitious_month_99": make_nir("2", 80, 99, "99"),
    "sex_digit_3": make_nir("3", 70, 1, "99"),
    "sex_digit_4": make_nir("4", 70, 12, "99"),
    "temporary_7": make_nir("7", 99, 5, "13"),
    "temporary_8": make_nir("8", 1, 6, "13"),
}


@pytest.mark.parametrize("nir", VALID_NIRS.values(), ids=VALID_NIRS.keys())
def test_valid_nir(nir: str) -> None:
    assert rules.nir_errors(nir) == []


BAD_FORMAT = (
    "Le NIR ne respecte pas le format attendu : 15 chiffres, le département pouvant être 2A ou 2B."
)
BAD_KEY = "La clé de contrôle du NIR est incorrecte."
BAD_SEX = "Le premier chiffre du NIR (sexe) doit être 1, 2, 3, 4, 7 ou 8."


def bad_month(month: str) -> str:
    return f"Le mois de naissance du NIR ({month}) n'est pas valide."


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        P("", ["Le NIR est vide."], id="empty"),
        P("1" * 14, ["Le NIR doit comporter 15 caractères (14 saisis)."], id="too_short"),
        P("1" * 16, ["Le NIR doit comporter 15 caractères (16 saisis)."], id="too_long"),
        P("185032C12345612", [BAD_FORMAT], id="bad_department_letters"),
        P("185037512A45612", [BAD_FORMAT], id="letter_in_commune"),
        P(with_wrong_key(VALID_NIRS["man_paris"]), [BAD_KEY], id="bad_key"),
        P(with_wrong_key(VALID_NIRS["corsica_2a"]), [BAD_KEY], id="bad_key_corsica_2a"),
        P(with_wrong_key(VALID_NIRS["corsica_2b"]), [BAD_KEY], id="bad_key_corsica_2b"),
        P(make_nir("5", 85, 3, "75"), [BAD_SEX], id="wrong_sex_digit_5"),
        P(make_nir("0", 85, 3, "75"), [BAD_SEX], id="wrong_sex_digit_0"),
        P(make_nir("9", 85, 3, "75"), [BAD_SEX], id="wrong_sex_digit_9"),
        P(make_nir("1", 85, 0, "75"), [bad_month("00")], id="wrong_month_00"),
        P(make_nir("1", 85, 13, "75"), [bad_month("13")], id="wrong_month_13"),
        P(make_nir("1", 85, 19, "75"), [bad_month("19")], id="wrong_month_19"),
        P(make_nir("1", 85, 43, "75"), [bad_month("43")], id="wrong_month_43"),
        P(make_nir("1", 85, 49, "75"), [bad_month("49")], id="wrong_month_49"),
        P(
            "269054958815780",
            ["Le NIR saisi est le numéro d'exemple des documents officiels."],
            id="specimen",
        ),
    ],
)
def test_invalid_nir(raw: str, errors: list[str]) -> None:
    assert rules.nir_errors(raw) == errors


def wrong_civility(digit: str, sex: str, civility: str) -> list[str]:
    return [f"Le NIR commence par {digit} ({sex}) mais la civilité est « {civility} »."]


@pytest.mark.parametrize(
    ("nir", "civility", "errors"),
    [
        P(VALID_NIRS["man_paris"], "M", [], id="man_m"),
        P(VALID_NIRS["man_paris"], "M.", [], id="man_m_dot"),
        P(VALID_NIRS["woman"], "MME", [], id="woman_mme"),
        P(VALID_NIRS["temporary_7"], "M", [], id="temporary_man"),
        P(VALID_NIRS["temporary_8"], "MME", [], id="temporary_woman"),
        P(VALID_NIRS["sex_digit_4"], "mme", [], id="lower_case_civility"),
        P(VALID_NIRS["man_paris"], "MME", wrong_civility("1", "homme", "MME"), id="1_for_mme"),
        P(VALID_NIRS["woman"], "M", wrong_civility("2", "femme", "M"), id="2_for_m"),
        P(VALID_NIRS["sex_digit_3"], "MME", wrong_civility("3", "homme", "MME"), id="3_for_mme"),
        P(VALID_NIRS["temporary_8"], "M", wrong_civility("8", "femme", "M"), id="8_for_m"),
    ],
)
def test_nir_civility(nir: str, civility: str, errors: list[str]) -> None:
    assert rules.nir_errors(nir, civility=civility) == errors


@pytest.mark.parametrize(
    ("nir", "birth", "errors"),
    [
        P(make_nir("1", 85, 3, "75"), D(1985, 3, 14), [], id="coherent"),
        P(make_nir("1", 85, 3, "2A"), D(1985, 3, 14), [], id="coherent_corsica"),
        P(make_nir("1", 0, 2, "75"), D(2000, 2, 29), [], id="coherent_leap_day_2000"),
        P(make_nir("1", 80, 50, "99"), D(1980, 7, 1), [], id="fictitious_month_not_compared"),
        P(
            make_nir("1", 85, 3, "75"),
            D(1986, 3, 14),
            [
                "L'année de naissance du NIR (85) ne correspond pas à la date de naissance"
                " (14/03/1986)."
            ],
            id="year_mismatch",
        ),
        P(
            make_nir("1", 85, 3, "75"),
            D(1985, 4, 14),
            [
                "Le mois de naissance du NIR (03) ne correspond pas à la date de naissance"
                " (14/04/1985)."
            ],
            id="month_mismatch",
        ),
    ],
)
def test_nir_birth_date(nir: str, birth: date, errors: list[str]) -> None:
    assert rules.nir_errors(nir, birth_date=birth) == errors


def test_every_nir_message_names_the_field() -> None:
    nir = with_wrong_key(make_nir("1", 85, 13, "75"))
    errors = rules.nir_errors(nir, birth_date=D(1990, 1, 1), civility="MME")
    assert len(errors) == 4
    assert all("NIR" in error for error in errors)


WOMAN_KEY = VALID_NIRS["woman"][13:]
CORSICA_KEY = VALID_NIRS["corsica_2a"][13:]


@pytest.mark.parametrize(
    ("nir", "masked"),
    [
        P(VALID_NIRS["woman"], f"2 95 10 ** *** *** {WOMAN_KEY}", id="plain"),
        P(
            f"1 85 03 2a 123 456 {CORSICA_KEY}",
            f"1 85 03 ** *** *** {CORSICA_KEY}",
            id="corsica_with_spaces",
        ),
        P("12345", "*****", id="too_short"),
        P("", "", id="empty"),
    ],
)
def test_mask_nir(nir: str, masked: str) -> None:
    assert rules.mask_nir(nir) == masked


@pytest.mark.parametrize(
    ("nir", "temporary"),
    [
        P(VALID_NIRS["temporary_7"], True, id="starts_with_7"),
        P(VALID_NIRS["temporary_8"], True, id="starts_with_8"),
        P(VALID_NIRS["man_paris"], False, id="regular"),
        P("", False, id="empty"),
    ],
)
def test_is_temporary_nir(nir: str, temporary: bool) -> None:
    assert rules.is_temporary_nir(nir) is temporary


nir_parts = st.tuples(
    st.sampled_from("123478"),
    st.integers(0, 99),
    st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99)),
    st.one_of(st.sampled_from(["2A", "2B"]), st.integers(0, 99).map(lambda n: f"{n:02d}")),
    st.integers(0, 999_999).map(lambda n: f"{n:06d}"),
)


@NO_DB
@given(parts=nir_parts)
def test_generated_nirs_are_valid_and_a_changed_key_is_not(
    parts: tuple[str, int, int, str, str],
) -> None:
    nir = make_nir(*parts)
    assert rules.nir_errors(nir) == []
    assert rules.nir_errors(f"{nir[:1]} {nir[1:7]}.{nir[7:]}".lower()) == []
    assert rules.nir_errors(with_wrong_key(nir)) == [BAD_KEY]
    assert rules.mask_nir(nir) == f"{nir[0]} {nir[1:3]} {nir[3:5]} ** *** *** {nir[13:]}"


# --- Intake workflow -------------------------------------------------------------------------

S = rules.IntakeStatus


@pytest.mark.parametrize(
    ("current", "target", "kwargs", "error"),
    [
        P(S.CONTACTED, S.INFORMATION_SESSION, {}, None, id="contact_to_information"),
        P(S.CONTACTED, S.DIAGNOSIS, {}, None, id="information_session_may_be_skipped"),
        P(S.INFORMATION_SESSION, S.DIAGNOSIS, {}, None, id="information_to_diagnosis"),
        P(S.DIAGNOSIS, S.HIRED, {}, None, id="diagnosis_to_hired"),
        P(S.CONTACTED, S.HIRED, {}, "impossible", id="no_hiring_without_diagnosis"),
        P(S.DIAGNOSIS, S.CONTACTED, {}, "impossible", id="no_going_back"),
        P(S.HIRED, S.REDIRECTED, {"redirected_to": "x"}, "clos", id="hired_is_final"),
        P(S.NOT_ADMITTED, S.DIAGNOSIS, {}, "clos", id="not_admitted_is_final"),
        P(S.DIAGNOSIS, S.NOT_ADMITTED, {}, "Motif de non-admission", id="reason_required"),
        P(S.DIAGNOSIS, S.NOT_ADMITTED, {"not_admitted_reason": "no_position"}, None, id="reason"),
        P(S.CONTACTED, S.REDIRECTED, {"redirected_to": "  "}, "Réorienté vers", id="blank_target"),
        P(S.CONTACTED, S.REDIRECTED, {"redirected_to": "Mission locale"}, None, id="redirected"),
    ],
)
def test_intake_transitions(
    current: rules.IntakeStatus,
    target: rules.IntakeStatus,
    kwargs: dict[str, str],
    error: str | None,
) -> None:
    errors = rules.intake_transition_errors(current, target, **kwargs)
    if error is None:
        assert errors == []
    else:
        assert len(errors) == 1 and error in errors[0]


@pytest.mark.parametrize(
    ("status", "waiting"),
    [(S.CONTACTED, True), (S.INFORMATION_SESSION, True), (S.DIAGNOSIS, True)]
    + [(S.HIRED, False), (S.NOT_ADMITTED, False), (S.REDIRECTED, False)],
    ids=str,
)
def test_is_waiting(status: rules.IntakeStatus, waiting: bool) -> None:
    assert rules.is_waiting(status) is waiting
