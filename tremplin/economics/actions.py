"""Changes to the group's economic data: entries and accounting imports, aide au poste entries,
shared-function pools and keys, allocation runs, scenarios, lucrative activities.

Each function is atomic, takes the actor as ``by=`` and writes one audit entry.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from django.db import transaction

from tremplin.core import audit
from tremplin.economics import economic_model, queries, rules
from tremplin.economics.models import (
    AccountingImport,
    ActivityTaxStatus,
    AidEntry,
    AidEntryKind,
    Allocation,
    AllocationRun,
    CostPool,
    EntrySource,
    FinancialEntry,
    FixedShare,
    PoolCost,
    Recharge,
    Scenario,
    TimeRecord,
)
from tremplin.economics.rules import EconomicPeriod, EntryKind
from tremplin.organisations.models import Entity, FinancialAnnex
from tremplin.organisations.rules import SiaeKind

if TYPE_CHECKING:
    from tremplin.accounts.models import User

MAX_IMPORT_ERRORS_KEPT = 200


# --- Grants and costs ---------------------------------------------------------------------------


@transaction.atomic
def record_entry(
    entity: Entity,
    *,
    kind: EntryKind,
    day: date,
    label: str,
    amount: Decimal,
    account: str = "",
    analytic_code: str = "",
    activity: str = "",
    by: User | None,
) -> FinancialEntry:
    """Record a grant or a cost entered by hand."""
    entry = FinancialEntry.objects.create(
        entity=entity,
        kind=kind,
        day=day,
        label=label,
        amount=amount,
        account=account,
        analytic_code=analytic_code,
        activity=activity,
        created_by=by,
    )
    audit.log(
        entry,
        "economics.entry_recorded",
        by=by,
        data={"kind": kind, "day": day.isoformat(), "amount": str(amount), "label": label},
    )
    return entry


def _import_key(entity: Entity, line: rules.ImportedLine, occurrence: int) -> str:
    content = "|".join(
        [
            str(entity.pk),
            line.day.isoformat(),
            line.account,
            line.label,
            str(line.amount),
            line.analytic_code,
            line.activity,
            line.reference,
            str(occurrence),
        ]
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _rows(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = content.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:2048], delimiters=";,\t") if text.strip() else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    return header, [dict(row) for row in reader]


@transaction.atomic
def import_accounting(
    entity: Entity, *, content: bytes, original_name: str, by: User | None
) -> AccountingImport:
    """Read an accounting CSV (``rules.IMPORT_COLUMNS``; ``;`` or ``,`` separated, UTF-8):
    class 6 accounts become costs, account 74 grants.

    Good lines are kept even when others are wrong; each wrong line is reported with its
    number, its column and the reason. A line already imported (same content, same rank among
    identical lines of its file) is skipped, so importing a file twice adds nothing.
    """
    record = AccountingImport.objects.create(
        entity=entity, original_name=original_name[:255], uploaded_by=by
    )
    errors: list[rules.ImportProblem] = []
    try:
        header, rows = _rows(content)
    except (UnicodeDecodeError, csv.Error):
        header, rows = [], []
        errors.append(
            rules.ImportProblem(
                1, "fichier", "fichier illisible : un CSV encodé en UTF-8 est attendu"
            )
        )
    missing = [c for c in rules.REQUIRED_COLUMNS if c not in header]
    if header and missing:
        errors.append(
            rules.ImportProblem(1, ", ".join(missing), "colonne(s) absente(s) de l'en-tête")
        )
        rows = []
    seen: Counter[tuple[Any, ...]] = Counter()
    imported = duplicates = 0
    error_lines: set[int] = set()
    for number, row in enumerate(rows, start=2):
        parsed = rules.parse_import_row(number, row)
        if isinstance(parsed, list):
            errors.extend(parsed)
            error_lines.add(number)
            continue
        identity = (parsed.day, parsed.account, parsed.label, parsed.amount, parsed.reference)
        seen[identity] += 1
        key = _import_key(entity, parsed, seen[identity])
        if FinancialEntry.objects.filter(import_key=key).exists():
            duplicates += 1
            continue
        FinancialEntry.objects.create(
            entity=entity,
            kind=parsed.kind,
            day=parsed.day,
            account=parsed.account,
            label=parsed.label,
            amount=parsed.amount,
            analytic_code=parsed.analytic_code,
            activity=parsed.activity,
            reference=parsed.reference,
            source=EntrySource.IMPORT,
            import_key=key,
            accounting_import=record,
            created_by=by,
        )
        imported += 1
    record.total_rows = len(rows)
    record.imported_rows = imported
    record.duplicate_rows = duplicates
    record.error_rows = len(error_lines) or (1 if errors else 0)
    record.errors = [
        {"line": e.line, "column": e.column, "reason": e.reason}
        for e in errors[:MAX_IMPORT_ERRORS_KEPT]
    ]
    record.save()
    audit.log(
        record,
        "economics.accounting_imported",
        by=by,
        data={"imported": imported, "duplicates": duplicates, "errors": record.error_rows},
    )
    return record


# --- Aide au poste ------------------------------------------------------------------------------


@transaction.atomic
def record_aid_entries(annex: FinancialAnnex, *, today: date, by: User | None) -> int:
    """Write the aide au poste entries of ``annex`` due by ``today``: the monthly advances of
    the months begun, and once the year is over the regularisation on the ETP consumed
    (domain.md §1.1). Entries already written are left as they are; returns how many were
    added."""
    entity = annex.convention.entity
    kind = SiaeKind(annex.convention.kind)
    added = 0
    for month in rules.months_between(date(annex.year, 1, 1), date(annex.year, 12, 31)):
        if month > today:
            break
        _, created = AidEntry.objects.get_or_create(
            annex=annex,
            kind=AidEntryKind.ADVANCE,
            month=month,
            defaults={
                "entity": entity,
                "amount": rules.aid_advance(kind, annex.etp, month),
                "created_by": by,
            },
        )
        added += created
    year_end = date(annex.year, 12, 31)
    regularisation_month = year_end + relativedelta(days=1)
    if (
        today > year_end
        and not AidEntry.objects.filter(annex=annex, kind=AidEntryKind.REGULARISATION).exists()
    ):
        result = queries.economic_model(entity.group, date(annex.year, 1, 1), year_end)
        earned = result.entities[entity.pk].aid_by_kind.get(kind.value, rules.ZERO)
        consumed = result.entities[entity.pk].aid_etp
        advances = sum(
            AidEntry.objects.filter(annex=annex, kind=AidEntryKind.ADVANCE).values_list(
                "amount", flat=True
            ),
            rules.ZERO,
        )
        AidEntry.objects.create(
            annex=annex,
            entity=entity,
            kind=AidEntryKind.REGULARISATION,
            month=regularisation_month,
            amount=earned - advances,
            etp=consumed.quantize(Decimal("0.001")),
            created_by=by,
        )
        added += 1
    audit.log(annex, "economics.aid_entries_recorded", by=by, entity=entity, data={"added": added})
    return added


# --- Shared functions ---------------------------------------------------------------------------


@transaction.atomic
def create_pool(
    entity: Entity,
    *,
    function: str,
    name: str,
    key_method: str,
    description: str = "",
    by: User | None,
) -> CostPool:
    pool = CostPool.objects.create(
        entity=entity, function=function, name=name, key_method=key_method, description=description
    )
    audit.log(pool, "economics.pool_created", by=by, data={"name": name, "key": key_method})
    return pool


@transaction.atomic
def set_pool_key(
    pool: CostPool, *, key_method: str, shares: dict[Entity, Decimal] | None, by: User | None
) -> CostPool:
    """Change the key of a pool; for fixed shares, replace the shares (valid: see
    ``rules.fixed_share_errors``)."""
    before = pool.key_method
    pool.key_method = key_method
    pool.save(update_fields=["key_method"])
    if shares is not None:
        pool.fixed_shares.all().delete()
        FixedShare.objects.bulk_create(
            FixedShare(pool=pool, beneficiary=entity, share=share)
            for entity, share in shares.items()
        )
    audit.log(
        pool,
        "economics.pool_key_changed",
        by=by,
        data={
            "key": [before, key_method],
            "shares": {e.slug: str(s) for e, s in (shares or {}).items()},
        },
    )
    return pool


@transaction.atomic
def add_pool_cost(
    pool: CostPool, *, day: date, label: str, amount: Decimal, by: User | None
) -> PoolCost:
    cost = PoolCost.objects.create(pool=pool, day=day, label=label, amount=amount, created_by=by)
    audit.log(
        pool,
        "economics.pool_cost_added",
        by=by,
        data={"day": day.isoformat(), "label": label, "amount": str(amount)},
    )
    return cost


@transaction.atomic
def add_time_record(
    pool: CostPool,
    *,
    beneficiary: Entity,
    day: date,
    hours: Decimal,
    note: str = "",
    by: User | None,
) -> TimeRecord:
    record = TimeRecord.objects.create(
        pool=pool, beneficiary=beneficiary, day=day, hours=hours, note=note, created_by=by
    )
    audit.log(
        pool,
        "economics.time_recorded",
        by=by,
        data={"beneficiary": beneficiary.slug, "day": day.isoformat(), "hours": str(hours)},
    )
    return record


# --- Allocation runs ----------------------------------------------------------------------------


def _pnl_json(result: economic_model.ModelResult) -> dict[str, Any]:
    return {
        "entities": [e.name for e in result.entities.values()],
        "rows": [
            {
                "label": row.label,
                "values": [str(v) for v in row.values],
                "elimination": str(row.elimination),
                "group": str(row.group),
                "is_total": row.is_total,
            }
            for row in economic_model.consolidated_pnl(result)
        ],
    }


@transaction.atomic
def run_allocation(entity: Entity, *, period: EconomicPeriod, by: User | None) -> AllocationRun:
    """Allocate the shared functions of ``entity``'s group over ``period``: each pool divided
    by its key (recomputed from the data of the period), the recharge statement between
    entities (shared functions, staff lent at cost, intra-group invoices) and the consolidated
    P&L, stored as they are now. Synchronous: a group's year takes a few dozen queries."""
    result = queries.economic_model(entity.group, period.start, period.end)
    run = AllocationRun.objects.create(
        entity=entity,
        period_code=period.code,
        start=period.start,
        end=period.end,
        group_result=result.group_result,
        pnl=_pnl_json(result),
        warnings=result.warnings,
        started_by=by,
    )
    Allocation.objects.bulk_create(
        Allocation(
            run=run,
            pool_id=allocation.pool_id,
            pool_name=allocation.name,
            key_method=allocation.method,
            beneficiary_id=entity_id,
            driver=allocation.drivers.get(entity_id, Decimal(0)).quantize(Decimal("0.0001")),
            amount=amount,
        )
        for allocation in result.allocations
        for entity_id, amount in allocation.amounts.items()
    )
    Recharge.objects.bulk_create(
        Recharge(
            run=run,
            lender_id=r.from_id,
            borrower_id=r.to_id,
            nature=r.nature,
            label=r.label[:200],
            amount=r.amount,
        )
        for r in result.recharges
    )
    audit.log(
        run,
        "economics.allocation_run",
        by=by,
        data={
            "period": period.code,
            "pools": len(result.allocations),
            "recharges": len(result.recharges),
            "group_result": str(result.group_result),
        },
    )
    return run


