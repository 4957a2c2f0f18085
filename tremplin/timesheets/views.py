from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tremplin.accounts.rules import STAFF_ROLES, Role
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.contracts.models import Contract
from tremplin.contracts.rules import ContractKind
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import entity_required, get_for_user_or_404, require_roles
from tremplin.core.spreadsheets import csv_cell
from tremplin.orders.models import Intervention, InterventionStatus
from tremplin.people.models import Person
from tremplin.timesheets import actions, rules
from tremplin.timesheets.forms import (
    ApproveForm,
    DeclareForm,
    EntryForm,
    ImportForm,
    SignOffForm,
)
from tremplin.timesheets.models import (
    ClientSignOff,
    EntryStatus,
    ImportStatus,
    TimeEntry,
    TimesheetImport,
    month_close,
)

ENTRIES_PER_PAGE = 200


def _month(request: HttpRequest) -> tuple[int, int]:
    """The month asked for with ``?mois=2026-03``, else the current one."""
    text = request.GET.get("mois", "")
    try:
        year, month = (int(p) for p in text.split("-"))
        date(year, month, 1)
    except ValueError:
        current = today()
        return current.year, current.month
    return year, month


def _month_nav(year: int, month: int) -> dict[str, str]:
    first, last = rules.month_bounds(year, month)
    before, after = first - timedelta(days=1), last + timedelta(days=1)
    return {
        "label": rules.month_label(year, month),
        "value": f"{year}-{month:02d}",
        "previous": f"{before:%Y-%m}",
        "next": f"{after:%Y-%m}",
    }


def _is_worker_only(request: HttpRequest) -> bool:
    roles = request.user.roles_in(request.entity)  # type: ignore[union-attr, attr-defined]
    return Role.WORKER in roles and not roles & STAFF_ROLES


# --- Staff: list and validation --------------------------------------------------------------


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """The hours of the current entity for one month, with filters; workers go to their page."""
    entity = request.entity  # type: ignore[attr-defined]
    if _is_worker_only(request):
        return redirect("timesheets:my_hours")
    require_roles(request, entity, *rules.TIMESHEET_STAFF_ROLES)
    year, month = _month(request)
    first, last = rules.month_bounds(year, month)
    entries = (
        TimeEntry.objects.filter(entity=entity, day__range=(first, last))
        .select_related("person", "client", "service")
        .order_by("day", "person__birth_name", "pk")
    )
    # Entries of a closed month are all « Clôturée »: the close locks the month, not the rows.
    month_closed = MonthlyClose.objects.filter(
        entity=entity, year=year, month=month, status=CloseStatus.CLOSED
    ).exists()
    status = request.GET.get("etat", "")
    if status == EntryStatus.LOCKED:
        entries = entries if month_closed else entries.none()
    elif status in EntryStatus.values:
        entries = entries.none() if month_closed else entries.filter(status=status)
    client_id = request.GET.get("client", "")
    if client_id.isdigit():
        entries = entries.filter(client_id=int(client_id))
    person_id = request.GET.get("salarie", "")
    if person_id.isdigit():
        entries = entries.filter(person_id=int(person_id))
    totals = entries.aggregate(hours=Sum("hours"))
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "timesheets/index.html",
        {
            "entity": entity,
            "month": _month_nav(year, month),
            "page": page,
            "total_hours": totals["hours"] or Decimal(0),
            "month_closed": month_closed,
            "statuses": EntryStatus.choices,
            "status": status,
            "clients": entity.clients.order_by("name"),
            "client_id": client_id,
            "person_id": person_id,
            "query": request.GET.urlencode(),
        },
    )


