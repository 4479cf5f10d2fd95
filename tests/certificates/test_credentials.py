"""Open Badges credentials and signed PDFs: every certificate's PDF carries its credential,
signed by the issuer's key (did:web), and is itself signed; changes are caught, revocation is
public through a signed status list, rotated keys keep older credentials verifiable, and a
key that cannot be used stops issuance without storing anything half-signed."""

import copy
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.certificates import services, signing
from app.certificates.credentials import keys, multibase, status
from app.certificates.credentials.verify import verify_credential
from app.certificates.models import Certificate, CertificateDocument
from app.extensions import db
from tests.certificates.helpers import (
    certificate_of,
    complete,
    completed_place,
    count,
    pdf_text,
    stored_pdf,
)

PDFSIG = shutil.which("pdfsig")
needs_pdfsig = pytest.mark.skipif(
    PDFSIG is None,
    reason="PDFSIG MISSING: install Debian's poppler-utils (make test does) to check signatures",
)


def run(app, *args):
    return app.test_cli_runner().invoke(args=["certificates", *[str(a) for a in args]])


def through(client):
    """A fetch for verify_credential that asks this application (the test client)."""

    def fetch(url):
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_json()

    return fetch


def verified(client, credential, **given):
    return verify_credential(credential, fetch=through(client), **given)


@pytest.fixture
def certificate(make_user, small_course):
    learner = make_user(full_name="Lucía Ramírez", locale="es")
    return certificate_of(complete(learner, small_course))


@pytest.fixture
def own_keyring(app, tmp_path, monkeypatch):
    """A keyring of this test's own (the session's is shared by every test of the worker)."""
    folder = tmp_path / "keys"
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS_DIR", str(folder))
    monkeypatch.delenv(keys.SIGNING_KEY_ENV, raising=False)
    monkeypatch.delenv(keys.PDF_KEY_ENV, raising=False)
    return folder


# What the credential says ---------------------------------------------------------------------


def test_the_pdf_carries_an_open_badge_naming_what_the_certificate_prints(
    client, certificate, small_course
):
    credential = signing.embedded_credential(stored_pdf(certificate))
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:127.0.0.1%3A5000"
    subject = credential["credentialSubject"]
    assert subject["name"] == "Lucía Ramírez"
    assert subject["identifier"][0]["identityHash"] == "Lucía Ramírez"
    achievement = subject["achievement"]
    assert achievement["name"] == certificate.course_title
    assert f"{certificate.hours} horas" in achievement["description"]
    first_outcome = small_course.outcomes[0]["es"]
    assert first_outcome in achievement["criteria"]["narrative"]
    assert subject["activityEndDate"] == certificate.completed_on.isoformat()
    assert credential["validFrom"].startswith(certificate.issued_at.date().isoformat())
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["proof"]["verificationMethod"].startswith("did:web:127.0.0.1%3A5000#key-")
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert int(entry["statusListIndex"]) == certificate.credential_status_index % status.LIST_SIZE
    result = verified(client, credential)
    assert result.verified, result.problems
    assert result.revoked is False


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"].__setitem__("name", "Lucia Ramirez"),
        lambda c: c["credentialSubject"]["achievement"].__setitem__("name", "Another course"),
        lambda c: c.__setitem__("validFrom", "2020-01-01T00:00:00Z"),
        lambda c: c["credentialStatus"].__setitem__("statusListIndex", "7"),
        lambda c: c["issuer"].__setitem__("name", "Forged Institute"),
        lambda c: c["proof"].__setitem__("created", "2020-01-01T00:00:00Z"),
    ],
    ids=["holder", "course", "date", "status place", "issuer name", "proof date"],
)
def test_one_changed_field_fails(client, certificate, change):
    credential = signing.embedded_credential(stored_pdf(certificate))
    changed = copy.deepcopy(credential)
    change(changed)
    result = verified(client, changed)
    assert not result.signature and not result.verified
    assert "changed" in " ".join(result.problems)


