"""With REDIS_URL set, rate-limit counters are shared by every process, on any machine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]

# One process, as one gunicorn worker would be: N failed sign-ins for one account.
PROBE = """
import os, re, sys
from app import create_app
client = create_app({"TESTING": True}).test_client()
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
def redis_server():
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}: shared rate limits not tested")
    server.flushdb()
    yield server
    server.flushdb()


def run_probe(attempts, database_url):
    env = {
        **os.environ,
        "AULA_ENV": "testing",
        "SECRET_KEY": "shared-secret-of-both-processes",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(attempts)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.split()


def test_failed_logins_in_one_process_count_in_another(app, redis_server, database_url):
    assert run_probe(5, database_url) == ["200"] * 5
    assert run_probe(1, database_url) == ["429"]
    assert any(key.startswith(b"LIMITS") for key in redis_server.keys("*"))
