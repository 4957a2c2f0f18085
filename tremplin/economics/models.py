"""The group's economics: other grants and costs, aide au poste entries, shared-function cost
pools with their keys, allocation runs with their recharge statements, scenarios, and the
association's choice of lucrative activities.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tremplin.economics.rules import EntryKind, KeyMethod, SharedFunction
from tremplin.orders.rules import ServiceKind


class EntrySource(models.TextChoices):
    MANUAL = "manual", "Saisie"
    IMPORT = "import", "Import comptable"


class FinancialEntry(models.Model):
    """A grant other than the aide au poste, or a cost other than pay of hours worked (rent,
    purchases, vehicles, fees…), entered in a form or imported from accounting."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="financial_entries",
    )
    kind = models.CharField("nature", max_length=10, choices=EntryKind.choices)
    day = models.DateField("date")
    account = models.CharField("compte", max_length=10, blank=True)
    label = models.CharField("libellé", max_length=255)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    analytic_code = models.CharField("code analytique", max_length=20, blank=True)
    activity = models.CharField("activité", max_length=20, choices=ServiceKind.choices, blank=True)
    reference = models.CharField("pièce", max_length=50, blank=True)
    source = models.CharField(
        "origine", max_length=10, choices=EntrySource.choices, default=EntrySource.MANUAL
    )
    # Hash of the imported line's content: importing the same file again adds nothing.
    import_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    accounting_import = models.ForeignKey(
        "AccountingImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "subvention ou charge"
        verbose_name_plural = "subventions et charges"
        ordering = ["-day", "-pk"]
        indexes = [models.Index(fields=["entity", "day"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.label}"


class AccountingImport(models.Model):
    """A CSV file of accounting lines (charges and operating grants) read into entries."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="accounting_imports"
    )
    original_name = models.CharField("nom du fichier", max_length=255)
    total_rows = models.PositiveIntegerField("lignes lues", default=0)
    imported_rows = models.PositiveIntegerField("lignes importées", default=0)
    duplicate_rows = models.PositiveIntegerField("lignes déjà importées", default=0)
    error_rows = models.PositiveIntegerField("lignes en erreur", default=0)
    errors = models.JSONField("erreurs", default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "import comptable"
        verbose_name_plural = "imports comptables"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Import {self.original_name}"


class AidEntryKind(models.TextChoices):
    ADVANCE = "advance", "Avance mensuelle"
    REGULARISATION = "regularisation", "Régularisation de fin d'année"


class AidEntry(models.Model):
    """A payment of the aide au poste by the ASP: a monthly advance (1/12 of the annex) or the
    year-end regularisation on the posts actually occupied (domain.md §1.1)."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="aid_entries"
    )
    annex = models.ForeignKey(
        "organisations.FinancialAnnex", on_delete=models.PROTECT, related_name="aid_entries"
    )
    kind = models.CharField("nature", max_length=16, choices=AidEntryKind.choices)
    month = models.DateField("mois")
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    etp = models.DecimalField(
        "ETP consommés", max_digits=8, decimal_places=3, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "écriture d'aide au poste"
        verbose_name_plural = "écritures d'aide au poste"
        ordering = ["month", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["annex", "kind", "month"], name="aid_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month:%m/%Y}"


class CostPool(models.Model):
    """The costs of one shared function, paid by ``entity`` and divided among the group's
    entities by the pool's key."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure qui porte les coûts",
        on_delete=models.PROTECT,
        related_name="cost_pools",
    )
    function = models.CharField("fonction", max_length=16, choices=SharedFunction.choices)
    name = models.CharField("nom", max_length=200)
    key_method = models.CharField("clé de répartition", max_length=12, choices=KeyMethod.choices)
    description = models.TextField("description", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "fonction partagée"
        verbose_name_plural = "fonctions partagées"
        ordering = ["function", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class PoolCost(models.Model):
    """A cost of a shared function (salaries and charges of its staff, rent, software…)."""

    pool = models.ForeignKey(CostPool, on_delete=models.CASCADE, related_name="costs")
    day = models.DateField("date")
    label = models.CharField("libellé", max_length=255)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "coût d'une fonction partagée"
        verbose_name_plural = "coûts des fonctions partagées"
        ordering = ["-day", "-pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def entity(self) -> models.Model:
        return self.pool.entity


class TimeRecord(models.Model):
    """Hours a shared function spent for one entity of the group (the time-spent key)."""

    pool = models.ForeignKey(CostPool, on_delete=models.CASCADE, related_name="time_records")
    beneficiary = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure bénéficiaire",
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField("date")
    hours = models.DecimalField("heures", max_digits=7, decimal_places=2)
    note = models.CharField("objet", max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "temps passé"
        verbose_name_plural = "temps passés"
        ordering = ["-day", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="time_record_positive")
        ]

    def __str__(self) -> str:
        return f"{self.hours} h pour {self.beneficiary}"


class FixedShare(models.Model):
    """The share of a pool an entity takes when the key is fixed shares, in percent."""

    pool = models.ForeignKey(CostPool, on_delete=models.CASCADE, related_name="fixed_shares")
    beneficiary = models.ForeignKey(
        "organisations.Entity", verbose_name="structure", on_delete=models.PROTECT, related_name="+"
    )
    share = models.DecimalField("part (%)", max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = "part fixe"
        verbose_name_plural = "parts fixes"
        constraints = [
            models.UniqueConstraint(fields=["pool", "beneficiary"], name="fixed_share_unique")
        ]

    def __str__(self) -> str:
        return f"{self.share} % pour {self.beneficiary}"


class AllocationRun(models.Model):
    """The allocation of the group's shared functions over one period, with the recharges it
    produced and the consolidated P&L of that moment. Launched from ``entity``, it covers
    the entity's whole group."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="allocation_runs"
    )
    period_code = models.CharField("période", max_length=10)
    start = models.DateField("début")
    end = models.DateField("fin")
    group_result = models.DecimalField("résultat consolidé", max_digits=14, decimal_places=2)
    pnl = models.JSONField("compte de résultat consolidé", default=dict)
    warnings = models.JSONField("avertissements", default=list, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "répartition des fonctions partagées"
        verbose_name_plural = "répartitions des fonctions partagées"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Répartition {self.period_code} n° {self.pk}"


class Allocation(models.Model):
    """The part of one pool that one entity takes in a run."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="allocations")
    pool = models.ForeignKey(CostPool, null=True, on_delete=models.SET_NULL, related_name="+")
    pool_name = models.CharField("fonction", max_length=200)
    key_method = models.CharField("clé", max_length=12, choices=KeyMethod.choices)
    beneficiary = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="+"
    )
    driver = models.DecimalField("valeur de la clé", max_digits=16, decimal_places=4)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "part d'une fonction partagée"
        verbose_name_plural = "parts des fonctions partagées"
        ordering = ["run", "pool_name", "beneficiary__name"]

    def __str__(self) -> str:
        return f"{self.pool_name} : {self.amount} € pour {self.beneficiary}"


class Recharge(models.Model):
    """A line of the intra-group recharge statement of a run: ``lender`` recharges ``amount``
    at cost to ``borrower`` (shared function, staff loan or intra-group invoice)."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="recharges")
    lender = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure qui refacture",
        on_delete=models.PROTECT,
        related_name="+",
    )
    borrower = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure refacturée",
        on_delete=models.PROTECT,
        related_name="+",
    )
    nature = models.CharField("nature", max_length=10)
    label = models.CharField("objet", max_length=200)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "refacturation intra-groupe"
        verbose_name_plural = "refacturations intra-groupe"
        ordering = ["run", "lender__name", "borrower__name", "nature", "label"]

    def __str__(self) -> str:
        return f"{self.lender} → {self.borrower} : {self.label}"


class Scenario(models.Model):
    """A copy of one period's economic data (``base``) and the changes tried on it."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="economic_scenarios"
    )
    name = models.CharField("nom", max_length=200)
    period_code = models.CharField("période", max_length=10)
    base = models.JSONField("données de la période copiée")
    changes = models.JSONField("modifications", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "scénario"
        verbose_name_plural = "scénarios"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ActivityTaxStatus(models.Model):
    """Whether an association treats one of its activities as lucrative (taxable, counted
    against the franchise) or not; without a row the default of ``rules`` applies."""

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.CASCADE, related_name="activity_tax_statuses"
    )
    activity = models.CharField("activité", max_length=20, choices=ServiceKind.choices)
    is_lucrative = models.BooleanField("lucrative")

    class Meta:
        verbose_name = "statut fiscal d'une activité"
        verbose_name_plural = "statuts fiscaux des activités"
        constraints = [
            models.UniqueConstraint(fields=["entity", "activity"], name="activity_tax_unique")
        ]

    def __str__(self) -> str:
        status = "lucrative" if self.is_lucrative else "non lucrative"
        return f"{self.get_activity_display()} : {status}"
