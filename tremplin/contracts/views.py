from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.contracts import actions
from tremplin.contracts.forms import (
    AmendForm,
    ContractForm,
    EndForm,
    HabilitationForm,
    MedicalVisitForm,
    RegisterFilterForm,
    RenewForm,
    StaffLoanForm,
    YearForm,
    person_facts,
)
from tremplin.contracts.models import Contract, Habilitation, HabilitationKind, StaffLoan
from tremplin.contracts.rules import (
    CONTRACT_READ_ROLES,
    CONTRACT_WRITE_ROLES,
    ContractKind,
    EndReason,
    KindShare,
    PostType,
    RegisterAlert,
    contractual_monthly_hours,
    exit_category_for,
    exit_category_is_confirmed,
    is_cddu_conversion,
    is_part_time,
    kind_mix,
    percentage,
    register_alerts,
)
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import entity_required, get_for_user_or_404
from tremplin.core.money import to_cents
from tremplin.organisations.models import Entity
from tremplin.people.models import DocumentKind, Person, PersonDocument
from tremplin.people.views import get_person_for_user_or_404

AUDIT_PREVIEW = 10


# --- Access ------------------------------------------------------------------------------------


def _roles_by_entity(request: HttpRequest) -> dict[int, frozenset[Role]]:
    """The user's roles in each visible entity, group-wide ones included, in one query."""
    return request.user.roles_by_entity(request.visible_entities)  # type: ignore[union-attr, attr-defined]


def _entities_with(request: HttpRequest, roles: Collection[Role]) -> list[Entity]:
    """The visible entities where the user holds one of ``roles``, by name."""
    held = _roles_by_entity(request)
    return [e for e in request.visible_entities if held[e.pk] & set(roles)]  # type: ignore[attr-defined]


def _get_contract(request: HttpRequest, pk: int, roles: Collection[Role]) -> Contract:
    """The contract ``pk`` of a visible entity (else 404), for a user holding one of ``roles``."""
    contract = get_for_user_or_404(
        request,
        Contract.objects.select_related("entity__group", "person", "rome", "pathway_step"),
        pk=pk,
    )
    if not request.user.roles_in(contract.entity) & set(roles):  # type: ignore[union-attr]
        raise PermissionDenied("Votre rôle ne permet pas cette action sur les contrats.")
    return contract


def _get_person(
    request: HttpRequest, pk: int, roles: Collection[Role]
) -> tuple[Person, list[Entity]]:
    """The person ``pk`` and the entities of their group where the user holds one of ``roles``.

    A person is visible through their file, intakes, pathway steps and contracts
    (``Person.visible_in``); otherwise 404. 403 when the user holds none of ``roles`` in an
    entity the person is linked to.
    """
    person, _ = get_person_for_user_or_404(request, pk, roles=roles)
    held = _roles_by_entity(request)
    entities = [
        e
        for e in request.visible_entities  # type: ignore[attr-defined]
        if e.group_id == person.entity.group_id and held[e.pk] & set(roles)
    ]
    return person, entities


def _can_write(request: HttpRequest, entity: Entity) -> bool:
    return bool(request.user.roles_in(entity) & CONTRACT_WRITE_ROLES)  # type: ignore[union-attr]


def _exit_url(person: Person) -> str:
    """The pathway page where the CIP records the person's exit."""
    return reverse("pathways:exit_new", args=[person.pk])


# --- HR register -------------------------------------------------------------------------------


@dataclass
class RegisterRow:
    contract: Contract
    habilitations: list[Habilitation]
    next_visit: date | None
    work_permit_until: date | None
    loans: list[StaffLoan]
    alerts: list[RegisterAlert]


@dataclass
class EntityHeadcount:
    entity: Entity
    people: set[int] = field(default_factory=set)
    contracts: int = 0
    insertion: int = 0
    permanent: int = 0
    etp: Decimal = Decimal("0")

    @property
    def headcount(self) -> int:
        return len(self.people)


