"""The service catalogue of each entity, client prices, quotes, orders (one-off and
recurring) and the interventions they generate, with worker assignment and absences.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tremplin.orders.rules import ServiceKind, Unit


class Service(models.Model):
    """A service an entity sells, with its default price (excl. VAT)."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="services",
    )
    kind = models.CharField("prestation", max_length=20, choices=ServiceKind.choices)
    name = models.CharField("libellé", max_length=200)
    unit = models.CharField("unité", max_length=10, choices=Unit.choices, default=Unit.HOUR)
    unit_price = models.DecimalField("prix unitaire HT (€)", max_digits=9, decimal_places=2)
    analytic_code = models.CharField("code analytique", max_length=20, blank=True)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        verbose_name = "prestation"
        verbose_name_plural = "catalogue des prestations"
        ordering = ["entity", "name"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="service_unique_name"),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="service_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ClientPrice(models.Model):
    """A client's own price for a service, over a period."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="prices")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="client_prices")
    unit_price = models.DecimalField("prix unitaire HT (€)", max_digits=9, decimal_places=2)
    valid_from = models.DateField("à partir du")
    valid_to = models.DateField("jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "tarif client"
        verbose_name_plural = "tarifs clients"
        ordering = ["client", "service", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.client} — {self.service}"


class QuoteStatus(models.TextChoices):
    SENT = "sent", "Envoyé"
    ACCEPTED = "accepted", "Accepté"
    REFUSED = "refused", "Refusé"


class Quote(models.Model):
    """A quote; mandatory for household services from 100 € TTC a month (arrêté 17/03/2015)."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="quotes"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="quotes")
    number = models.CharField("numéro", max_length=30)
    issued_on = models.DateField("date")
    monthly_amount_ttc = models.DecimalField(
        "montant mensuel TTC (€)", max_digits=10, decimal_places=2
    )
    description = models.TextField("prestations")
    status = models.CharField(
        "état", max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.SENT
    )
    accepted_on = models.DateField("accepté le", null=True, blank=True)

    class Meta:
        verbose_name = "devis"
        verbose_name_plural = "devis"
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "number"], name="quote_unique_number")
        ]

    def __str__(self) -> str:
        return f"Devis n° {self.number}"


class OrderKind(models.TextChoices):
    ONE_OFF = "one_off", "Ponctuelle"
    RECURRING = "recurring", "Récurrente"
    PLACEMENT = "placement", "Convention de mise à disposition"


class OrderStatus(models.TextChoices):
    ACTIVE = "active", "En cours"
    SUSPENDED = "suspended", "Suspendue"
    ENDED = "ended", "Terminée"


class Order(models.Model):
    """What a client orders from an entity: one-off, or a weekly pattern with exceptions."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="orders"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="orders")
    site = models.ForeignKey(
        "clients.ClientSite",
        verbose_name="lieu",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    service = models.ForeignKey(
        Service, verbose_name="prestation", on_delete=models.PROTECT, related_name="orders"
    )
    kind = models.CharField("nature", max_length=10, choices=OrderKind.choices)
    status = models.CharField(
        "état", max_length=10, choices=OrderStatus.choices, default=OrderStatus.ACTIVE
    )
    first_day = models.DateField("premier jour")
    last_day = models.DateField("dernier jour", null=True, blank=True)
    weekdays = models.JSONField(
        "jours de la semaine", default=list, blank=True, help_text="0 = lundi"
    )
    start_time = models.TimeField("heure de début")
    end_time = models.TimeField("heure de fin")
    interval_weeks = models.PositiveSmallIntegerField("toutes les (semaines)", default=1)
    quantity = models.DecimalField(
        "quantité par intervention", max_digits=8, decimal_places=2, default=1
    )
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    usual_worker = models.ForeignKey(
        "people.Person",
        verbose_name="intervenant habituel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usual_orders",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "commande"
        verbose_name_plural = "commandes"
        ordering = ["-first_day", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="order_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(last_day__isnull=True)
                | models.Q(last_day__gte=models.F("first_day")),
                name="order_last_day_after_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} — {self.client}"


class OrderException(models.Model):
    """A day a recurring order does not take place (client away, closure)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="exceptions")
    day = models.DateField("jour")
    reason = models.CharField("motif", max_length=200, blank=True)

    class Meta:
        verbose_name = "exception"
        verbose_name_plural = "exceptions"
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["order", "day"], name="order_exception_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}"


class InterventionStatus(models.TextChoices):
    PLANNED = "planned", "Prévue"
    DONE = "done", "Réalisée"
    CANCELLED = "cancelled", "Annulée"


class Intervention(models.Model):
    """One dated visit generated from an order, assigned (or not yet) to a worker."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="interventions")
    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="interventions"
    )
    day = models.DateField("jour", db_index=True)
    start = models.DateTimeField("début")
    end = models.DateTimeField("fin")
    planned_hours = models.DecimalField("heures prévues", max_digits=6, decimal_places=2)
    worker = models.ForeignKey(
        "people.Person",
        verbose_name="intervenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    status = models.CharField(
        "état",
        max_length=10,
        choices=InterventionStatus.choices,
        default=InterventionStatus.PLANNED,
    )

    class Meta:
        verbose_name = "intervention"
        verbose_name_plural = "interventions"
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["worker", "day"]), models.Index(fields=["entity", "day"])]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "start"], name="intervention_unique_per_order_start"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="intervention_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} le {self.day:%d/%m/%Y}"


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", "Congés payés"
    SICKNESS = "sickness", "Arrêt de travail"
    TRAINING = "training", "Formation"
    UNPAID = "unpaid", "Absence non rémunérée"
    OTHER = "other", "Autre absence"


class Absence(models.Model):
    """A period a worker is not available (the reason code only: never a medical detail)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="absences")
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("motif", max_length=10, choices=AbsenceKind.choices)
    start = models.DateField("du")
    end = models.DateField("au")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "absence"
        verbose_name_plural = "absences"
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="absence_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"
