"""Pathway pages of a person (eligibility and PASS IAE, accompaniment, exits) and worklists.

Every person page starts with ``get_person_for_user_or_404``: a person of an entity the user
cannot see answers 404, a role without the right answers 403. The accompaniment page is for
accompaniment roles only, and each opening is written to the access log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from tremplin.accounts.models import User
from tremplin.accounts.rules import (
    ACCOMPANIMENT_ROLES,
    GROUP_WIDE_ROLES,
    PATHWAY_READ_ROLES,
    PATHWAY_WRITE_ROLES,
    STAFF_ROLES,
    Role,
)
from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import visible_entity_ids
from tremplin.core.models import AuditEntry
from tremplin.organisations.models import Entity
from tremplin.organisations.rules import SiaeKind
from tremplin.pathways import actions, rules
from tremplin.pathways.forms import (
    ActionForm,
    AppointmentForm,
    BarrierAssessmentForm,
    DiagnosisForm,
    ExitForm,
    FollowUpForm,
    ObjectiveForm,
    PassForm,
    ProlongationForm,
    SuspensionForm,
    TaskStatusForm,
    TrainingForm,
)
from tremplin.pathways.models import (
    Action,
    AppointmentKind,
    BarrierTheme,
    DiagnosisAuthor,
    DiagnosisCriterion,
    EligibilityDiagnosis,
    ExitFollowUp,
    Objective,
    PassIae,
    PathwayStep,
    StepKind,
    TrainingKind,
    alert_candidates,
    alert_rows,
    insertion_months_of,
    person_timeline,
)
from tremplin.pathways.rules import (
    AlertKind,
    ExitReason,
    PassStatus,
    ProlongationReason,
    SuspensionReason,
    TaskStatus,
)
from tremplin.people.models import Person, linked_entity_ids
from tremplin.people.views import get_person_for_user_or_404

# Roles that see the worklists of whole entities, not only their own people.
TEAM_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.CIP})

# Audit actions shown in the pathway history; the accompaniment ones stay on their own page.
PATHWAY_ACTIONS = (
    "pathways.diagnosis_recorded",
    "pathways.pass_recorded",
    "pathways.pass_suspended",
    "pathways.pass_prolonged",
    "pathways.exit_recorded",
    "pathways.follow_up_recorded",
    "pathways.training_added",
)
ACCOMPANIMENT_ACTIONS = (
    "pathways.barriers_assessed",
    "pathways.objective_added",
    "pathways.action_added",
    "pathways.objective_status_changed",
    "pathways.action_status_changed",
    "pathways.appointment_logged",
    "pathways.training_added",
)
TRAIL_LENGTH = 20
APPOINTMENTS_PREVIEW = 10

PASS_STATUS_BADGES = {
    PassStatus.NOT_STARTED: "text-bg-light",
    PassStatus.VALID: "text-bg-success",
    PassStatus.ENDING_SOON: "text-bg-warning",
    PassStatus.PROLONGATION_WINDOW: "text-bg-info",
    PassStatus.ENDED: "text-bg-secondary",
    PassStatus.WAITING_PERIOD: "text-bg-dark",
}


# --- Helpers ----------------------------------------------------------------------------------


def _person_or_404(
    request: HttpRequest, pk: int, roles: Collection[Role]
) -> tuple[Person, frozenset[Role]]:
    return get_person_for_user_or_404(request, pk, roles=roles)


def _object_or_404[M: Model](
    request: HttpRequest, queryset: QuerySet[M], pk: int, person_id: str, roles: Collection[Role]
) -> tuple[M, Person, frozenset[Role]]:
    """An object of a person: 404 unless it exists and its person is visible to the user."""
    try:
        obj = queryset.get(pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404("Aucun objet ne correspond à votre demande.") from exc
    person, held = _person_or_404(request, _dotted(obj, person_id), roles)
    return obj, person, held


def _dotted(obj: Any, path: str) -> Any:
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def _linked_entities(request: HttpRequest, person: Person) -> list[Entity]:
    """The visible entities the person is linked to: file, intakes, steps, contracts."""
    linked = linked_entity_ids(person)
    return [e for e in request.visible_entities if e.pk in linked]  # type: ignore[attr-defined]


def _acting_entity(request: HttpRequest, person: Person, day: date) -> Entity:
    """The entity in whose name the user records something for this person.

    The current entity when the person is linked to it, else the entity of an open step, else
    the one holding the file, else any linked entity the user sees.
    """
    linked = _linked_entities(request, person)
    current = request.entity  # type: ignore[attr-defined]
    if current is not None and any(e.pk == current.pk for e in linked):
        return current
    open_step = person.pathway_steps.open_on(day).order_by("-started_on").first()
    for wanted in (open_step.entity_id if open_step else None, person.entity_id):
        for entity in linked:
            if entity.pk == wanted:
                return entity
    if not linked:
        raise PermissionDenied("Votre rôle ne donne pas accès à ce parcours.")
    return linked[0]


def _default_siae_kind(person: Person, entity: Entity, day: date) -> str | None:
    """The SIAE kind of the open step in ``entity``, else of the entity's convention in force."""
    step = person.pathway_steps.open_on(day).filter(entity=entity).exclude(siae_kind="").first()
    if step is not None:
        return step.siae_kind
    conventions = entity.conventions_in_force(day)
    return conventions[0].kind if conventions else None