def _register_rows(contracts: Iterable[Contract], day: date) -> list[RegisterRow]:
    rows = []
    for contract in contracts:
        person = contract.person
        visits = [
            v.next_due_on for v in person.medical_visits.all() if v.entity_id == contract.entity_id
        ]
        permits = [d.valid_until for d in person.work_permits if d.valid_until is not None]  # type: ignore[attr-defined]
        habilitations = list(person.habilitations.all())
        next_visit = max(visits) if visits else None
        work_permit_until = max(permits) if permits else None
        alerts = register_alerts(
            today=day,
            contract_end=contract.end,
            work_permit_until=work_permit_until,
            medical_visit_due=next_visit,
            habilitations=[(str(h), h.expires_on) for h in habilitations],
            hourly_rate=contract.hourly_rate,
        )
        rows.append(
            RegisterRow(
                contract,
                habilitations,
                next_visit,
                work_permit_until,
                list(contract.current_loans),  # type: ignore[attr-defined]
                alerts,
            )
        )
    return rows


@entity_required
def register(request: HttpRequest) -> HttpResponse:
    """The group's HR register: staff under contract today in the entities the user may read."""
    day = today()
    entities = _entities_with(request, CONTRACT_READ_ROLES)
    if not entities:
        raise PermissionDenied("Votre rôle ne donne pas accès au registre du personnel.")
    form = RegisterFilterForm(request.GET or None, entities=entities)
    selected, post_type, kind = entities, "", ""
    if form.is_valid():
        slug = form.cleaned_data["structure"]
        selected = [e for e in entities if e.slug == slug] if slug else entities
        post_type, kind = form.cleaned_data["poste"], form.cleaned_data["contrat"]
    contracts = (
        Contract.objects.active_on(day)
        .filter(entity_id__in=[e.pk for e in selected])
        .select_related("entity", "person")
        .prefetch_related(
            "person__habilitations",
            "person__medical_visits",
            Prefetch(
                "person__documents",
                queryset=PersonDocument.objects.filter(kind=DocumentKind.WORK_PERMIT),
                to_attr="work_permits",
            ),
            Prefetch(
                "loans",
                queryset=StaffLoan.objects.filter(start__lte=day, end__gte=day).select_related(
                    "borrower"
                ),
                to_attr="current_loans",
            ),
        )
        .order_by("entity__name", "person__birth_name", "person__first_name", "start", "pk")
    )
    if post_type:
        contracts = contracts.filter(post_type=post_type)
    if kind:
        contracts = contracts.filter(kind=kind)
    rows = _register_rows(contracts, day)
    totals = {e.pk: EntityHeadcount(e) for e in selected}
    for row in rows:
        count = totals[row.contract.entity_id]
        count.people.add(row.contract.person_id)
        count.contracts += 1
        count.etp += row.contract.etp
        if row.contract.post_type == PostType.INSERTION:
            count.insertion += 1
        else:
            count.permanent += 1
    alerts = sorted(
        ((row, alert) for row in rows for alert in row.alerts),
        key=lambda pair: (not pair[1].is_urgent, pair[1].day),
    )
    context = {
        "form": form,
        "rows": rows,
        "totals": list(totals.values()),
        "total_people": len({row.contract.person_id for row in rows}),
        "total_etp": sum((row.contract.etp for row in rows), Decimal("0")),
        "alerts": alerts,
        "today": day,
    }
    template = "contracts/register.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#register"
    return render(request, template, context)


# --- Quality of employment ---------------------------------------------------------------------


@dataclass
class WorkerHours:
    person: Person
    contract: Contract
    monthly_hours: Decimal | None


@dataclass
class EntityQuality:
    entity: Entity
    mix: list[KindShare]
    contracts: int
    cddua_started: int
    conversions: int
    conversion_share: Decimal | None
    with_hours: int
    part_time: int
    part_time_share: Decimal | None
    without_hours: int
    average_monthly_hours: Decimal | None
    workers: list[WorkerHours]


