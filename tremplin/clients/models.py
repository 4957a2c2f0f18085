"""The group's clients: households, companies, associations, public bodies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from tremplin.clients.rules import ClientKind, vat_number_error
from tremplin.contracts.models import HabilitationKind
from tremplin.organisations.models import validate_siret


def validate_vat_number(value: str) -> None:
    if error := vat_number_error(value):
        raise ValidationError(error)


class ClientQuerySet(models.QuerySet["Client"]):
    def for_entities(self, entity_ids: list[int]) -> ClientQuerySet:
        return self.filter(entity_id__in=entity_ids)


class Client(models.Model):
    """A client of one entity of the group (the entity that serves and invoices it)."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="clients",
    )
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type de client", max_length=16, choices=ClientKind.choices)
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    # Stored compact, with its country code (FR44732829320); the longest EU numbers (NL, SE, LT,
    # XI) have 14 characters. Printed on the invoice and sent as BT-48 in its Factur-X XML.
    vat_number = models.CharField(
        "numéro de TVA intracommunautaire",
        max_length=14,
        blank=True,
        validators=[validate_vat_number],
    )
    address = models.CharField("adresse", max_length=255, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    email = models.EmailField("adresse e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    economic_dismissal_on = models.DateField(
        "dernier licenciement économique",
        null=True,
        blank=True,
        help_text="Aucune mise à disposition dans les 6 mois qui suivent (domain.md §1.4).",
    )
    # Public buyers invoiced through Chorus Pro (local authorities, public bodies).
    chorus_service_code = models.CharField("code service Chorus Pro", max_length=100, blank=True)
    chorus_engagement_number = models.CharField(
        "numéro d'engagement (bon de commande)", max_length=50, blank=True
    )
    # Households: consent to the URSSAF "avance immédiate" of the tax credit (domain.md §5.7).
    immediate_advance_consent = models.BooleanField(
        "accepte l'avance immédiate du crédit d'impôt", default=False
    )
    immediate_advance_consent_on = models.DateField("accord donné le", null=True, blank=True)
    is_active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = "client"
        verbose_name_plural = "clients"
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ClientContact(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("nom", max_length=200)
    function = models.CharField("fonction", max_length=200, blank=True)
    email = models.EmailField("adresse e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    is_billing = models.BooleanField("destinataire des factures", default=False)
    signs_timesheets = models.BooleanField("valide les relevés d'heures", default=False)

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ClientSite(models.Model):
    """A place where the group works for the client; coordinates entered or imported."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField("nom", max_length=200)
    address = models.CharField("adresse", max_length=255)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("commune", max_length=100)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = "lieu d'intervention"
        verbose_name_plural = "lieux d'intervention"
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class ClientRequirement(models.Model):
    """A habilitation or training the client requires of the workers sent to it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="requirements")
    habilitation = models.CharField(
        "habilitation exigée", max_length=24, choices=HabilitationKind.choices
    )
    note = models.CharField("précision", max_length=200, blank=True)

    class Meta:
        verbose_name = "exigence du client"
        verbose_name_plural = "exigences du client"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "habilitation"], name="client_requirement_unique"
            )
        ]

    def __str__(self) -> str:
        return self.get_habilitation_display()
