"""Verification codes: 140 random bits from the operating system's CSPRNG, written in
Crockford's base32 (no I, L, O or U, so nothing is misread) and printed in groups of four."""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 28  # 28 characters x 5 bits = 140 bits
GROUP = 4
# What people type by mistake for what they mean.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code, ungrouped (as stored)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def group(code: str) -> str:
    """`K7QM3XTR...` -> `K7QM-3XTR-...` (as printed and in URLs)."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str | None:
    """The stored form of a code as someone typed or scanned it, or None if it cannot be one.

    Case, spaces and hyphens do not matter; O, I and L are read as 0, 1 and 1.
    """
    if len(text) > 80:
        return None
    code = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code
