"""A person's pathway across the group: steps in entities, eligibility and PASS IAE,
accompaniment (restricted), exits and their follow-up.

Accompaniment content (barriers, appointment notes) is readable only by accompaniment roles
(``accounts.rules.ACCOMPANIMENT_ROLES``); views log each reading in the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from tremplin.organisations.rules import SiaeKind
from tremplin.pathways import rules
from tremplin.pathways.rules import (
    AdministrativeCriterion,
    ExitCategory,
    ExitReason,
    ProlongationReason,
    SuspensionReason,
    TaskStatus,
)

if TYPE_CHECKING:
    from tremplin.people.models import Person


class StepKind(models.TextChoices):
    INSERTION = "insertion", "Parcours d'insertion"
    LASTING_JOB = "lasting_job", "Emploi durable dans le groupe"


class PathwayStepQuerySet(models.QuerySet["PathwayStep"]):
    def open_on(self, day: date) -> PathwayStepQuerySet:
        """Steps started on or before ``day`` and not ended before it."""
        return self.filter(started_on__lte=day).filter(
            models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=day)
        )

    def insertion(self) -> PathwayStepQuerySet:
        return self.filter(kind=StepKind.INSERTION)


class PathwayStep(models.Model):
    """A stretch of a person's pathway in one entity: an insertion post, or a lasting job."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="pathway_steps"
    )
    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="pathway_steps",
    )
    kind = models.CharField("nature", max_length=12, choices=StepKind.choices)
    siae_kind = models.CharField("type de SIAE", max_length=4, choices=SiaeKind.choices, blank=True)
    job_title = models.CharField("poste", max_length=200, blank=True)
    started_on = models.DateField("début")
    ended_on = models.DateField("fin", null=True, blank=True)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="référent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PathwayStepQuerySet.as_manager()

    class Meta:
        verbose_name = "étape de parcours"
        verbose_name_plural = "étapes de parcours"
        ordering = ["started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="step_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.entity}"

    def is_open_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


class DiagnosisAuthor(models.TextChoices):
    PRESCRIBER = "prescriber", "Prescripteur habilité"
    EMPLOYER = "employer", "Structure (auto-prescription)"


