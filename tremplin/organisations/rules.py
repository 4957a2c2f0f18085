"""Rules on the group's legal entities, conventions and SAP declarations. Pure functions."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import models
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from tremplin.core.parameters import DatedParameter, Period


class SiaeKind(models.TextChoices):
    """Kinds of *structure d'insertion par l'activité économique* (Code du travail L5132-1 ss)."""

    AI = "AI", "Association intermédiaire"
    ACI = "ACI", "Atelier et chantier d'insertion"
    EI = "EI", "Entreprise d'insertion"
    ETTI = "ETTI", "Entreprise de travail temporaire d'insertion"
    EITI = "EITI", "Entreprise d'insertion par le travail indépendant"


class LegalForm(models.TextChoices):
    ASSOCIATION = "association", "Association loi 1901"
    SAS = "sas", "SAS"
    SASU = "sasu", "SASU"
    SARL = "sarl", "SARL"
    EURL = "eurl", "EURL"
    SCIC = "scic", "SCIC"
    SCOP = "scop", "SCOP"
    SA = "sa", "SA"
    OTHER = "other", "Autre"


class VatRegime(models.TextChoices):
    NORMAL = "normal", "Réel normal"
    SIMPLIFIED = "simplified", "Réel simplifié"
    FRANCHISE = "franchise", "Franchise en base"
    NOT_SUBJECT = "not_subject", "Non assujetti (secteur non lucratif)"


class AssociationTaxStatus(models.TextChoices):
    """Fiscal status of an association (BOI-IS-CHAMP-10-50, domain.md §6.3)."""

    NOT_APPLICABLE = "not_applicable", "Sans objet (société)"
    NON_LUCRATIVE = "non_lucrative", "Non lucrative"
    LUCRATIVE_SECTOR = "lucrative_sector", "Secteur lucratif sectorisé"
    LUCRATIVE = "lucrative", "Lucrative (soumise aux impôts commerciaux)"


class AnnexState(models.TextChoices):
    """States of an *annexe financière* seen in ASP data (domain.md §1.1)."""

    PROVISIONAL = "PROVISOIRE", "Provisoire"
    VALID = "VALIDE", "Validée"
    CLOSED = "CLOTURE", "Clôturée"


class SapAuthorisationKind(models.TextChoices):
    DECLARATION = "declaration", "Déclaration"
    AGREMENT = "agrement", "Agrément"


class SapActivity(models.TextChoices):
    """Services à la personne activities (Code du travail D7231-1), those the group uses."""

    HOUSEWORK = "menage", "Entretien de la maison et travaux ménagers"
    IRONING = "repassage", "Repassage (à domicile ou collecte et livraison)"
    GARDENING = "jardinage", "Petits travaux de jardinage"
    DIY = "bricolage", "Travaux de petit bricolage"
    CHILDCARE = "garde_enfants", "Garde d'enfants de plus de trois ans à domicile"
    SCHOOL_SUPPORT = "soutien_scolaire", "Soutien scolaire ou cours à domicile"
    CONCIERGE = "conciergerie", "Assistance administrative à domicile"


# ASP measure code of a convention per kind, droit commun (LE:itou/asp/models.py SiaeMeasure).
MEASURE_CODES: dict[SiaeKind, str] = {
    SiaeKind.AI: "AI_DC",
    SiaeKind.ACI: "ACI_DC",
    SiaeKind.EI: "EI_DC",
    SiaeKind.ETTI: "ETTI_DC",
    SiaeKind.EITI: "EITI_DC",
}

CONVENTION_MAX_YEARS: DatedParameter[int] = DatedParameter(
    "convention_max_years",
    "Durée maximale d'une convention IAE (ans)",
    (
        Period(
            3,
            date(2005, 1, 1),
            None,
            "Convention pluriannuelle, 3 ans au plus : legalstart.fr, minilex.fr (domain.md §1.1)",
        ),
    ),
)


def siren_error(value: str) -> str | None:
    """Return a French message when ``value`` is not a valid SIREN (9 digits, Luhn key)."""
    try:
        stdnum_siren.validate(value)
    except StdnumError:
        return "Le SIREN doit comporter 9 chiffres et une clé de contrôle valide."
    return None


def siret_error(value: str, *, siren: str | None = None) -> str | None:
    """Return a French message when ``value`` is not a valid SIRET or not of ``siren``."""
    try:
        stdnum_siret.validate(value)
    except StdnumError:
        return "Le SIRET doit comporter 14 chiffres et une clé de contrôle valide."
    if siren and stdnum_siret.compact(value)[:9] != stdnum_siren.compact(siren):
        return "Le SIRET doit commencer par le SIREN de la structure."
    return None


def convention_errors(start: date, end: date | None) -> list[str]:
    """Check the dates of a convention: end after start, at most 3 years (domain.md §1.1)."""
    errors: list[str] = []
    if end is None:
        return errors
    if end < start:
        errors.append("La date de fin doit être postérieure à la date de début.")
        return errors
    years = CONVENTION_MAX_YEARS.on(start)
    if end > start + relativedelta(years=years) - relativedelta(days=1):
        errors.append(f"Une convention IAE dure au plus {years} ans.")
    return errors


def is_in_force(start: date, end: date | None, day: date) -> bool:
    """Whether a dated record running from ``start`` to ``end`` (inclusive) covers ``day``."""
    return start <= day and (end is None or day <= end)


def entity_vat_number_error(vat_number: str, *, siren: str) -> str | None:
    """Return a French message when ``vat_number`` cannot be the entity's own: an entity of
    the group is established in France, so its number is French (FR, a key, its SIREN). The
    number goes on every invoice it issues (and in their Factur-X XML) as the seller's."""
    from tremplin.clients.rules import VAT_FIELD, normalise_vat_number, vat_number_error

    number = normalise_vat_number(vat_number)
    if error := vat_number_error(number, holder="de la structure"):
        return error
    if not number.startswith("FR"):
        return (
            f"Une structure établie en France a un {VAT_FIELD} français, qui commence par FR : "
            f"{number} ne l'est pas."
        )
    if siren and number[4:] != siren:
        return (
            f"Le {VAT_FIELD} {number} n'est pas celui de la structure : un numéro français se "
            f"termine par le SIREN, ici {siren}."
        )
    return None
