"""Background runs that stop showing progress: when one is taken as interrupted.

``run_stalled`` is the pure rule (the caller passes ``now``); ``stalled`` applies it at the
current time with the setting ``TREMPLIN_STALLED_RUN_AFTER``. The monthly close and the yearly
tax certificates use them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def run_stalled(last_progress: datetime, now: datetime, *, after: timedelta) -> bool:
    """Whether a run still queued or "en cours" is taken as interrupted: it has shown no
    progress for ``after``. Its worker stopped (restart, lack of memory), or no worker takes the
    queue. The runs write a step within seconds (a close of 250,000 entries, a certificate per
    household), so half an hour without one is no slow run."""
    return now - last_progress >= after


def stalled(last_progress: datetime) -> bool:
    """``run_stalled`` now, with the configured delay."""
    return run_stalled(last_progress, timezone.now(), after=settings.TREMPLIN_STALLED_RUN_AFTER)


def stalled_since(last_progress: datetime) -> str:
    """The first sentence of the message, in French (``last_progress`` in local time)."""
    return (
        f"Aucune progression depuis le {last_progress:%d/%m/%Y} à {last_progress:%H:%M} : le "
        "traitement semble interrompu (processus de tâches arrêté ou absent)."
    )
