from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tremplin.clients.models import Client, ClientSite
from tremplin.core.dates import today
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.core.money import format_number
from tremplin.invoicing.actions import CreditableLine
from tremplin.invoicing.models import Invoice, InvoiceKind, InvoiceStatus, PaymentMethod
from tremplin.orders.models import Service
from tremplin.organisations.models import Entity


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put an action's French error on the form field it names, else on the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class DraftForm(StyledFormMixin, forms.ModelForm[Invoice]):
    """A draft's header: client (new drafts only), period, terms, options."""

    class Meta:
        model = Invoice
        fields = [
            "client",
            "period_start",
            "period_end",
            "payment_terms_days",
            "operation_nature",
            "vat_on_debits",
            "delivery_site",
            "note",
        ]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "period_end": "Les prix et taux de TVA sont ceux en vigueur ce jour-là.",
            "delivery_site": "Adresse de livraison, si elle diffère de l'adresse du client.",
        }

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity
        editing = self.instance.pk is not None
        if editing:
            del self.fields["client"]
            self.fields["delivery_site"].queryset = ClientSite.objects.filter(  # type: ignore[attr-defined]
                client_id=self.instance.client_id
            )
        else:
            self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
                entity=entity, is_active=True
            ).order_by("name", "pk")
            self.fields["delivery_site"].queryset = ClientSite.objects.filter(  # type: ignore[attr-defined]
                client__entity=entity
            ).select_related("client")
        self.fields["payment_terms_days"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "La fin de la période doit suivre son début.")
        client = data.get("client") or (self.instance.client if self.instance.pk else None)
        site = data.get("delivery_site")
        if site is not None and client is not None and site.client_id != client.pk:
            self.add_error("delivery_site", "Ce lieu n'appartient pas au client choisi.")
        return data


class LineForm(StyledFormMixin, forms.Form):
    """A catalogue service added to a draft."""

    service = forms.ModelChoiceField(label="Prestation", queryset=Service.objects.none())
    quantity = forms.DecimalField(
        label="Quantité", min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    label = forms.CharField(
        label="Désignation", max_length=255, required=False, help_text="Par défaut, le libellé."
    )
    unit_price = forms.DecimalField(
        label="Prix unitaire HT (€)",
        min_value=Decimal(0),
        required=False,
        help_text="Par défaut, le tarif du client, sinon celui du catalogue.",
        max_digits=9,
        decimal_places=2,
    )
    worker_name = forms.CharField(label="Intervenant", max_length=200, required=False)
    hours = forms.DecimalField(
        label="Heures d'intervention",
        min_value=Decimal(0),
        required=False,
        max_digits=10,
        decimal_places=2,
    )

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(  # type: ignore[attr-defined]
            entity=entity, is_active=True
        ).order_by("name")


class LineEditForm(StyledFormMixin, forms.Form):
    label = forms.CharField(label="Désignation", max_length=255)
    quantity = forms.DecimalField(
        label="Quantité", min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    unit_price = forms.DecimalField(
        label="Prix unitaire HT (€)", min_value=Decimal(0), max_digits=9, decimal_places=2
    )
    worker_name = forms.CharField(label="Intervenant", max_length=200, required=False)
    hours = forms.DecimalField(
        label="Heures d'intervention",
        min_value=Decimal(0),
        required=False,
        max_digits=10,
        decimal_places=2,
    )


class IssueForm(StyledFormMixin, forms.Form):
    issue_date = forms.DateField(
        label="Date de facture",
        widget=DateInput(),
        help_text="Aujourd'hui par défaut ; jamais dans le futur ni avant la dernière facture.",
    )

    def clean_issue_date(self) -> Any:
        day = self.cleaned_data["issue_date"]
        if day > today():
            raise ValidationError("La date de facture ne peut pas être dans le futur.")
        return day


class CreditNoteForm(StyledFormMixin, forms.Form):
    """The reason and, per line of the original, the quantity to credit (all that is left by
    default: a full credit note)."""

    reason = forms.CharField(label="Motif de l'avoir", max_length=255)

    def __init__(self, *args: Any, lines: list[CreditableLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creditable = lines
        for c in lines:
            self.fields[f"line_{c.line.pk}"] = forms.DecimalField(
                label=f"Ligne {c.line.position} — {c.line.label}",
                min_value=Decimal(0),
                max_value=c.left_quantity,
                initial=c.left_quantity,
                required=False,
                help_text=f"Reste à créditer : {format_number(c.left_quantity)}.",
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
                max_digits=10,
                decimal_places=2,
            )

    def line_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("line_")]

    def quantities(self) -> dict[int, Decimal]:
        return {
            c.line.pk: self.cleaned_data.get(f"line_{c.line.pk}") or Decimal(0)
            for c in self.creditable
        }


class PaymentForm(StyledFormMixin, forms.Form):
    paid_on = forms.DateField(label="Date du paiement", widget=DateInput())
    amount = forms.DecimalField(
        label="Montant (€)",
        max_digits=12,
        decimal_places=2,
        help_text="Un remboursement au client se saisit en montant négatif.",
    )
    method = forms.ChoiceField(label="Moyen de paiement", choices=PaymentMethod.choices)
    reference = forms.CharField(label="Référence", max_length=100, required=False)


class FilterForm(StyledFormMixin, forms.Form):
    """Filters of the invoice list (all optional)."""

    status = forms.ChoiceField(
        label="État", required=False, choices=[("", "Tous"), *InvoiceStatus.choices]
    )
    kind = forms.ChoiceField(
        label="Nature", required=False, choices=[("", "Toutes"), *InvoiceKind.choices]
    )
    client = forms.ModelChoiceField(
        label="Client", required=False, queryset=Client.objects.none(), empty_label="Tous"
    )
    start = forms.DateField(label="Du", required=False, widget=DateInput())
    end = forms.DateField(label="Au", required=False, widget=DateInput())

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            entity=entity
        ).order_by("name", "pk")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "La fin de la période doit suivre son début.")
        return data
