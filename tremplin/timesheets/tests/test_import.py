from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.models import AuditEntry
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.timesheets import actions
from tremplin.timesheets.models import (
    EntrySource,
    EntryStatus,
    ImportStatus,
    TimeEntry,
    TimesheetImport,
)
from tremplin.timesheets.tests.factories import ServiceFactory

TODAY = date(2026, 11, 26)
HEADER = "date;matricule;client;heures;prestation;trajet_minutes"


@pytest.fixture(autouse=True)
def _frozen_and_in_memory(settings: Any) -> Iterator[None]:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    with time_machine.travel(date(2026, 11, 26), tick=False):
        yield


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    entity = EntityFactory()
    contract = ContractFactory(
        entity=entity, person__entity=entity, start=date(2026, 1, 5), planned_end=date(2026, 12, 31)
    )
    return {
        "entity": entity,
        "person": contract.person,
        "client": ClientFactory(entity=entity),
        "service": ServiceFactory(entity=entity, name="Entretien de locaux"),
    }


def csv_bytes(world: dict[str, Any], encoding: str = "utf-8-sig") -> bytes:
    p, c = world["person"].pk, world["client"].pk
    lines = [
        HEADER,
        f"02/11/2026;{p};{c};7,5;Entretien de locaux;20",
        f"03/11/2026;{p};{c};abc;;",
        f"04/11/2026;999999;{c};3;;",
        "",
        f"05/11/2026;{p};{c};24,5;;",
        f"06/11/2026;{p};{c};4;entretien de locaux;",
        f"02/11/2026;{p};{c};7,50;Entretien de locaux;20",
        f"31/11/2026;{p};{c};2;;",
        f"07/11/2026;{p};{c};0;Prestation « spéciale » é;",
    ]
    return "\r\n".join(lines).encode(encoding)


def run(world: dict[str, Any], data: bytes, name: str = "heures.csv") -> actions.ImportOutcome:
    return actions.import_hours_file(world["entity"], io.BytesIO(data), name, today=TODAY, by=None)


EXPECTED_ERRORS = [
    (3, "heures"),
    (4, "matricule"),
    (6, "heures"),
    (8, "ligne"),
    (9, "date"),
    (10, "heures"),
    (10, "prestation"),
]


def test_good_rows_are_stored_and_bad_ones_reported_by_line_and_column(
    world: dict[str, Any],
) -> None:
    outcome = run(world, csv_bytes(world))
    assert (outcome.total_rows, outcome.imported_rows, outcome.error_rows) == (8, 2, 6)
    assert [(e["line"], e["column"]) for e in outcome.errors] == EXPECTED_ERRORS
    assert outcome.errors[0]["value"] == "abc"
    entries = TimeEntry.objects.filter(entity=world["entity"]).order_by("day")
    assert [(e.day, e.hours, e.travel_minutes, e.service) for e in entries] == [
        (date(2026, 11, 2), Decimal("7.50"), 20, world["service"]),
        (date(2026, 11, 6), Decimal("4.00"), 0, world["service"]),
    ]
    assert {(e.status, e.source) for e in entries} == {(EntryStatus.DECLARED, EntrySource.IMPORT)}


def test_importing_the_same_file_twice_adds_nothing(world: dict[str, Any]) -> None:
    run(world, csv_bytes(world))
    again = run(world, csv_bytes(world))
    assert (again.imported_rows, again.duplicate_rows) == (0, 2)
    assert TimeEntry.objects.filter(entity=world["entity"]).count() == 2


def test_a_windows_1252_file_is_read(world: dict[str, Any]) -> None:
    outcome = run(world, csv_bytes(world, encoding="cp1252"))
    assert outcome.imported_rows == 2
    assert outcome.errors[-1]["value"] == "Prestation « spéciale » é"


