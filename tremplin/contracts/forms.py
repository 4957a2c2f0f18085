"""Forms of the contract pages: each builds ContractTerms and attaches the rules' messages."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from tremplin.contracts.models import (
    Contract,
    Funding,
    Habilitation,
    MedicalVisit,
    StaffLoan,
    default_funding,
)
from tremplin.contracts.rules import (
    END_FIELD_LABELS,
    FIELD_LABELS,
    FIXED_TERM_KINDS,
    LOAN_FIELD_LABELS,
    CddiDerogation,
    ContractKind,
    ContractTerms,
    EndReason,
    JobCategory,
    PartTimeDerogation,
    PostType,
    contract_errors_by_field,
    end_errors,
    post_type_for,
    probation_end,
    renewal_errors,
    staff_loan_errors,
    started_months,
)
from tremplin.core.dates import format_date
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.organisations.models import Entity
from tremplin.people.models import Person

# Fields of a contract that an avenant may change; kind, start, employer and person may not
# (changing them is a new contract).
AMENDABLE_FIELDS = [
    "planned_end",
    "weekly_hours",
    "monthly_hours",
    "hourly_rate",
    "job_title",
    "rome",
    "job_category",
    "post_type",
    "funding",
    "probation_end",
    "derogation_reason",
    "part_time_derogation",
    "cddi_derogation",
]

_DATE_FIELDS = ("start", "planned_end", "actual_end", "probation_end")
_HELP = {
    "weekly_hours": "En heures par semaine ; laisser vide pour un volume mensuel garanti.",
    "monthly_hours": "CDDUA : volume d'heures garanti chaque mois.",
    "hourly_rate": "En euros, au moins le SMIC horaire brut en vigueur au début du contrat.",
    "derogation_reason": "CDDI ou PEC sous 20 h par semaine : décision préfectorale.",
    "post_type": "Laisser vide : déduite du type de contrat.",
    "funding": "Laisser vide : aide au poste pour un contrat d'insertion conventionné, aide PEC "
    "pour un PEC, sinon sans aide.",
    "probation_end": "Laisser vide : durée légale maximale (Code du travail, art. L1242-10, "
    "L1251-14, L1221-19).",
}


@dataclass(frozen=True)
class PersonFacts:
    """What the contract rules need to know of the worker: birth date and latest PASS IAE."""

    birth_date: date
    pass_start: date | None
    pass_end: date | None


def person_facts(person: Person) -> PersonFacts:
    """The person's birth date and the start and effective end of their latest PASS IAE."""
    latest = person.passes.prefetch_related("suspensions", "prolongations").first()
    if latest is None:
        return PersonFacts(person.birth_date, None, None)
    return PersonFacts(person.birth_date, latest.start, latest.effective_end())


def attach_errors(
    form: forms.BaseForm, errors: Mapping[str, Iterable[str]], labels: Mapping[str, str]
) -> None:
    """Put each message on its form field; one without a field goes on top, with its label."""
    for key, messages in errors.items():
        for message in messages:
            if key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, f"{labels.get(key, key)} : {message}")


def attach_labelled_errors(form: forms.BaseForm, messages: Iterable[str]) -> None:
    """Put messages written as ``"Label : text"`` (``renewal_errors``) on their field."""
    by_label = {f"{label} : ": key for key, label in FIELD_LABELS.items()}
    for message in messages:
        for prefix, key in by_label.items():
            if message.startswith(prefix) and key in form.fields:
                form.add_error(key, message.removeprefix(prefix))
                break
        else:
            form.add_error(None, message)


def _optional_choice(value: str | None, enum: Any) -> Any:
    return enum(value) if value else None


