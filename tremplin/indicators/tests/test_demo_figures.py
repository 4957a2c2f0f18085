"""The seed's table of first results, computed from the demo's records by the indicator engine.

The demo is dated from the day it is loaded: whatever that day, its last complete calendar year
gives the seed's figures (docs/indicators.md, "The seed's table from the demo data").
"""

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
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def _indicators(**options: Any) -> str:
    out = io.StringIO()
    call_command("indicators", stdout=out, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 16), date(2026, 11, 26), date(2027, 12, 31)],
    ids=["march", "november", "new_year_s_eve"],
)
def test_the_demo_gives_the_seed_s_figures_for_last_year(settings: Any, day: date) -> None:
    settings.DEBUG = True
    with time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=PARIS), tick=False):
        call_command("load_demo", stdout=io.StringIO())
        data = json.loads(_indicators(year=day.year - 1, format="json"))
        ai_alone = json.loads(_indicators(year=day.year - 1, entity="elan-emploi"))
    assert data["scope"]["kind"] == "group" and data["year"] == day.year - 1
    assert data["reference_date"] == f"{day.year - 1}-12-31"
    entities = {e["slug"]: e["indicators"] for e in data["entities"]}
    ai, services, home = (
        entities["elan-emploi"],
        entities["elan-services"],
        entities["elan-domicile"],
    )
    assert ai_alone["indicators"] == ai

    # At the AI, 15 CDDUA of 6 to 18 months concluded, on an average of 85 hours a month.
    assert ai["cddua_concluded"] == 15
    assert Decimal(ai["cddua_average_monthly_hours"]) == Decimal("85.00")
    assert 6 <= ai["cddua_duration_min_months"] <= ai["cddua_duration_max_months"] <= 18

    # At the multiservice company, 7 jobs created of which 3 CDI.
    assert services["jobs_created"] == 7
    assert services["jobs_created_cdi"] == 3

    # At the SAP company, 15 CDI created, most of them part time.
    assert home["jobs_created"] == home["jobs_created_cdi"] == 15
    assert home["jobs_created_by_kind"] == {"CDI": 15}
    assert home["jobs_created_part_time"] > 15 / 2

    # At the AI, close to 30 % of the insertion workers there for more than two years, mostly
    # seniors.
    assert Decimal("27") <= Decimal(ai["long_pathway_share"]) <= Decimal("33")
    assert ai["long_pathway_seniors"] > ai["long_pathways"] / 2
    assert ai["in_pathway_at_reference"] >= 40


@time_machine.travel(datetime(2026, 11, 26, 10, tzinfo=PARIS), tick=False)
def test_the_csv_of_the_demo_has_a_column_per_entity(settings: Any) -> None:
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    lines = list(csv.reader(io.StringIO(_indicators(year=2025, format="csv")), delimiter=";"))
    assert lines[0] == [
        "indicateur",
        "libellé",
        "unité",
        "Groupe Élan",
        "Élan Domicile",
        "Élan Emploi",
        "Élan Services",
    ]
    rows = {line[0]: line[3:] for line in lines[1:]}
    # Group, Élan Domicile, Élan Emploi, Élan Services; a decimal comma for the hours.
    assert rows["cddua_concluded"] == ["15", "0", "15", "0"]
    assert rows["cddua_average_monthly_hours"] == ["85,00", "", "85,00", ""]
    assert rows["jobs_created_cdi"] == ["18", "15", "0", "3"]
    group, *by_entity = rows["jobs_created"]
    assert int(group) == sum(int(n) for n in by_entity) and by_entity[0] == "15"
