from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory

from tremplin.contracts.models import (
    Amendment,
    Contract,
    Funding,
    Habilitation,
    HabilitationKind,
    MedicalVisit,
    StaffLoan,
)
from tremplin.contracts.rules import ContractKind, EndReason, PostType, period_end
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.models import DocumentKind, PersonDocument
from tremplin.people.tests.factories import PersonFactory


class ContractFactory(factory.django.DjangoModelFactory[Contract]):
    """A CDDI of 6 months at 26 h a week by default; one trait per kind of contract."""

    class Meta:
        model = Contract

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    kind = ContractKind.CDDI
    post_type = PostType.INSERTION
    start = date(2025, 3, 3)
    planned_end = factory.LazyAttribute(lambda o: period_end(o.start, 6))
    weekly_hours = Decimal(26)
    monthly_hours = None
    hourly_rate = Decimal("12.50")
    job_title = "Agent d'entretien"
    funding = Funding.AIDE_AU_POSTE

    class Params:
        cddu = factory.Trait(
            kind=ContractKind.CDDU,
            planned_end=factory.LazyAttribute(lambda o: o.start + timedelta(days=30)),
            weekly_hours=None,
        )
        cddua = factory.Trait(
            kind=ContractKind.CDDUA,
            planned_end=factory.LazyAttribute(lambda o: period_end(o.start, 12)),
            weekly_hours=None,
            monthly_hours=Decimal(85),
        )
        cddi = factory.Trait(kind=ContractKind.CDDI)
        etti_mission = factory.Trait(
            kind=ContractKind.ETTI_MISSION,
            planned_end=factory.LazyAttribute(lambda o: period_end(o.start, 1)),
            weekly_hours=Decimal(35),
        )
        cdi_inclusion = factory.Trait(
            kind=ContractKind.CDI_INCLUSION,
            person=factory.SubFactory(PersonFactory, senior=True),
            planned_end=None,
            weekly_hours=Decimal(24),
        )
        pec = factory.Trait(
            kind=ContractKind.PEC,
            post_type=PostType.PERMANENT,
            planned_end=factory.LazyAttribute(lambda o: period_end(o.start, 12)),
            weekly_hours=Decimal(20),
            funding=Funding.PEC,
        )
        cdi = factory.Trait(
            kind=ContractKind.CDI,
            post_type=PostType.PERMANENT,
            planned_end=None,
            weekly_hours=Decimal(35),
            funding=Funding.NONE,
            job_title="Assistante de vie",
        )
        cdi_part_time = factory.Trait(
            kind=ContractKind.CDI,
            post_type=PostType.PERMANENT,
            planned_end=None,
            weekly_hours=Decimal(24),
            funding=Funding.NONE,
            job_title="Assistante de vie",
        )
        cdd = factory.Trait(
            kind=ContractKind.CDD,
            post_type=PostType.PERMANENT,
            planned_end=factory.LazyAttribute(lambda o: period_end(o.start, 3)),
            weekly_hours=Decimal(35),
            funding=Funding.NONE,
        )
        ended = factory.Trait(
            actual_end=factory.SelfAttribute("planned_end"), end_reason=EndReason.END_OF_TERM
        )


class AmendmentFactory(factory.django.DjangoModelFactory[Amendment]):
    class Meta:
        model = Amendment

    contract = factory.SubFactory(ContractFactory)
    effective_on = factory.SelfAttribute("contract.start")
    reason = "Augmentation de la durée du travail"
    changes = factory.LazyFunction(lambda: {"weekly_hours": ["24.00", "26"]})


class HabilitationFactory(factory.django.DjangoModelFactory[Habilitation]):
    class Meta:
        model = Habilitation

    person = factory.SubFactory(PersonFactory)
    kind = HabilitationKind.DRIVING_LICENCE_B
    obtained_on = date(2020, 5, 4)
    expires_on = None

    class Params:
        first_aid = factory.Trait(
            kind=HabilitationKind.FIRST_AID,
            obtained_on=date(2024, 6, 1),
            expires_on=date(2026, 6, 1),
        )


class MedicalVisitFactory(factory.django.DjangoModelFactory[MedicalVisit]):
    class Meta:
        model = MedicalVisit

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    done_on = date(2025, 3, 10)
    next_due_on = date(2030, 3, 10)


class StaffLoanFactory(factory.django.DjangoModelFactory[StaffLoan]):
    class Meta:
        model = StaffLoan

    contract = factory.SubFactory(ContractFactory, cdi=True)
    borrower = factory.SubFactory(
        EntityFactory, group=factory.SelfAttribute("..contract.entity.group")
    )
    start = date(2025, 4, 1)
    end = date(2025, 6, 30)
    weekly_hours = Decimal(10)
    hourly_cost = Decimal("18.40")
    agreement_reference = factory.Sequence(lambda n: f"CMAD-{n:04d}")
    consent_on = date(2025, 3, 20)


class WorkPermitFactory(factory.django.DjangoModelFactory[PersonDocument]):
    """A residence permit on the person's file (the file itself is not stored in tests)."""

    class Meta:
        model = PersonDocument

    person = factory.SubFactory(PersonFactory)
    kind = DocumentKind.WORK_PERMIT
    file = "people/titre-de-sejour.pdf"
    original_name = "titre-de-sejour.pdf"
    content_type = "application/pdf"
    size = 1024
    valid_until = date(2027, 1, 31)
