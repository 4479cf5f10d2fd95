"""A real gunicorn server on the test database, and plain HTTP clients to sign in and fire
requests at it from many threads at once.

The server shares the tests' database and SECRET_KEY, so rows a test commits are what the
server sees, and what the server commits is what the test reads back. Import the fixtures into
a test module:
`from tests.seasons.live_server import live_server_fixture, server_log_fixture  # noqa: F401`.
"""

import http.client
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import CSRF_RE, TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
THREADS = 16
# One line per request in the server log, so statuses can be counted afterwards.
ACCESS_FORMAT = "ACCESS %(s)s %(m)s %(U)s %(M)sms"
ACCESS_RE = re.compile(r"^ACCESS (\d{3}) (\S+) (\S+)", re.M)
TROUBLE_RE = re.compile(r"Traceback|\[ERROR\]|\[CRITICAL\]|WORKER TIMEOUT|database is locked")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    location: str
    text: str
    sent_at: float = 0.0  # time.monotonic() when the request went out
    answered_at: float = 0.0  # ... and when its answer had arrived


@dataclass
class LiveServer:
    url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def host_port(self) -> tuple[str, int]:
        parsed = urllib.parse.urlsplit(self.url)
        return parsed.hostname, parsed.port

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def statuses_since(self, offset: int) -> list[tuple[int, str, str]]:
        """(status, method, path) of every request the server logged since `offset`."""
        return [
            (int(status), method, path)
            for status, method, path in ACCESS_RE.findall(self.log_since(offset))
        ]

    def trouble_since(self, offset: int) -> list[str]:
        """Log lines that show the server went wrong: tracebacks, errors, 5xx answers."""
        lines = self.log_since(offset).splitlines()
        bad = [line for line in lines if TROUBLE_RE.search(line)]
        bad += [line for line in lines if re.match(r"^ACCESS 5\d\d ", line)]
        return bad


# How long a server may take to answer /healthz: gunicorn's workers each import the app,
# which takes seconds on a busy machine (30 s was once not enough on a loaded 2-core one).
READY_DEADLINE = 120


@pytest.fixture(scope="module", name="live_server")
def live_server_fixture(app, database_url, tmp_path_factory):
    """gunicorn (gthread, 4 workers x 16 threads) on the test database, for one module.

    Depends on `app`, which creates the tables: the server starts on a ready database.
    """
    folder = tmp_path_factory.mktemp("live-seats")
    log_path = folder / "server.log"
    log = log_path.open("w")
    try:
        server = _start_ready_server(database_url, log_path, log)
        try:
            yield server
        finally:
            _stop(server.process)
    finally:
        log.close()


def _start_ready_server(database_url: str, log_path: Path, log) -> LiveServer:
    """Start gunicorn on a free port and wait until it answers; a port taken between picking
    and binding it (another worker's server) gets another try on a new port."""
    for _attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "AULA_ENV": "testing",
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "DATABASE_URL": database_url,
            "BASE_URL": url,
        }
        for name in ("REDIS_URL", "SMTP_HOST", "TRUSTED_PROXIES"):
            env.pop(name, None)
        offset = log.tell()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app",
             "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS),
             "--bind", f"127.0.0.1:{port}", "--backlog", "512", "--timeout", "60",
             "--graceful-timeout", "10",
             "--access-logfile", "-", "--access-logformat", ACCESS_FORMAT,
             "--error-logfile", "-", "--log-level", "info"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        server = LiveServer(url, log_path, process)
        if _wait_until_healthy(server):
            return server
        _stop(process)
        log.flush()
        if "Address already in use" not in server.log_since(offset):
            break
    pytest.fail(
        f"the live server did not answer /healthz within {READY_DEADLINE} s; "
        f"its log ({log_path}):\n{server.log_since(0)[-10000:]}"
    )


def _wait_until_healthy(server: LiveServer) -> bool:
    deadline = time.monotonic() + READY_DEADLINE
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(name="server_log")
def server_log_fixture(live_server, request):
    """The server log of this test: shown on the terminal when the test fails."""
    start = live_server.log_size()
    failed_before = request.session.testsfailed
    yield start
    if request.session.testsfailed > failed_before:
        text = live_server.log_since(start)
        sys.__stderr__.write(
            f"\n----- live server log for {request.node.name} ({live_server.log_path}) -----\n"
            f"{text[-20000:]}\n----- end of live server log -----\n"
        )


