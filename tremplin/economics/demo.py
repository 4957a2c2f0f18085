"""The demo group's economics: its five shared functions with their costs and keys, the time the
accompaniment and development teams spend for each entity, the other costs and grants of each
entity, the aide au poste advances of the year, one allocation run and one scenario.

Everything covers the last complete year and the current year up to the month of loading.
Rows are looked up by their natural key before being created, so a second load adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tremplin.accounts.models import User
from tremplin.economics import actions, rules
from tremplin.economics.models import (
    AllocationRun,
    CostPool,
    FinancialEntry,
    FixedShare,
    PoolCost,
    Scenario,
    TimeRecord,
)
from tremplin.economics.rules import EntryKind, KeyMethod, SharedFunction
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.models import Entity, FinancialAnnex, Group
from tremplin.people import demo as people_demo

AI, SERVICES, HOUSEHOLD = "elan-emploi", "elan-services", "elan-domicile"
SCENARIO_NAME = "Passage de 3 salariés de l'AI en CDI dans l'entreprise SAP"
D = Decimal


@dataclass(frozen=True)
class PoolSpec:
    holder: str
    function: SharedFunction
    name: str
    key: KeyMethod
    monthly_cost: Decimal
    cost_label: str
    # Hours a month spent for each entity (the time-spent key), or fixed shares in percent.
    hours: dict[str, Decimal] | None = None
    shares: dict[str, Decimal] | None = None


POOLS = [
    PoolSpec(
        AI,
        SharedFunction.DIRECTION,
        "Direction générale du groupe",
        KeyMethod.FIXED,
        D("6850.00"),
        "Salaire et charges de la directrice",
        shares={AI: D(50), SERVICES: D(25), HOUSEHOLD: D(25)},
    ),
    PoolSpec(
        AI,
        SharedFunction.HR,
        "Ressources humaines transversales",
        KeyMethod.HEADCOUNT,
        D("3920.00"),
        "Salaire et charges de la chargée RH, logiciel de paie",
    ),
    PoolSpec(
        AI,
        SharedFunction.ACCOMPANIMENT,
        "Accompagnement socio-professionnel",
        KeyMethod.TIME_SPENT,
        D("7260.00"),
        "Salaires et charges de deux CIP",
        hours={AI: D(118), SERVICES: D(26), HOUSEHOLD: D(14)},
    ),
    PoolSpec(
        AI,
        SharedFunction.RECEPTION,
        "Accueil",
        KeyMethod.ETP,
        D("2640.00"),
        "Salaire et charges de l'agent d'accueil",
    ),
    PoolSpec(
        SERVICES,
        SharedFunction.DEVELOPMENT,
        "Développement et analyse du territoire",
        KeyMethod.TIME_SPENT,
        D("3380.00"),
        "Salaire et charges du chargé de développement",
        hours={AI: D(22), SERVICES: D(48), HOUSEHOLD: D(36)},
    ),
]

# (entity, kind, account, label, monthly amount, activity)
MONTHLY_ENTRIES = [
    (AI, EntryKind.COST, "6132", "Loyer du siège et de l'antenne", D("1180.00"), ""),
    (AI, EntryKind.COST, "6135", "Location de véhicules", D("460.00"), ServiceKind.PLACEMENT),
    (AI, EntryKind.COST, "6262", "Téléphone et internet", D("145.00"), ""),
    (SERVICES, EntryKind.COST, "6132", "Loyer de l'atelier", D("920.00"), ""),
    (
        SERVICES,
        EntryKind.COST,
        "6061",
        "Produits de lavage sans eau",
        D("640.00"),
        ServiceKind.CAR_WASH,
    ),
    (
        SERVICES,
        EntryKind.COST,
        "651",
        "Redevance de la franchise",
        D("250.00"),
        ServiceKind.CAR_WASH,
    ),
    (
        SERVICES,
        EntryKind.COST,
        "6063",
        "Produits d'entretien",
        D("310.00"),
        ServiceKind.OFFICE_CLEANING,
    ),
    (HOUSEHOLD, EntryKind.COST, "6132", "Loyer du local", D("610.00"), ""),
    (
        HOUSEHOLD,
        EntryKind.COST,
        "6251",
        "Frais de déplacement des intervenants",
        D("380.00"),
        ServiceKind.HOUSEWORK,
    ),
]
# (entity, kind, account, label, amount, month of the year)
YEARLY_ENTRIES = [
    (
        AI,
        EntryKind.GRANT,
        "7410",
        "Subvention du conseil départemental (accompagnement)",
        D("18000.00"),
        3,
    ),
    (
        AI,
        EntryKind.GRANT,
        "7410",
        "Fonds social européen (accompagnement renforcé)",
        D("12500.00"),
        6,
    ),
    (AI, EntryKind.COST, "616", "Assurances", D("2450.00"), 1),
    (AI, EntryKind.COST, "6226", "Honoraires du commissaire aux comptes", D("3100.00"), 4),
    (
        SERVICES,
        EntryKind.GRANT,
        "7410",
        "Aide de la commune au démarrage du lavage",
        D("2000.00"),
        2,
    ),
    (SERVICES, EntryKind.COST, "6226", "Honoraires de l'expert-comptable", D("2200.00"), 4),
    (HOUSEHOLD, EntryKind.COST, "6226", "Honoraires de l'expert-comptable", D("1800.00"), 4),
    (HOUSEHOLD, EntryKind.COST, "616", "Assurances", D("950.00"), 1),
]


def _months(today: date) -> list[date]:
    """The months of the last complete year and of the current year up to today's, each
    dated on its last day that is not after ``today``."""
    months = rules.months_between(date(today.year - 1, 1, 1), today)
    return [min(rules.period_of(rules.PeriodKind.MONTH, m).end, today) for m in months]


def load(group: Group, today: date) -> None:
    """Create what is missing of the demo group's economics."""
    entities = {e.slug: e for e in group.entities.all()}
    if not {AI, SERVICES, HOUSEHOLD} <= set(entities):
        return
    director = people_demo.demo_users(["direction"]).get("direction")
    months = _months(today)
    for spec in POOLS:
        _pool(spec, entities, months, director)
    _entries(entities, months, director)
    for annex in FinancialAnnex.objects.filter(
        convention__entity__group=group, year=today.year
    ).select_related("convention__entity"):
        actions.record_aid_entries(annex, today=today, by=director)
    ai = entities[AI]
    year = rules.period_of(rules.PeriodKind.YEAR, today)
    if not AllocationRun.objects.filter(entity__group=group, period_code=year.code).exists():
        actions.run_allocation(ai, period=year, by=director)
    if not Scenario.objects.filter(entity__group=group, name=SCENARIO_NAME).exists():
        scenario = actions.create_scenario(ai, name=SCENARIO_NAME, period=year, by=director)
        actions.add_scenario_change(
            scenario,
            change={
                "kind": "move_workers",
                "source": ai.pk,
                "target": entities[HOUSEHOLD].pk,
                "count": 3,
                "move_revenue": True,
            },
            by=director,
        )


