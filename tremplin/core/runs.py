"""Background runs that stop showing progress: when one is taken as interrupted.

Pure functions (no database, no clock): the caller passes ``now``. The monthly close and the
yearly tax certificates use them; the delay is the setting ``TREMPLIN_STALLED_RUN_AFTER``.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def run_stalled(last_progress: datetime, now: datetime, *, after: timedelta) -> bool:
    """Whether a run still queued or "en cours" is taken as interrupted: it has shown no
    progress for ``after``. Its worker stopped (restart, lack of memory), or no worker takes the
    queue. The runs write a step within seconds (a close of 250,000 entries, a certificate per
    household), so half an hour without one is no slow run."""
    return now - last_progress >= after


def stalled_since(last_progress: datetime) -> str:
    """The first sentence of the message, in French (``last_progress`` in local time)."""
    return (
        f"Aucune progression depuis le {last_progress:%d/%m/%Y} à {last_progress:%H:%M} : le "
        "traitement semble interrompu (processus de tâches arrêté ou absent)."
    )
