"""Mises à disposition of the demo's association intermédiaire: mission orders under each CDD
d'usage (one placement) and CDDUA (one or two a month, about the guaranteed hours), with the
association's clients.

Each worker has a few regular clients — households, an association, the town hall or the social
landlord, one or two companies — and a budget of company hours. Every mission order is proposed
to :func:`tremplin.missions.rules.check_placement`, the pure check of the missions action (the
480 h cap over 24 months and the economic-dismissal ban, through ``mad_cap_status``): a company
placement the check refuses, or that would pass the worker's budget, goes to a household or an
association instead, which the cap does not count. The company that made an economic dismissal
gets no placement at all.

Four long-standing workers are placed mostly with companies: three end up between 400 and
470 hours in their current 24-month window, one at about 80 % of the cap, so the ledger shows
its warning; the first of them keeps working for households and associations beyond 480 hours
in all, which the law allows. Mission orders run up to three weeks after the day of loading.

A person with a placement already is left as they are, so a second load adds nothing.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta

from tremplin.accounts.models import User
from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.models import Contract
from tremplin.contracts.rules import ContractKind, period_end
from tremplin.missions.models import Placement, is_association_intermediaire
from tremplin.missions.rules import (
    PLACEMENT_CONTRACT_KINDS,
    PlacementDecision,
    check_placement,
    placement_errors,
)
from tremplin.organisations.models import Entity, Group
from tremplin.pathways.models import PassSuspension
from tremplin.people import demo as people_demo
from tremplin.people.demo import AI, Member, Story
from tremplin.people.models import Person

# Mission orders are planned up to this many days after the day of loading.
HORIZON_DAYS = 21
# Company hours in the current window of the workers placed near the cap, in the order they are
# chosen: three between 400 and 470 hours, one at about 80 % of the 480 hours.
NEAR_CAP_HOURS = (Decimal(468), Decimal("447.5"), Decimal(421), Decimal(392))
# The first of them also works this many hours for clients outside the cap within the window.
BEYOND_CAP_HOURS = Decimal(620)
# Company placements of the workers near the cap all fall in the last 20 months: one window.
_NEAR_CAP_MONTHS = 20
# Other workers: at most this many company hours in any window.
_USUAL_BUDGET = (40, 330)

_TASKS: dict[ClientKind, tuple[str, ...]] = {
    ClientKind.HOUSEHOLD: (
        "Ménage et repassage au domicile",
        "Entretien du jardin et taille des haies",
        "Grand ménage de printemps",
    ),
    ClientKind.ASSOCIATION: (
        "Entretien des locaux associatifs",
        "Installation et rangement de la salle pour une manifestation",
    ),
    ClientKind.LOCAL_AUTHORITY: (
        "Entretien des espaces verts communaux",
        "Nettoyage de la salle des fêtes après les manifestations",
    ),
    ClientKind.SOCIAL_LANDLORD: (
        "Nettoyage des parties communes en remplacement d'un agent absent",
        "Remise en état de logements vacants avant relocation",
    ),
    ClientKind.COMPANY: (
        "Remplacement d'un agent d'entretien absent",
        "Renfort pour l'inventaire annuel",
        "Renfort en plonge pendant un pic d'activité",
        "Préparation de commandes pendant le pic saisonnier",
        "Nettoyage des locaux après travaux",
    ),
}
# Price per hour invoiced to the client, excluding VAT.
_PRICES: dict[ClientKind, Decimal] = {
    ClientKind.HOUSEHOLD: Decimal("21.90"),
    ClientKind.ASSOCIATION: Decimal("20.50"),
    ClientKind.LOCAL_AUTHORITY: Decimal("21.40"),
    ClientKind.SOCIAL_LANDLORD: Decimal("22.90"),
    ClientKind.COMPANY: Decimal("22.90"),
}
# The order in which workers are considered for the near-cap situations: the seed's seniors on
# long pathways first.
_NEAR_CAP_STORIES = (Story.AI_LONG_SENIOR, Story.AI_LONG, Story.AI_CURRENT)

_HALF = Decimal("0.5")


@dataclasses.dataclass(frozen=True, slots=True)
class Slot:
    """A stretch of a contract to fill with mission orders, and the hours it holds."""

    contract: Contract
    start: date
    end: date
    hours: Decimal


def load(group: Group, today: date) -> None:
    """Create the placements of the AI's workers who have none yet."""
    entity = Entity.objects.filter(group=group, slug=AI).first()
    if entity is None or not is_association_intermediaire(entity):
        return
    clients = [
        c
        for c in Client.objects.filter(entity=entity, is_active=True).order_by("name", "pk")
        if c.economic_dismissal_on is None
    ]
    members = people_demo.cast(today)
    people = people_demo.people_of(group, members)
    contracts: dict[int, list[Contract]] = defaultdict(list)
    for contract in (
        Contract.objects.filter(entity=entity, kind__in=PLACEMENT_CONTRACT_KINDS)
        .filter(person__in=[p.pk for p in people.values()])
        .order_by("start", "pk")
    ):
        contracts[contract.person_id].append(contract)
    placed = set(
        Placement.objects.filter(contract__entity=entity).values_list(
            "contract__person_id", flat=True
        )
    )
    suspended: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for person_id, start, end in PassSuspension.objects.filter(
        pass_iae__person__in=list(contracts)
    ).values_list("pass_iae__person_id", "start", "end"):
        suspended[person_id].append((start, end))
    planner = people_demo.demo_users(["planning"]).get("planning")
    builder = _Builder(today, clients, planner)
    workers: list[tuple[Member, Person, list[Slot]]] = []
    for member in members:
        person = people.get(member.index)
        if person is None or person.pk in placed or not contracts[person.pk]:
            continue
        rng = random.Random(f"{people_demo.SEED}:placements:{member.index}")
        slots = builder.slots(contracts[person.pk], suspended[person.pk], rng)
        workers.append((member, person, slots))
    targets = _near_cap_targets(workers, today)
    for member, person, slots in workers:
        rng = random.Random(f"{people_demo.SEED}:mix:{member.index}")
        builder.place(person, slots, rng, target=targets.get(person.pk))
    Placement.objects.bulk_create(builder.placements)


