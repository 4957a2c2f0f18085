"""Navigation of the application shell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str | None  # None: the area is not built yet and shows as disabled
    prefix: str = ""


# The areas of the product, in the order of a person's pathway through the group.
NAVIGATION = (
    NavItem("Accueil", "people:intakes", "/personnes/"),
    NavItem("Parcours", "pathways:worklist", "/parcours/"),
    NavItem("Contrats", None),
    NavItem("Clients", None),
    NavItem("Planning", None),
    NavItem("Heures", None),
    NavItem("Facturation", None),
    NavItem("Groupe", "organisations:group", "/groupe/"),
    NavItem("Territoire", None),
    NavItem("Pilotage", None),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    items = []
    for item in NAVIGATION:
        url = None
        if item.url_name:
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                url = None
        items.append(
            {
                "label": item.label,
                "url": url,
                "active": bool(item.prefix) and request.path.startswith(item.prefix),
            }
        )
    return {
        "nav_items": items,
        "current_entity": request.entity,  # type: ignore[attr-defined]
        "visible_entities": request.visible_entities,  # type: ignore[attr-defined]
    }
