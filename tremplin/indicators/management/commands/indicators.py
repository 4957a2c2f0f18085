"""Print the indicators of a year, for a group or one entity, as JSON or CSV on stdout."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tremplin.core.dates import today
from tremplin.indicators import engine, exports
from tremplin.organisations.models import Entity, Group


class Command(BaseCommand):
    help = (
        "Indicateurs d'une année : --year AAAA, pour le groupe (--group SLUG, facultatif s'il "
        "n'y a qu'un groupe) ou une structure (--entity SLUG), au format --format json|csv."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, type=int, help="année civile, AAAA")
        parser.add_argument("--entity", help="identifiant (slug) d'une structure")
        parser.add_argument(
            "--group", help="identifiant (slug) du groupe ; obligatoire s'il y en a plusieurs"
        )
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = self._scope(options.get("entity"), options.get("group"))
        entities = [scope] if isinstance(scope, Entity) else list(scope.entities.order_by("name"))
        try:
            report = engine.compute(entities, options["year"], today=today())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["format"] == "csv":
            exports.write_csv(self.stdout, report, scope=scope)
            return
        data = engine.payload(report, scope=scope)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def _scope(self, entity_slug: str | None, group_slug: str | None) -> Entity | Group:
        """The entity named, else the group named, else the only group."""
        if entity_slug:
            entity = Entity.objects.select_related("group").filter(slug=entity_slug).first()
            if entity is None:
                raise CommandError(f"Structure inconnue : « {entity_slug} ».")
            if group_slug and entity.group.slug != group_slug:
                raise CommandError(
                    f"La structure « {entity_slug} » n'appartient pas au groupe « {group_slug} »."
                )
            return entity
        if group_slug:
            group = Group.objects.filter(slug=group_slug).first()
            if group is None:
                raise CommandError(f"Groupe inconnu : « {group_slug} ».")
            return group
        groups = list(Group.objects.order_by("slug")[:2])
        if not groups:
            raise CommandError("Aucun groupe n'est enregistré.")
        if len(groups) > 1:
            names = ", ".join(Group.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"Plusieurs groupes sont enregistrés ({names}) : précisez --group ou --entity."
            )
        return groups[0]
