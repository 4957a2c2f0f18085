"""Reading the economic data of a group from the database into the pure model.

:func:`model_inputs` gathers, for a group and a period, what :mod:`economic_model` computes
from; :func:`entity_results` is the entry point other apps use (the indicators take each
entity's revenue and result from it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Abs, Cast, Coalesce, Round

from tremplin.contracts.models import Contract, Funding, StaffLoan
from tremplin.contracts.rules import ContractKind, PostType
from tremplin.core.money import format_number
from tremplin.economics import rules
from tremplin.economics.economic_model import (
    UNASSIGNED,
    AidSetting,
    EntityInfo,
    EntityResult,
    ModelInputs,
    ModelResult,
    OtherLine,
    PoolInput,
    RevenueLine,
    StaffLine,
    WorkLine,
    compute,
)
from tremplin.economics.models import CostPool, FinancialEntry, FixedShare, PoolCost, TimeRecord
from tremplin.economics.rules import ZERO
from tremplin.invoicing.models import InvoiceKind, InvoiceLine, InvoiceStatus
from tremplin.organisations.models import Convention, Entity, FinancialAnnex, Group
from tremplin.organisations.rules import LegalForm, SiaeKind
from tremplin.timesheets.models import EntryStatus, TimeEntry

# Hours that count: validated by staff (a monthly close keeps them validated; rows stored as
# locked by earlier closes count too).
COUNTED_STATUSES = (EntryStatus.VALIDATED, EntryStatus.LOCKED)


def _hundredths(expression: Any) -> Cast:
    """An exact integer count of hundredths, summable on SQLite too (where decimals are
    floats) — the same device as the monthly close."""
    return Cast(Round(expression * 100), models.BigIntegerField())


def _cents(value: int | None) -> Decimal:
    return Decimal(value or 0).scaleb(-2)


def group_entities(group: Group) -> list[Entity]:
    return list(group.entities.filter(is_active=True).order_by("name", "pk"))


def entity_results(group: Group, start: date, end: date) -> dict[int, EntityResult]:
    """Each active entity's economic result from ``start`` to ``end`` (both included), by id.

    Every ``EntityResult`` holds, in euros excl. VAT (``Decimal``):

    - ``revenue``: issued invoices minus credit notes whose service period ends (else whose
      issue date falls) in the period, by activity in ``revenue_by_activity``; of which
      ``intra_group_revenue`` invoiced to other entities of the group;
    - ``payroll_cost``: validated hours (closed months included) × the contract's gross hourly
      rate × (1 + the employer contribution rate of its kind, ``rules.EMPLOYER_RATES``), borne
      by the employer;
    - ``aid``: aide au poste earned on the ETP consumed by insertion posts, within the annexe
      financière (``rules.aid_earned``); ``aid_etp`` the yearly ETP consumed;
    - ``other_grants`` and ``other_costs``: entries made or imported (``FinancialEntry``);
    - ``shared_costs``: costs of the shared-function pools the entity holds;
      ``allocation_charged``: the part of them recharged to the other entities;
      ``allocation_received``: its part of the other entities' pools;
    - ``loans_charged`` / ``loans_received``: staff lent / borrowed at cost;
      ``intra_group_purchases``: invoices received from entities of the group;
    - ``result`` (property): products minus charges, intra-group flows included; their sum over
      the group equals the consolidated result, where those flows cancel out.
    """
    return economic_model(group, start, end).entities


def economic_model(group: Group, start: date, end: date) -> ModelResult:
    return compute(model_inputs(group, start, end))


def model_inputs(group: Group, start: date, end: date) -> ModelInputs:
    """Read everything the model of ``group`` needs from ``start`` to ``end``."""
    entities = group_entities(group)
    ids = [e.pk for e in entities]
    warnings: list[str] = []
    work, aid_before = _work_lines(ids, start, end, warnings)
    return ModelInputs(
        start=start,
        end=end,
        entities=tuple(
            EntityInfo(e.pk, e.name, e.slug, e.legal_form == LegalForm.ASSOCIATION)
            for e in entities
        ),
        revenue=tuple(_revenue_lines(entities, start, end)),
        work=tuple(work),
        staff=tuple(_staff_lines(ids, start, end)),
        others=tuple(_other_lines(ids, start, end)),
        aid=tuple(_aid_settings(ids, start, end, aid_before)),
        pools=tuple(_pools(ids, start, end)),
        warnings=tuple(warnings),
    )


def recognised_revenue(entity_ids: list[int], start: date, end: date) -> models.QuerySet[Any]:
    """Lines of issued invoices and credit notes of the period, the credit notes' amounts
    negative whatever their stored sign."""
    signed = models.Case(
        models.When(invoice__kind=InvoiceKind.CREDIT_NOTE, then=-Abs(F("amount_excl_tax"))),
        default=F("amount_excl_tax"),
    )
    return (
        InvoiceLine.objects.filter(
            invoice__entity_id__in=entity_ids, invoice__status=InvoiceStatus.ISSUED
        )
        .annotate(day=Coalesce("invoice__period_end", "invoice__issue_date"))
        .filter(day__gte=start, day__lte=end)
        .annotate(signed_cents=_hundredths(signed))
        .order_by()
    )


def _revenue_lines(entities: list[Entity], start: date, end: date) -> list[RevenueLine]:
    by_siren = {e.siren: e.pk for e in entities}
    rows = (
        recognised_revenue([e.pk for e in entities], start, end)
        .values(
            "invoice__entity_id",
            "activity",
            "analytic_code",
            "invoice__buyer_siren",
            "invoice__client__siret",
        )
        .annotate(cents=Sum("signed_cents"))
        .order_by("invoice__entity_id", "activity", "analytic_code")
    )
    lines = []
    for row in rows:
        siren = row["invoice__buyer_siren"] or (row["invoice__client__siret"] or "")[:9]
        buyer = by_siren.get(siren) if siren else None
        lines.append(
            RevenueLine(
                entity_id=row["invoice__entity_id"],
                activity=row["activity"] or UNASSIGNED,
                amount=_cents(row["cents"]),
                analytic_code=row["analytic_code"],
                buyer_id=buyer if buyer != row["invoice__entity_id"] else None,
            )
        )
    return lines


@dataclass(frozen=True, slots=True)
class _Contract:
    pk: int
    entity_id: int
    kind: str
    start: date
    end: date | None
    hourly_rate: Decimal
    aided: bool

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def _work_lines(
    entity_ids: list[int], start: date, end: date, warnings: list[str]
) -> tuple[list[WorkLine], dict[tuple[int, str, int], Decimal]]:
    """Validated hours of the period priced with the contract in force on their day, and the
    ETP-months of aided posts consumed earlier in the first year (for the annex cap)."""
    year_start = date(start.year, 1, 1)
    contracts: dict[int, list[_Contract]] = defaultdict(list)
    for c in (
        Contract.objects.filter(entity_id__in=entity_ids)
        .running_between(year_start, end)
        .order_by("start", "pk")
    ):
        contracts[c.person_id].append(
            _Contract(
                c.pk,
                c.entity_id,
                c.kind,
                c.start,
                c.end,
                c.hourly_rate,
                c.post_type == PostType.INSERTION and c.funding == Funding.AIDE_AU_POSTE,
            )
        )
    conventions: dict[int, list[Convention]] = defaultdict(list)
    for convention in Convention.objects.filter(entity_id__in=entity_ids).order_by("-start"):
        conventions[convention.entity_id].append(convention)
    loans: dict[tuple[int, int], list[StaffLoan]] = defaultdict(list)
    for loan in StaffLoan.objects.filter(
        borrower_id__in=entity_ids, start__lte=end, end__gte=year_start
    ):
        loans[(loan.contract_id, loan.borrower_id)].append(loan)

    activity = Coalesce("service__kind", "intervention__order__service__kind", Value(""))
    rows = (
        TimeEntry.objects.filter(
            entity_id__in=entity_ids,
            status__in=COUNTED_STATUSES,
            day__gte=year_start,
            day__lte=end,
        )
        .annotate(activity=activity)
        .values("entity_id", "person_id", "day", "activity")
        .annotate(cents=Sum(_hundredths(F("hours"))))
        .order_by("day", "person_id", "entity_id", "activity")
    )
    lines: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    before: dict[tuple[int, str, int], Decimal] = defaultdict(Decimal)
    uncosted = Decimal(0)
    for row in rows:
        day, hours, worked_at = row["day"], _cents(row["cents"]), row["entity_id"]
        in_force = [c for c in contracts.get(row["person_id"], []) if c.covers(day)]
        # The contract in the entity where the hours were worked, else one of another entity
        # of the group (a staff loan); the one started last when two overlap.
        contract = next(
            (c for c in reversed(in_force) if c.entity_id == worked_at),
            in_force[-1] if in_force else None,
        )
        if contract is None:
            if day >= start:
                # Counted in the entity's hours (the hours key), at no payroll cost.
                uncosted += hours
                month = day.replace(day=1)
                activity_of_day = row["activity"] or UNASSIGNED
                lines[
                    (worked_at, worked_at, row["person_id"], month, activity_of_day)
                    + (ZERO, ZERO, "", None, None)
                ] += hours
            continue
        siae = next(
            (SiaeKind(cv.kind) for cv in conventions[contract.entity_id] if cv.is_in_force(day)),
            None,
        )
        aid_kind = siae.value if (contract.aided and siae) else None
        if day < start:
            if aid_kind:
                before[(contract.entity_id, aid_kind, day.year)] += rules.etp_months(hours)
            continue
        loan_rate = None
        if contract.entity_id != worked_at:
            found = next(
                (ln for ln in loans.get((contract.pk, worked_at), []) if ln.start <= day <= ln.end),
                None,
            )
            loan_rate = found.hourly_cost if found else None
        key = (
            contract.entity_id,
            worked_at,
            row["person_id"],
            day.replace(day=1),
            row["activity"] or UNASSIGNED,
            contract.hourly_rate,
            rules.employer_rate(ContractKind(contract.kind), siae_kind=siae, on=day),
            contract.kind,
            aid_kind,
            loan_rate,
        )
        lines[key] += hours
    if uncosted:
        warnings.append(
            f"{format_number(uncosted)} h validées sans contrat en vigueur le jour travaillé : "
            "elles comptent dans les heures mais pas dans les charges de personnel."
        )
    work = [
        WorkLine(
            employer_id=k[0],
            worked_at_id=k[1],
            person_id=k[2],
            month=k[3],
            activity=k[4],
            hours=hours,
            hourly_rate=k[5],
            employer_rate=k[6],
            contract_kind=k[7],
            aid_kind=k[8],
            loan_rate=k[9],
        )
        for k, hours in lines.items()
    ]
    return work, before


def _staff_lines(entity_ids: list[int], start: date, end: date) -> list[StaffLine]:
    days = (end - start).days + 1
    lines = []
    for contract in (
        Contract.objects.filter(entity_id__in=entity_ids)
        .running_between(start, end)
        .order_by("entity_id", "person_id", "start", "pk")
    ):
        share = Decimal(rules.overlap_days(contract.start, contract.end, start, end)) / days
        lines.append(StaffLine(contract.entity_id, contract.person_id, contract.etp * share))
    return lines


def _other_lines(entity_ids: list[int], start: date, end: date) -> list[OtherLine]:
    rows = (
        FinancialEntry.objects.filter(entity_id__in=entity_ids, day__gte=start, day__lte=end)
        .values("entity_id", "kind", "activity")
        .annotate(cents=Sum(_hundredths(F("amount"))))
        .order_by("entity_id", "kind", "activity")
    )
    return [
        OtherLine(r["entity_id"], r["kind"], _cents(r["cents"]), r["activity"] or UNASSIGNED)
        for r in rows
    ]


def _aid_settings(
    entity_ids: list[int], start: date, end: date, before: dict[tuple[int, str, int], Decimal]
) -> list[AidSetting]:
    annexes: dict[tuple[int, str, int], Decimal] = defaultdict(Decimal)
    for entity_id, kind, year, etp in FinancialAnnex.objects.filter(
        convention__entity_id__in=entity_ids, year__gte=start.year, year__lte=end.year
    ).values_list("convention__entity_id", "convention__kind", "year", "etp"):
        annexes[(entity_id, kind, year)] += etp
    keys = set(annexes) | set(before)
    return [
        AidSetting(e, y, k, annexes.get((e, k, y)), before.get((e, k, y), rules.ZERO))
        for e, k, y in sorted(keys)
    ]


def _pools(entity_ids: list[int], start: date, end: date) -> list[PoolInput]:
    pools = list(
        CostPool.objects.filter(entity_id__in=entity_ids).order_by("function", "name", "pk")
    )
    costs = dict(
        PoolCost.objects.filter(pool__in=pools, day__gte=start, day__lte=end)
        .values("pool_id")
        .annotate(cents=Sum(_hundredths(F("amount"))))
        .values_list("pool_id", "cents")
        .order_by()
    )
    spent: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pool_id, entity_id, cents in (
        TimeRecord.objects.filter(pool__in=pools, day__gte=start, day__lte=end)
        .values("pool_id", "beneficiary_id")
        .annotate(cents=Sum(_hundredths(F("hours"))))
        .values_list("pool_id", "beneficiary_id", "cents")
        .order_by()
    ):
        spent[pool_id][entity_id] = _cents(cents)
    shares: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pool_id, entity_id, share in FixedShare.objects.filter(pool__in=pools).values_list(
        "pool_id", "beneficiary_id", "share"
    ):
        shares[pool_id][entity_id] = share
    return [
        PoolInput(
            id=p.pk,
            name=p.name,
            function=p.function,
            holder_id=p.entity_id,
            cost=_cents(costs.get(p.pk)),
            method=p.key_method,
            time_spent=spent.get(p.pk, {}),
            fixed_shares=shares.get(p.pk, {}),
        )
        for p in pools
    ]


def lucrative_revenue(entity: Entity, year: int) -> tuple[Decimal, list[tuple[str, Decimal, bool]]]:
    """The association's revenue of ``year`` from activities it treats as lucrative, and each
    activity's revenue with its status (``ActivityTaxStatus``, else the rules' default)."""
    from tremplin.economics.models import ActivityTaxStatus

    statuses = dict(
        ActivityTaxStatus.objects.filter(entity=entity).values_list("activity", "is_lucrative")
    )
    rows = (
        recognised_revenue([entity.pk], date(year, 1, 1), date(year, 12, 31))
        .exclude(Q(activity=""))
        .values("activity")
        .annotate(cents=Sum("signed_cents"))
        .order_by("activity")
    )
    by_activity = []
    total = Decimal(0)
    for row in rows:
        lucrative = statuses.get(row["activity"], rules.is_lucrative_by_default(row["activity"]))
        amount = _cents(row["cents"])
        by_activity.append((row["activity"], amount, lucrative))
        if lucrative:
            total += amount
    return total, by_activity
