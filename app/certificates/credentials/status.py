"""Bitstring Status Lists (W3C): whether each credential is revoked, public and signed.

Each certificate gets a place in a list when its first credential is made: a random free
index, so neighbours on a list say nothing about one another, among 131,072 places per list
(lists are filled to half, then another list opens), so fetching a list reveals nothing about
which certificate a verifier is checking. A list is a credential of its own, signed like the
certificates' credentials and served as stored at a stable URL; revoking or restoring a
certificate signs its list again in the same transaction.
"""

import gzip
import io
import json
import secrets
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from app.accounts.services import external_url
from app.certificates.credentials import jsonld, multibase, proof
from app.certificates.credentials.did import issuer_did, method_id
from app.certificates.credentials.keys import SigningKeys, load_signing_keys
from app.certificates.credentials.models import CredentialStatusList
from app.certificates.models import Certificate, CertificateStatus
from app.core.db import insert_or_ignore, utcnow
from app.extensions import db

LIST_SIZE = 131_072  # 2**17 places: 16 KB of bits, about 150 bytes once compressed when empty
PURPOSE = "revocation"
ATTEMPTS = 20


def list_url(list_id: int) -> str:
    return external_url("credentials.status_list", list_id=list_id)


def place_of(index: int) -> tuple[int, int]:
    """(list number from 1, position on it) of a global status index."""
    return index // LIST_SIZE + 1, index % LIST_SIZE


def status_entry(index: int) -> dict:
    """The credential's `credentialStatus`: its place on its list."""
    list_id, position = place_of(index)
    url = list_url(list_id)
    return {
        "id": f"{url}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(position),
        "statusListCredential": url,
    }


def assign_index(certificate: Certificate) -> int:
    """The certificate's status index, drawn now (a random free place) unless it has one.

    A conditional UPDATE: of racing renders of one certificate, one sets it and the others
    read it; a place another certificate holds is never taken (and UNIQUE backs that).
    """
    if certificate.credential_status_index is not None:
        return certificate.credential_status_index
    used = db.session.scalar(
        select(func.count()).where(Certificate.credential_status_index.is_not(None))
    )
    lists = used // (LIST_SIZE // 2) + 1
    other = aliased(Certificate)
    for _attempt in range(ATTEMPTS):
        index = secrets.randbelow(lists * LIST_SIZE)
        taken = select(other.id).where(other.credential_status_index == index).exists()
        db.session.execute(
            update(Certificate)
            .where(
                Certificate.id == certificate.id,
                Certificate.credential_status_index.is_(None),
                ~taken,
            )
            .values(credential_status_index=index)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(certificate, ["credential_status_index"])
        if certificate.credential_status_index is not None:
            return certificate.credential_status_index
    raise RuntimeError("no free status list place found")  # pragma: no cover - half-full lists


def encode(revoked_positions) -> str:
    """The list's `encodedList`: GZIP of the bits (position 0 the first byte's highest bit),
    as base64url multibase."""
    bits = bytearray(LIST_SIZE // 8)
    for position in revoked_positions:
        bits[position // 8] |= 0x80 >> (position % 8)
    return multibase.base64url(gzip.compress(bytes(bits), mtime=0))


def decode(encoded: str, *, max_bytes: int = 16 * 1024 * 1024) -> bytes:
    """The bits of an `encodedList` (at most `max_bytes` once uncompressed)."""
    compressed = multibase.from_base64url(encoded)
    with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as stream:
        bits = stream.read(max_bytes + 1)
    if len(bits) > max_bytes:
        raise ValueError("the status list is larger than any we would read")
    return bits


def is_set(bits: bytes, position: int) -> bool:
    if position < 0 or position // 8 >= len(bits):
        raise ValueError("the credential's place is not on its status list")
    return bool(bits[position // 8] & (0x80 >> (position % 8)))


def _revoked_positions(list_id: int) -> list[int]:
    low = (list_id - 1) * LIST_SIZE
    indexes = db.session.scalars(
        select(Certificate.credential_status_index).where(
            Certificate.status == CertificateStatus.REVOKED,
            Certificate.credential_status_index >= low,
            Certificate.credential_status_index < low + LIST_SIZE,
        )
    )
    return [index - low for index in indexes]


def signed_list(list_id: int, keys: SigningKeys) -> dict:
    """The list credential as the database has it now, signed."""
    did = issuer_did()
    url = list_url(list_id)
    now = datetime.now(UTC).replace(microsecond=0)
    credential = {
        "@context": [jsonld.VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        # No validFrom: a verifier whose clock is a little behind ours would call a list
        # signed a moment ago "not valid yet". The proof's `created` says when it was signed.
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode(_revoked_positions(list_id)),
        },
    }
    return proof.sign(credential, keys.private_key, method_id(did, keys.entry), created=now)


def refresh(list_id: int, keys: SigningKeys | None = None) -> dict:
    """Sign the list again from the database and store it (in the caller's transaction).

    The list's row is locked first (FOR UPDATE on PostgreSQL; SQLite has one writer), so a
    concurrent revocation on the same list waits and then signs a list that includes ours.
    """
    keys = keys or load_signing_keys()
    insert_or_ignore(CredentialStatusList, id=list_id, purpose=PURPOSE, credential="")
    db.session.execute(
        select(CredentialStatusList.id).where(CredentialStatusList.id == list_id).with_for_update()
    )
    credential = signed_list(list_id, keys)
    db.session.execute(
        update(CredentialStatusList)
        .where(CredentialStatusList.id == list_id)
        .values(credential=json.dumps(credential, ensure_ascii=False), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return credential


def record_change(certificate: Certificate) -> None:
    """Revoked or restored: sign its list again (nothing to do before it has a place)."""
    if certificate.credential_status_index is not None:
        refresh(place_of(certificate.credential_status_index)[0])


def stored_list(list_id: int) -> str | None:
    """The list's credential (JSON text) to serve: as stored, or signed now when the list
    exists (some certificate holds a place on it) but was never revoked on. None: no list."""
    stored = db.session.scalar(
        select(CredentialStatusList.credential).where(CredentialStatusList.id == list_id)
    )
    if stored:
        return stored
    highest = db.session.scalar(select(func.max(Certificate.credential_status_index)))
    if list_id < 1 or highest is None or list_id > place_of(highest)[0]:
        return None
    return json.dumps(refresh(list_id), ensure_ascii=False)
