from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.text import slugify

from tremplin.clients.rules import ClientKind
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.models import Contract
from tremplin.core.dates import today
from tremplin.core.entities import (
    entity_required,
    get_entity_or_404,
    get_for_user_or_404,
    require_roles,
    visible_entity_ids,
)
from tremplin.core.models import AuditEntry
from tremplin.core.pdf import render_pdf
from tremplin.missions import actions
from tremplin.missions.forms import DerogationForm, PlacementForm
from tremplin.missions.models import MadDerogation, Placement, is_association_intermediaire
from tremplin.missions.rules import (
    DEROGATION_ROLES,
    LEDGER_READ_ROLES,
    PLACEMENT_CONTRACT_KINDS,
    PLACEMENT_WRITE_ROLES,
    PlacementDecision,
    derogation_in_force,
    mad_ledger,
)
from tremplin.organisations.models import Entity
from tremplin.organisations.rules import SiaeKind
from tremplin.people.models import Person
from tremplin.people.views import get_person_for_user_or_404

AUDIT_PREVIEW = 10


def _running_or_upcoming(day: date) -> Q:
    """Contracts not ended before ``day``: running or starting later."""
    return (
        Q(actual_end__gte=day)
        | Q(actual_end__isnull=True, planned_end__isnull=True)
        | Q(actual_end__isnull=True, planned_end__gte=day)
    )


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """The AI's salariés under a CDDU or CDDUA, most used cap first."""
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *LEDGER_READ_ROLES)
    day = today()
    is_ai = is_association_intermediaire(entity)
    contracts = (
        Contract.objects.filter(entity=entity, kind__in=PLACEMENT_CONTRACT_KINDS)
        .filter(_running_or_upcoming(day))
        .select_related("person")
        .order_by("start", "pk")
    )
    people: dict[int, Person] = {}
    contracts_by_person: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        people[contract.person_id] = contract.person
        contracts_by_person[contract.person_id].append(contract)
    placements_by_person: dict[int, list[contract_rules.Placement]] = defaultdict(list)
    for placement in Placement.objects.filter(
        contract__entity=entity, contract__person_id__in=list(people)
    ).select_related("client", "contract"):
        placements_by_person[placement.contract.person_id].append(placement.as_rule())
    ledgers = {pk: mad_ledger(placements_by_person[pk], today=day) for pk in people}
    order = sorted(people, key=lambda pk: (-ledgers[pk].percent, people[pk].full_name))
    rows = [
        {"person": people[pk], "contracts": contracts_by_person[pk], "ledger": ledgers[pk]}
        for pk in order
    ]
    return render(
        request,
        "missions/index.html",
        {
            "entity": entity,
            "is_ai": is_ai,
            "rows": rows,
            "can_manage_derogations": bool(
                request.user.roles_in(entity) & DEROGATION_ROLES  # type: ignore[union-attr]
            ),
        },
    )


def ledger(request: HttpRequest, pk: int) -> HttpResponse:
    """The MAD ledger of one salarié: placements, cap windows and counters, per AI."""
    person, _ = get_person_for_user_or_404(request, pk, roles=LEDGER_READ_ROLES)
    day = today()
    contracts = (
        Contract.objects.filter(
            person=person,
            entity_id__in=visible_entity_ids(request),
            kind__in=PLACEMENT_CONTRACT_KINDS,
        )
        .select_related("entity")
        .order_by("entity__name", "-start", "-pk")
    )
    by_entity: dict[int, list[Contract]] = defaultdict(list)
    entities: dict[int, Entity] = {}
    for contract in contracts:
        by_entity[contract.entity_id].append(contract)
        entities[contract.entity_id] = contract.entity
    sections = []
    placement_ids: list[int] = []
    for entity_id, entity in entities.items():
        roles = request.user.roles_in(entity)  # type: ignore[union-attr]
        if not roles & LEDGER_READ_ROLES or not is_association_intermediaire(entity):
            continue
        placements = list(
            Placement.objects.of_worker(person.pk, entity_id)
            .select_related("client", "contract")
            .order_by("start", "pk")
        )
        placement_ids += [p.pk for p in placements]
        derogations = MadDerogation.objects.filter(entity=entity).ranges()
        rows = [
            {
                "placement": p,
                "counted": contract_rules.mad_cap_applies(ClientKind(p.client.kind)),
                "under_derogation": derogation_in_force(derogations, p.start),
            }
            for p in placements
        ]
        sections.append(
            {
                "entity": entity,
                "ledger": mad_ledger([p.as_rule() for p in placements], today=day),
                "rows": rows,
                "derogations": MadDerogation.objects.filter(entity=entity, valid_to__gte=day),
                "contracts": [c for c in by_entity[entity_id] if c.end is None or c.end >= day],
                "can_place": bool(roles & PLACEMENT_WRITE_ROLES),
            }
        )
    trail = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Placement),
        object_id__in=[str(pk) for pk in placement_ids],
    ).select_related("actor")
    show_all = request.GET.get("journal") == "tout"
    context = {
        "person": person,
        "sections": sections,
        "today": day,
        "audit_entries": trail if show_all else trail[:AUDIT_PREVIEW],
        "audit_has_more": not show_all and trail.count() > AUDIT_PREVIEW,
    }
    template = "missions/ledger.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#audit-trail"
    return render(request, template, context)


