"""One demo account per role. For the demo only: the password is public."""

from __future__ import annotations

from tremplin.accounts.models import Membership, User
from tremplin.accounts.rules import Role
from tremplin.organisations.models import Entity, Group

DEMO_PASSWORD = "demo-tremplin"
DEMO_DOMAIN = "demo.tremplin.test"

# (login, first name, last name, role, entity slugs)
ACCOUNTS = [
    ("direction", "Claire", "Direction", Role.DIRECTION, ["elan-emploi"]),
    ("rh", "Hugo", "Ressources", Role.HR, ["elan-emploi"]),
    ("cip", "Nadia", "Accompagnement", Role.CIP, ["elan-emploi", "elan-services"]),
    ("accueil", "Louis", "Accueil", Role.RECEPTION, ["elan-emploi"]),
    ("planning", "Inès", "Planning", Role.PLANNER, ["elan-emploi", "elan-domicile"]),
    (
        "compta",
        "Paul",
        "Comptabilité",
        Role.ACCOUNTANT,
        ["elan-emploi", "elan-services", "elan-domicile"],
    ),
    ("client", "Sophie", "Cliente", Role.CLIENT_CONTACT, ["elan-services"]),
    ("salarie", "Karim", "Intervenant", Role.WORKER, ["elan-emploi"]),
    ("federation", "Anne", "Fédération", Role.FEDERATION, ["elan-emploi"]),
]


def email_for(login: str) -> str:
    return f"{login}@{DEMO_DOMAIN}"


def load(group: Group) -> list[User]:
    """Create or refresh the demo accounts and their memberships in ``group``."""
    users = []
    for login, first_name, last_name, role, slugs in ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=email_for(login), defaults={"first_name": first_name, "last_name": last_name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for slug in slugs:
            Membership.objects.get_or_create(
                user=user, entity=Entity.objects.get(group=group, slug=slug), role=role
            )
        users.append(user)
    return users
