"""Load the invented demo group. Idempotent; refuses to run with DEBUG off unless --force."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tremplin.accounts import demo as accounts_demo
from tremplin.clients import demo as clients_demo
from tremplin.contracts import demo as contracts_demo
from tremplin.core.dates import today
from tremplin.economics import demo as economics_demo
from tremplin.invoicing import demo as invoicing_demo
from tremplin.missions import demo as missions_demo
from tremplin.orders import demo as orders_demo
from tremplin.organisations import demo as organisations_demo
from tremplin.pathways import demo as pathways_demo
from tremplin.people import demo as people_demo
from tremplin.planning import demo as planning_demo
from tremplin.sap import demo as sap_demo
from tremplin.timesheets import demo as timesheets_demo


class Command(BaseCommand):
    help = "Charge le groupe de démonstration (données inventées). Sans effet s'il existe déjà."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Charger même quand DEBUG est désactivé (jamais sur une instance réelle).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG est désactivé : les données de démonstration ne se chargent pas sur une "
                "instance de production. Ajoutez --force si vous êtes certain de vouloir le faire."
            )
        day = today()
        with transaction.atomic():
            self.stdout.write("Groupe et structures…")
            group = organisations_demo.load(day)
            self.stdout.write("Comptes de démonstration…")
            users = accounts_demo.load(group)
            self.stdout.write("Personnes et accueils…")
            people_demo.load(group, day)
            self.stdout.write("Parcours, PASS IAE, accompagnement et sorties…")
            pathways_demo.load(group, day)
            self.stdout.write("Clients des structures…")
            clients_demo.load(group, day)
            self.stdout.write("Contrats, habilitations, visites médicales et prêt de personnel…")
            contracts_demo.load(group, day)
            self.stdout.write("Mises à disposition de l'association intermédiaire…")
            missions_demo.load(group, day)
            self.stdout.write("Catalogue, commandes et interventions planifiées…")
            orders_demo.load(group, day)
            self.stdout.write("Relevés d'heures des interventions passées…")
            timesheets_demo.load(group, day)
            self.stdout.write("Attestations fiscales de l'an dernier des particuliers…")
            sap_demo.load(group, day)
            self.stdout.write("Clôture, factures et paiements des mois passés…")
            invoicing_demo.load(group, day)
            self.stdout.write("Points de départ des tournées des intervenants…")
            planning_demo.load(group)
            self.stdout.write("Économie du groupe : fonctions partagées, répartition, scénario…")
            economics_demo.load(group, day)
        self.stdout.write(
            self.style.SUCCESS(
                f"Groupe « {group.name} » prêt : {group.entities.count()} structures, "
                f"{len(users)} comptes (mot de passe : {accounts_demo.DEMO_PASSWORD})."
            )
        )
