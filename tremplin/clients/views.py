from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from tremplin.clients import actions
from tremplin.clients.forms import (
    ClientContactForm,
    ClientForm,
    ClientRequirementForm,
    ClientSiteForm,
)
from tremplin.clients.models import Client, ClientContact, ClientRequirement, ClientSite
from tremplin.clients.rules import CLIENT_ROLES
from tremplin.contracts.rules import economic_dismissal_ban_end, mad_cap_applies
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import entity_required, get_for_user_or_404, require_roles
from tremplin.orders.rules import CATALOGUE_ROLES, PLANNING_ROLES
from tremplin.sap.rules import SAP_ROLES

AUDIT_PREVIEW = 10


@entity_required
def client_list(request: HttpRequest) -> HttpResponse:
    """The clients of the current entity, active ones first."""
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *CLIENT_ROLES)
    clients = Client.objects.filter(entity=entity).order_by("-is_active", "name", "pk")
    day = today()
    rows = [
        {
            "client": client,
            "barred_until": _barred_until(client, day),
            "counted": mad_cap_applies(client.kind),  # type: ignore[arg-type]
        }
        for client in clients
    ]
    return render(request, "clients/client_list.html", {"entity": entity, "rows": rows})


@entity_required
def client_new(request: HttpRequest) -> HttpResponse:
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *CLIENT_ROLES)
    form = ClientForm(request.POST or None, instance=Client(entity=entity), entity=entity)
    if request.method == "POST" and form.is_valid():
        client = actions.create_client(form.instance, by=request.user)  # type: ignore[arg-type]
        messages.success(request, f"Le client « {client.name} » a été créé.")
        return redirect("clients:client", pk=client.pk)
    return render(
        request,
        "clients/client_form.html",
        {"entity": entity, "form": form, "title": "Nouveau client"},
    )


def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_user_or_404(request, Client.objects.select_related("entity"), pk=pk)
    roles = require_roles(request, client.entity, *CLIENT_ROLES)
    trail = audit.entries_for(client)
    show_all = request.GET.get("journal") == "tout"
    day = today()
    context = {
        "client": client,
        "placements": client.placements.select_related("contract__person").order_by(
            "-start", "-pk"
        ),
        "counted": mad_cap_applies(client.kind),  # type: ignore[arg-type]
        "barred_until": _barred_until(client, day),
        "audit_entries": trail if show_all else trail[:AUDIT_PREVIEW],
        "audit_has_more": not show_all and trail.count() > AUDIT_PREVIEW,
        "contacts": client.contacts.all(),
        "sites": client.sites.all(),
        "requirements": client.requirements.all(),
        "orders": client.orders.select_related("service").order_by("-first_day", "-pk"),
        "quotes": client.quotes.order_by("-issued_on", "-pk"),
        "prices": client.prices.select_related("service").order_by("service__name", "-valid_from"),
        "can_sell": bool(roles & CATALOGUE_ROLES),
        "can_plan": bool(roles & PLANNING_ROLES),
        "can_see_sap": bool(roles & SAP_ROLES),
    }
    template = "clients/client_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#audit-trail"
    return render(request, template, context)


def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_for_user_or_404(request, Client.objects.select_related("entity"), pk=pk)
    require_roles(request, client.entity, *CLIENT_ROLES)
    form = ClientForm(request.POST or None, instance=client, entity=client.entity)
    if request.method == "POST" and form.is_valid():
        actions.update_client(form.instance, changes=audit.form_changes(form), by=request.user)  # type: ignore[arg-type]
        messages.success(request, f"Le client « {client.name} » a été mis à jour.")
        return redirect("clients:client", pk=client.pk)
    return render(
        request,
        "clients/client_form.html",
        {
            "entity": client.entity,
            "form": form,
            "title": f"Modifier {client.name}",
            "client": client,
        },
    )


def _barred_until(client: Client, day: date) -> date | None:
    """The last day placements at ``client`` are barred by its economic dismissal, if still so."""
    if client.economic_dismissal_on is None:
        return None
    end = economic_dismissal_ban_end(client.economic_dismissal_on)
    return end if end >= day else None


def _client_for_details(request: HttpRequest, pk: int) -> Client:
    client = get_for_user_or_404(request, Client.objects.select_related("entity"), pk=pk)
    require_roles(request, client.entity, *CLIENT_ROLES)
    return client


def _detail_form(
    request: HttpRequest, client: Client, form: Any, add: Any, title: str, done: str
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        add(form.instance, by=request.user)
        messages.success(request, done)
        return redirect("clients:client", pk=client.pk)
    return render(
        request,
        "clients/client_form.html",
        {"entity": client.entity, "form": form, "title": title, "client": client},
    )


def contact_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_for_details(request, pk)
    form = ClientContactForm(request.POST or None, instance=ClientContact(client=client))
    return _detail_form(
        request,
        client,
        form,
        actions.add_client_contact,
        f"Nouveau contact — {client.name}",
        "Le contact a été ajouté.",
    )


def site_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_for_details(request, pk)
    form = ClientSiteForm(request.POST or None, instance=ClientSite(client=client))
    return _detail_form(
        request,
        client,
        form,
        actions.add_client_site,
        f"Nouveau lieu d'intervention — {client.name}",
        "Le lieu d'intervention a été ajouté.",
    )


def requirement_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_for_details(request, pk)
    form = ClientRequirementForm(
        request.POST or None, instance=ClientRequirement(client=client), client=client
    )
    return _detail_form(
        request,
        client,
        form,
        actions.add_client_requirement,
        f"Nouvelle exigence — {client.name}",
        "L'exigence du client a été ajoutée.",
    )


_DETAILS: dict[str, type[ClientContact | ClientSite | ClientRequirement]] = {
    "contact": ClientContact,
    "lieu": ClientSite,
    "exigence": ClientRequirement,
}


def detail_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Remove a contact, site or requirement of a client (POST); a site used by an order stays."""
    model = _DETAILS.get(kind)
    if model is None:
        raise Http404("Aucun objet ne correspond à votre demande.")
    detail: ClientContact | ClientSite | ClientRequirement = get_for_user_or_404(  # type: ignore[assignment]
        request,
        model._default_manager.select_related("client__entity"),
        entity_path="client__entity",
        pk=pk,
    )
    client = detail.client
    require_roles(request, client.entity, *CLIENT_ROLES)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        actions.remove_client_detail(detail, by=request.user)  # type: ignore[arg-type]
    except ProtectedError:
        messages.error(
            request,
            f"Lieu d'intervention : « {detail} » est le lieu d'au moins une commande ; "
            "il ne peut pas être supprimé.",
        )
    else:
        messages.success(request, f"« {detail} » a été retiré de la fiche du client.")
    return redirect("clients:client", pk=client.pk)
