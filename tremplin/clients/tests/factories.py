from __future__ import annotations

import factory

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind, french_vat_number
from tremplin.organisations.tests.factories import EntityFactory, luhn_complete, new_siren


class ClientFactory(factory.django.DjangoModelFactory[Client]):
    """A company client; traits give the other kinds (``household=True``…)."""

    class Meta:
        model = Client

    entity = factory.SubFactory(EntityFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    kind = ClientKind.COMPANY
    siret = factory.LazyFunction(lambda: luhn_complete(new_siren() + "0001"))
    address = "3 avenue de Paris"
    postal_code = "79000"
    city = "Niort"

    class Params:
        household = factory.Trait(kind=ClientKind.HOUSEHOLD, siret="")
        association = factory.Trait(kind=ClientKind.ASSOCIATION, siret="")
        local_authority = factory.Trait(kind=ClientKind.LOCAL_AUTHORITY)
        social_landlord = factory.Trait(kind=ClientKind.SOCIAL_LANDLORD)
        # Identified for VAT: the French number of its SIREN.
        vat_registered = factory.Trait(
            vat_number=factory.LazyAttribute(lambda o: french_vat_number(o.siret[:9]))
        )
