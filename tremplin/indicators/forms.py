from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms


class YearForm(forms.Form):
    """The calendar year of the indicators; the last complete one by default."""

    annee = forms.TypedChoiceField(
        label="Année",
        coerce=int,
        required=False,
        error_messages={
            "invalid_choice": "Année : « %(value)s » n'est pas une année proposée.",
        },
    )

    def __init__(self, *args: Any, years: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        annee: forms.TypedChoiceField = self.fields["annee"]  # type: ignore[assignment]
        annee.choices = [(year, str(year)) for year in years]
        annee.widget.attrs["class"] = "form-select form-select-sm"
