"""Hours worked in the demo group: one entry for every past intervention of the demo orders.

The months before last are validated, ready to be closed; last month is mostly validated, with
one entry in four still declared, so the team validates them before the accountant closes the
month; the days of the current month before the day of loading are declared, by the worker
themselves when their account is linked to their file (the phone page), by the planner
otherwise. The day of loading and the days after it have no entry yet. No month is closed.

Only interventions without an entry get one, so a second load on the same day adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from tremplin.accounts.models import User
from tremplin.clients.rules import ClientKind
from tremplin.orders.models import Intervention, InterventionStatus
from tremplin.orders.rules import PARIS
from tremplin.organisations.models import Group
from tremplin.people import demo as people_demo
from tremplin.timesheets import actions as timesheets_actions
from tremplin.timesheets.models import EntrySource, EntryStatus, TimeEntry

# One entry in this many of last month is left declared.
DECLARED_EVERY = 4
# Travel time to a household, in minutes.
HOUSEHOLD_TRAVEL_MINUTES = 15
# Days after the work the team validates its hours, at this time.
VALIDATION_DELAY_DAYS = 3
VALIDATION_TIME = time(17)
PLANNER_LOGIN = "planning"


def load(group: Group, today: date) -> int:
    """Create the entries of the past interventions that have none; return how many."""
    planner = people_demo.demo_users([PLANNER_LOGIN])[PLANNER_LOGIN]
    this_month = today.replace(day=1)
    last_month = this_month - relativedelta(months=1)
    interventions = (
        Intervention.objects.filter(
            entity__group=group, day__lt=today, worker__isnull=False, time_entries__isnull=True
        )
        .exclude(status=InterventionStatus.CANCELLED)
        .select_related("order__client", "order__service", "worker__user")
        .order_by("day", "start", "order__client__name", "pk")
    )
    entries = []
    last_month_seen = 0
    for intervention in interventions:
        entry = _entry(intervention, planner)
        if intervention.day < last_month:
            _validate(entry, planner, today)
        elif intervention.day < this_month:
            last_month_seen += 1
            if last_month_seen % DECLARED_EVERY:
                _validate(entry, planner, today)
        entries.append(entry)
    TimeEntry.objects.bulk_create(entries, batch_size=500)
    timesheets_actions.mark_interventions(
        entry.intervention_id for entry in entries if entry.status == EntryStatus.VALIDATED
    )
    return len(entries)


def _entry(intervention: Intervention, planner: User) -> TimeEntry:
    order = intervention.order
    worker = intervention.worker
    assert worker is not None
    own_account = worker.user
    return TimeEntry(
        entity_id=intervention.entity_id,
        person=worker,
        client=order.client,
        intervention=intervention,
        service=order.service,
        day=intervention.day,
        hours=intervention.planned_hours,
        travel_minutes=HOUSEHOLD_TRAVEL_MINUTES if order.client.kind == ClientKind.HOUSEHOLD else 0,
        status=EntryStatus.DECLARED,
        source=EntrySource.WORKER if own_account else EntrySource.STAFF,
        declared_by=own_account or planner,
    )


def _validate(entry: TimeEntry, planner: User, today: date) -> None:
    day = min(entry.day + timedelta(days=VALIDATION_DELAY_DAYS), today)
    entry.status = EntryStatus.VALIDATED
    entry.validated_by = planner
    entry.validated_at = datetime.combine(day, VALIDATION_TIME, tzinfo=PARIS)
