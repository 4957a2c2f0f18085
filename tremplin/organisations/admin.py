from __future__ import annotations

from django.contrib import admin

from tremplin.organisations.models import (
    Convention,
    Entity,
    FinancialAnnex,
    Group,
    SapDeclaration,
    Site,
)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin[Group]):
    prepopulated_fields = {"slug": ("name",)}


class SiteInline(admin.TabularInline[Site, Entity]):
    model = Site
    extra = 0


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin[Entity]):
    list_display = ["name", "group", "legal_form", "siret", "is_active"]
    list_filter = ["group", "legal_form"]
    search_fields = ["name", "legal_name", "siren", "siret"]
    inlines = [SiteInline]


class AnnexInline(admin.TabularInline[FinancialAnnex, Convention]):
    model = FinancialAnnex
    extra = 0


@admin.register(Convention)
class ConventionAdmin(admin.ModelAdmin[Convention]):
    list_display = ["number", "entity", "kind", "start", "end"]
    list_filter = ["kind"]
    inlines = [AnnexInline]


admin.site.register(SapDeclaration)
