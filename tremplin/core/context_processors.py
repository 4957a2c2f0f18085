"""Navigation of the application shell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from tremplin.accounts.rules import INTAKE_ROLES, PATHWAY_READ_ROLES, STAFF_ROLES, Role
from tremplin.clients.rules import CLIENT_ROLES
from tremplin.closing.rules import CLOSING_ROLES
from tremplin.contracts.rules import CONTRACT_READ_ROLES
from tremplin.economics.rules import ECONOMICS_ROLES
from tremplin.indicators.rules import INDICATOR_ROLES
from tremplin.orders.rules import PLANNING_ROLES
from tremplin.sap.rules import SAP_ROLES


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str | None  # None: the area is not built yet and shows as disabled
    prefix: str = ""
    roles: frozenset[Role] | None = None  # None: every logged-in user; else who sees the item


# The areas of the product, in the order of a person's pathway through the group.
NAVIGATION = (
    NavItem("Accueil", "people:intakes", "/personnes/accueil/", INTAKE_ROLES),
    NavItem("Parcours", "pathways:worklist", "/parcours/", PATHWAY_READ_ROLES),
    NavItem("Contrats", "contracts:register", "/contrats/", CONTRACT_READ_ROLES),
    NavItem("Clients", "clients:list", "/clients/", CLIENT_ROLES),
    NavItem("Planning", "orders:board", "/planning/", PLANNING_ROLES),
    NavItem("Heures", "timesheets:index", "/heures/"),
    NavItem("Facturation", "invoicing:index", "/factures/", CLOSING_ROLES),
    NavItem("Services à la personne", "sap:index", "/services-a-la-personne/", SAP_ROLES),
    NavItem("Groupe", "organisations:group", "/groupe/", STAFF_ROLES),
    NavItem("Économie", "economics:index", "/economie/", ECONOMICS_ROLES),
    NavItem("Territoire", None),
    NavItem("Pilotage", "indicators:index", "/pilotage/", INDICATOR_ROLES),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    entity = request.entity  # type: ignore[attr-defined]
    held = request.user.roles_in(entity) if entity is not None else frozenset()
    items = []
    for item in NAVIGATION:
        if item.roles is not None and not held & item.roles:
            continue
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
