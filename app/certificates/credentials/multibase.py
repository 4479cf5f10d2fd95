"""Multibase text for keys, signatures and status lists: base58btc (`z`) and base64url (`u`)."""

import base64

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
INDEX = {char: value for value, char in enumerate(ALPHABET)}
# Multicodec prefixes: an Ed25519 public key, an Ed25519 private key (seed).
ED25519_PUB = b"\xed\x01"


class MultibaseError(ValueError):
    """Text that is not the multibase it claims to be."""


def base58btc(data: bytes) -> str:
    """`z` + base58 (Bitcoin alphabet) of `data`."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "z" + "1" * zeros + "".join(reversed(out))


def from_base58btc(text: str, *, max_length: int = 4096) -> bytes:
    """The bytes of `z...` text; MultibaseError if it is anything else."""
    if not isinstance(text, str) or not text.startswith("z") or len(text) > max_length:
        raise MultibaseError("not base58btc multibase text")
    body = text[1:]
    number = 0
    for char in body:
        if char not in INDEX:
            raise MultibaseError("not base58btc multibase text")
        number = number * 58 + INDEX[char]
    zeros = len(body) - len(body.lstrip("1"))
    data = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + data


def base64url(data: bytes) -> str:
    """`u` + unpadded base64url of `data`."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def from_base64url(text: str, *, max_length: int = 1 << 22) -> bytes:
    if not isinstance(text, str) or not text.startswith("u") or len(text) > max_length:
        raise MultibaseError("not base64url multibase text")
    body = text[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as error:
        raise MultibaseError("not base64url multibase text") from error


def ed25519_public_multikey(raw: bytes) -> str:
    """A 32-byte Ed25519 public key as Multikey `publicKeyMultibase` (z6Mk...)."""
    return base58btc(ED25519_PUB + raw)


def ed25519_public_from_multikey(text: str) -> bytes:
    data = from_base58btc(text, max_length=100)
    if len(data) != 34 or not data.startswith(ED25519_PUB):
        raise MultibaseError("not an Ed25519 Multikey")
    return data[2:]
