"""Users log in by e-mail; what they may see comes from their memberships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from tremplin.accounts.rules import Role, is_group_wide, is_staff_role

if TYPE_CHECKING:
    from tremplin.organisations.models import Entity


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in. ``is_staff`` means technical staff (the admin), not a role."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("adresse e-mail", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def visible_entities(self) -> models.QuerySet[Entity]:
        """Every entity this user may see: group-wide roles open their whole group."""
        from tremplin.organisations.models import Entity

        memberships = list(self.memberships.select_related("entity"))
        group_ids = {m.entity.group_id for m in memberships if is_group_wide(Role(m.role))}
        entity_ids = {m.entity_id for m in memberships}
        return Entity.objects.filter(
            models.Q(group_id__in=group_ids) | models.Q(pk__in=entity_ids)
        ).order_by("name")

    def roles_by_entity(self, entities: Iterable[Entity]) -> dict[int, frozenset[Role]]:
        """The roles this user holds in each of ``entities``, group-wide ones included.

        One query whatever the number of entities: list pages call this, not ``roles_in`` in
        a loop.
        """
        memberships = list(self.memberships.select_related("entity"))
        return {
            entity.pk: frozenset(
                Role(m.role)
                for m in memberships
                if m.entity_id == entity.pk
                or (is_group_wide(Role(m.role)) and m.entity.group_id == entity.group_id)
            )
            for entity in entities
        }

    def roles_in(self, entity: Entity) -> frozenset[Role]:
        """The roles this user holds for ``entity``, group-wide ones included (none for no
        entity: the request's lazy current entity of a user without membership is empty)."""
        if not entity:
            return frozenset()
        return self.roles_by_entity([entity])[entity.pk]

    @property
    def is_group_staff(self) -> bool:
        return any(is_staff_role(Role(r)) for r in self.memberships.values_list("role", flat=True))


class Membership(models.Model):
    """A user holds ``role`` in ``entity``; group-wide roles extend to the entity's group."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    entity = models.ForeignKey(
        "organisations.Entity",
        verbose_name="structure",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "habilitation"
        verbose_name_plural = "habilitations"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "entity", "role"], name="membership_unique_role_per_entity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.entity}"
