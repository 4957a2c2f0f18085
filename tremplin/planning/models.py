"""Runs of the weekly planning engine and what they propose, the planner's locks, and the
points each worker's day starts from.

A run belongs to one entity and one ISO week. It holds the engine's proposal (one
``ProposedAssignment`` per intervention it staffs, one ``UnservedIntervention`` per
intervention it leaves without a worker) and, per worker, the hours it plans against the
contract's bounds (``RunWorker``). Nothing in the orders is changed until the planner accepts
the proposal (``actions.accept_proposal``), which goes through the orders' assignment checks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tremplin.planning.problem import Reason


class RunStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Proposition prête"
    ACCEPTED = "accepted", "Proposition acceptée"
    FAILED = "failed", "Échec"


class UnservedReason(models.TextChoices):
    """Why an intervention is left without a worker: the engine's reasons, then the loader's."""

    NO_LOCATION = Reason.NO_LOCATION.value, Reason.NO_LOCATION.label
    NO_SKILL = Reason.NO_SKILL.value, Reason.NO_SKILL.label
    NO_HABILITATION = Reason.NO_HABILITATION.value, Reason.NO_HABILITATION.label
    ABSENT = Reason.ABSENT.value, Reason.ABSENT.label
    WINDOW = Reason.WINDOW.value, Reason.WINDOW.label
    WEEKLY_MAX = Reason.WEEKLY_MAX.value, Reason.WEEKLY_MAX.label
    MAD_CAP = Reason.MAD_CAP.value, Reason.MAD_CAP.label
    LOCKED_WORKER = Reason.LOCKED_WORKER.value, Reason.LOCKED_WORKER.label
    CAPACITY = Reason.CAPACITY.value, Reason.CAPACITY.label
    ECONOMIC_DISMISSAL = "economic_dismissal", "Client sous interdiction de mise à disposition"


class PlanningRun(models.Model):
    """One run of the engine on one entity's week, its progress and its summary figures."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="planning_runs",
    )
    week = models.DateField("semaine du", help_text="Le lundi de la semaine planifiée.")
    status = models.CharField(
        "état", max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=200, blank=True)
    seconds = models.PositiveSmallIntegerField("durée de recherche (s)")
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Summary figures, written when the engine is done.
    visit_count = models.PositiveIntegerField("interventions", default=0)
    served_count = models.PositiveIntegerField("interventions pourvues", default=0)
    unserved_count = models.PositiveIntegerField("interventions à pourvoir", default=0)
    changed_count = models.PositiveIntegerField("changements", default=0)
    locked_count = models.PositiveIntegerField("verrous", default=0)
    travel_minutes = models.PositiveIntegerField("trajets (min)", default=0)
    planned_hours = models.DecimalField(
        "heures planifiées", max_digits=8, decimal_places=2, default=0
    )
    solve_seconds = models.DecimalField(
        "durée du calcul (s)", max_digits=7, decimal_places=2, default=0
    )
    # What the independent checker says of the proposal: ``[{"message": …, "blocking": …}]``.
    findings = models.JSONField("points d'attention", default=list, blank=True)

    class Meta:
        verbose_name = "calcul de planning"
        verbose_name_plural = "calculs de planning"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["entity", "week"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="planning_run_progress_percent"
            ),
            models.CheckConstraint(
                condition=models.Q(seconds__gte=1), name="planning_run_seconds_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Planning de la semaine du {self.week:%d/%m/%Y} — {self.entity}"

    @property
    def is_running(self) -> bool:
        return self.status in {RunStatus.QUEUED, RunStatus.RUNNING}

    @property
    def has_proposal(self) -> bool:
        return self.status in {RunStatus.DONE, RunStatus.ACCEPTED}


class RunWorker(models.Model):
    """A worker of the run: the contract's bounds for the week, and the hours planned."""

    run = models.ForeignKey(PlanningRun, on_delete=models.CASCADE, related_name="workers")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    min_hours = models.DecimalField("minimum (h)", max_digits=5, decimal_places=2)
    target_hours = models.DecimalField("objectif (h)", max_digits=5, decimal_places=2)
    max_hours = models.DecimalField("maximum (h)", max_digits=5, decimal_places=2)
    planned_hours = models.DecimalField("heures proposées", max_digits=5, decimal_places=2)
    current_hours = models.DecimalField("heures du planning actuel", max_digits=5, decimal_places=2)
    travel_minutes = models.PositiveIntegerField("trajets (min)", default=0)
    home_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    home_longitude = models.DecimalField(max_digits=9, decimal_places=6)
    home_is_known = models.BooleanField("domicile connu", default=False)
    is_insertion = models.BooleanField("salarié en insertion", default=False)

    class Meta:
        verbose_name = "intervenant du calcul"
        verbose_name_plural = "intervenants du calcul"
        constraints = [
            models.UniqueConstraint(fields=["run", "person"], name="run_worker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.run}"


class ProposedAssignment(models.Model):
    """One intervention the engine staffs: with whom, when, and whether it changes the plan."""

    run = models.ForeignKey(PlanningRun, on_delete=models.CASCADE, related_name="assignments")
    intervention = models.ForeignKey(
        "orders.Intervention", on_delete=models.CASCADE, related_name="+"
    )
    worker = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    previous_worker = models.ForeignKey(
        "people.Person",
        verbose_name="intervenant actuel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    start = models.DateTimeField("début")
    end = models.DateTimeField("fin")
    position = models.PositiveSmallIntegerField("rang dans la tournée du jour", default=0)
    travel_minutes = models.PositiveIntegerField(
        "trajet depuis l'étape précédente (min)", default=0
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    changed = models.BooleanField("change le planning actuel", default=False)
    locked = models.BooleanField("verrouillée", default=False)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)

    class Meta:
        verbose_name = "affectation proposée"
        verbose_name_plural = "affectations proposées"
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "intervention"], name="proposed_assignment_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="proposed_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intervention} → {self.worker}"


class RunRoute(models.Model):
    """One worker's day in the proposal: leaving the starting point, coming back to it."""

    run = models.ForeignKey(PlanningRun, on_delete=models.CASCADE, related_name="routes")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    day = models.DateField("jour")
    leave = models.DateTimeField("départ")
    back = models.DateTimeField("retour")
    travel_minutes = models.PositiveIntegerField("trajets (min)")

    class Meta:
        verbose_name = "tournée proposée"
        verbose_name_plural = "tournées proposées"
        ordering = ["day", "leave", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "person", "day"], name="run_route_unique"),
        ]

    def __str__(self) -> str:
        return f"Tournée de {self.person} le {self.day:%d/%m/%Y}"


