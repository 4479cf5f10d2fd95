"""Fixtures of the certificate tests."""

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
