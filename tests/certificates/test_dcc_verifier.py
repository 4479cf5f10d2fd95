"""Checked by others' code: the Digital Credentials Consortium's open-source verifier
(@digitalcredentials/vc with the eddsa-rdfc-2022 cryptosuite and Bitstring Status List, run by
Node) verifies our credentials offline, resolving our DID document and status list from this
application served on a local port, and nothing else.

Skipped loudly when Node or the packages are missing (`make test` runs `npm ci` in
tests/certificates/dcc when npm is there).
"""

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.certificates import services, signing
from app.extensions import db
from tests.certificates.helpers import certificate_of, complete, stored_pdf

HERE = Path(__file__).parent / "dcc"
NODE = shutil.which("node")
PACKAGES = HERE / "node_modules" / "@digitalcredentials"
MISSING = [
    what
    for what, ok in (
        ("node (Debian package nodejs)", NODE is not None),
        ("the DCC packages (npm ci in tests/certificates/dcc)", (PACKAGES / "vc").is_dir()),
    )
    if not ok
]
SKIP_MESSAGE = "DCC VERIFIER TESTS SKIPPED: missing " + ", ".join(MISSING) if MISSING else ""
pytestmark = pytest.mark.skipif(bool(MISSING), reason=SKIP_MESSAGE)


def dcc_verify(server: str, credentials: dict) -> dict:
    done = subprocess.run(
        [NODE, str(HERE / "verify.mjs")],
        input=json.dumps({"server": server, "credentials": credentials}),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=HERE,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_dcc_verifier_accepts_ours_and_catches_changes_and_revocations(
    app, served, make_user, small_course
):
    run = app.test_cli_runner().invoke
    assert run(args=["certificates", "keys", "create"]).exit_code == 0
    before = certificate_of(complete(make_user(full_name="Ana Souza"), small_course))
    before_rotation = signing.embedded_credential(stored_pdf(before))
    assert run(args=["certificates", "keys", "rotate"]).exit_code == 0
    fresh = signing.embedded_credential(
        stored_pdf(certificate_of(complete(make_user(full_name="José Pérez"), small_course)))
    )
    revoked_certificate = certificate_of(complete(make_user(), small_course))
    revoked = signing.embedded_credential(stored_pdf(revoked_certificate))
    services.revoke(revoked_certificate, "Plagiarised capstone", services.PLATFORM)
    db.session.commit()
    changed = copy.deepcopy(fresh)
    changed["credentialSubject"]["name"] = "José Peres"
    assert before_rotation["proof"]["verificationMethod"].endswith("#key-1")
    assert fresh["proof"]["verificationMethod"].endswith("#key-2")

    results = dcc_verify(
        served,
        {
            "fresh": fresh,
            "changed": changed,
            "revoked": revoked,
            "before_rotation": before_rotation,
        },
    )

    assert results["fresh"]["verified"] is True, results["fresh"]
    assert results["fresh"]["status"] == [{"purpose": "revocation", "valid": True}]
    assert results["before_rotation"]["verified"] is True, results["before_rotation"]
    assert results["changed"]["verified"] is False
    assert results["changed"]["signature"] is False
    assert any("signature" in error.lower() for error in results["changed"]["errors"])
    assert results["revoked"]["signature"] is True, results["revoked"]
    assert results["revoked"]["verified"] is False
    assert results["revoked"]["status"] == [{"purpose": "revocation", "valid": False}]
    # Only our server was asked: the DID document and the status list.
    assert set(results["_fetched"]) == {
        f"{served}/.well-known/did.json",
        f"{served}/credentials/status/1",
    }


def test_the_dcc_verifier_refuses_a_status_list_signed_by_someone_else(
    app, served, make_user, small_course
):
    certificate = certificate_of(complete(make_user(), small_course))
    credential = signing.embedded_credential(stored_pdf(certificate))
    # The credential points at a list the server does not serve: verification fails.
    credential_elsewhere = copy.deepcopy(credential)
    elsewhere = f"{served}/credentials/status/9"
    credential_elsewhere["credentialStatus"]["statusListCredential"] = elsewhere
    results = dcc_verify(served, {"fresh": credential, "elsewhere": credential_elsewhere})
    assert results["fresh"]["verified"] is True, results["fresh"]
    assert results["elsewhere"]["verified"] is False
