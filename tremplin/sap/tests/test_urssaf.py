"""The HTTP gateway against the local URSSAF server: the published flow, end to end over HTTP,
without the database."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from tremplin.sap.fake_urssaf import FakeUrssaf
from tremplin.sap.urssaf import (
    Household,
    HttpUrssafGateway,
    PaymentRequestData,
    PostalAddress,
    ServiceLine,
    UrssafError,
    UrssafUnavailable,
    configured_gateway,
    to_json,
)

D = Decimal
BIRTH = date(1980, 3, 29)
JEANNE = Household(
    civility="2",
    birth_name="Durand",
    usual_name="Martin",
    first_names="Jeanne Marie",
    birth_date=BIRTH,
    birth_country_code="99100",
    birth_department="069",
    birth_commune_code="123",
    birth_commune_label="Lyon",
    mobile="0605040302",
    email="jeanne.martin@example.org",
    address=PostalAddress(
        postal_code="69001",
        commune_code="69381",
        commune_label="LYON 01",
        street_number="8",
        street_type="R",
        street_name="du Soleil",
    ),
    iban="FR7630006000011234567890189",
    bic="BNPAFRPPXXX",
    account_holder="Mme Jeanne Martin",
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def march_request(client_id: str, number: str = "FA-2026-00001", **changes: Any) -> Any:
    line = ServiceLine(
        nature_code="60",
        quantity=D("10"),
        per_hour=True,
        unit_incl_tax=D("27.50"),
        incl_tax=D("275.00"),
        excl_tax=D("250.00"),
        vat=D("25.00"),
    )
    request = PaymentRequestData(
        client_id=client_id,
        client_birth_date=BIRTH,
        invoice_number=number,
        invoice_date=date(2026, 4, 1),
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 31),
        incl_tax=D("275.00"),
        excl_tax=D("250.00"),
        lines=(line,),
    )
    return replace(request, **changes)


def registered(fake: FakeUrssaf, gateway: HttpUrssafGateway, *, activate: bool = True) -> str:
    fake.add_taxpayer("Durand", "Jeanne", BIRTH)
    client_id = gateway.register_client(JEANNE)
    if activate:
        fake.activate(client_id)
    return client_id


def test_a_token_is_asked_once_and_reused(fake: FakeUrssaf, gateway: HttpUrssafGateway) -> None:
    client_id = registered(fake, gateway, activate=False)
    gateway.client_status(client_id)
    gateway.client_status(client_id)
    assert [path for _, path in fake.calls].count("/api/oauth/v1/token") == 1


def test_wrong_credentials_are_reported_in_french(fake: FakeUrssaf) -> None:
    gateway = HttpUrssafGateway(fake.base_url, fake.client_id, "mauvais-secret")
    with pytest.raises(UrssafUnavailable, match="refuse les identifiants") as caught:
        gateway.register_client(JEANNE)
    assert caught.value.code == "AUTHENTIFICATION"


def test_registration_then_activation_by_the_household(
    fake: FakeUrssaf, gateway: HttpUrssafGateway
) -> None:
    client_id = registered(fake, gateway, activate=False)
    account = gateway.client_status(client_id)
    assert (account.code, account.active) == ("APPAREILLAGE_EC", False)
    fake.activate(client_id)
    account = gateway.client_status(client_id)
    assert (account.code, account.active) == ("APPAREILLAGE_VALIDE", True)
    assert account.description.startswith("Compte activé le ")
    # Registering the same person again returns the same account.
    assert gateway.register_client(JEANNE) == client_id


@pytest.mark.parametrize(
    ("changes", "code", "text"),
    [
        pytest.param({}, "ERR_DGFIP_R2P_INCONNU", "", id="unknown_to_the_tax_administration"),
        pytest.param(
            {"mobile": "0123456789"}, "PARAM_INVALIDE", "numeroTelephonePortable", id="landline"
        ),
        pytest.param(
            {"iban": "FR7630006000011234567890188"}, "ERR_APPEL_BACB", "", id="iban_bad_key"
        ),
        pytest.param({"birth_name": "Durand2"}, "PARAM_INVALIDE", "nomNaissance", id="digit"),
    ],
)
def test_registration_refused(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, changes: dict[str, Any], code: str, text: str
) -> None:
    if changes:
        fake.add_taxpayer("Durand", "Jeanne", BIRTH)
    with pytest.raises(UrssafError) as caught:
        gateway.register_client(replace(JEANNE, **changes))
    assert caught.value.code == code and text in caught.value.description
    assert not isinstance(caught.value, UrssafUnavailable)


def test_payment_request_validated_by_the_household_then_paid(
    fake: FakeUrssaf, gateway: HttpUrssafGateway
) -> None:
    with time_machine.travel(START - timedelta(days=30), tick=False):
        client_id = registered(fake, gateway)
    with time_machine.travel(START + timedelta(days=30)) as traveller:
        submission = gateway.submit_payment_request(march_request(client_id))
        assert (submission.status_code, submission.errors) == ("10", ())
        [info] = gateway.payment_request_status([submission.urssaf_id])
        assert (info.status_code, info.status_label) == ("20", "En attente de validation")
        fake.validate(submission.urssaf_id)
        assert gateway.payment_request_status([submission.urssaf_id])[0].status_code == "30"
        traveller.shift(timedelta(days=4, minutes=1))
        [info] = gateway.payment_request_status([submission.urssaf_id])
    assert (info.status_code, info.transfer_amount) == ("70", D("275.00"))
    assert info.transfer_date == (START + timedelta(days=34)).date()


def test_payment_request_contested(fake: FakeUrssaf, gateway: HttpUrssafGateway) -> None:
    with time_machine.travel(START - timedelta(days=30), tick=False):
        client_id = registered(fake, gateway)
    submission = gateway.submit_payment_request(march_request(client_id))
    fake.contest(submission.urssaf_id, "CONTEST_ERR_FACT", "Il n'y a eu que 8 heures.")
    [info] = gateway.payment_request_status([submission.urssaf_id])
    assert (info.status_code, info.rejection_code, info.rejection_comment) == (
        "40",
        "CONTEST_ERR_FACT",
        "Il n'y a eu que 8 heures.",
    )


def test_payment_request_deemed_validated_after_48_hours(
    fake: FakeUrssaf, gateway: HttpUrssafGateway
) -> None:
    with time_machine.travel(START - timedelta(days=30), tick=False):
        client_id = registered(fake, gateway)
    with time_machine.travel(START + timedelta(days=30)) as traveller:
        submission = gateway.submit_payment_request(march_request(client_id))
        traveller.shift(timedelta(hours=47, minutes=59))
        assert gateway.payment_request_status([submission.urssaf_id])[0].status_code == "20"
        traveller.shift(timedelta(minutes=2))
        # The token of the first call has expired meanwhile: the gateway asks a new one.
        assert gateway.payment_request_status([submission.urssaf_id])[0].status_code == "30"
        with pytest.raises(ValueError, match="not awaiting"):
            fake.validate(submission.urssaf_id)
    assert [path for _, path in fake.calls].count("/api/oauth/v1/token") >= 2


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"client_birth_date": date(1980, 3, 30)}, "ERR_PARTICULIER_INCONNU", id="dob"),
        pytest.param({"first_day": date(2026, 2, 27)}, "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE"),
        pytest.param({"incl_tax": D("275.01")}, "ERR_MONTANT_INCOHERENT", id="total"),
    ],
)
def test_payment_request_rejected_with_a_reason(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, changes: dict[str, Any], code: str
) -> None:
    with time_machine.travel(START - timedelta(days=60), tick=False):
        client_id = registered(fake, gateway)
    submission = gateway.submit_payment_request(march_request(client_id, **changes))
    assert submission.urssaf_id == ""
    assert [e.code for e in submission.errors] == [code]


def test_payment_request_for_an_account_not_activated(
    fake: FakeUrssaf, gateway: HttpUrssafGateway
) -> None:
    with time_machine.travel(START - timedelta(days=30), tick=False):
        client_id = registered(fake, gateway, activate=False)
    submission = gateway.submit_payment_request(march_request(client_id))
    assert [e.code for e in submission.errors] == ["ERR_LIEN_PARTICULIER_PRESTATAIRE"]


def test_the_same_invoice_twice_is_a_duplicate(
    fake: FakeUrssaf, gateway: HttpUrssafGateway
) -> None:
    with time_machine.travel(START - timedelta(days=30), tick=False):
        client_id = registered(fake, gateway)
    assert gateway.submit_payment_request(march_request(client_id)).urssaf_id
    again = gateway.submit_payment_request(march_request(client_id))
    assert [e.code for e in again.errors] == ["ERR_FACTURE_DOUBLON"]


def test_a_server_that_does_not_answer_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = HttpUrssafGateway(f"http://127.0.0.1:{port}", "id", "secret", timeout=2)
    with pytest.raises(UrssafUnavailable, match="ne répond pas") as caught:
        gateway.token()
    assert caught.value.code == "RESEAU"


def test_only_https_outside_the_local_machine() -> None:
    with pytest.raises(ValueError, match="https://"):
        HttpUrssafGateway("http://api.urssaf.fr", "id", "secret")
    assert HttpUrssafGateway("https://api.urssaf.fr/", "id", "secret").base_url == (
        "https://api.urssaf.fr"
    )


def test_configured_gateway_from_settings(settings: Any) -> None:
    settings.URSSAF_API_URL = settings.URSSAF_CLIENT_ID = settings.URSSAF_CLIENT_SECRET = ""
    assert configured_gateway() is None
    settings.URSSAF_API_URL = "http://urssaf.example.org"
    settings.URSSAF_CLIENT_ID, settings.URSSAF_CLIENT_SECRET = "id", "secret"
    with pytest.raises(ImproperlyConfigured, match="https://"):
        configured_gateway()
    settings.URSSAF_API_URL = "https://urssaf.example.org"
    assert isinstance(configured_gateway(), HttpUrssafGateway)


def test_decimals_travel_as_exact_json_numbers() -> None:
    text = to_json({"mntUnitaireTTC": D("27.50"), "quantite": D("0.10"), "nom": "Élodie"})
    assert text == '{"mntUnitaireTTC":27.50,"quantite":0.10,"nom":"Élodie"}'
    assert json.loads(text, parse_float=D)["quantite"] == D("0.10")
