"""Establish one year's tax certificates of an entity from the command line, with progress."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tremplin.core.dates import today
from tremplin.organisations.models import Entity
from tremplin.sap import actions
from tremplin.sap.models import RunStatus


class Command(BaseCommand):
    help = (
        "Établit les attestations fiscales d'une année pour les clients particuliers d'une "
        "structure : --entity SLUG --year AAAA."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entity", required=True, help="identifiant (slug) de la structure")
        parser.add_argument("--year", required=True, help="année des paiements, AAAA")

    def handle(self, *args: Any, **options: Any) -> None:
        text = str(options["year"])
        if not (text.isdigit() and len(text) == 4):
            raise CommandError(f"Année invalide : « {text} » (format attendu AAAA, ex. 2025).")
        entity = Entity.objects.filter(slug=options["entity"]).first()
        if entity is None:
            raise CommandError(f"Structure inconnue : « {options['entity']} ».")
        try:
            run = actions.start_certificate_run(
                entity, year=int(text), by=None, today=today(), run_in_background=False
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        run = actions.run_certificates(run, progress=self._show)
        if run.status == RunStatus.FAILED:
            raise CommandError(run.error)
        self.stdout.write(self.style.SUCCESS(run.step))

    def _show(self, percent: int, step: str) -> None:
        bar = "#" * (percent // 5)
        self.stdout.write(f"[{bar:<20}] {percent:3d} % {step}")
        self.stdout.flush()
