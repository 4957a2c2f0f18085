from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.core.models import AccessLogEntry
from tremplin.invoicing.models import Payment
from tremplin.sap import actions
from tremplin.sap.fake_urssaf import FakeUrssaf
from tremplin.sap.models import (
    CertificateStatus,
    PaymentRequest,
    RunStatus,
    TaxCertificate,
    UrssafRegistration,
)
from tremplin.sap.rules import RegistrationStatus, RequestStatus
from tremplin.sap.tests.factories import (
    CertificateRunFactory,
    HouseholdFactory,
    TaxCertificateFactory,
    UrssafRegistrationFactory,
    pay,
    sap_entity,
    sap_invoice,
)

pytestmark = pytest.mark.django_db
D = Decimal


def text(response: Any) -> str:
    """The page as a reader sees it (entities unescaped)."""
    return html.unescape(response.content.decode())


@pytest.fixture
def accountant(client: Any) -> Any:
    entity = sap_entity()
    user = user_with_role(Role.ACCOUNTANT, entity)
    client.force_login(user)
    return entity


def certificates_url(entity: Any, year: int = 2025) -> str:
    return reverse("sap:certificates", args=[entity.slug, year])


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.ACCOUNTANT, 200), (Role.DIRECTION, 200), (Role.PLANNER, 403), (Role.HR, 403)],
    ids=str,
)
def test_roles(client: Any, role: Role, expected: int) -> None:
    certificate = TaxCertificateFactory()
    client.force_login(user_with_role(role, certificate.entity))
    for url in (
        reverse("sap:index"),
        certificates_url(certificate.entity),
        reverse("sap:certificate", args=[certificate.pk]),
        reverse("sap:client", args=[certificate.client_id]),
        reverse("sap:requests", args=[certificate.entity.slug]),
    ):
        assert client.get(url).status_code == expected, url


def test_index_shows_the_years_and_that_the_avance_immediate_is_not_configured(
    client: Any, accountant: Any, settings: Any
) -> None:
    settings.URSSAF_API_URL = ""
    TaxCertificateFactory(entity=accountant, year=2025)
    sent = TaxCertificateFactory(entity=accountant, year=2025, status=CertificateStatus.SENT)
    TaxCertificateFactory(
        entity=accountant, client=sent.client, year=2025, version=2, fingerprint="x" * 64
    )
    with time_machine.travel(datetime(2026, 2, 1, 12, tzinfo=UTC)):
        page = text(client.get(reverse("sap:index")))
    assert "Attestations 2025" in page and "Attestations 2022" in page
    # Two households: one unsent, one sent whose latest version is unsent.
    assert '<td class="text-end">2</td>\n        <td class="text-end">0</td>' in page
    assert "L'avance immédiate n'est pas configurée" in page


