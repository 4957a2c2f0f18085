"""Serve the local stand-in of the URSSAF API Tiers de prestation, for development."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tremplin.sap.fake_urssaf import FakeUrssaf


class Command(BaseCommand):
    help = (
        "Sert en local un simulateur de l'API Tiers de prestation de l'URSSAF (données en "
        "mémoire), pour essayer l'avance immédiate sans identifiants réels."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--auto-activate",
            action="store_true",
            help="les clients inscrits activent leur compte aussitôt",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fake = FakeUrssaf(known_taxpayers_only=False, auto_activate=options["auto_activate"])
        url = fake.start(options["port"])
        self.stdout.write(
            "Simulateur URSSAF à l'écoute. Lancez l'application avec :\n"
            f"  URSSAF_API_URL={url} URSSAF_CLIENT_ID={fake.client_id} "
            f"URSSAF_CLIENT_SECRET={fake.client_secret}\n"
            "Ctrl-C pour arrêter."
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            fake.stop()
