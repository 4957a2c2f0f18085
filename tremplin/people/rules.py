"""Rules on a person: civility, the NIR, and the intake (accueil) workflow.

Pure functions over plain values: nothing here reads the clock or the database.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import models
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir


def _fr(day: date) -> str:
    return f"{day:%d/%m/%Y}"


class Civility(models.TextChoices):
    """Civility as recorded by the ASP fiche salarié (``M.``/``MME``)."""

    M = "M", "Monsieur"
    MME = "MME", "Madame"


# --------------------------------------------------------------------------------------------
# NIR
# --------------------------------------------------------------------------------------------

# Format used by the State platform (LE:itou/utils/validators.py, domain.md §10.3).
_NIR_SHAPE = re.compile(r"^[0-9](?P<year>[0-9]{2})(?P<month>[0-9]{2})(?:2[AB]|[0-9]{2})[0-9]{8}$")
_NIR_SEX_DIGITS = "123478"
_NIR_MALE_DIGITS = "137"
_SEPARATORS = re.compile(r"[\s.]")
# Specimen printed on official documents, refused by the State platform (domain.md §10.3).
_SPECIMEN_NIRS = frozenset({"269054958815780"})


def _nir_month_is_valid(month: int) -> bool:
    # 01-12 real months; 20-42 and 50-99 fictitious months of temporary or unknown births.
    return 1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99


def normalize_nir(raw: str) -> str:
    """Return ``raw`` without spaces or dots, upper-cased (keeps Corsica's 2A/2B), §10.3."""
    return _SEPARATORS.sub("", raw).upper()


def nir_errors(
    raw: str, *, birth_date: date | None = None, civility: str | None = None
) -> list[str]:
    """Check a NIR; return French messages naming the field, empty when valid.

    Format of the State platform (domain.md §10.3): 15 characters, sex digit 1, 2, 3, 4, 7 or
    8, month 01-12, 20-42 or 50-99, department digits or 2A/2B, key = 97 - (13 first digits
    mod 97) with 2A/2B read as 19/18 (python-stdnum). When given, the sex digit must match
    ``civility`` (odd: "M" or "M.", even: "MME") and year and month must match ``birth_date``
    (a fictitious month is not compared).
    """
    nir = normalize_nir(raw)
    if not nir:
        return ["Le NIR est vide."]
    if len(nir) != 15:
        return [f"Le NIR doit comporter 15 caractères ({len(nir)} saisis)."]
    shape = _NIR_SHAPE.match(nir)
    if shape is None:
        return [
            "Le NIR ne respecte pas le format attendu : 15 chiffres, le département pouvant"
            " être 2A ou 2B."
        ]
    if nir in _SPECIMEN_NIRS:
        return ["Le NIR saisi est le numéro d'exemple des documents officiels."]
    errors: list[str] = []
    if nir[0] not in _NIR_SEX_DIGITS:
        errors.append("Le premier chiffre du NIR (sexe) doit être 1, 2, 3, 4, 7 ou 8.")
    month = int(shape["month"])
    if not _nir_month_is_valid(month):
        errors.append(f"Le mois de naissance du NIR ({shape['month']}) n'est pas valide.")
    try:
        stdnum_nir.validate(nir)
    except StdnumError:
        errors.append("La clé de contrôle du NIR est incorrecte.")
    # The ASP writes "M." for Monsieur.
    civility = civility.rstrip(".").upper() if civility is not None else None
    if civility is not None and nir[0] in _NIR_SEX_DIGITS:
        is_male = nir[0] in _NIR_MALE_DIGITS
        if civility == Civility.M and not is_male:
            errors.append(f"Le NIR commence par {nir[0]} (femme) mais la civilité est « M ».")
        elif civility == Civility.MME and is_male:
            errors.append(f"Le NIR commence par {nir[0]} (homme) mais la civilité est « MME ».")
    if birth_date is not None:
        if int(shape["year"]) != birth_date.year % 100:
            errors.append(
                f"L'année de naissance du NIR ({shape['year']}) ne correspond pas à la date de"
                f" naissance ({_fr(birth_date)})."
            )
        if 1 <= month <= 12 and month != birth_date.month:
            errors.append(
                f"Le mois de naissance du NIR ({shape['month']}) ne correspond pas à la date de"
                f" naissance ({_fr(birth_date)})."
            )
    return errors


def mask_nir(nir: str) -> str:
    """Return the NIR with place of birth and order number hidden: ``2 95 10 ** *** *** 93``.

    Data minimisation for lists and exports (domain.md §10); a value that is not 15 characters
    long is masked entirely.
    """
    value = normalize_nir(nir)
    if len(value) != 15:
        return "*" * len(value)
    return f"{value[0]} {value[1:3]} {value[3:5]} ** *** *** {value[13:]}"


def is_temporary_nir(nir: str) -> bool:
    """Whether the NIR is temporary (starts with 7 or 8): the ASP then needs an NTT (§10.3)."""
    return normalize_nir(nir)[:1] in {"7", "8"}


# --------------------------------------------------------------------------------------------
# Intake (accueil) workflow
# --------------------------------------------------------------------------------------------


class IntakeStatus(models.TextChoices):
    """Steps of a first contact, from the front desk to an outcome."""

    CONTACTED = "contacted", "Premier contact"
    INFORMATION_SESSION = "information", "Information collective"
    DIAGNOSIS = "diagnosis", "Diagnostic"
    HIRED = "hired", "Embauché"
    NOT_ADMITTED = "not_admitted", "Non retenu"
    REDIRECTED = "redirected", "Réorienté"


# Allowed moves. An intake may skip the information session; the three outcomes are final.
INTAKE_TRANSITIONS: dict[IntakeStatus, frozenset[IntakeStatus]] = {
    IntakeStatus.CONTACTED: frozenset(
        {
            IntakeStatus.INFORMATION_SESSION,
            IntakeStatus.DIAGNOSIS,
            IntakeStatus.NOT_ADMITTED,
            IntakeStatus.REDIRECTED,
        }
    ),
    IntakeStatus.INFORMATION_SESSION: frozenset(
        {IntakeStatus.DIAGNOSIS, IntakeStatus.NOT_ADMITTED, IntakeStatus.REDIRECTED}
    ),
    IntakeStatus.DIAGNOSIS: frozenset(
        {IntakeStatus.HIRED, IntakeStatus.NOT_ADMITTED, IntakeStatus.REDIRECTED}
    ),
    IntakeStatus.HIRED: frozenset(),
    IntakeStatus.NOT_ADMITTED: frozenset(),
    IntakeStatus.REDIRECTED: frozenset(),
}

OPEN_INTAKE_STATUSES = frozenset(s for s, moves in INTAKE_TRANSITIONS.items() if moves)


def intake_transition_errors(
    current: IntakeStatus,
    target: IntakeStatus,
    *,
    not_admitted_reason: str = "",
    redirected_to: str = "",
) -> list[str]:
    """Check a move of an intake to ``target``; French messages naming the field, or none."""
    if target not in INTAKE_TRANSITIONS[current]:
        if not INTAKE_TRANSITIONS[current]:
            return [f"Étape : l'accueil est clos (« {current.label} »), il ne peut plus changer."]
        return [f"Étape : passage de « {current.label} » à « {target.label} » impossible."]
    if target == IntakeStatus.NOT_ADMITTED and not not_admitted_reason:
        return ["Motif de non-admission : indiquez pourquoi la personne n'est pas retenue."]
    if target == IntakeStatus.REDIRECTED and not redirected_to.strip():
        return ["Réorienté vers : indiquez vers quel organisme la personne est réorientée."]
    return []


def is_waiting(status: IntakeStatus) -> bool:
    """Whether an intake still waits for someone to act (shown on the reception worklist)."""
    return status in OPEN_INTAKE_STATUSES
