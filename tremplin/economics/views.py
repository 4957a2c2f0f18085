from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import (
    entity_required,
    get_entity_or_404,
    get_for_user_or_404,
    require_roles,
)
from tremplin.core.spreadsheets import csv_cell
from tremplin.economics import actions, economic_model, queries, rules
from tremplin.economics.economic_model import ModelResult, activity_label
from tremplin.economics.forms import (
    AddActivityForm,
    ChangeKeyForm,
    EntryForm,
    ImportForm,
    KeyForm,
    MoveWorkersForm,
    PoolCostForm,
    PoolForm,
    RunForm,
    ScenarioForm,
    TaxStatusForm,
    TimeRecordForm,
)
from tremplin.economics.models import (
    AccountingImport,
    AidEntry,
    AllocationRun,
    CostPool,
    FinancialEntry,
    Scenario,
)
from tremplin.economics.rules import ECONOMICS_ROLES, EconomicPeriod, KeyMethod
from tremplin.organisations.models import Entity, FinancialAnnex, Group
from tremplin.organisations.rules import LegalForm

ENTRIES_SHOWN = 50


# --- Access -------------------------------------------------------------------------------------


def _require_group(request: HttpRequest, group: Group) -> list[Entity]:
    """The active entities of ``group``; 403 unless the user holds an economics role in each
    (group pages show every entity's figures)."""
    entities = queries.group_entities(group)
    held = request.user.roles_by_entity(entities)  # type: ignore[union-attr]
    if not all(held[e.pk] & ECONOMICS_ROLES for e in entities):
        raise PermissionDenied(
            "Les pages du groupe sont réservées à la direction et aux comptables de toutes ses "
            "structures."
        )
    return entities


def _current_group(request: HttpRequest) -> tuple[Group, list[Entity]]:
    group = request.entity.group  # type: ignore[attr-defined]
    return group, _require_group(request, group)


def _period(request: HttpRequest) -> EconomicPeriod:
    text = request.GET.get("periode", "")
    if text:
        try:
            return rules.parse_period(text)
        except ValueError as exc:
            messages.error(request, str(exc))
    return rules.period_of(rules.PeriodKind.YEAR, today())


def _chart(
    labels: list[str], datasets: list[tuple[str, list[Decimal]]], kind: str = "bar"
) -> dict[str, Any]:
    return {
        "type": kind,
        "labels": labels,
        "datasets": [
            {"label": label, "data": [float(v) for v in values]} for label, values in datasets
        ],
    }


def _entity_rows(result: ModelResult) -> list[Any]:
    return list(result.entities.values())


def _recharge_rows(result: ModelResult, entity_id: int | None = None) -> list[dict[str, Any]]:
    """The recharges of a computed model with entity names, those of ``entity_id`` only if
    given (either side)."""
    names = {e.entity_id: e.name for e in result.entities.values()}
    return [
        {
            "lender": names[r.from_id],
            "borrower": names[r.to_id],
            "nature": economic_model.RechargeNature.LABELS.get(r.nature, r.nature),
            "label": r.label,
            "amount": r.amount,
        }
        for r in result.recharges
        if entity_id is None or entity_id in (r.from_id, r.to_id)
    ]


# --- Group pages --------------------------------------------------------------------------------


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """The group's economic model over a period: each entity's result and the group's."""
    group, _ = _current_group(request)
    period = _period(request)
    result = queries.economic_model(group, period.start, period.end)
    rows = _entity_rows(result)
    context = {
        "group": group,
        "period": period,
        "result": result,
        "rows": rows,
        "chart": _chart(
            [e.name for e in rows],
            [
                ("Produits", [e.products for e in rows]),
                ("Charges", [e.charges for e in rows]),
                ("Résultat", [e.result for e in rows]),
            ],
        ),
    }
    return render(request, "economics/index.html", context)


@entity_required
def consolidated(request: HttpRequest) -> HttpResponse:
    """The consolidated P&L with intra-group flows eliminated."""
    group, _ = _current_group(request)
    period = _period(request)
    result = queries.economic_model(group, period.start, period.end)
    rows = economic_model.consolidated_pnl(result)
    return render(
        request,
        "economics/consolidated.html",
        {
            "group": group,
            "period": period,
            "result": result,
            "pnl": rows,
            "pnl_names": [e.name for e in result.entities.values()],
            "recharge_rows": _recharge_rows(result),
        },
    )


# --- Entity pages -------------------------------------------------------------------------------


