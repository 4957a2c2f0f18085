from __future__ import annotations

from django.urls import path

from tremplin.invoicing import views, views_documents

app_name = "invoicing"

urlpatterns = [
    path("", views.index, name="index"),
    path("export/fec/", views_documents.fec_export, name="fec_export"),
    path("facture/<int:pk>/facture.pdf", views_documents.invoice_pdf, name="invoice_pdf"),
    path("facture/<int:pk>/factur-x.xml", views_documents.invoice_xml, name="invoice_xml"),
    path("facture/<int:pk>/", views.invoice_detail, name="invoice"),
    path("facture/<int:pk>/modifier/", views.invoice_edit, name="invoice_edit"),
    path("facture/<int:pk>/supprimer/", views.invoice_delete, name="invoice_delete"),
    path("facture/<int:pk>/emettre/", views.invoice_issue, name="invoice_issue"),
    path("facture/<int:pk>/lignes/ajouter/", views.line_add, name="line_add"),
    path("facture/<int:pk>/lignes/<int:line_pk>/", views.line_edit, name="line_edit"),
    path(
        "facture/<int:pk>/lignes/<int:line_pk>/supprimer/",
        views.line_delete,
        name="line_delete",
    ),
    path("facture/<int:pk>/avoir/", views.credit_note_new, name="credit_note_new"),
    path("facture/<int:pk>/paiement/", views.payment_new, name="payment_new"),
    path("<slug:entity_slug>/", views.invoice_list, name="list"),
    path("<slug:entity_slug>/nouvelle/", views.invoice_new, name="invoice_new"),
    path("<slug:entity_slug>/impayees/", views.overdue, name="overdue"),
    path(
        "<slug:entity_slug>/cloture/<int:year>/<int:month>/",
        views.prepare_from_close,
        name="prepare_from_close",
    ),
]
