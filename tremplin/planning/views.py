from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from tremplin.contracts.models import Contract
from tremplin.core import audit
from tremplin.core.dates import format_date, today
from tremplin.core.entities import entity_required, get_for_user_or_404, require_roles
from tremplin.orders.rules import iso_week_label, parse_iso_week
from tremplin.organisations.models import Entity, Site
from tremplin.people.models import Person
from tremplin.planning import actions, rules
from tremplin.planning.forms import HomeForm, StartForm
from tremplin.planning.models import (
    PlanningLock,
    PlanningRun,
    ProposedAssignment,
    RunStatus,
    RunWorker,
    WorkerHome,
)
from tremplin.planning.problem import DAYS

RUNS_SHOWN = 15
AUDIT_PREVIEW = 10
# The route sketch's drawing, in SVG units.
SKETCH_WIDTH = 640
SKETCH_HEIGHT = 360
SKETCH_MARGIN = 40


def _post_only(request: HttpRequest) -> HttpResponse | None:
    # Checked after the object lookup, so that another group's object answers 404 first.
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _plannable(request: HttpRequest) -> list[Entity]:
    """The visible entities where the user may run the engine."""
    visible = request.visible_entities  # type: ignore[attr-defined]
    held = request.user.roles_by_entity(visible)  # type: ignore[union-attr]
    return [e for e in visible if held[e.pk] & rules.ENGINE_ROLES]


