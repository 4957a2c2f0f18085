"""The clients of the demo group: companies, associations, a local authority and households.

Élan Emploi (the association intermédiaire) places its salariés with all kinds of clients; Élan
Services sells its multiservice work to companies and a mutual insurer; Élan Domicile serves
households. Names and addresses are invented; SIRETs carry a computed Luhn key. The clients
with a SIREN (companies, the social landlord, the mutual insurer, the commune) are identified
for VAT, with the intra-community number the tax administration builds on their SIREN;
households and the small associations have none. One company of the association made an
economic dismissal three months before the day of loading: the cap engine refuses any placement
there (no demo placement is made with it).

Each client has one place of work at its address, with invented coordinates near its commune's
centre, so that the planning engine can route the week. A client is found again by its entity
and name, and its place by name, so a second load adds nothing; its dismissal date moves with
the day of loading, like every demo date.
"""

from __future__ import annotations

import dataclasses
import zlib
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from stdnum import luhn

from tremplin.clients.models import Client, ClientSite
from tremplin.clients.rules import ClientKind, french_vat_number
from tremplin.organisations.models import Entity, Group
from tremplin.people.demo import AI, EI, SAP

# Months between the dismissal of the barred company and the day of loading.
DISMISSAL_MONTHS_AGO = 3


@dataclasses.dataclass(frozen=True, slots=True)
class ClientSpec:
    entity: str  # slug of the entity that serves the client
    name: str
    kind: ClientKind
    address: str
    postal_code: str = "79000"
    city: str = "Niort"
    siren_body: str = ""  # 8 digits of an invented SIREN, before its Luhn key
    phone: str = ""
    dismissed: bool = False


# Approximate centres of the demo communes (WGS 84), for the coordinates of the places of work
# and of the workers' homes that the planning engine routes between. Saint-Tremplin-sur-Sèvre
# is invented: it sits between Niort and Magné.
COMMUNE_COORDINATES: dict[str, tuple[Decimal, Decimal]] = {
    "Niort": (Decimal("46.3237"), Decimal("-0.4648")),
    "Chauray": (Decimal("46.3600"), Decimal("-0.3790")),
    "Aiffres": (Decimal("46.2870"), Decimal("-0.4160")),
    "Vouillé": (Decimal("46.3190"), Decimal("-0.3640")),
    "Échiré": (Decimal("46.3870"), Decimal("-0.4140")),
    "Magné": (Decimal("46.3150"), Decimal("-0.5460")),
    "Coulon": (Decimal("46.3220"), Decimal("-0.5850")),
    "Bessines": (Decimal("46.3000"), Decimal("-0.5120")),
    "Saint-Tremplin-sur-Sèvre": (Decimal("46.3400"), Decimal("-0.5200")),
    "Saint-Maixent-l'École": (Decimal("46.4130"), Decimal("-0.2070")),
    "Parthenay": (Decimal("46.6486"), Decimal("-0.2470")),
}
# Largest distance of an address from its commune's centre, in degrees (about 1 km).
ADDRESS_SPREAD = Decimal("0.012")


