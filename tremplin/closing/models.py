"""The monthly close of an entity: hours locked, invoice drafts per client, payroll
variables and the ASP monthly follow-up per insertion worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections, models

if TYPE_CHECKING:
    from tremplin.people.models import Person


class CloseStatus(models.TextChoices):
    RUNNING = "running", "En cours"
    CLOSED = "closed", "Clôturé"
    FAILED = "failed", "Échec"
    REOPENED = "reopened", "Rouvert"


# A close being run or done freezes its month: no hours of the entity for that month may be
# added, changed, validated, imported or deleted until the month is reopened (or the run fails).
FREEZING_STATUSES = (CloseStatus.RUNNING, CloseStatus.CLOSED)


class MonthlyCloseQuerySet(models.QuerySet["MonthlyClose"]):
    def freezing(self) -> MonthlyCloseQuerySet:
        """Closes whose month's hours can no longer change: closed, or being closed."""
        return self.filter(status__in=FREEZING_STATUSES)

    def hold_month(self, entity_id: int, year: int, month: int, *, exclusive: bool) -> None:
        """Hold the month of an entity until the end of the current transaction.

        Whoever writes hours holds their month shared, before checking that it is not frozen;
        ``start_close`` holds it exclusively while it marks the close as running. A close
        therefore starts once every write that checked the month before it has committed, and
        every later write finds the month frozen: the run reads all the month's hours, and
        nothing changes them after it. PostgreSQL: a transaction-level advisory lock keyed by
        (entity, year × 100 + month). SQLite runs one writing transaction at a time (immediate
        transactions), which gives the same guarantee.
        """
        connection = connections[self.db]
        if connection.vendor != "postgresql":
            return
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {function}(%s::integer, %s::integer)", [entity_id, year * 100 + month]
            )


class MonthlyClose(models.Model):
    """One month of one entity; its state and the progress of the background run."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="monthly_closes"
    )
    year = models.PositiveSmallIntegerField("année")
    month = models.PositiveSmallIntegerField("mois")
    status = models.CharField(
        "état", max_length=10, choices=CloseStatus.choices, default=CloseStatus.RUNNING
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    # The last sign of life of the run (queued, or a step reached): see core.runs.run_stalled.
    progress_at = models.DateTimeField("dernière progression", null=True, blank=True)
    # Each start (or restart of an interrupted run) is a new attempt: a run whose attempt is no
    # longer the close's stops without writing its status.
    attempt = models.PositiveIntegerField("tentative", default=1)
    closed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = MonthlyCloseQuerySet.as_manager()

    class Meta:
        verbose_name = "clôture mensuelle"
        verbose_name_plural = "clôtures mensuelles"
        ordering = ["-year", "-month", "entity"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "year", "month"], name="close_one_per_month"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12), name="close_month_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Clôture {self.month:02d}/{self.year} — {self.entity}"

    @property
    def last_progress(self) -> datetime:
        return self.progress_at or self.started_at


class InvoiceDraft(models.Model):
    """What the close proposes to invoice a client for the month (the invoice itself: #6)."""

    close = models.ForeignKey(MonthlyClose, on_delete=models.CASCADE, related_name="invoice_drafts")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="invoice_drafts"
    )
    total_excl_tax = models.DecimalField("total HT (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "brouillon de facture"
        verbose_name_plural = "brouillons de facture"
        constraints = [
            models.UniqueConstraint(fields=["close", "client"], name="draft_one_per_client")
        ]

    def __str__(self) -> str:
        return f"Brouillon {self.client} — {self.close}"


class InvoiceDraftLine(models.Model):
    draft = models.ForeignKey(InvoiceDraft, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey("orders.Service", on_delete=models.PROTECT, related_name="+")
    label = models.CharField("libellé", max_length=255)
    quantity = models.DecimalField("quantité", max_digits=10, decimal_places=2)
    unit_price = models.DecimalField("prix unitaire HT", max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField("taux de TVA (%)", max_digits=4, decimal_places=1)
    amount_excl_tax = models.DecimalField("montant HT", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "ligne de brouillon"
        verbose_name_plural = "lignes de brouillon"

    def __str__(self) -> str:
        return self.label


class PayrollVariables(models.Model):
    """One worker's pay variables for the month (exported as CSV to the payroll software)."""

    # Indexed by ``payroll_one_per_person`` (close first): no index of its own to maintain.
    close = models.ForeignKey(
        MonthlyClose, on_delete=models.CASCADE, related_name="payroll", db_index=False
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    normal_hours = models.DecimalField(max_digits=7, decimal_places=2)
    complementary_hours = models.DecimalField(
        "heures complémentaires", max_digits=7, decimal_places=2, default=0
    )
    overtime_hours = models.DecimalField(max_digits=7, decimal_places=2)
    sunday_hours = models.DecimalField(max_digits=7, decimal_places=2)
    holiday_hours = models.DecimalField(max_digits=7, decimal_places=2)
    absence_days = models.DecimalField(max_digits=5, decimal_places=1)
    travel_minutes = models.PositiveIntegerField()

    class Meta:
        verbose_name = "variables de paie"
        verbose_name_plural = "variables de paie"
        constraints = [
            models.UniqueConstraint(fields=["close", "person"], name="payroll_one_per_person")
        ]

    def __str__(self) -> str:
        return f"Paie {self.person} — {self.close}"


class AspMonthlyFollowUp(models.Model):
    """The ASP monthly individual follow-up of an insertion worker (domain.md §4.3)."""

    # Indexed by ``asp_one_per_contract`` (close first): no index of its own to maintain.
    close = models.ForeignKey(
        MonthlyClose, on_delete=models.CASCADE, related_name="asp_follow_ups", db_index=False
    )
    # The worker is the contract's: ``person`` below.
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="+")
    hours_worked = models.DecimalField(max_digits=7, decimal_places=2)
    hours_invoiced = models.DecimalField(max_digits=7, decimal_places=2)
    missions = models.PositiveIntegerField()
    gross_pay = models.DecimalField(max_digits=10, decimal_places=2)
    etp_share = models.DecimalField(max_digits=5, decimal_places=3)

    class Meta:
        verbose_name = "suivi mensuel ASP"
        verbose_name_plural = "suivis mensuels ASP"
        constraints = [
            models.UniqueConstraint(fields=["close", "contract"], name="asp_one_per_contract")
        ]

    def __str__(self) -> str:
        return f"Suivi ASP {self.person} — {self.close}"

    @property
    def person(self) -> Person:
        return self.contract.person
