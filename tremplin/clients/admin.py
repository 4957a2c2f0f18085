from __future__ import annotations

from django.contrib import admin

from tremplin.clients.models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin[Client]):
    list_display = ["name", "kind", "siret", "vat_number", "city", "entity", "is_active"]
    list_filter = ["kind", "is_active", "entity"]
    search_fields = ["name", "siret", "vat_number"]
