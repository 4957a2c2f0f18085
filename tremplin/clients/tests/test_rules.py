from __future__ import annotations

from datetime import date

import pytest

from tremplin.clients.rules import ClientKind, client_errors, siret_required

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
