from __future__ import annotations

import factory

from tremplin.accounts.models import Membership, User
from tremplin.accounts.rules import Role
from tremplin.organisations.tests.factories import EntityFactory

PASSWORD = "mot-de-passe-de-test"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"utilisateur{n}@exemple.test")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Essai{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    entity = factory.SubFactory(EntityFactory)
    role = Role.CIP

    class Params:
        direction = factory.Trait(role=Role.DIRECTION)
        hr = factory.Trait(role=Role.HR)
        planner = factory.Trait(role=Role.PLANNER)
        accountant = factory.Trait(role=Role.ACCOUNTANT)
        reception = factory.Trait(role=Role.RECEPTION)
        worker = factory.Trait(role=Role.WORKER)


def user_with_role(role: Role, *entities: object) -> User:
    """A user holding ``role`` in each of ``entities``."""
    user = UserFactory()
    for entity in entities:
        MembershipFactory(user=user, entity=entity, role=role)
    return user
