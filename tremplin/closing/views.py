from __future__ import annotations

import csv
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from tremplin.closing import actions, rules
from tremplin.closing.forms import ReopenForm
from tremplin.closing.models import (
    AspMonthlyFollowUp,
    CloseStatus,
    MonthlyClose,
    PayrollVariables,
)
from tremplin.core import audit, runs
from tremplin.core.dates import today
from tremplin.core.entities import entity_required, get_entity_or_404, require_roles
from tremplin.core.money import to_cents
from tremplin.invoicing.models import InvoiceStatus
from tremplin.organisations.models import Entity
from tremplin.timesheets.models import EntryStatus, TimeEntry

MONTHS_SHOWN = 6
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _month_label(year: int, month: int) -> str:
    return f"{MONTH_NAMES[month - 1]} {year}"


def _close_or_none(entity: Entity, year: int, month: int) -> MonthlyClose | None:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404("Mois inconnu.")
    return MonthlyClose.objects.filter(entity=entity, year=year, month=month).first()


def _stalled_message(monthly_close: MonthlyClose | None) -> str:
    """Why a close still "en cours" may be started again, or "" while it shows progress."""
    if monthly_close is None or not runs.stalled(monthly_close.last_progress):
        return ""
    return rules.stalled_message(timezone.localtime(monthly_close.last_progress))


def _closed_or_404(entity: Entity, year: int, month: int) -> MonthlyClose:
    close = _close_or_none(entity, year, month)
    if close is None or close.status != CloseStatus.CLOSED:
        raise Http404("Ce mois n'est pas clôturé.")
    return close


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """The last months × the entities the user may close, with the state of each close."""
    visible = request.visible_entities  # type: ignore[attr-defined]
    held = request.user.roles_by_entity(visible)  # type: ignore[union-attr]
    entities = [e for e in visible if held[e.pk] & rules.CLOSING_ROLES]
    if not entities:
        require_roles(request, request.entity, *rules.CLOSING_ROLES)  # type: ignore[attr-defined]
    months = []
    year, month = today().year, today().month
    for _ in range(MONTHS_SHOWN):
        months.append((year, month))
        year, month = rules.previous_month(year, month)
    closes = {
        (c.entity_id, c.year, c.month): c
        for c in MonthlyClose.objects.filter(
            entity__in=entities, year__gte=months[-1][0], year__lte=months[0][0]
        )
    }
    rows = [
        {
            "label": _month_label(y, m),
            "year": y,
            "month": m,
            "cells": [{"entity": e, "close": closes.get((e.pk, y, m))} for e in entities],
        }
        for y, m in months
    ]
    return render(request, "closing/index.html", {"entities": entities, "rows": rows})


def close(request: HttpRequest, entity_slug: str, year: int, month: int) -> HttpResponse:
    """One month of one entity: start the close (POST), follow it, read its results."""
    entity = get_entity_or_404(request, entity_slug)
    held = require_roles(request, entity, *rules.CLOSING_ROLES)
    monthly_close = _close_or_none(entity, year, month)
    if request.method == "POST":
        try:
            actions.start_close(entity, year=year, month=month, by=request.user)  # type: ignore[arg-type]
            messages.success(request, "La clôture est lancée.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("closing:close", entity_slug=entity.slug, year=year, month=month)
    running = monthly_close is not None and monthly_close.status == CloseStatus.RUNNING
    progress_context = {
        "close": monthly_close,
        "running": running,
        "entity": entity,
        "label": _month_label(year, month),
        "stalled_message": _stalled_message(monthly_close) if running else "",
    }
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "closing/close.html#progress", progress_context)
        if not running:
            response["HX-Refresh"] = "true"  # the run is over: show its results
        return response
    first, last = rules.month_bounds(year, month)
    counts = TimeEntry.objects.filter(entity=entity, day__gte=first, day__lte=last).aggregate(
        declared=Count("pk", filter=Q(status=EntryStatus.DECLARED)),
        validated=Count("pk", filter=Q(status=EntryStatus.VALIDATED)),
    )
    # A closed month locks its (validated) entries: the close locks the month, not the rows.
    closed = monthly_close is not None and monthly_close.status == CloseStatus.CLOSED
    counts["locked"] = counts["validated"] if closed else 0
    if closed:
        counts["validated"] = 0
    context = progress_context | {
        "year": year,
        "month": month,
        "counts": counts,
        "can_start": monthly_close is None or monthly_close.status in actions.STARTABLE,
        "can_reopen": bool(held & rules.REOPEN_ROLES)
        and monthly_close is not None
        and monthly_close.status in actions.REOPENABLE,
        "reopen_form": ReopenForm(),
        "audit_entries": audit.entries_for(monthly_close) if monthly_close else [],
    }
    if monthly_close is not None and monthly_close.status == CloseStatus.CLOSED:
        drafts = list(
            monthly_close.invoice_drafts.select_related("client")
            .prefetch_related("lines")
            .order_by("client__name")
        )
        for draft in drafts:
            draft.vat_total = sum(  # type: ignore[attr-defined]
                (
                    to_cents(line.amount_excl_tax * line.vat_rate / 100)
                    for line in draft.lines.all()
                ),
                Decimal(0),
            )
        context |= {
            "drafts": drafts,
            "drafts_total": sum((d.total_excl_tax for d in drafts), Decimal(0)),
            "payroll": monthly_close.payroll.select_related("person").order_by(
                "person__birth_name", "person__first_name"
            ),
            "asp": monthly_close.asp_follow_ups.select_related("contract__person").order_by(
                "contract__person__birth_name", "contract__person__first_name", "contract__start"
            ),
        }
    return render(request, "closing/close.html", context)


