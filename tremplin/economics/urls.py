from __future__ import annotations

from django.urls import path

from tremplin.economics import views

app_name = "economics"
urlpatterns = [
    path("", views.index, name="index"),
    path("consolide/", views.consolidated, name="consolidated"),
    path("structure/<slug:entity_slug>/", views.entity, name="entity"),
    path("structure/<slug:entity_slug>/saisie/", views.add_entry, name="add_entry"),
    path("structure/<slug:entity_slug>/import/", views.import_entries, name="import"),
    path("structure/<slug:entity_slug>/aide-au-poste/", views.aid, name="aid"),
    path("fonctions/", views.pools, name="pools"),
    path("fonctions/<int:pk>/", views.pool, name="pool"),
    path("fonctions/<int:pk>/cout/", views.pool_cost, name="pool_cost"),
    path("fonctions/<int:pk>/temps/", views.pool_time, name="pool_time"),
    path("repartitions/", views.runs, name="runs"),
    path("repartitions/<int:pk>/", views.run, name="run"),
    path("repartitions/<int:pk>/refacturations.csv", views.run_csv, name="run_csv"),
    path("scenarios/", views.scenarios, name="scenarios"),
    path("scenarios/<int:pk>/", views.scenario, name="scenario"),
    path("scenarios/<int:pk>/modifier/", views.scenario_change, name="scenario_change"),
    path("scenarios/<int:pk>/retirer/<int:index>/", views.scenario_remove, name="scenario_remove"),
    path("fiscalite/", views.fiscal, name="fiscal"),
    path("fiscalite/<slug:entity_slug>/", views.fiscal_status, name="fiscal_status"),
]
