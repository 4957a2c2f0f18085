"""Forms of the pathway pages. Each one checks its input with the rules of ``rules.py`` and
puts every message on the field it is about, so that the page says "Fin : …"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from tremplin.accounts.models import User
from tremplin.core.dates import format_date
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.core.parameters import ParameterNotInForce
from tremplin.organisations.rules import SiaeKind
from tremplin.pathways import rules
from tremplin.pathways.models import (
    Action,
    Appointment,
    BarrierSeverity,
    BarrierTheme,
    DiagnosisAuthor,
    EligibilityDiagnosis,
    ExitFollowUp,
    HealthCategory,
    Objective,
    PassIae,
    PathwayStep,
    Training,
)
from tremplin.pathways.rules import (
    AdministrativeCriterion,
    CriterionLevel,
    ExitReason,
    ProlongationReason,
    SuspensionReason,
    TaskStatus,
)
from tremplin.people.models import DocumentKind, Person, PersonDocument

FUTURE_DATE = "La date ne peut pas être dans le futur."


def _field_for(message: str, prefixes: dict[str, str | None]) -> str | None:
    """The form field a rule message is about, from how the message begins."""
    for prefix, field in prefixes.items():
        if message.startswith(prefix):
            return field
    return None


class _CheckboxesMixin:
    """Checkbox and radio lists take Bootstrap's check classes, not ``form-control``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                field.widget.attrs["class"] = "form-check-input"


# --- Eligibility ------------------------------------------------------------------------------


