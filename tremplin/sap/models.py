"""Services à la personne: the households' annual tax certificates (and the background run
that generates them), and the URSSAF avance immédiate: households' registrations and the
payment requests sent for their invoices.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from tremplin.sap.rules import (
    LIVE_REQUEST_STATUSES,
    RegistrationStatus,
    RequestStatus,
    SapNature,
)

ZERO = Decimal("0.00")


def _money(verbose_name: str, **kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminée"
    FAILED = "failed", "Échec"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class CertificateRun(models.Model):
    """The generation of one year's certificates of one entity, run in the background."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="certificate_runs",
    )
    year = models.PositiveSmallIntegerField("année")
    status = models.CharField(
        "état", max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=200, blank=True)
    total = models.PositiveIntegerField("clients à traiter", default=0)
    created_count = models.PositiveIntegerField("attestations créées", default=0)
    replaced_count = models.PositiveIntegerField("attestations remplacées", default=0)
    versioned_count = models.PositiveIntegerField("nouvelles versions", default=0)
    unchanged_count = models.PositiveIntegerField("attestations inchangées", default=0)
    error = models.TextField("erreur", blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    # The last sign of life of the run (queued, or a household done): see core.runs.
    progress_at = models.DateTimeField("dernière progression", null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "génération d'attestations fiscales"
        verbose_name_plural = "générations d'attestations fiscales"
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["entity", "year"], name="sap_run_entity_year")]

    def __str__(self) -> str:
        return f"Attestations {self.year} — {self.entity}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def last_progress(self) -> datetime:
        return self.progress_at or self.started_at


class CertificateStatus(models.TextChoices):
    GENERATED = "generated", "À envoyer"
    SENT = "sent", "Envoyée"


