"""The economic model of a group over a period, as a pure computation.

:class:`ModelInputs` holds plain values read from the database by
:func:`tremplin.economics.queries.model_inputs` (invoiced revenue, hours with their contract's
pay, ETP, other grants and costs, shared-function pools and the data of their keys);
:func:`compute` turns them into each entity's result, the allocation of every pool, the
intra-group recharges and the consolidated result with those recharges eliminated. Scenarios
copy the inputs, change them (:func:`apply_changes`) and compute again. No database, no clock.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from tremplin.contracts.rules import ContractKind
from tremplin.economics import rules
from tremplin.economics.rules import ZERO, EntryKind, KeyMethod
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.rules import SiaeKind

UNASSIGNED = ""  # activity of hours, costs or revenue not tied to a service kind


def activity_label(activity: str) -> str:
    if activity == UNASSIGNED:
        return "Non affecté"
    if activity in ServiceKind.values:
        return str(ServiceKind(activity).label)
    return activity


# --- Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntityInfo:
    id: int
    name: str
    slug: str
    is_association: bool = False


@dataclass(frozen=True, slots=True)
class RevenueLine:
    """Invoiced revenue excl. VAT (credit notes negative) of one entity for one activity;
    ``buyer_id``: the group entity that bought it, for intra-group sales."""

    entity_id: int
    activity: str
    amount: Decimal
    analytic_code: str = ""
    buyer_id: int | None = None


@dataclass(frozen=True, slots=True)
class WorkLine:
    """Validated hours of one worker in one month, priced with their contract.

    ``employer_id`` pays them; ``worked_at_id`` is the entity where they were worked (another
    one for a staff loan, recharged at ``loan_rate`` an hour). ``aid_kind``: the SIAE kind
    whose aide au poste finances the post, if any.
    """

    employer_id: int
    worked_at_id: int
    person_id: int
    month: date
    activity: str
    hours: Decimal
    hourly_rate: Decimal
    employer_rate: Decimal
    contract_kind: str
    aid_kind: str | None = None
    loan_rate: Decimal | None = None

    @property
    def cost(self) -> Decimal:
        return rules.payroll_cost(self.hours, self.hourly_rate, self.employer_rate)

    @property
    def is_loan(self) -> bool:
        return self.worked_at_id != self.employer_id and self.loan_rate is not None

    @property
    def loan_amount(self) -> Decimal:
        return rules.to_cents(self.hours * self.loan_rate) if self.loan_rate else ZERO


@dataclass(frozen=True, slots=True)
class StaffLine:
    """One worker under contract in an entity during the period, with the contract's ETP
    prorated to the days it ran within the period."""

    entity_id: int
    person_id: int
    etp: Decimal


@dataclass(frozen=True, slots=True)
class OtherLine:
    """A grant (other than the aide au poste) or a cost entered or imported from accounting."""

    entity_id: int
    kind: str  # EntryKind
    amount: Decimal
    activity: str = UNASSIGNED
    label: str = ""


@dataclass(frozen=True, slots=True)
class AidSetting:
    """The annexe financière of one entity, SIAE kind and year: financed ETP (``None``: no
    annex) and the ETP-months already consumed that year before the period."""

    entity_id: int
    year: int
    kind: str  # SiaeKind
    annex_etp: Decimal | None
    consumed_before: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PoolInput:
    """A shared-function cost pool held (paid) by ``holder_id``, its cost over the period, its
    key, and the data of the keys that are entered rather than read."""

    id: int
    name: str
    function: str
    holder_id: int
    cost: Decimal
    method: str  # KeyMethod
    time_spent: Mapping[int, Decimal] = field(default_factory=dict)
    fixed_shares: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelInputs:
    start: date
    end: date
    entities: tuple[EntityInfo, ...]
    revenue: tuple[RevenueLine, ...] = ()
    work: tuple[WorkLine, ...] = ()
    staff: tuple[StaffLine, ...] = ()
    others: tuple[OtherLine, ...] = ()
    aid: tuple[AidSetting, ...] = ()
    pools: tuple[PoolInput, ...] = ()
    warnings: tuple[str, ...] = ()


# --- Results ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Margin:
    revenue: Decimal = ZERO
    payroll: Decimal = ZERO
    costs: Decimal = ZERO

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.payroll - self.costs


@dataclass(slots=True)
class EntityResult:
    """One entity's economic result over the period (all amounts in euros, excl. VAT).

    result = revenue + aid + other grants + allocation charged to others + staff lent
             − payroll − other costs − shared-function costs held − allocation received
             − staff borrowed − intra-group purchases
    """

    entity_id: int
    name: str
    slug: str = ""
    revenue: Decimal = ZERO  # invoiced, intra-group sales included
    intra_group_revenue: Decimal = ZERO
    aid: Decimal = ZERO
    other_grants: Decimal = ZERO
    payroll_cost: Decimal = ZERO
    other_costs: Decimal = ZERO
    shared_costs: Decimal = ZERO  # cost of the pools this entity holds
    allocation_charged: Decimal = ZERO  # of its pools, recharged to the other entities
    allocation_received: Decimal = ZERO  # of the other entities' pools, recharged to it
    loans_charged: Decimal = ZERO
    loans_received: Decimal = ZERO
    intra_group_purchases: Decimal = ZERO
    hours: Decimal = ZERO
    aid_etp: Decimal = ZERO  # ETP consumed by posts financed by the aide au poste (yearly ETP)
    headcount: int = 0
    etp: Decimal = ZERO
    revenue_by_activity: dict[str, Decimal] = field(default_factory=dict)
    margins: dict[str, Margin] = field(default_factory=dict)
    aid_months: list[rules.AidMonth] = field(default_factory=list)
    aid_by_kind: dict[str, Decimal] = field(default_factory=dict)

    @property
    def external_revenue(self) -> Decimal:
        return self.revenue - self.intra_group_revenue

    @property
    def products(self) -> Decimal:
        return (
            self.revenue
            + self.aid
            + self.other_grants
            + self.allocation_charged
            + self.loans_charged
        )

    @property
    def charges(self) -> Decimal:
        return (
            self.payroll_cost
            + self.other_costs
            + self.shared_costs
            + self.allocation_received
            + self.loans_received
            + self.intra_group_purchases
        )

    @property
    def result(self) -> Decimal:
        return self.products - self.charges

    @property
    def shared_net(self) -> Decimal:
        """What the shared functions cost the entity once the allocation is done."""
        return self.shared_costs - self.allocation_charged + self.allocation_received

    @property
    def intra_group_products(self) -> Decimal:
        return self.intra_group_revenue + self.allocation_charged + self.loans_charged

    @property
    def intra_group_charges(self) -> Decimal:
        return self.intra_group_purchases + self.allocation_received + self.loans_received


@dataclass(frozen=True, slots=True)
class PoolAllocation:
    pool_id: int
    name: str
    holder_id: int
    cost: Decimal
    method: str
    drivers: dict[int, Decimal]
    amounts: dict[int, Decimal]  # empty when the key could not divide the pool
    error: str = ""


class RechargeNature:
    POOL = "pool"
    LOAN = "loan"
    INVOICE = "invoice"
    LABELS = {
        "pool": "Fonction partagée",
        "loan": "Prêt de main-d'œuvre",
        "invoice": "Facture intra-groupe",
    }


@dataclass(frozen=True, slots=True)
class Recharge:
    """``from_id`` recharges ``amount`` to ``to_id`` (a product for the first, a charge for the
    second; both are eliminated in the consolidated result)."""

    from_id: int
    to_id: int
    nature: str
    label: str
    amount: Decimal


@dataclass(slots=True)
class ModelResult:
    start: date
    end: date
    entities: dict[int, EntityResult]
    allocations: list[PoolAllocation]
    recharges: list[Recharge]
    warnings: list[str]

    @property
    def group_result(self) -> Decimal:
        return sum((e.result for e in self.entities.values()), ZERO)

    @property
    def group_aid(self) -> Decimal:
        return sum((e.aid for e in self.entities.values()), ZERO)

    def external_flows(self) -> Decimal:
        """The consolidated result read from flows with the outside only."""
        return sum(
            (
                e.external_revenue
                + e.aid
                + e.other_grants
                - e.payroll_cost
                - e.other_costs
                - e.shared_costs
                for e in self.entities.values()
            ),
            ZERO,
        )


# --- Computation --------------------------------------------------------------------------------


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def key_drivers(
    method: str, inputs: ModelInputs, pool: PoolInput | None = None
) -> dict[int, Decimal]:
    """The value of a key for each entity of the group, recomputed from the data it names:
    validated hours worked in the entity, workers under contract, their contractual ETP,
    revenue invoiced to clients outside the group, hours the function spent for the entity,
    or the fixed shares."""
    drivers = {e.id: Decimal(0) for e in inputs.entities}
    key = KeyMethod(method)
    if key is KeyMethod.HOURS:
        for line in inputs.work:
            if line.worked_at_id in drivers:
                drivers[line.worked_at_id] += line.hours
    elif key is KeyMethod.HEADCOUNT:
        people: dict[int, set[int]] = defaultdict(set)
        for staff in inputs.staff:
            people[staff.entity_id].add(staff.person_id)
        for entity_id, members in people.items():
            if entity_id in drivers:
                drivers[entity_id] = Decimal(len(members))
    elif key is KeyMethod.ETP:
        for staff in inputs.staff:
            if staff.entity_id in drivers:
                drivers[staff.entity_id] += staff.etp
    elif key is KeyMethod.REVENUE:
        for revenue in inputs.revenue:
            if revenue.entity_id in drivers and revenue.buyer_id is None:
                drivers[revenue.entity_id] += revenue.amount
        drivers = {k: max(v, Decimal(0)) for k, v in drivers.items()}
    elif key is KeyMethod.TIME_SPENT:
        assert pool is not None
        for entity_id, hours in pool.time_spent.items():
            if entity_id in drivers:
                drivers[entity_id] += hours
    else:
        assert pool is not None
        for entity_id, share in pool.fixed_shares.items():
            if entity_id in drivers:
                drivers[entity_id] += share
    return drivers


def allocate_pool(pool: PoolInput, inputs: ModelInputs) -> PoolAllocation:
    """Divide a pool among the group's entities by its key, to the cent (largest remainder)."""
    drivers = key_drivers(pool.method, inputs, pool)
    try:
        amounts = rules.largest_remainder(pool.cost, drivers)
    except ValueError as exc:
        return PoolAllocation(
            pool.id,
            pool.name,
            pool.holder_id,
            pool.cost,
            pool.method,
            drivers,
            {},
            f"« {pool.name} » n'a pas été réparti : {exc} Son coût reste à la structure qui le "
            "porte.",
        )
    return PoolAllocation(
        pool.id, pool.name, pool.holder_id, pool.cost, pool.method, drivers, amounts
    )


