from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.economics import rules
from tremplin.economics.models import CostPool
from tremplin.economics.rules import EntryKind, KeyMethod, SharedFunction
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.models import Entity

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class PeriodField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Période")
        kwargs.setdefault(
            "help_text", "Une année (2026), un trimestre (2026-T3) ou un mois (2026-10)."
        )
        super().__init__(max_length=10, **kwargs)

    def clean(self, value: Any) -> rules.EconomicPeriod:
        text = super().clean(value)
        try:
            return rules.parse_period(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _money(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2, **kwargs)


class EntryForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Nature", choices=EntryKind.choices)
    day = forms.DateField(label="Date", widget=DateInput())
    label = forms.CharField(label="Libellé", max_length=255)
    amount = _money("Montant (€)", min_value=Decimal("0.01"))
    account = forms.RegexField(
        label="Compte", regex=r"^\d{2,10}$", required=False, help_text="Par exemple 6132 ou 7410."
    )
    analytic_code = forms.CharField(label="Code analytique", max_length=20, required=False)
    activity = forms.ChoiceField(
        label="Activité", choices=[("", "—"), *ServiceKind.choices], required=False
    )


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label="Fichier CSV",
        help_text="Colonnes : " + ", ".join(rules.IMPORT_COLUMNS) + " (séparateur « ; »).",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError("Le fichier doit être un CSV (extension .csv).")
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError("Le fichier dépasse 2 Mo.")
        return upload


class PoolForm(StyledFormMixin, forms.Form):
    entity = forms.ModelChoiceField(
        label="Structure qui porte les coûts", queryset=Entity.objects.none()
    )
    function = forms.ChoiceField(label="Fonction", choices=SharedFunction.choices)
    name = forms.CharField(label="Nom", max_length=200)
    key_method = forms.ChoiceField(label="Clé de répartition", choices=KeyMethod.choices)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, entities: list[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entity"].queryset = Entity.objects.filter(pk__in=[e.pk for e in entities])  # type: ignore[attr-defined]


class KeyForm(StyledFormMixin, forms.Form):
    """The key of a pool; with fixed shares, one percentage per entity of the group."""

    key_method = forms.ChoiceField(label="Clé de répartition", choices=KeyMethod.choices)

    def __init__(
        self,
        *args: Any,
        entities: list[Entity],
        initial_shares: dict[int, Decimal] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.entities = entities
        for entity in entities:
            self.fields[f"share_{entity.pk}"] = forms.DecimalField(
                label=f"Part fixe de {entity.name} (%)",
                max_digits=5,
                decimal_places=2,
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(100),
                initial=(initial_shares or {}).get(entity.pk),
            )

    def shares(self) -> dict[Entity, Decimal] | None:
        if self.cleaned_data["key_method"] != KeyMethod.FIXED:
            return None
        return {e: self.cleaned_data.get(f"share_{e.pk}") or Decimal(0) for e in self.entities}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("key_method") == KeyMethod.FIXED:
            shares: dict[object, Decimal] = {
                e.pk: cleaned.get(f"share_{e.pk}") or Decimal(0) for e in self.entities
            }
            for error in rules.fixed_share_errors(shares):
                self.add_error(None, error)
        return cleaned


class PoolCostForm(StyledFormMixin, forms.Form):
    day = forms.DateField(label="Date", widget=DateInput())
    label = forms.CharField(label="Libellé", max_length=255)
    amount = _money("Montant (€)", min_value=Decimal("0.01"))


class TimeRecordForm(StyledFormMixin, forms.Form):
    beneficiary = forms.ModelChoiceField(
        label="Structure bénéficiaire", queryset=Entity.objects.none()
    )
    day = forms.DateField(label="Date", widget=DateInput())
    hours = forms.DecimalField(
        label="Heures",
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.25"),
        max_value=Decimal(300),
    )
    note = forms.CharField(label="Objet", max_length=255, required=False)

    def __init__(self, *args: Any, entities: list[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].queryset = Entity.objects.filter(pk__in=[e.pk for e in entities])  # type: ignore[attr-defined]


class RunForm(StyledFormMixin, forms.Form):
    period = PeriodField()


class ScenarioForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="Nom du scénario", max_length=200)
    period = PeriodField(help_text="La période copiée : une année (2026), un trimestre ou un mois.")


def _entity_choices(entities: list[Entity]) -> list[tuple[str, str]]:
    return [(str(e.pk), e.name) for e in entities]


class MoveWorkersForm(StyledFormMixin, forms.Form):
    source = forms.TypedChoiceField(label="Structure d'origine", coerce=int)
    target = forms.TypedChoiceField(label="Structure qui embauche en CDI", coerce=int)
    count = forms.IntegerField(label="Nombre de salariés", min_value=1, max_value=100)
    move_revenue = forms.BooleanField(
        label="Transférer le chiffre d'affaires correspondant à leurs heures",
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, entities: list[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = _entity_choices(entities)  # type: ignore[attr-defined]
        self.fields["target"].choices = _entity_choices(entities)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("source") is not None and cleaned.get("source") == cleaned.get("target"):
            self.add_error("target", "Choisissez une autre structure que celle d'origine.")
        return cleaned

    def change(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": "move_workers",
            "source": data["source"],
            "target": data["target"],
            "count": data["count"],
            "move_revenue": data["move_revenue"],
        }


class AddActivityForm(StyledFormMixin, forms.Form):
    entity = forms.TypedChoiceField(label="Structure", coerce=int)
    label = forms.CharField(label="Activité", max_length=100)
    revenue = _money("Chiffre d'affaires (€)", min_value=Decimal(0))
    cost = _money("Coût (€)", min_value=Decimal(0))

    def __init__(self, *args: Any, entities: list[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = _entity_choices(entities)  # type: ignore[attr-defined]

    def change(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": "add_activity",
            "entity": data["entity"],
            "label": data["label"],
            "revenue": str(data["revenue"]),
            "cost": str(data["cost"]),
        }


class ChangeKeyForm(KeyForm):
    pool = forms.TypedChoiceField(label="Fonction partagée", coerce=int)
    field_order = ["pool", "key_method"]

    def __init__(self, *args: Any, pools: list[CostPool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pool"].choices = [(str(p.pk), p.name) for p in pools]  # type: ignore[attr-defined]
        self.order_fields(self.field_order)

    def change(self) -> dict[str, Any]:
        shares = self.shares() or {}
        return {
            "kind": "change_key",
            "pool": self.cleaned_data["pool"],
            "method": self.cleaned_data["key_method"],
            "shares": {str(e.pk): str(s) for e, s in shares.items()},
        }


class TaxStatusForm(StyledFormMixin, forms.Form):
    activity = forms.ChoiceField(label="Activité", choices=ServiceKind.choices)
    is_lucrative = forms.TypedChoiceField(
        label="Statut fiscal",
        choices=[("1", "Lucrative"), ("0", "Non lucrative")],
        coerce=lambda v: v == "1",
    )
