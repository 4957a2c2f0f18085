"""The starting points of the demo workers' days, for the planning engine.

Each person with a contract in an entity of the demo group starts the day from home: invented
coordinates near the centre of the commune of the address in the person file (the same
communes as the clients, :data:`tremplin.clients.demo.COMMUNE_COORDINATES`). A person living in
a commune the table does not know starts from the entity's head office. A second load changes
nothing.
"""

from __future__ import annotations

from tremplin.clients.demo import COMMUNE_COORDINATES, coordinates_of
from tremplin.contracts.models import Contract
from tremplin.organisations.models import Group
from tremplin.planning.models import WorkerHome


def load(group: Group) -> int:
    """Create the missing starting points of the group's workers; return how many."""
    pairs = (
        Contract.objects.filter(entity__group=group)
        .values_list("entity_id", "person_id", "person__address", "person__city")
        .distinct()
        .order_by("entity_id", "person_id")
    )
    existing = set(
        WorkerHome.objects.filter(entity__group=group).values_list("entity_id", "person_id")
    )
    homes = []
    for entity_id, person_id, address, city in pairs:
        if (entity_id, person_id) in existing or city not in COMMUNE_COORDINATES:
            continue
        latitude, longitude = coordinates_of(city, address)
        homes.append(
            WorkerHome(
                entity_id=entity_id, person_id=person_id, latitude=latitude, longitude=longitude
            )
        )
        existing.add((entity_id, person_id))
    WorkerHome.objects.bulk_create(homes)
    return len(homes)
