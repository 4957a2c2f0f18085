"""Factories of the AI world: an AI entity, its CDDU/CDDUA contracts, placements, derogations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.models import Contract, Funding
from tremplin.contracts.rules import ContractKind, PostType
from tremplin.missions.models import MadDerogation, Placement
from tremplin.organisations.models import Entity
from tremplin.organisations.tests.factories import ConventionFactory, EntityFactory
from tremplin.people.tests.factories import PersonFactory


def ai_entity(**kwargs: object) -> Entity:
    """An association holding an IAE convention of association intermédiaire."""
    entity = EntityFactory(association=True, **kwargs)
    ConventionFactory(entity=entity, kind="AI", start=date(2024, 1, 1), end=date(2026, 12, 31))
    return entity


class ContractFactory(factory.django.DjangoModelFactory[Contract]):
    """A CDDUA of an AI salarié (the entity is an AI only when made with :func:`ai_entity`)."""

    class Meta:
        model = Contract

    entity = factory.SubFactory(EntityFactory)
    person = factory.SubFactory(PersonFactory, entity=factory.SelfAttribute("..entity"))
    kind = ContractKind.CDDUA
    post_type = PostType.INSERTION
    start = date(2025, 1, 1)
    planned_end = date(2026, 12, 31)
    monthly_hours = Decimal("85")
    hourly_rate = Decimal("11.88")
    job_title = "Agent d'entretien"
    funding = Funding.AIDE_AU_POSTE

    class Params:
        cddu = factory.Trait(kind=ContractKind.CDDU, monthly_hours=None)
        cddi = factory.Trait(kind=ContractKind.CDDI, monthly_hours=None, weekly_hours=26)


class PlacementFactory(factory.django.DjangoModelFactory[Placement]):
    class Meta:
        model = Placement

    contract = factory.SubFactory(ContractFactory)
    client = factory.SubFactory(ClientFactory, entity=factory.SelfAttribute("..contract.entity"))
    number = factory.Sequence(lambda n: str(n + 1))
    start = date(2025, 3, 3)
    end = date(2025, 3, 31)
    hours = Decimal("35")
    task = "Remplacement d'un agent d'entretien absent"
    workplace = "Locaux du client"


class MadDerogationFactory(factory.django.DjangoModelFactory[MadDerogation]):
    class Meta:
        model = MadDerogation

    entity = factory.SubFactory(EntityFactory)
    valid_from = date(2025, 1, 1)
    valid_to = date(2027, 12, 31)
    reference = factory.Sequence(lambda n: f"Arrêté préfectoral n° 79-2025-{n:04d}")
