from __future__ import annotations

from django.contrib import admin

from tremplin.economics.models import AllocationRun, CostPool, FinancialEntry, Scenario


@admin.register(FinancialEntry)
class FinancialEntryAdmin(admin.ModelAdmin[FinancialEntry]):
    list_display = ["entity", "day", "kind", "account", "label", "amount", "source"]
    list_filter = ["kind", "source", "entity"]
    search_fields = ["label", "account", "reference"]


@admin.register(CostPool)
class CostPoolAdmin(admin.ModelAdmin[CostPool]):
    list_display = ["name", "function", "entity", "key_method"]
    list_filter = ["function", "key_method"]


class ReadOnlyAdmin[M: AllocationRun | Scenario](admin.ModelAdmin[M]):
    """A run or a scenario changes only through its actions (audited)."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdmin[AllocationRun]):
    list_display = ["period_code", "entity", "group_result", "created_at", "started_by"]


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyAdmin[Scenario]):
    list_display = ["name", "period_code", "entity", "created_at", "created_by"]
