"""Encryption of confidential text at rest (case notes, contacts left on requests and feedback,
payout contacts): AES-256-GCM with the keys of
`FIELD_ENCRYPTION_KEYS`, kept apart from `SECRET_KEY`.

Stored form, one line of ASCII: ``v1:<key id>:<URL-safe base64 of nonce || ciphertext || tag>``

- ``v1``: the format, so that a later format can be read beside this one.
- key id: the first 8 hex digits of the SHA-256 of the key. It names the key that sealed the
  text, so that decryption tries that key alone and rotation finds what is left to re-encrypt;
  32 bits of a hash of a random 256-bit key tell nothing about the key.
- a random 96-bit nonce per encryption (never reused with one key in practice: 2**-32 chance of a
  collision only after 2**32 encryptions under the same key).
- the associated data is ``v1|<context>``; callers give a context naming the row and the field
  (`CaseNote.encryption_context`), so a ciphertext copied into another row, or another field,
  fails its tag instead of showing there.

Keys: the first key encrypts, every key decrypts, so rotation is: put a new key first, keep the
old ones, run ``manage.py rotate_field_keys`` (it re-seals every column registered in
`SEALED_FIELDS`), then drop the old keys. Local and test settings have a fixed demo key
(config/settings/local.py); production refuses to start without keys
(config/settings/production.py); with none at all, this module refuses to work instead of
storing text in the clear.

Decryption never returns the stored text nor an empty string when it cannot decrypt: it raises
`DecryptionError` (`UnknownKeyError` when no configured key has the id). Exceptions and logs name
key ids and contexts (row ids), never plaintext; the functions that hold plaintext are marked
`sensitive_variables`, so Django's error reports leave their local variables out.
"""

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """The stored text cannot be decrypted: wrong or missing key, altered or moved ciphertext."""


class UnknownKeyError(DecryptionError):
    """No key of `FIELD_ENCRYPTION_KEYS` has the id the ciphertext names."""


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM


def key_id(raw: bytes) -> str:
    """The short public name of a key (first 8 hex digits of its SHA-256)."""
    return hashlib.sha256(raw).hexdigest()[:8]


@lru_cache(maxsize=8)
def _parse(keys: tuple[str, ...]) -> tuple[_Key, ...]:
    parsed = []
    for position, text in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(text.strip())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            # The position, never the key: this message may reach a log.
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} is not 32 bytes of URL-safe base64."
            )
        parsed.append(_Key(id=key_id(raw), aead=AESGCM(raw)))
    if not parsed:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: confidential fields cannot be encrypted (see .env.example)."
        )
    return tuple(parsed)


def _keys() -> tuple[_Key, ...]:
    # Read at each call (cached per value), so a changed setting takes effect at once (tests).
    configured = settings.FIELD_ENCRYPTION_KEYS
    if isinstance(configured, str):
        configured = [k for k in configured.split(",") if k.strip()]
    return _parse(tuple(configured))


def current_key_id() -> str:
    """The id of the key that encrypts now (the first one)."""
    return _keys()[0].id


def _aad(context: str) -> bytes:
    return f"{VERSION}|{context}".encode()


@sensitive_variables("plaintext")
def encrypt(plaintext: str, *, context: str) -> str:
    """Seal `plaintext` for the row and field named by `context` with the current key."""
    key = _keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), _aad(context))
    return f"{VERSION}:{key.id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def stored_key_id(token: str) -> str:
    """The id of the key that sealed `token`; `DecryptionError` when it is not our format."""
    version, _sep, rest = token.partition(":")
    kid, _sep2, _payload = rest.partition(":")
    if version != VERSION or len(kid) != 8 or not _payload:
        raise DecryptionError(f"Not a {VERSION} ciphertext.")
    return kid


@sensitive_variables("plaintext")
def decrypt(token: str, *, context: str) -> str:
    """The text sealed in `token` for `context`. Raises `UnknownKeyError` when no configured key
    has its id, `DecryptionError` when the tag fails (wrong key, altered or moved ciphertext)."""
    kid = stored_key_id(token)
    payload = token.split(":", 2)[2]
    try:
        blob = base64.urlsafe_b64decode(payload)
    except (binascii.Error, ValueError):
        raise DecryptionError(f"Ciphertext for {context} is not valid base64.") from None
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError(f"Ciphertext for {context} is too short.")
    candidates = [key for key in _keys() if key.id == kid]
    if not candidates:
        raise UnknownKeyError(f"No key in FIELD_ENCRYPTION_KEYS has the id {kid} (needed for {context}).")
    nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    # Two keys may share an 8-digit id (one chance in 4 billion): try each that does.
    for key in candidates:
        try:
            plaintext = key.aead.decrypt(nonce, sealed, _aad(context))
        except InvalidTag:
            continue
        return plaintext.decode("utf-8")
    raise DecryptionError(
        f"Ciphertext for {context} fails its integrity check with key {kid}: "
        "wrong key, altered text, or text copied from another row."
    )


def needs_rotation(token: str) -> bool:
    """Whether `token` was sealed with another key than the current one."""
    return stored_key_id(token) != current_key_id()


@sensitive_variables("plaintext")
def reencrypt(token: str, *, context: str) -> str:
    """`token` sealed again with the current key (a new nonce), or unchanged when it already is."""
    if not needs_rotation(token):
        return token
    plaintext = decrypt(token, context=context)
    return encrypt(plaintext, context=context)


# --- Every sealed column, for rotation ---------------------------------------------------------


@dataclass(frozen=True)
class SealedField:
    """A column that holds `encrypt` output, so that `rotate_field_keys` re-seals it.

    `context` gives a row's encryption context from the `columns` it reads; `resealed`, when
    given, is told the plaintext of each re-sealed row and returns further columns to save with
    it (a keyed fingerprint derived from the first key, say). A column holding "" (nothing
    sealed) is left alone."""

    label: str  # plural, lower case: "case notes"
    model: str  # "app_label.ModelName"
    field: str
    columns: tuple[str, ...]
    context: Callable[[Any], str]
    resealed: Callable[[Any, str], dict[str, Any]] | None = None


SEALED_FIELDS: list[SealedField] = []


def sealed_field_register(field: SealedField) -> None:
    """Called from an app's `ready()`; registering the same column twice keeps one."""
    if not any((f.model, f.field) == (field.model, field.field) for f in SEALED_FIELDS):
        SEALED_FIELDS.append(field)
