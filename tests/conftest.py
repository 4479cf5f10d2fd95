"""Fixtures: a real database (SQLite, or PostgreSQL through TEST_DATABASE_URL), factories
for people, and a client helper that signs in through the real login form with CSRF."""

import contextvars
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete

# Settings come from the environment, as in production; set them before the app loads.
os.environ["AULA_ENV"] = "testing"
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.pop("REDIS_URL", None)
os.environ.pop("SMTP_HOST", None)

from app import create_app  # noqa: E402
from app.accounts import services  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.core.db import utcnow  # noqa: E402
from app.core.models import OutboxMessage  # noqa: E402
from app.extensions import db, limiter  # noqa: E402

TEST_PASSWORD = "lapiz naranja montaña 7"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    )


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a server does: its own app context, `g` and
    database session, never the test's (Flask would otherwise reuse the pushed one)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url):
    os.environ["DATABASE_URL"] = database_url
    # Failed renders are retried at once: the pauses between tries are for real outages.
    application = create_app({"TESTING": True, "RENDER_RETRY_PAUSE": 0.01})
    application.test_client_class = IsolatedClient
    with application.app_context():
        db.drop_all()
        db.create_all()  # tests only; migrations are tested on their own database
    return application


@pytest.fixture(autouse=True)
def clean_state(app):
    """Each test starts with empty tables and fresh rate-limit counters."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    yield
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()
    db.session.remove()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def institutions(app):
    services.load_institutions()
    db.session.commit()
    return services.active_institutions()


PACKAGES = Path(__file__).parent / "catalog" / "packages"


@pytest.fixture
def small_course(app):
    """The complete small example course, imported (its guide rendered by WeasyPrint)."""
    from app.catalog.content.importer import import_courses
    from app.catalog.content.loader import load_package
    from app.catalog.models import Course

    courses, problems = load_package(PACKAGES / "small-example")
    assert not problems, problems
    import_courses(courses)
    db.session.commit()
    return db.session.scalar(db.select(Course).where(Course.slug == "small-example"))


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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: TEST_REDIS_URL, the one on 127.0.0.1:6379, or one started for the run."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    if _reachable("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("JOB TESTS ON REDIS SKIPPED: no Redis on 127.0.0.1:6379 and no redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
         "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(50):
        if _reachable("127.0.0.1", port):
            break
        time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
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


def job_worker(app, queue: str, redis_url: str, **settings) -> subprocess.Popen:
    """A `flask jobs worker --burst` process on the test database and the given queue."""
    env = {
        **os.environ,
        "AULA_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "JOBS_BACKEND": "rq",
        "JOBS_QUEUE": queue,
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