def test_a_signature_by_another_key_or_issuer_fails(client, certificate, own_keyring):
    credential = signing.embedded_credential(stored_pdf(certificate))
    # Signed by a key of another keyring, under the same key id: not the one published.
    forged = signing.proof.sign(
        {k: v for k, v in credential.items() if k != "proof"},
        keys.load_signing_keys().private_key,
        credential["proof"]["verificationMethod"],
    )
    published = client.get("/.well-known/did.json").get_json()  # now the other keyring's
    assert verify_credential(forged, did_document=published).signature
    original = verify_credential(forged, did_document=_did_of(published, credential))
    assert not original.signature
    # A credential claiming another issuer than the key's DID.
    other = copy.deepcopy(credential)
    other["issuer"]["id"] = "did:web:evil.example"
    assert "not its issuer's" in " ".join(verified(client, other).problems)


def _did_of(published, credential):
    """A DID document with only a bogus key under the credential's key id."""
    document = copy.deepcopy(published)
    for method in document["verificationMethod"]:
        method["publicKeyMultibase"] = multibase.ed25519_public_multikey(b"\1" * 32)
    document["verificationMethod"][0]["id"] = credential["proof"]["verificationMethod"]
    document["assertionMethod"] = [credential["proof"]["verificationMethod"]]
    return document


@pytest.mark.parametrize(
    "credential",
    [None, [], "text", {}, {"@context": "x"}, {"@context": [], "proof": []},
     {"@context": [], "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
      "proofPurpose": "assertionMethod", "verificationMethod": "did:web:x#k",
      "proofValue": "z" + "1" * 5000, "created": "2026-01-01T00:00:00Z"}, "issuer": "did:web:x"}],
)  # fmt: skip
def test_hostile_credentials_are_refused_without_a_crash(client, credential):
    result = verify_credential(credential, fetch=lambda url: pytest.fail(f"fetched {url}"))
    assert not result.verified and result.problems


# Status list: revocation is public ------------------------------------------------------------


def test_revocation_and_restoration_show_on_the_signed_status_list(app, client, certificate):
    credential = signing.embedded_credential(stored_pdf(certificate))
    url = credential["credentialStatus"]["statusListCredential"]
    before = client.get(urlsplit(url).path)
    assert before.status_code == 200
    assert before.headers["Access-Control-Allow-Origin"] == "*"
    listed = before.get_json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    bits = gzip.decompress(multibase.from_base64url(listed["credentialSubject"]["encodedList"]))
    assert len(bits) * 8 == status.LIST_SIZE >= 131_072

    assert run(app, "revoke", certificate.grouped_code, "--reason", "Plagiarised").exit_code == 0
    result = verified(client, credential)
    assert result.signature and result.revoked is True and not result.verified
    assert "revoked" in " ".join(result.problems)

    assert run(app, "restore", certificate.grouped_code, "--reason", "Mistaken").exit_code == 0
    result = verified(client, credential)
    assert result.verified and result.revoked is False


def test_a_forged_status_list_is_refused(client, certificate):
    credential = signing.embedded_credential(stored_pdf(certificate))
    listed = client.get(urlsplit(credential["credentialStatus"]["statusListCredential"]).path)
    forged = listed.get_json()
    forged["credentialSubject"]["encodedList"] = status.encode([])  # "nothing revoked"
    forged["validFrom"] = "2026-01-01T00:00:00Z"
    result = verified(client, credential, status_list=forged)
    assert result.signature and not result.status_checked and not result.verified
    other = copy.deepcopy(listed.get_json())
    other["id"] = other["id"].replace("/status/1", "/status/2")
    assert not verified(client, credential, status_list=other).verified


def test_status_places_are_distinct_and_lists_stable(client, make_user, small_course):
    certificates = [certificate_of(complete(make_user(), small_course)) for _ in range(3)]
    places = {c.credential_status_index for c in certificates}
    assert len(places) == 3 and all(0 <= p < status.LIST_SIZE for p in places)
    assert client.get("/credentials/status/1").status_code == 200
    for missing in ("/credentials/status/2", "/credentials/status/0", "/credentials/status/x"):
        assert client.get(missing).status_code == 404


def test_status_place_is_kept_across_editions(client, certificate):
    place = certificate.credential_status_index
    services.change_language(certificate, "en", services.PLATFORM)
    db.session.commit()
    certificate = certificate_of_id(certificate.id)
    # Another language is another PDF of the same edition, with the same status place, and
    # carries the credential in its own language.
    assert certificate.edition == 1 and certificate.credential_status_index == place
    credential = signing.embedded_credential(stored_pdf(certificate, "en"))
    assert "hours" in credential["credentialSubject"]["achievement"]["description"]
    assert verified(client, credential).verified
    spanish = signing.embedded_credential(stored_pdf(certificate, "es"))
    assert "horas" in spanish["credentialSubject"]["achievement"]["description"]
    assert spanish["credentialStatus"] == credential["credentialStatus"]
    assert verified(client, spanish).verified


