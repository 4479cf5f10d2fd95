"""Checking a credential without our database: its proof against the issuer's DID document,
and its place on its status list (itself checked the same way).

The DID document and the status list are fetched from their URLs (did:web, then the list's
URL), or given: a verifier may hold copies, or check while our server is down.
"""

import json
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.credentials import did as did_web
from app.certificates.credentials import multibase, proof, status

MAX_DOCUMENT = 4 * 1024 * 1024
TIMEOUT = 10


class FetchError(ValueError):
    """A document could not be fetched."""


def fetch_json(url: str) -> dict:
    """GET `url` as JSON (http or https, a few megabytes at most)."""
    if not url.startswith(("https://", "http://")):
        raise FetchError(f"{url[:200]} is not a web address")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_DOCUMENT + 1)
    except OSError as error:
        raise FetchError(f"{url[:200]} could not be fetched ({error})") from error
    if len(body) > MAX_DOCUMENT:
        raise FetchError(f"{url[:200]} is larger than any document we would read")
    try:
        return json.loads(body)
    except ValueError as error:
        raise FetchError(f"{url[:200]} is not JSON") from error


@dataclass
class Verification:
    """What checking a credential found."""

    signature: bool = False  # the proof is the issuer's and matches the document
    status_checked: bool = False
    revoked: bool | None = None
    issuer: str | None = None
    key: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """Genuine, unchanged, and not revoked."""
        return self.signature and self.status_checked and self.revoked is False

    def as_json(self) -> dict:
        return {
            "verified": self.verified,
            "signature_valid": self.signature,
            "revoked": self.revoked,
            "issuer": self.issuer,
            "verification_method": self.key,
            "problems": self.problems,
        }


def _issuer_id(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _check_proof(document: dict, did_documents: dict, fetch: Callable) -> str:
    """The verification method that signed `document`, whose issuer it must be; ValueError
    (ProofError, DidError, FetchError) with the reason otherwise."""
    found = proof.proof_of(document)
    method = found["verificationMethod"]
    did = method.split("#", 1)[0]
    if _issuer_id(document) != did:
        raise proof.ProofError("the credential is signed by a key that is not its issuer's")
    if did not in did_documents:
        did_documents[did] = fetch(did_web.document_url(did))
    public = did_web.public_key_of(did_documents[did], method)
    try:
        key = Ed25519PublicKey.from_public_bytes(multibase.ed25519_public_from_multikey(public))
    except (multibase.MultibaseError, ValueError) as error:
        raise did_web.DidError(f"the key {method} is not an Ed25519 Multikey") from error
    proof.check(document, key)
    return method


def _dated_now(credential: dict) -> None:
    now = datetime.now(UTC)
    for name, later in (("validFrom", False), ("validUntil", True)):
        value = credential.get(name)
        if value is None:
            continue
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as error:
            raise proof.ProofError(f"{name} is not a date and time") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if (moment < now) if later else (moment > now):
            raise proof.ProofError(
                "the credential has expired" if later else "the credential is not valid yet"
            )


def verify_credential(
    credential: dict,
    *,
    did_document: dict | None = None,
    status_list: dict | None = None,
    fetch: Callable[[str], dict] = fetch_json,
) -> Verification:
    """Check the credential's proof and its revocation status; never raises on bad input."""
    result = Verification()
    if not isinstance(credential, dict):
        result.problems.append("not a credential (a JSON object is expected)")
        return result
    result.issuer = _issuer_id(credential)
    did_documents = {}
    if isinstance(did_document, dict) and isinstance(did_document.get("id"), str):
        did_documents[did_document["id"]] = did_document
    try:
        result.key = _check_proof(credential, did_documents, fetch)
        _dated_now(credential)
        result.signature = True
    except ValueError as error:
        result.problems.append(str(error))
        return result
    try:
        result.revoked = _revoked(credential, status_list, did_documents, fetch)
        result.status_checked = True
        if result.revoked:
            result.problems.append("the issuer has revoked this credential")
    except ValueError as error:
        result.problems.append(f"status: {error}")
    return result


def _revoked(credential: dict, given: dict | None, did_documents: dict, fetch) -> bool:
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise ValueError("the credential has no Bitstring Status List entry")
    if entry.get("statusPurpose") != status.PURPOSE:
        raise ValueError("the credential's status is not about revocation")
    url = entry.get("statusListCredential")
    try:
        position = int(entry.get("statusListIndex"))
    except (TypeError, ValueError) as error:
        raise ValueError("the credential's status list index is not a number") from error
    if not isinstance(url, str):
        raise ValueError("the credential names no status list")
    listed = given if isinstance(given, dict) else fetch(url)
    if listed.get("id") != url:
        raise ValueError("the status list given is not the one the credential names")
    types = listed.get("type") or []
    if "BitstringStatusListCredential" not in types:
        raise ValueError("the status list is not a BitstringStatusListCredential")
    _check_proof(listed, did_documents, fetch)
    if _issuer_id(listed) != _issuer_id(credential):
        raise ValueError("the status list is not the credential's issuer's")
    subject = listed.get("credentialSubject") or {}
    if subject.get("statusPurpose") != status.PURPOSE:
        raise ValueError("the status list is not about revocation")
    try:
        bits = status.decode(subject.get("encodedList"))
    except (ValueError, OSError, EOFError, zlib.error) as error:
        raise ValueError("the status list's bits cannot be read") from error
    return status.is_set(bits, position)
