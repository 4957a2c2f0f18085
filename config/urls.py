from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from tremplin.core import views as core_views

# Technical staff reach the admin through the same login (allauth, MFA, axes) as everyone.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Tremplin — administration technique"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("compte/", include("allauth.urls")),
    path("structure/changer/", core_views.switch_entity, name="switch_entity"),
    path("groupe/", include("tremplin.organisations.urls")),
    path("personnes/", include("tremplin.people.urls")),
    path("parcours/", include("tremplin.pathways.urls")),
    path("contrats/", include("tremplin.contracts.urls")),
    path("mises-a-disposition/", include("tremplin.missions.urls")),
    path("clients/", include("tremplin.clients.urls")),
    path("cloture/", include("tremplin.closing.urls")),
    path("heures/", include("tremplin.timesheets.urls")),
    path("planning/moteur/", include("tremplin.planning.urls")),
    path("planning/", include("tremplin.orders.urls")),
    path("factures/", include("tremplin.invoicing.urls")),
    path("services-a-la-personne/", include("tremplin.sap.urls")),
    path("economie/", include("tremplin.economics.urls")),
    path("pilotage/", include("tremplin.indicators.urls")),
    path("sante/", core_views.health, name="health"),
    path("legal/<slug:page>/", core_views.legal, name="legal"),
    path("admin/", admin.site.urls),
]
