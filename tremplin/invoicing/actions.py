"""Preparing, issuing and correcting invoices, and recording payments.

Every function is atomic, takes the actor as ``by=`` and writes one audit entry. Issuing takes
the next number of the series inside the same transaction (``_next_sequence``), so a failed
issue rolls the counter back with everything else and leaves no gap
(``docs/algorithms/invoicing.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from tremplin.clients.models import Client, ClientSite
from tremplin.clients.rules import ClientKind
from tremplin.closing import rules as closing_rules
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.core import audit, dates
from tremplin.core.money import format_euros, format_number
from tremplin.invoicing import rules
from tremplin.invoicing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoiceVatAmount,
    OperationNature,
    Payment,
    PaymentMethod,
)
from tremplin.orders.models import ClientPrice, Service
from tremplin.orders.rules import SAP_KINDS, ServiceKind, unit_price_on, vat_rate
from tremplin.organisations.models import Entity, SapDeclaration
from tremplin.organisations.rules import LegalForm
from tremplin.people.models import Person
from tremplin.timesheets.models import EntryStatus, TimeEntry

if TYPE_CHECKING:
    from tremplin.accounts.models import User


BATCH_SIZE = 1000

# --- Helpers -------------------------------------------------------------------------------


def sap_declaration_on(entity: Entity, day: date) -> SapDeclaration | None:
    """The entity's SAP declaration in force on ``day`` (latest first), if any."""
    return (
        entity.sap_declarations.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day), declared_on__lte=day
        )
        .order_by("-declared_on", "-pk")
        .first()
    )


def _line_is_sap(activity: str, *, household: bool, declared: bool) -> bool:
    return household and declared and activity in SAP_KINDS


def _lock(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("entity", "client", "corrects")
        .get(pk=invoice.pk)
    )


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            f"{invoice} est émise : elle ne peut plus être modifiée. Établissez un avoir."
        )


def refresh_totals(invoice: Invoice) -> None:
    """Recompute a draft invoice's line amounts, VAT by rate, totals and SAP flags from its
    lines (a credit note's amounts are set once, by ``issue_credit_note``)."""
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValueError("refresh_totals: only invoices are recomputed")
    household = invoice.client.kind == ClientKind.HOUSEHOLD
    day = invoice.period_end or invoice.issue_date or dates.today()
    declared = sap_declaration_on(invoice.entity, day) is not None
    lines = list(invoice.lines.all())
    for line in lines:
        line.amount_excl_tax = rules.line_amount(line.quantity, line.unit_price)
        line.vat_amount = rules.vat_of(line.amount_excl_tax, line.vat_rate)
        line.sap_eligible = _line_is_sap(line.activity, household=household, declared=declared)
    InvoiceLine.objects.bulk_update(lines, ["amount_excl_tax", "vat_amount", "sap_eligible"])
    groups = rules.vat_groups((line.amount_excl_tax, line.vat_rate) for line in lines)
    _write_groups(invoice, groups)
    totals = rules.totals_from_groups(groups)
    invoice.total_excl_tax = totals.excl_tax
    invoice.total_vat = totals.vat
    invoice.total_incl_tax = totals.incl_tax
    invoice.is_sap = any(line.sap_eligible for line in lines)
    invoice.save(update_fields=["total_excl_tax", "total_vat", "total_incl_tax", "is_sap"])


def _totals_current(invoice: Invoice, lines: list[InvoiceLine]) -> bool:
    """Whether a draft's stored amounts, VAT rows and totals match its lines (drafts changed
    through this module always do; issuing then skips rewriting them)."""
    if any(
        line.amount_excl_tax != rules.line_amount(line.quantity, line.unit_price) for line in lines
    ):
        return False
    totals = rules.totals((line.amount_excl_tax, line.vat_rate) for line in lines)
    stored = sorted(
        (rules.rate_key(v.rate), v.base_excl_tax, v.vat_amount) for v in invoice.vat_amounts.all()
    )
    return stored == [(g.rate, g.base, g.vat) for g in totals.groups] and (
        invoice.total_excl_tax,
        invoice.total_vat,
        invoice.total_incl_tax,
    ) == (totals.excl_tax, totals.vat, totals.incl_tax)


