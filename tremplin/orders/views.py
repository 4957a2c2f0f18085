from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from tremplin.clients.models import Client
from tremplin.contracts.models import Contract
from tremplin.core import audit
from tremplin.core.dates import format_date, today
from tremplin.core.entities import (
    entity_required,
    get_for_user_or_404,
    require_roles,
    visible_entity_ids,
)
from tremplin.orders import actions, rules
from tremplin.orders.forms import (
    AbsenceForm,
    AssignForm,
    ClientPriceForm,
    GenerateForm,
    OrderExceptionForm,
    OrderForm,
    QuoteForm,
    ServiceForm,
    sap_declared,
)
from tremplin.orders.models import (
    Absence,
    AbsenceKind,
    Intervention,
    InterventionStatus,
    Order,
    Quote,
    QuoteStatus,
    Service,
)
from tremplin.orders.rules import CATALOGUE_ROLES, PLANNING_ROLES, ServiceKind
from tremplin.people.models import Person

AUDIT_PREVIEW = 10
DAY_NAMES = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]


def _post_only(request: HttpRequest) -> HttpResponse | None:
    # Checked after the object lookup, so that another group's object answers 404 first.
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


# --- Catalogue ------------------------------------------------------------------------------


@entity_required
def services(request: HttpRequest) -> HttpResponse:
    """The current entity's catalogue with the VAT rate in force today."""
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *CATALOGUE_ROLES)
    day = today()
    declared = sap_declared(entity, day)
    rows = []
    for service in Service.objects.filter(entity=entity).order_by("-is_active", "name"):
        vat = rules.vat_rate(ServiceKind(service.kind), on=day, sap_declared=declared)
        rows.append(
            {
                "service": service,
                "vat": vat,
                "price_ttc": rules.price_ttc(service.unit_price, vat),
            }
        )
    return render(
        request,
        "orders/services.html",
        {"entity": entity, "rows": rows, "sap_declared": declared, "today": day},
    )


@entity_required
def service_new(request: HttpRequest) -> HttpResponse:
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *CATALOGUE_ROLES)
    form = ServiceForm(request.POST or None, instance=Service(entity=entity), entity=entity)
    if request.method == "POST" and form.is_valid():
        service = actions.create_service(form.instance, by=request.user)  # type: ignore[arg-type]
        messages.success(request, f"La prestation « {service.name} » a été ajoutée.")
        return redirect("orders:services")
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": "Nouvelle prestation", "back": "orders:services"},
    )


def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_for_user_or_404(request, Service.objects.select_related("entity"), pk=pk)
    require_roles(request, service.entity, *CATALOGUE_ROLES)
    form = ServiceForm(request.POST or None, instance=service, entity=service.entity)
    if request.method == "POST" and form.is_valid():
        actions.update_service(form.instance, changes=audit.form_changes(form), by=request.user)  # type: ignore[arg-type]
        messages.success(request, f"La prestation « {service.name} » a été mise à jour.")
        return redirect("orders:services")
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": f"Modifier {service.name}", "back": "orders:services"},
    )


def _client(request: HttpRequest, pk: int, roles: frozenset[Any]) -> Client:
    client = get_for_user_or_404(request, Client.objects.select_related("entity"), pk=pk)
    require_roles(request, client.entity, *roles)
    return client


def price_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk, CATALOGUE_ROLES)
    form = ClientPriceForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_client_price(
            client,
            service=data["service"],
            unit_price=data["unit_price"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "Le tarif du client a été ajouté.")
        return redirect("clients:client", pk=client.pk)
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": f"Nouveau tarif — {client.name}", "client": client},
    )


def quote_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk, CATALOGUE_ROLES)
    form = QuoteForm(request.POST or None, initial={"issued_on": today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quote = actions.create_quote(
            client,
            issued_on=data["issued_on"],
            monthly_amount_ttc=data["monthly_amount_ttc"],
            description=data["description"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, f"Le devis n° {quote.number} a été enregistré.")
        return redirect("clients:client", pk=client.pk)
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": f"Nouveau devis — {client.name}", "client": client},
    )


def quote_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the client's acceptance or refusal of a sent quote (POST ``decision``)."""
    quote = get_for_user_or_404(request, Quote.objects.select_related("entity"), pk=pk)
    require_roles(request, quote.entity, *CATALOGUE_ROLES)
    if refused := _post_only(request):
        return refused
    decision = request.POST.get("decision")
    if quote.status != QuoteStatus.SENT or decision not in {"accept", "refuse"}:
        messages.error(
            request,
            f"État du devis : le devis n° {quote.number} est « {quote.get_status_display()} » ; "
            "seul un devis envoyé peut être accepté ou refusé.",
        )
    else:
        actions.decide_quote(quote, accepted=decision == "accept", on=today(), by=request.user)  # type: ignore[arg-type]
        messages.success(
            request, f"Devis n° {quote.number} : {quote.get_status_display().lower()}."
        )
    return redirect("clients:client", pk=quote.client_id)


# --- Orders ---------------------------------------------------------------------------------


def order_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk, PLANNING_ROLES)
    form = OrderForm(
        request.POST or None,
        instance=Order(entity=client.entity, client=client),
        client=client,
        initial={"first_day": today(), "interval_weeks": 1, "quantity": 1},
    )
    if request.method == "POST" and form.is_valid():
        order = actions.create_order(form.instance, by=request.user)  # type: ignore[arg-type]
        messages.success(request, "La commande a été enregistrée.")
        return redirect("orders:order", pk=order.pk)
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": f"Nouvelle commande — {client.name}", "client": client},
    )


