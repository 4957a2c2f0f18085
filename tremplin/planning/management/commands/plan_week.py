"""Run the planning engine on one week of one entity from the command line, showing progress."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tremplin.core.dates import format_date
from tremplin.organisations.models import Entity
from tremplin.planning import actions, rules
from tremplin.planning.models import RunStatus


class Command(BaseCommand):
    help = (
        "Calcule une proposition de planning pour une semaine d'une structure : --entity SLUG "
        "--week AAAA-MM-JJ (un jour de la semaine) --seconds N."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entity", required=True, help="identifiant (slug) de la structure")
        parser.add_argument("--week", required=True, help="un jour de la semaine, AAAA-MM-JJ")
        parser.add_argument(
            "--seconds",
            type=int,
            default=rules.DEFAULT_SECONDS,
            help=f"durée de recherche en secondes ({rules.MIN_SECONDS} à {rules.MAX_SECONDS})",
        )
        parser.add_argument("--seed", type=int, default=0, help="graine du moteur")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["week"])
        except ValueError as exc:
            raise CommandError(
                f"Semaine : « {options['week']} » n'est pas une date AAAA-MM-JJ."
            ) from exc
        seconds = options["seconds"]
        if not rules.MIN_SECONDS <= seconds <= rules.MAX_SECONDS:
            raise CommandError(
                f"Durée de recherche : de {rules.MIN_SECONDS} à {rules.MAX_SECONDS} secondes."
            )
        entity = Entity.objects.filter(slug=options["entity"]).first()
        if entity is None:
            raise CommandError(f"Structure inconnue : « {options['entity']} ».")
        monday = rules.week_monday(day)
        self.stdout.write(f"{entity.name}, semaine du {format_date(monday)} ({seconds} s)")
        try:
            run = actions.start_run(
                entity, week=monday, seconds=seconds, by=None, run_in_background=False
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        run = actions.run_planning(run, progress=self._show, seed=options["seed"])
        if run.status == RunStatus.FAILED:
            raise CommandError(run.error)
        self.stdout.write(
            self.style.SUCCESS(
                f"Proposition n° {run.pk} : {run.served_count} intervention(s) pourvue(s), "
                f"{run.unserved_count} à pourvoir, {run.changed_count} changement(s), "
                f"{run.travel_minutes} min de trajet, calcul en {run.solve_seconds} s."
            )
        )
        for finding in run.findings:
            if finding["blocking"]:
                self.stdout.write(self.style.WARNING(f"Contrôle : {finding['message']}"))

    def _show(self, percent: int, step: str) -> None:
        bar = "#" * (percent // 5)
        self.stdout.write(f"[{bar:<20}] {percent:3d} % {step}")
        self.stdout.flush()