def _near_cap_targets(
    workers: Sequence[tuple[Member, Person, list[Slot]]], today: date
) -> dict[int, Decimal]:
    """Choose the workers placed near the cap: the first ones with hours enough to get there."""
    since = today - relativedelta(months=_NEAR_CAP_MONTHS)
    order = sorted(
        workers,
        key=lambda w: (
            _NEAR_CAP_STORIES.index(w[0].story) if w[0].story in _NEAR_CAP_STORIES else 99,
            w[0].rank,
        ),
    )
    chosen: dict[int, Decimal] = {}
    for number, target in enumerate(NEAR_CAP_HOURS):
        needed = target + BEYOND_CAP_HOURS if number == 0 else target * Decimal("1.2")
        for member, person, slots in order:
            if member.story not in _NEAR_CAP_STORIES or person.pk in chosen:
                continue
            if sum((s.hours for s in slots if s.start >= since), Decimal(0)) >= needed:
                chosen[person.pk] = target
                break
    return chosen


class _Builder:
    def __init__(self, today: date, clients: Sequence[Client], planner: User | None) -> None:
        self.today = today
        self.horizon = today + timedelta(HORIZON_DAYS)
        self.planner = planner
        self.by_kind: dict[ClientKind, list[Client]] = defaultdict(list)
        for client in clients:
            self.by_kind[ClientKind(client.kind)].append(client)
        self.placements: list[Placement] = []
        self.numbers: dict[int, int] = defaultdict(int)

    # Slots ------------------------------------------------------------------------------------

    def slots(
        self,
        contracts: Sequence[Contract],
        suspensions: Sequence[tuple[date, date]],
        rng: random.Random,
    ) -> list[Slot]:
        """One slot per CDD d'usage, one per month of a CDDUA, up to the horizon."""
        slots: list[Slot] = []
        for contract in contracts:
            end = contract.end
            assert end is not None
            if contract.kind == ContractKind.CDDU:
                days = (end - contract.start).days + 1
                hours = _half_hours(Decimal(days) * Decimal(rng.randint(15, 40)) / 10)
                slots.append(Slot(contract, contract.start, end, max(hours, Decimal(4))))
                continue
            assert contract.monthly_hours is not None
            start = contract.start
            while start <= min(end, self.horizon):
                last = min(period_end(start, 1), end, self.horizon)
                share = Decimal((last - start).days + 1) / Decimal("30.44")
                hours = _half_hours(
                    contract.monthly_hours * share * Decimal(rng.randint(90, 115)) / 100
                )
                if hours >= 2:
                    slots.append(Slot(contract, start, last, hours))
                start = last + timedelta(1)
        return [s for s in slots if not any(a <= s.end and s.start <= b for a, b in suspensions)]

    # Placements -------------------------------------------------------------------------------

    def place(
        self,
        person: Person,
        slots: Sequence[Slot],
        rng: random.Random,
        *,
        target: Decimal | None,
    ) -> None:
        """Fill the slots with mission orders at the worker's regular clients."""
        regulars = self._regulars(rng)
        if target is not None:
            budget, company_share = target, 1.0
            counted_from = self.today - relativedelta(months=_NEAR_CAP_MONTHS)
        else:
            budget = Decimal(rng.randint(*_USUAL_BUDGET))
            company_share = rng.choice((0.1, 0.2, 0.3, 0.4))
            counted_from = date.min
        existing: list[contract_rules.Placement] = []
        for slot in slots:
            parts = [slot.hours]
            if slot.contract.kind == ContractKind.CDDUA and slot.hours >= 40 and rng.random() < 0.4:
                first = _half_hours(slot.hours * Decimal(rng.randint(40, 60)) / 100)
                parts = [first, slot.hours - first]
            for hours in parts:
                counted = slot.start >= counted_from and rng.random() < company_share
                for client, share in self._clients(
                    regulars, counted, hours, slot, existing, budget, rng
                ):
                    self._add(person, slot, client, share, existing)

    def _regulars(self, rng: random.Random) -> dict[str, list[Client]]:
        def some(kinds: Sequence[ClientKind], count: int) -> list[Client]:
            pool = [c for kind in kinds for c in self.by_kind[kind]]
            return rng.sample(pool, min(count, len(pool)))

        return {
            "counted": some((ClientKind.COMPANY, ClientKind.SOCIAL_LANDLORD), 2),
            "free": some((ClientKind.HOUSEHOLD,), 2)
            + some((ClientKind.ASSOCIATION, ClientKind.LOCAL_AUTHORITY), 1),
        }

    def _clients(
        self,
        regulars: dict[str, list[Client]],
        counted: bool,
        hours: Decimal,
        slot: Slot,
        existing: Sequence[contract_rules.Placement],
        budget: Decimal,
        rng: random.Random,
    ) -> list[tuple[Client, Decimal]]:
        """Where the hours go: a company within the budget and the cap, else a free client.

        A company placement that would pass the budget keeps what the budget leaves (when it is
        worth a mission order) and the rest goes to a client outside the cap.
        """
        free = rng.choice(regulars["free"])
        if not counted or not regulars["counted"]:
            return [(free, hours)]
        company = rng.choice(regulars["counted"])
        status = contract_rules.mad_cap_status(
            existing, proposed=self._rule(company, slot, hours), today=self.today
        )
        left = min(budget, status.cap) - status.hours_used
        if hours <= left:
            return [(company, hours)]
        kept = _half_hours(left)
        # A CDD d'usage carries one placement: its hours are not split between two clients.
        if kept >= 4 and slot.contract.kind != ContractKind.CDDU:
            return [(company, kept), (free, hours - kept)]
        return [(free, hours)]

    @staticmethod
    def _rule(client: Client, slot: Slot, hours: Decimal) -> contract_rules.Placement:
        return contract_rules.Placement(
            start=slot.start,
            hours=hours,
            client_kind=ClientKind(client.kind),
            client_economic_dismissal_on=client.economic_dismissal_on,
        )

    def _add(
        self,
        person: Person,
        slot: Slot,
        client: Client,
        hours: Decimal,
        existing: list[contract_rules.Placement],
    ) -> None:
        """Check the mission order as the missions action does, then keep it."""
        contract = slot.contract
        proposed = self._rule(client, slot, hours)
        check = check_placement(
            existing, proposed=proposed, today=self.today, warning_acknowledged=True
        )
        errors = placement_errors(
            contract_kind=ContractKind(contract.kind),
            entity_is_ai=True,
            placements_on_contract=self.numbers[contract.pk],
            contract_start=contract.start,
            contract_end=contract.end,
            start=slot.start,
            end=slot.end,
            hours=hours,
        )
        if check.decision != PlacementDecision.ACCEPTED or errors:
            raise ValueError(
                f"Démonstration : mise à disposition de {person} refusée : "
                f"{check.status.message} {errors}"
            )
        self.numbers[contract.pk] += 1
        kind = ClientKind(client.kind)
        self.placements.append(
            Placement(
                contract=contract,
                client=client,
                number=str(self.numbers[contract.pk]),
                start=slot.start,
                end=slot.end,
                hours=hours,
                task=_TASKS[kind][self.numbers[contract.pk] % len(_TASKS[kind])],
                workplace=f"{client.address}, {client.postal_code} {client.city}",
                hourly_rate=_PRICES[kind],
                created_by=self.planner,
            )
        )
        existing.append(proposed)


def _half_hours(value: Decimal) -> Decimal:
    """Round hours down to the half hour."""
    return (value / _HALF).quantize(Decimal(1), rounding=ROUND_DOWN) * _HALF
