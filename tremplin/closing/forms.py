from __future__ import annotations

from django import forms


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Motif de la réouverture",
        min_length=5,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Il est enregistré dans l'historique de la clôture.",
    )
