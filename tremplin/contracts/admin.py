from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tremplin.contracts.models import (
    Amendment,
    Contract,
    Habilitation,
    MedicalVisit,
    StaffLoan,
)


class AmendmentInline(admin.TabularInline[Amendment, Contract]):
    """Avenants are a legal record: shown, never edited nor deleted, even by technical staff."""

    model = Amendment
    extra = 0
    fields = readonly_fields = ("effective_on", "reason", "changes", "created_by", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin[Contract]):
    list_display = ["person", "entity", "kind", "start", "planned_end", "actual_end"]
    list_filter = ["kind", "post_type", "entity"]
    search_fields = ["person__birth_name", "person__usual_name", "person__first_name"]
    raw_id_fields = ["person", "renews", "pathway_step", "rome"]
    inlines = [AmendmentInline]


@admin.register(StaffLoan)
class StaffLoanAdmin(admin.ModelAdmin[StaffLoan]):
    list_display = ["contract", "borrower", "start", "end", "agreement_reference"]
    raw_id_fields = ["contract", "amendment"]


@admin.register(Habilitation)
class HabilitationAdmin(admin.ModelAdmin[Habilitation]):
    list_display = ["person", "kind", "obtained_on", "expires_on"]
    list_filter = ["kind"]
    raw_id_fields = ["person"]


@admin.register(MedicalVisit)
class MedicalVisitAdmin(admin.ModelAdmin[MedicalVisit]):
    list_display = ["person", "entity", "done_on", "next_due_on"]
    raw_id_fields = ["person"]