class EligibilityDiagnosis(models.Model):
    """An IAE eligibility diagnosis: who made it, when, with which administrative criteria."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="diagnoses")
    entity = models.ForeignKey(
        "organisations.Entity", verbose_name="structure", on_delete=models.PROTECT, related_name="+"
    )
    siae_kind = models.CharField("type de SIAE", max_length=4, choices=SiaeKind.choices)
    author_kind = models.CharField("auteur", max_length=10, choices=DiagnosisAuthor.choices)
    prescriber_name = models.CharField("prescripteur", max_length=200, blank=True)
    made_on = models.DateField("date du diagnostic")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "diagnostic d'éligibilité"
        verbose_name_plural = "diagnostics d'éligibilité"
        ordering = ["-made_on", "-pk"]

    def __str__(self) -> str:
        return f"Diagnostic du {self.made_on:%d/%m/%Y}"

    @property
    def by_prescriber(self) -> bool:
        return self.author_kind == DiagnosisAuthor.PRESCRIBER

    def valid_until(self) -> date:
        return rules.diagnosis_valid_until(
            self.made_on, prescriber_is_authorised=self.by_prescriber
        )

    def criteria_list(self) -> list[AdministrativeCriterion]:
        return [AdministrativeCriterion(c.criterion) for c in self.criteria.all()]

    def result(self) -> rules.EligibilityResult:
        return rules.diagnosis_eligibility(
            SiaeKind(self.siae_kind),
            self.criteria_list(),
            prescriber_is_authorised=self.by_prescriber,
            on=self.made_on,
        )

    def is_valid_on(self, day: date, *, pass_end: date | None = None) -> bool:
        return rules.is_diagnosis_valid(
            self.made_on, day, prescriber_is_authorised=self.by_prescriber, pass_end=pass_end
        )


class DiagnosisCriterion(models.Model):
    """One administrative criterion of a diagnosis, with its proof when it has been provided."""

    diagnosis = models.ForeignKey(
        EligibilityDiagnosis, on_delete=models.CASCADE, related_name="criteria"
    )
    criterion = models.CharField("critère", max_length=16, choices=AdministrativeCriterion.choices)
    proof = models.ForeignKey(
        "people.PersonDocument",
        verbose_name="justificatif",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "critère administratif"
        verbose_name_plural = "critères administratifs"
        constraints = [
            models.UniqueConstraint(
                fields=["diagnosis", "criterion"], name="diagnosis_criterion_unique"
            )
        ]

    def __str__(self) -> str:
        return self.get_criterion_display()


class PassIae(models.Model):
    """A PASS IAE as delivered by Les emplois de l'inclusion; Tremplin mirrors it."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="passes")
    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure qui l'a enregistré",
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField("numéro", max_length=12)
    start = models.DateField("début")
    end = models.DateField("fin prévue à la délivrance")
    diagnosis = models.ForeignKey(
        EligibilityDiagnosis,
        verbose_name="diagnostic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "PASS IAE"
        verbose_name_plural = "PASS IAE"
        ordering = ["-start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="pass_unique_per_person"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="pass_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"PASS IAE {self.number}"

    def suspension_periods(self) -> list[rules.SuspensionPeriod]:
        return [
            rules.SuspensionPeriod(s.start, s.end, SuspensionReason(s.reason))
            for s in self.suspensions.all()
        ]

    def prolongation_periods(self) -> list[rules.ProlongationPeriod]:
        return [
            rules.ProlongationPeriod(p.start, p.end, ProlongationReason(p.reason))
            for p in self.prolongations.all()
        ]

    def effective_end(self) -> date:
        """The end date once suspensions and prolongations are applied."""
        return rules.pass_end_with_suspensions_and_prolongations(
            self.start, self.suspension_periods(), self.prolongation_periods()
        )

    def statuses(self, today: date) -> tuple[rules.PassStatus, ...]:
        return rules.pass_statuses(self.start, self.effective_end(), today)

    def is_suspended_on(self, day: date) -> bool:
        return any(s.start <= day <= s.end for s in self.suspensions.all())


class PassSuspension(models.Model):
    pass_iae = models.ForeignKey(PassIae, on_delete=models.CASCADE, related_name="suspensions")
    start = models.DateField("début")
    end = models.DateField("fin")
    reason = models.CharField("motif", max_length=32, choices=SuspensionReason.choices)
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "suspension de PASS"
        verbose_name_plural = "suspensions de PASS"
        ordering = ["start"]

    def __str__(self) -> str:
        return f"Suspension du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


class PassProlongation(models.Model):
    pass_iae = models.ForeignKey(PassIae, on_delete=models.CASCADE, related_name="prolongations")
    start = models.DateField("début")
    end = models.DateField("fin")
    reason = models.CharField("motif", max_length=32, choices=ProlongationReason.choices)
    prescriber_name = models.CharField("prescripteur consulté", max_length=200, blank=True)
    report = models.ForeignKey(
        "people.PersonDocument",
        verbose_name="fiche bilan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "prolongation de PASS"
        verbose_name_plural = "prolongations de PASS"
        ordering = ["start"]

    def __str__(self) -> str:
        return f"Prolongation du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


# --- Accompaniment (restricted to accompaniment roles) ---------------------------------------


class BarrierTheme(models.TextChoices):
    MOBILITY = "mobility", "Mobilité"
    HOUSING = "housing", "Logement"
    HEALTH = "health", "Santé"
    CHILDCARE = "childcare", "Garde d'enfants"
    LANGUAGE = "language", "Langue française"
    DIGITAL = "digital", "Numérique"
    MONEY = "money", "Budget, ressources"
    JUSTICE = "justice", "Justice"


class HealthCategory(models.TextChoices):
    """Coded health categories: no medical detail is ever recorded (CNIL social referential)."""

    NONE = "", "—"
    WORK_CAPACITY = "work_capacity", "Restriction d'aptitude au poste"
    CARE_FOLLOW_UP = "care_follow_up", "Suivi de soins en cours"
    ADDICTION_SUPPORT = "addiction_support", "Accompagnement spécialisé en cours"
    NO_COVER = "no_cover", "Absence de couverture santé"


class BarrierSeverity(models.IntegerChoices):
    NONE = 0, "Aucun frein"
    LIGHT = 1, "Frein léger"
    MEDIUM = 2, "Frein important"
    SEVERE = 3, "Frein bloquant"


class BarrierAssessment(models.Model):
    """A barrier diagnosis (diagnostic socio-professionnel) at a date, theme by theme."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="barrier_assessments"
    )
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField("date")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "diagnostic des freins"
        verbose_name_plural = "diagnostics des freins"
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"Diagnostic des freins du {self.assessed_on:%d/%m/%Y}"


class Barrier(models.Model):
    assessment = models.ForeignKey(
        BarrierAssessment, on_delete=models.CASCADE, related_name="barriers"
    )
    theme = models.CharField("thème", max_length=12, choices=BarrierTheme.choices)
    severity = models.PositiveSmallIntegerField("intensité", choices=BarrierSeverity.choices)
    health_category = models.CharField(
        "catégorie (santé)", max_length=20, choices=HealthCategory.choices, blank=True
    )
    comment = models.CharField(
        "observation",
        max_length=300,
        blank=True,
        help_text="Jamais d'information médicale.",
    )

    class Meta:
        verbose_name = "frein"
        verbose_name_plural = "freins"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "theme"], name="barrier_one_per_theme")
        ]

    def __str__(self) -> str:
        return f"{self.get_theme_display()} : {self.get_severity_display()}"


class Objective(models.Model):
    """An objective of the accompaniment, with its actions."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="objectives")
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("objectif", max_length=200)
    theme = models.CharField("thème", max_length=12, choices=BarrierTheme.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    status = models.CharField(
        "état", max_length=12, choices=TaskStatus.choices, default=TaskStatus.TODO
    )

    class Meta:
        verbose_name = "objectif"
        verbose_name_plural = "objectifs"
        ordering = ["status", "due_on", "pk"]

    def __str__(self) -> str:
        # Never the title: it may say something private, and __str__ ends up in the audit log.
        return f"Objectif n° {self.pk}"

    @property
    def next_steps(self) -> tuple[tuple[TaskStatus, str], ...]:
        return rules.next_task_steps(TaskStatus(self.status))


class Action(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField("action", max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    status = models.CharField(
        "état", max_length=12, choices=TaskStatus.choices, default=TaskStatus.TODO
    )

    class Meta:
        verbose_name = "action"
        verbose_name_plural = "actions"
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"Action n° {self.pk}"

    @property
    def entity(self) -> models.Model:
        return self.objective.entity

    @property
    def next_steps(self) -> tuple[tuple[TaskStatus, str], ...]:
        return rules.next_task_steps(TaskStatus(self.status))


class AppointmentKind(models.TextChoices):
    INDIVIDUAL = "individual", "Entretien individuel"
    PHONE = "phone", "Entretien téléphonique"
    COLLECTIVE = "collective", "Atelier collectif"
    WORKPLACE = "workplace", "Visite sur le lieu de travail"
    PARTNER = "partner", "Rencontre avec un partenaire"


class Appointment(models.Model):
    """An appointment of the referent with the person; the notes are restricted."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="appointments"
    )
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField("date")
    kind = models.CharField("type", max_length=12, choices=AppointmentKind.choices)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="référent",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField("compte rendu", blank=True)

    class Meta:
        verbose_name = "entretien"
        verbose_name_plural = "entretiens"
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.held_on:%d/%m/%Y}"


class TrainingKind(models.TextChoices):
    TRAINING = "training", "Formation"
    PMSMP = "pmsmp", "Immersion (PMSMP)"


class Training(models.Model):
    """A training or an immersion in a company (PMSMP) during the pathway."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="trainings")
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("nature", max_length=8, choices=TrainingKind.choices)
    title = models.CharField("intitulé", max_length=200)
    organisation = models.CharField("organisme ou entreprise d'accueil", max_length=200)
    start = models.DateField("début")
    end = models.DateField("fin", null=True, blank=True)
    rome = models.ForeignKey(
        "people.RomeJob",
        verbose_name="métier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completed = models.BooleanField("menée à terme", default=False)
    certification = models.CharField("certification obtenue", max_length=200, blank=True)

    class Meta:
        verbose_name = "formation ou immersion"
        verbose_name_plural = "formations et immersions"
        ordering = ["-start", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.title}"


# --- Exits ------------------------------------------------------------------------------------


class Exit(models.Model):
    """The end of a person's insertion pathway in an entity, in the State's categories."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="exits")
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")
    step = models.OneToOneField(
        PathwayStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="exit"
    )
    exit_on = models.DateField("date de sortie")
    reason = models.CharField("motif", max_length=24, choices=ExitReason.choices)
    category = models.CharField(
        "catégorie", max_length=24, choices=ExitCategory.choices, editable=False
    )
    siae_kind = models.CharField("type de SIAE", max_length=4, choices=SiaeKind.choices)
    hours_worked = models.DecimalField(
        "heures travaillées", max_digits=8, decimal_places=2, default=0
    )
    contract_months = models.DecimalField(
        "mois de contrat", max_digits=6, decimal_places=2, default=0
    )
    counted = models.BooleanField("comptée dans les sorties", editable=False, default=False)
    employer = models.CharField("employeur ou organisme", max_length=200, blank=True)

    class Meta:
        verbose_name = "sortie"
        verbose_name_plural = "sorties"
        ordering = ["-exit_on", "-pk"]

    def __str__(self) -> str:
        return f"Sortie du {self.exit_on:%d/%m/%Y} : {self.get_reason_display()}"

    @property
    def counting_rule_known(self) -> bool:
        return rules.exit_counting_rule_known(SiaeKind(self.siae_kind))

    @property
    def is_dynamic(self) -> bool:
        return ExitCategory(self.category).is_dynamic


class ExitFollowUp(models.Model):
    """A follow-up of the person's situation 3 and 6 months after the exit."""

    exit = models.ForeignKey(Exit, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField("prévu le")
    done_on = models.DateField("réalisé le", null=True, blank=True)
    situation = models.CharField(
        "situation constatée", max_length=24, choices=ExitReason.choices, blank=True
    )
    comment = models.CharField("observation", max_length=300, blank=True)

    class Meta:
        verbose_name = "suivi après sortie"
        verbose_name_plural = "suivis après sortie"
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"Suivi prévu le {self.due_on:%d/%m/%Y}"

    def is_due_on(self, day: date) -> bool:
        return rules.follow_up_is_due(self.due_on, self.done_on, day)


# --- The cross-entity timeline -----------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    day: date
    kind: str  # intake, step_start, step_end, diagnosis, pass, exit, training
    label: str
    entity_name: str


def person_timeline(person: Person) -> list[TimelineEvent]:
    """Every dated fact of a person's pathway across the group's entities, oldest first.

    Accompaniment content (barriers, appointment notes) is not part of it: it stays on the
    restricted accompaniment page.
    """
    events: list[TimelineEvent] = []
    for intake in person.intakes.select_related("entity"):
        events.append(
            TimelineEvent(
                intake.contacted_on,
                "intake",
                f"Accueil ({intake.get_channel_display().lower()}) — {intake.get_status_display()}",
                intake.entity.name,
            )
        )
    for step in person.pathway_steps.select_related("entity"):
        title = f" : {step.job_title}" if step.job_title else ""
        events.append(
            TimelineEvent(
                step.started_on, "step_start", f"{step.get_kind_display()}{title}", step.entity.name
            )
        )
        if step.ended_on:
            events.append(
                TimelineEvent(
                    step.ended_on,
                    "step_end",
                    f"Fin : {step.get_kind_display().lower()}",
                    step.entity.name,
                )
            )
    for diagnosis in person.diagnoses.select_related("entity"):
        events.append(
            TimelineEvent(
                diagnosis.made_on,
                "diagnosis",
                f"Diagnostic d'éligibilité ({diagnosis.get_author_kind_display().lower()})",
                diagnosis.entity.name,
            )
        )
    for pass_iae in person.passes.select_related("entity").prefetch_related(
        "suspensions", "prolongations"
    ):
        events.append(
            TimelineEvent(
                pass_iae.start,
                "pass",
                f"PASS IAE n° {pass_iae.number}, jusqu'au {pass_iae.effective_end():%d/%m/%Y}",
                pass_iae.entity.name,
            )
        )
    for training in person.trainings.select_related("entity"):
        events.append(
            TimelineEvent(training.start, "training", str(training), training.entity.name)
        )
    for exit_ in person.exits.select_related("entity"):
        events.append(
            TimelineEvent(
                exit_.exit_on,
                "exit",
                f"Sortie : {exit_.get_reason_display()} ({exit_.get_category_display().lower()})",
                exit_.entity.name,
            )
        )
    order = {
        "intake": 0,
        "diagnosis": 1,
        "pass": 2,
        "step_start": 3,
        "training": 4,
        "step_end": 5,
        "exit": 6,
    }
    return sorted(events, key=lambda e: (e.day, order[e.kind]))


def insertion_months_of(person: Person, today: date) -> Decimal:
    """Months the person has spent in insertion steps anywhere in the group, up to ``today``."""
    periods = [
        (s.started_on, s.ended_on)
        for s in person.pathway_steps.all()
        if s.kind == StepKind.INSERTION
    ]
    return rules.insertion_months(periods, today)


def pathway_facts(
    person: Person, today: date, *, last_appointment: date | None
) -> rules.PathwayFacts:
    """The plain values the worklist alerts need, read from the person's relations.

    Prefetch ``pathway_steps``, ``passes`` (with ``suspensions`` and ``prolongations``) and
    ``diagnoses`` to avoid a query per person (see the worklist view).
    """
    steps = list(person.pathway_steps.all())
    insertion = [s for s in steps if s.kind == StepKind.INSERTION]
    passes = sorted(person.passes.all(), key=lambda p: (p.start, p.pk))
    latest_pass = passes[-1] if passes else None
    diagnoses = sorted(person.diagnoses.all(), key=lambda d: (d.made_on, d.pk))
    latest = diagnoses[-1] if diagnoses else None
    return rules.PathwayFacts(
        birth_date=person.birth_date,
        pass_start=latest_pass.start if latest_pass else None,
        pass_end=latest_pass.effective_end() if latest_pass else None,
        latest_diagnosis=(latest.made_on, latest.by_prescriber) if latest else None,
        insertion_periods=tuple((s.started_on, s.ended_on) for s in insertion),
        in_insertion=any(s.is_open_on(today) for s in insertion),
        last_appointment=last_appointment,
    )


# --- Worklists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    """One line of a worklist: a person, the entity where the pathway runs, an alert."""

    person: Person
    entity_name: str
    kind: rules.AlertKind
    detail: str
    day: date | None
    follow_up: ExitFollowUp | None = None


def _step_entity_name(person: Person, day: date) -> str:
    open_steps = [
        s for s in person.pathway_steps.all() if s.kind == StepKind.INSERTION and s.is_open_on(day)
    ]
    if open_steps:
        return max(open_steps, key=lambda s: (s.started_on, s.pk)).entity.name
    return person.entity.name


def alert_rows(people: models.QuerySet[Person], day: date) -> list[AlertRow]:
    """Alerts of ``people`` on ``day``: a fixed number of queries whatever their number."""
    last_appointment = (
        Appointment.objects.filter(person=models.OuterRef("pk"))
        .order_by("-held_on")
        .values("held_on")[:1]
    )
    loaded = (
        people.annotate(last_appointment=models.Subquery(last_appointment))
        .select_related("entity")
        .prefetch_related(
            models.Prefetch("pathway_steps", queryset=PathwayStep.objects.select_related("entity")),
            models.Prefetch(
                "passes", queryset=PassIae.objects.prefetch_related("suspensions", "prolongations")
            ),
            models.Prefetch("diagnoses", queryset=EligibilityDiagnosis.objects.all()),
        )
    )
    rows: list[AlertRow] = []
    for person in loaded:
        facts = pathway_facts(person, day, last_appointment=person.last_appointment)
        entity_name = _step_entity_name(person, day)
        for alert in rules.pathway_alerts(facts, day):
            rows.append(
                AlertRow(
                    person,
                    entity_name,
                    alert.kind,
                    alert.detail,
                    alert.day,
                )
            )
    due = ExitFollowUp.objects.filter(
        done_on__isnull=True, due_on__lte=day, exit__person__in=people.values("pk")
    ).select_related("exit__person__entity", "exit__entity")
    for follow_up_ in due:
        exit_ = follow_up_.exit
        rows.append(
            AlertRow(
                exit_.person,
                exit_.entity.name,
                rules.AlertKind.FOLLOW_UP_DUE,
                f"Suivi prévu le {follow_up_.due_on:%d/%m/%Y} après la sortie du"
                f" {exit_.exit_on:%d/%m/%Y}.",
                follow_up_.due_on,
                follow_up_,
            )
        )
    # Most urgent kind first (the order of ``AlertKind``), then the oldest date.
    priority = {kind: n for n, kind in enumerate(rules.AlertKind)}
    rows.sort(key=lambda r: (priority[r.kind], r.day or date.min, r.person.full_name))
    return rows


def alert_candidates(entity_ids: list[int], day: date) -> models.QuerySet[Person]:
    """People of the entities who may have an alert: in insertion, with a PASS, a recent
    diagnosis, or a follow-up due."""
    from tremplin.people.models import Person

    recent = day - timedelta(days=rules.EMPLOYER_DIAGNOSIS_VALIDITY_DAYS.on(day))
    in_pathway = (
        models.Q(pk__in=PathwayStep.objects.insertion().open_on(day).values("person_id"))
        | models.Q(pk__in=PassIae.objects.values("person_id"))
        | models.Q(
            pk__in=EligibilityDiagnosis.objects.filter(made_on__gte=recent).values("person_id")
        )
        | models.Q(
            pk__in=ExitFollowUp.objects.filter(done_on__isnull=True, due_on__lte=day).values(
                "exit__person_id"
            )
        )
    )
    return Person.objects.visible_in(entity_ids).filter(in_pathway)
