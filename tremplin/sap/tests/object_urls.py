"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.organisations.models import Entity
from tremplin.sap.tests.factories import (
    PaymentRequestFactory,
    TaxCertificateFactory,
    UrssafRegistrationFactory,
)

ROOT = "/services-a-la-personne"


def make_objects(entity: Entity) -> dict[str, Any]:
    certificate = TaxCertificateFactory(entity=entity)
    registration = UrssafRegistrationFactory(client=certificate.client)
    payment_request = PaymentRequestFactory(registration=registration)
    return {
        "sap_certificate": certificate,
        "sap_client": certificate.client,
        "sap_request": payment_request,
        "sap_invoice": payment_request.invoice,
    }


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "sap:certificates": lambda w: f"{ROOT}/{w['entity'].slug}/attestations/2025/",
    "sap:requests": lambda w: f"{ROOT}/{w['entity'].slug}/avance-immediate/",
    "sap:certificate": lambda w: f"{ROOT}/attestations/{w['sap_certificate'].pk}/",
    "sap:certificate_pdf": lambda w: f"{ROOT}/attestations/{w['sap_certificate'].pk}/pdf/",
    "sap:certificate_sent": lambda w: f"{ROOT}/attestations/{w['sap_certificate'].pk}/envoyee/",
    "sap:certificate_regenerate": lambda w: (
        f"{ROOT}/attestations/{w['sap_certificate'].pk}/etablir-a-nouveau/"
    ),
    "sap:client": lambda w: f"{ROOT}/clients/{w['sap_client'].pk}/",
    "sap:registration": lambda w: f"{ROOT}/clients/{w['sap_client'].pk}/inscription/",
    "sap:registration_refresh": lambda w: (
        f"{ROOT}/clients/{w['sap_client'].pk}/inscription/actualiser/"
    ),
    "sap:request_submit": lambda w: f"{ROOT}/factures/{w['sap_invoice'].pk}/avance-immediate/",
    "sap:request": lambda w: f"{ROOT}/demandes/{w['sap_request'].pk}/",
    "sap:request_refresh": lambda w: f"{ROOT}/demandes/{w['sap_request'].pk}/actualiser/",
}
