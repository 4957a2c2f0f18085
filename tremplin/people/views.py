from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from tremplin.accounts.rules import Role
from tremplin.core.entities import visible_entity_ids
from tremplin.people.models import Person, roles_for_person


def get_person_for_user_or_404(
    request: HttpRequest, pk: int, *, roles: Collection[Role]
) -> tuple[Person, frozenset[Role]]:
    """The person ``pk`` if linked to an entity the user sees (else 404), and the user's roles.

    Raises 403 when none of the user's roles for this person is in ``roles``.
    """
    entity_ids = visible_entity_ids(request)
    try:
        person = Person.objects.visible_in(entity_ids).select_related("entity").get(pk=pk)
    except Person.DoesNotExist as exc:
        raise Http404("Aucune personne ne correspond à votre demande.") from exc
    held = frozenset(
        Role(r) for r in roles_for_person(request.user, person, entity_ids)  # type: ignore[arg-type]
    )
    if not held & set(roles):
        raise PermissionDenied("Votre rôle ne donne pas accès à cette partie du dossier.")
    return person, held
