"""Factories of the services à la personne: a declared entity, consenting households, SAP
invoices issued and paid through the invoicing actions (the real path), registrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.clients.tests.factories import ClientFactory
from tremplin.invoicing import actions as invoicing_actions
from tremplin.invoicing.models import Invoice, Payment, PaymentMethod
from tremplin.invoicing.tests.factories import (
    InvoiceFactory,
    InvoiceLineFactory,
    InvoicingEntityFactory,
    sap_declaration,
)
from tremplin.orders.models import Service
from tremplin.organisations.models import Entity
from tremplin.sap.models import (
    CertificateActivity,
    CertificateRun,
    PaymentRequest,
    TaxCertificate,
    UrssafRegistration,
)
from tremplin.sap.rules import RegistrationStatus, RequestStatus, SapNature
from tremplin.sap.urssaf import Household, PostalAddress

D = Decimal


def sap_entity(**kwargs: Any) -> Entity:
    """An entity that issues SAP invoices: VAT-registered, declared since 2020."""
    entity = InvoicingEntityFactory(**kwargs)
    sap_declaration(entity)
    return entity


class HouseholdFactory(ClientFactory):
    """A household that agreed to the avance immédiate."""

    kind = ClientKind.HOUSEHOLD
    siret = factory.LazyFunction(str)
    name = factory.Sequence(lambda n: f"Foyer {n}")
    address = "12 rue des Lilas"
    postal_code = "79000"
    city = "Niort"
    email = factory.Sequence(lambda n: f"foyer{n}@example.org")
    immediate_advance_consent = True
    immediate_advance_consent_on = date(2025, 1, 6)


def sap_invoice(
    client: Client,
    lines: Sequence[tuple[str, str, str, str]] = (("menage", "10", "25.00", "10"),),
    *,
    period: tuple[date, date] = (date(2025, 3, 1), date(2025, 3, 31)),
    issue_date: date | None = None,
    worker_name: str = "",
    service: Service | None = None,
) -> Invoice:
    """An issued invoice of ``(activity, hours, unit price, VAT rate)`` lines for a household
    (``service``: the catalogue service of every line, to find the hours behind them)."""
    draft = InvoiceFactory(
        entity=client.entity, client=client, period_start=period[0], period_end=period[1]
    )
    for activity, quantity, price, rate in lines:
        InvoiceLineFactory(
            invoice=draft,
            label=f"Prestation {activity}",
            activity=activity,
            quantity=D(quantity),
            unit_price=D(price),
            vat_rate=D(rate),
            worker_name=worker_name,
            hours=D(quantity) if worker_name else None,
            service=service,
        )
    invoicing_actions.refresh_totals(draft)
    return invoicing_actions.issue_invoice(draft, by=None, issue_date=issue_date or period[1])


def pay(
    invoice: Invoice,
    amount: str | Decimal | None = None,
    *,
    on: date,
    method: str = PaymentMethod.TRANSFER,
) -> Payment:
    return invoicing_actions.record_payment(
        invoice,
        by=None,
        paid_on=on,
        amount=invoice.total_incl_tax if amount is None else D(amount),
        method=method,
    )


class TaxCertificateFactory(factory.django.DjangoModelFactory[TaxCertificate]):
    """A certificate row as generated (for pages and access tests; figures come from
    ``actions.generate_certificate`` in the tests of the figures)."""

    class Meta:
        model = TaxCertificate
        skip_postgeneration_save = True

    entity = factory.SubFactory(InvoicingEntityFactory)
    client = factory.SubFactory(HouseholdFactory, entity=factory.SelfAttribute("..entity"))
    year = 2025
    provider_name = factory.SelfAttribute("entity.legal_name")
    provider_address = factory.SelfAttribute("entity.address")
    provider_postal_code = factory.SelfAttribute("entity.postal_code")
    provider_city = factory.SelfAttribute("entity.city")
    provider_siret = factory.SelfAttribute("entity.siret")
    declaration_kind = "Déclaration"
    declaration_number = "SAP912345678"
    declared_on = date(2020, 1, 1)
    household_name = factory.SelfAttribute("client.name")
    household_address = factory.SelfAttribute("client.address")
    household_postal_code = factory.SelfAttribute("client.postal_code")
    household_city = factory.SelfAttribute("client.city")
    total_paid = D("1100.00")
    total_net = D("1100.00")
    eligible_total = D("1100.00")
    total_hours = D("40.00")
    fingerprint = factory.Sequence(lambda n: f"{n:064d}")
    generated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def activity(obj: TaxCertificate, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            CertificateActivity.objects.create(
                certificate=obj,
                nature=SapNature.HOUSEWORK,
                paid=obj.total_paid,
                through_advance=D(0),
                aid=D(0),
                excluded=D(0),
                net=obj.total_net,
                advance_received=D(0),
                eligible=obj.eligible_total,
                above_cap=D(0),
                hours=obj.total_hours,
            )


class CertificateRunFactory(factory.django.DjangoModelFactory[CertificateRun]):
    class Meta:
        model = CertificateRun

    entity = factory.SubFactory(InvoicingEntityFactory)
    year = 2025


class UrssafRegistrationFactory(factory.django.DjangoModelFactory[UrssafRegistration]):
    class Meta:
        model = UrssafRegistration

    client = factory.SubFactory(HouseholdFactory)
    entity = factory.SelfAttribute("client.entity")
    status = RegistrationStatus.ACTIVE
    urssaf_id = factory.Sequence(lambda n: f"00000000-0000-4000-8000-{n:012d}")
    civility = "2"
    birth_name = "Durand"
    first_names = "Jeanne"
    birth_date = date(1980, 3, 29)
    iban_masked = "FR76…0189"
    submitted_at = factory.LazyFunction(timezone.now)


class PaymentRequestFactory(factory.django.DjangoModelFactory[PaymentRequest]):
    class Meta:
        model = PaymentRequest

    registration = factory.SubFactory(UrssafRegistrationFactory)
    entity = factory.SelfAttribute("registration.entity")
    invoice = factory.SubFactory(
        InvoiceFactory,
        entity=factory.SelfAttribute("..entity"),
        client=factory.SelfAttribute("..registration.client"),
    )
    status = RequestStatus.AWAITING_CLIENT
    urssaf_id = factory.Sequence(lambda n: f"{n:032x}")
    amount_incl_tax = D("275.00")
    amount_excl_tax = D("250.00")
    submitted_at = factory.LazyFunction(timezone.now)


def household_data(**changes: Any) -> Household:
    """What the registration form collects for M. Yann Le Gall, born in Brest (29019)."""
    data = Household(
        civility="1",
        birth_name="Le Gall",
        first_names="Yann",
        birth_date=date(1961, 7, 14),
        birth_country_code="99100",
        birth_department="029",
        birth_commune_code="019",
        birth_commune_label="Brest",
        mobile="0612345678",
        email="yann.legall@example.org",
        address=PostalAddress(postal_code="79000", commune_code="79191", commune_label="NIORT"),
        iban="FR7630006000011234567890189",
        bic="BNPAFRPPXXX",
        account_holder="M. Yann Le Gall",
    )
    return replace(data, **changes)
