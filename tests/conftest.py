"""Fixtures: a real database (SQLite, or PostgreSQL through TEST_DATABASE_URL), factories
for people, and a client helper that signs in through the real login form with CSRF.

The suite runs in parallel (pytest-xdist, `make test` uses 2 workers). Each worker owns what
it touches: its own SQLite file, or its own PostgreSQL database made on the TEST_DATABASE_URL
server and dropped at the end; its own redis-server unless TEST_REDIS_URL names one; its own
free ports. Nothing here drops or flushes anything the run did not create.
"""

import contextvars
import functools
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import delete
from sqlalchemy.engine import make_url

# Settings come from the environment, as in production; set them before the app loads.
os.environ["AULA_ENV"] = "testing"
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.pop("REDIS_URL", None)
os.environ.pop("SMTP_HOST", None)

from app import create_app  # noqa: E402
from app.accounts import services  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.core import page_cache  # noqa: E402
from app.core.db import utcnow  # noqa: E402
from app.core.models import OutboxMessage  # noqa: E402
from app.extensions import db, limiter  # noqa: E402
from app.learning import outline as course_outlines  # noqa: E402

TEST_PASSWORD = "lapiz naranja montaña 7"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_FORM_TOKENS = re.compile(rb'name="csrf_token" type="hidden" value="[^"]*"|data-csrf="[^"]*"')


def without_form_tokens(page: bytes) -> bytes:
    """`page` with its forms' CSRF tokens taken out: a token carries the second it was signed
    in, so two answers of the same page differ there when a second boundary falls between."""
    return _FORM_TOKENS.sub(b"", page)


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1 ... under xdist


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def server_engine(url: str) -> sa.Engine:
    """An engine on a PostgreSQL server's database, for CREATE/DROP DATABASE."""
    url = make_url(url).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@contextmanager
def own_database(server_url: str, name: str) -> Iterator[str]:
    """A database `name` made on the PostgreSQL server of `server_url` (refused if it exists:
    not ours), its URL while in use, dropped after."""
    url = make_url(server_url)
    server = server_engine(server_url)
    quoted = server.dialect.identifier_preparer.quote(name)
    with server.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        server.dispose()


def pytest_configure(config):
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if server_url and not _is_postgres(server_url):
        raise pytest.UsageError(
            "TEST_DATABASE_URL names a PostgreSQL server (postgresql://...); "
            "SQLite needs no setting: each worker makes its own file"
        )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """This worker's own database: a file in its tmp folder, or on PostgreSQL a database
    `<TEST_DATABASE_URL's name>_<worker>_<random>` made for the run and dropped after it.

    The database TEST_DATABASE_URL names is only the way in to the server: never written.
    """
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"{make_url(server_url).database}_{WORKER}_{secrets.token_hex(3)}"
    with own_database(server_url, name) as url:
        yield url


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a server does: its own app context, `g` and
    database session, never the test's (Flask would otherwise reuse the pushed one)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ["DATABASE_URL"] = database_url
    # Failed renders are retried at once: the pauses between tries are for real outages.
    # Credential keys: this worker's own keyring, made on first use.
    application = create_app(
        {
            "TESTING": True,
            "RENDER_RETRY_PAUSE": 0.01,
            "CREDENTIAL_KEYS_DIR": str(tmp_path_factory.mktemp("credential-keys")),
        }
    )
    application.test_client_class = IsolatedClient
    with application.app_context():
        db.create_all()  # tests only; migrations are tested on their own database
    yield application
    with application.app_context():
        db.engine.dispose()  # no pooled connection keeps the database from being dropped


