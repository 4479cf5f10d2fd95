"""With REDIS_URL set, rate-limit counters are shared by every process, on any machine."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]

# One process, as one gunicorn worker would be: N failed sign-ins for one account.
PROBE = """
import os, re, sys
from app import create_app
client = create_app({"TESTING": True, "RATELIMIT_KEY_PREFIX": sys.argv[2]}).test_client()
codes = []
for _ in range(int(sys.argv[1])):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": "shared@example.org",
                                           "password": "wrong-password", "csrf_token": token})
    codes.append(response.status_code)
print(" ".join(map(str, codes)))
"""


@pytest.fixture
def redis_server(redis_url):
    """The run's Redis, and a key prefix of this test's own: its counters start at zero with
    no flush, and only the keys it made are deleted afterwards."""
    server = redis.Redis.from_url(redis_url)
    prefix = f"aula-test-{uuid.uuid4().hex[:12]}"
    yield server, redis_url, prefix
    for key in server.scan_iter(f"*{prefix}*"):
        server.delete(key)


def run_probe(attempts, database_url, redis_url, prefix):
    env = {
        **os.environ,
        "AULA_ENV": "testing",
        "SECRET_KEY": "shared-secret-of-both-processes",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(attempts), prefix],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-5000:]
    return done.stdout.split()


def test_failed_logins_in_one_process_count_in_another(app, redis_server, database_url):
    server, redis_url, prefix = redis_server
    assert run_probe(5, database_url, redis_url, prefix) == ["200"] * 5
    assert run_probe(1, database_url, redis_url, prefix) == ["429"]
    assert any(key.startswith(b"LIMITS") for key in server.scan_iter(f"*{prefix}*"))
