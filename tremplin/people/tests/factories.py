from __future__ import annotations

import itertools
from datetime import date

import factory

from tremplin.core.dates import today
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.models import (
    Intake,
    IntakeChannel,
    Orienter,
    Person,
    PersonJob,
    RomeJob,
    SkillKind,
)
from tremplin.people.rules import Civility, IntakeStatus

_serial = itertools.count(1)


def make_nir(sex: str, year: int, month: int, department: str = "79", rest: str = "") -> str:
    """A NIR with a computed key (2A/2B count as 19/18); never a real person's number."""
    rest = rest or f"{next(_serial) % 1_000_000:06d}"
    body = f"{sex}{year % 100:02d}{month:02d}{department}{rest}"
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(department, department) + body[7:]
    return f"{body}{97 - int(numeric) % 97:02d}"


def nir_for(person: Person) -> str:
    sex = "1" if person.civility == Civility.M else "2"
    return make_nir(sex, person.birth_date.year, person.birth_date.month)


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    entity = factory.SubFactory(EntityFactory)
    civility = Civility.MME
    birth_name = factory.Sequence(lambda n: f"Essai{n}")
    first_name = "Camille"
    birth_date = date(1985, 6, 15)
    postal_code = "79000"
    city = "Niort"

    class Params:
        senior = factory.Trait(birth_date=date(1966, 2, 1))

    @factory.post_generation
    def nir(obj: Person, create: bool, extracted: str | bool | None, **kwargs: object) -> None:  # noqa: N805
        """``PersonFactory(nir=True)`` gives a valid NIR; ``nir="…"`` a chosen one."""
        if extracted:
            obj.set_nir(nir_for(obj) if extracted is True else str(extracted))
            if create:
                obj.save()


class IntakeFactory(factory.django.DjangoModelFactory[Intake]):
    class Meta:
        model = Intake

    person = factory.SubFactory(PersonFactory)
    entity = factory.SelfAttribute("person.entity")
    contacted_on = factory.LazyFunction(today)
    channel = IntakeChannel.WALK_IN
    orienter = Orienter.FRANCE_TRAVAIL
    status = IntakeStatus.CONTACTED
    status_changed_on = factory.SelfAttribute("contacted_on")


class RomeJobFactory(factory.django.DjangoModelFactory[RomeJob]):
    class Meta:
        model = RomeJob
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"K{2200 + n % 800:04d}")
    label = factory.Sequence(lambda n: f"Métier {n}")


class PersonJobFactory(factory.django.DjangoModelFactory[PersonJob]):
    class Meta:
        model = PersonJob

    person = factory.SubFactory(PersonFactory)
    rome = factory.SubFactory(RomeJobFactory)
    kind = SkillKind.WANTED
