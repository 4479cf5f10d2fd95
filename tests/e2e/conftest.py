"""Browser journeys: a real gunicorn server on its own database, driven in Debian's Chromium.

Where Chromium or Playwright is missing the whole folder is skipped with a loud message;
`make test` installs both where it can (Debian's `chromium` package, `playwright` from PyPI).
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
PHONE = {"width": 360, "height": 780}

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - reported loudly below
    sync_playwright = expect = None
    PlaywrightError = Exception
else:
    # A click returns before the page it leads to arrives: checks on the new page go through
    # `expect`, which waits for them (as long as the pages' own default timeout).
    expect.set_options(timeout=15_000)

MISSING = [
    what
    for what, ok in (
        (f"Chromium at {CHROMIUM} (Debian package 'chromium')", Path(CHROMIUM).exists()),
        ("the playwright package", sync_playwright is not None),
        ("axe-core (npm install)", AXE.exists()),
    )
    if not ok
]
SKIP_MESSAGE = "BROWSER TESTS SKIPPED: missing " + ", ".join(MISSING) if MISSING else ""


@pytest.fixture(scope="session", autouse=True)
def _browser_available():
    if MISSING:
        pytest.skip(SKIP_MESSAGE)


def pytest_terminal_summary(terminalreporter):
    if MISSING:
        terminalreporter.write_line("!" * 78, red=True)
        terminalreporter.write_line(SKIP_MESSAGE, red=True, bold=True)
        terminalreporter.write_line("!" * 78, red=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # the OS picks a port nothing listens on
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, url: str, database: Path, env: dict):
        self.url = url
        self.database = database
        self.env = env  # the server's settings: a command run with them works on its data

    def query(self, sql: str, *args):
        """Read the server's database directly (what a test cannot see through the UI)."""
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, args).fetchall()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    database = folder / "aula.db"
    port = _free_port()
    env = {
        **os.environ,
        "AULA_ENV": "testing",
        "SECRET_KEY": "browser-tests-secret",
        "DATABASE_URL": f"sqlite:///{database}",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "CREDENTIAL_KEYS_DIR": str(folder / "credential-keys"),
    }
    env.pop("REDIS_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (
        ["db", "upgrade"],
        ["institutions", "load"],
        ["content", "import", "course_content"],
        # An open season offering every course (tutor-led ones get cohorts in their journeys).
        [
            "seasons",
            "open",
            "Season E2E",
            "--all-courses",
            "--starts",
            (date.today() - timedelta(days=30)).isoformat(),
            "--ends",
            (date.today() + timedelta(days=300)).isoformat(),
        ],
    ):
        done = subprocess.run(
            flask + command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            pytest.fail(f"flask {' '.join(command)} failed:\n{(done.stdout + done.stderr)[-5000:]}")
    log_path = folder / "server.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        if not _answers_healthz(url, server):
            log.flush()
            pytest.fail(
                f"the server did not answer /healthz within {READY_DEADLINE} s; "
                f"its log ({log_path}):\n{log_path.read_text(errors='replace')[-10000:]}"
            )
        yield LiveServer(url, database, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            server.kill()
            server.wait(timeout=10)
        log.close()


# gunicorn's workers each import the app: seconds on a busy machine, so wait generously.
READY_DEADLINE = 120


def _answers_healthz(url: str, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + READY_DEADLINE
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser, live_server, request):
    """A fresh browser context the size of a phone, speaking Spanish."""
    context = browser.new_context(viewport=PHONE, locale="es-ES", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        snapshot(page, f"FAILED-{request.node.name}")
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def snapshot(page, name: str) -> Path:
    """Keep a full-page screenshot as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_phone(page) -> None:
    """Nothing makes the page scroll sideways on the phone's width."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def downloaded(page, link) -> bytes:
    """Click a download link and return the file's bytes."""
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


# What a browser says when the page it was reading is replaced by the next one: a click
# returns before the page it leads to has loaded, so axe may start on the page being left.
_PAGE_REPLACED = ("Execution context was destroyed", "reading 'documentElement'")


def assert_accessible(page) -> None:
    """axe-core on the page as shown: no serious or critical violation.

    The page is read once it has loaded; when it is replaced while axe reads it (a click's
    page arriving), axe runs again on the page that arrived.
    """
    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            violations = _axe_violations(page)
            break
        except PlaywrightError as error:
            if attempt == 2 or not any(sign in str(error) for sign in _PAGE_REPLACED):
                raise
    assert violations == [], f"{page.url}: {violations}"


def _axe_violations(page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => `${v.id} (${v.impact}): `
                  + v.nodes.map(n => n.target.join(' ')).join(', ')))"""
    )


__all__ = ["assert_accessible", "assert_fits_phone", "downloaded", "snapshot"]
