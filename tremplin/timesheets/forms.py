from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.closing.models import MonthlyClose
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.orders.models import Service
from tremplin.organisations.models import Entity
from tremplin.people.models import Person
from tremplin.timesheets import rules
from tremplin.timesheets.models import EntryStatus, TimeEntry

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _check_hours(hours: Decimal) -> Decimal:
    problem = rules.hours_error(hours)
    if problem:
        raise forms.ValidationError(f"{problem[0].upper()}{problem[1:]}.")
    return hours


class DeclareForm(StyledFormMixin, forms.Form):
    """What a worker types on the phone for one intervention."""

    hours = forms.DecimalField(
        label="Heures travaillées",
        max_digits=5,
        decimal_places=2,
        localize=True,  # "7,5" as French users type it
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    travel_minutes = forms.IntegerField(
        label="Trajet (minutes)",
        min_value=0,
        max_value=rules.MAX_TRAVEL_MINUTES,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-lg"

    def clean_hours(self) -> Decimal:
        return _check_hours(self.cleaned_data["hours"])


def worker_choices(entity: Entity) -> Any:
    """The people who hold (or held) a contract in ``entity``."""
    return Person.objects.filter(contracts__entity=entity).distinct()


class EntryForm(StyledFormMixin, forms.ModelForm[TimeEntry]):
    """Staff entering or correcting hours."""

    class Meta:
        model = TimeEntry
        fields = ["person", "client", "service", "day", "hours", "travel_minutes"]
        widgets = {"day": DateInput()}

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.fields["person"].queryset = worker_choices(entity)  # type: ignore[attr-defined]
        self.fields["client"].queryset = Client.objects.filter(entity=entity)  # type: ignore[attr-defined]
        self.fields["service"].queryset = Service.objects.filter(entity=entity)  # type: ignore[attr-defined]
        if self.instance.pk:
            # The worker of an entry does not change: a wrong worker is a new entry.
            del self.fields["person"]

    def clean_hours(self) -> Decimal:
        return _check_hours(self.cleaned_data["hours"])

    def clean_travel_minutes(self) -> int:
        minutes: int = self.cleaned_data["travel_minutes"]
        if minutes > rules.MAX_TRAVEL_MINUTES:
            raise forms.ValidationError(
                f"Au plus {rules.MAX_TRAVEL_MINUTES} minutes pour une journée."
            )
        return minutes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and (
            EntryStatus(self.instance.status) is EntryStatus.LOCKED
            or self.instance.in_frozen_month()
        ):
            raise forms.ValidationError(rules.locked_message(self.instance.day))
        day = cleaned.get("day")
        if day is not None and (
            MonthlyClose.objects.freezing()
            .filter(entity=self.entity, year=day.year, month=day.month)
            .exists()
        ):
            self.add_error("day", rules.locked_message(day))
        return cleaned


def month_choices() -> list[tuple[int, str]]:
    return [(i, name.capitalize()) for i, name in enumerate(rules.MONTH_NAMES, start=1)]


class SignOffForm(StyledFormMixin, forms.Form):
    client = forms.ModelChoiceField(label="Client", queryset=Client.objects.none())
    month = forms.TypedChoiceField(label="Mois", choices=month_choices, coerce=int)
    year = forms.IntegerField(label="Année", min_value=2020, max_value=2100)

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Household clients sign nothing: their hours are on the SAP tax certificate.
        self.fields["client"].queryset = Client.objects.filter(entity=entity).exclude(  # type: ignore[attr-defined]
            kind=ClientKind.HOUSEHOLD
        )


class ApproveForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="Vos nom et prénom", max_length=200)
    comment = forms.CharField(
        label="Observation (facultative)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label="Fichier CSV ou Excel (.xlsx)",
        help_text="Colonnes : " + ";".join(rules.COLUMNS) + " — voir le format documenté.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Seuls les fichiers .csv et .xlsx sont acceptés.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("La taille maximale est de 20 Mo.")
        return upload
