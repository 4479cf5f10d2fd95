"""Fixtures of the certificate tests, and a loud line when the outside verifiers are missing."""

import shutil
import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def served(app, monkeypatch, tmp_path):
    """This application on a local port, BASE_URL (so its did:web) naming that port, with a
    keyring of the test's own."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setitem(app.config, "BASE_URL", url)
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS_DIR", str(tmp_path / "keys"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=10)


def pytest_terminal_summary(terminalreporter):
    from tests.certificates.test_dcc_verifier import SKIP_MESSAGE

    missing = [SKIP_MESSAGE] if SKIP_MESSAGE else []
    if shutil.which("pdfsig") is None:
        missing.append("PDF SIGNATURE TESTS SKIPPED: pdfsig missing (Debian package poppler-utils)")
    for message in missing:
        terminalreporter.write_line("!" * 78, red=True)
        terminalreporter.write_line(message, red=True, bold=True)
        terminalreporter.write_line("!" * 78, red=True)