class Browser:
    """One person's cookies, over plain HTTP; redirects are returned, not followed."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.jar = http.cookiejar.CookieJar()

    def _cookie_header(self, path: str) -> str | None:
        probe = urllib.request.Request(self.server.url + path)  # noqa: S310 - http only
        self.jar.add_cookie_header(probe)
        return probe.get_header("Cookie") or probe.unredirected_hdrs.get("Cookie")

    def prepare(self, method: str, path: str, form: dict | None = None) -> "Prepared":
        """A request ready to go, with this browser's cookies as they are now."""
        headers = {"Accept-Language": "en"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        cookie = self._cookie_header(path)
        if cookie:
            headers["Cookie"] = cookie
        return Prepared(self, method, path, body, headers)

    def get(self, path: str) -> Reply:
        return self.prepare("GET", path).connect().send()

    def post(self, path: str, form: dict) -> Reply:
        return self.prepare("POST", path, form).connect().send()

    def csrf(self, page: str) -> str:
        """The session's CSRF token, read from a form on `page`."""
        reply = self.get(page)
        assert reply.status == 200, (page, reply.status, reply.location)
        match = CSRF_RE.search(reply.text)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def sign_in(self, user, password: str = TEST_PASSWORD) -> "Browser":
        """Sign in through the real login form."""
        token = self.csrf("/login")
        reply = self.post(
            "/login", {"email": user.email, "password": password, "csrf_token": token}
        )
        assert reply.status == 302, (user.email, reply.status, reply.text[-2000:])
        return self


@dataclass
class Prepared:
    """One request: `connect()` opens the connection, `send()` sends it and reads the answer.

    A burst connects first and sends when every thread is connected, so the requests reach
    the server together (not paced by TCP handshakes). gunicorn drops a connection that
    stays silent for several seconds, so connect only just before sending.
    """

    browser: Browser
    method: str
    path: str
    body: str | None
    headers: dict
    connection: http.client.HTTPConnection | None = None

    def connect(self) -> "Prepared":
        host, port = self.browser.server.host_port
        self.connection = http.client.HTTPConnection(host, port, timeout=120)
        self.connection.connect()
        return self

    def send(self) -> Reply:
        server, connection = self.browser.server, self.connection
        sent_at = time.monotonic()
        try:
            connection.request(self.method, self.path, body=self.body, headers=self.headers)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
            sent = urllib.request.Request(server.url + self.path)  # noqa: S310 - http only
            self.browser.jar.extract_cookies(answer, sent)
            location = answer.getheader("Location") or ""
            return Reply(answer.status, location, text, sent_at, time.monotonic())
        finally:
            connection.close()


def burst(requests: list[Prepared]) -> list[Reply | BaseException]:
    """Send prepared requests from one thread each: all connect, then all send at once."""
    barrier = threading.Barrier(len(requests))
    results: list[Reply | BaseException | None] = [None] * len(requests)

    def run(index: int, request: Prepared) -> None:
        try:
            try:
                request.connect()
            except BaseException:
                barrier.abort()  # the others stop waiting; the test reports the error
                raise
            barrier.wait(timeout=60)
            results[index] = request.send()
        except BaseException as error:  # reported by the test, not lost in the thread
            results[index] = error

    threads = [
        threading.Thread(target=run, args=(i, request), daemon=True)
        for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    assert not any(thread.is_alive() for thread in threads), "requests still running after 150 s"
    return results


def most_in_flight(replies: list[Reply]) -> int:
    """How many of the requests the server was working on at the same moment, at most."""
    moments = sorted(
        [(r.sent_at, 1) for r in replies if isinstance(r, Reply)]
        + [(r.answered_at, -1) for r in replies if isinstance(r, Reply)]
    )
    in_flight = most = 0
    for _moment, change in moments:
        in_flight += change
        most = max(most, in_flight)
    return most


__all__ = [
    "Browser",
    "LiveServer",
    "Prepared",
    "Reply",
    "burst",
    "most_in_flight",
    "live_server_fixture",
    "server_log_fixture",
]