def _pool(spec: PoolSpec, entities: dict[str, Entity], months: list[date], by: User | None) -> None:
    pool = CostPool.objects.filter(entity=entities[spec.holder], name=spec.name).first()
    if pool is None:
        pool = actions.create_pool(
            entities[spec.holder],
            function=spec.function,
            name=spec.name,
            key_method=spec.key,
            description=f"{spec.cost_label}.",
            by=by,
        )
        if spec.shares:
            FixedShare.objects.bulk_create(
                FixedShare(pool=pool, beneficiary=entities[slug], share=share)
                for slug, share in spec.shares.items()
            )
    known = set(pool.costs.values_list("day", flat=True))
    PoolCost.objects.bulk_create(
        PoolCost(pool=pool, day=day, label=spec.cost_label, amount=spec.monthly_cost, created_by=by)
        for day in months
        if day not in known
    )
    if spec.hours:
        recorded = set(pool.time_records.values_list("beneficiary__slug", "day"))
        TimeRecord.objects.bulk_create(
            TimeRecord(
                pool=pool,
                beneficiary=entities[slug],
                day=day,
                hours=hours,
                note="Relevé mensuel du temps passé",
                created_by=by,
            )
            for day in months
            for slug, hours in spec.hours.items()
            if (slug, day) not in recorded
        )


def _entries(entities: dict[str, Entity], months: list[date], by: User | None) -> None:
    wanted = [
        (entities[slug], kind, account, label, amount, activity, day)
        for slug, kind, account, label, amount, activity in MONTHLY_ENTRIES
        for day in months
    ]
    for day in months:
        for slug, kind, account, label, amount, month in YEARLY_ENTRIES:
            if day.month == month:
                wanted.append((entities[slug], kind, account, label, amount, "", day))
    known = set(
        FinancialEntry.objects.filter(entity__in=entities.values()).values_list(
            "entity_id", "day", "label"
        )
    )
    FinancialEntry.objects.bulk_create(
        FinancialEntry(
            entity=entity,
            kind=kind,
            account=account,
            label=label,
            amount=amount,
            activity=activity,
            day=day,
            created_by=by,
        )
        for entity, kind, account, label, amount, activity, day in wanted
        if (entity.pk, day, label) not in known
    )
