"""The issuer's keyring: Ed25519 keys that sign credentials, and the X.509 certificate and key
that sign the PDFs.

Everything lives in a folder (CREDENTIAL_KEYS_DIR, by default `instance/credential-keys`):
`keyring.json` lists every key's public half (a rotated key stays there, so the DID document
keeps it and older credentials still verify), and each private key is a PEM file of its own
(mode 0600). A private key may instead come from an environment variable
(CREDENTIAL_SIGNING_KEY for the Ed25519 key in use, CREDENTIAL_PDF_KEY for the PDF key), so a
deployment can keep it in its secret store. Never in the database.

Any problem with a key (missing, unreadable, of the wrong type, not the listed one) is a
KeyProblem naming the file and what to do; nothing is signed with a doubtful key.
"""

import fcntl
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from flask import current_app

from app.certificates.credentials import multibase

log = logging.getLogger(__name__)

KEYRING = "keyring.json"
SIGNING_KEY_ENV = "CREDENTIAL_SIGNING_KEY"
PDF_KEY_ENV = "CREDENTIAL_PDF_KEY"
CERTIFICATE_YEARS = 10
MAX_KEY_FILE = 64 * 1024


class KeyProblem(Exception):
    """A signing key cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class KeyEntry:
    """One key of the keyring, as listed (public halves and file names only)."""

    id: str
    created: str
    retired: str | None
    public_key_multibase: str
    pdf_certificate: str  # file name of the PEM certificate (chain) in the folder

    @property
    def private_file(self) -> str:
        return f"{self.id}.ed25519.pem"

    @property
    def pdf_key_file(self) -> str:
        return f"{self.id}.pdf-key.pem"

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "created": self.created,
            "retired": self.retired,
            "publicKeyMultibase": self.public_key_multibase,
            "pdfCertificate": self.pdf_certificate,
        }


@dataclass(frozen=True)
class SigningKeys:
    """What signing needs: the key in use, its Ed25519 private key, the PDF key and chain."""

    entry: KeyEntry
    private_key: Ed25519PrivateKey
    pdf_key: object  # a cryptography private key (EC, RSA ...)
    pdf_chain: list[x509.Certificate]


def folder() -> Path:
    return Path(current_app.config["CREDENTIAL_KEYS_DIR"])


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# Reading --------------------------------------------------------------------------------------


def read_keyring(where: Path) -> list[KeyEntry]:
    """The keys listed in `where`, oldest first; [] when there is no keyring yet."""
    path = where / KEYRING
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            KeyEntry(
                id=str(item["id"]),
                created=str(item["created"]),
                retired=item.get("retired"),
                public_key_multibase=str(item["publicKeyMultibase"]),
                pdf_certificate=str(item["pdfCertificate"]),
            )
            for item in data["keys"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KeyProblem(f"the keyring {path} cannot be read ({error})") from error


def active_entry(entries: list[KeyEntry]) -> KeyEntry | None:
    current = [entry for entry in entries if entry.retired is None]
    return current[-1] if current else None


def _read_pem(path: Path, env_name: str | None, what: str) -> bytes:
    """A PEM from the environment variable if set, else from the file."""
    if env_name and os.environ.get(env_name):
        return os.environ[env_name].encode()
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise KeyProblem(f"the {what} file {path} is far too large to be a key")
        return path.read_bytes()
    except FileNotFoundError as error:
        raise KeyProblem(
            f"the {what} file {path} is missing"
            + (f" (and {env_name} is not set)" if env_name else "")
        ) from error
    except OSError as error:
        raise KeyProblem(f"the {what} file {path} cannot be read ({error.strerror})") from error


def _private_key(pem: bytes, source: str, what: str):
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise KeyProblem(
            f"{source} does not hold an unencrypted PEM private key for the {what}"
        ) from error
    except Exception as error:  # cryptography raises UnsupportedAlgorithm and others
        raise KeyProblem(f"{source} does not hold a usable {what} ({error})") from error


def load_signing_keys(where: Path | None = None) -> SigningKeys:
    """The keys to sign with now; KeyProblem when any of them cannot be used."""
    where = where or folder()
    entries = read_keyring(where)
    if not entries and _may_make_keys():
        create_key(where)
        entries = read_keyring(where)
    entry = active_entry(entries)
    if entry is None:
        raise KeyProblem(
            f"there is no signing key in {where}: run `flask certificates keys create`"
        )
    source = (
        f"${SIGNING_KEY_ENV}"
        if os.environ.get(SIGNING_KEY_ENV)
        else str(where / entry.private_file)
    )
    key = _private_key(
        _read_pem(where / entry.private_file, SIGNING_KEY_ENV, "signing key"),
        source,
        "credential signing key (Ed25519)",
    )
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{source} is not an Ed25519 key: credentials are signed with Ed25519")
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if multibase.ed25519_public_multikey(public) != entry.public_key_multibase:
        raise KeyProblem(
            f"{source} is not the key {entry.id} listed in {where / KEYRING}: "
            "credentials signed with it would not verify"
        )
    pdf_source = (
        f"${PDF_KEY_ENV}" if os.environ.get(PDF_KEY_ENV) else str(where / entry.pdf_key_file)
    )
    pdf_key = _private_key(
        _read_pem(where / entry.pdf_key_file, PDF_KEY_ENV, "PDF signing key"),
        pdf_source,
        "PDF signing key",
    )
    chain = _read_chain(where / entry.pdf_certificate)
    _check_pdf_pair(pdf_key, pdf_source, chain, where / entry.pdf_certificate)
    return SigningKeys(entry, key, pdf_key, chain)


def _check_pdf_pair(key, key_source: str, chain: list[x509.Certificate], chain_source) -> None:
    """KeyProblem unless `key` is an RSA or EC key and the first certificate's own."""
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise KeyProblem(f"{key_source} is not an RSA or EC key: PDFs are signed with those")
    if chain[0].public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise KeyProblem(f"{key_source} is not the key of the certificate {chain_source}")


