from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tremplin.clients import actions
from tremplin.clients.forms import ClientForm
from tremplin.clients.models import Client
from tremplin.clients.rules import CLIENT_ROLES
from tremplin.contracts.rules import economic_dismissal_ban_end, mad_cap_applies
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import entity_required, get_for_user_or_404, require_roles

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
    require_roles(request, client.entity, *CLIENT_ROLES)
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
