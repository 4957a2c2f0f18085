"""The front door of the group (intakes) and the person file.

Who may do what is in ``accounts.rules`` (``INTAKE_ROLES``, ``PERSON_READ_ROLES``…): a person
linked to no entity the user sees is a 404, a role outside the set a 403. Reading a file, a NIR
or a document writes an access-log entry.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from tremplin.accounts.models import User
from tremplin.accounts.rules import (
    INTAKE_ROLES,
    NIR_REVEAL_ROLES,
    PATHWAY_READ_ROLES,
    PERSON_READ_ROLES,
    PERSON_WRITE_ROLES,
    Role,
)
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import get_for_user_or_404, require_roles, visible_entity_ids
from tremplin.organisations.models import Entity
from tremplin.pathways.models import insertion_months_of, person_timeline
from tremplin.people import actions
from tremplin.people.forms import (
    NIR_TAKEN,
    IntakeForm,
    IntakeMoveForm,
    IntakeOrientForm,
    PersonDocumentForm,
    PersonForm,
    PersonJobForm,
)
from tremplin.people.models import (
    DocumentKind,
    Intake,
    IntakeChannel,
    NotAdmittedReason,
    Orienter,
    Person,
    PersonDocument,
    SkillKind,
    roles_for_person,
)
from tremplin.people.rules import IntakeStatus, is_waiting

PAGE_SIZE = 25
AUDIT_PREVIEW = 10
WAITING_STATUSES = [status for status in IntakeStatus if is_waiting(status)]


def get_person_for_user_or_404(
    request: HttpRequest, pk: int, *, roles: Collection[Role]
) -> tuple[Person, frozenset[Role]]:
    """The person ``pk`` if linked to an entity the user sees (else 404), and the user's roles.

    Raises 403 when none of the user's roles for this person is in ``roles``.
    """
    entity_ids = visible_entity_ids(request)
    try:
        person = Person.objects.visible_in(entity_ids).select_related("entity").get(pk=pk)
    except Person.DoesNotExist as exc:
        raise Http404("Aucune personne ne correspond à votre demande.") from exc
    held = frozenset(
        Role(r)
        for r in roles_for_person(request.user, person, entity_ids)  # type: ignore[arg-type]
    )
    if not held & set(roles):
        raise PermissionDenied("Votre rôle ne donne pas accès à cette partie du dossier.")
    return person, held


def entities_with_roles(request: HttpRequest, roles: Collection[Role]) -> list[Entity]:
    """The visible entities in which the user holds one of ``roles``; 403 when there are none."""
    wanted = set(roles)
    visible = request.visible_entities  # type: ignore[attr-defined]
    held = request.user.roles_by_entity(visible)  # type: ignore[union-attr]
    entities = [entity for entity in visible if held[entity.pk] & wanted]
    if not entities:
        raise PermissionDenied("Votre rôle ne donne pas accès à cette page.")
    return entities


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- Intakes ---------------------------------------------------------------------------------


def intakes(request: HttpRequest) -> HttpResponse:
    """The reception worklist: intakes still waiting, oldest first, with counts per step."""
    entities = entities_with_roles(request, INTAKE_ROLES)
    waiting = Intake.objects.filter(entity__in=entities, status__in=WAITING_STATUSES)
    chosen = next((e for e in entities if e.slug == request.GET.get("structure")), None)
    if chosen is not None:
        waiting = waiting.filter(entity=chosen)
    counts = {
        row["status"]: row["n"]
        for row in waiting.order_by().values("status").annotate(n=Count("pk"))
    }
    step = request.GET.get("etape", "")
    rows = waiting.filter(status=step) if step in WAITING_STATUSES else waiting
    page = Paginator(
        rows.select_related("person", "entity").order_by("contacted_on", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    day = today()
    return render(
        request,
        "people/intakes.html",
        {
            "entities": entities,
            "chosen": chosen,
            "step": step if step in WAITING_STATUSES else "",
            "steps": [
                {"value": s.value, "label": s.label, "count": counts.get(s.value, 0)}
                for s in WAITING_STATUSES
            ],
            "total": sum(counts.values()),
            "page": page,
            "rows": [(intake, (day - intake.contacted_on).days) for intake in page],
        },
    )


def intake_new(request: HttpRequest) -> HttpResponse:
    """Record a first contact, after looking for the person among the group's files."""
    entities = entities_with_roles(request, INTAKE_ROLES)
    day = today()
    current = request.entity  # type: ignore[attr-defined]
    default = current if current in entities else entities[0]
    form = IntakeForm(
        request.POST or None,
        entities=entities,
        today=day,
        initial={"contacted_on": day, "entity": default.pk, "channel": IntakeChannel.WALK_IN},
    )
    duplicates: list[Person] = []
    nir_matches: set[int] = set()
    if request.method == "POST" and form.is_valid():
        duplicates = form.duplicates()
        nir_hash = form.nir_hash()
        nir_matches = {p.pk for p in duplicates if nir_hash and p.nir_hash == nir_hash}
        person = _person_for_intake(request, form, duplicates, nir_matches)
        if person is not None:
            data = form.cleaned_data
            try:
                intake = actions.record_intake(
                    data["entity"],
                    person=person,
                    contacted_on=data["contacted_on"],
                    channel=IntakeChannel(data["channel"]),
                    orienter=Orienter(data["orienter"]),
                    orienter_name=data["orienter_name"],
                    note=data["note"],
                    nir=data["nir"],
                    contact={
                        f: data[f] for f in ("phone", "email", "address", "postal_code", "city")
                    },
                    by=_user(request),
                )
            except IntegrityError:
                # Another file took this NIR between the check and the save.
                form.add_error("nir", NIR_TAKEN)
            else:
                messages.success(request, f"L'accueil de {intake.person} est enregistré.")
                return redirect("people:intake", pk=intake.pk)
    return render(
        request,
        "people/intake_form.html",
        {"form": form, "duplicates": duplicates, "nir_matches": nir_matches},
    )


