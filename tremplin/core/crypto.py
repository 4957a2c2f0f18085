"""Encryption of personal identifiers at rest, and keyed hashes to find them again.

The keys are not ``SECRET_KEY``: ``FIELD_ENCRYPTION_KEY`` holds one or more Fernet keys (the
first encrypts, all decrypt, so keys rotate by re-encrypting), ``FIELD_HASH_KEY`` the HMAC key
of the blind indexes used for uniqueness and exact search. Keep both out of database backups.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(value: str) -> str:
    """Encrypt ``value`` with the current key; the token is ASCII, safe for a text column."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token made by :func:`encrypt` with any configured key."""
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("Valeur chiffrée illisible avec les clés configurées.") from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the current (first) key."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).rotate(token.encode()).decode()


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash of ``value`` for equality search; ``purpose`` separates the indexes."""
    key = settings.FIELD_HASH_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