def certificate_of_id(certificate_id):
    db.session.expire_all()
    return db.session.get(Certificate, certificate_id)


# Keys -----------------------------------------------------------------------------------------


def test_keys_create_rotate_list_and_older_credentials_still_verify(
    app, client, make_user, small_course, own_keyring
):
    created = run(app, "keys", "create")
    assert created.exit_code == 0, created.output
    assert "key-1" in created.output
    assert run(app, "keys", "create").exit_code == 1  # one key in use: rotate instead
    before = certificate_of(complete(make_user(), small_course))
    old_credential = signing.embedded_credential(stored_pdf(before))
    assert old_credential["proof"]["verificationMethod"].endswith("#key-1")

    rotated = run(app, "keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    listing = run(app, "keys", "list").output
    assert "key-1" in listing and "retired" in listing and "key-2" in listing
    document = client.get("/.well-known/did.json").get_json()
    assert [m["id"].rsplit("#")[1] for m in document["verificationMethod"]] == ["key-1", "key-2"]
    assert len(document["assertionMethod"]) == 2

    after = certificate_of(complete(make_user(), small_course))
    new_credential = signing.embedded_credential(stored_pdf(after))
    assert new_credential["proof"]["verificationMethod"].endswith("#key-2")
    assert verified(client, old_credential).verified
    assert verified(client, new_credential).verified
    # Private keys are files of the folder (mode 0600), never in the database.
    private = sorted(p.name for p in own_keyring.glob("*.pem") if "cert" not in p.name)
    assert private == [
        "key-1.ed25519.pem", "key-1.pdf-key.pem", "key-2.ed25519.pem", "key-2.pdf-key.pem"
    ]  # fmt: skip
    assert all((own_keyring / name).stat().st_mode & 0o077 == 0 for name in private)


def test_the_private_key_may_come_from_the_environment(
    app, client, make_user, small_course, own_keyring, monkeypatch
):
    entry = keys.create_key()
    secret = (own_keyring / entry.private_file).read_text()
    (own_keyring / entry.private_file).unlink()
    monkeypatch.setenv(keys.SIGNING_KEY_ENV, secret)
    credential = signing.embedded_credential(
        stored_pdf(certificate_of(complete(make_user(), small_course)))
    )
    assert verified(client, credential).verified


def _break_missing(folder, entry):
    (folder / entry.private_file).unlink()


def _break_unreadable(folder, entry):
    (folder / entry.private_file).chmod(0)


def _break_wrong_type(folder, entry):
    # A PDF signing key (EC) where the Ed25519 key should be.
    shutil.copy(folder / entry.pdf_key_file, folder / entry.private_file)


def _break_not_a_key(folder, entry):
    (folder / entry.private_file).write_text("-----BEGIN PRIVATE KEY-----\nnonsense\n")


def _break_other_key(folder, entry):
    other = keys.Ed25519PrivateKey.generate()
    (folder / entry.private_file).write_bytes(keys._pem(other))


def _break_pdf_certificate(folder, entry):
    (folder / entry.pdf_certificate).write_text("not a certificate")


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_break_missing, "is missing"),
        (_break_unreadable, "cannot be read"),
        (_break_wrong_type, "not an Ed25519 key"),
        (_break_not_a_key, "does not hold"),
        (_break_other_key, "is not the key key-1"),
        (_break_pdf_certificate, "X.509"),
    ],
    ids=["missing", "unreadable", "wrong type", "not a key", "another key", "bad certificate"],
)
def test_an_unusable_key_stops_issuance_and_stores_nothing_half_signed(
    app, make_user, small_course, own_keyring, damage, words
):
    if damage is _break_unreadable and os.geteuid() == 0:
        pytest.skip("root reads any file: an unreadable key cannot be made")
    entry = keys.create_key()
    damage(own_keyring, entry)
    place = completed_place(make_user(), small_course)
    result = run(app, "issue", "--enrollment", place.id)
    assert result.exit_code == 1
    assert "could not be signed" in result.output and words in result.output, result.output
    assert count(CertificateDocument) == 0
    certificate = certificate_of(place)
    assert certificate.credential_status_index is None  # nothing of it was kept either


