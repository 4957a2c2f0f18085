from __future__ import annotations

from datetime import date, timedelta

import factory

from tremplin.organisations.rules import SiaeKind
from tremplin.pathways.models import (
    Appointment,
    AppointmentKind,
    BarrierAssessment,
    DiagnosisAuthor,
    EligibilityDiagnosis,
    PassIae,
    PathwayStep,
    StepKind,
)
from tremplin.people.tests.factories import PersonFactory


class PathwayStepFactory(factory.django.DjangoModelFactory[PathwayStep]):
    class Meta:
        model = PathwayStep

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    kind = StepKind.INSERTION
    siae_kind = SiaeKind.AI
    started_on = date(2025, 1, 6)


class EligibilityDiagnosisFactory(factory.django.DjangoModelFactory[EligibilityDiagnosis]):
    class Meta:
        model = EligibilityDiagnosis

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    siae_kind = SiaeKind.AI
    author_kind = DiagnosisAuthor.EMPLOYER
    made_on = date(2025, 1, 2)


class PassIaeFactory(factory.django.DjangoModelFactory[PassIae]):
    class Meta:
        model = PassIae

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    number = factory.Sequence(lambda n: f"99999{n:07d}")
    start = date(2025, 1, 6)
    end = factory.LazyAttribute(lambda o: o.start + timedelta(days=729))


class BarrierAssessmentFactory(factory.django.DjangoModelFactory[BarrierAssessment]):
    class Meta:
        model = BarrierAssessment

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    assessed_on = date(2025, 1, 10)


class AppointmentFactory(factory.django.DjangoModelFactory[Appointment]):
    class Meta:
        model = Appointment

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    held_on = date(2025, 2, 3)
    kind = AppointmentKind.INDIVIDUAL
    notes = "Point sur la recherche de logement."