# --- Scenarios ----------------------------------------------------------------------------------


@transaction.atomic
def create_scenario(
    entity: Entity, *, name: str, period: EconomicPeriod, by: User | None
) -> Scenario:
    """Copy the economic data of ``entity``'s group over ``period`` into a new scenario."""
    inputs = queries.model_inputs(entity.group, period.start, period.end)
    scenario = Scenario.objects.create(
        entity=entity,
        name=name,
        period_code=period.code,
        base=economic_model.inputs_to_json(inputs),
        created_by=by,
    )
    audit.log(scenario, "economics.scenario_created", by=by, data={"period": period.code})
    return scenario


@transaction.atomic
def add_scenario_change(scenario: Scenario, *, change: dict[str, Any], by: User | None) -> Scenario:
    """Add one change to a scenario. Moving workers names them at once (the insertion workers
    with the most hours, ``economic_model.pick_workers``) so the scenario stays the same when
    read again."""
    if change["kind"] == economic_model.ChangeKind.MOVE_WORKERS and "person_ids" not in change:
        inputs = economic_model.apply_changes(
            economic_model.inputs_from_json(scenario.base), scenario.changes
        )
        count = int(change["count"])
        change = {k: v for k, v in change.items() if k != "count"}
        change["person_ids"] = economic_model.pick_workers(inputs, int(change["source"]), count)
    scenario.changes = [*scenario.changes, change]
    scenario.save(update_fields=["changes"])
    audit.log(scenario, "economics.scenario_changed", by=by, data={"change": change})
    return scenario


@transaction.atomic
def remove_scenario_change(scenario: Scenario, *, index: int, by: User | None) -> Scenario:
    removed = scenario.changes[index]
    scenario.changes = [c for i, c in enumerate(scenario.changes) if i != index]
    scenario.save(update_fields=["changes"])
    audit.log(scenario, "economics.scenario_change_removed", by=by, data={"change": removed})
    return scenario


# --- The association's lucrative activities ----------------------------------------------------


@transaction.atomic
def set_activity_tax_status(
    entity: Entity, *, activity: str, is_lucrative: bool, by: User | None
) -> ActivityTaxStatus:
    status, _ = ActivityTaxStatus.objects.update_or_create(
        entity=entity, activity=activity, defaults={"is_lucrative": is_lucrative}
    )
    audit.log(
        entity,
        "economics.activity_tax_status_set",
        by=by,
        data={"activity": activity, "lucrative": is_lucrative},
    )
    return status
