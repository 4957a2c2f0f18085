from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tremplin.accounts.rules import STAFF_ROLES, Role
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import (
    entity_required,
    get_entity_or_404,
    get_for_user_or_404,
    require_roles,
)
from tremplin.organisations import actions
from tremplin.organisations.forms import AnnexForm, ConventionForm, EntityForm
from tremplin.organisations.models import Convention, Entity
from tremplin.organisations.rules import AnnexState, SiaeKind

AUDIT_PREVIEW = 10


@entity_required
def group(request: HttpRequest) -> HttpResponse:
    """The group page: its entities, each with its conventions and SAP declarations."""
    current = request.entity  # type: ignore[attr-defined]
    require_roles(request, current, *STAFF_ROLES)
    entities = (
        Entity.objects.filter(
            group=current.group,
            pk__in=[e.pk for e in request.visible_entities],  # type: ignore[attr-defined]
        )
        .prefetch_related(
            Prefetch("conventions", queryset=Convention.objects.prefetch_related("annexes")),
            "sap_declarations",
            "sites",
        )
        .order_by("name")
    )
    return render(
        request,
        "organisations/group.html",
        {"group": current.group, "entities": entities, "today": today()},
    )


def entity_detail(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, *STAFF_ROLES)
    trail = audit.entries_for(entity)
    show_all = request.GET.get("journal") == "tout"
    context = {
        "entity": entity,
        "conventions": entity.conventions.prefetch_related("annexes"),
        "sap_declarations": entity.sap_declarations.all(),
        "sites": entity.sites.all(),
        "audit_entries": trail if show_all else trail[:AUDIT_PREVIEW],
        "audit_has_more": not show_all and trail.count() > AUDIT_PREVIEW,
        "can_edit": Role.DIRECTION in request.user.roles_in(entity),  # type: ignore[union-attr]
        "today": today(),
    }
    template = "organisations/entity_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#audit-trail"
    return render(request, template, context)


def entity_edit(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, Role.DIRECTION)
    form = EntityForm(request.POST or None, instance=entity)
    if request.method == "POST" and form.is_valid():
        actions.update_entity(form.instance, changes=audit.form_changes(form), by=request.user)  # type: ignore[arg-type]
        messages.success(request, "La structure a été mise à jour.")
        return redirect("organisations:entity", entity_slug=entity.slug)
    return render(request, "organisations/entity_form.html", {"entity": entity, "form": form})


def convention_add(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, Role.DIRECTION)
    form = ConventionForm(request.POST or None, entity=entity)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_convention(
            entity,
            kind=SiaeKind(data["kind"]),
            number=data["number"],
            start=data["start"],
            end=data["end"],
            territory=data["territory"],
            posts=data["posts"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "La convention a été ajoutée.")
        return redirect("organisations:entity", entity_slug=entity.slug)
    return render(
        request,
        "organisations/convention_form.html",
        {"entity": entity, "form": form, "title": "Nouvelle convention IAE"},
    )


def annex_add(request: HttpRequest, entity_slug: str, pk: int) -> HttpResponse:
    convention = get_for_user_or_404(
        request, Convention.objects.select_related("entity"), pk=pk, entity__slug=entity_slug
    )
    require_roles(request, convention.entity, Role.DIRECTION)
    form = AnnexForm(request.POST or None, convention=convention)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_annex(
            convention,
            year=data["year"],
            number=data["number"],
            etp=data["etp"],
            state=AnnexState(data["state"]),
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "L'annexe financière a été ajoutée.")
        return redirect("organisations:entity", entity_slug=convention.entity.slug)
    return render(
        request,
        "organisations/convention_form.html",
        {
            "entity": convention.entity,
            "form": form,
            "title": f"Nouvelle annexe financière — {convention}",
        },
    )