def _order(request: HttpRequest, pk: int) -> Order:
    order = get_for_user_or_404(
        request,
        Order.objects.select_related(
            "entity", "client", "service", "site", "quote", "usual_worker"
        ),
        pk=pk,
    )
    require_roles(request, order.entity, *PLANNING_ROLES)
    return order


def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    day = today()
    trail = audit.entries_for(order)
    interventions = order.interventions.select_related("worker").order_by("start")
    context = {
        "order": order,
        "weekday_names": ", ".join(DAY_NAMES[int(d)].lower() for d in order.weekdays),
        "exceptions": order.exceptions.all(),
        "interventions": interventions,
        "assign_form": AssignForm(entity=order.entity),
        "generate_form": GenerateForm(
            initial={
                "start": max(day, order.first_day),
                "end": max(day, order.first_day) + timedelta(days=27),
            }
        ),
        "exception_form": OrderExceptionForm(order=order),
        "audit_entries": trail[:AUDIT_PREVIEW],
        "audit_has_more": False,
    }
    return render(request, "orders/order_detail.html", context)


def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = OrderForm(request.POST or None, instance=order, client=order.client)
    if request.method == "POST" and form.is_valid():
        actions.update_order(form.instance, changes=audit.form_changes(form), by=request.user)  # type: ignore[arg-type]
        messages.success(request, "La commande a été mise à jour.")
        return redirect("orders:order", pk=order.pk)
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": f"Modifier la commande {order}", "order": order},
    )


def exception_new(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = OrderExceptionForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_order_exception(order, day=data["day"], reason=data["reason"], by=request.user)  # type: ignore[arg-type]
        messages.success(
            request, f"Le {format_date(data['day'])} est une exception de la commande."
        )
        return redirect("orders:order", pk=order.pk)
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": f"Nouvelle exception — {order}", "order": order},
    )


