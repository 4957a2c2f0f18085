from __future__ import annotations

from django.contrib import admin
from django.db import models

from tremplin.sap.models import CertificateRun, PaymentRequest, TaxCertificate, UrssafRegistration


class _ReadOnly[M: models.Model](admin.ModelAdmin[M]):
    """Read-only: these rows change only through the actions (generate, send, register…)."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(TaxCertificate)
class TaxCertificateAdmin(_ReadOnly[TaxCertificate]):
    list_display = ["household_name", "year", "version", "status", "eligible_total", "entity"]
    list_filter = ["year", "status", "entity"]


@admin.register(CertificateRun)
class CertificateRunAdmin(_ReadOnly[CertificateRun]):
    list_display = ["entity", "year", "status", "progress", "started_at", "finished_at"]
    list_filter = ["status", "entity"]


@admin.register(UrssafRegistration)
class UrssafRegistrationAdmin(_ReadOnly[UrssafRegistration]):
    list_display = ["client", "status", "urssaf_id", "submitted_at", "activated_at"]
    list_filter = ["status", "entity"]
    exclude = ["iban_masked"]


@admin.register(PaymentRequest)
class PaymentRequestAdmin(_ReadOnly[PaymentRequest]):
    list_display = ["invoice", "status", "urssaf_id", "submitted_at", "deadline", "paid_on"]
    list_filter = ["status", "entity"]
