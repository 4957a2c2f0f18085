from __future__ import annotations

import pytest

from tremplin.accounts.rules import Role, can_read_accompaniment, is_group_wide
from tremplin.accounts.tests.factories import MembershipFactory, user_with_role
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory


@pytest.mark.parametrize(
    ("role", "group_wide"),
    [(Role.DIRECTION, True), (Role.HR, True)]
    + [(r, False) for r in Role if r not in {Role.DIRECTION, Role.HR}],
    ids=lambda v: str(v),
)
def test_group_wide_roles(role: Role, group_wide: bool) -> None:
    assert is_group_wide(role) is group_wide


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        pytest.param({Role.CIP}, True, id="cip"),
        pytest.param({Role.DIRECTION}, True, id="direction"),
        pytest.param({Role.PLANNER}, False, id="planner"),
        pytest.param({Role.ACCOUNTANT, Role.HR}, False, id="accountant_and_hr"),
        pytest.param(set(), False, id="no_role"),
    ],
)
def test_accompaniment_readers(roles: set[Role], allowed: bool) -> None:
    assert can_read_accompaniment(roles) is allowed


@pytest.mark.django_db
class TestVisibleEntities:
    def setup_method(self) -> None:
        self.group = GroupFactory()
        self.ai = EntityFactory(group=self.group, association=True)
        self.company = EntityFactory(group=self.group)
        self.elsewhere = EntityFactory()  # another group

    def test_group_wide_role_sees_the_whole_group_and_nothing_else(self) -> None:
        for role in (Role.DIRECTION, Role.HR):
            user = user_with_role(role, self.ai)
            assert set(user.visible_entities()) == {self.ai, self.company}
            assert user.roles_in(self.company) == {role}
            assert user.roles_in(self.elsewhere) == frozenset()

    def test_local_role_sees_its_entities_only(self) -> None:
        user = user_with_role(Role.CIP, self.company)
        assert list(user.visible_entities()) == [self.company]
        assert user.roles_in(self.ai) == frozenset()

    def test_roles_add_up(self) -> None:
        user = user_with_role(Role.PLANNER, self.company)
        MembershipFactory(user=user, entity=self.company, role=Role.ACCOUNTANT)
        assert user.roles_in(self.company) == {Role.PLANNER, Role.ACCOUNTANT}

    def test_user_without_membership_sees_nothing(self, client: object) -> None:
        user = user_with_role(Role.CIP)
        assert not user.visible_entities().exists()
