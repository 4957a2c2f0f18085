from __future__ import annotations

from typing import Any

from django import forms

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind, client_errors
from tremplin.core.dates import today
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.organisations.models import Entity


class ClientForm(StyledFormMixin, forms.ModelForm[Client]):
    """A client of ``entity``: identity, address, contact and last economic dismissal."""

    class Meta:
        model = Client
        fields = [
            "name",
            "kind",
            "siret",
            "address",
            "postal_code",
            "city",
            "email",
            "phone",
            "economic_dismissal_on",
            "is_active",
        ]
        widgets = {"economic_dismissal_on": DateInput()}
        help_texts = {
            "siret": "14 chiffres ; obligatoire pour les entreprises et les organismes publics.",
            "economic_dismissal_on": (
                "Aucune mise à disposition n'est possible dans les 6 mois qui suivent "
                "un licenciement économique."
            ),
        }

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity
        if self.instance.pk is None:
            # A new client is active; the box only matters when a client stops working with us.
            del self.fields["is_active"]

    def clean_siret(self) -> str:
        siret: str = self.cleaned_data["siret"].replace(" ", "")
        duplicate = (
            Client.objects.filter(entity=self.entity, siret=siret).exclude(pk=self.instance.pk)
            if siret
            else Client.objects.none()
        ).first()
        if duplicate is not None:
            raise forms.ValidationError(
                f"Ce SIRET est déjà celui du client « {duplicate.name} » de cette structure : "
                "un établissement n'est enregistré qu'une fois."
            )
        return siret

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind:
            errors = client_errors(
                kind=ClientKind(kind),
                siret=data.get("siret") or "",
                economic_dismissal_on=data.get("economic_dismissal_on"),
                today=today(),
            )
            for field, messages in errors.items():
                if field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)
        return data