def entity(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """One entity's economic model: revenue and margin by activity, payroll, aide au poste,
    grants and costs, shared functions, result; its entries and the forms to add them."""
    target = get_entity_or_404(request, entity_slug)
    require_roles(request, target, *ECONOMICS_ROLES)
    period = _period(request)
    result = queries.economic_model(target.group, period.start, period.end)
    figures = result.entities.get(target.pk)
    if figures is None:
        raise Http404("Cette structure n'est plus active.")
    margins = sorted(figures.margins.items(), key=lambda item: activity_label(item[0]))
    margin_rows = [(activity_label(a), m) for a, m in margins]
    entries = FinancialEntry.objects.filter(
        entity=target, day__gte=period.start, day__lte=period.end
    ).order_by("-day", "-pk")[:ENTRIES_SHOWN]
    return render(
        request,
        "economics/entity.html",
        {
            "entity": target,
            "period": period,
            "figures": figures,
            "margin_rows": margin_rows,
            "warnings": result.warnings,
            "entries": entries,
            "entry_form": EntryForm(),
            "import_form": ImportForm(),
            "imports": AccountingImport.objects.filter(entity=target)[:5],
            "recharge_rows": _recharge_rows(result, target.pk),
            "chart": _chart(
                [label for label, _ in margin_rows],
                [
                    ("Chiffre d'affaires", [m.revenue for _, m in margin_rows]),
                    ("Marge", [m.margin for _, m in margin_rows]),
                ],
            ),
        },
    )


def add_entry(request: HttpRequest, entity_slug: str) -> HttpResponse:
    target = get_entity_or_404(request, entity_slug)
    require_roles(request, target, *ECONOMICS_ROLES)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = EntryForm(request.POST)
    if form.is_valid():
        actions.record_entry(target, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "L'écriture est enregistrée.")
    else:
        messages.error(request, _errors_text("L'écriture n'est pas enregistrée", form))
    url = reverse("economics:entity", args=[target.slug])
    period = request.POST.get("periode", "")
    return redirect(f"{url}?periode={period}" if period else url)


def import_entries(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """Import an accounting CSV: the report lists each refused line with its column and reason."""
    target = get_entity_or_404(request, entity_slug)
    require_roles(request, target, *ECONOMICS_ROLES)
    form = ImportForm(request.POST or None, request.FILES or None)
    record = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        record = actions.import_accounting(
            target,
            content=upload.read(),
            original_name=upload.name,
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(
            request,
            f"{record.imported_rows} ligne(s) importée(s), "
            f"{record.duplicate_rows} déjà importée(s), {record.error_rows} en erreur.",
        )
    return render(
        request, "economics/import.html", {"entity": target, "form": form, "record": record}
    )


def aid(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """The aide au poste of an entity: annexes, monthly advances and regularisations; POST
    writes the entries due."""
    target = get_entity_or_404(request, entity_slug)
    require_roles(request, target, *ECONOMICS_ROLES)
    annexes = list(
        FinancialAnnex.objects.filter(convention__entity=target)
        .select_related("convention")
        .order_by("-year", "convention__kind")
    )
    if request.method == "POST":
        annex = next((a for a in annexes if str(a.pk) == request.POST.get("annex")), None)
        if annex is None:
            raise Http404("Annexe financière inconnue.")
        added = actions.record_aid_entries(annex, today=today(), by=request.user)  # type: ignore[arg-type]
        messages.success(request, f"{added} écriture(s) d'aide au poste ajoutée(s).")
        return redirect("economics:aid", entity_slug=target.slug)
    entries = AidEntry.objects.filter(entity=target).select_related("annex")
    by_annex: dict[int, list[AidEntry]] = {}
    for entry in entries:
        by_annex.setdefault(entry.annex_id, []).append(entry)
    rows = [
        {
            "annex": a,
            "entries": by_annex.get(a.pk, []),
            "total": sum((e.amount for e in by_annex.get(a.pk, [])), Decimal(0)),
        }
        for a in annexes
    ]
    return render(request, "economics/aid.html", {"entity": target, "rows": rows})


# --- Shared functions ---------------------------------------------------------------------------


@entity_required
def pools(request: HttpRequest) -> HttpResponse:
    """The group's shared functions with their key, and the key's value per entity."""
    group, entities = _current_group(request)
    period = _period(request)
    form = PoolForm(request.POST or None, entities=entities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pool = actions.create_pool(
            data["entity"],
            function=data["function"],
            name=data["name"],
            key_method=data["key_method"],
            description=data["description"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, f"La fonction partagée « {pool.name} » est créée.")
        return redirect("economics:pool", pk=pool.pk)
    result = queries.economic_model(group, period.start, period.end)
    return render(
        request,
        "economics/pools.html",
        {
            "period": period,
            "entities": entities,
            "allocations": [
                {
                    "allocation": a,
                    "cells": [(a.drivers.get(e.pk), a.amounts.get(e.pk)) for e in entities],
                    "method": KeyMethod(a.method).label,
                }
                for a in result.allocations
            ],
            "form": form,
        },
    )


def _pool_for_user(request: HttpRequest, pk: int) -> tuple[CostPool, list[Entity]]:
    pool = get_for_user_or_404(request, CostPool.objects.select_related("entity__group"), pk=pk)
    return pool, _require_group(request, pool.entity.group)


def pool(request: HttpRequest, pk: int) -> HttpResponse:
    """One shared function: its costs, the time it spent per entity, its key (POST changes it)."""
    pool, entities = _pool_for_user(request, pk)
    shares = {s.beneficiary_id: s.share for s in pool.fixed_shares.all()}
    key_form = KeyForm(
        request.POST or None,
        entities=entities,
        initial={"key_method": pool.key_method},
        initial_shares=shares,
    )
    if request.method == "POST" and key_form.is_valid():
        actions.set_pool_key(
            pool,
            key_method=key_form.cleaned_data["key_method"],
            shares=key_form.shares(),
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "La clé de répartition est modifiée.")
        return redirect("economics:pool", pk=pool.pk)
    return render(
        request,
        "economics/pool.html",
        {
            "pool": pool,
            "key_form": key_form,
            "cost_form": PoolCostForm(),
            "time_form": TimeRecordForm(entities=entities),
            "costs": pool.costs.all()[:ENTRIES_SHOWN],
            "time_records": pool.time_records.select_related("beneficiary")[:ENTRIES_SHOWN],
            "audit_entries": audit.entries_for(pool)[:20],
        },
    )


def pool_cost(request: HttpRequest, pk: int) -> HttpResponse:
    pool, _ = _pool_for_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = PoolCostForm(request.POST)
    if form.is_valid():
        actions.add_pool_cost(pool, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "Le coût est enregistré.")
    else:
        messages.error(request, _errors_text("Le coût n'est pas enregistré", form))
    return redirect("economics:pool", pk=pool.pk)


def pool_time(request: HttpRequest, pk: int) -> HttpResponse:
    pool, entities = _pool_for_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = TimeRecordForm(request.POST, entities=entities)
    if form.is_valid():
        actions.add_time_record(pool, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "Le temps passé est enregistré.")
    else:
        messages.error(request, _errors_text("Le temps passé n'est pas enregistré", form))
    return redirect("economics:pool", pk=pool.pk)


def _errors_text(intro: str, form: Any) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label} : {' '.join(errors)}" if label else " ".join(errors))
    return f"{intro} — " + " ; ".join(parts)


# --- Allocation runs ----------------------------------------------------------------------------


@entity_required
def runs(request: HttpRequest) -> HttpResponse:
    """Allocation runs of the group; POST runs one for a period."""
    group, _ = _current_group(request)
    form = RunForm(request.POST or None, initial={"period": _period(request).code})
    if request.method == "POST" and form.is_valid():
        run = actions.run_allocation(
            request.entity,  # type: ignore[attr-defined]
            period=form.cleaned_data["period"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, f"La répartition de la période {run.period_code} est faite.")
        return redirect("economics:run", pk=run.pk)
    return render(
        request,
        "economics/runs.html",
        {
            "form": form,
            "runs": AllocationRun.objects.filter(entity__group=group).select_related("started_by"),
        },
    )


def _run_for_user(request: HttpRequest, pk: int) -> tuple[AllocationRun, list[Entity]]:
    run = get_for_user_or_404(request, AllocationRun.objects.select_related("entity__group"), pk=pk)
    return run, _require_group(request, run.entity.group)


def run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: each pool's division, the recharge statement per pair of entities, the P&L."""
    run, _ = _run_for_user(request, pk)
    allocations = run.allocations.select_related("beneficiary").order_by(
        "pool_name", "beneficiary__name"
    )
    recharges = list(run.recharges.select_related("lender", "borrower"))
    statements: dict[tuple[str, str], dict[str, Any]] = {}
    for recharge in recharges:
        key = (recharge.lender.name, recharge.borrower.name)
        statement = statements.setdefault(
            key,
            {
                "lender": recharge.lender,
                "borrower": recharge.borrower,
                "lines": [],
                "total": Decimal(0),
            },
        )
        statement["lines"].append(
            {
                "nature": economic_model.RechargeNature.LABELS.get(
                    recharge.nature, recharge.nature
                ),
                "recharge": recharge,
            }
        )
        statement["total"] += recharge.amount
    return render(
        request,
        "economics/run.html",
        {
            "run": run,
            "period": rules.parse_period(run.period_code),
            "allocations": allocations,
            "statements": [statements[k] for k in sorted(statements)],
            "pnl": [
                {
                    **row,
                    "values": [Decimal(v) for v in row["values"]],
                    "elimination": Decimal(row["elimination"]),
                    "group": Decimal(row["group"]),
                }
                for row in run.pnl.get("rows", [])
            ],
            "entity_names": run.pnl.get("entities", []),
            "audit_entries": audit.entries_for(run),
        },
    )


def run_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The recharge statement of a run as CSV, for accounting."""
    run, _ = _run_for_user(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="refacturations-{run.period_code}-{run.pk}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["Période", "Structure qui refacture", "Structure refacturée", "Nature", "Objet", "Montant"]
    )
    for r in run.recharges.select_related("lender", "borrower"):
        writer.writerow(
            [
                csv_cell(cell)
                for cell in [
                    run.period_code,
                    r.lender.name,
                    r.borrower.name,
                    economic_model.RechargeNature.LABELS.get(r.nature, r.nature),
                    r.label,
                    r.amount,
                ]
            ]
        )
    return response


# --- Scenarios ----------------------------------------------------------------------------------


@entity_required
def scenarios(request: HttpRequest) -> HttpResponse:
    group, _ = _current_group(request)
    form = ScenarioForm(request.POST or None, initial={"period": _period(request).code})
    if request.method == "POST" and form.is_valid():
        scenario = actions.create_scenario(
            request.entity,  # type: ignore[attr-defined]
            name=form.cleaned_data["name"],
            period=form.cleaned_data["period"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "Le scénario est créé : ajoutez-lui des modifications.")
        return redirect("economics:scenario", pk=scenario.pk)
    return render(
        request,
        "economics/scenarios.html",
        {
            "form": form,
            "scenarios": Scenario.objects.filter(entity__group=group).select_related("created_by"),
        },
    )


def _scenario_for_user(request: HttpRequest, pk: int) -> tuple[Scenario, list[Entity]]:
    scenario = get_for_user_or_404(request, Scenario.objects.select_related("entity__group"), pk=pk)
    return scenario, _require_group(request, scenario.entity.group)


def _change_text(change: dict[str, Any], names: dict[int, str], pools: dict[int, str]) -> str:
    kind = change["kind"]
    if kind == economic_model.ChangeKind.MOVE_WORKERS:
        count = len(change["person_ids"])
        revenue = (
            " avec le chiffre d'affaires de leurs heures" if change.get("move_revenue") else ""
        )
        return (
            f"Passage de {count} salarié(s) de {names.get(int(change['source']), '?')} en CDI "
            f"dans {names.get(int(change['target']), '?')}{revenue}"
        )
    if kind == economic_model.ChangeKind.ADD_ACTIVITY:
        return (
            f"Nouvelle activité « {change['label']} » dans "
            f"{names.get(int(change['entity']), '?')} : chiffre d'affaires "
            f"{change['revenue']} €, coût {change['cost']} €"
        )
    return f"Clé de « {pools.get(int(change['pool']), '?')} » : {KeyMethod(change['method']).label}"


def scenario(request: HttpRequest, pk: int) -> HttpResponse:
    """Base and scenario side by side, differences highlighted, and the forms of changes."""
    scenario, entities = _scenario_for_user(request, pk)
    base_inputs = economic_model.inputs_from_json(scenario.base)
    base = economic_model.compute(base_inputs)
    changed = economic_model.compute(economic_model.apply_changes(base_inputs, scenario.changes))
    rows = economic_model.compare(base, changed)
    names = {e.id: e.name for e in base_inputs.entities}
    pools = {p.id: p.name for p in base_inputs.pools}
    scoped = [e for e in entities if e.pk in names]
    pool_objects = list(CostPool.objects.filter(pk__in=pools))
    labels = [e.name for e in base.entities.values()]
    return render(
        request,
        "economics/scenario.html",
        {
            "scenario": scenario,
            "period": rules.parse_period(scenario.period_code),
            "rows": rows,
            "changes": [_change_text(c, names, pools) for c in scenario.changes],
            "move_form": MoveWorkersForm(entities=scoped, initial={"count": 3}),
            "activity_form": AddActivityForm(entities=scoped),
            "key_form": ChangeKeyForm(entities=scoped, pools=pool_objects)
            if pool_objects
            else None,
            "warnings": changed.warnings,
            "chart": _chart(
                labels,
                [
                    ("Résultat de base", [e.result for e in base.entities.values()]),
                    ("Résultat du scénario", [e.result for e in changed.entities.values()]),
                ],
            ),
        },
    )


def scenario_change(request: HttpRequest, pk: int) -> HttpResponse:
    scenario, entities = _scenario_for_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    names = {e["id"] for e in scenario.base["entities"]}
    scoped = [e for e in entities if e.pk in names]
    kind = request.POST.get("change")
    form: Any
    if kind == economic_model.ChangeKind.MOVE_WORKERS:
        form = MoveWorkersForm(request.POST, entities=scoped)
    elif kind == economic_model.ChangeKind.ADD_ACTIVITY:
        form = AddActivityForm(request.POST, entities=scoped)
    elif kind == economic_model.ChangeKind.CHANGE_KEY:
        pool_ids = [p["id"] for p in scenario.base["pools"]]
        form = ChangeKeyForm(
            request.POST, entities=scoped, pools=list(CostPool.objects.filter(pk__in=pool_ids))
        )
    else:
        raise Http404("Modification inconnue.")
    if form.is_valid():
        actions.add_scenario_change(scenario, change=form.change(), by=request.user)  # type: ignore[arg-type]
        messages.success(request, "La modification est ajoutée au scénario.")
    else:
        messages.error(request, _errors_text("La modification n'est pas ajoutée", form))
    return redirect("economics:scenario", pk=scenario.pk)


def scenario_remove(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    scenario, _ = _scenario_for_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not 0 <= index < len(scenario.changes):
        raise Http404("Modification inconnue.")
    actions.remove_scenario_change(scenario, index=index, by=request.user)  # type: ignore[arg-type]
    messages.success(request, "La modification est retirée.")
    return redirect("economics:scenario", pk=scenario.pk)


# --- The association's fiscal view --------------------------------------------------------------


@entity_required
def fiscal(request: HttpRequest) -> HttpResponse:
    """Lucrative revenue of each association of the group against the franchise threshold."""
    group, entities = _current_group(request)
    year = _period(request).start.year
    associations = [e for e in entities if e.legal_form == LegalForm.ASSOCIATION]
    rows = []
    checks = []
    for association in associations:
        lucrative, by_activity = queries.lucrative_revenue(association, year)
        checks.append(rules.franchise_check(lucrative, year=year))
        rows.append(
            {
                "entity": association,
                "name": association.name,
                "check": checks[-1],
                "activities": [
                    (activity_label(a), amount, is_lucrative)
                    for a, amount, is_lucrative in by_activity
                ],
                "form": TaxStatusForm(),
            }
        )
    return render(
        request,
        "economics/fiscal.html",
        {
            "year": year,
            "rows": rows,
            "warning_share": rules.FRANCHISE_WARNING_SHARE.on(date(year, 1, 1)) * 100,
            "chart": _chart(
                [association.name for association in associations],
                [
                    ("Recettes lucratives", [check.lucrative for check in checks]),
                    ("Seuil de la franchise", [check.threshold for check in checks]),
                ],
            ),
        },
    )


def fiscal_status(request: HttpRequest, entity_slug: str) -> HttpResponse:
    target = get_entity_or_404(request, entity_slug)
    require_roles(request, target, *ECONOMICS_ROLES)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if target.legal_form != LegalForm.ASSOCIATION:
        raise Http404("Le statut fiscal des activités ne concerne que les associations.")
    form = TaxStatusForm(request.POST)
    if form.is_valid():
        actions.set_activity_tax_status(
            target,
            activity=form.cleaned_data["activity"],
            is_lucrative=form.cleaned_data["is_lucrative"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "Le statut fiscal de l'activité est enregistré.")
    else:
        messages.error(request, _errors_text("Le statut n'est pas enregistré", form))
    return redirect("economics:fiscal")
