from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.contracts.models import Contract
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.missions.models import is_association_intermediaire
from tremplin.orders import rules
from tremplin.orders.models import (
    Absence,
    ClientPrice,
    Order,
    OrderException,
    OrderKind,
    Quote,
    QuoteStatus,
    Service,
)
from tremplin.orders.rules import ServiceKind, Unit
from tremplin.organisations.models import Entity
from tremplin.people.models import Person

WEEKDAYS = [
    (0, "lundi"),
    (1, "mardi"),
    (2, "mercredi"),
    (3, "jeudi"),
    (4, "vendredi"),
    (5, "samedi"),
    (6, "dimanche"),
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


def sap_declared(entity: Entity, day: date) -> bool:
    """Whether ``entity`` holds a SAP declaration in force on ``day`` (reduced VAT)."""
    return any(
        d.declared_on <= day and (d.valid_until is None or day <= d.valid_until)
        for d in entity.sap_declarations.all()
    )


class ServiceForm(StyledFormMixin, forms.ModelForm[Service]):
    class Meta:
        model = Service
        fields = ["kind", "name", "unit", "unit_price", "analytic_code", "is_active"]

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity
        if self.instance.pk is None:
            del self.fields["is_active"]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        duplicate = Service.objects.filter(entity=self.entity, name=name).exclude(
            pk=self.instance.pk
        )
        if duplicate.exists():
            raise forms.ValidationError("Le catalogue de cette structure a déjà ce libellé.")
        return name


class ClientPriceForm(StyledFormMixin, forms.ModelForm[ClientPrice]):
    class Meta:
        model = ClientPrice
        fields = ["service", "unit_price", "valid_from", "valid_to"]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(  # type: ignore[attr-defined]
            entity_id=client.entity_id, is_active=True
        )
        self.fields["service"].label = "Prestation"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", "La fin du tarif ne peut pas précéder son début.")
        price = data.get("unit_price")
        if price is not None and price < 0:
            self.add_error("unit_price", "Le prix unitaire ne peut pas être négatif.")
        return data


class QuoteForm(StyledFormMixin, forms.ModelForm[Quote]):
    class Meta:
        model = Quote
        fields = ["issued_on", "monthly_amount_ttc", "description"]
        widgets = {"issued_on": DateInput(), "description": forms.Textarea(attrs={"rows": 4})}

    def clean_monthly_amount_ttc(self) -> Decimal:
        amount: Decimal = self.cleaned_data["monthly_amount_ttc"]
        if amount <= 0:
            raise forms.ValidationError("Le montant mensuel TTC doit être positif.")
        return amount


class OrderForm(StyledFormMixin, forms.ModelForm[Order]):
    """An order of ``client``; a household SAP order from 100 € TTC a month needs a quote."""

    weekdays = forms.TypedMultipleChoiceField(
        label="Jours de la semaine",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Pour une commande récurrente ou une mise à disposition.",
    )

    class Meta:
        model = Order
        fields = [
            "kind",
            "service",
            "site",
            "first_day",
            "last_day",
            "weekdays",
            "start_time",
            "end_time",
            "interval_weeks",
            "quantity",
            "quote",
            "usual_worker",
            "status",
        ]
        widgets = {
            "first_day": DateInput(),
            "last_day": DateInput(),
            "start_time": TimeInput(),
            "end_time": TimeInput(),
        }
        labels = {"quote": "Devis accepté"}

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.entity = client.entity
        self.fields["service"].queryset = Service.objects.filter(  # type: ignore[attr-defined]
            entity=self.entity, is_active=True
        )
        self.fields["site"].queryset = client.sites.all()  # type: ignore[attr-defined]
        self.fields["quote"].queryset = client.quotes.filter(  # type: ignore[attr-defined]
            entity=self.entity, status=QuoteStatus.ACCEPTED
        )
        self.fields["usual_worker"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            pk__in=Contract.objects.filter(entity=self.entity).values("person_id")
        ).order_by("birth_name", "first_name")
        if self.instance.pk is None:
            del self.fields["status"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, first = data.get("kind"), data.get("first_day")
        if not kind or not first:
            return data
        if kind == OrderKind.ONE_OFF:
            data["last_day"] = first
            data["weekdays"] = [first.weekday()]
            data["interval_weeks"] = 1
        elif not data.get("weekdays"):
            self.add_error("weekdays", "Une commande récurrente a au moins un jour de la semaine.")
        last = data.get("last_day")
        if last and last < first:
            self.add_error("last_day", "Le dernier jour ne peut pas précéder le premier jour.")
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "L'heure de fin doit suivre l'heure de début.")
        service = data.get("service")
        if kind == OrderKind.PLACEMENT:
            if not is_association_intermediaire(self.entity):
                self.add_error(
                    "kind",
                    "Une convention de mise à disposition n'est possible que dans une "
                    "association intermédiaire (art. L5132-7 du Code du travail).",
                )
            if service and service.kind != ServiceKind.PLACEMENT:
                self.add_error(
                    "service",
                    "Une convention de mise à disposition porte sur une prestation de mise à "
                    "disposition de personnel.",
                )
        if service and start and end and not self.errors:
            self._check_quote(data, service, first)
        return data

    def monthly_price_ttc(self, data: dict[str, Any], service: Service, day: date) -> Decimal:
        """The order's estimated monthly price TTC (recurrence × price × (1 + VAT))."""
        prices = [
            (p.valid_from, p.valid_to, p.unit_price)
            for p in self.client.prices.filter(service=service)
        ]
        unit_price = rules.unit_price_on(prices, service.unit_price, day)
        start, end = data["start_time"], data["end_time"]
        hours = Decimal(
            (
                timedelta(hours=end.hour, minutes=end.minute)
                - timedelta(hours=start.hour, minutes=start.minute)
            ).total_seconds()
        ) / Decimal(3600)
        units = hours if service.unit == Unit.HOUR else Decimal(data.get("quantity") or 1)
        interval = Decimal(data.get("interval_weeks") or 1)
        vat = rules.vat_rate(
            ServiceKind(service.kind), on=day, sap_declared=sap_declared(self.entity, day)
        )
        return rules.estimated_monthly_price_ttc(
            visits_per_week=Decimal(len(data.get("weekdays") or [])) / interval,
            units_per_visit=units,
            unit_price_ht=unit_price,
            vat_percent=vat,
            recurring=data["kind"] != OrderKind.ONE_OFF,
        )

    def _check_quote(self, data: dict[str, Any], service: Service, day: date) -> None:
        error = rules.quote_error(
            self.monthly_price_ttc(data, service, day),
            on=day,
            household=self.client.kind == ClientKind.HOUSEHOLD,
            sap_service=service.kind in rules.SAP_KINDS,
            has_accepted_quote=data.get("quote") is not None,
        )
        if error:
            self.add_error("quote", error)


class OrderExceptionForm(StyledFormMixin, forms.ModelForm[OrderException]):
    class Meta:
        model = OrderException
        fields = ["day", "reason"]
        widgets = {"day": DateInput()}

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        if self.order.exceptions.filter(day=day).exists():
            raise forms.ValidationError("Ce jour est déjà une exception de la commande.")
        if day < self.order.first_day or (self.order.last_day and day > self.order.last_day):
            raise forms.ValidationError("Ce jour est en dehors de la période de la commande.")
        return day


# Longest period generated at once: a year of interventions keeps the request short.
MAX_GENERATION_DAYS = 366


class GenerateForm(StyledFormMixin, forms.Form):
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au", widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "La fin de la période ne peut pas précéder son début.")
            elif (end - start).days >= MAX_GENERATION_DAYS:
                self.add_error("end", "La période générée en une fois ne peut pas dépasser un an.")
        return data


class AssignForm(forms.Form):
    worker = forms.ModelChoiceField(label="Intervenant", queryset=Person.objects.none())

    def __init__(self, *args: Any, entity: Entity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            pk__in=Contract.objects.filter(entity=entity).values("person_id")
        )


class AbsenceForm(StyledFormMixin, forms.ModelForm[Absence]):
    class Meta:
        model = Absence
        fields = ["kind", "start", "end"]
        widgets = {"start": DateInput(), "end": DateInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "La fin de l'absence ne peut pas précéder son début.")
        return data
