from __future__ import annotations

from typing import Any

from django import forms

from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.organisations.models import Convention, Entity, FinancialAnnex
from tremplin.organisations.rules import convention_errors


class EntityForm(StyledFormMixin, forms.ModelForm[Entity]):
    class Meta:
        model = Entity
        fields = [
            "name",
            "legal_name",
            "legal_form",
            "siren",
            "siret",
            "naf_code",
            "address",
            "postal_code",
            "city",
            "vat_regime",
            "vat_number",
            "tax_status",
        ]


class ConventionForm(StyledFormMixin, forms.ModelForm[Convention]):
    class Meta:
        model = Convention
        fields = ["kind", "number", "start", "end", "territory", "posts"]
        widgets = {"start": DateInput(), "end": DateInput()}

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start:
            for error in convention_errors(start, end):
                self.add_error("end", error)
        number = data.get("number")
        if number and self.entity.conventions.filter(number=number).exists():
            self.add_error("number", "Cette structure a déjà une convention portant ce numéro.")
        return data


class AnnexForm(StyledFormMixin, forms.ModelForm[FinancialAnnex]):
    class Meta:
        model = FinancialAnnex
        fields = ["year", "number", "etp", "state"]

    def __init__(self, *args: Any, convention: Convention, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.convention = convention

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if self.convention.annexes.filter(year=year).exists():
            raise forms.ValidationError("Cette convention a déjà une annexe pour cette année.")
        start, end = self.convention.start, self.convention.end
        if year < start.year or (end is not None and year > end.year):
            raise forms.ValidationError(
                "L'année doit être comprise dans la durée de la convention."
            )
        return year
