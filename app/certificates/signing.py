"""What makes a rendered certificate PDF trustworthy on its own: its Open Badges credential,
signed and embedded as a file (`credential.json`), and a PAdES signature over the whole PDF by
the issuer's X.509 certificate (pyHanko).

`seal` is the one step render_document takes between rendering and storing: it either returns
a PDF carrying a signed credential and signed itself, or refuses (RenderFailed, with the
reason) so nothing is stored half-signed. Any change to the stored bytes breaks the PDF
signature (`pdfsig` says so), and any change to the embedded credential breaks its proof.
"""

import asyncio
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.certificates.credentials import build, proof, status
from app.certificates.credentials.did import issuer_did, method_id
from app.certificates.credentials.keys import KeyProblem, SigningKeys, load_signing_keys
from app.certificates.models import Certificate

EMBEDDED_NAME = "credential.json"
MAX_EMBEDDED = 1024 * 1024


class NoCredential(ValueError):
    """The PDF carries no credential we can read."""


def signed_credential(
    certificate: Certificate, keys: SigningKeys, language: str | None = None
) -> dict:
    """The certificate's Open Badges credential, with its status place, signed by `keys`."""
    did = issuer_did()
    index = status.assign_index(certificate)
    credential = build.credential_for(certificate, did, status.status_entry(index), language)
    return proof.sign(credential, keys.private_key, method_id(did, keys.entry))


def seal(certificate: Certificate, pdf: bytes, language: str | None = None) -> bytes:
    """The rendered PDF with the certificate's signed credential embedded, signed (PAdES).

    Refused with the reason when a key cannot be used, before anything is written.
    """
    # Deferred: services imports this module (its errors are what its callers expect).
    from app.certificates.services import RenderFailed

    try:
        keys = load_signing_keys()
    except KeyProblem as problem:
        raise RenderFailed(
            _l("The certificate could not be signed: %(reason)s.", reason=str(problem))
        ) from problem
    credential = signed_credential(certificate, keys, language)
    data = json.dumps(credential, ensure_ascii=False, indent=2).encode()
    return sign_pdf(pdf, data, keys)


def _asn1(keys: SigningKeys):
    key = asn1_keys.PrivateKeyInfo.load(
        keys.pdf_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in keys.pdf_chain
    ]
    return key, chain


def sign_pdf(pdf: bytes, credential: bytes, keys: SigningKeys) -> bytes:
    """`pdf` with `credential` embedded as credential.json, then signed over all its bytes."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    now = datetime.now(UTC)
    stream = embed.EmbeddedFileObject.from_file_data(
        writer,
        data=credential,
        mime_type="application/json",
        params=embed.EmbeddedFileParams(creation_date=now, modification_date=now),
    )
    embed.embed_file(
        writer,
        embed.FileSpec(
            file_spec_string=EMBEDDED_NAME,
            file_name=EMBEDDED_NAME,
            embedded_data=stream,
            description="Open Badges 3.0 credential (W3C Verifiable Credential)",
        ),
    )
    key, chain = _asn1(keys)
    signer = signers.SimpleSigner(
        signing_cert=chain[0],
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name="IssuerSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=current_app.config["CERTIFICATE_ISSUER"],
        reason="Certificate issued",
    )
    output = io.BytesIO()
    # Room for the CMS signature, given rather than estimated: pyHanko would otherwise sign
    # twice (once to measure). The chain's certificates are most of it.
    reserved = 4096 + 2 * sum(len(certificate.dump()) for certificate in chain)
    _outside_any_event_loop(
        signers.sign_pdf, writer, metadata, signer=signer, output=output, bytes_reserved=reserved
    )
    return output.getvalue()


def _outside_any_event_loop(function, *args, **kwargs):
    """Call `function` (pyHanko's sign_pdf runs asyncio.run inside) where no event loop is
    running: in this thread when none is (web requests, job workers), else in a short-lived
    thread of its own (a caller that runs an event loop in this thread, such as a test
    process that also drives a browser)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def embedded_credential(pdf: bytes) -> dict:
    """The credential a certificate PDF carries (NoCredential when it carries none)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except Exception as error:  # any malformed PDF, or one without embedded files
        raise NoCredential("the PDF carries no embedded files") from error
    for position in range(0, len(names) - 1, 2):
        if str(names[position]) != EMBEDDED_NAME:
            continue
        try:
            spec = names[position + 1].get_object()
            stream = spec["/EF"]["/F"].get_object()
            if int(stream.get("/Length", 0)) > MAX_EMBEDDED:
                raise NoCredential("the embedded credential is far too large")
            data = stream.data
        except NoCredential:
            raise
        except Exception as error:
            raise NoCredential("the embedded credential cannot be read") from error
        if len(data) > MAX_EMBEDDED:
            raise NoCredential("the embedded credential is far too large")
        try:
            found = json.loads(data)
        except ValueError as error:
            raise NoCredential("the embedded credential is not JSON") from error
        if not isinstance(found, dict):
            raise NoCredential("the embedded credential is not a JSON object")
        return found
    raise NoCredential(f"the PDF carries no {EMBEDDED_NAME}")


def record_status_change(certificate: Certificate) -> None:
    """Revoked or restored: sign the certificate's status list again, in the same transaction;
    refused (CertificateError, so nothing changes) when the key cannot be used, for a public
    list that disagreed with the database would mislead every verifier."""
    from app.certificates.services import CertificateError

    try:
        status.record_change(certificate)
    except KeyProblem as problem:
        raise CertificateError(
            _l("The status list could not be signed: %(reason)s.", reason=str(problem))
        ) from problem
