from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tremplin.planning.models import PlanningRun, RunStatus
from tremplin.planning.tests.factories import MONDAY, intervention, located_entity, order, worker

pytestmark = pytest.mark.django_db


def test_plan_week_shows_progress_and_the_proposal() -> None:
    entity = located_entity()
    worker(entity, "Ana")
    intervention(order(entity), MONDAY + timedelta(days=2))
    out = StringIO()
    # Any day of the week designates it.
    call_command(
        "plan_week",
        entity=entity.slug,
        week=(MONDAY + timedelta(days=3)).isoformat(),
        seconds=1,
        stdout=out,
    )
    text = out.getvalue()
    run = PlanningRun.objects.get(entity=entity)
    assert run.week == MONDAY and run.status == RunStatus.DONE and run.started_by is None
    assert "semaine du 12/01/2026" in text
    assert "[####################] 100 % Proposition prête" in text
    assert f"Proposition n° {run.pk} : 1 intervention(s) pourvue(s), 0 à pourvoir" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"entity": "inconnue", "week": "2026-01-12"}, "Structure inconnue"),
        ({"week": "12/01/2026"}, "n'est pas une date AAAA-MM-JJ"),
        ({"week": "2026-01-12", "seconds": 0}, "de 1 à 600 secondes"),
    ],
    ids=["unknown_entity", "bad_date", "no_time"],
)
def test_plan_week_refuses_bad_input(options: dict[str, object], message: str) -> None:
    entity = located_entity()
    with pytest.raises(CommandError, match=message):
        call_command("plan_week", **{"entity": entity.slug, **options})
    assert not PlanningRun.objects.exists()


def test_plan_week_reports_a_failed_run() -> None:
    entity = located_entity()
    entity.sites.update(latitude=None, longitude=None)
    worker(entity, "Ana")
    with pytest.raises(CommandError, match="renseignez la latitude"):
        call_command("plan_week", entity=entity.slug, week="2026-01-12", seconds=1)
