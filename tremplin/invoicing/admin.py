from __future__ import annotations

from typing import Any

from django.contrib import admin

from tremplin.invoicing.models import Invoice, InvoiceCounter, InvoiceLine, Payment


class _ReadOnly:
    """Invoices, counters and payments change only through ``invoicing.actions``."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(_ReadOnly, admin.TabularInline[InvoiceLine, Invoice]):
    model = InvoiceLine
    fk_name = "invoice"
    fields = ["position", "label", "quantity", "unit_price", "vat_rate", "amount_excl_tax"]
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(_ReadOnly, admin.ModelAdmin[Invoice]):
    list_display = ["__str__", "entity", "client", "status", "issue_date", "total_incl_tax"]
    list_filter = ["status", "kind", "entity"]
    search_fields = ["number", "buyer_name"]
    inlines = [InvoiceLineInline]


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(_ReadOnly, admin.ModelAdmin[InvoiceCounter]):
    list_display = ["entity", "series", "year", "last_sequence"]


@admin.register(Payment)
class PaymentAdmin(_ReadOnly, admin.ModelAdmin[Payment]):
    list_display = ["invoice", "paid_on", "amount", "method"]
    list_filter = ["method", "entity"]