class DiagnosisForm(_CheckboxesMixin, StyledFormMixin, forms.Form):
    siae_kind = forms.ChoiceField(label="Type de SIAE", choices=SiaeKind.choices)
    author_kind = forms.ChoiceField(
        label="Auteur du diagnostic",
        choices=DiagnosisAuthor.choices,
        initial=DiagnosisAuthor.EMPLOYER,
        widget=forms.RadioSelect,
    )
    prescriber_name = forms.CharField(
        label="Prescripteur habilité",
        max_length=200,
        required=False,
        help_text="Organisme et nom du prescripteur, pour un diagnostic de prescripteur.",
    )
    made_on = forms.DateField(label="Date du diagnostic", widget=DateInput())
    criteria = forms.MultipleChoiceField(
        label="Critères administratifs",
        choices=AdministrativeCriterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, person: Person, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        proofs = PersonDocument.objects.filter(person=person, kind=DocumentKind.CRITERION_PROOF)
        for criterion in AdministrativeCriterion:
            self.fields[self.proof_field(criterion)] = forms.ModelChoiceField(
                label=f"Justificatif ({criterion.value})",
                queryset=proofs,
                required=False,
                empty_label="Aucun justificatif",
            )
            self.fields[self.proof_field(criterion)].widget.attrs["class"] = (
                "form-select form-select-sm"
            )

    @staticmethod
    def proof_field(criterion: AdministrativeCriterion) -> str:
        return f"proof_{criterion.value}"

    def criteria_by_level(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        """For the template: each level with its (checkbox, proof field) rows."""
        checkboxes = {widget.data["value"]: widget for widget in self["criteria"]}
        return [
            (
                level.label,
                [
                    (checkboxes[c.value], self[self.proof_field(c)])
                    for c in AdministrativeCriterion
                    if c.level is level
                ],
            )
            for level in CriterionLevel
        ]

    def clean_made_on(self) -> date:
        made_on: date = self.cleaned_data["made_on"]
        if made_on > self.today:
            raise forms.ValidationError(FUTURE_DATE)
        try:
            rules.diagnosis_valid_until(made_on, prescriber_is_authorised=False)
        except ParameterNotInForce as exc:
            raise forms.ValidationError(str(exc)) from exc
        return made_on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("author_kind") == DiagnosisAuthor.PRESCRIBER and not data.get(
            "prescriber_name"
        ):
            self.add_error(
                "prescriber_name", "Indiquez le prescripteur habilité qui a fait le diagnostic."
            )
        chosen = set(data.get("criteria") or [])
        for criterion in AdministrativeCriterion:
            name = self.proof_field(criterion)
            if data.get(name) is not None and criterion.value not in chosen:
                self.add_error(name, "Ce justificatif porte sur un critère non coché.")
        return data

    def criteria_with_proofs(self) -> dict[AdministrativeCriterion, PersonDocument | None]:
        data = self.cleaned_data
        return {
            AdministrativeCriterion(value): data.get(
                self.proof_field(AdministrativeCriterion(value))
            )
            for value in data["criteria"]
        }


class PassForm(StyledFormMixin, forms.Form):
    number = forms.CharField(
        label="Numéro",
        max_length=20,
        help_text="Le numéro délivré par les emplois de l'inclusion : 12 chiffres.",
    )
    start = forms.DateField(label="Début", widget=DateInput())
    end = forms.DateField(
        label="Fin",
        required=False,
        widget=DateInput(),
        help_text="Laissez vide pour la fin calculée : début + 730 jours − 1 jour.",
    )
    diagnosis = forms.ModelChoiceField(
        label="Diagnostic d'éligibilité",
        queryset=EligibilityDiagnosis.objects.none(),
        required=False,
        empty_label="—",
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        diagnoses = EligibilityDiagnosis.objects.filter(person=person)
        self.fields["diagnosis"].queryset = diagnoses  # type: ignore[attr-defined]
        if not self.is_bound and (latest := diagnoses.first()):
            self.initial["diagnosis"] = latest.pk

    def clean_number(self) -> str:
        number = rules.normalize_pass_number(self.cleaned_data["number"])
        if errors := rules.pass_number_errors(number):
            raise forms.ValidationError(errors)
        # The same PASS follows a person from one structure to another, possibly outside the
        # group: only a second file of the same group with this number is an error.
        group_id = self.person.entity.group_id
        if PassIae.objects.filter(number=number, person__entity__group_id=group_id).exists():
            raise forms.ValidationError("Ce numéro de PASS IAE est déjà enregistré dans le groupe.")
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is None:
            return data
        if end is None and "end" not in self.errors:
            try:
                data["end"] = end = rules.pass_end(start)
            except ParameterNotInForce as exc:
                self.add_error("start", str(exc))
                return data
        if end is not None and end < start:
            self.add_error("end", "La date de fin doit être postérieure ou égale au début.")
            return data
        passes = self.person.passes.prefetch_related("suspensions", "prolongations")
        for other in passes:
            other_end = other.effective_end()
            if end is not None and other.start <= end and start <= other_end:
                self.add_error(
                    "start",
                    f"La personne a déjà le PASS IAE n° {other.number}, valable du"
                    f" {format_date(other.start)} au {format_date(other_end)} : une personne"
                    " n'a qu'un PASS IAE à la fois.",
                )
        return data


# Which field each message of rules.suspension_errors is about.
SUSPENSION_MESSAGE_FIELDS: dict[str, str | None] = {
    "La date de fin de la suspension": "end",
    "La suspension dépasse la durée maximale": "end",
    "La suspension doit commencer pendant": "start",
    "La suspension ne peut pas commencer": "start",
    "La suspension chevauche": "start",
    "Le motif de suspension": "reason",
    "Le paramètre": "start",
}


class SuspensionForm(StyledFormMixin, forms.Form):
    siae_kind = forms.ChoiceField(label="Type de SIAE qui suspend", choices=SiaeKind.choices)
    start = forms.DateField(label="Début", widget=DateInput())
    end = forms.DateField(label="Fin", widget=DateInput())
    reason = forms.ChoiceField(label="Motif")

    def __init__(self, *args: Any, pass_iae: PassIae, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pass_iae = pass_iae
        self.today = today
        open_reasons = rules.SUSPENSION_REASONS_OPEN.on(today) | {
            SuspensionReason.CONTRAT_PASSERELLE
        }
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            (r.value, r.label) for r in SuspensionReason if r in open_reasons
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not all(data.get(f) for f in ("siae_kind", "start", "end", "reason")):
            return data
        period = rules.SuspensionPeriod(
            data["start"], data["end"], SuspensionReason(data["reason"])
        )
        errors = rules.suspension_errors(
            period,
            kind=SiaeKind(data["siae_kind"]),
            pass_start=self.pass_iae.start,
            pass_end=self.pass_iae.effective_end(),
            today=self.today,
            others=self.pass_iae.suspension_periods(),
        )
        for message in errors:
            self.add_error(_field_for(message, SUSPENSION_MESSAGE_FIELDS), message)
        return data


# Which field each message of rules.prolongation_errors is about; None: the PASS as a whole.
PROLONGATION_MESSAGE_FIELDS: dict[str, str | None] = {
    "La prolongation doit commencer": "start",
    "La prolongation doit être demandée": "start",
    "La prolongation doit durer": "end",
    "La prolongation dépasse": "end",
    "La durée cumulée": "end",
    "La prolongation pour fin de formation": "end",
    "Le motif de prolongation": "reason",
    "Le paramètre": "start",
    "Un PASS IAE suspendu": None,
    "Une demande de prolongation": None,
}


class ProlongationForm(StyledFormMixin, forms.Form):
    siae_kind = forms.ChoiceField(label="Type de SIAE qui prolonge", choices=SiaeKind.choices)
    start = forms.DateField(
        label="Début",
        widget=DateInput(),
        help_text="La prolongation commence à la date de fin actuelle du PASS IAE.",
    )
    end = forms.DateField(label="Fin", widget=DateInput(), help_text="Nouvelle fin du PASS IAE.")
    reason = forms.ChoiceField(label="Motif")
    prescriber_name = forms.CharField(label="Prescripteur consulté", max_length=200, required=False)
    report = forms.ModelChoiceField(
        label="Fiche bilan",
        queryset=PersonDocument.objects.none(),
        required=False,
        empty_label="—",
        help_text="Choisie parmi les documents de la personne.",
    )
    training_ends_on = forms.DateField(
        label="Fin de la formation",
        required=False,
        widget=DateInput(),
        help_text="Pour le motif « Fin d'une formation » seulement.",
    )

    def __init__(self, *args: Any, pass_iae: PassIae, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pass_iae = pass_iae
        self.today = today
        self.fields["report"].queryset = PersonDocument.objects.filter(  # type: ignore[attr-defined]
            person_id=pass_iae.person_id
        )
        try:
            reasons = rules.PROLONGATION_RULES.on(today)
        except ParameterNotInForce:
            reasons = {}
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            (r.value, r.label) for r in ProlongationReason if r in reasons
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not all(data.get(f) for f in ("siae_kind", "start", "end", "reason")):
            return data
        reason = ProlongationReason(data["reason"])
        start, end = data["start"], data["end"]
        training_ends_on = data.get("training_ends_on")
        try:
            rule = rules.prolongation_rule(reason, on=start)
        except ParameterNotInForce:
            rule = None
        if reason is ProlongationReason.COMPLETE_TRAINING and training_ends_on is None:
            self.add_error("training_ends_on", "Obligatoire pour le motif « Fin d'une formation ».")
        errors = rules.prolongation_errors(
            rules.ProlongationPeriod(start, end, reason),
            kind=SiaeKind(data["siae_kind"]),
            pass_end=self.pass_iae.effective_end(),
            today=self.today,
            previous=self.pass_iae.prolongation_periods(),
            is_suspended=self.pass_iae.is_suspended_on(self.today),
            training_ends_on=training_ends_on,
        )
        for message in errors:
            self.add_error(_field_for(message, PROLONGATION_MESSAGE_FIELDS), message)
        if rule is not None and rule.needs_prescriber and not data.get("prescriber_name"):
            self.add_error(
                "prescriber_name", "L'avis d'un prescripteur est requis pour ce motif (R5132-1-8)."
            )
        if rule is not None and rule.needs_report_file and data.get("report") is None:
            self.add_error(
                "report",
                "Une fiche bilan est requise pour ce motif (R5132-1-8) : ajoutez-la aux"
                " documents de la personne.",
            )
        return data


# --- Exits ------------------------------------------------------------------------------------


class StepChoiceField(forms.ModelChoiceField[PathwayStep]):
    def label_from_instance(self, obj: PathwayStep) -> str:
        kind = f" {obj.siae_kind}" if obj.siae_kind else ""
        job = f", {obj.job_title}" if obj.job_title else ""
        return f"{obj.entity.name}{kind}{job} — depuis le {format_date(obj.started_on)}"


class ExitForm(StyledFormMixin, forms.Form):
    step = StepChoiceField(label="Étape qui se termine", queryset=PathwayStep.objects.none())
    exit_on = forms.DateField(label="Date de sortie", widget=DateInput())
    reason = forms.ChoiceField(label="Motif", choices=ExitReason.choices)
    hours_worked = forms.DecimalField(
        label="Heures travaillées",
        required=False,
        min_value=Decimal(0),
        max_digits=8,
        decimal_places=2,
        help_text="AI et ETTI : heures travaillées sur la dernière annexe financière, à saisir"
        " tant que les relevés d'heures ne sont pas dans Tremplin.",
    )
    employer = forms.CharField(label="Employeur ou organisme", max_length=200, required=False)

    def __init__(
        self, *args: Any, steps: QuerySet[PathwayStep], today: date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["step"].queryset = steps  # type: ignore[attr-defined]
        if not self.is_bound and len(steps) == 1:
            self.initial["step"] = steps[0].pk

    def clean_exit_on(self) -> date:
        exit_on: date = self.cleaned_data["exit_on"]
        if exit_on > self.today:
            raise forms.ValidationError(FUTURE_DATE)
        return exit_on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        step: PathwayStep | None = data.get("step")
        exit_on: date | None = data.get("exit_on")
        if step is None:
            return data
        if not step.siae_kind:
            self.add_error("step", "Le type de SIAE de cette étape n'est pas renseigné.")
            return data
        kind = SiaeKind(step.siae_kind)
        if exit_on is not None and exit_on < step.started_on:
            self.add_error(
                "exit_on",
                "La date de sortie ne peut pas précéder le début de l'étape"
                f" ({format_date(step.started_on)}).",
            )
        if rules.exit_hours_required(kind) and data.get("hours_worked") is None:
            self.add_error(
                "hours_worked",
                f"Obligatoire pour une sortie d'{kind.value} : les heures décident du comptage.",
            )
        if exit_on is not None and rules.exit_counting_rule_known(kind):
            try:
                rules.exit_counts(
                    kind, hours_worked=Decimal(0), contract_months=Decimal(0), on=exit_on
                )
            except ParameterNotInForce as exc:
                self.add_error("exit_on", str(exc))
        return data


class FollowUpForm(StyledFormMixin, forms.ModelForm[ExitFollowUp]):
    class Meta:
        model = ExitFollowUp
        fields = ["done_on", "situation", "comment"]
        widgets = {"done_on": DateInput()}
        help_texts = {"comment": "Situation professionnelle seulement : rien sur la santé."}

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["done_on"].required = True
        self.fields["situation"].required = True

    def clean_done_on(self) -> date:
        done_on: date = self.cleaned_data["done_on"]
        if done_on > self.today:
            raise forms.ValidationError(FUTURE_DATE)
        exit_on = self.instance.exit.exit_on
        if done_on < exit_on:
            raise forms.ValidationError(
                f"Le suivi ne peut pas précéder la sortie ({format_date(exit_on)})."
            )
        return done_on


# --- Accompaniment ----------------------------------------------------------------------------


class BarrierAssessmentForm(StyledFormMixin, forms.Form):
    """One severity per theme; health only as a coded category, never a medical detail."""

    assessed_on = forms.DateField(label="Date du diagnostic", widget=DateInput())
    health_category = forms.ChoiceField(
        label="Catégorie (santé)",
        choices=HealthCategory.choices,
        required=False,
        help_text="Santé : une catégorie codée seulement, jamais de détail médical (diagnostic,"
        " traitement, pathologie).",
    )

    def __init__(
        self, *args: Any, today: date, latest: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        latest = latest or {}
        for theme in BarrierTheme:
            severity = forms.TypedChoiceField(
                label=theme.label,
                choices=BarrierSeverity.choices,
                coerce=int,
                initial=latest.get(f"severity_{theme.value}", 0),
            )
            severity.widget.attrs["class"] = "form-select form-select-sm"
            self.fields[f"severity_{theme.value}"] = severity
            if theme is BarrierTheme.HEALTH:
                continue
            comment = forms.CharField(
                label=f"Observation ({theme.label.lower()})",
                max_length=300,
                required=False,
                initial=latest.get(f"comment_{theme.value}", ""),
            )
            comment.widget.attrs["class"] = "form-control form-control-sm"
            self.fields[f"comment_{theme.value}"] = comment
        self.fields["health_category"].initial = latest.get("health_category", "")

    def theme_rows(self) -> list[tuple[str, Any, Any]]:
        """For the template: (theme, severity field, comment field or the health category)."""
        return [
            (
                theme.label,
                self[f"severity_{theme.value}"],
                self["health_category"]
                if theme is BarrierTheme.HEALTH
                else self[f"comment_{theme.value}"],
            )
            for theme in BarrierTheme
        ]

    def clean_assessed_on(self) -> date:
        assessed_on: date = self.cleaned_data["assessed_on"]
        if assessed_on > self.today:
            raise forms.ValidationError(FUTURE_DATE)
        return assessed_on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("health_category") and data.get(f"severity_{BarrierTheme.HEALTH.value}") == 0:
            self.add_error(
                "health_category", "Sans frein de santé, laissez la catégorie vide (« — »)."
            )
        return data

    def barriers(self) -> list[tuple[BarrierTheme, int, str, str]]:
        data = self.cleaned_data
        return [
            (
                theme,
                data[f"severity_{theme.value}"],
                data["health_category"] if theme is BarrierTheme.HEALTH else "",
                "" if theme is BarrierTheme.HEALTH else data[f"comment_{theme.value}"],
            )
            for theme in BarrierTheme
        ]


class OwnerChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class ObjectiveForm(StyledFormMixin, forms.ModelForm[Objective]):
    class Meta:
        model = Objective
        fields = ["title", "theme", "owner", "due_on"]
        field_classes = {"owner": OwnerChoiceField}
        widgets = {"due_on": DateInput()}

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class ActionForm(StyledFormMixin, forms.ModelForm[Action]):
    class Meta:
        model = Action
        fields = ["title", "owner", "due_on"]
        field_classes = {"owner": OwnerChoiceField}
        widgets = {"due_on": DateInput()}

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label="État")

    def __init__(self, *args: Any, current: TaskStatus, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (s.value, s.label) for s in rules.next_task_statuses(current)
        ]


class AppointmentForm(StyledFormMixin, forms.ModelForm[Appointment]):
    class Meta:
        model = Appointment
        fields = ["held_on", "kind", "notes"]
        widgets = {"held_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "notes": "Lu seulement par la direction et l'accompagnement. Rien de médical.",
        }

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_held_on(self) -> date:
        held_on: date = self.cleaned_data["held_on"]
        if held_on > self.today:
            raise forms.ValidationError("Un entretien à venir ne peut pas être consigné.")
        return held_on


class TrainingForm(StyledFormMixin, forms.ModelForm[Training]):
    class Meta:
        model = Training
        fields = [
            "kind",
            "title",
            "organisation",
            "start",
            "end",
            "rome",
            "completed",
            "certification",
        ]
        widgets = {"start": DateInput(), "end": DateInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "La date de fin doit être postérieure ou égale au début.")
        if data.get("certification") and not data.get("completed"):
            self.add_error(
                "certification", "Une certification suppose une formation menée à terme."
            )
        return data
