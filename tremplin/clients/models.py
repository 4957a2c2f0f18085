"""The group's clients: households, companies, associations, public bodies."""

from __future__ import annotations

from django.db import models

from tremplin.clients.rules import ClientKind
from tremplin.organisations.models import validate_siret


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
    is_active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = "client"
        verbose_name_plural = "clients"
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name
