"""Close (or reopen) one month of one entity from the command line, showing progress."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tremplin.closing import actions, rules
from tremplin.closing.models import MonthlyClose
from tremplin.organisations.models import Entity


class Command(BaseCommand):
    help = (
        "Clôture (ou rouvre avec --reopen) un mois d'une structure : --entity SLUG --month AAAA-MM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entity", required=True, help="identifiant (slug) de la structure")
        parser.add_argument("--month", required=True, help="mois à clôturer, AAAA-MM")
        parser.add_argument("--reopen", action="store_true", help="rouvrir le mois clôturé")
        parser.add_argument("--reason", default="", help="motif de la réouverture (obligatoire)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year, month = rules.parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        entity = Entity.objects.filter(slug=options["entity"]).first()
        if entity is None:
            raise CommandError(f"Structure inconnue : « {options['entity']} ».")
        if options["reopen"]:
            self._reopen(entity, year, month, options["reason"].strip())
            return
        existing = MonthlyClose.objects.filter(entity=entity, year=year, month=month).first()
        if existing is not None and existing.status == actions.CloseStatus.CLOSED:
            self.stdout.write(f"Le mois {month:02d}/{year} est déjà clôturé : rien n'a changé.")
            return
        try:
            close = actions.start_close(
                entity, year=year, month=month, by=None, run_in_background=False
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if existing is not None and existing.status == actions.CloseStatus.RUNNING:
            self.stdout.write(
                rules.stalled_message(timezone.localtime(existing.last_progress))
                + f" Relance (tentative {close.attempt})."
            )
        result = actions.close_month(close, attempt=close.attempt, progress=self._show)
        if close.status == actions.CloseStatus.FAILED:
            raise CommandError(result.message)
        self.stdout.write(self.style.SUCCESS(result.message))

    def _show(self, percent: int, step: str) -> None:
        bar = "#" * (percent // 5)
        self.stdout.write(f"[{bar:<20}] {percent:3d} % {step}")
        self.stdout.flush()

    def _reopen(self, entity: Entity, year: int, month: int, reason: str) -> None:
        if len(reason) < 5:
            raise CommandError(
                "Indiquez le motif de la réouverture avec --reason (5 caractères au moins)."
            )
        close = MonthlyClose.objects.filter(entity=entity, year=year, month=month).first()
        if close is None:
            raise CommandError(f"Le mois {month:02d}/{year} n'a pas été clôturé.")
        try:
            reopened = actions.reopen_close(close, reason=reason, by=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        message = rules.reopened_message(
            unlocked=reopened.unlocked,
            drafts_deleted=reopened.drafts_deleted,
            issued=reopened.issued,
        )
        self.stdout.write(self.style.SUCCESS(f"{month:02d}/{year} : {message}"))