def _run(request: HttpRequest, pk: int) -> PlanningRun:
    run = get_for_user_or_404(
        request, PlanningRun.objects.select_related("entity", "started_by"), pk=pk
    )
    require_roles(request, run.entity, *rules.ENGINE_ROLES)
    return run


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """Start a run for an entity's week (``?semaine=2026-W48`` preselects the week)."""
    entities = _plannable(request)
    if not entities:
        require_roles(request, request.entity, *rules.ENGINE_ROLES)  # type: ignore[attr-defined]
    current = request.entity  # type: ignore[attr-defined]
    default = current if current in entities else entities[0]
    monday = parse_iso_week(request.GET.get("semaine", "")) or rules.week_monday(today())
    form = StartForm(
        request.POST or None,
        entities=entities,
        initial={"entity": default.slug, "week": iso_week_label(monday)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = actions.start_run(
                data["entity"],
                week=data["week"],
                seconds=data["seconds"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"Le calcul de la semaine du {format_date(run.week)} est lancé "
                f"({run.seconds} s de recherche).",
            )
            return redirect("planning:run", pk=run.pk)
    runs = (
        PlanningRun.objects.filter(entity__in=entities)
        .select_related("entity", "started_by")
        .order_by("-created_at", "-pk")[:RUNS_SHOWN]
    )
    return render(request, "planning/index.html", {"form": form, "runs": runs})


def _hours_rows(run: PlanningRun) -> list[dict[str, Any]]:
    rows = []
    # The workers the proposal gives hours to first, the busiest on top.
    for worker in run.workers.select_related("person").order_by(
        "-planned_hours", "person__birth_name", "person__first_name", "person_id"
    ):
        rows.append(
            {
                "worker": worker,
                "bar": rules.hours_bar(
                    worker.planned_hours,
                    minimum=worker.min_hours,
                    target=worker.target_hours,
                    maximum=worker.max_hours,
                ),
                "delta": worker.planned_hours - worker.current_hours,
            }
        )
    return rows


def _route_context(run: PlanningRun, request: HttpRequest) -> dict[str, Any]:
    """The routes of the run, and the sketch of the one asked for (``?tournee=<pk>``)."""
    routes = list(run.routes.select_related("person").order_by("day", "person__birth_name", "pk"))
    if not routes:
        return {"routes": [], "route": None}
    wanted = request.GET.get("tournee", "")
    route = next((r for r in routes if str(r.pk) == wanted), routes[0])
    home = RunWorker.objects.get(run=run, person_id=route.person_id)
    stops = list(
        run.assignments.filter(worker_id=route.person_id, intervention__day=route.day)
        .select_related("intervention__order__client")
        .order_by("position", "start")
    )
    coordinates = [(float(home.home_latitude), float(home.home_longitude))]
    coordinates += [(float(s.latitude), float(s.longitude)) for s in stops]
    points = rules.sketch_points(
        coordinates, width=SKETCH_WIDTH, height=SKETCH_HEIGHT, margin=SKETCH_MARGIN
    )
    home_point = points[0]
    path = [home_point, *points[1:], home_point]

    def label(x: int, y: int, below: bool = False) -> dict[str, Any]:
        # Labels on the right half are written leftwards, so that they stay in the drawing.
        left = x > SKETCH_WIDTH * 0.6
        return {
            "x": x,
            "y": y,
            "label_x": x - 14 if left else x + 14,
            "label_y": y + 20 if below else y - 10,
            "anchor": "end" if left else "start",
        }

    return {
        "routes": routes,
        "route": route,
        "route_day": DAYS[route.day.weekday()],
        "sketch": {
            "width": SKETCH_WIDTH,
            "height": SKETCH_HEIGHT,
            "home": label(*home_point, below=True),
            "home_known": home.home_is_known,
            "polyline": " ".join(f"{x},{y}" for x, y in path),
            "stops": [
                {"n": n, "stop": stop, **label(x, y)}
                for n, (stop, (x, y)) in enumerate(zip(stops, points[1:], strict=True), start=1)
            ],
        },
    }


def run(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: its progress while it runs, then the proposal."""
    planning_run = _run(request, pk)
    target = request.htmx.target if request.htmx else None  # type: ignore[attr-defined]
    if target == "run-progress":
        response = render(request, "planning/run.html#progress", {"run": planning_run})
        if not planning_run.is_running:
            response["HX-Refresh"] = "true"  # the run is over: show its proposal
        return response
    context: dict[str, Any] = {
        "run": planning_run,
        "sunday": planning_run.week + timedelta(days=6),
        "week_label": iso_week_label(planning_run.week),
    }
    context |= _route_context(planning_run, request)
    if target == "route":
        return render(request, "planning/run.html#route", context)
    if planning_run.has_proposal:
        assignments = list(
            planning_run.assignments.select_related(
                "intervention__order__client", "worker", "previous_worker"
            ).order_by("start", "pk")
        )
        locks = {
            lock.intervention_id: lock
            for lock in PlanningLock.objects.filter(
                intervention_id__in=[a.intervention_id for a in assignments]
            ).select_related("worker")
        }
        for assignment in assignments:
            assignment.lock = locks.get(assignment.intervention_id)  # type: ignore[attr-defined]
        blocking = [f for f in planning_run.findings if f["blocking"]]
        context |= {
            "hours": _hours_rows(planning_run),
            "changes": [a for a in assignments if a.changed],
            "unchanged": [a for a in assignments if not a.changed],
            "pending": sum(1 for a in assignments if a.accepted_at is None),
            "unserved": planning_run.unserved.select_related(
                "intervention__order__client"
            ).order_by("intervention__start", "pk"),
            "blocking": blocking,
            "notes": [f for f in planning_run.findings if not f["blocking"]],
            "lock_count": len(locks),
        }
    context["audit_entries"] = audit.entries_for(planning_run)[:AUDIT_PREVIEW]
    return render(request, "planning/run.html", context)


def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply the ticked proposed assignments (POST ``assignment``), or all of them (``all``)."""
    planning_run = _run(request, pk)
    if refused := _post_only(request):
        return refused
    ids: list[int] | None = None
    if "all" not in request.POST:
        ids = [int(v) for v in request.POST.getlist("assignment") if v.isdigit()]
    try:
        result = actions.accept_proposal(
            planning_run,
            assignment_ids=ids,
            today=today(),
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"Proposition acceptée : {result.accepted} affectation(s), dont {result.changed} "
            "changement(s) enregistré(s) au planning.",
        )
    return redirect("planning:run", pk=planning_run.pk)


def _proposed(planning_run: PlanningRun, value: str) -> ProposedAssignment:
    row = (
        planning_run.assignments.select_related("run", "worker", "intervention")
        .filter(pk=int(value) if value.isdigit() else 0)
        .first()
    )
    if row is None:
        raise Http404("Aucune affectation proposée ne correspond à votre demande.")
    return row


def lock(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a proposed worker on an intervention in the next runs (POST ``assignment``)."""
    planning_run = _run(request, pk)
    if refused := _post_only(request):
        return refused
    row = _proposed(planning_run, request.POST.get("assignment", ""))
    actions.lock_assignment(row, by=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        f"Verrouillé : {row.worker.full_name} garde l'intervention du "
        f"{format_date(row.intervention.day)} lors des prochains calculs.",
    )
    return redirect("planning:run", pk=planning_run.pk)


def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the lock of an intervention of the run (POST ``assignment``)."""
    planning_run = _run(request, pk)
    if refused := _post_only(request):
        return refused
    row = _proposed(planning_run, request.POST.get("assignment", ""))
    planning_lock = (
        PlanningLock.objects.filter(intervention_id=row.intervention_id, entity=planning_run.entity)
        .select_related("worker")
        .first()
    )
    if planning_lock is None:
        messages.error(request, "Verrou : cette intervention n'est pas verrouillée.")
    else:
        actions.unlock_intervention(planning_lock, run=planning_run, by=request.user)  # type: ignore[arg-type]
        messages.success(
            request,
            f"Verrou retiré : l'intervention du {format_date(row.intervention.day)} peut être "
            "confiée à un autre intervenant.",
        )
    return redirect("planning:run", pk=planning_run.pk)


def rerun(request: HttpRequest, pk: int) -> HttpResponse:
    """Run the engine again on the same week, keeping the locks."""
    planning_run = _run(request, pk)
    if refused := _post_only(request):
        return refused
    try:
        new = actions.start_run(
            planning_run.entity,
            week=planning_run.week,
            seconds=planning_run.seconds,
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("planning:run", pk=planning_run.pk)
    messages.success(request, "Le calcul est relancé avec les verrous.")
    return redirect("planning:run", pk=new.pk)


@entity_required
def week_hours(request: HttpRequest) -> HttpResponse:
    """The hours bars of the last accepted run of the current entity's week
    (``?semaine=2026-W48``), shown on the weekly board."""
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *rules.ENGINE_ROLES)
    monday = parse_iso_week(request.GET.get("semaine", "")) or rules.week_monday(today())
    accepted = (
        PlanningRun.objects.filter(entity=entity, week=monday, status=RunStatus.ACCEPTED)
        .order_by("-accepted_at", "-pk")
        .first()
    )
    template = "planning/week_hours.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#bars"
    return render(
        request,
        template,
        {
            "run": accepted,
            "hours": _hours_rows(accepted) if accepted else [],
            "week": iso_week_label(monday),
            "monday": monday,
        },
    )


# Contracts counted as current on the starting points page: running today or starting within.
HOMES_HORIZON = timedelta(days=366)


@entity_required
def homes(request: HttpRequest) -> HttpResponse:
    """Where the days of the current entity's workers start (POST one worker's point)."""
    entity = request.entity  # type: ignore[attr-defined]
    require_roles(request, entity, *rules.ENGINE_ROLES)
    day = today()
    people = Person.objects.filter(
        pk__in=Contract.objects.filter(entity=entity)
        .running_between(day, day + HOMES_HORIZON)
        .values("person_id")
    ).order_by("birth_name", "first_name", "pk")
    if request.method == "POST":
        form = HomeForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            home = actions.set_worker_home(
                entity,
                data["person"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                by=request.user,  # type: ignore[arg-type]
            )
            where = "son point de départ" if home else "le siège"
            messages.success(
                request, f"{data['person'].full_name} commencera ses journées depuis {where}."
            )
        else:
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label} : {error}" if label else str(error))
        return redirect("planning:homes")
    known = {h.person_id: h for h in WorkerHome.objects.filter(entity=entity)}
    office = (
        Site.objects.filter(entity=entity, latitude__isnull=False, longitude__isnull=False)
        .order_by("-is_head_office", "name", "pk")
        .first()
    )
    rows = [{"person": person, "home": known.get(person.pk)} for person in people]
    return render(
        request, "planning/homes.html", {"entity": entity, "rows": rows, "office": office}
    )
