"""Rules on the group's clients. Pure functions."""

from __future__ import annotations

import re
from datetime import date

from django.db import models
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

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


# Prefixes of intra-community VAT numbers, as the VIES system knows them: the 27 member states
# (Greece as EL) and, since 1 January 2021, XI for Northern Ireland (Directive 2006/112/CE,
# art. 214 and 215; Windsor Framework). The OSS identifiers (EU, IM) are not VAT numbers of a
# buyer and are refused.
VAT_COUNTRY_CODES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
    }
)  # fmt: skip
VAT_FIELD = "« Numéro de TVA intracommunautaire »"
_VAT_SEPARATORS = re.compile(r"[\s.\-/]")


def normalise_vat_number(value: str) -> str:
    """The VAT number as stored: upper case, without spaces, dots, dashes or slashes.

    ``fr 44 732 829 320`` becomes ``FR44732829320``; a Belgian number written with 9 digits
    gets its leading 0 (``BE0697449992``), as the country's rules write it.
    """
    number = _VAT_SEPARATORS.sub("", value).upper()
    if number[:2] in VAT_COUNTRY_CODES:
        try:
            return str(stdnum_vat.compact(number))
        except StdnumError:
            return number
    return number


def french_vat_number(siren: str) -> str:
    """The French intra-community VAT number the tax administration builds on a SIREN.

    FR, a 2-digit key, the SIREN; the key is (12 + 3 × (SIREN mod 97)) mod 97, the check that
    ``stdnum.fr.tva`` makes. Example: SIREN 732 829 320 → FR 44 732 829 320.
    """
    return f"FR{int(siren + '12') % 97:02d}{siren}"


def vat_number_error(value: str, *, holder: str = "du client") -> str | None:
    """Return a French message when ``value`` is not a well-formed intra-community VAT number.

    The number starts with the code of the member state that gave it (FR, DE, EL…) and passes
    that state's check (python-stdnum): for France, FR, a 2-character key and the SIREN.
    Whether the number is still active is VIES's business, not checked here.
    """
    number = normalise_vat_number(value)
    country = number[:2]
    if country not in VAT_COUNTRY_CODES:
        return (
            f"Le {VAT_FIELD} doit commencer par le code du pays de l'Union européenne qui l'a "
            f"attribué (FR pour la France) : « {value.strip()} » ne commence pas ainsi."
        )
    try:
        stdnum_vat.validate(number)
    except InvalidChecksum:
        if country == "FR" and number[4:7] != "000" and not stdnum_siren.is_valid(number[4:]):
            return (
                f"Le {VAT_FIELD} {number} ne se termine pas par un SIREN valide (9 chiffres "
                "et leur clé de contrôle)."
            )
        return (
            f"La clé du {VAT_FIELD} {number} ne correspond pas au reste du numéro : "
            f"vérifiez-le sur un document {holder}."
        )
    except StdnumError:
        if country == "FR":
            return (
                f"Un {VAT_FIELD} français s'écrit FR, une clé de 2 caractères puis les 9 "
                f"chiffres du SIREN : {number} n'a pas ce format."
            )
        return (
            f"Le {VAT_FIELD} {number} n'a pas le format des numéros attribués par ce pays "
            f"({country})."
        )
    return None


def vat_number_siren_error(vat_number: str, *, siret: str) -> str | None:
    """Return a French message when a French VAT number is not the one of the client's SIREN.

    A French number ends with the company's SIREN, the first 9 digits of the SIRET. Checked
    only when both are well formed: their own errors are reported on their own fields. A
    foreign number says nothing of a French SIRET.
    """
    number = normalise_vat_number(vat_number)
    if not number.startswith("FR") or vat_number_error(number) or not stdnum_siret.is_valid(siret):
        return None
    siren = stdnum_siret.compact(siret)[:9]
    if number[4:] == siren:
        return None
    return (
        f"Le {VAT_FIELD} {number} n'est pas celui du SIRET du client : un numéro français se "
        f"termine par le SIREN, ici {siren}."
    )


def client_errors(
    *,
    kind: ClientKind,
    siret: str,
    economic_dismissal_on: date | None,
    today: date,
    vat_number: str = "",
) -> dict[str, list[str]]:
    """Return the French messages, by form field, of what is wrong with a client's identity.

    The SIRET's and the VAT number's own formats are checked by their fields' validators; this
    adds the rules that tie fields together: the SIRET of companies and public bodies, a French
    VAT number ending with the client's SIREN, no VAT number for a household (a consumer is not
    liable to VAT), and a dismissal date that has already happened (it bars placements for 6
    months, domain §1.4).
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
    if vat_number and kind == ClientKind.HOUSEHOLD:
        errors["vat_number"] = [
            f"Un particulier n'a pas de {VAT_FIELD} : il n'est pas assujetti à la TVA. "
            "Laissez ce champ vide."
        ]
    elif vat_number and (error := vat_number_siren_error(vat_number, siret=siret)):
        errors["vat_number"] = [error]
    return errors