def coordinates_of(city: str, address: str) -> tuple[Decimal, Decimal]:
    """Invented but stable coordinates of an address: its commune's centre moved by up to
    :data:`ADDRESS_SPREAD` in each direction, drawn from a checksum of the address."""
    lat, lon = COMMUNE_COORDINATES[city]
    draw = zlib.crc32(f"{address}|{city}".encode())
    north = Decimal(draw % 2001 - 1000) / 1000 * ADDRESS_SPREAD
    east = Decimal(draw // 2001 % 2001 - 1000) / 1000 * ADDRESS_SPREAD
    return (lat + north).quantize(Decimal("0.000001")), (lon + east).quantize(Decimal("0.000001"))


def siren_of(siren_body: str) -> str:
    """An invented SIREN: 8 digits and their Luhn key."""
    return siren_body + luhn.calc_check_digit(siren_body)


def siret_of(siren_body: str, establishment: str = "0001") -> str:
    """An invented SIRET: SIREN (8 digits and key), establishment number and their Luhn key."""
    body = siren_of(siren_body) + establishment
    return body + luhn.calc_check_digit(body)


# fmt: off
CLIENTS: tuple[ClientSpec, ...] = (
    # Élan Emploi: companies (counted in the 480 h cap), the others outside it.
    ClientSpec(AI, "Menuiserie Vauclair", ClientKind.COMPANY, "12 rue des Copeaux",
               siren_body="91234701", phone="05 49 00 10 01"),
    ClientSpec(AI, "Logistique du Marais SARL", ClientKind.COMPANY, "ZA de l'Envol, lot 4",
               "79180", "Chauray", siren_body="91234702", phone="05 49 00 10 02"),
    ClientSpec(AI, "Restaurant d'entreprise La Gamelle", ClientKind.COMPANY,
               "8 avenue des Pupitres", siren_body="91234703", phone="05 49 00 10 03"),
    ClientSpec(AI, "Propreté Sèvre Services", ClientKind.COMPANY, "27 rue du Balai-Brosse",
               siren_body="91234704", phone="05 49 00 10 04"),
    ClientSpec(AI, "Jardinerie des Trois Ponts", ClientKind.COMPANY, "route de l'Arrosoir",
               "79230", "Aiffres", siren_body="91234705", phone="05 49 00 10 05"),
    ClientSpec(AI, "Conserverie Belle-Mouette", ClientKind.COMPANY, "ZI de la Boîte-Ronde",
               siren_body="91234706", phone="05 49 00 10 06", dismissed=True),
    ClientSpec(AI, "Habitat Sèvre-Envol", ClientKind.SOCIAL_LANDLORD, "3 place des Paliers",
               siren_body="91234707", phone="05 49 00 10 07"),
    ClientSpec(AI, "Association sportive des Tilleuls", ClientKind.ASSOCIATION,
               "stade des Tilleuls", phone="05 49 00 10 08"),
    ClientSpec(AI, "Épicerie solidaire de la Passerelle", ClientKind.ASSOCIATION,
               "5 impasse de la Passerelle", phone="05 49 00 10 09"),
    ClientSpec(AI, "Foyer rural de la Vallée-Douce", ClientKind.ASSOCIATION,
               "1 rue de la Fête", "79410", "Échiré", phone="05 49 00 10 10"),
    ClientSpec(AI, "Mairie de Saint-Tremplin-sur-Sèvre", ClientKind.LOCAL_AUTHORITY,
               "place de la Mairie", "79460", "Saint-Tremplin-sur-Sèvre",
               siren_body="91234720", phone="05 49 00 10 11"),
    ClientSpec(AI, "M. et Mme Bellanger", ClientKind.HOUSEHOLD, "4 rue des Lilas-Blancs"),
    ClientSpec(AI, "Mme Guérinet", ClientKind.HOUSEHOLD, "18 allée des Mésanges",
               "79180", "Chauray"),
    ClientSpec(AI, "M. Rochereau", ClientKind.HOUSEHOLD, "7 chemin du Lavoir", "79230", "Vouillé"),
    ClientSpec(AI, "Mme Fontanaud", ClientKind.HOUSEHOLD, "22 rue de la Brouette"),
    ClientSpec(AI, "M. et Mme Pougnard", ClientKind.HOUSEHOLD, "9 rue du Puits-Vert",
               "79410", "Échiré"),
    ClientSpec(AI, "Mme Sicaudeau", ClientKind.HOUSEHOLD, "31 avenue des Glycines"),
    ClientSpec(AI, "M. Bouffard", ClientKind.HOUSEHOLD, "2 impasse des Courtils", "79460", "Magné"),
    ClientSpec(AI, "Mme Airault", ClientKind.HOUSEHOLD, "15 rue de la Girouette"),
    # Élan Services: car washing without water, document scanning, office cleaning.
    ClientSpec(EI, "Garage Central Niortais", ClientKind.COMPANY, "40 boulevard des Essieux",
               siren_body="91234711", phone="05 49 00 20 01"),
    ClientSpec(EI, "Concession Auto Sèvre Ouest", ClientKind.COMPANY, "rue de l'Embrayage",
               "79180", "Chauray", siren_body="91234712", phone="05 49 00 20 02"),
    ClientSpec(EI, "Cabinet comptable Marchais et associés", ClientKind.COMPANY,
               "6 rue des Registres", siren_body="91234713", phone="05 49 00 20 03"),
    ClientSpec(EI, "Mutuelle des Deux-Rives", ClientKind.MUTUAL_INSURER, "1 quai de l'Entraide",
               siren_body="91234714", phone="05 49 00 20 04"),
    ClientSpec(EI, "Centre social du Clou-Bouchet", ClientKind.ASSOCIATION,
               "10 rue des Voisins", phone="05 49 00 20 05"),
    # Élan Domicile: households (ménage, repassage, jardinage).
    ClientSpec(SAP, "Mme Chaigneau-Verdon", ClientKind.HOUSEHOLD, "5 rue des Hortensias"),
    ClientSpec(SAP, "M. et Mme Audouin", ClientKind.HOUSEHOLD, "12 rue du Vieux-Four",
               "79180", "Chauray"),
    ClientSpec(SAP, "M. Giraudeau", ClientKind.HOUSEHOLD, "3 allée des Charmes",
               "79230", "Aiffres"),
    ClientSpec(SAP, "Mme Penot", ClientKind.HOUSEHOLD, "44 rue de la Tonnelle"),
    ClientSpec(SAP, "M. et Mme Texereau", ClientKind.HOUSEHOLD, "8 chemin des Vignes",
               "79460", "Magné"),
    ClientSpec(SAP, "Mme Daniau", ClientKind.HOUSEHOLD, "17 rue du Moulin-à-Vent",
               "79410", "Échiré"),
    ClientSpec(SAP, "M. Brossard", ClientKind.HOUSEHOLD, "26 avenue des Peupliers"),
    ClientSpec(SAP, "Mme Bobineau", ClientKind.HOUSEHOLD, "1 place du Marché-Couvert",
               "79510", "Coulon"),
)
# fmt: on


def load(group: Group, today: date) -> dict[str, list[Client]]:
    """Create or refresh the clients of the group's entities; return them by entity slug."""
    entities = {e.slug: e for e in Entity.objects.filter(group=group)}
    dismissal_on = today - relativedelta(months=DISMISSAL_MONTHS_AGO)
    clients: dict[str, list[Client]] = {slug: [] for slug in entities}
    for spec in CLIENTS:
        entity = entities[spec.entity]
        vat_number = french_vat_number(siren_of(spec.siren_body)) if spec.siren_body else ""
        client, _ = Client.objects.update_or_create(
            entity=entity,
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "siret": siret_of(spec.siren_body) if spec.siren_body else "",
                "vat_number": vat_number,
                "address": spec.address,
                "postal_code": spec.postal_code,
                "city": spec.city,
                "phone": spec.phone,
                "economic_dismissal_on": dismissal_on if spec.dismissed else None,
                "is_active": True,
            },
        )
        latitude, longitude = coordinates_of(spec.city, spec.address)
        ClientSite.objects.update_or_create(
            client=client,
            name="Lieu d'intervention",
            defaults={
                "address": spec.address,
                "postal_code": spec.postal_code,
                "city": spec.city,
                "latitude": latitude,
                "longitude": longitude,
            },
        )
        clients[spec.entity].append(client)
    return clients
