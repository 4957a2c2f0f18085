"""Admin for technical staff. Accompaniment content (appointment notes, barrier comments,
follow-up comments) is need-to-know: it is neither listed nor editable here."""

from __future__ import annotations

from django.contrib import admin

from tremplin.pathways.models import (
    Action,
    Appointment,
    Barrier,
    BarrierAssessment,
    DiagnosisCriterion,
    EligibilityDiagnosis,
    Exit,
    ExitFollowUp,
    Objective,
    PassIae,
    PassProlongation,
    PassSuspension,
    PathwayStep,
    Training,
)


@admin.register(PathwayStep)
class PathwayStepAdmin(admin.ModelAdmin[PathwayStep]):
    list_display = ["person", "entity", "kind", "siae_kind", "started_on", "ended_on"]
    list_filter = ["kind", "siae_kind", "entity"]
    raw_id_fields = ["person", "referent"]


class DiagnosisCriterionInline(admin.TabularInline[DiagnosisCriterion, EligibilityDiagnosis]):
    model = DiagnosisCriterion
    extra = 0
    raw_id_fields = ["proof"]


@admin.register(EligibilityDiagnosis)
class EligibilityDiagnosisAdmin(admin.ModelAdmin[EligibilityDiagnosis]):
    list_display = ["person", "entity", "siae_kind", "author_kind", "made_on"]
    list_filter = ["author_kind", "siae_kind"]
    raw_id_fields = ["person", "made_by"]
    inlines = [DiagnosisCriterionInline]


class PassSuspensionInline(admin.TabularInline[PassSuspension, PassIae]):
    model = PassSuspension
    extra = 0


class PassProlongationInline(admin.TabularInline[PassProlongation, PassIae]):
    model = PassProlongation
    extra = 0
    raw_id_fields = ["report"]


@admin.register(PassIae)
class PassIaeAdmin(admin.ModelAdmin[PassIae]):
    list_display = ["number", "person", "entity", "start", "end"]
    search_fields = ["number"]
    raw_id_fields = ["person", "diagnosis"]
    inlines = [PassSuspensionInline, PassProlongationInline]


class BarrierInline(admin.TabularInline[Barrier, BarrierAssessment]):
    model = Barrier
    extra = 0
    exclude = ["comment"]


@admin.register(BarrierAssessment)
class BarrierAssessmentAdmin(admin.ModelAdmin[BarrierAssessment]):
    list_display = ["person", "entity", "assessed_on", "assessed_by"]
    raw_id_fields = ["person", "assessed_by"]
    inlines = [BarrierInline]


class ActionInline(admin.TabularInline[Action, Objective]):
    model = Action
    extra = 0
    raw_id_fields = ["owner"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin[Objective]):
    list_display = ["pk", "person", "entity", "status", "due_on"]
    list_filter = ["status"]
    raw_id_fields = ["person", "owner"]
    inlines = [ActionInline]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    list_display = ["person", "entity", "held_on", "kind", "referent"]
    list_filter = ["kind"]
    raw_id_fields = ["person", "referent"]
    exclude = ["notes"]


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin[Training]):
    list_display = ["person", "entity", "kind", "title", "start", "end", "completed"]
    list_filter = ["kind", "completed"]
    raw_id_fields = ["person", "rome"]


class ExitFollowUpInline(admin.TabularInline[ExitFollowUp, Exit]):
    model = ExitFollowUp
    extra = 0
    exclude = ["comment"]


@admin.register(Exit)
class ExitAdmin(admin.ModelAdmin[Exit]):
    list_display = ["person", "entity", "exit_on", "reason", "category", "counted"]
    list_filter = ["category", "counted", "siae_kind"]
    readonly_fields = ["category", "counted"]
    raw_id_fields = ["person", "step"]
    inlines = [ExitFollowUpInline]
