"""Invoices and credit notes of each entity, their lines, VAT breakdown, numbering and payments.

An issued invoice is a legal snapshot: seller and buyer identity, lines, VAT by rate and totals
are copied in when it is issued, and from then on neither the invoice, its lines nor its VAT
breakdown can be changed or deleted — through ``save()``, ``delete()`` or a queryset's
``update()``/``delete()``. Only a credit note corrects it (``docs/algorithms/invoicing.md``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Round

from tremplin.orders.rules import ServiceKind, Unit

ZERO = Decimal("0.00")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Facture"
    CREDIT_NOTE = "credit_note", "Avoir"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    ISSUED = "issued", "Émise"


class OperationNature(models.TextChoices):
    """Nature of the operations (décret 2022-1299: one of the reform's four new mentions)."""

    SERVICES = "services", "Prestations de services"
    GOODS = "goods", "Livraisons de biens"
    MIXED = "mixed", "Livraisons de biens et prestations de services"


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", "Virement"
    CHEQUE = "cheque", "Chèque"
    CARD = "card", "Carte bancaire"
    DIRECT_DEBIT = "direct_debit", "Prélèvement"
    CESU = "cesu", "CESU préfinancé"
    URSSAF_AI = "urssaf_ai", "Avance immédiate URSSAF"
    CASH = "cash", "Espèces"


class IssuedInvoiceError(Exception):
    """Raised on any attempt to change or delete an issued invoice, its lines or VAT rows."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "Une facture émise ne peut être ni modifiée ni supprimée : établissez un avoir."
        )


def _cents(field: str) -> Cast:
    """An amount as an exact integer number of cents, summable by any database."""
    return Cast(Round(F(field) * 100), models.BigIntegerField())


def _from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _money(max_digits: int = 12, **kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(max_digits=max_digits, decimal_places=2, **kwargs)


class _IssuedGuardQuerySet[M: models.Model](models.QuerySet[M]):
    """A queryset whose bulk writes refuse rows of issued invoices."""

    issued_lookup: ClassVar[str]

    def _touches_issued(self) -> bool:
        return self.filter(**{self.issued_lookup: InvoiceStatus.ISSUED}).exists()

    def update(self, **kwargs: Any) -> int:
        if self._touches_issued():
            raise IssuedInvoiceError()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self._touches_issued():
            raise IssuedInvoiceError()
        return super().delete()


class InvoiceQuerySet(_IssuedGuardQuerySet["Invoice"]):
    issued_lookup = "status"

    def update(self, **kwargs: Any) -> int:
        if kwargs.get("status") == InvoiceStatus.ISSUED:
            raise IssuedInvoiceError("Une facture ne s'émet que par l'action d'émission.")
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        if (
            "status" in fields
            or self.filter(pk__in=[o.pk for o in objs], status=InvoiceStatus.ISSUED).exists()
        ):
            raise IssuedInvoiceError()
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def for_entity(self, entity_id: int) -> InvoiceQuerySet:
        return self.filter(entity_id=entity_id)

    def issued(self) -> InvoiceQuerySet:
        return self.filter(status=InvoiceStatus.ISSUED)

    def with_balance(self) -> InvoiceQuerySet:
        """Annotate ``paid_cents``, ``credited_cents`` (≤ 0) and ``balance_cents``.

        The balance of an invoice is its total incl. VAT, plus its issued credit notes (negative),
        minus its payments; a credit note's own balance is zero (it settles its original). Sums
        are taken in integer cents so that SQLite, which keeps decimals as binary floats, compares
        them exactly (``balance_cents > 0``); ``Invoice.balance`` reads them back as ``Decimal``.
        """
        paid = (
            Payment.objects.filter(invoice=OuterRef("pk"))
            .order_by()
            .values("invoice")
            .annotate(total=Sum(_cents("amount")))
            .values("total")
        )
        credited = (
            Invoice.objects.filter(corrects=OuterRef("pk"), status=InvoiceStatus.ISSUED)
            .order_by()
            .values("corrects")
            .annotate(total=Sum(_cents("total_incl_tax")))
            .values("total")
        )
        cents = models.BigIntegerField()
        return self.annotate(
            paid_cents=Coalesce(Subquery(paid, output_field=cents), Value(0), output_field=cents),
            credited_cents=Coalesce(
                Subquery(credited, output_field=cents), Value(0), output_field=cents
            ),
        ).annotate(
            balance_cents=models.Case(
                models.When(kind=InvoiceKind.CREDIT_NOTE, then=Value(0)),
                default=_cents("total_incl_tax") + F("credited_cents") - F("paid_cents"),
                output_field=cents,
            )
        )

    def overdue(self, today: date) -> InvoiceQuerySet:
        """Issued invoices past their due date with something left to pay."""
        return (
            self.issued()
            .filter(kind=InvoiceKind.INVOICE, due_date__lt=today)
            .with_balance()
            .filter(balance_cents__gt=0)  # type: ignore[misc]
        )


class Invoice(models.Model):
    """An invoice or a credit note of one entity to one of its clients."""

    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name="client", on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(
        "nature", max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    status = models.CharField(
        "état", max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    # Numbering (null until issued): ``series`` is the prefix (FA, AV), ``sequence`` the gapless
    # rank in (entity, series, year), ``number`` the printed number, e.g. FA-2026-00001.
    series = models.CharField("série", max_length=4, blank=True)
    year = models.PositiveSmallIntegerField("année de numérotation", null=True, blank=True)
    sequence = models.PositiveIntegerField("rang", null=True, blank=True)
    number = models.CharField("numéro", max_length=30, null=True, blank=True)
    issue_date = models.DateField("date de facture", null=True, blank=True)
    due_date = models.DateField("date d'échéance", null=True, blank=True)
    period_start = models.DateField("début de la période de prestation", null=True, blank=True)
    period_end = models.DateField("fin de la période de prestation", null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name="facture corrigée",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    credit_reason = models.CharField("motif de l'avoir", max_length=255, blank=True)
    close = models.ForeignKey(
        "closing.MonthlyClose",
        verbose_name="clôture d'origine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )

    # Seller, copied from the entity at issue.
    seller_name = models.CharField("vendeur : raison sociale", max_length=200, blank=True)
    seller_trade_name = models.CharField("vendeur : nom d'usage", max_length=200, blank=True)
    seller_legal_form = models.CharField("vendeur : forme juridique", max_length=60, blank=True)
    seller_address = models.CharField("vendeur : adresse", max_length=255, blank=True)
    seller_postal_code = models.CharField("vendeur : code postal", max_length=10, blank=True)
    seller_city = models.CharField("vendeur : commune", max_length=100, blank=True)
    seller_siren = models.CharField("vendeur : SIREN", max_length=9, blank=True)
    seller_siret = models.CharField("vendeur : SIRET", max_length=14, blank=True)
    seller_vat_number = models.CharField("vendeur : n° de TVA", max_length=13, blank=True)
    seller_naf_code = models.CharField("vendeur : code NAF", max_length=6, blank=True)
    seller_vat_regime = models.CharField("vendeur : régime de TVA", max_length=20, blank=True)
    seller_sap_declaration = models.CharField(
        "vendeur : n° de déclaration SAP", max_length=50, blank=True
    )
    seller_sap_declared_on = models.DateField(
        "vendeur : date de déclaration SAP", null=True, blank=True
    )

    # Buyer, copied from the client at issue.
    buyer_name = models.CharField("client : nom", max_length=200, blank=True)
    buyer_kind = models.CharField("client : type", max_length=16, blank=True)
    buyer_address = models.CharField("client : adresse", max_length=255, blank=True)
    buyer_postal_code = models.CharField("client : code postal", max_length=10, blank=True)
    buyer_city = models.CharField("client : commune", max_length=100, blank=True)
    buyer_siren = models.CharField("client : SIREN", max_length=9, blank=True)
    buyer_siret = models.CharField("client : SIRET", max_length=14, blank=True)
    # 14 characters: the longest intra-community numbers (NL, SE, LT, XI), as on the client.
    buyer_vat_number = models.CharField("client : n° de TVA", max_length=14, blank=True)
    buyer_email = models.EmailField("client : adresse e-mail", blank=True)
    delivery_site = models.ForeignKey(
        "clients.ClientSite",
        verbose_name="lieu de livraison",
        null=True,
        blank=True,
        # PROTECT: a cascade SET_NULL would write into issued invoices.
        on_delete=models.PROTECT,
        related_name="+",
    )
    buyer_delivery_name = models.CharField("livraison : lieu", max_length=200, blank=True)
    buyer_delivery_address = models.CharField("livraison : adresse", max_length=255, blank=True)
    buyer_delivery_postal_code = models.CharField(
        "livraison : code postal", max_length=10, blank=True
    )
    buyer_delivery_city = models.CharField("livraison : commune", max_length=100, blank=True)
    buyer_chorus_service_code = models.CharField(
        "client : code service Chorus Pro", max_length=100, blank=True
    )
    buyer_chorus_engagement_number = models.CharField(
        "client : numéro d'engagement", max_length=50, blank=True
    )

    # Terms and mentions.
    operation_nature = models.CharField(
        "nature des opérations",
        max_length=10,
        choices=OperationNature.choices,
        default=OperationNature.SERVICES,
    )
    vat_on_debits = models.BooleanField(
        "option pour le paiement de la TVA d'après les débits", default=False
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        "délai de paiement (jours)", default=30, help_text="0 : paiement à réception."
    )
    payment_terms = models.CharField("conditions de paiement", max_length=255, blank=True)
    late_penalty_rate = models.DecimalField(
        "taux des pénalités de retard (%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    recovery_indemnity = _money(
        9, verbose_name="indemnité forfaitaire de recouvrement (€)", null=True, blank=True
    )
    vat_exemption = models.CharField("mention d'exonération de TVA", max_length=255, blank=True)
    mentions = models.JSONField("mentions légales", default=list, blank=True)
    note = models.TextField("note", blank=True)

    total_excl_tax = _money(verbose_name="total HT", default=ZERO)
    total_vat = _money(verbose_name="total TVA", default=ZERO)
    total_incl_tax = _money(verbose_name="total TTC", default=ZERO)
    is_sap = models.BooleanField("facture de services à la personne", default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField("émise le", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ["-issue_date", "-sequence", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "number"], name="invoice_unique_number"),
            models.UniqueConstraint(
                fields=["entity", "series", "year", "sequence"], name="invoice_unique_sequence"
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT)
                | Q(
                    number__isnull=False,
                    sequence__isnull=False,
                    year__isnull=False,
                    issue_date__isnull=False,
                ),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, corrects__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, corrects__isnull=False),
                name="invoice_credit_note_corrects",
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "status", "issue_date"], name="invoice_entity_status"),
            models.Index(fields=["entity", "due_date"], name="invoice_entity_due"),
        ]

    def __str__(self) -> str:
        label = InvoiceKind(self.kind).label
        if self.number:
            return f"{label} n° {self.number}"
        return f"{label} (brouillon n° {self.pk})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Field-level invariant (style rule 7): what is stored as issued never changes.
        if self._stored_status() == InvoiceStatus.ISSUED:
            raise IssuedInvoiceError()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status == InvoiceStatus.ISSUED or self._stored_status() == InvoiceStatus.ISSUED:
            raise IssuedInvoiceError()
        return super().delete(*args, **kwargs)

    @property
    def is_issued(self) -> bool:
        return self.status == InvoiceStatus.ISSUED

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def amount_paid(self) -> Decimal:
        """Sum of the payments (refunds negative)."""
        cents = getattr(self, "paid_cents", None)
        if cents is not None:
            return _from_cents(cents)
        if self.pk is None:
            return ZERO
        return Decimal(self.payments.aggregate(total=Sum("amount"))["total"] or ZERO)

    @property
    def balance(self) -> Decimal:
        """Total incl. VAT plus issued credit notes minus payments (see ``with_balance``)."""
        cents = getattr(self, "balance_cents", None)
        if cents is not None:
            return _from_cents(cents)
        if self.kind == InvoiceKind.CREDIT_NOTE or self.pk is None:
            return ZERO
        credited = (
            self.credit_notes.filter(status=InvoiceStatus.ISSUED).aggregate(
                total=Sum("total_incl_tax")
            )["total"]
            or ZERO
        )
        return Decimal(self.total_incl_tax) + Decimal(credited) - self.amount_paid

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return (
            type(self)
            ._base_manager.filter(pk=self.pk)
            .values_list("status", flat=True)
            .order_by()
            .first()
        )


class _InvoicePartQuerySet[M: models.Model](_IssuedGuardQuerySet[M]):
    issued_lookup = "invoice__status"

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[M]:
        objs = list(objs)
        ids = {o.invoice_id for o in objs}
        if Invoice._base_manager.filter(pk__in=ids, status=InvoiceStatus.ISSUED).exists():
            raise IssuedInvoiceError()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        if self.filter(pk__in=[o.pk for o in objs], invoice__status=InvoiceStatus.ISSUED).exists():
            raise IssuedInvoiceError()
        return super().bulk_update(objs, fields, batch_size=batch_size)


class _InvoicePart(models.Model):
    """A row that belongs to an invoice and freezes with it."""

    invoice_id: int

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._invoice_issued():
            raise IssuedInvoiceError()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self._invoice_issued():
            raise IssuedInvoiceError()
        return super().delete(*args, **kwargs)

    def _invoice_issued(self) -> bool:
        return Invoice._base_manager.filter(
            pk=self.invoice_id, status=InvoiceStatus.ISSUED
        ).exists()


class InvoiceLineQuerySet(_InvoicePartQuerySet["InvoiceLine"]):
    pass


class InvoiceLine(_InvoicePart):
    """One line: quantity × unit price excl. VAT, at one VAT rate (percent)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField("position", default=1)
    service = models.ForeignKey(
        "orders.Service",
        verbose_name="prestation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    label = models.CharField("désignation", max_length=255)
    activity = models.CharField(
        "nature de la prestation", max_length=20, choices=ServiceKind.choices
    )
    analytic_code = models.CharField("code analytique", max_length=20, blank=True)
    quantity = models.DecimalField("quantité", max_digits=10, decimal_places=2)
    unit = models.CharField("unité", max_length=10, choices=Unit.choices, default=Unit.HOUR)
    unit_price = models.DecimalField("prix unitaire HT (€)", max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField("taux de TVA (%)", max_digits=5, decimal_places=2)
    amount_excl_tax = _money(verbose_name="montant HT")
    vat_amount = _money(verbose_name="TVA de la ligne (indicative)", default=ZERO)
    worker_name = models.CharField("intervenant", max_length=200, blank=True)
    hours = models.DecimalField(
        "heures d'intervention", max_digits=7, decimal_places=2, null=True, blank=True
    )
    sap_eligible = models.BooleanField("ouvre droit au crédit d'impôt", default=False)
    # On a credit note: the line of the original invoice this line credits.
    credits_line = models.ForeignKey(
        "self",
        verbose_name="ligne créditée",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_lines",
    )

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ["invoice", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class InvoiceVatAmountQuerySet(_InvoicePartQuerySet["InvoiceVatAmount"]):
    pass


class InvoiceVatAmount(_InvoicePart):
    """The VAT of one rate on an invoice: base excl. VAT and VAT, each rounded to the cent."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="vat_amounts")
    rate = models.DecimalField("taux de TVA (%)", max_digits=5, decimal_places=2)
    base_excl_tax = _money(verbose_name="base HT")
    vat_amount = _money(verbose_name="montant de TVA")

    objects = InvoiceVatAmountQuerySet.as_manager()

    class Meta:
        verbose_name = "TVA par taux"
        verbose_name_plural = "TVA par taux"
        ordering = ["invoice", "rate"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "rate"], name="invoice_vat_one_per_rate")
        ]

    def __str__(self) -> str:
        return f"TVA {self.rate} %"


class InvoiceCounter(models.Model):
    """The last sequence given in one numbering series (entity, series, year).

    Locked (``select_for_update``) by the issuing transaction and incremented in it: a failed
    issue rolls the increment back, so numbers never skip.
    """

    entity = models.ForeignKey(
        "organisations.Entity", on_delete=models.PROTECT, related_name="invoice_counters"
    )
    series = models.CharField("série", max_length=4)
    year = models.PositiveSmallIntegerField("année")
    last_sequence = models.PositiveIntegerField("dernier rang attribué", default=0)

    class Meta:
        verbose_name = "compteur de numérotation"
        verbose_name_plural = "compteurs de numérotation"
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "series", "year"], name="invoice_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year} ({self.last_sequence})"


class Payment(models.Model):
    """Money received for an invoice; negative when the entity refunds a credited balance."""

    invoice = models.ForeignKey(
        Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="payments"
    )
    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.PROTECT,
        related_name="invoice_payments",
    )
    paid_on = models.DateField("date du paiement")
    amount = _money(verbose_name="montant (€)")
    method = models.CharField("moyen de paiement", max_length=14, choices=PaymentMethod.choices)
    reference = models.CharField("référence", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "paiement"
        verbose_name_plural = "paiements"
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_amount_not_zero")
        ]

    def __str__(self) -> str:
        return f"Paiement du {self.paid_on:%d/%m/%Y}"
