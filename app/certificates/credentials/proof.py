"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C VC Data Integrity EdDSA).

To sign: canonicalise the proof options (the proof without `proofValue`, under the document's
`@context`) and the document without its proof (RDFC-1.0), hash each with SHA-256, and sign the
two hashes joined (proof options first) with Ed25519; `proofValue` is the signature in base58btc.
"""

import hashlib
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.certificates.credentials import jsonld, multibase

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


class ProofError(ValueError):
    """A proof that is missing, malformed or does not match the document."""


def _hash_data(document: dict, options: dict) -> bytes:
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    options = {"@context": document["@context"], **options}
    return (
        hashlib.sha256(jsonld.canonicalise(options).encode()).digest()
        + hashlib.sha256(jsonld.canonicalise(unsigned).encode()).digest()
    )


def sign(document: dict, key: Ed25519PrivateKey, verification_method: str, *, created=None):
    """The document with an `eddsa-rdfc-2022` proof by `key` (a new dict)."""
    created = (created or datetime.now(UTC)).replace(microsecond=0)
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    unsigned = {key_: value for key_, value in document.items() if key_ != "proof"}
    signature = key.sign(_hash_data(unsigned, options))
    return {**unsigned, "proof": {**options, "proofValue": multibase.base58btc(signature)}}


def proof_of(document: dict) -> dict:
    """The document's one `eddsa-rdfc-2022` proof for assertion; ProofError otherwise."""
    if not isinstance(document, dict) or not isinstance(document.get("@context"), list):
        raise ProofError("not a credential (no JSON-LD @context list)")
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise ProofError("the credential has no proof (or more than one)")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"the proof is not a {PROOF_TYPE} with {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof is not made for assertion")
    for name in ("verificationMethod", "proofValue", "created"):
        if not isinstance(proof.get(name), str):
            raise ProofError(f"the proof has no {name}")
    signature_of(proof)
    return proof


def signature_of(proof: dict) -> bytes:
    """The 64-byte Ed25519 signature a proof carries; ProofError if it carries none."""
    try:
        signature = multibase.from_base58btc(proof["proofValue"], max_length=200)
    except multibase.MultibaseError as error:
        raise ProofError("the proof's value is not a base58btc signature") from error
    if len(signature) != 64:
        raise ProofError("the proof's value is not an Ed25519 signature")
    return signature


def check(document: dict, public_key: Ed25519PublicKey) -> None:
    """Raise ProofError unless the document's proof is `public_key`'s signature of it."""
    proof = proof_of(document)
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    signature = signature_of(proof)
    try:
        data = _hash_data(document, options)
    except Exception as error:  # pyld raises its own errors on malformed JSON-LD
        raise ProofError(f"the credential is not valid JSON-LD ({str(error)[:200]})") from error
    try:
        public_key.verify(signature, data)
    except InvalidSignature as error:
        raise ProofError("the signature does not match: the credential was changed") from error