def _entity_quality(
    entity: Entity,
    contracts: list[Contract],
    earlier: dict[tuple[int, int], list[tuple[ContractKind, date]]],
    first: date,
) -> EntityQuality:
    started_cddua = [c for c in contracts if c.kind == ContractKind.CDDUA and c.start >= first]
    conversions = [
        c
        for c in started_cddua
        if is_cddu_conversion(
            ContractKind.CDDUA, c.start, earlier.get((c.person_id, c.entity_id), [])
        )
    ]
    part_time = [is_part_time(c.weekly_hours, c.monthly_hours) for c in contracts]
    known = [p for p in part_time if p is not None]
    latest: dict[int, Contract] = {}
    for c in sorted(contracts, key=lambda c: (c.start, c.pk)):
        if c.post_type == PostType.INSERTION:
            latest[c.person_id] = c
    workers = sorted(
        (
            WorkerHours(c.person, c, contractual_monthly_hours(c.weekly_hours, c.monthly_hours))
            for c in latest.values()
        ),
        key=lambda w: (w.person.birth_name, w.person.first_name, w.person.pk),
    )
    hours = [w.monthly_hours for w in workers if w.monthly_hours is not None]
    average = to_cents(sum(hours, Decimal(0)) / len(hours)) if hours else None
    return EntityQuality(
        entity=entity,
        mix=kind_mix(ContractKind(c.kind) for c in contracts),
        contracts=len(contracts),
        cddua_started=len(started_cddua),
        conversions=len(conversions),
        conversion_share=percentage(len(conversions), len(started_cddua)),
        with_hours=len(known),
        part_time=sum(known),
        part_time_share=percentage(sum(known), len(known)),
        without_hours=len(part_time) - len(known),
        average_monthly_hours=average,
        workers=workers,
    )


@entity_required
def quality(request: HttpRequest) -> HttpResponse:
    """Quality of employment per entity over a calendar year: kinds, conversions, hours."""
    day = today()
    entities = _entities_with(request, CONTRACT_READ_ROLES)
    if not entities:
        raise PermissionDenied("Votre rôle ne donne pas accès aux indicateurs des contrats.")
    years = list(range(day.year, day.year - 6, -1))
    form = YearForm(request.GET or None, years=years)
    year = (form.cleaned_data["annee"] if form.is_valid() else None) or day.year
    first, last = date(year, 1, 1), date(year, 12, 31)
    contracts = list(
        Contract.objects.running_between(first, last)
        .filter(entity_id__in=[e.pk for e in entities])
        .select_related("person")
        .order_by("start", "pk")
    )
    cddua_people = {c.person_id for c in contracts if c.kind == ContractKind.CDDUA}
    earlier: dict[tuple[int, int], list[tuple[ContractKind, date]]] = defaultdict(list)
    for person_id, entity_id, kind, start in Contract.objects.filter(
        entity_id__in=[e.pk for e in entities], person_id__in=cddua_people, kind=ContractKind.CDDU
    ).values_list("person_id", "entity_id", "kind", "start"):
        earlier[(person_id, entity_id)].append((ContractKind(kind), start))
    by_entity: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_entity[contract.entity_id].append(contract)
    figures = [_entity_quality(e, by_entity[e.pk], earlier, first) for e in entities]
    return render(
        request,
        "contracts/quality.html",
        {"form": form, "year": year, "figures": figures},
    )


# --- One person's contracts, habilitations and medical visits ----------------------------------


def person_contracts(request: HttpRequest, pk: int) -> HttpResponse:
    person, entities = _get_person(request, pk, CONTRACT_READ_ROLES)
    ids = [e.pk for e in entities]
    writable = _entities_with(request, CONTRACT_WRITE_ROLES)
    can_write = any(e.group_id == person.entity.group_id for e in writable)
    context = {
        "person": person,
        "contracts": person.contracts.filter(entity_id__in=ids).select_related("entity"),
        "habilitations": person.habilitations.all(),
        "medical_visits": person.medical_visits.filter(entity_id__in=ids).select_related("entity"),
        "work_permits": person.documents.filter(kind=DocumentKind.WORK_PERMIT).order_by(
            "-valid_until"
        ),
        "can_write": can_write,
        "today": today(),
    }
    return render(request, "contracts/person_contracts.html", context)


