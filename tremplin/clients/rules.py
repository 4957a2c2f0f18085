"""Rules on the group's clients. Pure functions."""

from __future__ import annotations

from datetime import date

from django.db import models

from tremplin.accounts.rules import Role
from tremplin.core import dates


class ClientKind(models.TextChoices):
    HOUSEHOLD = "HOUSEHOLD", "Particulier"
    COMPANY = "COMPANY", "Entreprise"
    ASSOCIATION = "ASSOCIATION", "Association"
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY", "Collectivité territoriale"
    SOCIAL_LANDLORD = "SOCIAL_LANDLORD", "Bailleur social"
    MUTUAL_INSURER = "MUTUAL_INSURER", "Mutuelle"
    PUBLIC_BODY = "PUBLIC_BODY", "Établissement public"


# Who may list, read, create and edit clients: the people who sell, plan and invoice the work.
CLIENT_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.PLANNER, Role.ACCOUNTANT})

# Clients that always hold a SIRET: companies and public bodies are registered in the SIRENE
# directory (Code de commerce, art. R123-220 and following). A household has none, and an
# association only when it employs staff, pays taxes or receives public funds.
_SIRET_REQUIRED: dict[ClientKind, bool] = {
    ClientKind.HOUSEHOLD: False,
    ClientKind.COMPANY: True,
    ClientKind.ASSOCIATION: False,
    ClientKind.LOCAL_AUTHORITY: True,
    ClientKind.SOCIAL_LANDLORD: True,
    ClientKind.MUTUAL_INSURER: True,
    ClientKind.PUBLIC_BODY: True,
}


def siret_required(kind: ClientKind) -> bool:
    """Say whether a client of this kind must be recorded with its SIRET (SIRENE directory)."""
    return _SIRET_REQUIRED[kind]


def client_errors(
    *, kind: ClientKind, siret: str, economic_dismissal_on: date | None, today: date
) -> dict[str, list[str]]:
    """Return the French messages, by form field, of what is wrong with a client's identity.

    The SIRET's own format is checked by the field's validator; this adds the rules that tie
    fields together: the SIRET of companies and public bodies, and a dismissal date that has
    already happened (it bars placements for 6 months, domain §1.4).
    """
    errors: dict[str, list[str]] = {}
    if not siret and siret_required(kind):
        errors["siret"] = [
            f"Le SIRET est obligatoire pour un client de type « {kind.label} » : entreprises et "
            "organismes publics sont inscrits au répertoire SIRENE."
        ]
    if economic_dismissal_on is not None and economic_dismissal_on > today:
        errors["economic_dismissal_on"] = [
            "La date du dernier licenciement économique ne peut pas être postérieure à "
            f"aujourd'hui ({dates.format_date(today)}) : saisissez un licenciement déjà prononcé."
        ]
    return errors