def contract_terms(
    data: Mapping[str, Any],
    *,
    kind: ContractKind,
    start: date,
    facts: PersonFacts,
    is_renewal: bool = False,
    previous_cumulated_months: int = 0,
) -> ContractTerms:
    """Build the terms the contract rules check from a form's cleaned data."""
    return ContractTerms(
        kind=kind,
        start=start,
        planned_end=data.get("planned_end"),
        weekly_hours=data.get("weekly_hours"),
        monthly_hours=data.get("monthly_hours"),
        hourly_rate=data["hourly_rate"],
        birth_date=facts.birth_date,
        derogation_reason=data.get("derogation_reason") or None,
        pass_iae_start=facts.pass_start,
        pass_iae_end=facts.pass_end,
        is_renewal=is_renewal,
        previous_cumulated_months=previous_cumulated_months,
        part_time_derogation=_optional_choice(data.get("part_time_derogation"), PartTimeDerogation),
        cddi_derogation=_optional_choice(data.get("cddi_derogation"), CddiDerogation),
    )


class _ContractFieldsMixin:
    """French labels of the rules (``FIELD_LABELS``), help texts and date pickers."""

    def _dress_fields(self) -> None:
        fields: dict[str, forms.Field] = self.fields  # type: ignore[attr-defined]
        for name, field in fields.items():
            if name in FIELD_LABELS:
                field.label = FIELD_LABELS[name]
            if name in _HELP:
                field.help_text = _HELP[name]
            if name in _DATE_FIELDS:
                field.widget = DateInput(attrs=field.widget.attrs)


def _check_probation_end(form: forms.BaseForm, data: Mapping[str, Any], kind: ContractKind) -> None:
    """A probation end lies within the contract and, for a fixed term, within the legal maximum."""
    given, start, end = data.get("probation_end"), data.get("start"), data.get("planned_end")
    if given is None or start is None:
        return
    if given < start:
        form.add_error("probation_end", f"antérieure au début du contrat ({format_date(start)}).")
    elif end is not None and given > end:
        form.add_error("probation_end", f"postérieure à la fin prévue ({format_date(end)}).")
    elif kind in FIXED_TERM_KINDS and end is not None:
        category = JobCategory(data.get("job_category") or JobCategory.WORKER_EMPLOYEE)
        latest = probation_end(kind, start, end, category=category)
        if given > latest:
            form.add_error(
                "probation_end",
                f"au plus tard le {format_date(latest)} : durée maximale de la période d'essai "
                "(Code du travail, art. L1242-10 et L1251-14).",
            )


class ContractForm(_ContractFieldsMixin, StyledFormMixin, forms.ModelForm[Contract]):
    """A new contract of any kind for ``person``, in one of ``entities``."""

    class Meta:
        model = Contract
        fields = [
            "entity",
            "kind",
            "job_title",
            "rome",
            "job_category",
            "start",
            "planned_end",
            "weekly_hours",
            "monthly_hours",
            "hourly_rate",
            "post_type",
            "funding",
            "probation_end",
            "derogation_reason",
            "part_time_derogation",
            "cddi_derogation",
        ]

    def __init__(
        self,
        *args: Any,
        person: Person,
        entities: QuerySet[Entity],
        facts: PersonFacts,
        today: date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, instance=Contract(person=person), **kwargs)
        self.facts = facts
        self.today = today
        entity_field: forms.ModelChoiceField[Entity] = self.fields["entity"]  # type: ignore[assignment]
        entity_field.queryset = entities
        entity_field.label = "Employeur"
        deduced = [("", "— déduit du type de contrat —")]
        post_type: forms.ChoiceField = self.fields["post_type"]  # type: ignore[assignment]
        post_type.required = False
        post_type.choices = [*deduced, *PostType.choices]
        funding: forms.ChoiceField = self.fields["funding"]  # type: ignore[assignment]
        funding.required = False
        funding.choices = [*deduced, *Funding.choices]
        self._dress_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind_value, start, entity = data.get("kind"), data.get("start"), data.get("entity")
        if not kind_value or start is None or entity is None or data.get("hourly_rate") is None:
            return data
        kind = ContractKind(kind_value)
        if not data.get("post_type"):
            data["post_type"] = post_type_for(kind)
        if not data.get("funding"):
            in_force = bool(entity.conventions_in_force(start))
            data["funding"] = default_funding(kind, convention_in_force=in_force)
        _check_probation_end(self, data, kind)
        planned_end = data.get("planned_end")
        if data.get("probation_end") is None and (planned_end is None or planned_end >= start):
            category = JobCategory(data.get("job_category") or JobCategory.WORKER_EMPLOYEE)
            data["probation_end"] = probation_end(kind, start, planned_end, category=category)
        terms = contract_terms(data, kind=kind, start=start, facts=self.facts)
        attach_errors(self, contract_errors_by_field(terms, today=self.today), FIELD_LABELS)
        return data


