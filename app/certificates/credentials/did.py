"""The issuer's `did:web` identifier (the platform's host) and its DID document.

did:web resolves `did:web:example.org` to https://example.org/.well-known/did.json (a port is
written `%3A`). Every key of the keyring is listed, retired ones too: a key that signed a
credential must stay resolvable for that credential to verify. (A compromised key is the
exception: remove it from the keyring and re-issue what it signed.)
"""

from urllib.parse import quote, unquote, urlsplit

from flask import current_app

from app.certificates.credentials.keys import KeyEntry

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class DidError(ValueError):
    """Not a did:web identifier we can resolve."""


def issuer_did() -> str:
    """did:web of the host of BASE_URL (its port kept, percent-encoded)."""
    netloc = urlsplit(current_app.config["BASE_URL"]).netloc.rsplit("@", 1)[-1]
    return "did:web:" + quote(netloc.lower(), safe="")


def method_id(did: str, entry: KeyEntry) -> str:
    return f"{did}#{entry.id}"


def did_document(did: str, entries: list[KeyEntry]) -> dict:
    """The DID document: each key as a Multikey verification method, all for assertion."""
    methods = [
        {
            "id": method_id(did, entry),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": entry.public_key_multibase,
        }
        for entry in entries
    ]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def document_url(did: str) -> str:
    """Where did:web says the DID document of `did` is (http only for this machine)."""
    if not did.startswith("did:web:") or "#" in did:
        raise DidError(f"{did[:200]!r} is not a did:web identifier")
    parts = did.removeprefix("did:web:").split(":")
    host = unquote(parts[0])
    if not host or "/" in host or "@" in host:
        raise DidError(f"{did[:200]!r} is not a did:web identifier")
    path = "/".join(unquote(part) for part in parts[1:])
    scheme = "http" if host.rsplit(":", 1)[0].strip("[]") in LOCAL_HOSTS else "https"
    if path:
        return f"{scheme}://{host}/{path}/did.json"
    return f"{scheme}://{host}/.well-known/did.json"


def public_key_of(document: dict, method: str) -> str:
    """The publicKeyMultibase of verification method `method`, if the document lists it for
    assertion; DidError otherwise."""
    did = method.split("#", 1)[0]
    if not isinstance(document, dict) or document.get("id") != did:
        raise DidError("the DID document is not the issuer's")
    assertion = document.get("assertionMethod") or []
    if not any(m == method or (isinstance(m, dict) and m.get("id") == method) for m in assertion):
        raise DidError(f"the key {method} is not one the issuer signs credentials with")
    candidates = [m for m in assertion if isinstance(m, dict)]
    candidates += [m for m in document.get("verificationMethod") or [] if isinstance(m, dict)]
    for candidate in candidates:
        if (
            candidate.get("id") == method
            and candidate.get("controller") == did
            and candidate.get("type") == "Multikey"
            and isinstance(candidate.get("publicKeyMultibase"), str)
        ):
            return candidate["publicKeyMultibase"]
    raise DidError(f"the DID document has no Multikey {method}")
