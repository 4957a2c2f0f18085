"""The PDF of an invoice: PDF/A-3b rendered by WeasyPrint, with its Factur-X XML embedded.

The human-readable page and the XML come from the same frozen invoice. The XML is attached as
``factur-x.xml`` (relationship ``Data``) by the factur-x library, which also writes the XMP
metadata declaring the PDF/A-3 conformance and the Factur-X profile (EN 16931), so the file is
a valid Factur-X invoice that any plateforme agréée or Chorus Pro can read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.loader import render_to_string

from tremplin.core.dates import format_date
from tremplin.core.pdf import render_pdf
from tremplin.invoicing import facturx
from tremplin.invoicing.rules import SAP_TAX_CREDIT_STATEMENT

if TYPE_CHECKING:
    from tremplin.invoicing.models import Invoice

FACTURX_FILENAME = "factur-x.xml"


def invoice_html(invoice: Invoice, document: facturx.InvoiceDocument) -> str:
    """The printable HTML of an issued invoice (self-contained: no URL)."""
    lines = list(invoice.lines.all())
    return render_to_string(
        "invoicing/pdf/invoice.html",
        {
            "invoice": invoice,
            "document": document,
            "lines": lines,
            "vat_amounts": list(invoice.vat_amounts.all()),
            "show_workers": any(line.worker_name or line.hours is not None for line in lines),
            "mentions": [m for m in invoice.mentions if m != SAP_TAX_CREDIT_STATEMENT],
            "tax_credit_statement": SAP_TAX_CREDIT_STATEMENT
            if invoice.is_sap or SAP_TAX_CREDIT_STATEMENT in invoice.mentions
            else "",
            "delivery": document.delivery,
        },
    )


def embed_facturx(pdf: bytes, xml: bytes, *, title: str, subject: str, author: str) -> bytes:
    """Attach ``xml`` to ``pdf`` as ``factur-x.xml`` and declare PDF/A-3 and Factur-X EN 16931.

    ``xml`` is trusted to have passed the XSD check already (``facturx.build_xml``).
    """
    import facturx as facturx_library

    result: bytes = facturx_library.generate_from_binary(
        pdf,
        xml,
        flavor=facturx.FLAVOR,
        level=facturx.LEVEL,
        check_xsd=False,
        pdf_metadata={
            "author": author,
            "keywords": "Factur-X, facture",
            "title": title,
            "subject": subject,
        },
        lang="fr-FR",
    )
    return result


def invoice_pdf(invoice: Invoice) -> bytes:
    """The Factur-X PDF of an issued invoice or credit note.

    Raises :class:`facturx.DocumentError` (French messages) when the invoice cannot make a valid
    Factur-X document, e.g. a seller without SIREN.
    """
    document = facturx.document_from_invoice(invoice)
    xml = facturx.build_xml(document)
    pdf = render_pdf(invoice_html(invoice, document))
    kind = "Avoir" if invoice.is_credit_note else "Facture"
    return embed_facturx(
        pdf,
        xml,
        title=f"{kind} {invoice.number} — {invoice.seller_name}",
        subject=(
            f"{kind} n° {invoice.number} du {format_date(invoice.issue_date)} émis(e) par "
            f"{invoice.seller_name} pour {invoice.buyer_name}"
        ),
        author=invoice.seller_name,
    )


def invoice_xml(invoice: Invoice) -> bytes:
    """The Factur-X XML alone (CII, EN 16931), for platforms that take the XML."""
    return facturx.build_xml(facturx.document_from_invoice(invoice))


def filename(invoice: Invoice, extension: str) -> str:
    """``facture-FA-2026-00001.pdf``, ``avoir-AV-2026-00001.xml``."""
    kind = "avoir" if invoice.is_credit_note else "facture"
    return f"{kind}-{invoice.number}.{extension}"