@pytest.fixture(autouse=True)
def clean_state(app):
    """Each test starts with empty tables and fresh rate-limit counters."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    page_cache.clear()  # its versions live in the tables emptied below
    course_outlines.clear()  # kept per course id, which the emptied tables hand out again
    yield
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()
    db.session.remove()
    ctx.pop()


@pytest.fixture
def demo_app(app, tmp_path):
    """An app on the test database whose instance folder is a temporary one, so that `flask
    demo setup` never writes to the developer's instance folder. Pushed, so that commands run
    in this app and not in the session's app the tests share."""
    demo = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    demo.instance_path = str(tmp_path / "instance")
    Path(demo.instance_path).mkdir()
    with demo.app_context():
        try:
            yield demo
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def institutions(app):
    services.load_institutions()
    db.session.commit()
    return services.active_institutions()


PACKAGES = Path(__file__).parent / "catalog" / "packages"


# Course packages, imported for a test cheaply -------------------------------------------------
#
# Every test starts with empty tables (clean_state), so a test that needs a course imports it.
# What an import costs is reading the package and rendering its guides with WeasyPrint (about
# 0.3 s for small-example, 2 s for the OSH course); both depend on the package's files only, so
# each worker reads a package once, and the importer reuses an unchanged guide's PDF (as it
# does for any re-import, app/catalog/content/guides.py). The rows are
# still written by the real importer for each test: tests share no rows and may change them.


@functools.cache
def loaded_package(path: Path):
    """The package at `path`, read and checked once per worker (do not change what it returns)."""
    from app.catalog.content.loader import load_package

    courses, problems = load_package(path)
    assert not problems, problems
    return courses


def import_package(path: Path) -> list:
    """Import the package at `path` as `flask content import` does (committed) and return its
    courses; each distinct guide is rendered once per process and its PDF reused after that."""
    from app.catalog.content import importer
    from app.catalog.models import Course

    courses = loaded_package(Path(path).resolve())
    importer.import_courses(courses)  # an unchanged guide's PDF is reused (catalog/content/guides)
    db.session.commit()
    slugs = [loaded.spec.slug for loaded in courses]
    return db.session.scalars(
        db.select(Course).where(Course.slug.in_(slugs)).order_by(Course.slug)
    ).all()


@pytest.fixture
def small_course(app):
    """The complete small example course, imported (its guide rendered once per worker)."""
    (course,) = import_package(PACKAGES / "small-example")
    return course


@pytest.fixture
def make_user(app):
    """Factory: make_user(role=Role.TUTOR, email=..., confirmed=True)."""
    counter = {"n": 0}

    def factory(
        role=Role.LEARNER,
        email=None,
        full_name=None,
        password=TEST_PASSWORD,
        confirmed=True,
        locale="es",
    ):
        counter["n"] += 1
        user = services.create_user(
            email or f"person{counter['n']}@example.org",
            full_name or f"Person Number {counter['n']}",
            role,
            password,
            check_strength=False,
        )
        user.locale = locale
        if not confirmed:
            user.email_confirmed_at = None
        db.session.commit()
        return user

    return factory


def csrf_token(client, url="/login"):
    """The CSRF token of the client's session, read from a page's form."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url, data, form_page=None, **kwargs):
    """Post a form the way a browser does: with the CSRF token of the page it came from."""
    token = csrf_token(client, form_page or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def login(client, user, password=TEST_PASSWORD):
    response = post_form(client, "/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def login_as(client, make_user):
    """Sign a new user with the given role in on the test client and return the user."""

    def sign_in(role=Role.LEARNER, **kwargs):
        user = make_user(role=role, **kwargs)
        login(client, user)
        return user

    return sign_in


def outbox(recipient=None):
    query = db.select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(query))


def count_users():
    return db.session.scalar(db.select(db.func.count()).select_from(User))


def link_in(message, path_prefix):
    """The first link in a mail body whose path starts with the prefix."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)


__all__ = [
    "ROOT",
    "TEST_PASSWORD",
    "count_users",
    "csrf_token",
    "job_worker",
    "stop_process",
    "wait_until",
    "link_in",
    "login",
    "outbox",
    "post_form",
    "utcnow",
]


