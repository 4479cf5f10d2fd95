"""Does an answer's time tell whether an email has an account? For `make bench`.

Run from the repository root: `.venv/bin/python -m bench.enumeration` (options: --help).

It builds a SQLite database in a temporary folder (`flask db upgrade`, through Flask-Migrate),
creates `--known` accounts with the production password hashing (argon2id, RFC 9106 low
memory), and times, in process through the test client, three requests for each known email
and as many unknown ones, interleaved (known then unknown, then unknown then known, ...) so
that drift in the machine's load falls on both alike:

- registration (a new account, or the "you already have an account" mail),
- sign-in with a wrong password,
- asking for a password reset (the mail itself is a background task, waited for outside the
  timed request).

It prints the medians, their difference in per cent (the issue's target: within 5 %), and the
spread of all the times (interquartile range, in per cent of the median): on a busy machine a
difference well inside the spread is noise, and a second run tells. The same medians of the
CPU time the process used follow (argon2's threads included): the work done, which other
processes on the machine disturb much less than the wall time.
Rate limits are off (the bench sends many requests from one address); everything it made is
removed. Benchmarks print; they never fail on a figure.
"""

import argparse
import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "lapiz naranja montaña 7"  # noqa: S105 (the bench accounts' password)


def build_app(folder: Path):
    os.environ["AULA_ENV"] = "development"
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ.pop("SMTP_HOST", None)
    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        {
            "RATELIMIT_ENABLED": False,
            "JOBS_BACKEND": "pool",
            "PASSWORD_HASH_PROFILE": "default",
            "WTF_CSRF_ENABLED": True,
        }
    )
    with app.app_context():
        upgrade()
    return app


def token(client, path: str) -> str:
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)


def timed_post(app, client, path: str, data: dict) -> tuple[float, float]:
    """(wall time, the process's CPU time) of one request, in seconds."""
    from app.core import jobs

    data = {**data, "csrf_token": token(client, path)}
    started, cpu = time.perf_counter(), time.process_time()
    response = client.post(path, data=data)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert response.status_code in (200, 302), (path, response.status_code)
    jobs.wait_for_pool(app, timeout=60)  # background mail, outside the timed request
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--known", type=int, default=30, help="known (and unknown) emails")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="aula-bench-enum-"))
    try:
        app = build_app(folder)
        from app.accounts import services
        from app.accounts.models import Role
        from app.extensions import db

        with app.app_context():
            services.load_institutions()
            institution_id = services.active_institutions()[0].id
            for i in range(args.known):
                services.create_user(
                    f"known{i}@example.org", f"Known Person {i}", Role.LEARNER, PASSWORD
                )
            db.session.commit()
        known = [f"known{i}@example.org" for i in range(args.known)]
        unknown = [f"unknown{i}@example.org" for i in range(args.known)]

        def register(email):
            return {
                "email": email,
                "full_name": "Ana Pereira",
                "country": "UY",
                "institution": str(institution_id),
                "represents": "vti",
                "locale": "es",
                "password": PASSWORD,
                "confirm_password": PASSWORD,
                "privacy_consent": "y",
            }

        actions = {
            "register": ("/register", register),
            "sign-in (wrong password)": (
                "/login",
                lambda email: {"email": email, "password": "not the password at all"},
            ),
            "password reset": ("/forgot-password", lambda email: {"email": email}),
        }
        rows, cpu_rows = [], []
        for name, (path, form) in actions.items():
            times = {"known": [], "unknown": []}
            cpu = {"known": [], "unknown": []}
            # A warm-up request of each kind, not counted.
            timed_post(app, app.test_client(), path, form("warmup@example.org"))
            for i, (k, u) in enumerate(zip(known, unknown, strict=True)):
                pair = [("known", k), ("unknown", u)]
                for kind, email in pair if i % 2 else reversed(pair):
                    wall, used = timed_post(app, app.test_client(), path, form(email))
                    times[kind].append(wall)
                    cpu[kind].append(used)
            k_med = statistics.median(times["known"]) * 1000
            u_med = statistics.median(times["unknown"]) * 1000
            # The spread of all 60 times (interquartile range, in per cent of the median):
            # a difference of medians well inside it is the machine's noise.
            q1, _q2, q3 = statistics.quantiles(times["known"] + times["unknown"], n=4)
            spread = (q3 - q1) * 1000 / u_med * 100
            k_cpu = statistics.median(cpu["known"]) * 1000
            u_cpu = statistics.median(cpu["unknown"]) * 1000
            rows.append((name, k_med, u_med, (k_med - u_med) / u_med * 100, spread))
            cpu_rows.append((name, k_cpu, u_cpu, (k_cpu - u_cpu) / u_cpu * 100))
        print(f"Enumeration by timing: medians over {args.known} known and {args.known} unknown")
        print("emails (argon2id with production parameters, SQLite, in process)\n")
        header = f"{'request':<26} {'known ms':>9} {'unknown ms':>11} {'difference':>11}"
        print(header + f" {'IQR':>7}")
        for name, k_med, u_med, diff, spread in rows:
            print(f"{name:<26} {k_med:>9.1f} {u_med:>11.1f} {diff:>+10.1f}% {spread:>6.1f}%")
        print("\n| request | known (ms) | unknown (ms) | difference | spread (IQR) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, k_med, u_med, diff, spread in rows:
            print(f"| {name} | {k_med:.1f} | {u_med:.1f} | {diff:+.1f} % | {spread:.1f} % |")
        print("\nCPU time of the process (argon2's threads included; steadier on a busy machine):")
        print("\n| request | known (ms CPU) | unknown (ms CPU) | difference |")
        print("| --- | ---: | ---: | ---: |")
        for name, k_cpu, u_cpu, diff in cpu_rows:
            print(f"| {name} | {k_cpu:.1f} | {u_cpu:.1f} | {diff:+.1f} % |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