@require_POST
@entity_required
def validate(request: HttpRequest) -> HttpResponse:
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *rules.TIMESHEET_STAFF_ROLES)
    ids = [int(i) for i in request.POST.getlist("entries") if i.isdigit()]
    entries = list(TimeEntry.objects.filter(entity=entity, pk__in=ids))
    if not entries:
        messages.error(request, "Validation : cochez au moins une ligne à valider.")
    else:
        count = actions.validate_entries(entries, by=request.user)  # type: ignore[arg-type]
        skipped = len(entries) - count
        text = f"{count} relevé{'s' if count > 1 else ''} validé{'s' if count > 1 else ''}."
        if skipped:
            text += f" {skipped} ligne{'s' if skipped > 1 else ''} déjà validée"
            text += f"{'s' if skipped > 1 else ''} ou clôturée{'s' if skipped > 1 else ''}."
        messages.success(request, text)
    query = request.POST.get("query", "")
    return redirect(reverse("timesheets:index") + (f"?{query}" if query else ""))


@entity_required
def entry_new(request: HttpRequest) -> HttpResponse:
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *rules.TIMESHEET_STAFF_ROLES)
    form = EntryForm(request.POST or None, entity=entity)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = actions.add_entry(
                entity,
                person=data["person"],
                client=data["client"],
                day=data["day"],
                hours=data["hours"],
                travel_minutes=data["travel_minutes"],
                service=data["service"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_error("day", exc)
        else:
            messages.success(request, f"Heures enregistrées : {entry}.")
            return redirect(reverse("timesheets:index") + f"?mois={entry.day:%Y-%m}")
    return render(
        request,
        "timesheets/entry_form.html",
        {"form": form, "title": "Saisir des heures pour un salarié", "entry": None},
    )


def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_for_user_or_404(
        request, TimeEntry.objects.select_related("entity", "person", "client"), pk=pk
    )
    require_roles(request, entry.entity, *rules.TIMESHEET_STAFF_ROLES)
    locked = not rules.can_be_changed(EntryStatus(entry.status)) or entry.in_frozen_month()
    form = EntryForm(request.POST or None, instance=entry, entity=entry.entity)
    if request.method == "POST" and not locked and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in actions.CORRECTABLE_FIELDS}
        try:
            actions.correct_entry(entry, changes=changes, by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Le relevé a été corrigé.")
            return redirect(reverse("timesheets:index") + f"?mois={entry.day:%Y-%m}")
    if locked and request.method == "POST":
        messages.error(request, rules.locked_message(entry.day))
    return render(
        request,
        "timesheets/entry_form.html",
        {
            "form": form,
            "title": f"Corriger les heures de {entry.person} du {entry.day:%d/%m/%Y}",
            "entry": entry,
            "locked_message": rules.locked_message(entry.day) if locked else "",
            "audit_entries": audit.entries_for(entry),
        },
        status=409 if locked and request.method == "POST" else 200,
    )


# --- Worker on a phone -----------------------------------------------------------------------


def _worker_person(request: HttpRequest) -> Person:
    """The person file of the logged-in worker; 403 for an account linked to none."""
    person = Person.objects.filter(user=request.user).first()  # type: ignore[misc]
    held = {r for e in request.visible_entities for r in request.user.roles_in(e)}  # type: ignore[attr-defined, union-attr]
    if person is None or Role.WORKER not in held:
        raise PermissionDenied(
            "Votre compte n'est relié à aucune fiche de salarié : demandez-le à votre structure."
        )
    return person


def _worker_cards(person: Person, day: date) -> list[dict[str, Any]]:
    interventions = (
        Intervention.objects.filter(
            worker=person,
            day__range=(day - timedelta(days=rules.WORKER_DECLARATION_DAYS), day),
        )
        .exclude(status=InterventionStatus.CANCELLED)
        .select_related("order__client", "order__service")
        .order_by("-day", "-start")
    )
    entries = {
        e.intervention_id: e
        for e in TimeEntry.objects.filter(person=person, intervention__in=interventions).annotate(
            closed=month_close(CloseStatus.CLOSED)
        )
    }
    return [_card(i, entries.get(i.pk)) for i in interventions]


def _card(
    intervention: Intervention, entry: TimeEntry | None, form: DeclareForm | None = None
) -> dict[str, Any]:
    """One intervention of the worker's page; ``entry.closed``, when annotated, tells that its
    month is closed (« Clôturée »)."""
    if form is None:
        form = DeclareForm(
            initial={
                "hours": entry.hours if entry else intervention.planned_hours,
                "travel_minutes": entry.travel_minutes if entry else 0,
            },
            prefix=f"i{intervention.pk}",
        )
    return {
        "intervention": intervention,
        "entry": entry,
        "form": form,
        "editable": entry is None or EntryStatus(entry.status) is EntryStatus.DECLARED,
        "locked": entry is not None and getattr(entry, "closed", False),
    }


def my_hours(request: HttpRequest) -> HttpResponse:
    """A worker's interventions of the last 14 days and today, each with its hours form."""
    person = _worker_person(request)
    return render(
        request,
        "timesheets/my_hours.html",
        {"person": person, "cards": _worker_cards(person, today())},
    )


def declare(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare the hours of one of the worker's own interventions (404 for anyone else's)."""
    person = Person.objects.filter(user=request.user).first()  # type: ignore[misc]
    if person is None:
        raise Http404("Aucune intervention ne correspond à votre demande.")
    intervention = get_object_or_404(
        Intervention.objects.select_related("order__client", "order__service", "entity").exclude(
            status=InterventionStatus.CANCELLED
        ),
        pk=pk,
        worker=person,
    )
    _worker_person(request)
    entry: TimeEntry | None = (
        TimeEntry.objects.filter(intervention=intervention, person=person)
        .annotate(closed=month_close(CloseStatus.CLOSED))
        .first()
    )
    form: DeclareForm | None = DeclareForm(request.POST or None, prefix=f"i{intervention.pk}")
    saved = False
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            entry = actions.declare_hours(
                intervention,
                hours=form.cleaned_data["hours"],
                travel_minutes=form.cleaned_data["travel_minutes"],
                today=today(),
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, f"Heures du {intervention.day:%d/%m/%Y} enregistrées.")
                return redirect("timesheets:my_hours")
            saved, form = True, None  # a fresh form showing the stored values
    elif request.method != "POST":
        form = None
    card = _card(intervention, entry, form)
    card["saved"] = saved
    template = "timesheets/declare.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#card"
    return render(request, template, {"card": card, "person": person})


# --- Counters --------------------------------------------------------------------------------


@entity_required
def counters(request: HttpRequest) -> HttpResponse:
    """Per worker of the month: planned, worked, contractual target and balance."""
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *rules.TIMESHEET_STAFF_ROLES)
    year, month = _month(request)
    first, last = rules.month_bounds(year, month)
    contracts = (
        Contract.objects.filter(entity=entity)
        .running_between(first, last)
        .select_related("person")
        .order_by("person__birth_name", "person__first_name", "person_id", "-start")
    )
    planned = dict(
        Intervention.objects.filter(entity=entity, day__range=(first, last))
        .exclude(status=InterventionStatus.CANCELLED)
        .values_list("worker")
        .annotate(total=Sum("planned_hours"))
        .values_list("worker", "total")
    )
    worked = dict(
        TimeEntry.objects.filter(entity=entity, day__range=(first, last))
        .values_list("person")
        .annotate(total=Sum("hours"))
        .values_list("person", "total")
    )
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for contract in contracts:
        if contract.person_id in seen:
            continue  # the latest contract of the month gives the target
        seen.add(contract.person_id)
        target = rules.contractual_target(
            ContractKind(contract.kind), contract.weekly_hours, contract.monthly_hours
        )
        done = worked.get(contract.person_id) or Decimal(0)
        rows.append(
            {
                "person": contract.person,
                "contract": contract,
                "target": target,
                "planned": planned.get(contract.person_id) or Decimal(0),
                "worked": done,
                "balance": None if target is None else done - target,
            }
        )
    return render(
        request,
        "timesheets/counters.html",
        {"entity": entity, "month": _month_nav(year, month), "rows": rows},
    )


# --- Client sign-off -------------------------------------------------------------------------


@entity_required
def signoff_new(request: HttpRequest) -> HttpResponse:
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *rules.TIMESHEET_STAFF_ROLES)
    current = today()
    form = SignOffForm(
        request.POST or None,
        entity=entity,
        initial={"month": current.month, "year": current.year},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        signoff, link = actions.send_signoff(
            data["client"],
            year=data["year"],
            month=data["month"],
            link_for=lambda token: request.build_absolute_uri(
                reverse("timesheets:signoff", args=[token])
            ),
            today=current,
            by=request.user,  # type: ignore[arg-type]
        )
        return render(
            request,
            "timesheets/signoff_sent.html",
            {
                "signoff": signoff,
                "link": link,
                "month": rules.month_label(data["year"], data["month"]),
            },
        )
    sent = ClientSignOff.objects.filter(client__entity=entity).select_related("client")[:50]
    return render(request, "timesheets/signoff_new.html", {"form": form, "sent": sent})


@login_not_required
def signoff(request: HttpRequest, token: str) -> HttpResponse:
    """The client's page, opened from the link: the month's hours and the approval form."""
    signoff = get_object_or_404(
        ClientSignOff.objects.select_related("client", "client__entity"),
        token_hash=rules.hash_token(token),
    )
    month = rules.month_label(signoff.year, signoff.month)
    problem = rules.signoff_problem(
        expires_on=signoff.expires_on, signed=signoff.signed_at is not None, today=today()
    )
    if problem:
        return render(
            request,
            "timesheets/signoff_closed.html",
            {"signoff": signoff, "problem": problem, "month": month},
            status=410,
        )
    entries = list(actions.signoff_entries(signoff.client, signoff.year, signoff.month))
    form = ApproveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.approve_signoff(
                signoff,
                name=form.cleaned_data["name"],
                comment=form.cleaned_data["comment"],
                today=today(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            signoff.refresh_from_db()
            return render(
                request, "timesheets/signoff_done.html", {"signoff": signoff, "month": month}
            )
    return render(
        request,
        "timesheets/signoff.html",
        {
            "signoff": signoff,
            "month": month,
            "entries": entries,
            "total": sum((e.hours for e in entries), Decimal(0)),
            "form": form,
        },
    )


# --- Imports ---------------------------------------------------------------------------------


@entity_required
def import_new(request: HttpRequest) -> HttpResponse:
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *rules.TIMESHEET_STAFF_ROLES)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        imp = actions.start_import(entity, upload=form.cleaned_data["file"], by=request.user)  # type: ignore[arg-type]
        return redirect("timesheets:import", pk=imp.pk)
    recent = TimesheetImport.objects.filter(entity=entity)[:20]
    return render(
        request,
        "timesheets/import_new.html",
        {"form": form, "recent": recent, "columns": ";".join(rules.COLUMNS)},
    )


def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    imp = get_for_user_or_404(request, TimesheetImport.objects.select_related("entity"), pk=pk)
    require_roles(request, imp.entity, *rules.TIMESHEET_STAFF_ROLES)
    running = ImportStatus(imp.status) in (ImportStatus.PENDING, ImportStatus.RUNNING)
    template = "timesheets/import_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#progress"
    return render(
        request,
        template,
        {
            "imp": imp,
            "running": running,
            "errors_shown": imp.errors[:100],
            "errors_truncated": imp.error_rows > len(imp.errors),
        },
    )


def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The reported problems of an import, as a CSV file the user can open in a spreadsheet."""
    imp = get_for_user_or_404(request, TimesheetImport.objects.select_related("entity"), pk=pk)
    require_roles(request, imp.entity, *rules.TIMESHEET_STAFF_ROLES)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="erreurs-import-{imp.pk}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["ligne", "colonne", "valeur", "motif"])
    for error in imp.errors:
        # Uploaded text goes back to a spreadsheet: neutralise formulas (CSV injection).
        writer.writerow(
            [
                csv_cell(error["line"]),
                csv_cell(error["column"]),
                csv_cell(error["value"]),
                csv_cell(error["message"]),
            ]
        )
    if imp.error_rows > len(imp.errors):
        writer.writerow(
            ["", "", "", f"{imp.error_rows} lignes en erreur : seules les premières sont listées."]
        )
    return response