def _owners(request: HttpRequest, person: Person) -> QuerySet[User]:
    """Staff with a role in the person's entities (group-wide roles included)."""
    entities = _linked_entities(request, person)
    group_ids = {e.group_id for e in entities}
    return (
        User.objects.filter(
            Q(memberships__entity__in=entities, memberships__role__in=STAFF_ROLES)
            | Q(
                memberships__entity__group_id__in=group_ids,
                memberships__role__in=GROUP_WIDE_ROLES,
            )
        )
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


def _trail(person: Person, actions_: Iterable[str]) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(action__in=list(actions_), data__person=person.pk)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _nav(person: Person, held: frozenset[Role]) -> dict[str, Any]:
    """What every pathway page of a person needs for its header and links."""
    return {
        "person": person,
        "can_write": bool(held & PATHWAY_WRITE_ROLES),
        "can_accompany": bool(held & ACCOMPANIMENT_ROLES),
    }


def _form_page(
    request: HttpRequest,
    person: Person,
    form: Any,
    *,
    title: str,
    back: str,
    intro: list[str] | None = None,
    template: str = "pathways/form.html",
) -> HttpResponse:
    return render(
        request,
        template,
        {"person": person, "form": form, "title": title, "back": back, "intro": intro or []},
    )


# --- Summary, eligibility and PASS IAE --------------------------------------------------------


def person_pathway(request: HttpRequest, pk: int) -> HttpResponse:
    """The pathway of a person across the group: steps, exits and follow-ups, history."""
    person, held = _person_or_404(request, pk, PATHWAY_READ_ROLES)
    day = today()
    steps = person.pathway_steps.select_related("entity", "referent").order_by("started_on", "pk")
    exits = person.exits.select_related("entity", "step").prefetch_related("follow_ups")
    return render(
        request,
        "pathways/person.html",
        {
            **_nav(person, held),
            "steps": steps,
            "has_open_step": any(
                s.kind == StepKind.INSERTION and s.ended_on is None for s in steps
            ),
            "insertion_months": insertion_months_of(person, day),
            "exits": exits,
            "timeline": person_timeline(person),
            "audit_entries": _trail(person, PATHWAY_ACTIONS)[:TRAIL_LENGTH],
            "today": day,
        },
    )


@dataclass(frozen=True)
class DiagnosisRow:
    diagnosis: EligibilityDiagnosis
    criteria: list[tuple[DiagnosisCriterion, int]]
    result: rules.EligibilityResult
    valid_until: date
    valid_today: bool


@dataclass(frozen=True)
class PassRow:
    pass_iae: PassIae
    effective_end: date
    badges: list[tuple[str, str]]
    window: tuple[date, date]
    waiting_end: date


def eligibility(request: HttpRequest, pk: int) -> HttpResponse:
    """Eligibility diagnoses and the PASS IAE mirrored from Les emplois de l'inclusion."""
    person, held = _person_or_404(request, pk, PATHWAY_READ_ROLES)
    # The criteria reveal health and justice situations (domain.md §10.1): each reading is logged.
    audit.log_access(request, person, "pathways.eligibility_opened")
    day = today()
    passes = list(
        person.passes.select_related("entity", "diagnosis").prefetch_related(
            "suspensions", "prolongations__report"
        )
    )
    pass_rows = []
    for pass_iae in passes:
        end = pass_iae.effective_end()
        pass_rows.append(
            PassRow(
                pass_iae,
                end,
                [
                    (s.label, PASS_STATUS_BADGES[s])
                    for s in rules.pass_statuses(pass_iae.start, end, day)
                ],
                rules.prolongation_window(end),
                rules.waiting_period_end(end),
            )
        )
    current_end = pass_rows[0].effective_end if pass_rows else None
    diagnoses = person.diagnoses.select_related("entity", "made_by").prefetch_related(
        Prefetch("criteria", queryset=DiagnosisCriterion.objects.select_related("proof"))
    )
    diagnosis_rows = []
    for diagnosis in diagnoses:
        levels = [
            (c, rules.AdministrativeCriterion(c.criterion).level) for c in diagnosis.criteria.all()
        ]
        diagnosis_rows.append(
            DiagnosisRow(
                diagnosis,
                [
                    (c, int(level))
                    for c, level in sorted(levels, key=lambda x: (x[1], x[0].criterion))
                ],
                diagnosis.result(),
                diagnosis.valid_until(),
                diagnosis.is_valid_on(day, pass_end=current_end),
            )
        )
    return render(
        request,
        "pathways/eligibility.html",
        {
            **_nav(person, held),
            "diagnosis_rows": diagnosis_rows,
            "pass_rows": pass_rows,
            "today": day,
        },
    )


def diagnosis_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, held = _person_or_404(request, pk, PATHWAY_WRITE_ROLES)
    day = today()
    entity = _acting_entity(request, person, day)
    initial = {"made_on": day, "siae_kind": _default_siae_kind(person, entity, day)}
    form = DiagnosisForm(request.POST or None, person=person, today=day, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        diagnosis = actions.record_diagnosis(
            person,
            entity=entity,
            siae_kind=SiaeKind(data["siae_kind"]),
            author_kind=DiagnosisAuthor(data["author_kind"]),
            prescriber_name=data["prescriber_name"],
            made_on=data["made_on"],
            criteria=form.criteria_with_proofs(),
            by=_user(request),
        )
        result = diagnosis.result()
        messages.success(
            request,
            "Le diagnostic a été enregistré : "
            + ("personne éligible." if result.eligible else "critères insuffisants."),
        )
        return redirect("pathways:eligibility", pk=person.pk)
    return render(
        request,
        "pathways/diagnosis_form.html",
        {"person": person, "form": form, "entity": entity},
    )


def pass_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, held = _person_or_404(request, pk, PATHWAY_WRITE_ROLES)
    day = today()
    form = PassForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.record_pass(
            person,
            entity=_acting_entity(request, person, day),
            number=data["number"],
            start=data["start"],
            end=data["end"],
            diagnosis=data["diagnosis"],
            by=_user(request),
        )
        messages.success(request, "Le PASS IAE a été enregistré.")
        return redirect("pathways:eligibility", pk=person.pk)
    return _form_page(
        request,
        person,
        form,
        title="Enregistrer un PASS IAE",
        back=reverse("pathways:eligibility", args=[person.pk]),
        intro=[
            "Tremplin ne délivre pas de PASS IAE : recopiez le numéro et les dates affichés"
            " par les emplois de l'inclusion."
        ],
    )


def _pass_or_404(request: HttpRequest, pk: int) -> tuple[PassIae, Person, frozenset[Role]]:
    return _object_or_404(
        request,
        PassIae.objects.prefetch_related("suspensions", "prolongations"),
        pk,
        "person_id",
        PATHWAY_WRITE_ROLES,
    )


def _pass_intro(pass_iae: PassIae) -> list[str]:
    end = pass_iae.effective_end()
    first, last = rules.prolongation_window(end)
    return [
        f"PASS IAE n° {pass_iae.number}, du {pass_iae.start:%d/%m/%Y} au {end:%d/%m/%Y}"
        " (suspensions et prolongations comprises).",
        f"Prolongation possible du {first:%d/%m/%Y} au {last:%d/%m/%Y}.",
    ]


def suspension_new(request: HttpRequest, pk: int) -> HttpResponse:
    pass_iae, person, held = _pass_or_404(request, pk)
    day = today()
    entity = _acting_entity(request, person, day)
    form = SuspensionForm(
        request.POST or None,
        pass_iae=pass_iae,
        today=day,
        initial={"siae_kind": _default_siae_kind(person, entity, day), "start": day},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.suspend_pass(
            pass_iae,
            entity=entity,
            start=data["start"],
            end=data["end"],
            reason=SuspensionReason(data["reason"]),
            by=_user(request),
        )
        messages.success(request, "La suspension du PASS IAE a été enregistrée.")
        return redirect("pathways:eligibility", pk=person.pk)
    return _form_page(
        request,
        person,
        form,
        title="Suspendre le PASS IAE",
        back=reverse("pathways:eligibility", args=[person.pk]),
        intro=_pass_intro(pass_iae),
    )


def prolongation_new(request: HttpRequest, pk: int) -> HttpResponse:
    pass_iae, person, held = _pass_or_404(request, pk)
    day = today()
    entity = _acting_entity(request, person, day)
    form = ProlongationForm(
        request.POST or None,
        pass_iae=pass_iae,
        today=day,
        initial={
            "siae_kind": _default_siae_kind(person, entity, day),
            "start": pass_iae.effective_end(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.prolong_pass(
            pass_iae,
            entity=entity,
            start=data["start"],
            end=data["end"],
            reason=ProlongationReason(data["reason"]),
            prescriber_name=data["prescriber_name"],
            report=data["report"],
            by=_user(request),
        )
        messages.success(request, "La prolongation du PASS IAE a été enregistrée.")
        return redirect("pathways:eligibility", pk=person.pk)
    return _form_page(
        request,
        person,
        form,
        title="Prolonger le PASS IAE",
        back=reverse("pathways:eligibility", args=[person.pk]),
        intro=_pass_intro(pass_iae),
    )


# --- Exits ------------------------------------------------------------------------------------


def exit_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, held = _person_or_404(request, pk, PATHWAY_WRITE_ROLES)
    day = today()
    steps = (
        person.pathway_steps.insertion()
        .filter(ended_on__isnull=True, entity_id__in=visible_entity_ids(request))
        .select_related("entity")
        .order_by("started_on", "pk")
    )
    form = ExitForm(request.POST or None, steps=steps, today=day)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        exit_ = actions.record_exit(
            data["step"],
            exit_on=data["exit_on"],
            reason=ExitReason(data["reason"]),
            hours_worked=data["hours_worked"],
            employer=data["employer"],
            by=_user(request),
        )
        counted = "comptée" if exit_.counted else "non comptée"
        messages.success(
            request,
            f"La sortie a été enregistrée ({exit_.get_category_display().lower()}, {counted}).",
        )
        return redirect("pathways:person", pk=person.pk)
    no_rule_kinds = sorted(
        {
            s.siae_kind
            for s in steps
            if s.siae_kind and not rules.exit_counting_rule_known(SiaeKind(s.siae_kind))
        }
    )
    return render(
        request,
        "pathways/exit_form.html",
        {
            "person": person,
            "form": form,
            "has_steps": bool(steps),
            "no_rule_kinds": no_rule_kinds,
        },
    )


def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up_, person, held = _object_or_404(
        request,
        ExitFollowUp.objects.select_related("exit"),
        pk,
        "exit.person_id",
        PATHWAY_WRITE_ROLES,
    )
    day = today()
    form = FollowUpForm(request.POST or None, instance=follow_up_, today=day)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.record_follow_up(
            follow_up_,
            done_on=data["done_on"],
            situation=ExitReason(data["situation"]),
            comment=data["comment"],
            by=_user(request),
        )
        messages.success(request, "Le suivi après sortie a été enregistré.")
        return redirect("pathways:person", pk=person.pk)
    exit_ = follow_up_.exit
    return _form_page(
        request,
        person,
        form,
        title=f"Suivi après sortie prévu le {follow_up_.due_on:%d/%m/%Y}",
        back=reverse("pathways:person", args=[person.pk]),
        intro=[f"{exit_}, {exit_.get_category_display().lower()}."],
    )


# --- Accompaniment (restricted) ---------------------------------------------------------------


def accompaniment(request: HttpRequest, pk: int) -> HttpResponse:
    """Barriers, objectives and actions, appointments, trainings: accompaniment roles only."""
    person, held = _person_or_404(request, pk, ACCOMPANIMENT_ROLES)
    audit.log_access(request, person, "pathways.accompaniment_opened")
    assessments = list(
        person.barrier_assessments.select_related("assessed_by").prefetch_related("barriers")
    )
    history = []
    for assessment in assessments:
        by_theme = {b.theme: b for b in assessment.barriers.all()}
        history.append((assessment, [by_theme.get(t.value) for t in BarrierTheme]))
    objectives = person.objectives.select_related("owner").prefetch_related(
        Prefetch("actions", queryset=Action.objects.select_related("owner"))
    )
    appointments = person.appointments.select_related("referent")
    show_all = request.GET.get("entretiens") == "tous"
    template = "pathways/accompaniment.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#appointments"
    return render(
        request,
        template,
        {
            **_nav(person, held),
            "latest": history[0] if history else None,
            "history": history,
            "themes": BarrierTheme,
            "objectives": objectives,
            "status_error": "",
            "appointments": appointments if show_all else appointments[:APPOINTMENTS_PREVIEW],
            "appointments_more": not show_all and appointments.count() > APPOINTMENTS_PREVIEW,
            "trainings": person.trainings.select_related("rome", "entity"),
            "audit_entries": _trail(person, ACCOMPANIMENT_ACTIONS)[:TRAIL_LENGTH],
            "today": today(),
        },
    )


def _accompaniment_url(person: Person, anchor: str = "") -> str:
    url = reverse("pathways:accompaniment", args=[person.pk])
    return f"{url}#{anchor}" if anchor else url


def barriers_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, held = _person_or_404(request, pk, ACCOMPANIMENT_ROLES)
    day = today()
    latest: dict[str, Any] = {}
    previous = person.barrier_assessments.prefetch_related("barriers").first()
    if previous is not None:
        for barrier in previous.barriers.all():
            latest[f"severity_{barrier.theme}"] = barrier.severity
            latest[f"comment_{barrier.theme}"] = barrier.comment
            if barrier.theme == BarrierTheme.HEALTH:
                latest["health_category"] = barrier.health_category
    form = BarrierAssessmentForm(
        request.POST or None, today=day, latest=latest, initial={"assessed_on": day}
    )
    if request.method == "POST" and form.is_valid():
        actions.assess_barriers(
            person,
            entity=_acting_entity(request, person, day),
            assessed_on=form.cleaned_data["assessed_on"],
            barriers=form.barriers(),
            by=_user(request),
        )
        messages.success(request, "Le diagnostic des freins a été enregistré.")
        return redirect(_accompaniment_url(person, "freins"))
    return render(request, "pathways/barriers_form.html", {"person": person, "form": form})


def objective_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, held = _person_or_404(request, pk, ACCOMPANIMENT_ROLES)
    form = ObjectiveForm(
        request.POST or None, owners=_owners(request, person), initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        objective = actions.add_objective(
            person,
            entity=_acting_entity(request, person, today()),
            title=data["title"],
            theme=data["theme"],
            owner=data["owner"],
            due_on=data["due_on"],
            by=_user(request),
        )
        messages.success(request, "L'objectif a été ajouté.")
        return redirect(_accompaniment_url(person, f"objective-{objective.pk}"))
    return _form_page(
        request,
        person,
        form,
        title="Nouvel objectif d'accompagnement",
        back=_accompaniment_url(person, "objectifs"),
    )


def action_new(request: HttpRequest, pk: int) -> HttpResponse:
    objective, person, held = _object_or_404(
        request, Objective.objects.all(), pk, "person_id", ACCOMPANIMENT_ROLES
    )
    form = ActionForm(
        request.POST or None, owners=_owners(request, person), initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_action(
            objective,
            title=data["title"],
            owner=data["owner"],
            due_on=data["due_on"],
            by=_user(request),
        )
        messages.success(request, "L'action a été ajoutée.")
        return redirect(_accompaniment_url(person, f"objective-{objective.pk}"))
    return _form_page(
        request,
        person,
        form,
        title=f"Nouvelle action — {objective.title}",
        back=_accompaniment_url(person, f"objective-{objective.pk}"),
    )


def _status_change(
    request: HttpRequest, task: Objective | Action, objective: Objective, person: Person
) -> HttpResponse:
    """Apply a status change; answer with the objective's fragment (htmx) or go back."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = TaskStatusForm(request.POST, current=TaskStatus(task.status))
    error = ""
    if form.is_valid():
        status = TaskStatus(form.cleaned_data["status"])
        try:
            if isinstance(task, Objective):
                actions.change_objective_status(task, status=status, by=_user(request))
            else:
                actions.change_action_status(task, status=status, by=_user(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "État : ce changement n'est pas possible depuis l'état actuel."
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "L'état a été mis à jour.")
        return redirect(_accompaniment_url(person, f"objective-{objective.pk}"))
    fresh = (
        Objective.objects.select_related("owner")
        .prefetch_related(Prefetch("actions", queryset=Action.objects.select_related("owner")))
        .get(pk=objective.pk)
    )
    return render(
        request,
        "pathways/accompaniment.html#objective",
        {"objective": fresh, "status_error": error},
    )


def objective_status(request: HttpRequest, pk: int) -> HttpResponse:
    objective, person, held = _object_or_404(
        request, Objective.objects.all(), pk, "person_id", ACCOMPANIMENT_ROLES
    )
    return _status_change(request, objective, objective, person)


def action_status(request: HttpRequest, pk: int) -> HttpResponse:
    action, person, held = _object_or_404(
        request,
        Action.objects.select_related("objective"),
        pk,
        "objective.person_id",
        ACCOMPANIMENT_ROLES,
    )
    return _status_change(request, action, action.objective, person)


def appointment_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, held = _person_or_404(request, pk, ACCOMPANIMENT_ROLES)
    day = today()
    form = AppointmentForm(request.POST or None, today=day, initial={"held_on": day})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.log_appointment(
            person,
            entity=_acting_entity(request, person, day),
            held_on=data["held_on"],
            kind=AppointmentKind(data["kind"]),
            notes=data["notes"],
            by=_user(request),
        )
        messages.success(request, "L'entretien a été consigné.")
        return redirect(_accompaniment_url(person, "entretiens"))
    return _form_page(
        request,
        person,
        form,
        title="Consigner un entretien",
        back=_accompaniment_url(person, "entretiens"),
    )


def training_new(request: HttpRequest, pk: int) -> HttpResponse:
    person, held = _person_or_404(request, pk, ACCOMPANIMENT_ROLES)
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_training(
            person,
            entity=_acting_entity(request, person, today()),
            kind=TrainingKind(data["kind"]),
            title=data["title"],
            organisation=data["organisation"],
            start=data["start"],
            end=data["end"],
            rome=data["rome"],
            completed=data["completed"],
            certification=data["certification"],
            by=_user(request),
        )
        messages.success(request, "La formation ou l'immersion a été ajoutée.")
        return redirect(_accompaniment_url(person, "formations"))
    return _form_page(
        request,
        person,
        form,
        title="Ajouter une formation ou une immersion (PMSMP)",
        back=_accompaniment_url(person, "formations"),
    )


# --- Worklists --------------------------------------------------------------------------------


def worklist(request: HttpRequest) -> HttpResponse:
    """What to do next: alerts of the user's own people and, for team roles, of an entity."""
    day = today()
    user = _user(request)
    visible = list(request.visible_entities)  # type: ignore[attr-defined]
    roles = user.roles_by_entity(visible)
    readable = [e for e in visible if roles[e.pk] & PATHWAY_READ_ROLES]
    if not readable:
        raise PermissionDenied("Votre rôle ne donne pas accès aux parcours.")
    readable_ids = [e.pk for e in readable]
    team_entities = [e for e in readable if roles[e.pk] & TEAM_ROLES]
    selected = next((e for e in team_entities if e.slug == request.GET.get("structure")), None)
    team_ids = [selected.pk] if selected else [e.pk for e in team_entities]

    mine = Person.objects.visible_in(readable_ids).filter(
        Q(referent=user)
        | Q(
            pk__in=PathwayStep.objects.filter(referent=user, ended_on__isnull=True).values(
                "person_id"
            )
        )
    )
    team_rows = alert_rows(alert_candidates(team_ids, day), day) if team_entities else []
    mine_rows = alert_rows(mine, day)
    with_alerts = {r.person.pk for r in mine_rows}
    counts = Counter(r.kind for r in (team_rows if team_entities else mine_rows))
    kind = next((k for k in AlertKind if k.value == request.GET.get("alerte")), None)
    if kind is not None:
        team_rows = [r for r in team_rows if r.kind == kind]
        mine_rows = [r for r in mine_rows if r.kind == kind]
    template = "pathways/worklist.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#results"
    return render(
        request,
        template,
        {
            "team_entities": team_entities,
            "selected": selected,
            "kinds": [(k, counts[k]) for k in AlertKind],
            "selected_kind": kind,
            "team_rows": team_rows,
            "mine_rows": mine_rows,
            "mine_quiet": [
                p for p in mine.order_by("birth_name", "first_name") if p.pk not in with_alerts
            ],
            "today": day,
        },
    )
