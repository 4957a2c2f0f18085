"""``manage.py indicators``: the scope, the formats, the errors in French."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tremplin.contracts.tests.factories import ContractFactory
from tremplin.organisations.tests.factories import EntityFactory, GroupFactory
from tremplin.people.tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(datetime(2026, 3, 16, 10, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def group() -> Any:
    group = GroupFactory(slug="groupe-essai", name="Groupe Essai")
    ai = EntityFactory(group=group, slug="asso", name="Asso", association=True)
    ei = EntityFactory(group=group, slug="societe", name="Société")
    IntakeFactory(person__entity=ai, entity=ai, contacted_on=date(2025, 5, 5))
    IntakeFactory(person__entity=ei, entity=ei, contacted_on=date(2025, 6, 6))
    ContractFactory(
        person__entity=ai, entity=ai, cddua=True, start=date(2025, 2, 3), monthly_hours=Decimal(85)
    )
    return group


def run(**options: Any) -> str:
    out = io.StringIO()
    call_command("indicators", stdout=out, **options)
    return out.getvalue()


def test_the_only_group_by_default(group: Any) -> None:
    data = json.loads(run(year=2025))
    assert data["scope"] == {"kind": "group", "slug": "groupe-essai", "name": "Groupe Essai"}
    assert data["reference_date"] == "2025-12-31"
    assert data["indicators"]["people_received"] == 2
    assert [(e["slug"], e["indicators"]["people_received"]) for e in data["entities"]] == [
        ("asso", 1),
        ("societe", 1),
    ]
    assert data["indicators"]["cddua_average_monthly_hours"] == "85.00"


def test_one_entity(group: Any) -> None:
    data = json.loads(run(year=2025, entity="asso", format="json"))
    assert data["scope"]["kind"] == "entity" and "entities" not in data
    assert data["indicators"]["cddua_concluded"] == 1


def test_the_current_year_reads_up_to_today(group: Any) -> None:
    data = json.loads(run(year=2026, entity="asso"))
    assert data["reference_date"] == "2026-03-16"
    assert data["indicators"]["people_received"] == 0


def test_csv_on_stdout(group: Any) -> None:
    lines = list(
        csv.reader(io.StringIO(run(year=2025, entity="asso", format="csv")), delimiter=";")
    )
    assert lines[0] == ["indicateur", "libellé", "unité", "Asso"]
    rows = {line[0]: line for line in lines}
    assert rows["people_received"] == ["people_received", "Personnes accueillies", "", "1"]
    assert rows["cddua_average_monthly_hours"][3] == "85,00"


def test_several_groups_need_one_named(group: Any) -> None:
    GroupFactory(slug="autre-groupe")
    with pytest.raises(CommandError, match="Plusieurs groupes.*autre-groupe, groupe-essai"):
        run(year=2025)
    assert json.loads(run(year=2025, group="groupe-essai"))["scope"]["slug"] == "groupe-essai"
    # An entity names its group.
    assert json.loads(run(year=2025, entity="societe"))["scope"]["slug"] == "societe"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"entity": "inconnue"}, "Structure inconnue : « inconnue »", id="entity"),
        pytest.param({"group": "inconnu"}, "Groupe inconnu : « inconnu »", id="group"),
        pytest.param(
            {"entity": "asso", "group": "autre"},
            "n'appartient pas au groupe « autre »",
            id="entity_of_another_group",
        ),
    ],
)
def test_unknown_scope(group: Any, options: dict[str, str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(year=2025, **options)


def test_a_year_not_begun(group: Any) -> None:
    with pytest.raises(CommandError, match="L'année 2027 n'a pas commencé"):
        run(year=2027)


def test_no_group_at_all() -> None:
    with pytest.raises(CommandError, match="Aucun groupe"):
        run(year=2025)
