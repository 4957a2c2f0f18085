from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tremplin.core import runs

NOON = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes_since", "after", "stalled"),
    [
        (0, 30, False),
        (29, 30, False),
        (30, 30, True),
        (600, 30, True),
        (5, 5, True),
        (-1, 30, False),  # another process's clock a little ahead
    ],
)
def test_run_stalled(minutes_since: int, after: int, stalled: bool) -> None:
    now = NOON + timedelta(minutes=minutes_since)
    assert runs.run_stalled(NOON, now, after=timedelta(minutes=after)) is stalled


def test_stalled_since_dates_the_last_progress() -> None:
    assert runs.stalled_since(datetime(2026, 10, 5, 9, 7, tzinfo=UTC)) == (
        "Aucune progression depuis le 05/10/2026 à 09:07 : le traitement semble interrompu "
        "(processus de tâches arrêté ou absent)."
    )
