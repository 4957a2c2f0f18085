"""Invoices of the demo group: the months before last are closed, invoiced from their close,
issued the day after the month, and mostly paid; one invoice in four of the latest invoiced
month is left unpaid (overdue by the day of loading), and one invoice is partly credited.

Everything goes through the closing and invoicing actions, as the accountant would. Months
already closed are not closed again, clients already invoiced for a close are not invoiced
again and payments are recorded only for the invoices issued by the same load, so a second
load changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db.models import Max

from tremplin.closing import actions as closing_actions
from tremplin.closing import rules as closing_rules
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.invoicing import actions
from tremplin.invoicing.models import Invoice, InvoiceKind, InvoiceStatus, PaymentMethod
from tremplin.organisations.models import Entity, Group
from tremplin.people import demo as people_demo
from tremplin.timesheets.models import EntryStatus, TimeEntry

ACCOUNTANT_LOGIN = "compta"
# Months invoiced, counted back from the month of loading (3: three months ago).
MONTHS_BACK = (3, 2)
# In the latest invoiced month, one invoice in this many stays unpaid.
UNPAID_EVERY = 4
PAYMENT_DELAY_DAYS = 20
METHODS = (PaymentMethod.TRANSFER, PaymentMethod.CHEQUE, PaymentMethod.DIRECT_DEBIT)


def _closed_month(entity: Entity, year: int, month: int) -> MonthlyClose | None:
    """The month's close, closing it first when its hours are all validated."""
    close = MonthlyClose.objects.filter(entity=entity, year=year, month=month).first()
    if close is not None and close.status == CloseStatus.CLOSED:
        return close
    if close is not None and close.status == CloseStatus.RUNNING:
        return None
    first, last = closing_rules.month_bounds(year, month)
    entries = TimeEntry.objects.filter(entity=entity, day__gte=first, day__lte=last)
    if not entries.exists() or entries.filter(status=EntryStatus.DECLARED).exists():
        return None
    close = closing_actions.start_close(
        entity, year=year, month=month, by=None, run_in_background=False
    )
    closing_actions.close_month(close)
    close.refresh_from_db()
    return close if close.status == CloseStatus.CLOSED else None


def load(group: Group, today: date) -> int:
    """Close, invoice and settle the demo months; return how many invoices were issued."""
    accountant = people_demo.demo_users([ACCOUNTANT_LOGIN]).get(ACCOUNTANT_LOGIN)
    issued_count = 0
    for entity in Entity.objects.filter(group=group).order_by("slug"):
        for back in MONTHS_BACK:
            start = (today - relativedelta(months=back)).replace(day=1)
            close = _closed_month(entity, start.year, start.month)
            if close is None:
                continue
            drafts = [
                i
                for i in actions.invoices_from_close(close, by=accountant)
                if i.status == InvoiceStatus.DRAFT
            ]
            latest = Invoice.objects.filter(entity=entity, status=InvoiceStatus.ISSUED).aggregate(
                m=Max("issue_date")
            )["m"]
            _, last = closing_rules.month_bounds(close.year, close.month)
            issue_day = min(max(last + timedelta(days=1), latest or last), today)
            issued = []
            for draft in drafts:
                try:
                    issued.append(actions.issue_invoice(draft, by=accountant, issue_date=issue_day))
                except ValidationError:
                    continue  # left as a draft, for the accountant to complete
            issued_count += len(issued)
            for n, invoice in enumerate(issued):
                if back == MONTHS_BACK[-1] and n % UNPAID_EVERY == 0:
                    continue
                actions.record_payment(
                    invoice,
                    by=accountant,
                    paid_on=min(issue_day + timedelta(days=PAYMENT_DELAY_DAYS + n % 7), today),
                    amount=invoice.total_incl_tax,
                    method=METHODS[n % len(METHODS)],
                    reference=f"Règlement {invoice.number}",
                )
            if issued and back == MONTHS_BACK[0]:
                _credit_one(issued[-1], accountant, issue_day)
    return issued_count


def _credit_one(invoice: Invoice, by: object, day: date) -> None:
    """A partial credit note: one unit of the invoice's first line, given back."""
    if Invoice.objects.filter(corrects=invoice, kind=InvoiceKind.CREDIT_NOTE).exists():
        return
    line = invoice.lines.order_by("position").first()
    if line is None or line.quantity < 1:
        return
    actions.issue_credit_note(
        invoice,
        by=by,  # type: ignore[arg-type]
        lines={line.pk: min(Decimal(1), line.quantity)},
        reason="Intervention facturée mais annulée par le client",
        issue_date=day,
    )
