"""Archivable PDF documents rendered from self-contained HTML (WeasyPrint, PDF/A-3b).

Contracts, invoices and certificates are built from their HTML alone: every URL the HTML names
is refused, so no file of the server and no network address is ever read while rendering
(WeasyPrint's documentation warns about untrusted HTML). Stylesheets live in the template.
"""

from __future__ import annotations

import warnings
from typing import Any

PDF_VARIANT = "pdf/a-3b"


class ExternalResourceRefused(ValueError):
    """The HTML of a document named a URL: documents are rendered from their HTML alone."""


def render_pdf(html: str) -> bytes:
    """Render self-contained HTML to a PDF/A-3b document (ISO 19005-3, level B).

    PDF/A-3 is the variant that may carry attached files, as Factur-X invoices do.
    """
    # Imported here: WeasyPrint parses its own stylesheets on import, which every process
    # (management commands included) would otherwise pay for.
    with warnings.catch_warnings():
        # Without the HarfBuzz-Subset library WeasyPrint embeds whole fonts and warns that a
        # future version will require it: a note about the machine, not about the document.
        warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
        import weasyprint
        from weasyprint.urls import URLFetcher

    class RefusingURLFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ExternalResourceRefused(f"Ressource externe refusée : {url}")

    document = weasyprint.HTML(
        string=html, base_url=None, url_fetcher=RefusingURLFetcher(fail_on_errors=True)
    )
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for PDF/A without closing it: the file is
        # released as soon as read, and the ResourceWarning says nothing about our code.
        warnings.simplefilter("ignore", ResourceWarning)
        pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf
