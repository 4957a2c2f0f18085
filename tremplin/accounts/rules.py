"""Roles and what each one may see. Pure: no database, no clock."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    DIRECTION = "direction", "Direction"
    HR = "hr", "Ressources humaines (fonction transversale)"
    CIP = "cip", "Accompagnateur socio-professionnel (CIP)"
    RECEPTION = "reception", "Accueil"
    PLANNER = "planner", "Chargé de planning / de mission"
    ACCOUNTANT = "accountant", "Comptable"
    CLIENT_CONTACT = "client_contact", "Contact client"
    WORKER = "worker", "Salarié intervenant"
    FEDERATION = "federation", "Fédération (lecture des indicateurs)"


# Roles that work for the whole group: their membership in one entity opens every entity of
# that entity's group (the seed's transversal direction and HR functions).
GROUP_WIDE_ROLES = frozenset({Role.DIRECTION, Role.HR})

# Roles of the group's own staff. They must enrol a second factor (TOTP) when MFA is enforced;
# clients and workers log in from home or from a phone and are not staff.
STAFF_ROLES = frozenset(
    {Role.DIRECTION, Role.HR, Role.CIP, Role.RECEPTION, Role.PLANNER, Role.ACCOUNTANT}
)

# Roles that may read accompaniment content (barriers, appointment notes): CNIL social-sector
# referential, need-to-know principle (domain.md §10).
ACCOMPANIMENT_ROLES = frozenset({Role.DIRECTION, Role.CIP})


def is_group_wide(role: Role) -> bool:
    """Whether a membership with ``role`` opens every entity of the group."""
    return role in GROUP_WIDE_ROLES


def is_staff_role(role: Role) -> bool:
    """Whether ``role`` belongs to the group's own staff (MFA applies)."""
    return role in STAFF_ROLES


def can_read_accompaniment(roles: frozenset[Role] | set[Role]) -> bool:
    """Whether any of ``roles`` may read barriers and appointment notes."""
    return bool(set(roles) & ACCOMPANIMENT_ROLES)


# Who may do what with people's files (need-to-know, domain.md §10). A role outside these sets
# gets 403 on an object it can otherwise see; an object of an invisible entity is a 404.
INTAKE_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.CIP, Role.RECEPTION})
PERSON_READ_ROLES = STAFF_ROLES
PERSON_WRITE_ROLES = INTAKE_ROLES
NIR_REVEAL_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.CIP})
PATHWAY_READ_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.CIP, Role.RECEPTION})
PATHWAY_WRITE_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.CIP})
