"""Acceptance journey of issue #6 in a real Chromium: from the monthly close to the tax
certificates.

On the demo group, the accountant validates the hours of last month still to validate at Élan
Domicile (the services à la personne structure), closes the month and follows the close while
a background worker (``db_worker``, as in production) runs it; prepares the month's invoices
from the close and issues each draft; downloads one invoice as a Factur-X PDF; credits part of
it; then generates last year's tax certificates of the households, follows the run's progress,
finds them listed and downloads one.

Time cannot be frozen across the live server's thread: every date is relative to ``today()``,
as the demo's are. Last month is the one the demo leaves open (partly declared); last year is
the one whose certificates the demo established.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import facturx
import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from tremplin.accounts import demo as accounts_demo
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.closing.rules import month_bounds, previous_month
from tremplin.core.dates import today
from tremplin.core.money import format_euros
from tremplin.core.tests.pdf import pdf_text, plain_spaces
from tremplin.core.tests.tasks_worker import run_db_worker
from tremplin.invoicing.models import Invoice, InvoiceKind, InvoiceStatus
from tremplin.organisations.models import Entity
from tremplin.sap import actions as sap_actions
from tremplin.sap.models import CertificateRun, CertificateStatus, RunStatus, TaxCertificate
from tremplin.timesheets.models import EntryStatus, TimeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAP_SLUG = "elan-domicile"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")  # fmt: skip


def run_queued_tasks(page: Page, done: Locator) -> None:
    """Let a background worker run what is queued while the page polls, until ``done`` shows."""
    worker = threading.Thread(target=run_db_worker, args=("parcours-facturation",))
    worker.start()
    try:
        expect(done).to_be_visible(timeout=60_000)
    finally:
        worker.join(timeout=120)
    assert not worker.is_alive()


def downloaded_bytes(page: Page, link: Locator) -> tuple[str, bytes]:
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_the_accountant_closes_invoices_credits_and_certifies(page: Page, settings: Any) -> None:
    # Closes and certificate runs go through the database queue, so that progress shows.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("load_demo", force=True, stdout=StringIO())
    entity = Entity.objects.get(slug=SAP_SLUG)
    day = today()
    year, month = previous_month(day.year, day.month)
    label = f"{MONTHS[month - 1]} {year}"
    first, last = month_bounds(year, month)
    month_entries = TimeEntry.objects.filter(entity=entity, day__range=(first, last))
    declared = month_entries.filter(status=EntryStatus.DECLARED)
    assert (
        declared.exists()
        and not MonthlyClose.objects.filter(entity=entity).filter(year=year, month=month).exists()
    )

    page.goto("/compte/login/")
    main = page.locator("main")
    main.locator("#id_login").fill(accounts_demo.email_for("compta"))
    main.locator("#id_password").fill(accounts_demo.DEMO_PASSWORD)
    main.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    page.select_option("#entity-select", SAP_SLUG)
    page.click("#entity-switcher button[type=submit]")
    page.wait_for_load_state()

    # The hours of last month still declared are validated first: the close refuses them.
    page.goto(f"{reverse('timesheets:index')}?mois={year}-{month:02d}&etat={EntryStatus.DECLARED}")
    to_validate = declared.count()
    boxes = main.get_by_role("checkbox", name=re.compile("^Sélectionner le relevé du "))
    expect(boxes).to_have_count(to_validate)
    for box in boxes.all():
        box.check()
    main.get_by_role("button", name="Valider les lignes cochées").click()
    plural = "s" if to_validate > 1 else ""
    expect(page.locator(".alert-success")).to_contain_text(
        f"{to_validate} relevé{plural} validé{plural}."
    )
    assert not declared.exists()

    # 1. The month is closed from the monthly closes, in the background.
    page.get_by_role("link", name="Facturation", exact=True).click()
    main.get_by_role("link", name="clôtures mensuelles").click()
    main.locator(
        f"#closes a[href='{reverse('closing:close', args=[SAP_SLUG, year, month])}']"
    ).click()
    expect(main.locator("h1")).to_have_text(f"Clôture de {label} — {entity.name}")
    main.get_by_role("button", name=f"Lancer la clôture de {label}").click()
    expect(page.locator(".alert-success")).to_contain_text("La clôture est lancée.")
    expect(main.locator("#close-progress")).to_contain_text("En attente de traitement")
    expect(main.get_by_label("Avancement de la clôture")).to_have_attribute("value", "0")
    prepare_link = main.get_by_role("link", name="Préparer les factures")
    run_queued_tasks(page, prepare_link)  # the page reloads itself once the run is over
    close = MonthlyClose.objects.get(entity=entity, year=year, month=month)
    assert close.status == CloseStatus.CLOSED
    clients = sorted(close.invoice_drafts.values_list("client__name", flat=True))
    assert clients
    expect(main.locator("table.draft")).to_have_count(len(clients))
    assert (
        month_entries.count()
        == TimeEntry.objects.locked().filter(entity=entity, day__range=(first, last)).count()
    )

    # 2. Its invoices are prepared from the close, then each draft is issued.
    prepare_link.click()
    expect(main.locator("h1")).to_have_text(f"Factures de {label} — {entity.name}")
    main.get_by_role("button", name="Préparer les factures").click()
    expect(page.locator(".alert-success")).to_contain_text(
        f"{len(clients)} facture(s) brouillon préparée(s)"
    )
    drafts = list(close.invoices.filter(kind=InvoiceKind.INVOICE).order_by("client__name", "pk"))
    assert sorted(d.client.name for d in drafts) == clients
    assert {d.status for d in drafts} == {InvoiceStatus.DRAFT}
    prepare_url = page.url
    for draft in drafts:
        main.get_by_role("link", name=f"Brouillon n° {draft.pk}", exact=True).click()
        expect(main.get_by_label("Date de facture")).to_have_value(day.isoformat())
        main.get_by_role("button", name="Émettre la facture").click()
        expect(page.locator(".alert-success")).to_contain_text("est émise.")
        draft.refresh_from_db()
        assert draft.status == InvoiceStatus.ISSUED and draft.issue_date == day
        expect(main.locator("h1")).to_contain_text(f"Facture n° {draft.number}")
        page.goto(prepare_url)
    expect(main).to_contain_text("Toutes les factures du mois sont préparées.")
    expect(main.locator("#close-invoices tbody tr")).to_have_count(len(drafts))
    for invoice in drafts:
        expect(main.get_by_role("link", name=invoice.number, exact=True)).to_be_visible()
    # Issued in the order of the page: consecutive numbers of the entity's series of the year.
    sequences = [invoice.sequence for invoice in drafts]
    first_sequence = sequences[0]
    assert first_sequence is not None
    assert sequences == list(range(first_sequence, first_sequence + len(drafts)))

    # 3. An issued invoice downloads as a PDF carrying its Factur-X XML.
    invoice = drafts[0]
    main.get_by_role("link", name=invoice.number, exact=True).click()
    name, content = downloaded_bytes(
        page, main.get_by_role("link", name="Télécharger le PDF (Factur-X)")
    )
    assert name.endswith(".pdf")
    assert content.startswith(b"%PDF-")
    xml_name, xml = facturx.get_xml_from_pdf(content, check_xsd=True)
    assert xml_name == "factur-x.xml"
    assert invoice.number.encode() in xml

    # 4. One hour of its first line is credited.
    line = invoice.lines.order_by("position").first()
    assert line is not None and line.quantity > 1
    main.get_by_role("link", name="Établir un avoir").click()
    main.get_by_label("Motif de l'avoir").fill("Une heure annulée par le client")
    quantity = main.get_by_label(f"Ligne {line.position} — {line.label}")
    expect(quantity).to_have_value(f"{line.quantity:.2f}")
    quantity.fill("1")
    main.get_by_role("button", name="Émettre l'avoir").click()
    note = Invoice.objects.get(corrects=invoice, kind=InvoiceKind.CREDIT_NOTE)
    expect(page.locator(".alert-success")).to_contain_text(
        f"{note} est émis : il corrige {invoice}."
    )
    assert note.status == InvoiceStatus.ISSUED and note.credit_reason.startswith("Une heure")
    note_line = note.lines.get()
    assert note_line.credits_line_id == line.pk and note_line.quantity == Decimal(-1)
    assert note.total_excl_tax == -line.unit_price
    main.get_by_role("link", name=f"n° {invoice.number}").click()
    expect(main.locator("#credit-notes")).to_contain_text(str(note))
    balance = invoice.total_incl_tax + note.total_incl_tax
    assert Invoice.objects.get(pk=invoice.pk).balance == balance
    expect(main.locator("#balance")).to_contain_text(f"Solde : {format_euros(balance)}")

    # 5. Last year's tax certificates are generated in the background, listed and downloaded.
    certified = day.year - 1
    households = sap_actions.households_to_certify(entity, certified)
    assert households
    # The demo established last year's certificates and sent one. The unsent ones are taken
    # back, for the run to establish them; the sent one must stay as it is (same figures).
    certificates = TaxCertificate.objects.filter(entity=entity, year=certified)
    certificates.filter(status=CertificateStatus.GENERATED).delete()
    sent = certificates.count()
    assert sent < len(households)
    runs = CertificateRun.objects.filter(entity=entity, year=certified)
    earlier_runs = set(runs.values_list("pk", flat=True))
    page.get_by_role("link", name="Services à la personne", exact=True).click()
    main.locator("section").filter(has=page.get_by_role("heading", name=entity.name)).get_by_role(
        "link", name=f"Attestations {certified}"
    ).click()
    expect(main.locator("h1")).to_have_text(f"Attestations fiscales {certified} — {entity.name}")
    again = "à nouveau " if sent else ""
    start = main.get_by_role("button", name=f"Établir {again}les attestations {certified}")
    start.click()
    expect(page.locator(".alert-success")).to_contain_text(
        f"La génération des attestations {certified} est lancée."
    )
    expect(main.locator("#run-progress")).to_contain_text("En attente")
    expect(main.get_by_label("Avancement de la génération")).to_have_attribute("value", "0")
    expect(start).to_be_hidden()
    run_queued_tasks(page, start)  # the button comes back once the page has reloaded
    run = runs.exclude(pk__in=earlier_runs).get()
    assert run.status == RunStatus.DONE and run.total == len(households)
    assert (run.created_count, run.replaced_count, run.versioned_count, run.unchanged_count) == (
        len(households) - sent,
        0,
        0,
        sent,
    )
    expect(main.locator("#run-progress")).to_contain_text("Terminée")
    rows = main.locator("#certificates tbody tr")
    expect(rows).to_have_count(len(households))
    for household in households:
        expect(rows.filter(has_text=household.name)).to_have_count(1)
    expect(main.get_by_role("heading", name="Attestations (")).to_have_text(
        f"Attestations ({len(households)}, dont {len(households) - sent} à envoyer)"
    )

    certificate = (
        certificates.filter(status=CertificateStatus.GENERATED).order_by("household_name").first()
    )
    assert certificate is not None and certificate.run_id == run.pk
    row = rows.filter(has_text=certificate.household_name)
    expect(row).to_contain_text(format_euros(certificate.eligible_total))
    name, content = downloaded_bytes(
        page, row.get_by_role("link", name=f"PDF de {certificate.household_name}")
    )
    assert name.startswith(f"attestation-fiscale-{certified}-") and name.endswith(".pdf")
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert certificate.household_name in text
    assert plain_spaces(format_euros(certificate.eligible_total)) in text