# Background jobs on a real Redis ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: TEST_REDIS_URL if set, else a redis-server this worker starts for the run
    (on a free port, no persistence) and stops at the end.

    Tests never flush a Redis: they use keys and queue names of their own.
    """
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip(
            "JOB TESTS ON REDIS SKIPPED: no redis-server to start "
            "(sudo apt-get install redis-server, or set TEST_REDIS_URL)"
        )
    folder = tmp_path_factory.mktemp("redis")
    log_path = folder / "redis.log"
    for _attempt in range(3):  # a port picked free may be taken before the server binds it
        port = free_port()
        process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
             "no", "--dir", str(folder), "--logfile", str(log_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if _reachable("127.0.0.1", port):
                break
            time.sleep(0.05)
        if process.poll() is None and _reachable("127.0.0.1", port):
            break
        process.kill()
        process.wait(timeout=10)
    else:
        log = log_path.read_text(errors="replace") if log_path.exists() else "(no log)"
        pytest.fail(f"redis-server did not start; its log:\n{log[-5000:]}")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def backend(app):
    """Set the app's job backend for one test, and put the default back."""
    saved = {k: app.config[k] for k in ("JOBS_BACKEND", "REDIS_URL", "JOBS_QUEUE")}

    def use(name, **settings):
        app.config.update(JOBS_BACKEND=name, **settings)
        app.extensions.pop("aula_rq_queue", None)

    yield use
    app.config.update(saved)
    app.extensions.pop("aula_rq_queue", None)


def job_worker(app, queue: str, redis_url: str, *, burst=True, **settings) -> subprocess.Popen:
    """A `flask jobs worker` process (`--burst` unless told) on the test database and the
    given queue; `settings` are more environment variables (JOBS_LEASE_SECONDS=...)."""
    env = {
        **os.environ,
        "AULA_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "JOBS_BACKEND": "rq",
        "JOBS_QUEUE": queue,
        **settings,
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"]
    return subprocess.Popen(
        command + (["--burst"] if burst else []),
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


class OwnRedis:
    """A redis-server a test starts, stops and starts again itself (no persistence: it comes
    back empty, as a Redis that lost its memory), on a port the OS reported free."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.skip("no redis-server to start (sudo apt-get install redis-server)")
        self.process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--logfile",
             str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not _reachable("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, started; stopped at the end whatever happened."""
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


def stop_process(process: subprocess.Popen) -> str:
    """Ask a process to stop (SIGTERM), kill it if it has not within 30 s; its output."""
    process.terminate()
    try:
        output = process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate(timeout=30)[0]
    return (output or b"").decode(errors="replace")


def wait_until(condition, *, timeout=90.0, what="the condition", processes=()):
    """Poll `condition()` until it is true; fail with the processes' output after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            outputs = []
            for process in processes:
                if process.poll() is None:
                    process.kill()
                outputs.append(process.communicate(timeout=30)[0].decode(errors="replace"))
            pytest.fail(f"{what} did not happen within {timeout:.0f} s\n" + "\n".join(outputs))
        time.sleep(0.05)


# Parallel runs (pytest-xdist) -------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items):
    """Tests on one live server run on one worker, so each server starts once: the browser
    journeys share a session's server (and journey (c) follows on (b)), each load-test module
    its module's server."""
    for item in items:
        if "live_server" not in item.fixturenames:
            continue
        in_e2e = Path(item.path).parent.name == "e2e"
        item.add_marker(pytest.mark.xdist_group("e2e" if in_e2e else item.module.__name__))
    if config.getoption("loadgroup", False):
        _mark_groups_in_ids(items)


def _mark_groups_in_ids(items) -> None:
    """What xdist does for --dist loadgroup, done so that pytest 9.2 sees it: xdist (3.8)
    appends "@group" to a test's id by setting `item._nodeid`, which this pytest no longer
    reads (it keeps the id in `item._id`), so each group's tests would be scattered."""
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # an older pytest, where xdist's own way works
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        if names:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(names))}")
