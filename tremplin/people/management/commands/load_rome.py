"""Load the ROME directory of jobs (reference data) from a CSV file."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tremplin.people.models import RomeJob

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "rome.csv"
HEADER = ["code", "libelle"]
# A ROME code: the letter of a "grand domaine" (A to N) and four digits, e.g. K2204.
CODE = re.compile(r"^[A-N][0-9]{4}$")
PROGRESS_EVERY = 25


def read_rome_csv(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Rows ``(code, label)`` of the file and the errors, each naming its line number.

    Lines starting with ``#`` and blank lines are comments; the first other line is the header.
    """
    rows: list[tuple[str, str]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line], delimiter=";"))]
        if not header_seen:
            header_seen = True
            if [cell.lower() for cell in cells] != HEADER:
                errors.append(
                    f"Ligne {number} : en-tête « code;libelle » attendu, « {line.strip()} » trouvé."
                )
            continue
        if len(cells) != 2:
            errors.append(f"Ligne {number} : 2 colonnes attendues, {len(cells)} trouvées.")
            continue
        code, label = cells[0].upper(), cells[1]
        if not CODE.match(code):
            errors.append(
                f"Ligne {number} : code ROME « {cells[0]} » invalide (une lettre de A à N puis"
                " 4 chiffres, par exemple K2204)."
            )
        elif not label:
            errors.append(f"Ligne {number} : l'intitulé du métier {code} est vide.")
        elif len(label) > RomeJob._meta.get_field("label").max_length:  # type: ignore[operator]
            errors.append(f"Ligne {number} : l'intitulé du métier {code} est trop long.")
        elif code in seen:
            errors.append(f"Ligne {number} : le code {code} figure déjà ligne {seen[code]}.")
        else:
            seen[code] = number
            rows.append((code, label))
    if not header_seen:
        errors.append("Le fichier ne contient aucune ligne : en-tête « code;libelle » attendu.")
    return rows, errors


class Command(BaseCommand):
    help = (
        "Charge les métiers du ROME (code et intitulé) depuis un fichier CSV en UTF-8, séparé par"
        " des « ; », dont la première ligne hors commentaires (#) est l'en-tête « code;libelle »."
        " Par défaut tremplin/people/data/rome.csv : extrait de la nomenclature ROME v3 de France"
        " Travail (répertoire opérationnel des métiers et des emplois) couvrant les activités du"
        " groupe. Relançable : les métiers existants sont mis à jour, jamais dupliqués. Le fichier"
        " entier est vérifié avant tout enregistrement."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fichier",
            dest="path",
            type=Path,
            default=DEFAULT_PATH,
            help="Chemin du fichier CSV (par défaut : l'extrait livré avec Tremplin).",
        )

    def handle(self, *args: Any, path: Path, verbosity: int, **options: Any) -> None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise CommandError(f"Fichier introuvable : {path}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"Fichier {path} : encodage UTF-8 attendu (octet illisible en position"
                f" {exc.start})."
            ) from exc
        rows, errors = read_rome_csv(text)
        if errors:
            raise CommandError(f"Fichier {path} : rien n'a été chargé.\n" + "\n".join(errors))
        existing = dict(RomeJob.objects.values_list("code", "label"))
        created = updated = 0
        total = len(rows)
        with transaction.atomic():
            for done, (code, label) in enumerate(rows, start=1):
                if existing.get(code) != label:
                    _, was_created = RomeJob.objects.update_or_create(
                        code=code, defaults={"label": label}
                    )
                    created += was_created
                    updated += not was_created
                if verbosity and (done % PROGRESS_EVERY == 0 or done == total):
                    self.stdout.write(f"Métiers ROME : {done}/{total}")
        unchanged = total - created - updated
        if not verbosity:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{total} métiers ROME lus : {created} créés, {updated} mis à jour,"
                f" {unchanged} inchangés."
            )
        )
