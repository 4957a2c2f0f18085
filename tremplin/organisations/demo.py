"""The demo group: an invented GES modelled on the seed article (Niort, Deux-Sèvres).

Names, addresses and identifiers are invented; SIREN, SIRET and the companies' VAT numbers
only carry valid check keys.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tremplin.clients.rules import french_vat_number
from tremplin.organisations.models import (
    Convention,
    Entity,
    FinancialAnnex,
    Group,
    SapDeclaration,
    Site,
)
from tremplin.organisations.rules import (
    MEASURE_CODES,
    AnnexState,
    AssociationTaxStatus,
    LegalForm,
    SapActivity,
    SapAuthorisationKind,
    SiaeKind,
    VatRegime,
)

GROUP_SLUG = "groupe-elan"

ENTITIES = [
    {
        "slug": "elan-emploi",
        "name": "Élan Emploi",
        "legal_name": "Association Élan Emploi",
        "legal_form": LegalForm.ASSOCIATION,
        "siren": "912345675",
        "siret": "91234567500017",
        "naf_code": "78.30Z",
        "address": "14 rue du Tremplin",
        "vat_regime": VatRegime.NOT_SUBJECT,
        "tax_status": AssociationTaxStatus.NON_LUCRATIVE,
    },
    {
        "slug": "elan-services",
        "name": "Élan Services",
        "legal_name": "Élan Services SAS",
        "legal_form": LegalForm.SAS,
        "siren": "912345683",
        "siret": "91234568300011",
        "naf_code": "81.21Z",
        "address": "16 rue du Tremplin",
        "vat_regime": VatRegime.NORMAL,
        "vat_number": french_vat_number("912345683"),
        "tax_status": AssociationTaxStatus.NOT_APPLICABLE,
    },
    {
        "slug": "elan-domicile",
        "name": "Élan Domicile",
        "legal_name": "Élan Domicile SAS",
        "legal_form": LegalForm.SAS,
        "siren": "912345691",
        "siret": "91234569100014",
        "naf_code": "81.21Z",
        "address": "16 rue du Tremplin",
        "vat_regime": VatRegime.NORMAL,
        "vat_number": french_vat_number("912345691"),
        "tax_status": AssociationTaxStatus.NOT_APPLICABLE,
    },
]


def load(today: date) -> Group:
    """Create or refresh the demo group; running it twice changes nothing."""
    group, _ = Group.objects.update_or_create(
        slug=GROUP_SLUG,
        defaults={
            "name": "Groupe Élan",
            "description": (
                "Groupe économique solidaire de démonstration : une association intermédiaire "
                "et les deux sociétés qu'elle a créées, à Niort (Deux-Sèvres)."
            ),
        },
    )
    entities = {}
    for spec in ENTITIES:
        slug = spec["slug"]
        defaults = {k: v for k, v in spec.items() if k != "slug"}
        entity, _ = Entity.objects.update_or_create(
            slug=slug,
            defaults={**defaults, "group": group, "postal_code": "79000", "city": "Niort"},
        )
        entities[slug] = entity
        Site.objects.update_or_create(
            entity=entity,
            name="Siège",
            defaults={
                "address": spec["address"],
                "postal_code": "79000",
                "city": "Niort",
                "siret": spec["siret"],
                "is_head_office": True,
                "latitude": Decimal("46.323700"),
                "longitude": Decimal("-0.464800"),
            },
        )
    Site.objects.update_or_create(
        entity=entities["elan-emploi"],
        name="Antenne de Parthenay",
        defaults={
            "address": "2 place de la Démo",
            "postal_code": "79200",
            "city": "Parthenay",
            "latitude": Decimal("46.648600"),
            "longitude": Decimal("-0.247000"),
        },
    )

    year = today.year
    ai = _convention(
        entities["elan-emploi"],
        SiaeKind.AI,
        "AI-079-24-0012",
        date(year - 1, 1, 1),
        date(year + 1, 12, 31),
        "Niort et Gâtine (Deux-Sèvres)",
        None,
    )
    _annex(ai, year - 1, Decimal("14.50"), AnnexState.CLOSED)
    _annex(ai, year, Decimal("15.00"), AnnexState.VALID)
    ei = _convention(
        entities["elan-services"],
        SiaeKind.EI,
        "EI-079-24-0031",
        date(year - 1, 1, 1),
        date(year + 1, 12, 31),
        "Niort (Deux-Sèvres)",
        Decimal("2"),
    )
    _annex(ei, year - 1, Decimal("2.00"), AnnexState.CLOSED)
    _annex(ei, year, Decimal("2.00"), AnnexState.VALID)
    SapDeclaration.objects.update_or_create(
        entity=entities["elan-domicile"],
        number="SAP912345691",
        defaults={
            "kind": SapAuthorisationKind.DECLARATION,
            "declared_on": date(year - 3, 9, 1),
            "activities": [SapActivity.HOUSEWORK, SapActivity.IRONING, SapActivity.GARDENING],
        },
    )
    return group


def _convention(
    entity: Entity,
    kind: SiaeKind,
    number: str,
    start: date,
    end: date,
    territory: str,
    posts: Decimal | None,
) -> Convention:
    convention, _ = Convention.objects.update_or_create(
        entity=entity,
        number=number,
        defaults={
            "kind": kind,
            "measure_code": MEASURE_CODES[kind],
            "start": start,
            "end": end,
            "territory": territory,
            "posts": posts,
        },
    )
    return convention


def _annex(convention: Convention, year: int, etp: Decimal, state: AnnexState) -> None:
    FinancialAnnex.objects.update_or_create(
        convention=convention,
        year=year,
        defaults={"number": f"{convention.number}-A{year}", "etp": etp, "state": state},
    )
