"""Reading back the text of a PDF the application made, for the tests of every app."""

from __future__ import annotations

import io
import shutil
import subprocess

import pypdf


def plain_spaces(text: str) -> str:
    """``text`` with its no-break spaces (thousands, before "€") as plain ones and its runs of
    white space as one: how a PDF's text comes back depends on the extractor and the font."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def pdf_text(content: bytes) -> str:
    """The text of a PDF, by poppler's ``pdftotext`` when installed (CI), else by pypdf; with
    :func:`plain_spaces`, so that a test can look for ``plain_spaces(format_euros(x))``."""
    executable = shutil.which("pdftotext")
    if executable:
        done = subprocess.run(
            [executable, "-", "-"], input=content, capture_output=True, check=True
        )
        text = done.stdout.decode()
    else:
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return plain_spaces(text)
