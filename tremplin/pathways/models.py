"""A person's pathway across the group: steps in entities, eligibility and PASS IAE,
accompaniment (restricted), exits and their follow-up.

Accompaniment content (barriers, appointment notes) is readable only by accompaniment roles
(``accounts.rules.ACCOMPANIMENT_ROLES``); views log each reading in the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
)

if TYPE_CHECKING:
    pass


if TYPE_CHECKING:
    from tremplin.people.models import Person


class StepKind(models.TextChoices):
    INSERTION = "insertion", "Parcours d'insertion"
    LASTING_JOB = "lasting_job", "Emploi durable dans le groupe"


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
        return rules.is_eligible_by_criteria(
            SiaeKind(self.siae_kind), self.criteria_list(), today=self.made_on
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
    number = models.CharField("numéro", max_length=12, unique=True)
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
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="pass_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"PASS IAE {self.number}"

    def effective_end(self) -> date:
        """The end date once suspensions and prolongations are applied."""
        return rules.pass_end_with_suspensions_and_prolongations(
            self.start,
            [
                rules.SuspensionPeriod(s.start, s.end, SuspensionReason(s.reason))
                for s in self.suspensions.all()
            ],
            [
                rules.ProlongationPeriod(p.start, p.end, ProlongationReason(p.reason))
                for p in self.prolongations.all()
            ],
        )


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


class TaskStatus(models.TextChoices):
    TODO = "todo", "À faire"
    IN_PROGRESS = "in_progress", "En cours"
    DONE = "done", "Réalisé"
    ABANDONED = "abandoned", "Abandonné"


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
        return self.title


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
        return self.title


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
