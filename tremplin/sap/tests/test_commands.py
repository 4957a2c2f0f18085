from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tremplin.invoicing.models import Payment
from tremplin.sap import actions
from tremplin.sap.fake_urssaf import FakeUrssaf
from tremplin.sap.models import PaymentRequest, RunStatus, TaxCertificate
from tremplin.sap.rules import RequestStatus
from tremplin.sap.tests.factories import (
    HouseholdFactory,
    UrssafRegistrationFactory,
    household_data,
    pay,
    sap_entity,
    sap_invoice,
)
from tremplin.sap.urssaf import configured_gateway

pytestmark = pytest.mark.django_db


def test_tax_certificates_with_a_progress_display() -> None:
    entity = sap_entity()
    for _ in range(4):
        pay(sap_invoice(HouseholdFactory(entity=entity)), on=date(2025, 4, 10))
    out = io.StringIO()
    with time_machine.travel(datetime(2026, 1, 10, 8, tzinfo=UTC)):
        call_command("tax_certificates", "--entity", entity.slug, "--year", "2025", stdout=out)
    lines = out.getvalue().splitlines()
    assert "[#####               ]  25 % 1 / 4 : " in lines[2]
    assert "100 % 4 / 4" in out.getvalue()
    assert lines[-1] == (
        "Terminé : 4 créée(s), 0 remplacée(s), 0 nouvelle(s) version(s), 0 inchangée(s)."
    )
    assert TaxCertificate.objects.filter(entity=entity, year=2025).count() == 4
    again = io.StringIO()
    with time_machine.travel(datetime(2026, 1, 10, 8, tzinfo=UTC)):
        call_command("tax_certificates", "--entity", entity.slug, "--year", "2025", stdout=again)
    assert again.getvalue().splitlines()[-1].endswith("4 inchangée(s).")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--entity", "inconnue", "--year", "2025"], "Structure inconnue", id="slug"),
        pytest.param(["--year", "25"], "Année invalide", id="year_format"),
        pytest.param(["--year", "2026"], "n'est pas terminée", id="year_not_over"),
    ],
)
def test_tax_certificates_errors_in_french(args: list[str], message: str) -> None:
    entity = sap_entity()
    arguments = args if "--entity" in args else ["--entity", entity.slug, *args]
    with (
        time_machine.travel(datetime(2026, 1, 10, 8, tzinfo=UTC)),
        pytest.raises(CommandError, match=message),
    ):
        call_command("tax_certificates", *arguments, stdout=io.StringIO())


def test_a_run_stops_with_a_french_message_when_the_declaration_goes() -> None:
    entity = sap_entity()
    pay(sap_invoice(HouseholdFactory(entity=entity)), on=date(2025, 4, 10))
    run = actions.start_certificate_run(
        entity, year=2025, by=None, today=date(2026, 1, 10), run_in_background=False
    )
    # Withdrawn before the run starts (e.g. corrected in the entity's file meanwhile).
    entity.sap_declarations.update(declared_on=date(2026, 1, 1))
    run = actions.run_certificates(run)
    assert run.status == RunStatus.FAILED and run.finished_at is not None
    assert run.error.startswith("La génération s'est arrêtée : ")
    assert "pas de déclaration de services à la personne en vigueur en 2025" in run.error
    assert not TaxCertificate.objects.exists()


def test_urssaf_refresh_not_configured(settings: Any) -> None:
    settings.URSSAF_API_URL = ""
    with pytest.raises(CommandError, match="n'est pas configurée"):
        call_command("urssaf_refresh", stdout=io.StringIO())


def test_urssaf_refresh_polls_every_entity(urssaf_settings: FakeUrssaf) -> None:
    fake = urssaf_settings
    gateway = configured_gateway()
    assert gateway is not None
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    fake.add_taxpayer("Le Gall", "Yann", date(1961, 7, 14))
    with time_machine.travel(start - timedelta(days=40), tick=False):
        client = HouseholdFactory(entity=sap_entity())
        registration = actions.register_household(
            client, household=household_data(), gateway=gateway, by=None
        )
    fake.activate(registration.urssaf_id)
    UrssafRegistrationFactory()  # another entity's household, unknown to this server
    with time_machine.travel(start, tick=False):
        actions.refresh_registration(registration, gateway=gateway, by=None)
        invoice = sap_invoice(client, period=(date(2026, 2, 1), date(2026, 2, 28)))
        actions.submit_payment_request(invoice, gateway=gateway, by=None, today=start.date())
    out = io.StringIO()
    with time_machine.travel(start + timedelta(days=7), tick=False):
        call_command("urssaf_refresh", "--entity", client.entity.slug, stdout=out)
    assert f"{client.entity.name} : 1 demande(s) vérifiée(s), 1 changement(s) d'état." in (
        out.getvalue()
    )
    assert "100 % 1 / 1 demande(s) vérifiée(s)" in out.getvalue()
    assert PaymentRequest.objects.get().status == RequestStatus.PAID
    assert Payment.objects.get(invoice=invoice).method == "urssaf_ai"
