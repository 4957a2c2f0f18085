"""Writing and reading the audit and access logs.

``log`` is called by ``actions.py`` functions, once per business change, inside their
transaction; ``log_access`` by views that show sensitive data. Nothing here is automatic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from tremplin.core.models import AccessLogEntry, AuditEntry

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity


def _entity_of(obj: models.Model) -> Entity | None:
    from tremplin.organisations.models import Entity

    if isinstance(obj, Entity):
        return obj
    entity = getattr(obj, "entity", None)
    return entity if isinstance(entity, Entity) else None


def log(
    obj: models.Model,
    action: str,
    *,
    by: User | None,
    entity: Entity | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that ``by`` did ``action``, a dotted code such as ``organisations.entity_updated``."""
    return AuditEntry.objects.create(
        actor=by,
        action=action,
        entity=entity or _entity_of(obj),
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        data=data or {},
    )


def log_access(
    request: HttpRequest, obj: models.Model, what: str, *, entity: Entity | None = None
) -> AccessLogEntry:
    """Record that the requesting user read ``what`` (e.g. ``people.nir_revealed``) on ``obj``."""
    return AccessLogEntry.objects.create(
        actor=request.user if request.user.is_authenticated else None,
        entity=entity or _entity_of(obj),
        what=what,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )


def entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """The audit trail of one object, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


def form_changes(form: Any) -> dict[str, list[str]]:
    """``{field: [old, new]}`` for the fields a bound, valid ModelForm changed."""
    changes: dict[str, list[str]] = {}
    for name in form.changed_data:
        old = form.initial.get(name)
        new = form.cleaned_data.get(name)
        changes[name] = ["" if old is None else str(old), "" if new is None else str(new)]
    return changes
