from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import factory

from tremplin.organisations.models import Convention, Entity, FinancialAnnex, Group, Site
from tremplin.organisations.rules import (
    MEASURE_CODES,
    AnnexState,
    AssociationTaxStatus,
    LegalForm,
    SiaeKind,
    VatRegime,
)

_sequence = itertools.count(10_000_000)


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit that SIREN and SIRET use."""
    for key in "0123456789":
        total = 0
        for i, char in enumerate(reversed(digits + key)):
            d = int(char) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits + key
    raise AssertionError("unreachable")


def new_siren() -> str:
    return luhn_complete(f"{next(_sequence):08d}")


class GroupFactory(factory.django.DjangoModelFactory[Group]):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Groupe {n}")
    slug = factory.Sequence(lambda n: f"groupe-{n}")


class EntityFactory(factory.django.DjangoModelFactory[Entity]):
    class Meta:
        model = Entity

    group = factory.SubFactory(GroupFactory)
    slug = factory.Sequence(lambda n: f"structure-{n}")
    name = factory.Sequence(lambda n: f"Structure {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} SAS")
    legal_form = LegalForm.SAS
    siren = factory.LazyFunction(new_siren)
    siret = factory.LazyAttribute(lambda o: luhn_complete(o.siren + "0001"))
    naf_code = "81.21Z"
    address = "1 rue de l'Essai"
    postal_code = "79000"
    city = "Niort"
    vat_regime = VatRegime.NORMAL
    tax_status = AssociationTaxStatus.NOT_APPLICABLE

    class Params:
        association = factory.Trait(
            legal_form=LegalForm.ASSOCIATION,
            vat_regime=VatRegime.NOT_SUBJECT,
            tax_status=AssociationTaxStatus.NON_LUCRATIVE,
        )


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    entity = factory.SubFactory(EntityFactory)
    name = "Siège"
    address = "1 rue de l'Essai"
    postal_code = "79000"
    city = "Niort"
    is_head_office = True


class ConventionFactory(factory.django.DjangoModelFactory[Convention]):
    class Meta:
        model = Convention

    entity = factory.SubFactory(EntityFactory)
    kind = SiaeKind.AI
    measure_code = factory.LazyAttribute(lambda o: MEASURE_CODES[SiaeKind(o.kind)])
    number = factory.Sequence(lambda n: f"CONV-{n:05d}")
    start = date(2025, 1, 1)
    end = date(2027, 12, 31)


class FinancialAnnexFactory(factory.django.DjangoModelFactory[FinancialAnnex]):
    class Meta:
        model = FinancialAnnex

    convention = factory.SubFactory(ConventionFactory)
    year = 2026
    number = factory.Sequence(lambda n: f"AF-{n:05d}")
    etp = Decimal("10.00")
    state = AnnexState.VALID