class TaxCertificate(models.Model):
    """The annual tax certificate of one household for one year (attestation fiscale), a
    snapshot of the figures and identities at generation. Regenerating an unsent certificate
    replaces it; once sent, a change gives a new version and the sent one stays."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="tax_certificates",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name="client",
        on_delete=models.PROTECT,
        related_name="tax_certificates",
    )
    year = models.PositiveSmallIntegerField("année")
    version = models.PositiveSmallIntegerField("version", default=1)
    status = models.CharField(
        "état",
        max_length=10,
        choices=CertificateStatus.choices,
        default=CertificateStatus.GENERATED,
    )
    # The provider, with its SAP declaration (D7233-1; servicesalapersonne.gouv.fr).
    provider_name = models.CharField("organisme", max_length=200)
    provider_address = models.CharField("adresse de l'organisme", max_length=255)
    provider_postal_code = models.CharField("code postal de l'organisme", max_length=10)
    provider_city = models.CharField("commune de l'organisme", max_length=100)
    provider_siret = models.CharField("SIRET de l'organisme", max_length=14)
    declaration_kind = models.CharField("nature de l'enregistrement SAP", max_length=40)
    declaration_number = models.CharField("n° de déclaration SAP", max_length=50)
    declared_on = models.DateField("date de la déclaration SAP")
    # The household.
    household_name = models.CharField("bénéficiaire", max_length=200)
    household_address = models.CharField("adresse du bénéficiaire", max_length=255)
    household_postal_code = models.CharField("code postal du bénéficiaire", max_length=10)
    household_city = models.CharField("commune du bénéficiaire", max_length=100)
    # Totals of the activities below.
    total_paid = _money("payé dans l'année", default=ZERO)
    total_through_advance = _money("dont par l'avance immédiate", default=ZERO)
    total_aid = _money("aides déduites", default=ZERO)
    total_excluded = _money("hors champ SAP", default=ZERO)
    total_net = _money("dépense du foyer", default=ZERO)
    total_advance_received = _money("crédit d'impôt déjà perçu", default=ZERO)
    eligible_total = _money("montant retenu", default=ZERO)
    capped = models.BooleanField("plafond atteint", default=False)
    total_hours = models.DecimalField("heures", max_digits=9, decimal_places=2, default=ZERO)
    parameters_confirmed = models.BooleanField("paramètres confirmés", default=True)
    fingerprint = models.CharField(max_length=64, editable=False)
    run = models.ForeignKey(
        CertificateRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField("établie le")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "attestation fiscale"
        verbose_name_plural = "attestations fiscales"
        ordering = ["-year", "household_name", "-version", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "year", "version"], name="sap_certificate_one_per_version"
            ),
            models.UniqueConstraint(
                fields=["client", "year"],
                condition=Q(status="generated"),
                name="sap_certificate_one_unsent",
            ),
        ]
        indexes = [models.Index(fields=["entity", "year"], name="sap_certificate_entity_year")]

    def __str__(self) -> str:
        suffix = f" (version {self.version})" if self.version > 1 else ""
        return f"Attestation fiscale {self.year} — {self.household_name}{suffix}"

    @property
    def total_acquitted(self) -> Decimal:
        """What the household paid itself, after the avance immédiate."""
        return self.total_net - self.total_advance_received


class CertificateActivity(models.Model):
    """One nature of service on a certificate: amounts paid, deductions, cap, hours."""

    certificate = models.ForeignKey(
        TaxCertificate, on_delete=models.CASCADE, related_name="activities"
    )
    nature = models.CharField("nature de la prestation", max_length=20, choices=SapNature.choices)
    paid = _money("payé dans l'année")
    through_advance = _money("dont par l'avance immédiate")
    aid = _money("aides déduites")
    excluded = _money("hors champ SAP")
    excluded_interventions = models.PositiveIntegerField("interventions hors champ", default=0)
    net = _money("dépense du foyer")
    advance_received = _money("crédit d'impôt déjà perçu")
    cap = _money("plafond annuel", null=True, blank=True)
    eligible = _money("montant retenu")
    above_cap = _money("au-delà du plafond")
    hours = models.DecimalField("heures", max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = "activité de l'attestation"
        verbose_name_plural = "activités de l'attestation"
        ordering = ["certificate", "pk"]

    def __str__(self) -> str:
        return self.get_nature_display()

    @property
    def capped(self) -> bool:
        return self.above_cap > 0

    @property
    def acquitted(self) -> Decimal:
        return self.net - self.advance_received


class CertificateWorker(models.Model):
    """One line of the recap of interventions: a worker's hours in a month (monthly grouping)."""

    certificate = models.ForeignKey(
        TaxCertificate, on_delete=models.CASCADE, related_name="workers"
    )
    worker_name = models.CharField("intervenant", max_length=200)
    identifier = models.CharField("n° d'identification", max_length=30, blank=True)
    month = models.DateField("mois")
    nature = models.CharField("nature de la prestation", max_length=20, choices=SapNature.choices)
    hours = models.DecimalField("heures", max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = "intervenant de l'attestation"
        verbose_name_plural = "intervenants de l'attestation"
        ordering = ["certificate", "month", "worker_name", "pk"]

    def __str__(self) -> str:
        return f"{self.worker_name} {self.month:%m/%Y}"


class UrssafRegistration(models.Model):
    """A household registered with URSSAF for the avance immédiate (one per client).

    Keeps what later payment requests need (the URSSAF id, the birth date the API checks) and
    the identity shown to the staff; the bank details go to URSSAF and only a masked IBAN stays.
    """

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="urssaf_registrations",
    )
    client = models.OneToOneField(
        "clients.Client",
        verbose_name="client",
        on_delete=models.PROTECT,
        related_name="urssaf_registration",
    )
    status = models.CharField(
        "état",
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.PENDING,
    )
    urssaf_id = models.CharField("identifiant URSSAF", max_length=64, blank=True)
    civility = models.CharField("civilité", max_length=1, choices=[("1", "M."), ("2", "Mme")])
    birth_name = models.CharField("nom de naissance", max_length=100)
    usual_name = models.CharField("nom d'usage", max_length=100, blank=True)
    first_names = models.CharField("prénoms", max_length=150)
    birth_date = models.DateField("date de naissance")
    iban_masked = models.CharField("compte débité", max_length=12, blank=True)
    status_code = models.CharField("code d'état URSSAF", max_length=40, blank=True)
    status_description = models.CharField("état selon l'URSSAF", max_length=255, blank=True)
    rejection_code = models.CharField("motif du refus (code)", max_length=60, blank=True)
    rejection_message = models.TextField("motif du refus", blank=True)
    submitted_at = models.DateTimeField("inscrit le")
    activated_at = models.DateTimeField("compte activé le", null=True, blank=True)
    refused_at = models.DateTimeField("refusée le", null=True, blank=True)
    last_checked_at = models.DateTimeField("dernière vérification", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "inscription à l'avance immédiate"
        verbose_name_plural = "inscriptions à l'avance immédiate"
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return f"Avance immédiate — {self.client}"

    @property
    def display_name(self) -> str:
        return f"{(self.usual_name or self.birth_name).upper()} {self.first_names}"


class PaymentRequest(models.Model):
    """An invoice sent to URSSAF as a payment request (demande de paiement)."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="urssaf_payment_requests",
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice",
        verbose_name="facture",
        on_delete=models.PROTECT,
        related_name="urssaf_requests",
    )
    registration = models.ForeignKey(
        UrssafRegistration,
        verbose_name="inscription",
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    status = models.CharField("état", max_length=10, choices=RequestStatus.choices)
    urssaf_id = models.CharField("identifiant URSSAF", max_length=64, blank=True)
    amount_incl_tax = _money("montant TTC")
    amount_excl_tax = _money("montant HT")
    submitted_at = models.DateTimeField("transmise le")
    deadline = models.DateTimeField("validation attendue avant le", null=True, blank=True)
    validated_at = models.DateTimeField("validée le", null=True, blank=True)
    deemed_validated = models.BooleanField("réputée validée (sans réponse)", default=False)
    refused_at = models.DateTimeField("refusée le", null=True, blank=True)
    paid_on = models.DateField("payée le", null=True, blank=True)
    transfer_amount = _money("montant viré", null=True, blank=True)
    rejection_code = models.CharField("motif (code)", max_length=60, blank=True)
    rejection_comment = models.TextField("motif", blank=True)
    payment = models.ForeignKey(
        "invoicing.Payment",
        verbose_name="paiement enregistré",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    error = models.TextField("incident", blank=True)
    last_checked_at = models.DateTimeField("dernière vérification", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "demande de paiement URSSAF"
        verbose_name_plural = "demandes de paiement URSSAF"
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=sorted(s.value for s in LIVE_REQUEST_STATUSES)),
                name="sap_request_one_live_per_invoice",
            )
        ]
        indexes = [models.Index(fields=["entity", "status"], name="sap_request_entity_status")]

    def __str__(self) -> str:
        return f"Demande de paiement — {self.invoice}"
