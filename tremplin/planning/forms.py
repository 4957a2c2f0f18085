from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from tremplin.orders.rules import parse_iso_week
from tremplin.organisations.models import Entity
from tremplin.people.models import Person
from tremplin.planning import rules


class WeekInput(forms.TextInput):
    input_type = "week"


class StartForm(forms.Form):
    """Which entity's week to plan, and how long the engine may search."""

    entity = forms.ModelChoiceField(
        label="Structure",
        queryset=Entity.objects.none(),
        to_field_name="slug",
        empty_label=None,
        error_messages={"invalid_choice": "choisissez une structure dont vous faites le planning."},
    )
    week = forms.CharField(
        label="Semaine",
        widget=WeekInput(attrs={"class": "form-control"}),
        help_text="Par exemple 2026-W48 : la semaine du lundi 23/11/2026.",
        error_messages={"required": "choisissez la semaine à planifier."},
    )
    seconds = forms.IntegerField(
        label="Durée de recherche (secondes)",
        min_value=rules.MIN_SECONDS,
        max_value=rules.MAX_SECONDS,
        initial=rules.DEFAULT_SECONDS,
        help_text="Plus le moteur cherche, meilleure est la proposition.",
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        error_messages={
            "required": "indiquez une durée en secondes.",
            "invalid": "indiquez un nombre entier de secondes.",
            "min_value": f"au moins {rules.MIN_SECONDS} seconde.",
            "max_value": f"au plus {rules.MAX_SECONDS} secondes.",
        },
    )

    def __init__(self, *args: Any, entities: list[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["entity"]
        field.queryset = Entity.objects.filter(pk__in=[e.pk for e in entities])  # type: ignore[attr-defined]
        field.widget.attrs["class"] = "form-select"

    def clean_week(self) -> date:
        text = self.cleaned_data["week"].strip()
        monday = parse_iso_week(text)
        if monday is None:
            raise forms.ValidationError(
                f"« {text} » n'est pas une semaine : saisissez-la au format 2026-W48."
            )
        return monday


class HomeForm(forms.Form):
    """A worker's starting point: both coordinates, or neither to start from the head office."""

    person = forms.ModelChoiceField(
        label="Intervenant",
        queryset=Person.objects.none(),
        error_messages={"invalid_choice": "choisissez un intervenant de la structure."},
    )
    latitude = forms.DecimalField(
        label="Latitude",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-90),
        max_value=Decimal(90),
        localize=True,
        error_messages={
            "invalid": "saisissez des degrés décimaux, par exemple 46,3237.",
            "min_value": "elle est comprise entre -90 et 90 degrés.",
            "max_value": "elle est comprise entre -90 et 90 degrés.",
            "max_decimal_places": "six décimales au plus.",
        },
    )
    longitude = forms.DecimalField(
        label="Longitude",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        localize=True,
        error_messages={
            "invalid": "saisissez des degrés décimaux, par exemple -0,4648.",
            "min_value": "elle est comprise entre -180 et 180 degrés.",
            "max_value": "elle est comprise entre -180 et 180 degrés.",
            "max_decimal_places": "six décimales au plus.",
        },
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None) and not self.errors:
            raise forms.ValidationError(
                "Saisissez la latitude et la longitude, ou aucune des deux pour partir du siège."
            )
        return data