def compute(inputs: ModelInputs) -> ModelResult:
    """Each entity's result, the pools' allocation and the intra-group recharges."""
    entities = {e.id: EntityResult(e.id, e.name, e.slug) for e in inputs.entities}
    warnings = list(inputs.warnings)
    recharges: list[Recharge] = []

    for sale in inputs.revenue:
        entity = entities[sale.entity_id]
        entity.revenue += sale.amount
        entity.revenue_by_activity[sale.activity] = (
            entity.revenue_by_activity.get(sale.activity, ZERO) + sale.amount
        )
        entity.margins.setdefault(sale.activity, Margin()).revenue += sale.amount
        if sale.buyer_id is not None and sale.buyer_id != sale.entity_id:
            entity.intra_group_revenue += sale.amount
            entities[sale.buyer_id].intra_group_purchases += sale.amount
            recharges.append(
                Recharge(
                    sale.entity_id,
                    sale.buyer_id,
                    RechargeNature.INVOICE,
                    activity_label(sale.activity),
                    sale.amount,
                )
            )

    consumed: dict[tuple[int, str, int], dict[date, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    loans: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for line in inputs.work:
        employer = entities[line.employer_id]
        cost = line.cost
        employer.payroll_cost += cost
        entities[line.worked_at_id].hours += line.hours
        if line.is_loan:
            amount = line.loan_amount
            employer.loans_charged += amount
            entities[line.worked_at_id].loans_received += amount
            loans[(line.employer_id, line.worked_at_id)] += amount
            entities[line.worked_at_id].margins.setdefault(
                line.activity, Margin()
            ).payroll += amount
        else:
            employer.margins.setdefault(line.activity, Margin()).payroll += cost
        if line.aid_kind:
            consumed[(line.employer_id, line.aid_kind, line.month.year)][line.month] += line.hours
    for (lender, borrower), amount in sorted(loans.items()):
        recharges.append(
            Recharge(lender, borrower, RechargeNature.LOAN, "Salariés prêtés (au coût)", amount)
        )

    settings = {(a.entity_id, a.kind, a.year): a for a in inputs.aid}
    for (entity_id, kind, year), hours_by_month in sorted(consumed.items()):
        setting = settings.get((entity_id, kind, year))
        if setting is None or setting.annex_etp is None:
            warnings.append(
                f"{entities[entity_id].name} : aucune annexe financière {kind} pour {year}, "
                "l'aide au poste n'est pas comptée."
            )
        months = rules.aid_earned(
            SiaeKind(kind),
            {m: rules.etp_months(h) for m, h in hours_by_month.items()},
            annex_etp=setting.annex_etp if setting else None,
            consumed_before=setting.consumed_before if setting else ZERO,
        )
        entity = entities[entity_id]
        entity.aid_months.extend(months)
        earned = _sum(m.amount for m in months)
        entity.aid += earned
        entity.aid_by_kind[kind] = entity.aid_by_kind.get(kind, ZERO) + earned
        entity.aid_etp += sum((m.etp for m in months), Decimal(0)) / 12

    for other in inputs.others:
        entity = entities[other.entity_id]
        if other.kind == EntryKind.GRANT:
            entity.other_grants += other.amount
        else:
            entity.other_costs += other.amount
            entity.margins.setdefault(other.activity, Margin()).costs += other.amount

    people: dict[int, set[int]] = defaultdict(set)
    for staff in inputs.staff:
        people[staff.entity_id].add(staff.person_id)
        entities[staff.entity_id].etp += staff.etp
    for entity_id, members in people.items():
        entities[entity_id].headcount = len(members)

    allocations = []
    for pool in inputs.pools:
        allocation = allocate_pool(pool, inputs)
        allocations.append(allocation)
        holder = entities[pool.holder_id]
        holder.shared_costs += pool.cost
        if allocation.error:
            warnings.append(allocation.error)
            continue
        for entity_id, amount in allocation.amounts.items():
            if entity_id == pool.holder_id or not amount:
                continue
            holder.allocation_charged += amount
            entities[entity_id].allocation_received += amount
            recharges.append(
                Recharge(pool.holder_id, entity_id, RechargeNature.POOL, pool.name, amount)
            )
    return ModelResult(inputs.start, inputs.end, entities, allocations, recharges, warnings)


# --- Consolidated P&L ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PnlRow:
    label: str
    values: list[Decimal]  # one per entity, in the order of ``entities``
    elimination: Decimal
    group: Decimal
    is_total: bool = False


_PNL_LINES: tuple[tuple[str, str, bool], ...] = (
    ("Chiffre d'affaires facturé", "revenue", True),
    ("Aide au poste", "aid", False),
    ("Autres subventions", "other_grants", False),
    ("Refacturation des fonctions partagées", "allocation_charged", True),
    ("Salariés prêtés refacturés", "loans_charged", True),
    ("Charges de personnel", "payroll_cost", False),
    ("Autres charges", "other_costs", False),
    ("Coût des fonctions partagées portées", "shared_costs", False),
    ("Fonctions partagées refacturées par le groupe", "allocation_received", True),
    ("Salariés empruntés au groupe", "loans_received", True),
    ("Achats à une structure du groupe", "intra_group_purchases", True),
)
_ELIMINATED_PART = {
    "revenue": "intra_group_revenue",
    "allocation_charged": "allocation_charged",
    "loans_charged": "loans_charged",
    "allocation_received": "allocation_received",
    "loans_received": "loans_received",
    "intra_group_purchases": "intra_group_purchases",
}


def consolidated_pnl(result: ModelResult) -> list[PnlRow]:
    """The P&L of each entity side by side, the intra-group flows eliminated, and the group.

    Products are positive, charges negative; the elimination column removes what entities of
    the group invoiced or recharged to one another, on both sides, so the group column holds
    only flows with the outside.
    """
    entities = list(result.entities.values())
    rows = []
    products = {"revenue", "aid", "other_grants", "allocation_charged", "loans_charged"}
    for label, name, _intra in _PNL_LINES:
        sign = 1 if name in products else -1
        values = [sign * getattr(e, name) for e in entities]
        part = _ELIMINATED_PART.get(name)
        elimination = -sign * _sum(getattr(e, part) for e in entities) if part else ZERO
        rows.append(PnlRow(label, values, elimination, _sum(values) + elimination))
    values = [e.result for e in entities]
    elimination = _sum(r.elimination for r in rows)
    rows.append(PnlRow("Résultat", values, elimination, _sum(values) + elimination, True))
    return rows


# --- Scenarios ----------------------------------------------------------------------------------


def pick_workers(inputs: ModelInputs, source_id: int, count: int) -> list[int]:
    """The ``count`` insertion workers of ``source_id`` (posts financed by the aide au poste)
    who worked the most hours in the period; ties to the lower id."""
    hours: dict[int, Decimal] = defaultdict(Decimal)
    for line in inputs.work:
        if line.employer_id == source_id and line.aid_kind:
            hours[line.person_id] += line.hours
    ranked = sorted(hours, key=lambda p: (-hours[p], p))
    return ranked[:count]


def move_workers(
    inputs: ModelInputs,
    *,
    source_id: int,
    target_id: int,
    person_ids: Sequence[int],
    contract_kind: str = ContractKind.CDI,
    move_revenue: bool = True,
) -> ModelInputs:
    """Hire ``person_ids`` of ``source_id`` in ``target_id`` under ``contract_kind`` (a CDI by
    default): their hours and pay move with the target's contributions and without aide au
    poste; with ``move_revenue``, the revenue of each activity moves in proportion to the
    hours they worked on it at the source."""
    moving = set(person_ids)
    source_hours: dict[str, Decimal] = defaultdict(Decimal)
    moved_hours: dict[str, Decimal] = defaultdict(Decimal)
    work = []
    for line in inputs.work:
        if line.worked_at_id == source_id:
            source_hours[line.activity] += line.hours
        if line.employer_id != source_id or line.person_id not in moving:
            work.append(line)
            continue
        if line.worked_at_id == source_id:
            moved_hours[line.activity] += line.hours
        worked_at = target_id if line.worked_at_id == source_id else line.worked_at_id
        work.append(
            replace(
                line,
                employer_id=target_id,
                worked_at_id=worked_at,
                contract_kind=contract_kind,
                aid_kind=None,
                employer_rate=rules.employer_rate(
                    ContractKind(contract_kind), siae_kind=None, on=line.month
                ),
                loan_rate=line.loan_rate if worked_at != target_id else None,
            )
        )
    staff = tuple(
        replace(s, entity_id=target_id) if s.entity_id == source_id and s.person_id in moving else s
        for s in inputs.staff
    )
    revenue = list(inputs.revenue)
    if move_revenue:
        revenue = []
        for sale in inputs.revenue:
            total = source_hours.get(sale.activity)
            moved = moved_hours.get(sale.activity)
            if sale.entity_id != source_id or not total or not moved:
                revenue.append(sale)
                continue
            part = rules.to_cents(sale.amount * moved / total)
            revenue.append(replace(sale, amount=sale.amount - part))
            revenue.append(replace(sale, entity_id=target_id, amount=part))
    return replace(inputs, work=tuple(work), staff=staff, revenue=tuple(revenue))


def add_activity(
    inputs: ModelInputs, *, entity_id: int, label: str, revenue: Decimal, cost: Decimal
) -> ModelInputs:
    """A new activity of ``entity_id``: its revenue and its cost (one other-cost line)."""
    return replace(
        inputs,
        revenue=(*inputs.revenue, RevenueLine(entity_id, label, revenue)),
        others=(*inputs.others, OtherLine(entity_id, EntryKind.COST, cost, label, label)),
    )


def change_key(
    inputs: ModelInputs,
    *,
    pool_id: int,
    method: str,
    fixed_shares: Mapping[int, Decimal] | None = None,
) -> ModelInputs:
    """Divide the pool ``pool_id`` by another key (and fixed shares, for that method)."""
    pools = tuple(
        replace(p, method=method, fixed_shares=dict(fixed_shares or p.fixed_shares))
        if p.id == pool_id
        else p
        for p in inputs.pools
    )
    return replace(inputs, pools=pools)


class ChangeKind:
    MOVE_WORKERS = "move_workers"
    ADD_ACTIVITY = "add_activity"
    CHANGE_KEY = "change_key"


def apply_change(inputs: ModelInputs, change: Mapping[str, Any]) -> ModelInputs:
    """Apply one stored change (a JSON object, see :class:`ChangeKind`)."""
    kind = change["kind"]
    if kind == ChangeKind.MOVE_WORKERS:
        return move_workers(
            inputs,
            source_id=int(change["source"]),
            target_id=int(change["target"]),
            person_ids=[int(p) for p in change["person_ids"]],
            contract_kind=change.get("contract_kind", ContractKind.CDI),
            move_revenue=bool(change.get("move_revenue", True)),
        )
    if kind == ChangeKind.ADD_ACTIVITY:
        return add_activity(
            inputs,
            entity_id=int(change["entity"]),
            label=str(change["label"]),
            revenue=Decimal(change["revenue"]),
            cost=Decimal(change["cost"]),
        )
    if kind == ChangeKind.CHANGE_KEY:
        return change_key(
            inputs,
            pool_id=int(change["pool"]),
            method=str(change["method"]),
            fixed_shares={int(k): Decimal(v) for k, v in change.get("shares", {}).items()},
        )
    raise ValueError(f"Modification de scénario inconnue : {kind}")


def apply_changes(inputs: ModelInputs, changes: Iterable[Mapping[str, Any]]) -> ModelInputs:
    for change in changes:
        inputs = apply_change(inputs, change)
    return inputs


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    label: str
    base: Decimal
    scenario: Decimal
    is_total: bool = False
    is_charge: bool = False  # a rise is bad news

    @property
    def difference(self) -> Decimal:
        return self.scenario - self.base

    @property
    def is_better(self) -> bool:
        return (self.difference < 0) if self.is_charge else (self.difference > 0)


def compare(base: ModelResult, scenario: ModelResult) -> list[ComparisonRow]:
    """Base and scenario side by side: each entity's result, revenue, payroll cost and aide au
    poste, then the group's aide au poste and result."""
    rows = []
    for entity_id, before in base.entities.items():
        after = scenario.entities[entity_id]
        rows += [
            ComparisonRow(f"{before.name} — chiffre d'affaires", before.revenue, after.revenue),
            ComparisonRow(
                f"{before.name} — charges de personnel",
                before.payroll_cost,
                after.payroll_cost,
                is_charge=True,
            ),
            ComparisonRow(f"{before.name} — aide au poste", before.aid, after.aid),
            ComparisonRow(f"{before.name} — résultat", before.result, after.result, True),
        ]
    rows.append(ComparisonRow("Groupe — aide au poste", base.group_aid, scenario.group_aid))
    rows.append(
        ComparisonRow("Groupe — résultat consolidé", base.group_result, scenario.group_result, True)
    )
    return rows


# --- Storage of inputs (scenarios keep a copy of their base) ------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


_DECIMALS = {
    "amount", "hours", "hourly_rate", "employer_rate", "loan_rate", "etp", "annex_etp",
    "consumed_before", "cost",
}  # fmt: skip


def _decode_fields(cls: type, data: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        raw = data.get(f.name, f.default)
        if f.name in _DECIMALS and raw is not None:
            raw = Decimal(raw)
        elif f.name in {"month"}:
            raw = date.fromisoformat(raw)
        elif f.name in {"time_spent", "fixed_shares"}:
            raw = {int(k): Decimal(v) for k, v in (raw or {}).items()}
        values[f.name] = raw
    return cls(**values)


def inputs_to_json(inputs: ModelInputs) -> dict[str, Any]:
    return {
        f.name: _encode(
            [dataclasses.asdict(item) for item in getattr(inputs, f.name)]
            if f.name not in {"start", "end", "warnings"}
            else getattr(inputs, f.name)
        )
        for f in dataclasses.fields(ModelInputs)
    }


_ITEM_CLASSES: dict[str, type] = {
    "entities": EntityInfo,
    "revenue": RevenueLine,
    "work": WorkLine,
    "staff": StaffLine,
    "others": OtherLine,
    "aid": AidSetting,
    "pools": PoolInput,
}


def inputs_from_json(data: Mapping[str, Any]) -> ModelInputs:
    return ModelInputs(
        start=date.fromisoformat(data["start"]),
        end=date.fromisoformat(data["end"]),
        warnings=tuple(data.get("warnings", ())),
        **{
            name: tuple(_decode_fields(cls, item) for item in data.get(name, ()))
            for name, cls in _ITEM_CLASSES.items()
        },
    )
