from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import tva as stdnum_tva

from tremplin.clients.rules import (
    ClientKind,
    client_errors,
    french_vat_number,
    normalise_vat_number,
    siret_required,
    vat_number_error,
)

TODAY = date(2026, 3, 10)
SIRET = "91234567500017"


@pytest.mark.parametrize(
    ("kind", "required"),
    [
        (ClientKind.HOUSEHOLD, False),
        (ClientKind.ASSOCIATION, False),
        (ClientKind.COMPANY, True),
        (ClientKind.LOCAL_AUTHORITY, True),
        (ClientKind.SOCIAL_LANDLORD, True),
        (ClientKind.MUTUAL_INSURER, True),
        (ClientKind.PUBLIC_BODY, True),
    ],
    ids=lambda v: str(v),
)
def test_siret_is_required_for_companies_and_public_bodies(
    kind: ClientKind, required: bool
) -> None:
    assert siret_required(kind) is required


@pytest.mark.parametrize(
    ("kind", "siret", "dismissal", "fields"),
    [
        (ClientKind.COMPANY, SIRET, None, set()),
        (ClientKind.COMPANY, "", None, {"siret"}),
        (ClientKind.HOUSEHOLD, "", None, set()),
        (ClientKind.ASSOCIATION, "", None, set()),
        (ClientKind.COMPANY, SIRET, TODAY, set()),
        (ClientKind.COMPANY, SIRET, date(2026, 3, 11), {"economic_dismissal_on"}),
        (ClientKind.PUBLIC_BODY, "", date(2026, 3, 11), {"siret", "economic_dismissal_on"}),
    ],
    ids=[
        "company_with_siret",
        "company_without_siret",
        "household_without_siret",
        "association_without_siret",
        "dismissal_today",
        "dismissal_tomorrow",
        "both_wrong",
    ],
)
def test_client_errors(
    kind: ClientKind, siret: str, dismissal: date | None, fields: set[str]
) -> None:
    errors = client_errors(kind=kind, siret=siret, economic_dismissal_on=dismissal, today=TODAY)
    assert set(errors) == fields


def test_client_error_messages_name_the_rule() -> None:
    errors = client_errors(
        kind=ClientKind.COMPANY, siret="", economic_dismissal_on=date(2026, 4, 1), today=TODAY
    )
    assert errors["siret"] == [
        "Le SIRET est obligatoire pour un client de type « Entreprise » : entreprises et "
        "organismes publics sont inscrits au répertoire SIRENE."
    ]
    assert "postérieure à aujourd'hui (10/03/2026)" in errors["economic_dismissal_on"][0]


# --- Intra-community VAT number ----------------------------------------------------------------

VAT_SIRET = "73282932000074"  # SIREN 732 829 320, VAT number FR 44 732 829 320
OTHER_SIRET = "55210055400013"  # SIREN 552 100 554


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FR44732829320", "FR44732829320"),
        ("fr 44 732 829 320", "FR44732829320"),
        ("FR 44.732-829/320", "FR44732829320"),
        ("BE 697.449.992", "BE0697449992"),
        ("es b-58378431", "ESB58378431"),
        ("44 732 829 320", "44732829320"),
        ("FR 44 73", "FR4473"),
        ("", ""),
    ],
    ids=[
        "compact",
        "lower_case_with_spaces",
        "dots_dashes_slashes",
        "belgian_gets_its_leading_zero",
        "spanish_letters",
        "without_country_code",
        "too_short_kept_as_typed",
        "empty",
    ],
)
def test_normalise_vat_number(value: str, expected: str) -> None:
    assert normalise_vat_number(value) == expected


@pytest.mark.parametrize(
    ("siren", "expected"),
    [
        ("732829320", "FR44732829320"),
        ("303265045", "FR40303265045"),
        ("334175221", "FR23334175221"),
        ("912345683", "FR89912345683"),
    ],
    ids=["facturx_seller", "stdnum_doc_example", "stdnum_doc_second_example", "demo_services"],
)
def test_french_vat_number_of_a_siren(siren: str, expected: str) -> None:
    assert french_vat_number(siren) == expected