def contract_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, entities = _get_person(request, pk, CONTRACT_WRITE_ROLES)
    if not entities:
        raise PermissionDenied("Votre rôle ne permet pas de conclure un contrat.")
    facts = person_facts(person)
    current = request.entity  # type: ignore[attr-defined]
    initial = {"entity": current.pk} if any(e.pk == current.pk for e in entities) else {}
    form = ContractForm(
        request.POST or None,
        initial=initial,
        person=person,
        entities=Entity.objects.filter(pk__in=[e.pk for e in entities]),
        facts=facts,
        today=today(),
    )
    if request.method == "POST" and form.is_valid():
        contract = actions.create_contract(form.instance, by=request.user)  # type: ignore[arg-type]
        messages.success(request, "Le contrat a été enregistré.")
        return redirect("contracts:contract", pk=contract.pk)
    return render(
        request,
        "contracts/form_page.html",
        {
            "form": form,
            "title": f"Nouveau contrat — {person}",
            "cancel_url": reverse("contracts:person_contracts", args=[person.pk]),
            "aside": "contracts/_person_facts.html",
            "facts": facts,
            "person": person,
        },
    )


def habilitation_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, _ = _get_person(request, pk, CONTRACT_WRITE_ROLES)
    form = HabilitationForm(request.POST or None, today=today())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_habilitation(
            person,
            kind=HabilitationKind(data["kind"]),
            label=data["label"],
            obtained_on=data["obtained_on"],
            expires_on=data["expires_on"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "L'habilitation a été enregistrée.")
        return redirect("contracts:person_contracts", pk=person.pk)
    return render(
        request,
        "contracts/form_page.html",
        {
            "form": form,
            "title": f"Nouvelle habilitation — {person}",
            "cancel_url": reverse("contracts:person_contracts", args=[person.pk]),
            "aside": "",
        },
    )


def medical_visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, entities = _get_person(request, pk, CONTRACT_WRITE_ROLES)
    day = today()
    employers = list(
        person.contracts.filter(entity_id__in=[e.pk for e in entities])
        .order_by("-start")
        .values_list("entity_id", flat=True)
    )
    choices = Entity.objects.filter(pk__in=employers or [e.pk for e in entities])
    form = MedicalVisitForm(
        request.POST or None,
        initial={"entity": employers[0]} if employers else {},
        entities=choices,
        today=day,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_medical_visit(
            person,
            entity=data["entity"],
            done_on=data["done_on"],
            next_due_on=data["next_due_on"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "La visite médicale a été enregistrée.")
        return redirect("contracts:person_contracts", pk=person.pk)
    return render(
        request,
        "contracts/form_page.html",
        {
            "form": form,
            "title": f"Visite médicale — {person}",
            "cancel_url": reverse("contracts:person_contracts", args=[person.pk]),
            "aside": "",
        },
    )


# --- One contract ------------------------------------------------------------------------------


def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk, CONTRACT_READ_ROLES)
    renewals = list(contract.renewals.all())
    trail = audit.entries_for(contract)
    show_all = request.GET.get("journal") == "tout"
    can_write = _can_write(request, contract.entity)
    exit_category = exit_category_confirmed = None
    if contract.end_reason:
        reason = EndReason(contract.end_reason)
        exit_category = exit_category_for(reason)
        exit_category_confirmed = exit_category_is_confirmed(reason)
    context = {
        "contract": contract,
        "chain": contract.renewal_chain()[:-1],
        "renewals": renewals,
        "amendments": contract.amendments.select_related("created_by"),
        "loans": contract.loans.select_related("borrower"),
        "can_write": can_write,
        "can_renew": can_write and contract.can_be_renewed(has_renewal=bool(renewals)),
        "exit_category": exit_category,
        "exit_category_confirmed": exit_category_confirmed,
        "exit_url": _exit_url(contract.person) if contract.end_reason else None,
        "audit_entries": trail if show_all else trail[:AUDIT_PREVIEW],
        "audit_has_more": not show_all and trail.count() > AUDIT_PREVIEW,
    }
    template = "contracts/contract_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#audit-trail"
    return render(request, template, context)


def _closed(request: HttpRequest, contract: Contract, what: str) -> HttpResponse:
    messages.error(request, f"Ce contrat a pris fin : {what}.")
    return redirect("contracts:contract", pk=contract.pk)


def amend(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk, CONTRACT_WRITE_ROLES)
    if not contract.can_be_amended:
        return _closed(request, contract, "il ne peut plus faire l'objet d'un avenant")
    form = AmendForm(
        request.POST or None, contract=contract, facts=person_facts(contract.person), today=today()
    )
    if request.method == "POST" and form.is_valid():
        actions.amend_contract(
            contract,
            changes=form.changes(),
            effective_on=form.cleaned_data["effective_on"],
            reason=form.cleaned_data["reason"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "L'avenant a été enregistré.")
        return redirect("contracts:contract", pk=contract.pk)
    return render(
        request,
        "contracts/form_page.html",
        {
            "form": form,
            "title": f"Avenant — {contract}",
            "cancel_url": reverse("contracts:contract", args=[contract.pk]),
            "aside": "contracts/_amendments.html",
            "amendments": contract.amendments.select_related("created_by"),
        },
    )


def renew(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk, CONTRACT_WRITE_ROLES)
    if not contract.can_be_renewed(has_renewal=contract.renewals.exists()):
        messages.error(
            request,
            "Ce contrat ne peut pas être renouvelé : il est sans terme, terminé ou déjà renouvelé.",
        )
        return redirect("contracts:contract", pk=contract.pk)
    form = RenewForm(
        request.POST or None, previous=contract, facts=person_facts(contract.person), today=today()
    )
    if request.method == "POST" and form.is_valid():
        renewal = actions.renew_contract(contract, renewal=form.instance, by=request.user)  # type: ignore[arg-type]
        messages.success(request, "Le renouvellement a été enregistré.")
        return redirect("contracts:contract", pk=renewal.pk)
    return render(
        request,
        "contracts/form_page.html",
        {
            "form": form,
            "title": f"Renouvellement — {contract}",
            "cancel_url": reverse("contracts:contract", args=[contract.pk]),
            "aside": "contracts/_renewal_facts.html",
            "previous": contract,
            "months_so_far": contract.months_before(),
        },
    )


def end(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk, CONTRACT_WRITE_ROLES)
    if not contract.can_be_ended:
        return _closed(request, contract, "sa fin est déjà enregistrée")
    form = EndForm(request.POST or None, contract=contract, today=today())
    if request.method == "POST" and form.is_valid():
        reason = EndReason(form.cleaned_data["end_reason"])
        actions.end_contract(
            contract,
            on=form.cleaned_data["actual_end"],
            reason=reason,
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(
            request,
            f"La fin du contrat est enregistrée : catégorie de sortie « "
            f"{exit_category_for(reason).label} ».",
        )
        return redirect("contracts:contract", pk=contract.pk)
    categories = [
        (reason, exit_category_for(reason), exit_category_is_confirmed(reason))
        for reason in EndReason
    ]
    return render(
        request,
        "contracts/form_page.html",
        {
            "form": form,
            "title": f"Fin du contrat — {contract}",
            "cancel_url": reverse("contracts:contract", args=[contract.pk]),
            "aside": "contracts/_exit_categories.html",
            "categories": categories,
        },
    )


def loan_new(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract(request, pk, CONTRACT_WRITE_ROLES)
    if not contract.can_be_amended:
        return _closed(request, contract, "son salarié ne peut plus être prêté")
    form = StaffLoanForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.lend_staff(
            contract,
            borrower=data["borrower"],
            start=data["start"],
            end=data["end"],
            weekly_hours=data["weekly_hours"],
            hourly_cost=data["hourly_cost"],
            agreement_reference=data["agreement_reference"],
            consent_on=data["consent_on"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, "Le prêt de main-d'œuvre et son avenant sont enregistrés.")
        return redirect("contracts:contract", pk=contract.pk)
    return render(
        request,
        "contracts/form_page.html",
        {
            "form": form,
            "title": f"Prêt de main-d'œuvre — {contract}",
            "cancel_url": reverse("contracts:contract", args=[contract.pk]),
            "aside": "contracts/_loan_rules.html",
        },
    )
