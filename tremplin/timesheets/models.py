"""Hours actually worked (relevés d'heures): declared by the worker or staff, validated by
staff, signed off by the client for placements and B2B services, imported from files.

The monthly close locks a month, not its rows: while the ``closing.MonthlyClose`` of an entity's
month is running or closed, no entry of that month may be written by any path (actions, forms,
import, and the guards below), and the entries of a closed month are shown « Clôturée ».
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import ExtractMonth, ExtractYear

from tremplin.closing.models import FREEZING_STATUSES, CloseStatus, MonthlyClose


class EntryStatus(models.TextChoices):
    DECLARED = "declared", "Déclarée"
    VALIDATED = "validated", "Validée"
    # Not stored: the state of the (validated) entries of a closed month.
    LOCKED = "locked", "Clôturée"


def month_close(*statuses: str) -> Exists:
    """Condition on entries: their entity's month has a close in one of ``statuses``."""
    return Exists(
        MonthlyClose.objects.filter(
            entity_id=OuterRef("entity_id"),
            year=ExtractYear(OuterRef("day")),
            month=ExtractMonth(OuterRef("day")),
            status__in=statuses,
        )
    )


def refuse_frozen_months(months: Iterable[tuple[int, date]]) -> None:
    """``ValidationError`` (French message) when one of the ``(entity id, day)`` falls in a month
    that is closed or being closed."""
    from tremplin.timesheets.rules import locked_message

    keys = {(entity_id, day.year, day.month) for entity_id, day in months}
    if not keys:
        return
    condition = Q()
    for entity_id, year, month in keys:
        condition |= Q(entity_id=entity_id, year=year, month=month)
    frozen = (
        MonthlyClose.objects.freezing()
        .filter(condition)
        .order_by("year", "month")
        .values_list("year", "month")
        .first()
    )
    if frozen is not None:
        raise ValidationError(locked_message(date(frozen[0], frozen[1], 1)))


class TimeEntryQuerySet(models.QuerySet["TimeEntry"]):
    """Entries. ``update``, ``delete`` and ``bulk_create`` refuse to touch a frozen month: a
    guard behind the actions, which check first and say why in the same words."""

    def locked(self) -> TimeEntryQuerySet:
        """Entries of closed months (« Clôturée »): what the close turned into drafts, payroll
        variables and ASP follow-ups, immutable until the month is reopened."""
        return self.filter(month_close(CloseStatus.CLOSED))

    def _refuse_frozen(self, changes: dict[str, Any] | None = None) -> None:
        from tremplin.timesheets.rules import locked_message

        day = self.filter(month_close(*FREEZING_STATUSES)).values_list("day", flat=True).first()
        if day is not None:
            raise ValidationError(locked_message(day))
        new_day = (changes or {}).get("day")
        if isinstance(new_day, date):
            entities = self.order_by().values_list("entity_id", flat=True).distinct()
            refuse_frozen_months((entity_id, new_day) for entity_id in entities)

    def update(self, **kwargs: Any) -> int:
        self._refuse_frozen(kwargs)
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_frozen()
        return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        entries = list(objs)
        refuse_frozen_months((entry.entity_id, entry.day) for entry in entries)
        return super().bulk_create(
            entries,
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_conflicts=update_conflicts,
            update_fields=update_fields,
            unique_fields=unique_fields,
        )

    bulk_create.alters_data = True  # type: ignore[attr-defined]


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

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "relevé d'heures"
        verbose_name_plural = "relevés d'heures"
        ordering = ["day", "pk"]
        indexes = [
            models.Index(fields=["entity", "day"]),
            models.Index(fields=["person", "day"]),
            # The hours still to validate: few at any time, looked up by the validation queue
            # and by the monthly close, which refuses a month that has any.
            models.Index(
                fields=["entity", "day"],
                condition=models.Q(status=EntryStatus.DECLARED),
                name="entry_declared_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24), name="entry_hours_in_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.day:%d/%m/%Y} — {self.hours} h"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An integrity guard, not behaviour (as an issued invoice refuses deletion): neither the
        # month the entry leaves nor the one it enters may be frozen.
        months = {(self.entity_id, self.day)}
        if not self._state.adding:
            stored = (
                TimeEntry._base_manager.filter(pk=self.pk).values_list("entity_id", "day").first()
            )
            if stored is not None:
                months.add(stored)
        refuse_frozen_months(months)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_frozen_months([(self.entity_id, self.day)])
        return super().delete(*args, **kwargs)

    def in_frozen_month(self) -> bool:
        """Whether the entry's month is closed or being closed: nothing may change it."""
        return (
            MonthlyClose.objects.freezing()
            .filter(entity_id=self.entity_id, year=self.day.year, month=self.day.month)
            .exists()
        )


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