class RenewForm(_ContractFieldsMixin, StyledFormMixin, forms.ModelForm[Contract]):
    """The renewal of ``previous``: same kind, employer and post, starting the day after it."""

    class Meta:
        model = Contract
        fields = [
            "start",
            "planned_end",
            "weekly_hours",
            "monthly_hours",
            "hourly_rate",
            "derogation_reason",
            "part_time_derogation",
            "cddi_derogation",
        ]

    def __init__(
        self, *args: Any, previous: Contract, facts: PersonFacts, today: date, **kwargs: Any
    ) -> None:
        assert previous.planned_end is not None
        renewal = Contract(
            entity=previous.entity,
            person=previous.person,
            kind=previous.kind,
            post_type=previous.post_type,
            start=previous.planned_end + timedelta(days=1),
            weekly_hours=previous.weekly_hours,
            monthly_hours=previous.monthly_hours,
            hourly_rate=previous.hourly_rate,
            job_title=previous.job_title,
            rome=previous.rome,
            job_category=previous.job_category,
            funding=previous.funding,
            derogation_reason=previous.derogation_reason,
            part_time_derogation=previous.part_time_derogation,
            cddi_derogation=previous.cddi_derogation,
        )
        super().__init__(*args, instance=renewal, **kwargs)
        self.previous = previous
        self.facts = facts
        self.today = today
        self._dress_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start = data.get("start")
        if start is None or data.get("hourly_rate") is None:
            return data
        previous = self.previous
        assert previous.planned_end is not None
        kind = ContractKind(previous.kind)
        before_previous = previous.months_before()
        previous_terms = contract_terms(
            {
                "planned_end": previous.planned_end,
                "weekly_hours": previous.weekly_hours,
                "monthly_hours": previous.monthly_hours,
                "hourly_rate": previous.hourly_rate,
            },
            kind=kind,
            start=previous.start,
            facts=self.facts,
            is_renewal=previous.renews_id is not None,
            previous_cumulated_months=before_previous,
        )
        terms = contract_terms(
            data,
            kind=kind,
            start=start,
            facts=self.facts,
            is_renewal=True,
            previous_cumulated_months=before_previous
            + started_months(previous.start, previous.planned_end),
        )
        attach_labelled_errors(self, renewal_errors(previous_terms, terms))
        attach_errors(self, contract_errors_by_field(terms, today=self.today), FIELD_LABELS)
        return data


