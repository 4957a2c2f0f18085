from __future__ import annotations

from typing import Any

from django import forms

from tremplin.clients.models import Client
from tremplin.contracts.models import Contract
from tremplin.contracts.rules import ContractKind, mad_derogation_errors
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.missions.models import MadDerogation, Placement, is_association_intermediaire
from tremplin.missions.rules import (
    derogation_overlap_errors,
    next_mission_order_number,
    placement_contract_errors,
    placement_errors,
)
from tremplin.organisations.models import Entity

ACKNOWLEDGE_FIELD = "acknowledge_warning"


class PlacementForm(StyledFormMixin, forms.ModelForm[Placement]):
    """A mission order under ``contract``. The cap is checked when saving, not here."""

    acknowledge_warning = forms.BooleanField(
        label="J'ai pris connaissance de l'alerte", required=False
    )

    class Meta:
        model = Placement
        fields = ["client", "number", "start", "end", "hours", "task", "workplace", "hourly_rate"]
        widgets = {
            "start": DateInput(),
            "end": DateInput(),
            "task": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "task": "La mise à disposition en entreprise n'est permise que pour une tâche précise "
            "et temporaire (art. L5132-9 du Code du travail).",
            "number": "Proposé à la suite des ordres de mission de ce contrat ; modifiable.",
        }

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.existing_numbers = list(contract.placements.values_list("number", flat=True))
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            entity_id=contract.entity_id, is_active=True
        ).order_by("name", "pk")
        self.fields["number"].initial = next_mission_order_number(self.existing_numbers)
        self.fields["hours"].widget.attrs.update({"min": "0.25", "step": "0.25"})

    def contract_errors(self) -> list[str]:
        """Why the contract itself cannot carry this placement, shown before any input."""
        return placement_contract_errors(
            contract_kind=ContractKind(self.contract.kind),
            entity_is_ai=is_association_intermediaire(self.contract.entity),
            placements_on_contract=len(self.existing_numbers),
        )

    def clean_number(self) -> str:
        number: str = self.cleaned_data["number"].strip()
        if number in self.existing_numbers:
            raise forms.ValidationError(
                f"Ce contrat a déjà un ordre de mission n° {number} : chaque numéro est unique "
                "pour un contrat."
            )
        return number

    def clean_hours(self) -> Any:
        hours = self.cleaned_data["hours"]
        if hours is not None and hours <= 0:
            raise forms.ValidationError("Le nombre d'heures doit être supérieur à zéro.")
        return hours

    def clean_hourly_rate(self) -> Any:
        rate = self.cleaned_data["hourly_rate"]
        if rate is not None and rate <= 0:
            raise forms.ValidationError(
                "Le prix horaire doit être supérieur à zéro ; laissez le champ vide s'il n'est "
                "pas encore connu."
            )
        return rate

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, hours = data.get("start"), data.get("end"), data.get("hours")
        contract = self.contract
        if start and end and hours:
            errors = placement_errors(
                contract_kind=ContractKind(contract.kind),
                entity_is_ai=is_association_intermediaire(contract.entity),
                placements_on_contract=len(self.existing_numbers),
                contract_start=contract.start,
                contract_end=contract.end,
                start=start,
                end=end,
                hours=hours,
            )
        else:
            errors = {"__all__": self.contract_errors()}
        for field, messages in errors.items():
            for message in messages:
                self.add_error(None if field == "__all__" else field, message)
        return data


class DerogationForm(StyledFormMixin, forms.ModelForm[MadDerogation]):
    """A préfet decision letting ``entity`` exceed the MAD cap (art. D5132-18-1)."""

    class Meta:
        model = MadDerogation
        fields = ["reference", "valid_from", "valid_to"]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}
        labels = {"valid_from": "Début de la dérogation", "valid_to": "Fin de la dérogation"}
        help_texts = {
            "reference": "Arrêté ou décision du préfet (numéro et date).",
            "valid_to": "Trois ans au plus (art. D5132-18-1 du Code du travail).",
        }

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to:
            messages = mad_derogation_errors(valid_from, valid_to)
            if not messages:
                existing = MadDerogation.objects.filter(entity=self.entity).ranges()
                messages = derogation_overlap_errors(valid_from, valid_to, existing)
            for message in messages:
                self._add_rule_error(message)
        return data

    def _add_rule_error(self, message: str) -> None:
        """Attach a rule message (``"<field label> : <rule>"``) to the field it names."""
        for name in ("valid_from", "valid_to"):
            prefix = f"{self.fields[name].label} : "
            if message.startswith(prefix):
                rest = message.removeprefix(prefix)
                self.add_error(name, rest[:1].upper() + rest[1:])
                return
        self.add_error(None, message)
