"""Ask URSSAF where the registrations and payment requests stand (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tremplin.organisations.models import Entity
from tremplin.sap import actions
from tremplin.sap.models import PaymentRequest, UrssafRegistration
from tremplin.sap.urssaf import NOT_CONFIGURED_MESSAGE, configured_gateway


class Command(BaseCommand):
    help = (
        "Met à jour, auprès de l'URSSAF, les inscriptions en attente d'activation et les "
        "demandes de paiement en cours (toutes les structures, ou --entity SLUG)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entity", help="identifiant (slug) d'une structure")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            gateway = configured_gateway()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if gateway is None:
            raise CommandError(NOT_CONFIGURED_MESSAGE)
        if options["entity"]:
            entities = list(Entity.objects.filter(slug=options["entity"]))
            if not entities:
                raise CommandError(f"Structure inconnue : « {options['entity']} ».")
        else:
            ids = set(PaymentRequest.objects.values_list("entity_id", flat=True)) | set(
                UrssafRegistration.objects.values_list("entity_id", flat=True)
            )
            entities = list(Entity.objects.filter(pk__in=ids).order_by("name"))
        for entity in entities:
            self.stdout.write(f"{entity.name}…")
            try:
                result = actions.refresh_entity(
                    entity, gateway=gateway, by=None, progress=self._show
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(
                self.style.SUCCESS(
                    f"{entity.name} : {result.checked} demande(s) vérifiée(s), "
                    f"{result.changed} changement(s) d'état."
                )
            )

    def _show(self, percent: int, step: str) -> None:
        bar = "#" * (percent // 5)
        self.stdout.write(f"[{bar:<20}] {percent:3d} % {step}")
        self.stdout.flush()
