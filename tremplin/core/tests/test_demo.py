from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tremplin.accounts.models import Membership, User
from tremplin.accounts.rules import Role
from tremplin.organisations.models import Convention, Entity, FinancialAnnex
from tremplin.organisations.rules import SiaeKind

pytestmark = pytest.mark.django_db


@time_machine.travel(date(2026, 11, 26), tick=False)
def test_load_demo_builds_the_seed_group_and_is_idempotent(settings: Any) -> None:
    settings.DEBUG = True
    call_command("load_demo", stdout=None)
    counts = (
        Entity.objects.count(),
        Convention.objects.count(),
        FinancialAnnex.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )
    call_command("load_demo", stdout=None)
    assert counts == (
        Entity.objects.count(),
        Convention.objects.count(),
        FinancialAnnex.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )
    ai = Entity.objects.get(slug="elan-emploi")
    assert [c.kind for c in ai.conventions_in_force(date(2026, 11, 26))] == [SiaeKind.AI]
    services = Entity.objects.get(slug="elan-services")
    (ei,) = services.conventions.all()
    assert ei.kind == SiaeKind.EI and ei.posts == 2
    sap = Entity.objects.get(slug="elan-domicile").sap_declarations.get()
    assert sap.activities == ["menage", "repassage", "jardinage"]
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values), "one demo account per role"
    for entity in Entity.objects.all():
        entity.full_clean()  # identifiers carry valid check keys


def test_load_demo_refuses_without_debug(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG est désactivé"):
        call_command("load_demo")
    assert not Entity.objects.exists()
