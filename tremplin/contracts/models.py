"""Employment contracts and their amendments, and the group's HR register data:
habilitations, medical visits, intra-group staff lending.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.text import capfirst

from tremplin.contracts.rules import (
    FIXED_TERM_KINDS,
    INSERTION_KINDS,
    CddiDerogation,
    ContractKind,
    EndReason,
    JobCategory,
    PartTimeDerogation,
    PostType,
    format_decimal,
    started_months,
)
from tremplin.core.dates import format_date
from tremplin.core.money import format_euros

# Monthly hours of a full-time post: 35 h × 52 / 12 (Code du travail, art. L3121-27).
FULL_TIME_MONTHLY_HOURS = Decimal("151.67")
FULL_TIME_WEEKLY_HOURS = Decimal("35")


class Funding(models.TextChoices):
    AIDE_AU_POSTE = "aide_au_poste", "Aide au poste d'insertion (IAE)"
    PEC = "pec", "Aide PEC (CUI-CAE)"
    NONE = "none", "Sans aide"


def default_funding(kind: ContractKind, *, convention_in_force: bool) -> Funding:
    """The usual financing of a contract: the aide au poste pays for insertion posts of an entity
    holding an IAE convention (Code du travail, art. L5132-2), the PEC aid for a PEC
    (art. L5134-30), nothing otherwise. The two do not cumulate on one post (domain §2.6).
    """
    if kind is ContractKind.PEC:
        return Funding.PEC
    if kind in INSERTION_KINDS and convention_in_force:
        return Funding.AIDE_AU_POSTE
    return Funding.NONE


class ContractQuerySet(models.QuerySet["Contract"]):
    def active_on(self, day: date) -> ContractQuerySet:
        """Contracts running on ``day``: started, and neither ended nor past their term."""
        return self.filter(start__lte=day).filter(
            models.Q(actual_end__gte=day)
            | models.Q(actual_end__isnull=True, planned_end__isnull=True)
            | models.Q(actual_end__isnull=True, planned_end__gte=day)
        )

    def for_entities(self, entity_ids: list[int]) -> ContractQuerySet:
        return self.filter(entity_id__in=entity_ids)

    def running_between(self, first: date, last: date) -> ContractQuerySet:
        """Contracts running on at least one day from ``first`` to ``last`` (both included)."""
        return self.filter(start__lte=last).filter(
            models.Q(actual_end__gte=first)
            | models.Q(actual_end__isnull=True, planned_end__isnull=True)
            | models.Q(actual_end__isnull=True, planned_end__gte=first)
        )


class Contract(models.Model):
    """An employment contract between an entity of the group and a person."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="employeur",
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    person = models.ForeignKey(
        "people.Person", verbose_name="salarié", on_delete=models.PROTECT, related_name="contracts"
    )
    kind = models.CharField("type de contrat", max_length=16, choices=ContractKind.choices)
    post_type = models.CharField("nature du poste", max_length=10, choices=PostType.choices)
    start = models.DateField("début")
    planned_end = models.DateField("fin prévue", null=True, blank=True)
    actual_end = models.DateField("fin effective", null=True, blank=True)
    end_reason = models.CharField(
        "motif de fin", max_length=32, choices=EndReason.choices, blank=True
    )
    weekly_hours = models.DecimalField(
        "durée hebdomadaire (h)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    monthly_hours = models.DecimalField(
        "volume mensuel garanti (h)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    hourly_rate = models.DecimalField("taux horaire brut (€)", max_digits=7, decimal_places=4)
    job_title = models.CharField("emploi", max_length=200)
    rome = models.ForeignKey(
        "people.RomeJob",
        verbose_name="métier (ROME)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    job_category = models.CharField(
        "catégorie", max_length=16, choices=JobCategory.choices, default=JobCategory.WORKER_EMPLOYEE
    )
    probation_end = models.DateField("fin de la période d'essai", null=True, blank=True)
    funding = models.CharField("financement", max_length=16, choices=Funding.choices)
    derogation_reason = models.CharField("motif de dérogation horaire", max_length=200, blank=True)
    part_time_derogation = models.CharField(
        "dérogation au temps partiel minimal",
        max_length=20,
        choices=PartTimeDerogation.choices,
        blank=True,
    )
    cddi_derogation = models.CharField(
        "dérogation à la durée du CDDI", max_length=20, choices=CddiDerogation.choices, blank=True
    )
    renews = models.ForeignKey(
        "self",
        verbose_name="renouvellement de",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    pathway_step = models.ForeignKey(
        "pathways.PathwayStep",
        verbose_name="étape de parcours",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = "contrat de travail"
        verbose_name_plural = "contrats de travail"
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__isnull=True)
                | models.Q(planned_end__gte=models.F("start")),
                name="contract_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(actual_end__isnull=True)
                | models.Q(actual_end__gte=models.F("start")),
                name="contract_actual_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_rate__gt=0), name="contract_hourly_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.person} ({self.start:%d/%m/%Y})"

    @property
    def end(self) -> date | None:
        """The day the contract stops: its actual end, else its planned term."""
        return self.actual_end or self.planned_end

    def is_active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def is_ended(self) -> bool:
        """Whether the end of the contract has been recorded."""
        return self.actual_end is not None

    @property
    def can_be_amended(self) -> bool:
        return not self.is_ended

    @property
    def can_be_ended(self) -> bool:
        return not self.is_ended

    def renewal_chain(self) -> list[Contract]:
        """The contracts this one continues, oldest first, ending with itself."""
        chain = [self]
        while chain[0].renews_id is not None:
            chain.insert(0, Contract.objects.get(pk=chain[0].renews_id))
        return chain

    def months_before(self) -> int:
        """Started months of the contracts this one renews (art. L1242-8-1 counts them)."""
        return sum(
            started_months(c.start, c.planned_end)
            for c in self.renewal_chain()[:-1]
            if c.planned_end is not None
        )

    def can_be_renewed(self, *, has_renewal: bool) -> bool:
        """A fixed-term contract with a term, not ended, not renewed yet (art. L1243-13)."""
        return (
            ContractKind(self.kind) in FIXED_TERM_KINDS
            and self.planned_end is not None
            and not self.is_ended
            and not has_renewal
        )

    @property
    def etp(self) -> Decimal:
        """Full-time equivalent of the contractual hours (35 h a week, 151,67 h a month)."""
        if self.weekly_hours:
            return (self.weekly_hours / FULL_TIME_WEEKLY_HOURS).quantize(Decimal("0.01"))
        if self.monthly_hours:
            return (self.monthly_hours / FULL_TIME_MONTHLY_HOURS).quantize(Decimal("0.01"))
        return Decimal("0")


class Amendment(models.Model):
    """An avenant: what changed in a contract, from which day, and why. Never edited."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="amendments")
    effective_on = models.DateField("date d'effet")
    reason = models.CharField("objet de l'avenant", max_length=300)
    changes = models.JSONField("modifications", default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "avenant"
        verbose_name_plural = "avenants"
        ordering = ["effective_on", "pk"]

    def __str__(self) -> str:
        return f"Avenant du {self.effective_on:%d/%m/%Y} : {self.reason}"

    def rows(self) -> list[tuple[str, str, str]]:
        """``(label, before, after)`` of each change, in French, for the contract page."""
        return [
            (amendment_label(name), _display(name, old), _display(name, new))
            for name, (old, new) in self.changes.items()
        ]


# Keys of ``Amendment.changes`` that are not contract fields: the avenant of a staff loan.
LOAN_CHANGE_LABELS = {
    "staff_loan": "Prêt de main-d'œuvre",
    "staff_loan_hours": "Heures prêtées par semaine",
}


def _contract_field(name: str) -> models.Field[object, object]:
    field = Contract._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def amendment_label(name: str) -> str:
    if name in LOAN_CHANGE_LABELS:
        return LOAN_CHANGE_LABELS[name]
    return capfirst(str(_contract_field(name).verbose_name))


def amendment_value(value: object) -> str:
    """The stored form of one side of a change: ISO dates, plain decimals, choice values."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _display(name: str, value: str) -> str:
    """The French reading of a stored change value."""
    if value == "":
        return "—"
    if name in LOAN_CHANGE_LABELS:
        return value
    field = _contract_field(name)
    if isinstance(field, models.DateField):
        return format_date(date.fromisoformat(value))
    if name == "hourly_rate":
        return format_euros(Decimal(value))
    if isinstance(field, models.DecimalField):
        return f"{format_decimal(Decimal(value))} h"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return value


class HabilitationKind(models.TextChoices):
    DRIVING_LICENCE_B = "permis_b", "Permis B"
    CACES = "caces", "CACES"
    ELECTRICAL = "habilitation_electrique", "Habilitation électrique"
    FIRST_AID = "sst", "Sauveteur secouriste du travail (SST)"
    FOOD_HYGIENE = "hygiene_alimentaire", "Hygiène alimentaire (HACCP)"
    WORK_AT_HEIGHT = "travail_hauteur", "Travail en hauteur"
    CHEMICALS = "produits", "Utilisation des produits d'entretien"
    OTHER = "autre", "Autre qualification"


class Habilitation(models.Model):
    """A qualification, habilitation or certificate a worker holds, with its expiry."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="habilitations"
    )
    kind = models.CharField("nature", max_length=24, choices=HabilitationKind.choices)
    label = models.CharField("précision", max_length=200, blank=True)
    obtained_on = models.DateField("obtenue le")
    expires_on = models.DateField("valable jusqu'au", null=True, blank=True)

    class Meta:
        verbose_name = "habilitation"
        verbose_name_plural = "habilitations"
        ordering = ["kind", "-obtained_on"]

    def __str__(self) -> str:
        return self.label or self.get_kind_display()


class MedicalVisit(models.Model):
    """The occupational-health follow-up of a worker (visite d'information et de prévention)."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="medical_visits"
    )
    entity = models.ForeignKey("organisations.Entity", on_delete=models.PROTECT, related_name="+")
    done_on = models.DateField("réalisée le", null=True, blank=True)
    next_due_on = models.DateField("prochaine visite avant le")

    class Meta:
        verbose_name = "visite médicale"
        verbose_name_plural = "visites médicales"
        ordering = ["next_due_on"]

    def __str__(self) -> str:
        return f"Visite médicale avant le {self.next_due_on:%d/%m/%Y}"


class StaffLoan(models.Model):
    """A non-profit lending of a worker between two entities of the group (prêt de main-d'œuvre).

    Code du travail, art. L8241-2: an agreement between the entities, the worker's written
    consent and an amendment to the contract; invoiced at cost (salary, charges, expenses).
    """

    contract = models.ForeignKey(
        Contract, verbose_name="contrat", on_delete=models.PROTECT, related_name="loans"
    )
    borrower = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure utilisatrice",
        on_delete=models.PROTECT,
        related_name="borrowed_staff",
    )
    start = models.DateField("début")
    end = models.DateField("fin")
    weekly_hours = models.DecimalField("heures par semaine", max_digits=5, decimal_places=2)
    hourly_cost = models.DecimalField("coût horaire refacturé (€)", max_digits=7, decimal_places=2)
    agreement_reference = models.CharField("convention de mise à disposition", max_length=200)
    consent_on = models.DateField("accord écrit du salarié le")
    amendment = models.OneToOneField(
        Amendment,
        verbose_name="avenant au contrat",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loan",
    )

    class Meta:
        verbose_name = "prêt de main-d'œuvre"
        verbose_name_plural = "prêts de main-d'œuvre"
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="loan_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"Prêt de {self.contract.person} à {self.borrower}"

    @property
    def entity(self) -> models.Model:
        return self.contract.entity
