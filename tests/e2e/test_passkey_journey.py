"""Journey: a person adds a passkey in Chromium (its virtual authenticator, through the
DevTools protocol), signs in with it without a password, then uses it as the second step
after the password.

Passkeys need a host name, not an IP address (browsers refuse an IP as the relying party), so
this journey runs a server of its own at http://localhost:<port>.
"""

import os
import subprocess
import sys

import pytest

from tests.e2e.conftest import (
    ROOT,
    LiveServer,
    _answers_healthz,
    _free_port,
    assert_accessible,
    snapshot,
)

EMAIL = "marta.passkey@example.org"
PASSWORD = "una llave sin contraseña 2026"


@pytest.fixture(scope="module")
def localhost_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("passkeys")
    database = folder / "aula.db"
    port = _free_port()
    env = {
        **os.environ,
        "AULA_ENV": "testing",
        "SECRET_KEY": "browser-tests-secret",
        "DATABASE_URL": f"sqlite:///{database}",
        "BASE_URL": f"http://localhost:{port}",
    }
    env.pop("REDIS_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (
        ["db", "upgrade"],
        ["users", "create", EMAIL, "--name", "Marta Llave", "--password", PASSWORD],
    ):
        done = subprocess.run(
            flask + command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stdout + done.stderr
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://localhost:{port}"
            assert _answers_healthz(f"http://127.0.0.1:{port}", server), log_path.read_text()
            yield LiveServer(url, database, env)
        finally:
            server.terminate()
            server.wait(timeout=20)


@pytest.fixture
def with_authenticator(browser, localhost_server, request):
    """A browser page with a virtual platform authenticator (passkeys kept in it, user
    verification passed), as a phone with a fingerprint reader."""
    context = browser.new_context(locale="es-ES", base_url=localhost_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    yield page, cdp, authenticator
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        snapshot(page, f"FAILED-{request.node.name}")
    context.close()


def sign_in_with_password(page):
    page.goto("/login")
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form[method=post] [type=submit]").first.click()


def sign_out(page):
    page.locator("form[action='/logout'] button, form[action='/logout'] [type=submit]").click()
    page.wait_for_url("**/")


def test_a_passkey_signs_in_without_a_password_and_as_the_second_step(
    with_authenticator, localhost_server
):
    page, cdp, authenticator = with_authenticator
    sign_in_with_password(page)
    page.wait_for_url("**/")

    page.goto("/account/two-factor")
    assert_accessible(page)
    page.locator("#passkey-name").fill("Mi teléfono")
    page.locator("[data-passkey-action=add]").click()
    page.locator("main li").filter(has_text="Mi teléfono").wait_for()
    snapshot(page, "passkey-added")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"]
    assert localhost_server.query("SELECT name FROM passkey") == [("Mi teléfono",)]
    assert localhost_server.query("SELECT second_factor FROM user_account") == [(1,)]

    # Without a password: the button on the sign-in page.
    sign_out(page)
    page.goto("/login")
    page.locator("[data-passkey-action=sign-in]").click()
    page.wait_for_url("**/")
    page.goto("/account/profile")
    assert page.url.endswith("/account/profile")

    # As the second step: the password first, then the passkey instead of a code.
    sign_out(page)
    sign_in_with_password(page)
    page.wait_for_url("**/login/second-factor")
    page.goto("/account/profile")
    assert "/login" in page.url  # the password alone did not sign in
    sign_in_with_password(page)
    page.wait_for_url("**/login/second-factor")
    assert_accessible(page)
    page.locator("[data-passkey-action=sign-in]").click()
    page.wait_for_url("**/")
    page.goto("/account/security")
    assert page.url.endswith("/account/security")
    assert_accessible(page)
    page.goto("/account/sessions")
    assert page.locator("main tbody tr").count() == 1  # the earlier ones were signed out
    assert_accessible(page)
    snapshot(page, "sessions")
    kinds = [k for (k,) in localhost_server.query("SELECT kind FROM security_event")]
    assert "factor_added" in kinds
    ways = localhost_server.query(
        "SELECT detail FROM security_event WHERE kind = 'signed_in' ORDER BY id"
    )
    assert ways == [("password",), ("passkey",), ("password + passkey",)]
    (count,) = localhost_server.query("SELECT sign_count FROM passkey")[0]
    assert count >= 0  # the virtual authenticator may keep no counter; the library checks it


def test_without_a_passkey_for_this_site_the_button_signs_nobody_in(
    with_authenticator, localhost_server
):
    page, cdp, authenticator = with_authenticator
    # This authenticator holds no passkey for this site: an error shows, nobody is signed in.
    page.goto("/login")
    page.locator("[data-passkey-action=sign-in]").click()
    page.locator("[data-passkey-error]").filter(has_text="passkey").or_(
        page.locator("[data-passkey-error]:not(:empty)")
    ).first.wait_for(timeout=90_000)
    page.goto("/account/profile")
    assert "/login" in page.url
