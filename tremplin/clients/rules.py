"""Rules on the group's clients. Pure functions."""

from __future__ import annotations

from django.db import models


class ClientKind(models.TextChoices):
    HOUSEHOLD = "HOUSEHOLD", "Particulier"
    COMPANY = "COMPANY", "Entreprise"
    ASSOCIATION = "ASSOCIATION", "Association"
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY", "Collectivité territoriale"
    SOCIAL_LANDLORD = "SOCIAL_LANDLORD", "Bailleur social"
    MUTUAL_INSURER = "MUTUAL_INSURER", "Mutuelle"
    PUBLIC_BODY = "PUBLIC_BODY", "Établissement public"