def _read_chain(path: Path) -> list[x509.Certificate]:
    pem = _read_pem(path, None, "PDF signing certificate")
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError as error:
        raise KeyProblem(f"{path} does not hold a PEM X.509 certificate") from error
    if not chain:
        raise KeyProblem(f"{path} does not hold a PEM X.509 certificate")
    return chain


def _may_make_keys() -> bool:
    """Development and tests make a keyring on first use; production never guesses."""
    return current_app.config.get("AULA_ENV") != "production"


# Writing --------------------------------------------------------------------------------------


@contextmanager
def _locked(where: Path):
    """One keyring change at a time (several processes may make the first keys at once)."""
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(where / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _write_keyring(where: Path, entries: list[KeyEntry]) -> None:
    temporary = where / f"{KEYRING}.{os.getpid()}.tmp"
    temporary.write_text(
        json.dumps({"keys": [entry.as_json() for entry in entries]}, indent=2) + "\n",
        encoding="utf-8",
    )
    os.replace(temporary, where / KEYRING)


def _pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def self_signed_certificate(key, issuer_name: str) -> x509.Certificate:
    """An X.509 certificate of the issuer for signing documents, signed by its own key."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, issuer_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer_name[:64]),
        ]
    )
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def _new_entry(
    where: Path, entries: list[KeyEntry], pdf_certificate: Path | None, pdf_key: Path | None
) -> KeyEntry:
    numbers = [int(e.id.rsplit("-", 1)[-1]) for e in entries if e.id[-1].isdigit()]
    number = 1 + max(numbers, default=0)
    key_id = f"key-{number}"
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    entry = KeyEntry(
        id=key_id,
        created=_now(),
        retired=None,
        public_key_multibase=multibase.ed25519_public_multikey(public),
        pdf_certificate=f"{key_id}.pdf-cert.pem",
    )
    if pdf_certificate is not None:
        # An institution's own certificate (and chain) and key: checked, then copied in.
        chain = _read_chain(pdf_certificate)
        document_key = _private_key(
            _read_pem(pdf_key, None, "PDF signing key"), str(pdf_key), "PDF signing key"
        )
        _check_pdf_pair(document_key, str(pdf_key), chain, pdf_certificate)
        chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    else:
        document_key = ec.generate_private_key(ec.SECP256R1())
        certificate = self_signed_certificate(
            document_key, current_app.config["CERTIFICATE_ISSUER"]
        )
        chain_pem = certificate.public_bytes(serialization.Encoding.PEM)
    _write_private(where / entry.private_file, _pem(private))
    _write_private(where / entry.pdf_key_file, _pem(document_key))
    (where / entry.pdf_certificate).write_bytes(chain_pem)
    return entry


def create_key(
    where: Path | None = None, *, pdf_certificate: Path | None = None, pdf_key: Path | None = None
) -> KeyEntry:
    """The first key of the keyring (KeyProblem if one is in use: rotate it instead)."""
    where = where or folder()
    with _locked(where):
        entries = read_keyring(where)
        if active_entry(entries) is not None:
            raise KeyProblem(
                f"{where} already has a key in use ({active_entry(entries).id}): "
                "use `flask certificates keys rotate` to replace it"
            )
        entry = _new_entry(where, entries, pdf_certificate, pdf_key)
        _write_keyring(where, [*entries, entry])
    log.warning("Made the credential signing key %s in %s", entry.id, where)
    return entry


def rotate_key(
    where: Path | None = None, *, pdf_certificate: Path | None = None, pdf_key: Path | None = None
) -> tuple[KeyEntry | None, KeyEntry]:
    """Retire the key in use (it stays listed, so what it signed still verifies) and make a
    new one. Returns (retired, new)."""
    where = where or folder()
    with _locked(where):
        entries = read_keyring(where)
        old = active_entry(entries)
        new = _new_entry(where, entries, pdf_certificate, pdf_key)
        now = _now()
        entries = [
            KeyEntry(e.id, e.created, now, e.public_key_multibase, e.pdf_certificate)
            if old is not None and e.id == old.id
            else e
            for e in entries
        ]
        _write_keyring(where, [*entries, new])
    return old, new


def pdf_certificate_of(entry: KeyEntry, where: Path | None = None) -> x509.Certificate:
    return _read_chain((where or folder()) / entry.pdf_certificate)[0]