def _person_for_intake(
    request: HttpRequest, form: IntakeForm, duplicates: list[Person], nir_matches: set[int]
) -> Person | None:
    """The person to record the intake for, or None while the user has to choose."""
    if not duplicates:
        return form.instance
    decision = request.POST.get("decision", "")
    if decision == "new":
        if not nir_matches:
            return form.instance
        form.add_error(
            "nir",
            "Ce NIR est celui d'un dossier existant du groupe : rattachez l'accueil à ce dossier.",
        )
        return None
    if decision.startswith("attach-"):
        chosen = decision.removeprefix("attach-")
        return next((p for p in duplicates if str(p.pk) == chosen), None)
    return None


def _get_intake(request: HttpRequest, pk: int) -> Intake:
    intake = get_for_user_or_404(
        request, Intake.objects.select_related("person", "entity__group", "received_by"), pk=pk
    )
    require_roles(request, intake.entity, *INTAKE_ROLES)
    return intake


def _render_intake(
    request: HttpRequest,
    intake: Intake,
    *,
    move_form: IntakeMoveForm | None = None,
    orient_form: IntakeOrientForm | None = None,
) -> HttpResponse:
    waiting = is_waiting(IntakeStatus(intake.status))
    return render(
        request,
        "people/intake.html",
        {
            "intake": intake,
            "person": intake.person,
            "waiting": waiting,
            "move_form": (move_form or IntakeMoveForm(intake=intake)) if waiting else None,
            "orient_form": (orient_form or IntakeOrientForm(intake=intake)) if waiting else None,
            "audit_entries": audit.entries_for(intake),
            "hired": IntakeStatus.HIRED.value,
            "not_admitted": IntakeStatus.NOT_ADMITTED.value,
            "redirected": IntakeStatus.REDIRECTED.value,
        },
    )


