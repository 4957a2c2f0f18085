"""Mises à disposition (MAD) of the association intermédiaire's employees with clients, and the
préfet derogations to the 480 h cap. The cap itself is ``contracts.rules.mad_cap_status``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from tremplin.clients.rules import ClientKind
from tremplin.contracts import rules as contract_rules
from tremplin.organisations.rules import SiaeKind

if TYPE_CHECKING:
    from tremplin.organisations.models import Entity


def is_association_intermediaire(entity: Entity) -> bool:
    """Whether ``entity`` holds an IAE convention of association intermédiaire (art. L5132-7)."""
    return entity.conventions.filter(kind=SiaeKind.AI).exists()


class MadDerogationQuerySet(models.QuerySet["MadDerogation"]):
    def ranges(self) -> list[tuple[date, date]]:
        """The inclusive ``(valid_from, valid_to)`` ranges that ``mad_cap_status`` expects."""
        return list(self.order_by("valid_from").values_list("valid_from", "valid_to"))


class MadDerogation(models.Model):
    """A préfet decision allowing an AI to exceed the 480 h cap (art. D5132-18-1)."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="association intermédiaire",
        on_delete=models.PROTECT,
        related_name="mad_derogations",
    )
    valid_from = models.DateField("en vigueur du")
    valid_to = models.DateField("au")
    reference = models.CharField("référence de la décision", max_length=200)

    objects = MadDerogationQuerySet.as_manager()

    class Meta:
        verbose_name = "dérogation préfectorale"
        verbose_name_plural = "dérogations préfectorales"
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")),
                name="mad_derogation_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"Dérogation du {self.valid_from:%d/%m/%Y} au {self.valid_to:%d/%m/%Y}"


class PlacementQuerySet(models.QuerySet["Placement"]):
    def of_worker(self, person_id: int, entity_id: int) -> PlacementQuerySet:
        """Every placement of one salarié by one AI, whatever the contract: the cap's scope."""
        return self.filter(contract__person_id=person_id, contract__entity_id=entity_id)


class Placement(models.Model):
    """A mise à disposition of an AI employee with a client: a mission order under a contract."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name="contrat",
        on_delete=models.PROTECT,
        related_name="placements",
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name="client", on_delete=models.PROTECT, related_name="placements"
    )
    number = models.CharField("n° d'ordre de mission", max_length=30)
    start = models.DateField("début")
    end = models.DateField("fin")
    hours = models.DecimalField("heures prévues", max_digits=7, decimal_places=2)
    task = models.CharField("tâche précise et temporaire", max_length=300)
    workplace = models.CharField("lieu de travail", max_length=255, blank=True)
    hourly_rate = models.DecimalField(
        "prix horaire facturé (€ HT)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Laissé vide, le contrat de mise à disposition porte une ligne à compléter.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlacementQuerySet.as_manager()

    class Meta:
        verbose_name = "mise à disposition"
        verbose_name_plural = "mises à disposition"
        ordering = ["-start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="placement_unique_number"),
            models.CheckConstraint(
                condition=models.Q(hours__gt=0), name="placement_hours_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="placement_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_rate__isnull=True) | models.Q(hourly_rate__gt=0),
                name="placement_hourly_rate_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Mise à disposition n° {self.number} chez {self.client}"

    @property
    def entity(self) -> models.Model:
        return self.contract.entity

    def as_rule(self) -> contract_rules.Placement:
        """This placement as the cap rules see it: its first day, hours and client."""
        return contract_rules.Placement(
            start=self.start,
            hours=self.hours,
            client_kind=ClientKind(self.client.kind),
            client_economic_dismissal_on=self.client.economic_dismissal_on,
        )
