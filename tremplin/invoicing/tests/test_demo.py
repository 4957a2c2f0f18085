"""The demo's invoices: closed months invoiced, mostly paid, a few overdue, one credit note,
numbering without gaps; a second load changes nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from lxml import etree
from stdnum.eu import vat as stdnum_vat

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind, french_vat_number, vat_number_error
from tremplin.invoicing import actions, rules
from tremplin.invoicing.facturx import build_xml, document_from_invoice
from tremplin.invoicing.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from tremplin.organisations.models import Entity
from tremplin.organisations.rules import VatRegime

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def _load(settings: Any) -> None:
    settings.DEBUG = True
    with time_machine.travel(
        datetime(2026, 11, 26, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False
    ):
        call_command("load_demo", stdout=StringIO())


def _state() -> tuple[int, int, list[tuple[str | None, str]]]:
    return (
        Invoice.objects.count(),
        Payment.objects.count(),
        sorted(Invoice.objects.values_list("number", "status")),
    )


def test_demo_invoices(settings: Any) -> None:
    _load(settings)
    entities = Entity.objects.filter(orders__isnull=False).distinct()
    assert entities.count() == 3
    for entity in entities:
        invoices = Invoice.objects.filter(entity=entity, close__isnull=False)
        assert {(i.close.year, i.close.month) for i in invoices.select_related("close")} == {
            (2026, 8),
            (2026, 9),
        }
        assert all(i.status == InvoiceStatus.ISSUED for i in invoices)
        overdue = list(actions.overdue_invoices(entity, TODAY))
        assert 1 <= len(overdue) < invoices.count() // 2
        assert Invoice.objects.filter(entity=entity, kind=InvoiceKind.CREDIT_NOTE).count() == 1
        series: dict[tuple[str, int | None], list[int | None]] = defaultdict(list)
        for s, y, n in Invoice.objects.filter(
            entity=entity, status=InvoiceStatus.ISSUED
        ).values_list("series", "year", "sequence"):
            series[(s, y)].append(n)
        assert all(rules.numbering_gaps(ranks) == [] for ranks in series.values())
    home = Invoice.objects.filter(entity__slug="elan-domicile", is_sap=True, close__isnull=False)
    assert home.exists()
    assert all(line.worker_name and line.hours for i in home for line in i.lines.all())
    _check_vat_numbers()
    before = _state()
    _load(settings)
    assert _state() == before


def _check_vat_numbers() -> None:
    """Intra-community VAT numbers carry the key of their SIREN; households have none; issued
    invoices copy the buyer's, and the Factur-X XML of a taxed one carries it as BT-48."""
    for entity in Entity.objects.all():
        if entity.vat_regime == VatRegime.NOT_SUBJECT:
            assert entity.vat_number == ""
        else:
            assert entity.vat_number == french_vat_number(entity.siren)
            assert stdnum_vat.is_valid(entity.vat_number), entity.vat_number
    for client in Client.objects.all():
        if client.siret:
            assert client.vat_number == french_vat_number(client.siret[:9])
            assert vat_number_error(client.vat_number) is None, client.vat_number
        else:
            assert client.vat_number == "", client
    taxed = list(
        Invoice.objects.filter(
            entity__slug="elan-services",
            client__kind=ClientKind.COMPANY,
            status=InvoiceStatus.ISSUED,
        ).select_related("client")
    )
    assert taxed
    assert all(i.buyer_vat_number == i.client.vat_number != "" for i in taxed)
    xml = build_xml(document_from_invoice(taxed[0]))
    found = etree.fromstring(xml).xpath(
        "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()",
        namespaces={"ram": RAM},
    )
    assert found == [taxed[0].buyer_vat_number]
    households = Invoice.objects.filter(buyer_kind=ClientKind.HOUSEHOLD)
    assert households.exists() and not households.exclude(buyer_vat_number="").exists()
