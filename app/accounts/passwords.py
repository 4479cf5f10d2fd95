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


# A hash of a random password, verified against when the account does not exist so that
# a login takes the same time whether or not the email is registered. It is written out (an
# argon2id hash with the library's default parameters, of 32 random bytes that were thrown
# away) rather than computed, which cost every process a third of a second at start-up.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$aREKrQcPl0rMpCZdAuU5HA$cDQ0Pz99c55MiFKT44vilUVnfrjVntOS+ewinWDrxYM"
)


def is_too_weak(password: str, user_inputs: list[str]) -> bool:
    """Whether the password is common or guessable from the person's own details."""
    # zxcvbn's cost grows with length; past 100 characters only a repeated pattern is weak,
    # and the first 100 characters show that.
    from zxcvbn import zxcvbn  # its word lists load on the first check, not at start-up

    return zxcvbn(password[:100], user_inputs=user_inputs)["score"] < MIN_STRENGTH
