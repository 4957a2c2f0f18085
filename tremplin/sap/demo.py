"""Services à la personne in the demo group: last year's invoices of Élan Domicile's households,
paid, and their tax certificates; one household has agreed to the avance immédiate.

Last year's invoices are made only when the entity has issued none yet (they go through
the invoicing actions: issued, numbered, paid), and the certificates are established by a run,
as the accountant would; a second load changes nothing.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.contracts.models import Contract
from tremplin.invoicing import actions as invoicing_actions
from tremplin.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, PaymentMethod
from tremplin.orders.rules import ServiceKind, Unit, vat_rate
from tremplin.organisations.models import Entity, Group
from tremplin.sap import actions
from tremplin.sap.models import CertificateStatus, TaxCertificate

SAP_SLUG = "elan-domicile"
CONSENTING = "Mme Penot"
# Per household: (activity, hours per invoice, price per hour excl. VAT, months invoiced, first
# invoice paid in CESU préfinancés). M. et Mme Audouin's gardening goes beyond the 5 000 € cap.
PLAN: dict[str, tuple[tuple[str, str, str, tuple[int, ...], bool], ...]] = {
    "Mme Chaigneau-Verdon": (("menage", "16", "24.00", (2, 4, 6, 8, 10, 12), False),),
    "M. et Mme Audouin": (
        ("menage", "8", "24.00", (3, 6, 9, 12), False),
        ("jardinage", "40", "35.00", (4, 5, 6, 7), False),
    ),
    "M. Giraudeau": (("jardinage", "12", "35.00", (4, 6, 9), True),),
    "Mme Penot": (("repassage", "6", "24.00", (1, 3, 5, 7, 9, 11), False),),
}


def _workers(entity: Entity) -> list[str]:
    people = (
        Contract.objects.filter(entity=entity)
        .select_related("person")
        .order_by("start", "pk")
        .values_list("person__birth_name", "person__first_name", "person__usual_name")
    )
    names = [f"{(usual or birth).upper()} {first}" for birth, first, usual in people]
    return list(dict.fromkeys(names))[:3] or ["Intervenant"]


def _invoice(
    client: Client, year: int, month: int, line: tuple[str, str, str], worker: str
) -> Invoice:
    activity, hours, price = line
    last_day = date(year, month, calendar.monthrange(year, month)[1])
    draft = Invoice.objects.create(
        entity=client.entity,
        client=client,
        period_start=date(year, month, 1),
        period_end=last_day,
        payment_terms_days=0,
    )
    InvoiceLine.objects.create(
        invoice=draft,
        label=ServiceKind(activity).label,
        activity=activity,
        quantity=Decimal(hours),
        unit=Unit.HOUR,
        unit_price=Decimal(price),
        vat_rate=vat_rate(ServiceKind(activity), on=last_day),
        amount_excl_tax=Decimal(0),
        worker_name=worker,
        hours=Decimal(hours),
    )
    invoicing_actions.refresh_totals(draft)
    return invoicing_actions.issue_invoice(draft, by=None, issue_date=last_day)


def load(group: Group, today: date) -> int:
    """Create last year's paid SAP invoices and certificates; return the certificates made."""
    entity = Entity.objects.filter(group=group, slug=SAP_SLUG).first()
    if entity is None:
        return 0
    year = today.year - 1
    Client.objects.filter(entity=entity, name=CONSENTING).update(
        immediate_advance_consent=True, immediate_advance_consent_on=date(year, 11, 15)
    )
    declared = actions.declaration_for_year(entity, year) is not None
    if not declared or TaxCertificate.objects.filter(entity=entity, year=year).exists():
        return 0
    clients = {
        c.name: c
        for c in Client.objects.filter(entity=entity, kind=ClientKind.HOUSEHOLD, name__in=PLAN)
    }
    # Invoices are numbered in date order: last year's can only come before any other.
    issued = Invoice.objects.filter(entity=entity, status=InvoiceStatus.ISSUED).exists()
    if not issued:
        workers = _workers(entity)
        invoices = []
        for index, (name, lines) in enumerate(PLAN.items()):
            for activity, hours, price, months, cesu in lines:
                for month in months:
                    worker = workers[index % len(workers)]
                    in_cesu = cesu and month == months[0]
                    invoices.append((month, name, (activity, hours, price), in_cesu, worker))
        # Issued in date order: the numbering of a year follows the issue dates.
        for month, name, line, cesu, worker in sorted(invoices, key=lambda i: (i[0], i[1])):
            invoice = _invoice(clients[name], year, month, line, worker)
            assert invoice.issue_date is not None
            paid_on: date = min(invoice.issue_date + timedelta(days=10), date(year, 12, 31))
            invoicing_actions.record_payment(
                invoice,
                by=None,
                paid_on=paid_on,
                amount=invoice.total_incl_tax,
                method=PaymentMethod.CESU if cesu else PaymentMethod.TRANSFER,
                reference="Démonstration",
            )
    run = actions.start_certificate_run(
        entity, year=year, by=None, today=today, run_in_background=False
    )
    actions.run_certificates(run)
    first = (
        TaxCertificate.objects.filter(entity=entity, year=year).order_by("household_name").first()
    )
    if first is not None and first.status == CertificateStatus.GENERATED:
        actions.mark_certificate_sent(first, by=None)
    return TaxCertificate.objects.filter(entity=entity, year=year).count()
