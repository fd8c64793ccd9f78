"""Encryption at rest for customer secrets, with rotatable Fernet keys."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portal.config import current_settings


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with any configured key."""


def _fernet() -> MultiFernet:
    keys = current_settings().encryption_keys
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(plaintext: str) -> bytes:
    """Encrypt with the first configured key."""
    return _fernet().encrypt(plaintext.encode("utf-8"))


def decrypt(token: bytes) -> str:
    """Decrypt with whichever configured key made the token."""
    try:
        return _fernet().decrypt(token).decode("utf-8")
    except InvalidToken as exc:
        raise SecretUnreadable(
            "a stored secret cannot be decrypted: is its key still in PORTAL_ENCRYPTION_KEYS?"
        ) from exc


def reencrypt(token: bytes) -> bytes:
    """Re-encrypt under the first key (used when rotating keys)."""
    try:
        return _fernet().rotate(token)
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret cannot be decrypted for rotation") from exc