@given(body=st.from_regex(r"[0-9]{8}", fullmatch=True))
def test_french_vat_number_is_valid_for_every_siren(body: str) -> None:
    siren = body + luhn.calc_check_digit(body)
    number = french_vat_number(siren)
    assert stdnum_tva.validate(number) == number[2:]
    assert number == f"FR{number[2:4]}{siren}"
    assert vat_number_error(number) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("FR44732829320", None),
        ("fr 44 732 829 320", None),
        ("FRK7399859412", None),
        ("DE136695976", None),
        ("BE697449992", None),
        ("NL004495445B01", None),
        ("EL094259216", None),
        ("XI980780684", None),
        ("FR00912345683", "La clé du « Numéro de TVA intracommunautaire » FR00912345683 ne "),
        ("FR44732829321", "FR44732829321 ne se termine pas par un SIREN valide"),
        ("FR4473282932", "français s'écrit FR, une clé de 2 caractères puis les 9 chiffres"),
        ("FRIO732829320", "français s'écrit FR, une clé de 2 caractères puis les 9 chiffres"),
        ("44732829320", "doit commencer par le code du pays de l'Union européenne"),
        ("GR094259216", "doit commencer par le code du pays de l'Union européenne"),
        ("EU372000041", "doit commencer par le code du pays de l'Union européenne"),
        ("CHE123456789", "doit commencer par le code du pays de l'Union européenne"),
        ("DE136695975", "La clé du « Numéro de TVA intracommunautaire » DE136695975 ne "),
        ("DE13669597", "n'a pas le format des numéros attribués par ce pays (DE)"),
    ],
    ids=[
        "french",
        "french_typed_with_spaces",
        "french_new_style_key",
        "german",
        "belgian_without_leading_zero",
        "dutch_fourteen_characters",
        "greek_as_el",
        "northern_ireland",
        "key_00_of_the_old_demo",
        "siren_with_a_bad_luhn_key",
        "french_one_digit_short",
        "french_key_with_i_or_o",
        "no_country_code",
        "greece_as_gr",
        "one_stop_shop_identifier",
        "swiss_outside_the_eu",
        "german_bad_key",
        "german_one_digit_short",
    ],
)
def test_vat_number_error(value: str, message: str | None) -> None:
    error = vat_number_error(value)
    if message is None:
        assert error is None
    else:
        assert error is not None and message in error
        assert "« Numéro de TVA intracommunautaire »" in error


@pytest.mark.parametrize(
    ("kind", "siret", "vat_number", "fields"),
    [
        (ClientKind.COMPANY, VAT_SIRET, "FR44732829320", set()),
        (ClientKind.COMPANY, VAT_SIRET, "FR 44 732 829 320", set()),
        (ClientKind.COMPANY, VAT_SIRET, "", set()),
        (ClientKind.COMPANY, OTHER_SIRET, "FR44732829320", {"vat_number"}),
        (ClientKind.COMPANY, "", "FR44732829320", {"siret"}),
        (ClientKind.ASSOCIATION, "", "FR44732829320", set()),
        (ClientKind.LOCAL_AUTHORITY, OTHER_SIRET, "FR96552100554", set()),
        (ClientKind.COMPANY, VAT_SIRET, "DE136695976", set()),
        (ClientKind.COMPANY, "12345678901234", "FR44732829320", set()),
        (ClientKind.COMPANY, OTHER_SIRET, "FR00552100554", set()),
        (ClientKind.HOUSEHOLD, "", "FR44732829320", {"vat_number"}),
        (ClientKind.HOUSEHOLD, "", "", set()),
    ],
    ids=[
        "matches_the_siren",
        "matches_typed_with_spaces",
        "no_vat_number",
        "of_another_siren",
        "without_siret_only_the_siret_is_wrong",
        "association_without_siret",
        "public_buyer",
        "foreign_number_with_a_french_siret",
        "bad_siret_reported_by_its_own_field",
        "bad_key_reported_by_its_own_field",
        "household_with_a_vat_number",
        "household_without",
    ],
)
def test_client_errors_on_the_vat_number(
    kind: ClientKind, siret: str, vat_number: str, fields: set[str]
) -> None:
    errors = client_errors(
        kind=kind, siret=siret, economic_dismissal_on=None, today=TODAY, vat_number=vat_number
    )
    assert set(errors) == fields


def test_vat_number_error_messages_name_the_field_and_the_siren() -> None:
    errors = client_errors(
        kind=ClientKind.COMPANY,
        siret=OTHER_SIRET,
        economic_dismissal_on=None,
        today=TODAY,
        vat_number="FR44732829320",
    )
    assert errors["vat_number"] == [
        "Le « Numéro de TVA intracommunautaire » FR44732829320 n'est pas celui du SIRET du "
        "client : un numéro français se termine par le SIREN, ici 552100554."
    ]
    household = client_errors(
        kind=ClientKind.HOUSEHOLD,
        siret="",
        economic_dismissal_on=None,
        today=TODAY,
        vat_number="FR44732829320",
    )
    assert household["vat_number"] == [
        "Un particulier n'a pas de « Numéro de TVA intracommunautaire » : il n'est pas "
        "assujetti à la TVA. Laissez ce champ vide."
    ]
