"""Import a CSV or XLSX file of hours for one entity from the command line, with progress.

Dry run by default (the file is read and checked, nothing is stored); ``--wet-run`` stores the
good rows. The format is documented in docs/imports.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tremplin.core.dates import today
from tremplin.organisations.models import Entity
from tremplin.timesheets import actions
from tremplin.timesheets.models import ImportStatus, TimesheetImport


class Command(BaseCommand):
    help = (
        "Importe un fichier d'heures (CSV ou XLSX) : FICHIER --entity SLUG. "
        "Simple vérification sans --wet-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="fichier .csv ou .xlsx (format : docs/imports.md)")
        parser.add_argument("--entity", required=True, help="identifiant (slug) de la structure")
        parser.add_argument(
            "--wet-run", action="store_true", help="enregistrer les lignes (sinon : vérification)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : « {path} ».")
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("Seuls les fichiers .csv et .xlsx sont acceptés.")
        entity = Entity.objects.filter(slug=options["entity"]).first()
        if entity is None:
            raise CommandError(f"Structure inconnue : « {options['entity']} ».")
        if options["wet_run"]:
            with path.open("rb") as stream:
                imp = TimesheetImport.objects.create(
                    entity=entity, file=File(stream, name=path.name), original_name=path.name
                )
            imp = actions.run_import(imp, today=today(), on_progress=self._show)
            if ImportStatus(imp.status) is ImportStatus.FAILED:
                raise CommandError(str(imp.errors[0]["message"]))
            outcome = actions.ImportOutcome(
                imp.total_rows, imp.imported_rows, imp.duplicate_rows, imp.error_rows, imp.errors
            )
        else:
            self.stdout.write("Vérification seule (ajoutez --wet-run pour enregistrer).")
            try:
                with path.open("rb") as stream:
                    outcome = actions.import_hours_file(
                        entity,
                        stream,
                        path.name,
                        today=today(),
                        by=None,
                        write=False,
                        on_progress=self._show,
                    )
            except actions.ImportFileError as exc:
                raise CommandError(str(exc)) from exc
        for error in outcome.errors:
            self.stdout.write(
                f"Ligne {error['line']}, colonne « {error['column']} » : {error['message']}"
                + (f" (valeur : « {error['value']} »)" if error["value"] else "")
            )
        if outcome.error_rows > len(outcome.errors):
            self.stdout.write(
                f"… {outcome.error_rows - len(outcome.errors)} autres lignes en erreur."
            )
        verb = "importées" if options["wet_run"] else "à importer"
        self.stdout.write(
            self.style.SUCCESS(
                f"{outcome.total_rows} lignes lues : {outcome.imported_rows} {verb}, "
                f"{outcome.duplicate_rows} déjà importées, {outcome.error_rows} en erreur."
            )
        )

    def _show(self, outcome: actions.ImportOutcome, fraction: float) -> None:
        percent = int(fraction * 100)
        bar = "#" * (percent // 5)
        self.stdout.write(f"[{bar:<20}] {percent:3d} % — {outcome.total_rows} lignes lues")
        self.stdout.flush()