def test_start_the_run_and_list_the_certificates(
    client: Any, accountant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    household = HouseholdFactory(entity=accountant, name="Foyer Bernard")
    pay(sap_invoice(household, [("jardinage", "150", "40.00", "20")]), on=date(2025, 4, 10))
    with (
        time_machine.travel(datetime(2026, 1, 20, 9, tzinfo=UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(certificates_url(accountant))
    page = text(client.get(response["Location"]))
    assert "La génération des attestations 2025 est lancée." in page
    assert "Foyer Bernard" in page and "plafond dépassé" in page
    assert "5\u202f000,00\u00a0€" in page  # the capped amount retained
    certificate = TaxCertificate.objects.get()
    assert certificate.run is not None and certificate.run.status == RunStatus.DONE


def test_a_run_for_the_current_year_is_refused_in_french(client: Any, accountant: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 20, 9, tzinfo=UTC)):
        response = client.post(certificates_url(accountant, 2026), follow=True)
        page = text(response)
    assert "L'année 2026 n'est pas terminée" in page
    assert "Établir les attestations 2026" not in page


def test_progress_partial_polls_while_running(client: Any, accountant: Any) -> None:
    CertificateRunFactory(
        entity=accountant, status=RunStatus.RUNNING, progress=40, step="12 / 30 : Foyer 12"
    )
    full = text(client.get(certificates_url(accountant)))
    partial = client.get(certificates_url(accountant), headers={"HX-Request": "true"})
    fragment = text(partial).strip()
    assert 'hx-trigger="every 1s"' in fragment and 'value="40"' in fragment
    assert fragment in full  # the swap gives the page a full render would give
    assert "Actualiser" in fragment and "HX-Refresh" not in partial
    assert "Établir" not in full  # no second run while one runs


def test_progress_partial_refreshes_the_page_when_done(client: Any, accountant: Any) -> None:
    CertificateRunFactory(entity=accountant, status=RunStatus.DONE, progress=100)
    response = client.get(certificates_url(accountant), headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true" and "every 1s" not in text(response)


def test_certificate_list_queries_do_not_grow_with_households(client: Any, accountant: Any) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(certificates_url(accountant)).status_code == 200
        return len(queries)

    for _ in range(2):
        TaxCertificateFactory(entity=accountant)
    few = count()
    for _ in range(6):
        TaxCertificateFactory(entity=accountant)
    assert count() == few


def test_certificate_page_pdf_sent_and_regenerated(client: Any, accountant: Any) -> None:
    household = HouseholdFactory(entity=accountant, name="Foyer Leroy")
    pay(sap_invoice(household), on=date(2025, 4, 10))
    certificate = actions.generate_certificate(household, year=2025, by=None).certificate
    assert certificate is not None
    page = text(client.get(reverse("sap:certificate", args=[certificate.pk])))
    assert "SAP912345678" in page and "275,00\u00a0€" in page and "199 sexdecies" in page

    pdf = client.get(reverse("sap:certificate_pdf", args=[certificate.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "attestation-fiscale-2025-foyer-leroy.pdf" in pdf["Content-Disposition"]
    assert AccessLogEntry.objects.filter(what="sap.certificate_downloaded").count() == 1

    sent_url = reverse("sap:certificate_sent", args=[certificate.pk])
    assert client.get(sent_url).status_code == 405
    client.post(sent_url)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SENT

    pay(sap_invoice(household, period=(date(2025, 4, 1), date(2025, 4, 30))), on=date(2025, 5, 2))
    response = client.post(
        reverse("sap:certificate_regenerate", args=[certificate.pk]), follow=True
    )
    assert "une nouvelle version a été établie" in text(response)
    assert response.resolver_match.kwargs["pk"] != certificate.pk
    assert TaxCertificate.objects.filter(client_id=household.pk).count() == 2


def test_client_page_and_registration_not_configured(
    client: Any, accountant: Any, settings: Any
) -> None:
    settings.URSSAF_API_URL = ""
    household = HouseholdFactory(entity=accountant)
    page = text(client.get(reverse("sap:client", args=[household.pk])))
    assert "Inscrire le client auprès de l'URSSAF" in page
    assert "L'avance immédiate n'est pas configurée" in page
    form = text(client.get(reverse("sap:registration", args=[household.pk])))
    assert "n'est pas configurée" in form and '<form method="post" novalidate' not in form
    detail = text(client.get(reverse("clients:client", args=[household.pk])))
    assert reverse("sap:client", args=[household.pk]) in detail


REGISTRATION = {
    "civility": "2",
    "birth_name": "Bernard",
    "usual_name": "",
    "first_names": "Claire",
    "birth_date": "1975-09-12",
    "birth_country_code": "99100",
    "birth_commune_code": "79191",
    "birth_commune_label": "Niort",
    "mobile": "06 11 22 33 44",
    "email": "claire.bernard@example.org",
    "street_number": "12",
    "street_letter": "",
    "street_type": "R",
    "street_name": "des Lilas",
    "complement": "",
    "locality": "",
    "postal_code": "79000",
    "commune_code": "79191",
    "commune_label": "NIORT",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "BNPAFRPPXXX",
    "account_holder": "Mme Claire Bernard",
}


def test_registration_form_errors_are_french_and_nothing_is_sent(
    client: Any, accountant: Any, urssaf_settings: FakeUrssaf
) -> None:
    household = HouseholdFactory(entity=accountant)
    data = REGISTRATION | {"mobile": "01 23 45 67 89", "iban": "FR7630006000011234567890188"}
    response = client.post(reverse("sap:registration", args=[household.pk]), data)
    page = text(response)
    assert response.status_code == 200
    assert "Téléphone portable : Le téléphone portable doit commencer par 06, 07" in page
    assert "IBAN du compte à débiter : L'IBAN est invalide" in page
    assert urssaf_settings.calls == [] and not UrssafRegistration.objects.exists()


def test_registration_through_the_form(
    client: Any, accountant: Any, urssaf_settings: FakeUrssaf
) -> None:
    household = HouseholdFactory(entity=accountant)
    urssaf_settings.add_taxpayer("Bernard", "Claire", date(1975, 9, 12))
    response = client.post(
        reverse("sap:registration", args=[household.pk]), REGISTRATION, follow=True
    )
    page = text(response)
    assert "l'URSSAF lui envoie un e-mail pour activer son compte" in page
    registration = UrssafRegistration.objects.get()
    assert registration.status == RegistrationStatus.PENDING
    assert registration.iban_masked == "FR76…0189"
    particulier = urssaf_settings.particuliers[registration.urssaf_id]
    assert (particulier.first_names, particulier.birth_date) == ("Claire", date(1975, 9, 12))
    urssaf_settings.activate(registration.urssaf_id)
    response = client.post(reverse("sap:registration_refresh", args=[household.pk]), follow=True)
    assert "Compte URSSAF : Compte activé" in text(response)


def test_registration_refused_shows_the_reason(
    client: Any, accountant: Any, urssaf_settings: FakeUrssaf
) -> None:
    household = HouseholdFactory(entity=accountant)
    response = client.post(reverse("sap:registration", args=[household.pk]), REGISTRATION)
    page = text(response)
    assert "L'URSSAF refuse l'inscription" in page
    assert "L'administration fiscale ne retrouve pas cette personne" in page


def test_send_an_invoice_follow_it_and_see_it_paid(
    client: Any, accountant: Any, urssaf_settings: FakeUrssaf
) -> None:
    household = HouseholdFactory(entity=accountant, name="Foyer Petit")
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with time_machine.travel(start - timedelta(days=40), tick=False):
        urssaf_settings.add_taxpayer("Bernard", "Claire", date(1975, 9, 12))
        client.post(reverse("sap:registration", args=[household.pk]), REGISTRATION)
        registration = UrssafRegistration.objects.get()
        urssaf_settings.activate(registration.urssaf_id)
        client.post(reverse("sap:registration_refresh", args=[household.pk]))
    with time_machine.travel(start, tick=False):
        invoice = sap_invoice(
            household, period=(date(2026, 2, 1), date(2026, 2, 28)), issue_date=start.date()
        )
        page = text(client.get(reverse("sap:client", args=[household.pk])))
        assert (
            f'Transmettre à l\'URSSAF<span class="visually-hidden"> la facture {invoice.number}'
            in page
        )
        response = client.post(reverse("sap:request_submit", args=[invoice.pk]), follow=True)
    page = text(response)
    assert "le client a jusqu'au 04/03/2026 à 10:00 pour la valider ou la contester" in page
    assert "Intégrée par l'URSSAF" in page
    payment_request = PaymentRequest.objects.get()
    with time_machine.travel(start + timedelta(days=7), tick=False):
        client.post(reverse("sap:requests", args=[accountant.slug]))  # background task
        page = text(client.get(reverse("sap:request", args=[payment_request.pk])))
    assert "Payée par l'URSSAF" in page and "réputée validée" in page
    assert "paiement enregistré sur la facture" in page
    assert Payment.objects.get().method == "urssaf_ai"


def test_a_rejection_is_shown_with_its_reason(client: Any, accountant: Any) -> None:
    registration = UrssafRegistration.objects.get(
        pk=UrssafRegistrationFactory(client__entity=accountant).pk
    )
    payment_request = PaymentRequest.objects.create(
        entity=accountant,
        invoice=sap_invoice(registration.client),
        registration=registration,
        status=RequestStatus.REFUSED,
        urssaf_id="abc",
        amount_incl_tax=D("275.00"),
        amount_excl_tax=D("250.00"),
        submitted_at=datetime(2025, 4, 1, tzinfo=UTC),
        rejection_code="CONTEST_ERR_FACT",
        rejection_comment="Il n'y a eu que 8 heures.",
    )
    page = text(client.get(reverse("sap:request", args=[payment_request.pk])))
    assert "Refusée (contestée par le client)" in page
    assert "Le client conteste : la facture comporte une erreur." in page
    assert "Il n'y a eu que 8 heures." in page
    assert "Demander l'état à l'URSSAF" not in page  # a refused request is final


def test_sending_is_refused_in_french_when_not_configured(
    client: Any, accountant: Any, settings: Any
) -> None:
    settings.URSSAF_API_URL = ""
    invoice = sap_invoice(HouseholdFactory(entity=accountant))
    response = client.post(reverse("sap:request_submit", args=[invoice.pk]), follow=True)
    assert "L'avance immédiate n'est pas configurée" in text(response)
    assert not PaymentRequest.objects.exists()


def test_an_active_registration_is_not_sent_again(
    client: Any, accountant: Any, urssaf_settings: FakeUrssaf
) -> None:
    registration = UrssafRegistrationFactory(client__entity=accountant)
    url = reverse("sap:registration", args=[registration.client_id])
    page = text(client.get(url))
    assert "est déjà inscrit à l'avance immédiate (compte activé" in page
    assert "novalidate" not in page
    client.post(url, REGISTRATION)
    assert urssaf_settings.calls == []


def test_a_run_without_progress_offers_to_start_another(
    client: Any, accountant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pay(sap_invoice(HouseholdFactory(entity=accountant)), on=date(2025, 4, 10))
    with time_machine.travel(datetime(2026, 1, 20, 8, 0, tzinfo=UTC), tick=False) as clock:
        stuck = actions.start_certificate_run(
            accountant, year=2025, by=None, today=date(2026, 1, 20), run_in_background=False
        )
        fragment = text(client.get(certificates_url(accountant), headers={"HX-Request": "true"}))
        assert "Relancer" not in fragment and 'hx-trigger="every 1s"' in fragment
        clock.shift(timedelta(minutes=45))
        fragment = text(client.get(certificates_url(accountant), headers={"HX-Request": "true"}))
        assert "Aucune progression depuis le 20/01/2026 à 09:00" in fragment
        assert 'hx-trigger="every 30s"' in fragment
        assert "Relancer la génération des attestations 2025" in fragment
        with django_capture_on_commit_callbacks(execute=True):
            client.post(certificates_url(accountant))
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED
    assert TaxCertificate.objects.get().run.status == RunStatus.DONE
