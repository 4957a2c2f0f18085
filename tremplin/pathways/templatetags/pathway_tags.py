"""What the person page needs to show the links to the pathway pages."""

from __future__ import annotations

from typing import Any

from django import template

from tremplin.accounts.rules import ACCOMPANIMENT_ROLES, PATHWAY_READ_ROLES, PATHWAY_WRITE_ROLES
from tremplin.core.entities import visible_entity_ids
from tremplin.people.models import Person, roles_for_person

register = template.Library()


@register.simple_tag(takes_context=True)
def pathway_access(context: dict[str, Any], person: Person) -> dict[str, bool]:
    """Which pathway pages the requesting user may open for ``person``, by role."""
    request = context["request"]
    roles = roles_for_person(request.user, person, visible_entity_ids(request))
    write = bool(roles & PATHWAY_WRITE_ROLES)
    return {
        "read": bool(roles & PATHWAY_READ_ROLES),
        "write": write,
        "accompaniment": bool(roles & ACCOMPANIMENT_ROLES),
        "exit": write and person.pathway_steps.insertion().filter(ended_on__isnull=True).exists(),
    }