def test_an_unreadable_key_file_as_root_is_still_caught(app, make_user, small_course, own_keyring):
    entry = keys.create_key()
    (own_keyring / entry.private_file).unlink()
    (own_keyring / entry.private_file).mkdir()  # a folder where the file should be
    with pytest.raises(services.RenderFailed, match="cannot be read"):
        signing.seal(certificate_of(completed_place_issued(make_user(), small_course)), b"")
    db.session.rollback()


def completed_place_issued(user, course):
    """A completed enrolment with its certificate issued but not rendered."""
    place = completed_place(user, course)
    services.issue_certificate(place.id, render=False)
    db.session.commit()
    return place


def test_production_never_makes_keys_itself(app, make_user, small_course, own_keyring, monkeypatch):
    monkeypatch.setitem(app.config, "AULA_ENV", "production")
    place = completed_place(make_user(), small_course)
    result = run(app, "issue", "--enrollment", place.id)
    assert result.exit_code == 1
    assert "flask certificates keys create" in result.output
    assert not (own_keyring / keys.KEYRING).exists()


def test_revocation_is_refused_while_the_list_cannot_be_signed(app, certificate, own_keyring):
    entry = keys.create_key()
    (own_keyring / entry.private_file).unlink()
    result = run(app, "revoke", certificate.grouped_code, "--reason", "Plagiarised")
    assert result.exit_code == 1 and "status list could not be signed" in result.output
    assert not certificate_of_id(certificate.id).revoked


