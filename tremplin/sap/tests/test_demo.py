from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from tremplin.clients.models import Client
from tremplin.invoicing.models import Invoice
from tremplin.sap.models import CertificateStatus, TaxCertificate

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime(2026, 2, 10, 9, tzinfo=UTC), tick=False)
def test_the_demo_has_last_year_s_certificates_and_loads_once(settings: Any) -> None:
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    certificates = {c.household_name: c for c in TaxCertificate.objects.filter(year=2025)}
    assert set(certificates) == {
        "Mme Chaigneau-Verdon",
        "M. et Mme Audouin",
        "M. Giraudeau",
        "Mme Penot",
    }
    audouin = certificates["M. et Mme Audouin"]
    assert audouin.capped and audouin.eligible_total < audouin.total_net
    assert certificates["M. Giraudeau"].total_aid > 0  # a CESU préfinancé
    assert certificates["M. Giraudeau"].status == CertificateStatus.SENT
    assert all(c.workers.exists() for c in certificates.values())
    assert Client.objects.get(name="Mme Penot").immediate_advance_consent
    invoices = Invoice.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert Invoice.objects.count() == invoices
    assert TaxCertificate.objects.count() == 4
    assert audouin.eligible_total == Decimal(
        TaxCertificate.objects.get(pk=audouin.pk).eligible_total
    )
