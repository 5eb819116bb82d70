"""Keyed digests: what the database must keep to recognise a value again, without a copy of the
database giving the value away.

A plain (or self-salted) digest of a short value (a payment reference, a 60-bit card code, a
survivor's name) is recovered by hashing guesses until one matches. A keyed digest cannot be
checked against guesses without the key, and the key is the site's ``SECRET_KEY``, which never
sits in the database (docs/decisions.md).

The digest is exactly Django's ``salted_hmac(purpose, value, secret, algorithm="sha256")``:
HMAC-SHA256 under a key derived from ``purpose`` and the secret. ``purpose`` keeps each use
apart, so a digest made for one never matches another's. The derived key is computed once per
:class:`DigestKey`, so scanning many character windows stays cheap.

Rotation: digests made under an old key are still recognised while that key is in
``SECRET_KEY_FALLBACKS`` (:func:`accepted_keys`, :func:`keyed_digests`); once it is dropped, they
match nothing (docs/integrators/deployment.md, "Keys").
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.utils.encoding import force_bytes


class DigestKey:
    """One purpose under one secret (``SECRET_KEY`` unless given)."""

    def __init__(self, purpose: str, secret: str | None = None) -> None:
        secret = settings.SECRET_KEY if secret is None else secret
        key = hashlib.sha256(force_bytes(purpose) + force_bytes(secret)).digest()
        self._hmac = hmac.new(key, digestmod=hashlib.sha256)

    def hexdigest(self, value: str | bytes) -> str:
        # A copy of the keyed state skips re-keying: faster than hmac.new or hmac.digest.
        mac = self._hmac.copy()
        mac.update(force_bytes(value))
        return mac.hexdigest()


def accepted_keys(purpose: str) -> list[DigestKey]:
    """The key for ``purpose`` under ``SECRET_KEY`` first, then under each of its fallbacks."""
    secrets = [None, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [DigestKey(purpose, secret) for secret in secrets]


def keyed_digest(purpose: str, value: str | bytes, *, secret: str | None = None) -> str:
    """The keyed digest of ``value`` for ``purpose`` (HMAC-SHA256 with ``SECRET_KEY``)."""
    return DigestKey(purpose, secret).hexdigest(value)


def keyed_digests(purpose: str, value: str | bytes) -> list[str]:
    """The digest under ``SECRET_KEY`` first, then under each key still accepted: what to look
    a stored digest up by, so values stored before a key rotation are still found."""
    return [key.hexdigest(value) for key in accepted_keys(purpose)]