def test_an_xlsx_file_is_read_with_typed_cells(world: dict[str, Any]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(";"))
    sheet.append([date(2026, 11, 2), world["person"].pk, world["client"].pk, 7.5, None, 15])
    sheet.append([date(2026, 11, 3), world["person"].pk, 999999, 3, None, None])
    sheet.append(["03/11/2026", str(world["person"].pk), str(world["client"].pk), "6,25"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = run(world, buffer.getvalue(), "heures.xlsx")
    assert outcome.imported_rows == 2
    assert [(e["line"], e["column"]) for e in outcome.errors] == [(3, "client")]
    hours = sorted(TimeEntry.objects.values_list("hours", flat=True))
    assert hours == [Decimal("6.25"), Decimal("7.50")]


def test_a_file_without_the_expected_header_is_refused(world: dict[str, Any]) -> None:
    with pytest.raises(actions.ImportFileError, match="« client »"):
        run(world, b"date;matricule;heures\r\n02/11/2026;1;3\r\n")
    with pytest.raises(actions.ImportFileError, match="classeur Excel"):
        run(world, b"not a zip", "heures.xlsx")


def test_rows_of_a_closed_month_are_refused(world: dict[str, Any]) -> None:
    MonthlyClose.objects.create(
        entity=world["entity"], year=2026, month=11, status=CloseStatus.CLOSED
    )
    outcome = run(world, csv_bytes(world))
    assert outcome.imported_rows == 0
    assert "le mois de novembre 2026 est clôturé" in str(outcome.errors[0]["message"])


def test_the_stored_errors_are_capped_but_counted(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tremplin.timesheets.rules.STORED_ERRORS_CAP", 3)
    outcome = run(world, csv_bytes(world))
    assert outcome.error_rows == 6
    assert len(outcome.errors) == 3


def test_upload_runs_the_import_in_the_background_and_shows_progress(
    client: Any, world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    user = user_with_role(Role.PLANNER, world["entity"])
    client.force_login(user)
    upload = SimpleUploadedFile("heures.csv", csv_bytes(world), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("timesheets:import_new"), {"file": upload})
    imp = TimesheetImport.objects.get()
    assert response["Location"] == reverse("timesheets:import", args=[imp.pk])
    assert (imp.status, imp.progress, imp.imported_rows, imp.error_rows) == (
        ImportStatus.DONE,
        100,
        2,
        6,
    )
    assert TimeEntry.objects.filter(declared_by=user).count() == 2
    assert AuditEntry.objects.filter(action="timesheets.import_done").exists()
    page = client.get(reverse("timesheets:import", args=[imp.pk]))
    assert 'hx-trigger="every 1s"' not in page.content.decode()
    assert "aucun salarié de la structure n&#x27;a ce matricule" in page.content.decode()
    download = client.get(reverse("timesheets:import_errors", args=[imp.pk]))
    text = download.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "ligne;colonne;valeur;motif"
    assert text.splitlines()[1].startswith("3;heures;abc;")


def test_a_running_import_is_polled_every_second_and_refreshable_without_js(
    client: Any, world: dict[str, Any]
) -> None:
    imp = TimesheetImport.objects.create(
        entity=world["entity"], file="imports/x.csv", original_name="x.csv", progress=40
    )
    client.force_login(user_with_role(Role.ACCOUNTANT, world["entity"]))
    url = reverse("timesheets:import", args=[imp.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and f'href="{url}">Actualiser' in page
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="import-progress"')
    assert fragment.strip() in page
    assert 'value="40"' in fragment


def test_a_worker_cannot_import(client: Any, world: dict[str, Any]) -> None:
    client.force_login(user_with_role(Role.CIP, world["entity"]))
    assert client.get(reverse("timesheets:import_new")).status_code == 403


def test_the_command_checks_by_default_and_stores_with_wet_run(
    world: dict[str, Any], tmp_path: Any
) -> None:
    path = tmp_path / "heures.csv"
    path.write_bytes(csv_bytes(world))
    out = io.StringIO()
    call_command("import_hours", str(path), entity=world["entity"].slug, stdout=out)
    assert TimeEntry.objects.count() == 0
    assert "Ligne 3, colonne « heures »" in out.getvalue()
    assert "8 lignes lues : 2 à importer, 0 déjà importées, 6 en erreur." in out.getvalue()
    out = io.StringIO()
    call_command("import_hours", str(path), entity=world["entity"].slug, wet_run=True, stdout=out)
    assert TimeEntry.objects.count() == 2
    assert "100 %" in out.getvalue()
    assert "2 importées" in out.getvalue()


def test_the_errors_file_neutralises_formulas(client: Any, world: dict[str, Any]) -> None:
    imp = TimesheetImport.objects.create(
        entity=world["entity"],
        file="imports/x.csv",
        original_name="x.csv",
        status=ImportStatus.DONE,
        error_rows=1,
        errors=[
            {
                "line": 2,
                "column": "client",
                "value": '=HYPERLINK("http://exemple.test","x")',
                "message": "client inconnu",
            }
        ],
    )
    client.force_login(user_with_role(Role.PLANNER, world["entity"]))
    text = client.get(reverse("timesheets:import_errors", args=[imp.pk])).content.decode(
        "utf-8-sig"
    )
    row = next(csv.reader(text.splitlines()[1:2], delimiter=";"))
    assert row == ["2", "client", '\'=HYPERLINK("http://exemple.test","x")', "client inconnu"]