class AmendForm(_ContractFieldsMixin, StyledFormMixin, forms.ModelForm[Contract]):
    """An avenant: the new values of some clauses, from a date, for a reason."""

    effective_on = forms.DateField(label="Date d'effet", widget=DateInput())
    reason = forms.CharField(label="Objet de l'avenant", max_length=300)

    class Meta:
        model = Contract
        fields = AMENDABLE_FIELDS

    def __init__(
        self, *args: Any, contract: Contract, facts: PersonFacts, today: date, **kwargs: Any
    ) -> None:
        # The form edits a copy: the page keeps showing the contract as it stands.
        super().__init__(*args, instance=copy.copy(contract), **kwargs)
        self.contract = contract
        self.facts = facts
        self.today = today
        self.fields["effective_on"].initial = today
        self._dress_fields()

    def changes(self) -> dict[str, object]:
        """The clauses whose value the avenant changes, with their new value."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in AMENDABLE_FIELDS
            if name in data and data[name] != getattr(self.contract, name)
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contract = self.contract
        effective_on = data.get("effective_on")
        if effective_on is not None:
            end = data.get("planned_end") or contract.planned_end
            if effective_on < contract.start:
                self.add_error(
                    "effective_on",
                    f"antérieure au début du contrat ({format_date(contract.start)}).",
                )
            elif end is not None and effective_on > end:
                self.add_error(
                    "effective_on", f"postérieure à la fin du contrat ({format_date(end)})."
                )
        if self.errors:
            return data
        if not self.changes():
            self.add_error(None, "Aucune clause ne change : un avenant modifie le contrat.")
            return data
        kind = ContractKind(contract.kind)
        _check_probation_end(self, {**data, "start": contract.start}, kind)
        terms = contract_terms(
            data,
            kind=kind,
            start=contract.start,
            facts=self.facts,
            is_renewal=contract.renews_id is not None,
            previous_cumulated_months=contract.months_before(),
        )
        # The terms were agreed when the contract was entered: a renewal is not re-dated.
        agreed_on = timezone.localdate(contract.created_at) if contract.created_at else self.today
        errors = contract_errors_by_field(terms, today=min(agreed_on, self.today))
        if effective_on is not None and effective_on > contract.start:
            # The new rate must also reach the SMIC in force when the avenant takes effect.
            later = contract_errors_by_field(
                ContractTerms(
                    kind=kind,
                    start=effective_on,
                    planned_end=None,
                    weekly_hours=None,
                    monthly_hours=None,
                    hourly_rate=data["hourly_rate"],
                    birth_date=self.facts.birth_date,
                ),
                today=effective_on,
            )
            for message in later.get("hourly_rate", []):
                if message not in errors.get("hourly_rate", []):
                    errors.setdefault("hourly_rate", []).append(message)
        attach_errors(self, errors, FIELD_LABELS)
        return data


class EndForm(StyledFormMixin, forms.ModelForm[Contract]):
    """The actual end of a contract and its reason, which gives the exit category."""

    class Meta:
        model = Contract
        fields = ["actual_end", "end_reason"]
        widgets = {"actual_end": DateInput()}

    def __init__(self, *args: Any, contract: Contract, today: date, **kwargs: Any) -> None:
        super().__init__(*args, instance=copy.copy(contract), **kwargs)
        self.contract = contract
        for field in self.fields.values():
            field.required = True
        reason: forms.ChoiceField = self.fields["end_reason"]  # type: ignore[assignment]
        reason.choices = [("", "— choisir —"), *EndReason.choices]
        default_end = contract.planned_end if contract.planned_end else today
        self.fields["actual_end"].initial = default_end
        self.initial.setdefault("actual_end", default_end)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        actual_end, reason = data.get("actual_end"), data.get("end_reason")
        if actual_end is None or not reason:
            return data
        contract = self.contract
        errors = end_errors(
            start=contract.start,
            planned_end=contract.planned_end,
            probation_end=contract.probation_end,
            actual_end=actual_end,
            reason=EndReason(reason),
        )
        attach_errors(self, errors, END_FIELD_LABELS)
        return data


class StaffLoanForm(StyledFormMixin, forms.ModelForm[StaffLoan]):
    """A loan of the worker to another entity of the same group (Code du travail, art. L8241-2)."""

    class Meta:
        model = StaffLoan
        fields = [
            "borrower",
            "start",
            "end",
            "weekly_hours",
            "hourly_cost",
            "agreement_reference",
            "consent_on",
        ]
        widgets = {"start": DateInput(), "end": DateInput(), "consent_on": DateInput()}
        help_texts = {
            "hourly_cost": "À prix coûtant : salaire, charges sociales et frais professionnels "
            "remboursés, sans marge (Code du travail, art. L8241-1).",
            "agreement_reference": "Référence de la convention de mise à disposition signée "
            "par les deux structures.",
        }

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, instance=StaffLoan(contract=contract), **kwargs)
        self.contract = contract
        borrower: forms.ModelChoiceField[Entity] = self.fields["borrower"]  # type: ignore[assignment]
        borrower.queryset = Entity.objects.filter(group_id=contract.entity.group_id).exclude(
            pk=contract.entity_id
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needed = ("borrower", "start", "end", "consent_on", "weekly_hours")
        if any(data.get(name) is None for name in needed):
            return data
        contract = self.contract
        borrower: Entity = data["borrower"]
        errors = staff_loan_errors(
            lender_id=contract.entity_id,
            lender_group_id=contract.entity.group_id,
            borrower_id=borrower.pk,
            borrower_group_id=borrower.group_id,
            contract_start=contract.start,
            contract_end=contract.end,
            start=data["start"],
            end=data["end"],
            consent_on=data["consent_on"],
            weekly_hours=data["weekly_hours"],
            contract_weekly_hours=contract.weekly_hours,
            other_loans=[(loan.start, loan.end) for loan in contract.loans.all()],
        )
        if data.get("hourly_cost") is not None and data["hourly_cost"] <= 0:
            errors.setdefault("hourly_cost", []).append("doit être supérieur à 0 €.")
        attach_errors(self, errors, LOAN_FIELD_LABELS)
        return data


class HabilitationForm(StyledFormMixin, forms.ModelForm[Habilitation]):
    class Meta:
        model = Habilitation
        fields = ["kind", "label", "obtained_on", "expires_on"]
        widgets = {"obtained_on": DateInput(), "expires_on": DateInput()}

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        obtained, expires = data.get("obtained_on"), data.get("expires_on")
        if obtained is not None and obtained > self.today:
            self.add_error("obtained_on", "une habilitation s'enregistre une fois obtenue.")
        if obtained is not None and expires is not None and expires < obtained:
            self.add_error(
                "expires_on", f"antérieure à la date d'obtention ({format_date(obtained)})."
            )
        return data


class MedicalVisitForm(StyledFormMixin, forms.ModelForm[MedicalVisit]):
    class Meta:
        model = MedicalVisit
        fields = ["entity", "done_on", "next_due_on"]
        widgets = {"done_on": DateInput(), "next_due_on": DateInput()}
        labels = {"entity": "Employeur"}
        help_texts = {
            "done_on": "Laisser vide pour une première visite à organiser.",
            "next_due_on": "Échéance fixée par le service de prévention et de santé au travail "
            "(Code du travail, art. R4624-16).",
        }

    def __init__(self, *args: Any, entities: QuerySet[Entity], today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entity: forms.ModelChoiceField[Entity] = self.fields["entity"]  # type: ignore[assignment]
        entity.queryset = entities
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        done, due = data.get("done_on"), data.get("next_due_on")
        if done is not None and done > self.today:
            self.add_error("done_on", "une visite s'enregistre une fois réalisée.")
        if done is not None and due is not None and due <= done:
            self.add_error(
                "next_due_on", f"postérieure à la visite réalisée ({format_date(done)})."
            )
        return data


class RegisterFilterForm(forms.Form):
    """Filters of the HR register, read from the query string."""

    structure = forms.ChoiceField(label="Structure", required=False)
    poste = forms.ChoiceField(
        label="Nature du poste", required=False, choices=[("", "Toutes"), *PostType.choices]
    )
    contrat = forms.ChoiceField(
        label="Type de contrat", required=False, choices=[("", "Tous"), *ContractKind.choices]
    )

    def __init__(self, *args: Any, entities: Iterable[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        structure: forms.ChoiceField = self.fields["structure"]  # type: ignore[assignment]
        structure.choices = [("", "Toutes"), *((e.slug, e.name) for e in entities)]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class YearForm(forms.Form):
    """The calendar year of the quality-of-employment figures."""

    annee = forms.TypedChoiceField(label="Année", coerce=int, required=False)

    def __init__(self, *args: Any, years: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        annee: forms.TypedChoiceField = self.fields["annee"]  # type: ignore[assignment]
        annee.choices = [(year, str(year)) for year in years]
        annee.widget.attrs["class"] = "form-select form-select-sm"