def _write_groups(invoice: Invoice, groups: tuple[rules.VatGroup, ...]) -> None:
    invoice.vat_amounts.all().delete()
    InvoiceVatAmount.objects.bulk_create(
        [
            InvoiceVatAmount(invoice=invoice, rate=g.rate, base_excl_tax=g.base, vat_amount=g.vat)
            for g in groups
        ]
    )


def _price_on(client: Client, service: Service, day: date) -> Decimal:
    prices = [
        (p.valid_from, p.valid_to, p.unit_price)
        for p in ClientPrice.objects.filter(client=client, service=service)
    ]
    return unit_price_on(prices, service.unit_price, day)


def _vat_rate_for(entity: Entity, kind: str, day: date) -> Decimal:
    declared = sap_declaration_on(entity, day) is not None
    rate = vat_rate(ServiceKind(kind), on=day, sap_declared=declared)
    return rules.effective_vat_rate(rate, entity.vat_regime)


def _single_site(client: Client) -> ClientSite | None:
    sites = list(client.sites.all()[:2])
    return sites[0] if len(sites) == 1 else None


# --- Drafts --------------------------------------------------------------------------------


@transaction.atomic
def create_draft(
    entity: Entity,
    *,
    client: Client,
    by: User | None,
    period_start: date | None = None,
    period_end: date | None = None,
    payment_terms_days: int | None = None,
    operation_nature: str = OperationNature.SERVICES,
    vat_on_debits: bool = False,
    delivery_site: ClientSite | None = None,
    note: str = "",
) -> Invoice:
    """Start an invoice by hand for a client of ``entity``; lines are added next."""
    if client.entity_id != entity.pk:
        raise ValidationError(f"Le client « {client} » n'est pas un client de {entity}.")
    day = period_end or dates.today()
    days = rules.DEFAULT_PAYMENT_DAYS.on(day) if payment_terms_days is None else payment_terms_days
    if error := rules.payment_days_error(days, client_kind=client.kind, on=day):
        raise ValidationError({"payment_terms_days": error})
    invoice = Invoice.objects.create(
        entity=entity,
        client=client,
        period_start=period_start,
        period_end=period_end,
        payment_terms_days=days,
        operation_nature=operation_nature,
        vat_on_debits=vat_on_debits,
        delivery_site=delivery_site if delivery_site is not None else _single_site(client),
        note=note,
        created_by=by,
    )
    audit.log(invoice, "invoicing.draft_created", by=by, data={"client": client.pk})
    return invoice


@transaction.atomic
def update_draft(invoice: Invoice, *, by: User | None, **fields: Any) -> Invoice:
    """Change a draft's period, terms, delivery site, options or note."""
    invoice = _lock(invoice)
    _require_draft(invoice)
    allowed = {
        "period_start",
        "period_end",
        "payment_terms_days",
        "operation_nature",
        "vat_on_debits",
        "delivery_site",
        "note",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"update_draft: unexpected fields {sorted(unknown)}")
    day = fields.get("period_end") or invoice.period_end or dates.today()
    days = fields.get("payment_terms_days", invoice.payment_terms_days)
    if error := rules.payment_days_error(days, client_kind=invoice.client.kind, on=day):
        raise ValidationError({"payment_terms_days": error})
    site = fields.get("delivery_site")
    if site is not None and site.client_id != invoice.client_id:
        raise ValidationError({"delivery_site": "Ce lieu n'appartient pas au client facturé."})
    for name, value in fields.items():
        setattr(invoice, name, value)
    invoice.save(update_fields=list(fields))
    audit.log(invoice, "invoicing.draft_updated", by=by, data={"fields": sorted(fields)})
    return invoice