def placement_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new mission order under a CDDU or CDDUA, checked against the cap when saved."""
    contract = get_for_user_or_404(
        request, Contract.objects.select_related("entity", "person"), pk=pk
    )
    require_roles(request, contract.entity, *PLACEMENT_WRITE_ROLES)
    form = PlacementForm(request.POST or None, contract=contract)
    check = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            placement, check = actions.place_worker(
                contract,
                client=data["client"],
                number=data["number"],
                start=data["start"],
                end=data["end"],
                hours=data["hours"],
                task=data["task"],
                workplace=data["workplace"],
                hourly_rate=data["hourly_rate"],
                warning_acknowledged=data["acknowledge_warning"],
                today=today(),
                by=request.user,  # type: ignore[arg-type]
            )
        except actions.PlacementNotSaved as exc:
            check = exc.check
            if check.decision == PlacementDecision.REFUSED:
                form.add_error(check.field, check.status.message)
        else:
            messages.success(
                request,
                f"La mise à disposition n° {placement.number} chez {placement.client.name} a été "
                f"enregistrée. {check.status.message}",
            )
            return redirect("missions:ledger", pk=contract.person_id)
    placements = Placement.objects.of_worker(contract.person_id, contract.entity_id)
    return render(
        request,
        "missions/placement_form.html",
        {
            "contract": contract,
            "person": contract.person,
            "form": form,
            "contract_errors": form.contract_errors(),
            "to_confirm": check is not None and check.decision == PlacementDecision.TO_CONFIRM,
            "check": check,
            "ledger": mad_ledger(
                [p.as_rule() for p in placements.select_related("client")], today=today()
            ),
        },
    )


def placement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The *contrat de mise à disposition* of one placement, as a PDF attachment."""
    placement = get_for_user_or_404(
        request,
        Placement.objects.select_related("contract__entity", "contract__person", "client"),
        entity_path="contract__entity",
        pk=pk,
    )
    contract = placement.contract
    entity = contract.entity
    require_roles(request, entity, *LEDGER_READ_ROLES)
    start = placement.start
    convention = (
        entity.conventions.filter(kind=SiaeKind.AI, start__lte=start)
        .filter(Q(end__isnull=True) | Q(end__gte=start))
        .first()
        or entity.conventions.filter(kind=SiaeKind.AI).first()
    )
    html = render_to_string(
        "missions/placement_contract.html",
        {
            "placement": placement,
            "contract": contract,
            "entity": entity,
            "convention": convention,
            "client": placement.client,
            "person": contract.person,
            "counted": contract_rules.mad_cap_applies(ClientKind(placement.client.kind)),
            "cap_hours": contract_rules.MAD_CAP_HOURS.on(start),
            "cap_months": contract_rules.MAD_CAP_WINDOW_MONTHS.on(start),
            "ban_months": contract_rules.ECONOMIC_DISMISSAL_BAN_MONTHS.on(start),
            "today": today(),
        },
        request=request,
    )
    filename = slugify(f"contrat-mise-a-disposition-{contract.pk}-{placement.number}") + ".pdf"
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _ai_entity_or_404(request: HttpRequest, entity_slug: str) -> Entity:
    entity = get_entity_or_404(request, entity_slug)
    require_roles(request, entity, *DEROGATION_ROLES)
    if not is_association_intermediaire(entity):
        raise Http404("Cette structure n'est pas une association intermédiaire.")
    return entity


def derogations(request: HttpRequest, entity_slug: str) -> HttpResponse:
    """The préfet derogations to the MAD cap of one AI (art. D5132-18-1)."""
    entity = _ai_entity_or_404(request, entity_slug)
    items = list(MadDerogation.objects.filter(entity=entity).order_by("-valid_from"))
    trail = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(MadDerogation),
        object_id__in=[str(d.pk) for d in items],
    ).select_related("actor")
    return render(
        request,
        "missions/derogations.html",
        {"entity": entity, "derogations": items, "today": today(), "audit_entries": trail},
    )


def derogation_new(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = _ai_entity_or_404(request, entity_slug)
    form = DerogationForm(request.POST or None, entity=entity)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_mad_derogation(
            entity,
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            reference=data["reference"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "La dérogation préfectorale a été enregistrée.")
        return redirect("missions:derogations", entity_slug=entity.slug)
    return render(request, "missions/derogation_form.html", {"entity": entity, "form": form})
