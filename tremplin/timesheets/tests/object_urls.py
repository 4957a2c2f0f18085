"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.organisations.models import Entity
from tremplin.timesheets.models import TimesheetImport
from tremplin.timesheets.tests.factories import (
    ClientSignOffFactory,
    InterventionFactory,
    TimeEntryFactory,
)


def make_objects(entity: Entity) -> dict[str, Any]:
    return {
        "time_entry": TimeEntryFactory(entity=entity),
        "intervention": InterventionFactory(entity=entity),
        "signoff": ClientSignOffFactory(client__entity=entity),
        "timesheet_import": TimesheetImport.objects.create(
            entity=entity, file="imports/heures.csv", original_name="heures.csv"
        ),
    }


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "timesheets:entry_edit": lambda w: f"/heures/{w['time_entry'].pk}/modifier/",
    "timesheets:declare": lambda w: f"/heures/mes-heures/{w['intervention'].pk}/",
    # The link is the secret: someone who knows only what the database stores (the token's
    # hash, the sign-off's number) cannot open it.
    "timesheets:signoff": lambda w: f"/heures/validation/{w['signoff'].token_hash}/",
    "timesheets:import": lambda w: f"/heures/imports/{w['timesheet_import'].pk}/",
    "timesheets:import_errors": lambda w: f"/heures/imports/{w['timesheet_import'].pk}/erreurs.csv",
}