def test_an_institutions_certificate_signs_the_pdfs(app, make_user, small_course, own_keyring,
                                                      tmp_path):  # fmt: skip
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = keys.self_signed_certificate(key, "Instituto Nacional de Formación")
    (tmp_path / "inst.pem").write_bytes(certificate.public_bytes(keys.serialization.Encoding.PEM))
    (tmp_path / "inst.key").write_bytes(keys._pem(key))
    other_key = tmp_path / "other.key"
    other_key.write_bytes(keys._pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    refused = run(app, "keys", "create", "--pdf-certificate", tmp_path / "inst.pem",
                  "--pdf-key", other_key)  # fmt: skip
    assert refused.exit_code == 1 and "is not the key of the certificate" in refused.output
    assert run(app, "keys", "create", "--pdf-certificate", tmp_path / "inst.pem").exit_code == 2
    made = run(app, "keys", "create", "--pdf-certificate", tmp_path / "inst.pem",
               "--pdf-key", tmp_path / "inst.key")  # fmt: skip
    assert made.exit_code == 0, made.output
    pdf = stored_pdf(certificate_of(complete(make_user(), small_course)))
    if PDFSIG:
        report = pdfsig(pdf, tmp_path)
        assert "Instituto Nacional de Formación" in report
        assert "Signature is Valid" in report


# The signed PDF -------------------------------------------------------------------------------


def pdfsig(pdf: bytes, folder: Path) -> str:
    path = folder / "certificate.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


@needs_pdfsig
def test_pdfsig_finds_the_pdf_signed_and_unchanged(certificate, tmp_path):
    pdf = stored_pdf(certificate)
    report = pdfsig(pdf, tmp_path)
    assert "Signature #1" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report  # PAdES
    # The page still reads as the certificate, and the hash the page checks is of these bytes.
    assert "Lucía Ramírez" in pdf_text(pdf)
    document = db.session.scalar(
        select(CertificateDocument).where(CertificateDocument.certificate_id == certificate.id)
    )
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()


@needs_pdfsig
def test_any_edit_breaks_the_pdf_signature(certificate, tmp_path):
    pdf = stored_pdf(certificate)
    # Change one byte inside the signed content (the first page's stream), same length.
    position = len(pdf) // 3
    edited = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    assert "Signature is Valid" not in pdfsig(edited, tmp_path)
    # Anything appended after the signature is reported as not covered by it.
    appended = pdf + b"\n% an added line\n"
    assert "Total document signed" not in pdfsig(appended, tmp_path)


# Downloads and pages --------------------------------------------------------------------------


def test_the_learner_downloads_the_credential_from_the_dashboard(client, make_user, small_course):
    from tests.conftest import login

    learner = make_user(full_name="Ana Souza", locale="pt")
    certificate = certificate_of(complete(learner, small_course))
    login(client, learner)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    link = f"/certificates/{certificate.id}/credential.json"
    assert link in dashboard
    response = client.get(link)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json() == signing.embedded_credential(stored_pdf(certificate))


def test_nobody_else_downloads_a_learners_credential(client, certificate, login_as):
    link = f"/certificates/{certificate.id}/credential.json"
    assert client.get(link).status_code == 302  # to the sign-in page
    login_as()
    assert client.get(link).status_code == 403
    assert client.get("/certificates/999999/credential.json").status_code == 404


def test_the_verification_page_offers_the_credential(client, certificate):
    page = client.get(f"/verify/{certificate.grouped_code}").get_data(as_text=True)
    link = f"/credentials/{certificate.grouped_code}.json"
    assert link in page
    response = client.get(link)
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["credentialSubject"]["name"] == "Lucía Ramírez"
    assert client.get("/credentials/NOT-A-CODE.json").status_code == 404


def test_a_revoked_certificates_credential_is_no_longer_handed_out(app, client, certificate):
    assert run(app, "revoke", certificate.grouped_code, "--reason", "Plagiarised").exit_code == 0
    page = client.get(f"/verify/{certificate.grouped_code}").get_data(as_text=True)
    assert f"/credentials/{certificate.grouped_code}.json" not in page
    assert client.get(f"/credentials/{certificate.grouped_code}.json").status_code == 404


def test_the_did_document_lists_the_issuers_keys(client, certificate):
    response = client.get("/.well-known/did.json")
    document = response.get_json()
    assert document["id"] == "did:web:127.0.0.1%3A5000"
    method = document["verificationMethod"][0]
    assert method["type"] == "Multikey" and method["publicKeyMultibase"].startswith("z6Mk")
    assert document["assertionMethod"] == [method["id"]]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# verify-credential: without the database ------------------------------------------------------


def _saved(client, certificate, folder):
    pdf = stored_pdf(certificate)
    credential = signing.embedded_credential(pdf)
    files = {
        "pdf": folder / "certificate.pdf",
        "json": folder / "credential.json",
        "did": folder / "did.json",
        "list": folder / "list.json",
    }
    files["pdf"].write_bytes(pdf)
    files["json"].write_text(json.dumps(credential))
    files["did"].write_text(client.get("/.well-known/did.json").get_data(as_text=True))
    url = credential["credentialStatus"]["statusListCredential"]
    files["list"].write_text(client.get(urlsplit(url).path).get_data(as_text=True))
    return credential, files


def test_verify_credential_checks_a_pdf_or_json_from_given_files(
    app, client, certificate, tmp_path
):
    credential, files = _saved(client, certificate, tmp_path)
    given = ["--did-document", files["did"], "--status-list", files["list"]]
    for source in (files["pdf"], files["json"]):
        result = run(app, "verify-credential", source, *given)
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["verified"] and report["holder"] == "Lucía Ramírez"
    credential["credentialSubject"]["name"] = "Someone Else"
    files["json"].write_text(json.dumps(credential))
    result = run(app, "verify-credential", files["json"], *given)
    assert result.exit_code == 1 and json.loads(result.output)["signature_valid"] is False


def test_verify_credential_needs_no_database(app, client, certificate, tmp_path, monkeypatch):
    _credential, files = _saved(client, certificate, tmp_path)
    db.session.remove()
    # The database is unreachable: any statement would fail.
    monkeypatch.setitem(app.config, "SQLALCHEMY_DATABASE_URI", "sqlite:////nonexistent/x.db")
    from app.certificates.cli import verify_credential as command

    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(type(engine), "connect", lambda *a, **k: pytest.fail("used the database"))
    runner = app.test_cli_runner()
    result = runner.invoke(
        command,
        [
            str(files["pdf"]),
            "--did-document",
            str(files["did"]),
            "--status-list",
            str(files["list"]),
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n%%EOF", "no embedded files"),
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"[" * 200_000 + b"]" * 200_000, "not JSON"),
    ],
)
def test_verify_credential_refuses_what_is_no_credential(app, tmp_path, content, words):
    path = tmp_path / "file"
    path.write_bytes(content)
    result = run(app, "verify-credential", path)
    assert result.exit_code == 1 and words in result.output