@transaction.atomic
def add_line(
    invoice: Invoice,
    *,
    by: User | None,
    service: Service,
    quantity: Decimal,
    label: str = "",
    unit_price: Decimal | None = None,
    worker_name: str = "",
    hours: Decimal | None = None,
) -> InvoiceLine:
    """Add a catalogue service to a draft, at the client's price and the service's VAT rate
    in force on the last day of the invoiced period (or today)."""
    invoice = _lock(invoice)
    _require_draft(invoice)
    if service.entity_id != invoice.entity_id:
        raise ValidationError(
            {"service": "Cette prestation n'est pas au catalogue de la structure."}
        )
    day = invoice.period_end or dates.today()
    price = _price_on(invoice.client, service, day) if unit_price is None else unit_price
    position = (invoice.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line = InvoiceLine.objects.create(
        invoice=invoice,
        position=position,
        service=service,
        label=label or service.name,
        activity=service.kind,
        analytic_code=service.analytic_code,
        quantity=quantity,
        unit=service.unit,
        unit_price=price,
        vat_rate=_vat_rate_for(invoice.entity, service.kind, day),
        amount_excl_tax=rules.line_amount(quantity, price),
        worker_name=worker_name,
        hours=hours,
    )
    refresh_totals(invoice)
    line.refresh_from_db()
    audit.log(
        invoice,
        "invoicing.line_added",
        by=by,
        data={"line": line.pk, "label": line.label, "quantity": str(quantity)},
    )
    return line


@transaction.atomic
def update_line(
    line: InvoiceLine,
    *,
    by: User | None,
    label: str,
    quantity: Decimal,
    unit_price: Decimal,
    worker_name: str = "",
    hours: Decimal | None = None,
) -> InvoiceLine:
    """Change a draft line's designation, quantity, price and SAP details."""
    invoice = _lock(line.invoice)
    _require_draft(invoice)
    line = InvoiceLine.objects.get(pk=line.pk)
    before = {"label": line.label, "quantity": str(line.quantity), "price": str(line.unit_price)}
    line.label, line.quantity, line.unit_price = label, quantity, unit_price
    line.worker_name, line.hours = worker_name, hours
    line.amount_excl_tax = rules.line_amount(quantity, unit_price)
    line.save()
    refresh_totals(invoice)
    line.refresh_from_db()
    audit.log(
        invoice,
        "invoicing.line_updated",
        by=by,
        data={
            "line": line.pk,
            "before": before,
            "after": {"label": label, "quantity": str(quantity), "price": str(unit_price)},
        },
    )
    return line


@transaction.atomic
def delete_line(line: InvoiceLine, *, by: User | None) -> None:
    invoice = _lock(line.invoice)
    _require_draft(invoice)
    label = line.label
    InvoiceLine.objects.filter(pk=line.pk).delete()
    refresh_totals(invoice)
    audit.log(invoice, "invoicing.line_deleted", by=by, data={"label": label})


@transaction.atomic
def delete_draft(invoice: Invoice, *, by: User | None) -> None:
    """Drop a draft (never numbered, so no gap): the event stays in the entity's audit log."""
    invoice = _lock(invoice)
    _require_draft(invoice)
    audit.log(
        invoice.entity,
        "invoicing.draft_deleted",
        by=by,
        data={
            "draft": invoice.pk,
            "client": invoice.client_id,
            "total": str(invoice.total_incl_tax),
        },
    )
    invoice.delete()


# --- From the monthly close ----------------------------------------------------------------


def _sap_workers(close: MonthlyClose) -> dict[tuple[int, int], list[tuple[str, Decimal]]]:
    """Per (client, service): the workers and their hours in the closed month (SAP mentions)."""
    first, last = closing_rules.month_bounds(close.year, close.month)
    billed = Coalesce("service_id", "intervention__order__service_id")
    rows = list(
        TimeEntry.objects.filter(
            entity_id=close.entity_id,
            day__gte=first,
            day__lte=last,
            # The close reads validated hours (older closes locked them); a closed month's
            # hours no longer change.
            status__in=(EntryStatus.VALIDATED, EntryStatus.LOCKED),
            client__kind=ClientKind.HOUSEHOLD,
        )
        .annotate(billed_service=billed)
        .filter(billed_service__isnull=False)
        .values("client_id", "billed_service", "person_id")
        .annotate(hours=Sum("hours"))
        .order_by("client_id", "billed_service", "person_id")
    )
    people = Person.objects.in_bulk({row["person_id"] for row in rows})
    workers: dict[tuple[int, int], list[tuple[str, Decimal]]] = defaultdict(list)
    for row in rows:
        workers[(row["client_id"], row["billed_service"])].append(
            (people[row["person_id"]].full_name, Decimal(row["hours"]).quantize(Decimal("0.01")))
        )
    for names in workers.values():
        names.sort()
    return workers


def _workers_text(workers: list[tuple[str, Decimal]]) -> str:
    return ", ".join(f"{name} ({format_number(hours)} h)" for name, hours in workers)[:200]


@transaction.atomic
def invoices_from_close(close: MonthlyClose, *, by: User | None) -> list[Invoice]:
    """Turn the invoice drafts of a closed month into draft invoices, one per client.

    Idempotent: a client that already has an invoice from this close (draft or issued) keeps
    it untouched; only the missing ones are created. Returns the close's invoices.
    """
    close = (
        MonthlyClose.objects.select_for_update(of=("self",))
        .select_related("entity")
        .get(pk=close.pk)
    )
    if close.status != CloseStatus.CLOSED:
        raise ValidationError(
            "Les factures se préparent à partir d'un mois clôturé "
            f"(état de la clôture : {close.get_status_display().lower()})."
        )
    entity = close.entity
    first, last = closing_rules.month_bounds(close.year, close.month)
    existing = set(
        Invoice.objects.filter(close=close, kind=InvoiceKind.INVOICE).values_list(
            "client_id", flat=True
        )
    )
    drafts = [
        d
        for d in close.invoice_drafts.select_related("client").prefetch_related(
            "lines__service", "client__sites"
        )
        if d.client_id not in existing
    ]
    declared = sap_declaration_on(entity, last) is not None
    workers = _sap_workers(close) if declared and drafts else {}
    days = rules.DEFAULT_PAYMENT_DAYS.on(last)
    # Built in memory and written in three bulk inserts: a close may have thousands of clients.
    invoices: list[Invoice] = []
    lines_of: list[list[InvoiceLine]] = []
    for draft in drafts:
        sites = list(draft.client.sites.all())
        household = draft.client.kind == ClientKind.HOUSEHOLD
        lines = []
        for position, src in enumerate(
            sorted(draft.lines.all(), key=lambda x: (x.label, x.pk)), start=1
        ):
            service = src.service
            sap = _line_is_sap(service.kind, household=household, declared=declared)
            who = workers.get((draft.client_id, service.pk), []) if sap else []
            amount = rules.line_amount(src.quantity, src.unit_price)
            rate = rules.effective_vat_rate(src.vat_rate, entity.vat_regime)
            lines.append(
                InvoiceLine(
                    position=position,
                    service=service,
                    label=src.label,
                    activity=service.kind,
                    analytic_code=service.analytic_code,
                    quantity=src.quantity,
                    unit=service.unit,
                    unit_price=src.unit_price,
                    vat_rate=rate,
                    amount_excl_tax=amount,
                    vat_amount=rules.vat_of(amount, rate),
                    worker_name=_workers_text(who),
                    hours=sum((h for _, h in who), Decimal(0)) if who else None,
                    sap_eligible=sap,
                )
            )
        totals = rules.totals((line.amount_excl_tax, line.vat_rate) for line in lines)
        invoices.append(
            Invoice(
                entity=entity,
                client=draft.client,
                close=close,
                period_start=first,
                period_end=last,
                payment_terms_days=days,
                delivery_site=sites[0] if len(sites) == 1 else None,
                total_excl_tax=totals.excl_tax,
                total_vat=totals.vat,
                total_incl_tax=totals.incl_tax,
                is_sap=any(line.sap_eligible for line in lines),
                created_by=by,
            )
        )
        lines_of.append(lines)
    created = Invoice.objects.bulk_create(invoices, batch_size=BATCH_SIZE)
    all_lines, vat_rows = [], []
    for invoice, lines in zip(created, lines_of, strict=True):
        for line in lines:
            line.invoice = invoice
            all_lines.append(line)
        for group in rules.vat_groups((line.amount_excl_tax, line.vat_rate) for line in lines):
            vat_rows.append(
                InvoiceVatAmount(
                    invoice=invoice, rate=group.rate, base_excl_tax=group.base, vat_amount=group.vat
                )
            )
    InvoiceLine.objects.bulk_create(all_lines, batch_size=BATCH_SIZE)
    InvoiceVatAmount.objects.bulk_create(vat_rows, batch_size=BATCH_SIZE)
    audit.log(
        close,
        "invoicing.prepared_from_close",
        by=by,
        data={"created": len(created), "kept": len(existing)},
    )
    return list(
        Invoice.objects.filter(close=close, kind=InvoiceKind.INVOICE)
        .select_related("client")
        .order_by("client__name", "pk")
    )


# --- Issuing -------------------------------------------------------------------------------


def _next_sequence(entity: Entity, series: str, year: int) -> int:
    """Take the next rank of a series; the counter row stays locked until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the counter serialises the issuers of one series.
    SQLite: the transaction began with ``BEGIN IMMEDIATE`` (settings), so it already holds the
    database's single write lock. Either way a rollback gives the rank back.
    """
    counter, _ = InvoiceCounter.objects.select_for_update().get_or_create(
        entity=entity, series=series, year=year
    )
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    return counter.last_sequence


def _seller_snapshot(invoice: Invoice, entity: Entity, day: date) -> list[str]:
    """Copy the entity's identity; return the French names of what is missing."""
    invoice.seller_name = entity.legal_name
    invoice.seller_trade_name = entity.name if entity.name != entity.legal_name else ""
    invoice.seller_legal_form = LegalForm(entity.legal_form).label if entity.legal_form else ""
    invoice.seller_address = entity.address
    invoice.seller_postal_code = entity.postal_code
    invoice.seller_city = entity.city
    invoice.seller_siren = entity.siren
    invoice.seller_siret = entity.siret
    invoice.seller_vat_number = entity.vat_number
    invoice.seller_naf_code = entity.naf_code
    invoice.seller_vat_regime = entity.vat_regime
    missing = rules.missing_identity(
        {
            "raison sociale": entity.legal_name,
            "adresse": entity.address,
            "code postal": entity.postal_code,
            "commune": entity.city,
            "SIREN": entity.siren,
            "SIRET": entity.siret,
        }
    )
    taxed = entity.vat_regime not in rules.VAT_EXEMPTION_MENTIONS
    if taxed and not entity.vat_number:
        missing.append("n° de TVA intracommunautaire")
    original = invoice.corrects
    if invoice.is_sap and original is not None:
        # A credit note refers to the declaration its original was issued under.
        invoice.seller_sap_declaration = original.seller_sap_declaration
        invoice.seller_sap_declared_on = original.seller_sap_declared_on
    elif invoice.is_sap:
        declaration = sap_declaration_on(entity, day)
        if declaration is None:
            missing.append("déclaration de services à la personne en vigueur")
        else:
            invoice.seller_sap_declaration = declaration.number
            invoice.seller_sap_declared_on = declaration.declared_on
    return missing


def _buyer_snapshot(invoice: Invoice, client: Client) -> list[str]:
    invoice.buyer_name = client.name
    invoice.buyer_kind = client.kind
    invoice.buyer_address = client.address
    invoice.buyer_postal_code = client.postal_code
    invoice.buyer_city = client.city
    invoice.buyer_siret = client.siret
    invoice.buyer_siren = rules.siren_of(client.siret)
    invoice.buyer_vat_number = client.vat_number
    invoice.buyer_email = client.email
    invoice.buyer_chorus_service_code = client.chorus_service_code
    invoice.buyer_chorus_engagement_number = client.chorus_engagement_number
    site = invoice.delivery_site
    if site is not None:
        invoice.buyer_delivery_name = site.name
        invoice.buyer_delivery_address = site.address
        invoice.buyer_delivery_postal_code = site.postal_code
        invoice.buyer_delivery_city = site.city
    return rules.missing_identity(
        {"adresse": client.address, "code postal": client.postal_code, "commune": client.city}
    )


def _issue(invoice: Invoice, *, by: User | None, issue_date: date, today: date) -> Invoice:
    """Number and freeze a locked draft (the caller holds the transaction)."""
    entity, client = invoice.entity, invoice.client
    lines = list(invoice.lines.all())
    if not lines:
        raise ValidationError(f"{invoice} n'a aucune ligne : ajoutez au moins une prestation.")
    if invoice.kind == InvoiceKind.INVOICE:
        if not _totals_current(invoice, lines):
            refresh_totals(invoice)
        if invoice.total_incl_tax <= 0:
            raise ValidationError(
                f"Le total de {invoice} est de {format_euros(invoice.total_incl_tax)} : une "
                "facture doit avoir un total positif (une correction se fait par avoir)."
            )
    problems = []
    if missing := _seller_snapshot(invoice, entity, issue_date):
        problems.append(f"la structure {entity} n'a pas de {', '.join(missing)}")
    if missing := _buyer_snapshot(invoice, client):
        problems.append(f"le client {client} n'a pas de {', '.join(missing)}")
    if problems:
        raise ValidationError(
            "Émission impossible : " + " ; ".join(problems) + ". Complétez leur fiche puis "
            "émettez à nouveau."
        )
    series = rules.series_for(invoice.kind == InvoiceKind.CREDIT_NOTE)
    year = issue_date.year
    sequence = _next_sequence(entity, series, year)
    last = Invoice.objects.filter(
        entity=entity, series=series, status=InvoiceStatus.ISSUED
    ).aggregate(m=Max("issue_date"))["m"]
    if error := rules.issue_date_error(issue_date, last, today):
        raise ValidationError({"issue_date": error})
    due = (
        issue_date
        if invoice.kind == InvoiceKind.CREDIT_NOTE
        else rules.due_date(issue_date, invoice.payment_terms_days)
    )
    original = invoice.corrects
    mentions = rules.legal_mentions(
        rules.MentionFacts(
            issue_date=issue_date,
            due_date=due,
            payment_days=invoice.payment_terms_days,
            client_kind=client.kind,
            seller_vat_regime=entity.vat_regime,
            operation_nature_label=OperationNature(invoice.operation_nature).label,
            vat_on_debits=invoice.vat_on_debits,
            is_sap=invoice.is_sap,
            sap_declaration=invoice.seller_sap_declaration,
            sap_declared_on=invoice.seller_sap_declared_on,
            corrects_number=(original.number or "") if original else "",
            corrects_issue_date=original.issue_date if original else None,
            credit_reason=invoice.credit_reason,
        )
    )
    invoice.series, invoice.year, invoice.sequence = series, year, sequence
    invoice.number = rules.format_number_of(series, year, sequence)
    invoice.issue_date, invoice.due_date = issue_date, due
    invoice.payment_terms = mentions.payment_terms
    invoice.late_penalty_rate = mentions.late_penalty_rate
    invoice.recovery_indemnity = mentions.recovery_indemnity
    invoice.vat_exemption = mentions.vat_exemption
    invoice.mentions = list(mentions.lines)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_at = timezone.now()
    invoice.issued_by = by
    invoice.save()
    audit.log(
        invoice,
        "invoicing.credit_note_issued" if invoice.is_credit_note else "invoicing.issued",
        by=by,
        data={
            "number": invoice.number,
            "total_incl_tax": str(invoice.total_incl_tax),
            "corrects": original.number if original else None,
        },
    )
    return invoice


@transaction.atomic
def issue_invoice(invoice: Invoice, *, by: User | None, issue_date: date | None = None) -> Invoice:
    """Issue a draft: copy seller and buyer in, number it, freeze it (C. com. L441-9)."""
    today = dates.today()
    invoice = _lock(invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError("Un avoir s'établit depuis la facture qu'il corrige.")
    _require_draft(invoice)
    return _issue(invoice, by=by, issue_date=issue_date or today, today=today)


@dataclass(frozen=True, slots=True)
class CreditableLine:
    line: InvoiceLine
    left_quantity: Decimal
    left_amount: Decimal


def creditable_lines(original: Invoice) -> list[CreditableLine]:
    """What is left to credit on each line of an issued invoice (quantity and amount)."""
    credited = {
        row["credits_line"]: (row["q"], row["a"])
        for row in InvoiceLine.objects.filter(
            credits_line__invoice=original, invoice__status=InvoiceStatus.ISSUED
        )
        .values("credits_line")
        .annotate(q=Sum("quantity"), a=Sum("amount_excl_tax"))
        .order_by()
    }
    result = []
    for line in original.lines.all():
        q, a = credited.get(line.pk, (Decimal(0), Decimal(0)))
        result.append(
            CreditableLine(
                line=line,
                left_quantity=line.quantity + Decimal(q),
                left_amount=line.amount_excl_tax + Decimal(a),
            )
        )
    return result


@transaction.atomic
def issue_credit_note(
    original: Invoice,
    *,
    by: User | None,
    lines: Mapping[int, Decimal] | None = None,
    reason: str,
    issue_date: date | None = None,
) -> Invoice:
    """Issue a credit note (avoir) correcting ``original``, in full or for some quantities.

    ``lines`` maps line ids of the original to the quantity to credit; ``None`` credits all
    that is left. The credit note never exceeds what is left: per line, quantity and amount;
    per rate, base and VAT (``rules.credit_note_groups``). Original + credit notes of all of
    it sum to zero.
    """
    today = dates.today()
    original = _lock(original)
    if original.kind != InvoiceKind.INVOICE or original.status != InvoiceStatus.ISSUED:
        raise ValidationError("Un avoir ne peut corriger qu'une facture émise.")
    if not reason.strip():
        raise ValidationError({"reason": "Indiquez le motif de l'avoir."})
    left = creditable_lines(original)
    if lines is not None:
        unknown = set(lines) - {c.line.pk for c in left}
        if unknown:
            raise ValidationError("Une ligne à créditer n'appartient pas à cette facture.")
    errors = []
    chosen: list[tuple[CreditableLine, Decimal]] = []
    for c in left:
        quantity = c.left_quantity if lines is None else Decimal(lines.get(c.line.pk, 0))
        if error := rules.credit_quantity_error(
            label=c.line.label,
            position=c.line.position,
            asked=quantity,
            invoiced=c.line.quantity,
            already_credited=c.line.quantity - c.left_quantity,
        ):
            errors.append(error)
        elif quantity > 0:
            chosen.append((c, quantity))
    if errors:
        raise ValidationError(errors)
    if not chosen:
        raise ValidationError("Rien à créditer : indiquez au moins une quantité.")
    note = Invoice.objects.create(
        entity=original.entity,
        client=original.client,
        kind=InvoiceKind.CREDIT_NOTE,
        corrects=original,
        credit_reason=reason.strip()[:255],
        period_start=original.period_start,
        period_end=original.period_end,
        payment_terms_days=0,
        operation_nature=original.operation_nature,
        vat_on_debits=original.vat_on_debits,
        delivery_site=original.delivery_site,
        is_sap=original.is_sap,
        created_by=by,
    )
    new_lines = []
    for position, (c, quantity) in enumerate(chosen, start=1):
        src = c.line
        amount = rules.credit_line_amount(
            quantity, src.unit_price, left_quantity=c.left_quantity, left_amount=c.left_amount
        )
        share = quantity / src.quantity if src.quantity else Decimal(0)
        new_lines.append(
            InvoiceLine(
                invoice=note,
                position=position,
                service=src.service,
                label=src.label,
                activity=src.activity,
                analytic_code=src.analytic_code,
                quantity=-quantity,
                unit=src.unit,
                unit_price=src.unit_price,
                vat_rate=src.vat_rate,
                amount_excl_tax=amount,
                vat_amount=rules.vat_of(amount, src.vat_rate),
                worker_name=src.worker_name,
                hours=-(src.hours * share).quantize(Decimal("0.01")) if src.hours else None,
                sap_eligible=src.sap_eligible,
                credits_line=src,
            )
        )
    InvoiceLine.objects.bulk_create(new_lines)
    # VAT per rate, capped at what is left of the original's VAT at that rate.
    remaining: dict[Decimal, rules.VatGroup] = {}
    for g in original.vat_amounts.all():
        remaining[rules.rate_key(g.rate)] = rules.VatGroup(g.rate, g.base_excl_tax, g.vat_amount)
    for g in InvoiceVatAmount.objects.filter(
        invoice__corrects=original, invoice__status=InvoiceStatus.ISSUED
    ):
        r = remaining[rules.rate_key(g.rate)]
        remaining[rules.rate_key(r.rate)] = rules.VatGroup(
            r.rate, r.base + g.base_excl_tax, r.vat + g.vat_amount
        )
    bases: dict[Decimal, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line in new_lines:
        bases[rules.rate_key(line.vat_rate)] += line.amount_excl_tax
    groups = rules.credit_note_groups(bases, remaining)
    _write_groups(note, groups)
    totals = rules.totals_from_groups(groups)
    note.total_excl_tax, note.total_vat = totals.excl_tax, totals.vat
    note.total_incl_tax = totals.incl_tax
    note.save(update_fields=["total_excl_tax", "total_vat", "total_incl_tax"])
    note.entity, note.client, note.corrects = original.entity, original.client, original
    return _issue(note, by=by, issue_date=issue_date or today, today=today)


# --- Payments ------------------------------------------------------------------------------


@transaction.atomic
def record_payment(
    invoice: Invoice,
    *,
    by: User | None,
    paid_on: date,
    amount: Decimal,
    method: str,
    reference: str = "",
) -> Payment:
    """Record money received for an issued invoice (or refunded, as a negative amount, when a
    credit note leaves the balance in the client's favour). Never beyond the balance."""
    invoice = _lock(invoice)
    if invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError("Un paiement ne s'enregistre que sur une facture émise.")
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError(
            "Un avoir se règle sur la facture qu'il corrige : enregistrez le paiement ou le "
            "remboursement sur celle-ci."
        )
    if method not in PaymentMethod.values:
        raise ValidationError({"method": "Moyen de paiement inconnu."})
    if paid_on > dates.today():
        raise ValidationError({"paid_on": "La date du paiement ne peut pas être dans le futur."})
    if invoice.issue_date and paid_on < invoice.issue_date and amount < 0:
        raise ValidationError(
            {"paid_on": "Un remboursement ne peut pas précéder la date de la facture."}
        )
    balance = Invoice.objects.with_balance().get(pk=invoice.pk).balance
    if error := rules.payment_error(amount, balance):
        raise ValidationError({"amount": error})
    payment = Payment.objects.create(
        invoice=invoice,
        entity=invoice.entity,
        paid_on=paid_on,
        amount=amount,
        method=method,
        reference=reference,
        created_by=by,
    )
    audit.log(
        invoice,
        "invoicing.payment_recorded",
        by=by,
        data={
            "payment": payment.pk,
            "amount": str(amount),
            "method": method,
            "paid_on": paid_on.isoformat(),
            "reference": reference,
        },
    )
    return payment


def overdue_invoices(entity: Entity, today: date) -> models.QuerySet[Invoice]:
    """The entity's issued invoices past due with a balance left, oldest due first."""
    return (
        Invoice.objects.for_entity(entity.pk)
        .overdue(today)
        .select_related("client")
        .order_by("due_date", "sequence")
    )
