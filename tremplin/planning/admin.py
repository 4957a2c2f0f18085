from __future__ import annotations

from django.contrib import admin

from tremplin.planning.models import PlanningLock, PlanningRun, WorkerHome


@admin.register(PlanningRun)
class PlanningRunAdmin(admin.ModelAdmin[PlanningRun]):
    """Read-only: a run changes only through its actions (start, run, accept)."""

    list_display = ["entity", "week", "status", "progress", "served_count", "unserved_count"]
    list_filter = ["status", "entity"]
    readonly_fields = [f.name for f in PlanningRun._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(PlanningLock)
class PlanningLockAdmin(admin.ModelAdmin[PlanningLock]):
    """Read-only: planners lock and unlock from the proposal page (audited)."""

    list_display = ["intervention", "worker", "entity", "created_by", "created_at"]
    list_filter = ["entity"]
    readonly_fields = [f.name for f in PlanningLock._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(WorkerHome)
class WorkerHomeAdmin(admin.ModelAdmin[WorkerHome]):
    """Starting points of the routes, entered by technical staff from a geocoded address."""

    list_display = ["person", "entity", "latitude", "longitude", "updated_at"]
    list_filter = ["entity"]
    raw_id_fields = ["person"]
