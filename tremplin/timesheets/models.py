"""Hours actually worked (relevés d'heures): declared by the worker or staff, validated by
staff, signed off by the client for placements and B2B services, imported from files.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EntryStatus(models.TextChoices):
    DECLARED = "declared", "Déclarée"
    VALIDATED = "validated", "Validée"
    LOCKED = "locked", "Clôturée"


class EntrySource(models.TextChoices):
    WORKER = "worker", "Déclarée par le salarié"
    STAFF = "staff", "Saisie par l'équipe"
    IMPORT = "import", "Importée"


class TimeEntry(models.Model):
    """Hours one worker worked on one day for one client, usually for one intervention."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name="salarié",
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name="client",
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    intervention = models.ForeignKey(
        "orders.Intervention",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    service = models.ForeignKey(
        "orders.Service",
        verbose_name="prestation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField("jour", db_index=True)
    hours = models.DecimalField("heures", max_digits=5, decimal_places=2)
    quantity = models.DecimalField(
        "quantité facturable", max_digits=8, decimal_places=2, null=True, blank=True
    )
    travel_minutes = models.PositiveIntegerField("temps de trajet (min)", default=0)
    status = models.CharField(
        "état", max_length=10, choices=EntryStatus.choices, default=EntryStatus.DECLARED
    )
    source = models.CharField("origine", max_length=10, choices=EntrySource.choices)
    import_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "relevé d'heures"
        verbose_name_plural = "relevés d'heures"
        ordering = ["day", "pk"]
        indexes = [
            models.Index(fields=["entity", "day"]),
            models.Index(fields=["person", "day"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24), name="entry_hours_in_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.day:%d/%m/%Y} — {self.hours} h"


class ClientSignOff(models.Model):
    """A client's approval of the hours of a month, given through a link with a secret token."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="sign_offs")
    year = models.PositiveSmallIntegerField("année")
    month = models.PositiveSmallIntegerField("mois")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField("lien valable jusqu'au")
    signed_at = models.DateTimeField("validé le", null=True, blank=True)
    signed_by_name = models.CharField("validé par", max_length=200, blank=True)
    total_hours = models.DecimalField(
        "heures validées", max_digits=9, decimal_places=2, null=True, blank=True
    )
    comment = models.TextField("observation du client", blank=True)

    class Meta:
        verbose_name = "validation client"
        verbose_name_plural = "validations client"
        ordering = ["-year", "-month", "client"]

    def __str__(self) -> str:
        return f"{self.client} — {self.month:02d}/{self.year}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échec"


class TimesheetImport(models.Model):
    """An uploaded CSV or XLSX file of hours, processed in the background."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="timesheet_imports"
    )
    file = models.FileField("fichier", upload_to="imports/%Y/%m/")
    original_name = models.CharField("nom du fichier", max_length=255)
    status = models.CharField(
        "état", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField("lignes lues", default=0)
    imported_rows = models.PositiveIntegerField("lignes importées", default=0)
    duplicate_rows = models.PositiveIntegerField("lignes déjà importées", default=0)
    error_rows = models.PositiveIntegerField("lignes en erreur", default=0)
    errors = models.JSONField("erreurs", default=list, blank=True)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "import de relevés"
        verbose_name_plural = "imports de relevés"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Import {self.original_name}"