class UnservedIntervention(models.Model):
    """An intervention the run leaves without a worker, and why (in French)."""

    run = models.ForeignKey(PlanningRun, on_delete=models.CASCADE, related_name="unserved")
    intervention = models.ForeignKey(
        "orders.Intervention", on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField("motif", max_length=20, choices=UnservedReason.choices)
    message = models.TextField("explication")

    class Meta:
        verbose_name = "intervention non pourvue"
        verbose_name_plural = "interventions non pourvues"
        constraints = [
            models.UniqueConstraint(fields=["run", "intervention"], name="unserved_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.intervention} : {self.get_reason_display()}"


class PlanningLock(models.Model):
    """A planner's decision the next runs keep: this intervention goes to this worker."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="planning_locks"
    )
    intervention = models.OneToOneField(
        "orders.Intervention", on_delete=models.CASCADE, related_name="planning_lock"
    )
    worker = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "verrou de planning"
        verbose_name_plural = "verrous de planning"

    def __str__(self) -> str:
        return f"{self.intervention} verrouillée pour {self.worker}"


class WorkerHome(models.Model):
    """Where a worker's working day starts and ends, for the routes of one entity.

    Kept by the entity that plans the worker; without one, the day starts from the entity's
    head office.
    """

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="worker_homes"
    )
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "point de départ d'un intervenant"
        verbose_name_plural = "points de départ des intervenants"
        constraints = [
            models.UniqueConstraint(fields=["entity", "person"], name="worker_home_unique"),
        ]

    def __str__(self) -> str:
        return f"Point de départ de {self.person}"
