"""Admin for technical staff. The NIR is never shown in clear here, nor can it be typed in:
it is set from the person file, where each change is audited and each reading logged."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tremplin.people.models import Intake, Person, PersonDocument, PersonJob, RomeJob


class PersonJobInline(admin.TabularInline[PersonJob, Person]):
    model = PersonJob
    extra = 0
    autocomplete_fields = ["rome"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    list_display = ["full_name", "birth_date", "entity", "nir_masked", "referent"]
    list_filter = ["entity"]
    list_select_related = ["entity", "referent"]
    search_fields = ["name_key", "identity_key"]
    # nir_ciphertext and nir_hash are not editable, hence absent from the form; only the
    # masked form is displayed.
    readonly_fields = ["nir_masked", "identity_key", "created_at"]
    raw_id_fields = ["referent"]
    inlines = [PersonJobInline]


@admin.register(Intake)
class IntakeAdmin(admin.ModelAdmin[Intake]):
    list_display = ["person", "entity", "contacted_on", "channel", "status"]
    list_filter = ["status", "entity", "channel"]
    list_select_related = ["person", "entity"]
    date_hierarchy = "contacted_on"
    raw_id_fields = ["person", "received_by"]
    search_fields = ["person__name_key"]


@admin.register(RomeJob)
class RomeJobAdmin(admin.ModelAdmin[RomeJob]):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


@admin.register(PersonDocument)
class PersonDocumentAdmin(admin.ModelAdmin[PersonDocument]):
    """Read-only: uploads are checked (type, size) and downloads logged in the application."""

    list_display = ["person", "kind", "original_name", "size", "valid_until", "uploaded_at"]
    list_filter = ["kind"]
    list_select_related = ["person"]
    search_fields = ["person__name_key", "original_name"]
    # The stored file is left out: a link to it would bypass the permission check and the
    # access log of ``people:document``.
    fields = readonly_fields = (
        "person",
        "kind",
        "original_name",
        "content_type",
        "size",
        "valid_until",
        "uploaded_by",
        "uploaded_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PersonDocument | None = None
    ) -> bool:
        return False
