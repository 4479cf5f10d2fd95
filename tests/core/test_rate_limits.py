"""Flask-Limiter's hooks run only where a limit can apply (app/core/rate_limits.py): limits on
views still refuse, say so in their headers and deduct only what they should; limits that
apply beyond a view keep every hook. Each test builds its own Flask app and Limiter (counts in
memory): Aula's limiter is shared by every app of the run, and these set limits it has not."""

from types import SimpleNamespace

from flask import Blueprint, Flask
from flask_limiter import Limiter

from app.core.rate_limits import limits_beyond_views, run_only_where_limited
from app.extensions import limiter as aulas_limiter
from tests.conftest import post_form


def small_app(**limits) -> tuple[Flask, Limiter]:
    app = Flask("limits")
    app.config.update(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_HEADERS_ENABLED=True)
    limiter = Limiter(key_func=lambda: "one reader", **limits)
    limiter.init_app(app)
    app.add_url_rule("/open", "open", lambda: "open")

    @app.route("/limited")
    @limiter.limit("2 per minute")
    def limited():
        return "limited"

    @app.route("/sign-in/<outcome>")
    @limiter.limit("2 per minute", deduct_when=lambda response: response.status_code == 401)
    def sign_in(outcome):
        return ("refused", 401) if outcome == "wrong" else "welcome"

    return app, limiter


def test_a_limited_view_still_refuses_and_says_so_and_other_views_skip_the_check():
    app, limiter = small_app()
    run_only_where_limited(app, limiter)
    assert limiter._check_request_limit not in app.before_request_funcs[None]
    client = app.test_client()

    first = client.get("/limited")
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert client.get("/limited").status_code == 200
    refused = client.get("/limited")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers

    for _ in range(5):
        response = client.get("/open")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers


def test_a_conditional_limit_counts_only_the_answers_it_names():
    app, limiter = small_app()
    run_only_where_limited(app, limiter)
    client = app.test_client()
    for _ in range(4):  # accepted sign-ins are not counted
        assert client.get("/sign-in/right").status_code == 200
    assert client.get("/sign-in/wrong").status_code == 401
    assert client.get("/sign-in/wrong").status_code == 401
    # Two refusals deducted after the answer (the after-request hook ran): now refused.
    assert client.get("/sign-in/right").status_code == 429


def test_limits_beyond_views_keep_every_hook():
    for limits in ({"default_limits": ["2 per minute"]},
                   {"application_limits": ["2 per minute"]}):  # fmt: skip
        app, limiter = small_app(**limits)
        run_only_where_limited(app, limiter)
        assert limiter._check_request_limit in app.before_request_funcs[None], limits
        client = app.test_client()
        assert [client.get("/open").status_code for _ in range(3)] == [200, 200, 429], limits

    app, limiter = small_app()
    area = Blueprint("area", __name__)
    area.add_url_rule("/area", "page", lambda: "area")
    limiter.limit("2 per minute")(area)
    app.register_blueprint(area)
    run_only_where_limited(app, limiter)
    client = app.test_client()
    assert [client.get("/area").status_code for _ in range(3)] == [200, 200, 429]


def test_meta_and_fallback_limits_keep_the_check():
    for limits in ({"meta_limits": ["2 per hour"]}, {"in_memory_fallback": ["2 per minute"]}):
        app, limiter = small_app(**limits)
        run_only_where_limited(app, limiter)
        assert limiter._check_request_limit in app.before_request_funcs[None], limits


def test_what_cannot_be_read_keeps_every_hook():
    # Flask-Limiter's state under other names (another version): taken as limits beyond views.
    assert limits_beyond_views(SimpleNamespace(limit_manager=SimpleNamespace()))

    # Its check not where this version puts it: the later hooks are left as they are.
    app, limiter = small_app()
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    after = list(app.after_request_funcs[None])
    teardown = list(app.teardown_request_funcs[None])
    run_only_where_limited(app, limiter)
    assert app.after_request_funcs[None] == after
    assert app.teardown_request_funcs[None] == teardown


def test_aulas_app_checks_limits_only_in_its_limited_views(app, client):
    assert aulas_limiter._check_request_limit not in app.before_request_funcs[None]
    response = client.get("/login")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers  # GET is not limited, only POST
    posted = post_form(client, "/login", {"email": "nobody@example.org", "password": "wrong-pw"})
    assert posted.status_code == 200
    assert "X-RateLimit-Limit" in posted.headers