def reopen(request: HttpRequest, entity_slug: str, year: int, month: int) -> HttpResponse:
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, *rules.REOPEN_ROLES)
    monthly_close = _close_or_none(entity, year, month)
    if monthly_close is None or monthly_close.status not in actions.REOPENABLE:
        raise Http404("Aucune clôture à rouvrir pour ce mois.")
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reopened = actions.reopen_close(
            monthly_close,
            reason=form.cleaned_data["reason"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(
            request,
            rules.reopened_message(
                unlocked=reopened.unlocked,
                drafts_deleted=reopened.drafts_deleted,
                issued=reopened.issued,
            ),
        )
        return redirect("closing:close", entity_slug=entity.slug, year=year, month=month)
    return render(
        request,
        "closing/reopen.html",
        {
            "entity": entity,
            "close": monthly_close,
            "form": form,
            "label": _month_label(year, month),
            "invoices": _invoices_by_status(monthly_close),
        },
    )


def _csv_response(filename: str, header: list[str], rows: list[list[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the BOM makes spreadsheets read the file as UTF-8
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([rules.csv_cell(cell) for cell in row] for row in rows)
    return response


def payroll_csv(request: HttpRequest, entity_slug: str, year: int, month: int) -> HttpResponse:
    """The payroll variables of a closed month, for the payroll software."""
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, *rules.CLOSING_ROLES)
    monthly_close = _closed_or_404(entity, year, month)
    audit.log_access(request, monthly_close, "closing.payroll_exported")
    rows: list[list[object]] = [
        [
            v.person_id,
            (v.person.usual_name or v.person.birth_name).upper(),
            v.person.first_name,
            v.normal_hours,
            v.complementary_hours,
            v.overtime_hours,
            v.sunday_hours,
            v.holiday_hours,
            v.absence_days,
            v.travel_minutes,
        ]
        for v in PayrollVariables.objects.filter(close=monthly_close)
        .select_related("person")
        .order_by("person__birth_name", "person__first_name", "pk")
    ]
    header = [
        "Identifiant",
        "Nom",
        "Prénom",
        "Heures normales",
        "Heures complémentaires",
        "Heures supplémentaires",
        "Heures du dimanche",
        "Heures des jours fériés",
        "Jours d'absence",
        "Trajet (min)",
    ]
    return _csv_response(f"variables-paie-{entity.slug}-{year}-{month:02d}.csv", header, rows)


def asp_csv(request: HttpRequest, entity_slug: str, year: int, month: int) -> HttpResponse:
    """The ASP monthly follow-up of a closed month (one line per insertion contract)."""
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, *rules.CLOSING_ROLES)
    monthly_close = _closed_or_404(entity, year, month)
    audit.log_access(request, monthly_close, "closing.asp_exported")
    rows: list[list[object]] = [
        [
            f.contract.person_id,
            (f.person.usual_name or f.person.birth_name).upper(),
            f.person.first_name,
            f.contract.get_kind_display(),
            f.contract.start.strftime("%d/%m/%Y"),
            f"{month:02d}/{year}",
            f.hours_worked,
            f.hours_invoiced,
            f.missions,
            f.gross_pay,
            f.etp_share,
        ]
        for f in AspMonthlyFollowUp.objects.filter(close=monthly_close)
        .select_related("contract__person")
        .order_by(
            "contract__person__birth_name", "contract__person__first_name", "contract__start", "pk"
        )
    ]
    header = [
        "Identifiant",
        "Nom",
        "Prénom",
        "Contrat",
        "Début du contrat",
        "Mois",
        "Heures travaillées",
        "Heures facturées",
        "Missions",
        "Salaire brut",
        "Part ETP",
    ]
    return _csv_response(f"suivi-asp-{entity.slug}-{year}-{month:02d}.csv", header, rows)


def _invoices_by_status(monthly_close: MonthlyClose) -> dict[str, int]:
    """How many invoices were made from a close, by status (draft, issued)."""
    counts = {InvoiceStatus.DRAFT.value: 0, InvoiceStatus.ISSUED.value: 0}
    for row in monthly_close.invoices.order_by().values("status").annotate(count=Count("pk")):
        counts[row["status"]] = row["count"]
    return counts
