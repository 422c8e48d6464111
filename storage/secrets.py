"""Secrets at rest: the fields of a kind that are stored encrypted.

Storage knows no crypto library. The composition root hands :meth:`Storage.open`
a :class:`SecretCipher` (the Fernet one lives in :mod:`agents.vault_key`); the
stores encrypt a secret field before it is written (row and history alike) and
decrypt it when a record is read, so callers only ever see plaintext.

A stored secret is ``enc:v1:`` followed by the cipher's token, so a value is
recognisably encrypted whatever the cipher. Without a cipher (tools, some tests)
secrets are stored as given; a database holding encrypted secrets then refuses
to read them with :class:`VaultKeyError` rather than returning a token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from storage.errors import EnvironmentStorageError

ENCRYPTED_PREFIX = "enc:v1:"


class SecretCipher(Protocol):
    """Symmetric encryption of one text value.

    ``decrypt`` raises :class:`VaultKeyError` (or ``ValueError``) when the token
    was not made with this key or is damaged.
    """

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


class VaultKeyError(EnvironmentStorageError):
    """The vault key is missing or is not the key the secrets were encrypted with."""


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)


def seal(cipher: SecretCipher | None, value: object) -> object:
    """Stored form of one secret value (None and already sealed values pass through)."""
    if cipher is None or not isinstance(value, str) or is_encrypted(value):
        return value
    return ENCRYPTED_PREFIX + cipher.encrypt(value)


def unseal(cipher: SecretCipher | None, value: object, *, what: str) -> object:
    """Plaintext of one stored secret value."""
    if not is_encrypted(value):
        return value
    assert isinstance(value, str)
    if cipher is None:
        raise VaultKeyError(
            f"The secret of {what} is encrypted and no vault key is available to read it."
        )
    try:
        return cipher.decrypt(value[len(ENCRYPTED_PREFIX) :])
    except VaultKeyError as exc:
        raise VaultKeyError(f"Cannot decrypt the secret of {what}: {exc}") from None
    except ValueError:
        raise VaultKeyError(
            f"Cannot decrypt the secret of {what}: it was encrypted with another vault key "
            "or is damaged."
        ) from None


def seal_fields(
    cipher: SecretCipher | None, names: Iterable[str], values: dict[str, Any]
) -> dict[str, Any]:
    """A copy of ``values`` with the named secret fields sealed."""
    out = dict(values)
    for name in names:
        if name in out:
            out[name] = seal(cipher, out[name])
    return out


def unseal_fields(
    cipher: SecretCipher | None, names: Iterable[str], values: dict[str, Any], *, what: str
) -> dict[str, Any]:
    """A copy of ``values`` with the named secret fields decrypted."""
    out = dict(values)
    for name in names:
        if name in out:
            out[name] = unseal(cipher, out[name], what=what)
    return out
