"""Multi-entity scoping: the current entity on the request and object access helpers.

Every tenant-owned row belongs to an entity. Views start their queries from
``request.visible_entities`` (or ``request.entity``) and fetch single objects with
``get_for_user_or_404``, so an object of an entity the user cannot see answers 404, never 403:
its existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

if TYPE_CHECKING:
    from tremplin.accounts.rules import Role
    from tremplin.organisations.models import Entity

SESSION_KEY = "tremplin_entity_id"


def _visible_entities(request: HttpRequest) -> list[Entity]:
    user = request.user
    if not user.is_authenticated:
        return []
    return list(user.visible_entities().select_related("group"))


def _current_entity(request: HttpRequest) -> Entity | None:
    visible = request.visible_entities  # type: ignore[attr-defined]
    if not visible:
        return None
    wanted = request.session.get(SESSION_KEY)
    for entity in visible:
        if entity.pk == wanted:
            return entity
    # By default, the entity the user is a member of rather than one opened by a group-wide role.
    own = set(request.user.memberships.values_list("entity_id", flat=True))  # type: ignore[union-attr]
    return next((e for e in visible if e.pk in own), visible[0])


class CurrentEntityMiddleware:
    """Put ``request.visible_entities`` and ``request.entity`` (lazily) on each request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.visible_entities = SimpleLazyObject(lambda: _visible_entities(request))  # type: ignore[attr-defined]
        request.entity = SimpleLazyObject(lambda: _current_entity(request))  # type: ignore[attr-defined]
        return self.get_response(request)


def visible_entity_ids(request: HttpRequest) -> list[int]:
    return [e.pk for e in request.visible_entities]  # type: ignore[attr-defined]


def get_for_user_or_404[M: models.Model](
    request: HttpRequest,
    queryset: models.QuerySet[M],
    *,
    entity_path: str = "entity",
    **lookup: Any,
) -> M:
    """Fetch one object among those of the entities the user may see, or raise 404.

    ``entity_path`` is the lookup from the model to its entity (``"convention__entity"``).
    """
    scoped = queryset.filter(**{f"{entity_path}__in": visible_entity_ids(request)})
    try:
        return scoped.get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404("Aucun objet ne correspond à votre demande.") from exc


def get_entity_or_404(request: HttpRequest, slug: str) -> Entity:
    for entity in request.visible_entities:  # type: ignore[attr-defined]
        if entity.slug == slug:
            return entity
    raise Http404("Aucune structure ne correspond à votre demande.")


def require_roles(request: HttpRequest, entity: Entity, *roles: Role) -> frozenset[Role]:
    """Return the user's roles for ``entity``; 403 when none of ``roles`` is among them."""
    held = request.user.roles_in(entity)  # type: ignore[union-attr]
    if not held & set(roles):
        raise PermissionDenied("Votre rôle ne permet pas cette action.")
    return held


def entity_required[V: Callable[..., HttpResponse]](view: V) -> V:
    """Refuse (403) a view to a logged-in user who belongs to no entity yet."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.entity is None:  # type: ignore[attr-defined]
            raise PermissionDenied("Votre compte n'est rattaché à aucune structure.")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