def _errors_as_messages(request: HttpRequest, form: forms.Form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            messages.error(request, f"{label} : {error}" if label else f"{error}")


def intake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An intake, its history, and the forms that move it on or orient it."""
    return _render_intake(request, _get_intake(request, pk))


def intake_move(request: HttpRequest, pk: int) -> HttpResponse:
    intake = _get_intake(request, pk)
    if request.method != "POST":
        return redirect("people:intake", pk=intake.pk)
    form = IntakeMoveForm(request.POST, intake=intake)
    if not form.is_valid():
        if is_waiting(IntakeStatus(intake.status)):
            return _render_intake(request, intake, move_form=form)
        # A closed intake shows no form: its refusal is told as a message.
        _errors_as_messages(request, form)
        return redirect("people:intake", pk=intake.pk)
    data = form.cleaned_data
    target = IntakeStatus(data["status"])
    step = actions.move_intake(
        intake,
        to=target,
        on=today(),
        not_admitted_reason=NotAdmittedReason(data["not_admitted_reason"])
        if data["not_admitted_reason"]
        else "",
        redirected_to=data["redirected_to"],
        hired_on=data["hired_on"],
        job_title=data["job_title"],
        by=_user(request),
    )
    if step is not None:
        messages.success(
            request,
            f"Embauche enregistrée : « {step.get_kind_display()} » dans {intake.entity.name}.",
        )
    else:
        messages.success(request, f"L'accueil est passé à l'étape « {target.label} ».")
    return redirect("people:intake", pk=intake.pk)


def intake_orient(request: HttpRequest, pk: int) -> HttpResponse:
    intake = _get_intake(request, pk)
    if request.method != "POST":
        return redirect("people:intake", pk=intake.pk)
    form = IntakeOrientForm(request.POST, intake=intake)
    if not form.is_valid():
        if is_waiting(IntakeStatus(intake.status)):
            return _render_intake(request, intake, orient_form=form)
        _errors_as_messages(request, form)
        return redirect("people:intake", pk=intake.pk)
    target: Entity = form.cleaned_data["entity"]
    actions.orient_intake(intake, to=target, by=_user(request))
    if request.user.roles_in(target) & INTAKE_ROLES:  # type: ignore[union-attr]
        messages.success(request, f"L'accueil est orienté vers {target.name}.")
        return redirect("people:intake", pk=intake.pk)
    messages.success(
        request,
        f"L'accueil est orienté vers {target.name} : il quitte votre liste d'accueil.",
    )
    return redirect("people:intakes")


# --- The person file -------------------------------------------------------------------------


def person_list(request: HttpRequest) -> HttpResponse:
    """The people of the entities the user reads, searched by name whatever the accents."""
    entities = entities_with_roles(request, PERSON_READ_ROLES)
    people = Person.objects.visible_in([e.pk for e in entities]).select_related(
        "entity", "referent"
    )
    query = request.GET.get("q", "").strip()
    if query:
        people = people.matching_name(query)
    page = Paginator(people.order_by("name_key", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    can_record = any(request.user.roles_in(e) & INTAKE_ROLES for e in entities)  # type: ignore[union-attr]
    return render(
        request,
        "people/person_list.html",
        {"page": page, "query": query, "can_record": can_record},
    )


def _person_context(request: HttpRequest, person: Person, roles: frozenset[Role]) -> dict[str, Any]:
    can_write = bool(roles & PERSON_WRITE_ROLES)
    # Pathway facts (exit reasons among them) and the situation at entry (RQTH, detention…)
    # are need-to-know: planners and accountants see identity, contact and jobs only.
    can_follow = bool(roles & PATHWAY_READ_ROLES)
    trail = audit.entries_for(person)
    jobs = list(person.jobs.select_related("rome").order_by("rome__code"))
    show_all = request.GET.get("journal") == "tout"
    return {
        "person": person,
        "revealed_nir": "",
        "can_write": can_write,
        "can_follow": can_follow,
        "can_reveal": bool(roles & NIR_REVEAL_ROLES),
        "insertion_months": insertion_months_of(person, today()),
        "job_groups": [
            ("Métiers recherchés", [j for j in jobs if j.kind == SkillKind.WANTED]),
            ("Compétences et expériences", [j for j in jobs if j.kind == SkillKind.SKILL]),
        ],
        "documents": person.documents.all() if can_write else PersonDocument.objects.none(),
        "timeline": person_timeline(person) if can_follow else [],
        "intakes": person.intakes.filter(entity__in=visible_entity_ids(request)).select_related(
            "entity"
        )
        if can_write
        else Intake.objects.none(),
        "audit_entries": trail if show_all else trail[:AUDIT_PREVIEW],
        "audit_has_more": not show_all and trail.count() > AUDIT_PREVIEW,
        "referent": person.referent,
    }


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The person file; each opening is written in the access log."""
    person, roles = get_person_for_user_or_404(request, pk, roles=PERSON_READ_ROLES)
    audit.log_access(request, person, "people.file_opened")
    context = _person_context(request, person, roles)
    template = "people/person.html"
    if request.htmx and context["can_write"]:  # type: ignore[attr-defined]
        template += "#audit-trail"
    return render(request, template, context)


@never_cache
def nir_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the NIR in clear, once, after writing the access log; never cached."""
    person, roles = get_person_for_user_or_404(request, pk, roles=NIR_REVEAL_ROLES)
    if request.method != "POST":
        return redirect("people:person", pk=person.pk)
    audit.log_access(request, person, "people.nir_revealed")
    revealed = spaced_nir(person.reveal_nir())
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "people/person.html#nir",
            {"person": person, "revealed_nir": revealed, "can_reveal": True},
        )
    audit.log_access(request, person, "people.file_opened")
    context = _person_context(request, person, roles)
    context["revealed_nir"] = revealed
    return render(request, "people/person.html", context)


def spaced_nir(nir: str) -> str:
    """``"185037512345612"`` → ``"1 85 03 75 123 456 12"``, as printed on the Carte Vitale."""
    if len(nir) != 15:
        return nir
    return " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])


def _referents(request: HttpRequest, person: Person) -> QuerySet[User]:
    """CIPs of the entities of the person's group that the user sees (and the current one)."""
    group_entities = [
        e.pk
        for e in request.visible_entities  # type: ignore[attr-defined]
        if e.group_id == person.entity.group_id
    ]
    return (
        User.objects.filter(
            Q(memberships__role=Role.CIP, memberships__entity__in=group_entities)
            | Q(pk=person.referent_id)
        )
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person, _ = get_person_for_user_or_404(request, pk, roles=PERSON_WRITE_ROLES)
    form = PersonForm(
        request.POST or None,
        instance=person,
        referents=_referents(request, person),
        today=today(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_person(
                form.instance,
                changes=form.changes(),
                nir=form.cleaned_data["nir"],
                by=_user(request),
            )
        except IntegrityError:
            form.add_error("nir", NIR_TAKEN)
        else:
            messages.success(request, "Le dossier a été mis à jour.")
            return redirect("people:person", pk=person.pk)
    return render(request, "people/person_form.html", {"person": person, "form": form})


def job_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, _ = get_person_for_user_or_404(request, pk, roles=PERSON_WRITE_ROLES)
    form = PersonJobForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_person_job(
            person,
            rome=data["rome"],
            kind=SkillKind(data["kind"]),
            note=data["note"],
            by=_user(request),
        )
        messages.success(request, f"Le métier « {data['rome'].label} » est ajouté.")
        return redirect("people:person", pk=person.pk)
    return render(request, "people/job_form.html", {"person": person, "form": form})


def job_remove(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    person, _ = get_person_for_user_or_404(request, pk, roles=PERSON_WRITE_ROLES)
    job = get_object_or_404(person.jobs.select_related("rome"), pk=job_pk)
    if request.method == "POST":
        actions.remove_person_job(job, by=_user(request))
        messages.success(request, f"Le métier « {job.rome.label} » est retiré.")
    return redirect("people:person", pk=person.pk)


def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    person, _ = get_person_for_user_or_404(request, pk, roles=PERSON_WRITE_ROLES)
    form = PersonDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_person_document(
            person,
            kind=DocumentKind(data["kind"]),
            upload=data["file"],
            content_type=form.detected_content_type,
            valid_until=data["valid_until"],
            by=_user(request),
        )
        messages.success(request, "Le document est enregistré.")
        return redirect("people:person", pk=person.pk)
    return render(request, "people/document_form.html", {"person": person, "form": form})


def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a document as an attachment, after the permission check and the access log."""
    document = get_object_or_404(PersonDocument, pk=pk)
    get_person_for_user_or_404(request, document.person_id, roles=PERSON_WRITE_ROLES)
    audit.log_access(request, document, "people.document_opened")
    try:
        content = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Le fichier de ce document est introuvable.") from exc
    response = FileResponse(
        content,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
