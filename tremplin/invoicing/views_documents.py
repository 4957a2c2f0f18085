"""Downloads of invoice documents: the Factur-X PDF, its XML, the FEC of the sales journal."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tremplin.core import audit
from tremplin.core.dates import today
from tremplin.core.entities import entity_required, get_for_user_or_404, require_roles
from tremplin.core.forms import DateInput, StyledFormMixin
from tremplin.invoicing import facturx, fec, pdf
from tremplin.invoicing.models import Invoice, InvoiceStatus
from tremplin.invoicing.rules import INVOICING_ROLES
from tremplin.organisations.models import Entity


def _issued_invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    """An issued invoice of a visible entity (404 otherwise: a draft has no document yet)."""
    invoice = get_for_user_or_404(
        request,
        Invoice.objects.select_related("entity", "corrects").prefetch_related(
            "lines", "vat_amounts"
        ),
        pk=pk,
    )
    require_roles(request, invoice.entity, *INVOICING_ROLES)
    if invoice.status != InvoiceStatus.ISSUED:
        raise Http404("Une facture brouillon n'a pas encore de document : émettez-la d'abord.")
    return invoice


def _document_error(
    request: HttpRequest, invoice: Invoice, error: facturx.DocumentError
) -> HttpResponse:
    return render(
        request,
        "invoicing/pdf/document_error.html",
        {"invoice": invoice, "messages_list": error.messages},
        status=409,
    )


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice as a Factur-X PDF/A-3 (the XML embedded as factur-x.xml)."""
    invoice = _issued_invoice_or_404(request, pk)
    try:
        content = pdf.invoice_pdf(invoice)
    except facturx.DocumentError as exc:
        return _document_error(request, invoice, exc)
    return _download(content, "application/pdf", pdf.filename(invoice, "pdf"))


def invoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The Factur-X XML alone (CII, profile EN 16931), checked against its XSD."""
    invoice = _issued_invoice_or_404(request, pk)
    try:
        content = pdf.invoice_xml(invoice)
    except facturx.DocumentError as exc:
        return _document_error(request, invoice, exc)
    return _download(content, "application/xml", pdf.filename(invoice, "xml"))


class FecExportForm(StyledFormMixin, forms.Form):
    entity = forms.ChoiceField(label="Structure")
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(
        label="Au",
        widget=DateInput(),
        help_text="Date de clôture de l'exercice : elle nomme le fichier (SIRENFECAAAAMMJJ).",
    )

    def __init__(self, *args: Any, entities: list[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entities = {entity.slug: entity for entity in entities}
        field = self.fields["entity"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(e.slug, e.name) for e in entities]

    def clean_entity(self) -> Entity:
        return self.entities[self.cleaned_data["entity"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "La fin de la période doit suivre son début.")
        return data


def _year_bounds(day: date) -> tuple[date, date]:
    return date(day.year, 1, 1), date(day.year, 12, 31)


@entity_required
def fec_export(request: HttpRequest) -> HttpResponse:
    """The FEC of an entity's sales journal over a period, as a file (form: entity, dates)."""
    visible = request.visible_entities  # type: ignore[attr-defined]
    held = request.user.roles_by_entity(visible)  # type: ignore[union-attr]
    entities = [e for e in visible if held[e.pk] & INVOICING_ROLES]
    if not entities:
        require_roles(request, request.entity, *INVOICING_ROLES)  # type: ignore[attr-defined]
    current = request.entity  # type: ignore[attr-defined]
    first, last = _year_bounds(today())
    form = FecExportForm(
        request.GET or None,
        entities=entities,
        initial={
            "entity": current.slug if current in entities else entities[0].slug,
            "start": first,
            "end": last,
        },
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        entity = data["entity"]
        try:
            export = fec.export_fec(entity, start=data["start"], end=data["end"])
        except fec.FecError as exc:
            for message in exc.messages:
                form.add_error("entity" if "SIREN" in message else None, message)
        else:
            audit.log_access(request, entity, "invoicing.fec_exported")
            return _download(export.content, "text/plain; charset=iso-8859-15", export.filename)
    return render(
        request,
        "invoicing/pdf/fec_export.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
