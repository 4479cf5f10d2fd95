"""Aula: regional distance courses for a network of vocational training institutions."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import PRODUCTION_SETUP_ERROR, load_config
from app.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, CLI and error pages."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    if not app.config["SECRET_KEY"]:

        @app.before_request
        def refuse_without_secret_key():
            # Plain text: every page template needs the secret for its form tokens.
            app.logger.error(PRODUCTION_SETUP_ERROR)
            return Response(PRODUCTION_SETUP_ERROR, status=500, mimetype="text/plain")

    from app.core.security import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    _init_extensions(app)
    _register_contributions()
    _register_blueprints(app)
    _init_templates(app)
    _register_cli(app)

    from app.core.rate_limits import run_only_where_limited
    from app.core.security import init_security_headers
    from app.core.views import register_error_handlers

    init_security_headers(app)
    register_error_handlers(app)
    run_only_where_limited(app, limiter)  # once every blueprint (and its limits) is in

    if app.config.get("SCHEDULE_IN_PROCESS") and app.config["JOBS_BACKEND"] != "rq":

        @app.before_request
        def run_schedule_in_process():
            # Without Redis there is no worker: the web process keeps the schedule itself
            # (started by the first request, so `flask` commands never start it).
            from app.core.schedule import start_in_process

            start_in_process(app)

    @app.after_request
    def commit_request(response):
        # The request boundary commits once, and only what succeeded: a 4xx answer keeps
        # nothing (a refusal has already rolled back what came before it: app/core/refusals.py);
        # an exception skips this and the session's teardown rolls back.
        if not db.session.registry.has():
            return response  # nothing in this request used the database session
        session = db.session()
        # Anything read or written (an object added too) has begun the session's transaction.
        if not (session.in_transaction() or session.info.get("after_commit")):
            return response  # used, but nothing begun and nothing waiting for a commit
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        return response

    return app


def _init_extensions(app: Flask) -> None:
    from app.accounts.services import load_session
    from app.core.db import install_after_commit_hooks, install_sqlite_pragmas
    from app.core.i18n import select_locale, select_timezone
    from app.core.page_cache import init_page_cache

    install_sqlite_pragmas()
    install_after_commit_hooks()
    init_page_cache(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(PROJECT_ROOT / "app" / "translations"),
    )
    limiter.init_app(app)
    compress.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session)


def _register_contributions() -> None:
    """What areas add to registries other areas declare: the kinds of course item each owns
    (app/catalog/kinds.py), sections and course notes of the learner's dashboard
    (app/learning/dashboard.py), the seasons' offers on the catalog's pages
    (app/catalog/offers.py), columns of a cohort's gradebook (app/seasons/gradebook.py), the
    printable pack made of each imported course (app/catalog/kinds.py, course_imported), the
    kinds of notification (app/notifications/kinds.py), sections of an administrator's page
    about a person (app/accounts/person_page.py), and what each area keeps about a person, to
    export or erase (app/core/privacy.py)."""
    import app.accounts.clean_up
    import app.capstones.dashboard
    import app.capstones.gradebook
    import app.capstones.item_kinds
    import app.capstones.notification_kinds
    import app.capstones.person_section
    import app.capstones.scheduled
    import app.catalog.item_kinds
    import app.certificates.dashboard
    import app.certificates.gradebook
    import app.certificates.notification_kinds
    import app.certificates.person_section
    import app.coordinators.dashboard
    import app.coordinators.person_section
    import app.discussions.contributions
    import app.discussions.notification_kinds
    import app.learning.gradebook
    import app.learning.item_kinds
    import app.learning.person_section
    import app.learning.waiting_lists
    import app.offline.packs
    import app.seasons.notification_kinds
    import app.seasons.offers
    import app.seasons.person_section
    import app.seasons.reminders
    import app.survey.scheduled
    import app.visits.item_kinds  # noqa: F401

    _register_personal_data()


def _register_personal_data() -> None:
    """Each area's personal_data.py registers what it keeps about a person; the export
    lists them in this order (the account first, as the layers stand)."""
    import importlib

    for area in (
        "accounts",
        "core",
        "seasons",
        "learning",
        "visits",
        "capstones",
        "certificates",
        "offline",
        "discussions",
        "notifications",
        "coordinators",
        "observatory",
        "survey",
    ):
        importlib.import_module(f"app.{area}.personal_data")


def _register_blueprints(app: Flask) -> None:
    from app.accounts.admin_views import bp as accounts_admin
    from app.accounts.privacy_views import bp as privacy
    from app.accounts.views import bp as accounts
    from app.capstones.rubric_views import capstones_admin
    from app.capstones.tutor_views import bp as capstones_tutor
    from app.capstones.views import bp as capstones
    from app.catalog.views import bp as catalog
    from app.certificates.admin_views import bp as certificates_admin
    from app.certificates.credential_views import bp as credentials
    from app.certificates.views import bp as certificates
    from app.coordinators.views import admin_bp as coordinators_admin
    from app.coordinators.views import bp as coordinators_coordinator
    from app.core.views import admin_bp as core_admin
    from app.core.views import bp as core
    from app.directory.views import bp as directory
    from app.directory.views import coordinator_bp as directory_coordinator
    from app.discussions.moderation_views import admin_bp as discussions_admin
    from app.discussions.moderation_views import bp as discussions_tutor
    from app.discussions.network_views import admin_bp as networks_admin
    from app.discussions.network_views import bp as networks
    from app.discussions.views import bp as discussions
    from app.learning.tutor_views import bp as learning_tutor
    from app.learning.views import bp as learning
    from app.notifications.views import bp as notifications
    from app.numbers.views import bp as numbers
    from app.observatory.views import admin_bp as observatory_admin
    from app.observatory.views import bp as observatory
    from app.observatory.views import coordinator_bp as observatory_coordinator
    from app.offline.views import bp as offline
    from app.reports.views import bp as reports_admin
    from app.seasons.admin_views import bp as seasons_admin
    from app.seasons.enrollment_admin_views import bp as enrollment_admin
    from app.seasons.tutor_views import bp as seasons_tutor
    from app.seasons.views import bp as seasons
    from app.survey.views import admin_bp as survey_admin
    from app.survey.views import coordinator_bp as survey_coordinator
    from app.visits.admin_views import bp as visits_admin
    from app.visits.views import bp as visits

    for blueprint in (
        core,
        core_admin,
        accounts,
        accounts_admin,
        privacy,
        catalog,
        learning,
        learning_tutor,
        seasons,
        seasons_admin,
        seasons_tutor,
        enrollment_admin,
        reports_admin,
        capstones,
        capstones_tutor,
        capstones_admin,
        certificates,
        certificates_admin,
        credentials,
        visits,
        visits_admin,
        offline,
        discussions,
        discussions_tutor,
        discussions_admin,
        notifications,
        networks,
        networks_admin,
        coordinators_coordinator,
        coordinators_admin,
        observatory,
        observatory_coordinator,
        observatory_admin,
        survey_coordinator,
        survey_admin,
        directory,
        directory_coordinator,
        numbers,
    ):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from app.accounts.cli import institutions_cli, users_cli
    from app.accounts.privacy_cli import privacy_cli
    from app.capstones.cli import capstones_cli
    from app.catalog.cli import content_cli
    from app.certificates.cli import certificates_cli
    from app.core.cli import jobs_cli, mail_cli
    from app.demo.cli import demo_cli
    from app.offline.cli import offline_cli
    from app.seasons.cli import seasons_cli
    from app.survey.cli import survey_cli

    for group in (
        users_cli,
        institutions_cli,
        privacy_cli,
        content_cli,
        demo_cli,
        seasons_cli,
        capstones_cli,
        certificates_cli,
        jobs_cli,
        mail_cli,
        offline_cli,
        survey_cli,
    ):
        app.cli.add_command(group)


@lru_cache(maxsize=64)
def _static_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _init_templates(app: Flask) -> None:
    from app.core.formats import filesize
    from app.core.forms import csrf_field
    from app.core.i18n import (
        LANGUAGE_NAMES,
        country_name,
        current_language,
        format_date,
        format_datetime,
        install_template_gettext,
        localise,
        text_html,
    )
    from app.core.kept_html import init_kept_html
    from app.core.site_header import init_site_header
    from app.notifications.services import unread_count

    asset_urls: dict[tuple[str, str], str] = {}  # (script root, file) -> URL: files are fixed

    def asset_url(filename: str) -> str:
        """A static file's URL carrying its content hash, so it can be cached for a year."""
        key = (request.script_root, filename)
        found = asset_urls.get(key)
        if found is None:
            version = _static_hash(str(Path(app.static_folder) / filename))
            found = asset_urls[key] = url_for("static", filename=filename, v=version)
        return found

    fixed_urls: dict[tuple[str, str], str] = {}  # (script root, endpoint) -> URL

    def fixed_url(endpoint: str) -> str:
        """The URL of a page that takes no values (the layout's links): the same on every
        request through the same script root, so it is built once, not on every page."""
        key = (request.script_root, endpoint)
        found = fixed_urls.get(key)
        if found is None:
            found = fixed_urls[key] = url_for(endpoint)
        return found

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 24 * 3600
    app.jinja_env.filters["filesize"] = filesize  # the one format of file sizes
    # Flask-Babel's date filter and template gettext, with the locale, time zone and catalog
    # looked up once per request instead of on every call (app/core/i18n.py).
    app.jinja_env.filters["datetimeformat"] = format_datetime
    app.jinja_env.filters["dateformat"] = format_date
    install_template_gettext(app)

    # What every page may call, set once (a context processor would build it for each render).
    app.jinja_env.globals.update(
        language_names=LANGUAGE_NAMES,
        csrf_field=csrf_field,  # one-button forms' token field (app/core/forms.py)
        asset_url=asset_url,
        fixed_url=fixed_url,
        country_name=lambda code: country_name(code, current_language()),
        tr=lambda texts, course: localise(texts, course.language),
        localise=localise,
        text_html=text_html,  # what the `text` macro writes
    )
    # The layout's header, kept per kind of reader, with the header's unread count.
    init_site_header(app, unread_count)
    # Long tables' rows and other parts kept per the values they show (app/core/kept_html.py).
    init_kept_html(app)

    @app.context_processor
    def layout_context():
        return {"current_locale": current_language()}
