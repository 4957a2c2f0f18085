"""Mises à disposition (MAD) of the association intermédiaire's employees with clients, and the
préfet derogations to the 480 h cap. The cap itself is ``contracts.rules.mad_cap_status``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

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
        ]

    def __str__(self) -> str:
        return f"Mise à disposition n° {self.number} chez {self.client}"

    @property
    def entity(self) -> models.Model:
        return self.contract.entity