def test_verify_credential_fetches_from_the_urls_when_not_given(client, certificate, tmp_path):
    credential, files = _saved(client, certificate, tmp_path)
    asked = []

    def fetch(url):
        asked.append(url)
        return through(client)(url)

    result = verify_credential(credential, fetch=fetch)
    assert result.verified
    assert asked == [
        "http://127.0.0.1:5000/.well-known/did.json",
        credential["credentialStatus"]["statusListCredential"],
    ]


def test_verify_credential_fetches_the_did_document_and_list_over_http(
    app, served, make_user, small_course, tmp_path
):
    certificate = certificate_of(complete(make_user(full_name="Ana Souza"), small_course))
    path = tmp_path / "certificate.pdf"
    path.write_bytes(stored_pdf(certificate))
    result = run(app, "verify-credential", path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["issuer"] == "did:web:" + served.replace(
        "http://", ""
    ).replace(":", "%3A")
    services.revoke(certificate, "Plagiarised capstone", services.PLATFORM)
    db.session.commit()
    result = run(app, "verify-credential", path)
    assert result.exit_code == 1 and json.loads(result.output)["revoked"] is True


def test_simultaneous_revocations_all_reach_the_status_list(app, client, make_user, small_course):
    from tests.certificates.test_issuance import _together

    certificates = [certificate_of(complete(make_user(), small_course)) for _ in range(4)]
    credentials = [signing.embedded_credential(stored_pdf(c)) for c in certificates]
    ids = [c.id for c in certificates]
    lock = threading.Lock()

    def revoke_one():
        with lock:
            certificate_id = ids.pop()
        services.revoke(db.session.get(Certificate, certificate_id), "Fraud", services.PLATFORM)

    assert _together(app, len(certificates), revoke_one) == []
    for credential in credentials:
        result = verified(client, credential)
        assert result.signature and result.revoked is True, result.problems


def test_huge_or_hostile_inputs_are_refused(app, client, certificate, tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(21 * 1024 * 1024)
    result = run(app, "verify-credential", huge)
    assert result.exit_code == 1 and "far larger" in result.output
    assert client.get("/credentials/status/99999999999999").status_code == 404
    # A compressed list that would unpack to far more than any list: refused, not unpacked.
    bomb = multibase.base64url(gzip.compress(bytes(20 * 1024 * 1024)))
    with pytest.raises(ValueError, match="larger"):
        status.decode(bomb)
    with pytest.raises(ValueError):
        status.decode("not multibase")
    with pytest.raises(ValueError):
        status.is_set(status.decode(status.encode([])), status.LIST_SIZE)


def test_a_bulk_issue_with_an_unusable_key_fails_each_unit_with_the_reason(
    app, make_user, small_course, own_keyring
):
    entry = keys.create_key()
    (own_keyring / entry.private_file).unlink()
    places = [completed_place(make_user(), small_course) for _ in range(2)]
    result = run(app, "issue", "--season", places[0].season.name)
    assert result.exit_code == 1
    assert "0 of 2 certificates issued, 2 failed" in result.output
    assert result.output.count("could not be signed") == 2 and "is missing" in result.output
    assert count(CertificateDocument) == 0


def test_a_pdf_is_signed_in_a_process_that_runs_an_event_loop(client, make_user, small_course):
    """pyHanko signs through asyncio.run, which refuses to start inside a running event loop
    (a process that also drives a browser has one): the signature is made all the same."""
    import asyncio

    learner = make_user(full_name="Rosa Bucle", locale="pt")
    place = completed_place(learner, small_course)

    certificate, _ = services.issue_certificate(place.id, render=False)
    db.session.commit()

    async def render_inside_a_loop():
        return services.render_document(certificate.id)

    document, stored = asyncio.run(render_inside_a_loop())
    db.session.commit()
    assert stored and document is not None
    pdf = stored_pdf(certificate)
    credential = signing.embedded_credential(pdf)
    assert credential["credentialSubject"]["name"] == "Rosa Bucle"
    assert verified(client, credential).verified
