"""Password hashing (argon2id) and the password policy."""

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn scores 0-4; below 2 the password is in the leaked-password lists or nearly so.
MIN_STRENGTH = 2

# argon2id with the library's recommended parameters (RFC 9106, low-memory profile).
# The test suite alone may choose the cheapest profile (PASSWORD_HASH_PROFILE="cheapest").
_HASHERS = {
    "default": PasswordHasher(),
    "cheapest": PasswordHasher.from_parameters(profiles.CHEAPEST),
}


def _hasher() -> PasswordHasher:
    profile = current_app.config["PASSWORD_HASH_PROFILE"] if has_app_context() else "default"
    return _HASHERS[profile]


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash; never raises for a wrong password."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with parameters other than today's."""
    return _hasher().check_needs_rehash(password_hash)


_DUMMY_HASHES: dict[str, str] = {}


def dummy_hash() -> str:
    """A hash of a password nobody has, made with today's parameters: verified against when
    the account does not exist, so a sign-in takes the same time whether or not it does."""
    profile = current_app.config["PASSWORD_HASH_PROFILE"] if has_app_context() else "default"
    if profile not in _DUMMY_HASHES:
        _DUMMY_HASHES[profile] = _HASHERS[profile].hash("not-a-password-anyone-has")
    return _DUMMY_HASHES[profile]


def is_too_weak(password: str, user_inputs: list[str]) -> bool:
    """Whether the password is common or guessable from the person's own details."""
    # zxcvbn's cost grows with length; past 100 characters only a repeated pattern is weak,
    # and the first 100 characters show that.
    from zxcvbn import zxcvbn  # its word lists load on the first check, not at start-up

    return zxcvbn(password[:100], user_inputs=user_inputs)["score"] < MIN_STRENGTH