def generate(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the interventions of a period (POST ``start``, ``end``)."""
    order = _order(request, pk)
    if refused := _post_only(request):
        return refused
    form = GenerateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Période à générer : {error}")
        return redirect("orders:order", pk=order.pk)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    result = actions.generate_interventions(order, start=start, end=end, by=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        f"Du {format_date(start)} au {format_date(end)} : {result.created} intervention(s) "
        f"créée(s), {result.existing} existai(en)t déjà.",
    )
    return redirect("orders:order", pk=order.pk)


def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign a worker to one intervention (POST ``worker``) after the planning checks."""
    intervention = get_for_user_or_404(
        request,
        Intervention.objects.select_related("order__entity", "order__client", "entity"),
        pk=pk,
    )
    order = intervention.order
    require_roles(request, order.entity, *PLANNING_ROLES)
    if refused := _post_only(request):
        return refused
    form = AssignForm(request.POST, entity=order.entity)
    if not form.is_valid():
        messages.error(request, "Intervenant : choisissez un salarié de la structure.")
        return redirect("orders:order", pk=order.pk)
    worker = form.cleaned_data["worker"]
    try:
        actions.assign_worker(intervention, worker=worker, today=today(), by=request.user)  # type: ignore[arg-type]
    except actions.AssignmentRefused as exc:
        for error in exc.errors:
            messages.error(request, error)
    else:
        messages.success(
            request,
            f"{worker.full_name} interviendra le {format_date(intervention.day)}.",
        )
    return redirect("orders:order", pk=order.pk)


def assign_usual(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign the usual worker to the order's future interventions still without a worker."""
    order = _order(request, pk)
    if refused := _post_only(request):
        return refused
    if order.usual_worker is None:
        messages.error(request, "Intervenant habituel : la commande n'en a pas.")
        return redirect("orders:order", pk=order.pk)
    result = actions.assign_usual_worker(order, today=today(), by=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        f"{order.usual_worker.full_name} : {result.assigned} intervention(s) attribuée(s).",
    )
    for intervention, errors in result.refused:
        messages.error(request, f"Le {format_date(intervention.day)} : {' '.join(errors)}")
    return redirect("orders:order", pk=order.pk)


# --- Absences -------------------------------------------------------------------------------


@entity_required
def absence_new(request: HttpRequest, pk: int) -> HttpResponse:
    entity = request.entity  # type: ignore[attr-defined]
    person = get_for_user_or_404(
        request,
        Person.objects.filter(contracts__entity_id__in=visible_entity_ids(request)).distinct(),
        entity_path="contracts__entity",
        pk=pk,
    )
    require_roles(request, entity, *PLANNING_ROLES)
    # The absence is recorded in the current entity: the person must work there.
    if not person.contracts.filter(entity=entity).exists():
        raise Http404("Aucun salarié de cette structure ne correspond à votre demande.")
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_absence(
            person,
            entity=entity,
            kind=AbsenceKind(data["kind"]),
            start=data["start"],
            end=data["end"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, f"L'absence de {person.full_name} a été enregistrée.")
        week = rules.iso_week_label(data["start"])
        return redirect(f"{reverse('orders:board')}?semaine={week}")
    return render(
        request,
        "orders/form.html",
        {"form": form, "title": f"Nouvelle absence — {person.full_name}"},
    )


# --- Board ----------------------------------------------------------------------------------


def _week(request: HttpRequest) -> date:
    monday = rules.parse_iso_week(request.GET.get("semaine", ""))
    if monday is None:
        day = today()
        monday = day - timedelta(days=day.weekday())
    return monday


@entity_required
def board(request: HttpRequest) -> HttpResponse:
    """The week of the current entity by worker or by client (``?semaine=2026-W48&vue=…``).

    Three queries whatever the number of rows: the contracts running in the week, the
    interventions of the week, the absences of the week.
    """
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *PLANNING_ROLES)
    monday = _week(request)
    sunday = monday + timedelta(days=6)
    days = [monday + timedelta(days=i) for i in range(7)]
    view = "clients" if request.GET.get("vue") == "clients" else "salaries"

    contracts = list(
        Contract.objects.filter(entity=entity)
        .running_between(monday, sunday)
        .select_related("person")
        .order_by("person__birth_name", "person__first_name", "person_id", "-start")
    )
    person_ids = {c.person_id for c in contracts}
    interventions = list(
        Intervention.objects.filter(day__range=(monday, sunday))
        .exclude(status=InterventionStatus.CANCELLED)
        .filter(entity=entity)
        .select_related("order__client", "worker")
        .order_by("start", "pk")
    )
    absences = list(
        # Only this entity's absences: another entity's reasons are not the planner's to see.
        Absence.objects.filter(
            entity=entity, person_id__in=person_ids, start__lte=sunday, end__gte=monday
        )
        .select_related("person")
        .order_by("start", "pk")
    )

    by_worker_day: dict[tuple[int | None, date], list[Intervention]] = defaultdict(list)
    by_client_day: dict[tuple[int, date], list[Intervention]] = defaultdict(list)
    clients: dict[int, Client] = {}
    hours: dict[int, Decimal] = defaultdict(Decimal)
    for intervention in interventions:
        by_worker_day[(intervention.worker_id, intervention.day)].append(intervention)
        by_client_day[(intervention.order.client_id, intervention.day)].append(intervention)
        clients[intervention.order.client_id] = intervention.order.client
        if intervention.worker_id:
            hours[intervention.worker_id] += intervention.planned_hours
    absent: dict[tuple[int, date], str] = {}
    for absence in absences:
        for day in days:
            if absence.start <= day <= absence.end:
                absent[(absence.person_id, day)] = absence.get_kind_display()

    rows = []
    seen: set[int] = set()
    for contract in contracts:
        if contract.person_id in seen:
            continue
        seen.add(contract.person_id)
        rows.append(
            {
                "label": contract.person.full_name,
                "person": contract.person,
                "target": rules.weekly_target(contract.weekly_hours, contract.monthly_hours),
                "hours": hours.get(contract.person_id, Decimal(0)),
                "cells": [
                    {
                        "interventions": by_worker_day.get((contract.person_id, day), []),
                        "absence": absent.get((contract.person_id, day), ""),
                    }
                    for day in days
                ],
            }
        )
    unassigned = [
        {"interventions": by_worker_day.get((None, day), []), "absence": ""} for day in days
    ]
    client_rows = [
        {
            "label": client.name,
            "client": client,
            "cells": [
                {"interventions": by_client_day.get((client.pk, day), []), "absence": ""}
                for day in days
            ],
        }
        for client in sorted(clients.values(), key=lambda c: (c.name, c.pk))
    ]
    context = {
        "entity": entity,
        "view": view,
        "week": rules.iso_week_label(monday),
        "previous_week": rules.iso_week_label(monday - timedelta(days=7)),
        "next_week": rules.iso_week_label(monday + timedelta(days=7)),
        "monday": monday,
        "sunday": sunday,
        "days": [{"name": DAY_NAMES[i], "day": d} for i, d in enumerate(days)],
        "rows": rows,
        "unassigned": unassigned,
        "has_unassigned": any(cell["interventions"] for cell in unassigned),
        "client_rows": client_rows,
        "absences": absences,
    }
    template = "orders/board.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#board"
    return render(request, template, context)
