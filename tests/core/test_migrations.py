"""The migrations: one head, they build from nothing the schema the models describe (what
`flask db check` verifies), and they go back down and up again.

They run on a fresh database of their own, never on the session database that the other
tests fill with `create_all`: a file in tmp_path on SQLite, or a `<name>_migrations`
database beside the worker's own on the TEST_DATABASE_URL server on PostgreSQL.
"""

import logging.config

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from app import PROJECT_ROOT, create_app
from app.core.fulltext import is_search_index
from app.extensions import db
from tests.conftest import own_database
from tests.seasons.test_sent_twice import NEVER_REUSED

MIGRATIONS = PROJECT_ROOT / "migrations"


def script_directory() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    return script_directory().get_current_head()


@pytest.fixture
def fresh_database_url(tmp_path, database_url):
    """The URL of an empty database, made for one test and dropped after it: on PostgreSQL
    `<this worker's database>_migrations`, beside the worker's own, so workers never meet."""
    if not database_url.startswith(("postgresql", "postgres:")):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return

    url = make_url(database_url).set(drivername="postgresql+psycopg")
    with own_database(
        url.render_as_string(hide_password=False), f"{url.database}_migrations"
    ) as made:
        yield made


@pytest.fixture
def migration_app(fresh_database_url, monkeypatch):
    """An app on the fresh database, its context pushed for the test."""
    # migrations/env.py calls logging.config.fileConfig, which would disable every logger
    # that exists (aula.security among them) and replace the root handlers for the rest of
    # the test run; the migrations' own logging is not under test.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            db.engine.dispose()  # no open connection may keep the database from being dropped


def application_tables() -> set[str]:
    with db.engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        return {name for name in names if not is_search_index(name)}


def _not_a_search_index(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name and is_search_index(name))


def database_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_differences() -> list:
    """What `flask db check` reports: how the models differ from the migrated database."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_a_search_index}
        )
        return compare_metadata(context, db.metadata)


def test_there_is_a_single_head_revision():
    heads = script_directory().get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"


def test_every_revision_chains_back_to_the_base():
    revisions = list(script_directory().walk_revisions())
    assert revisions, "no migrations"
    bases = [revision.revision for revision in revisions if revision.down_revision is None]
    assert len(bases) == 1, f"several base revisions: {bases}"


def test_upgrade_builds_every_model_table_on_an_empty_database(migration_app):
    assert application_tables() == set()
    assert database_revision() is None

    upgrade()

    assert application_tables() == set(db.metadata.tables)
    assert database_revision() == head_revision()


def test_the_models_match_the_migrations(migration_app):
    upgrade()

    assert schema_differences() == [], (
        "the models and the migrations differ; generate a migration with `flask db migrate`"
    )


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(migration_app):
    upgrade()

    downgrade(revision="base")

    assert application_tables() == set()
    assert database_revision() is None

    upgrade()

    assert application_tables() == set(db.metadata.tables)
    assert database_revision() == head_revision()
    assert schema_differences() == []


def test_each_revision_goes_down_and_up_again(migration_app):
    """Step by step from the base: every revision's downgrade undoes its upgrade."""
    chain = [revision.revision for revision in script_directory().walk_revisions()][::-1]
    for revision in chain:
        before = application_tables()
        upgrade(revision=revision)
        after = application_tables()

        downgrade(revision="-1")
        assert application_tables() == before, f"downgrade of {revision} left tables behind"

        upgrade(revision=revision)
        assert application_tables() == after
        assert database_revision() == revision
    assert schema_differences() == []


def _search_objects(engine) -> set[tuple[str, str, str]]:
    """SQLite's full-text indexes and their triggers: (type, name, statement)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT type, name, sql FROM sqlite_master"))
        return {tuple(row) for row in rows if is_search_index(row.name)}


def test_the_migrations_make_the_search_indexes_the_models_make(migration_app, tmp_path):
    """On SQLite, the FTS5 indexes and triggers a migrated database has are the ones the
    tests' `create_all` makes (app/core/fulltext.py), statement for statement."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL searches without a separate index table")
    upgrade()
    migrated = _search_objects(db.engine)
    from_models = sa.create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    try:
        db.metadata.create_all(from_models)
        made = _search_objects(from_models)
    finally:
        from_models.dispose()
    names = {name for _type, name, _sql in made}
    assert {"discussion_post_fts", "observatory_entry_fts_update"} <= names
    assert migrated == made


def test_enrollments_made_before_seasons_keep_their_place_in_a_season(migration_app):
    """The seasons revision places existing (seasonless) enrolments in one open season."""
    upgrade(revision="1e7ec8d314b5")
    with db.engine.begin() as connection:
        user_id = connection.execute(
            sa.text(
                "INSERT INTO user_account (email, full_name, password_hash, country_code, "
                "institution_other, represents, locale, timezone, is_tutor, is_admin, "
                "created_at, password_changed_at) VALUES ('a@example.org', 'A', 'x', 'UY', 'VTI', "
                "'other', 'es', 'UTC', false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) "
                "RETURNING id"
            )
        ).scalar_one()
        course_id = connection.execute(
            sa.text(
                "INSERT INTO course (slug, kind, language, languages, title, summary, hours, "
                "outcomes, completion_rule, position, package_hash, imported_at) VALUES "
                "('c', 'self_paced', 'es', '[\"es\"]', '{}', '{}', 1, '[]', 'all_required', 0, "
                "'', CURRENT_TIMESTAMP) RETURNING id"
            )
        ).scalar_one()
        connection.execute(
            sa.text(
                "INSERT INTO enrollment (user_id, course_id, enrolled_at) "
                "VALUES (:u, :c, CURRENT_TIMESTAMP)"
            ),
            {"u": user_id, "c": course_id},
        )

    upgrade()

    with db.engine.connect() as connection:
        season = connection.execute(sa.text("SELECT id, name, state FROM season")).one()
        assert season.name == "Before seasons" and season.state == "open"
        assert connection.execute(sa.text("SELECT season_id FROM enrollment")).scalar_one() == (
            season.id
        )
        offered = connection.execute(sa.text("SELECT course_id FROM season_course")).scalars()
        assert list(offered) == [course_id]


def test_capstone_rubrics_move_to_the_capstones_table_and_back(migration_app):
    """The revision that gives capstones their own rubric table carries every rubric over."""
    upgrade(revision="b52e0d7c9a31")
    rubric = {"pass_threshold": 2, "criteria": [{"title": {"es": "Plan"}, "levels": []}]}
    items = sa.table(
        "course_item", sa.column("id"), sa.column("course_id"), sa.column("module_id"),
        sa.column("slug"), sa.column("kind"), sa.column("position"), sa.column("title", sa.JSON),
        sa.column("required"), sa.column("content", sa.JSON),
    )  # fmt: skip
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO course (id, slug, kind, language, languages, title, summary, hours, "
                "outcomes, completion_rule, position, package_hash, imported_at) VALUES "
                "(1, 'c', 'tutor_led', 'es', '[\"es\"]', '{}', '{}', 1, '[]', 'all_required', 0, "
                "'', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text("INSERT INTO course_module (id, course_id, slug, position, title) "
                    "VALUES (1, 1, 'm', 0, '{}')")
        )  # fmt: skip
        connection.execute(
            items.insert().values(
                id=7, course_id=1, module_id=1, slug="project", kind="capstone", position=0,
                title={"es": "Proyecto"}, required=True,
                content={"brief_html": {"es": "<p>B</p>"}, "max_attempts": 3, "rubric": rubric},
            )
        )  # fmt: skip
    upgrade(revision="c8f1a2b3d4e5")
    with db.engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT item_id, rubric FROM capstone_rubric")).all()
        content = connection.execute(sa.select(items.c.content)).scalar_one()
    assert [(item_id, _json(value)) for item_id, value in kept] == [(7, rubric)]
    assert content == {"brief_html": {"es": "<p>B</p>"}, "max_attempts": 3}
    downgrade(revision="b52e0d7c9a31")
    with db.engine.connect() as connection:
        content = connection.execute(sa.select(items.c.content)).scalar_one()
    assert content["rubric"] == rubric


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else value


def test_ids_are_never_reused_and_the_rebuild_keeps_every_row(migration_app):
    """The revision that gives SQLite's tables AUTOINCREMENT rebuilds them: the rows that
    reference them stay (no DROP cascades into them), and their constraints stay."""
    upgrade(revision="b52e0d7c9a31")
    statements = [
        "INSERT INTO user_account (email, full_name, password_hash, country_code, "
        "institution_other, represents, locale, timezone, is_tutor, is_admin, created_at, "
        "password_changed_at) VALUES ('a@example.org', 'A', 'x', 'UY', 'VTI', 'other', 'es', "
        "'UTC', false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO course (slug, kind, language, languages, title, summary, hours, outcomes, "
        "completion_rule, position, package_hash, imported_at) VALUES ('c', 'tutor_led', 'es', "
        "'[\"es\"]', '{}', '{}', 1, '[]', 'all_required', 0, '', CURRENT_TIMESTAMP)",
        "INSERT INTO season (name, starts_on, ends_on, state, created_at) "
        "VALUES ('S', '2026-01-01', '2026-12-31', 'open', CURRENT_TIMESTAMP)",
        "INSERT INTO season_course (season_id, course_id) "
        "SELECT season.id, course.id FROM season, course",
        "INSERT INTO cohort (offering_id, name, starts_on, ends_on, enroll_opens_on, "
        "enroll_closes_on, seats, seats_taken, language) SELECT id, 'A', '2026-02-01', "
        "'2026-03-01', '2026-01-01', '2026-01-31', 2, 1, 'es' FROM season_course",
        "INSERT INTO course_module (course_id, slug, position, title) "
        "SELECT id, 'm', 0, '{}' FROM course",
        "INSERT INTO course_item (course_id, module_id, slug, kind, position, title, required, "
        "content) SELECT course_id, id, 'i', 'lesson', 0, '{}', true, '{}' FROM course_module",
        "INSERT INTO enrollment (user_id, course_id, season_id, cohort_id, enrolled_at) "
        "SELECT user_account.id, cohort_course.course_id, cohort_course.season_id, "
        "cohort.id, CURRENT_TIMESTAMP FROM user_account, cohort "
        "JOIN season_course cohort_course ON cohort_course.id = cohort.offering_id",
        "INSERT INTO item_progress (enrollment_id, item_id, done_at) "
        "SELECT enrollment.id, course_item.id, CURRENT_TIMESTAMP FROM enrollment, course_item",
        "INSERT INTO waitlist_entry (cohort_id, user_id, joined_at) "
        "SELECT cohort.id, user_account.id, CURRENT_TIMESTAMP FROM cohort, user_account",
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))

    upgrade()

    with db.engine.connect() as connection:
        for table in (*NEVER_REUSED[:-1], "item_progress", "course_module"):
            rows = connection.execute(sa.select(sa.func.count()).select_from(sa.table(table)))
            assert rows.scalar() == 1, table
        inspector = sa.inspect(connection)
        checks = {
            table: sorted(c["name"] for c in inspector.get_check_constraints(table))
            for table in NEVER_REUSED
        }
        if connection.dialect.name == "sqlite":
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            created = {
                name: sql
                for name, sql in connection.execute(
                    sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
                )
            }
            assert [t for t in NEVER_REUSED if "AUTOINCREMENT" not in created[t]] == []
    expected = {
        table: sorted(
            c.name
            for c in db.metadata.tables[table].constraints
            if isinstance(c, sa.CheckConstraint)
        )
        for table in NEVER_REUSED
    }
    assert checks == expected


def test_season_names_in_three_languages_start_as_todays_name(migration_app):
    """The revision that names seasons in es, pt and en fills each from the season's name."""
    upgrade(revision="3b9e61c0d2a7")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO season (name, starts_on, ends_on, state, created_at) "
                "VALUES ('Season 2026', '2026-01-01', '2026-12-31', 'open', CURRENT_TIMESTAMP)"
            )
        )
    upgrade(revision="6f59a9b0a572")
    with db.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT name_es, name_pt, name_en FROM season")).one()
    assert tuple(row) == ("Season 2026",) * 3
    downgrade(revision="3b9e61c0d2a7")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT name FROM season")).scalar_one() == "Season 2026"


def _queue_triggers(engine) -> set[tuple[str, str]]:
    """The queue counts' triggers on capstone_submission: (name, statement or function)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            )
        else:
            rows = connection.execute(
                sa.text(
                    "SELECT t.tgname, pg_get_functiondef(t.tgfoid) || pg_get_triggerdef(t.oid) "
                    "FROM pg_trigger t WHERE NOT t.tgisinternal"
                )
            )
        return {(name, sql) for name, sql in rows if name.startswith("capstone_queue_count")}


def test_the_queue_counts_start_from_the_projects_there_and_follow_as_the_models_say(
    migration_app, tmp_path
):
    """The revision that keeps the tutor queue's counts counts the projects already there,
    then its triggers keep them; on SQLite they are the triggers the models make
    (app/capstones/queue_counts.py), statement for statement."""
    from tests.capstones.helpers import capstone_cohort, enrolled_learner
    from tests.capstones.test_queue import submit_work

    upgrade(revision="e7a9c2d4b613")
    first, second = capstone_cohort(), capstone_cohort()
    for cohort, sending in ((first, 2), (second, 1)):
        for _ in range(sending):
            submit_work(enrolled_learner(cohort))
    enrolled_learner(first)  # a place, no project
    first, second = first.id, second.id
    db.session.remove()
    upgrade()
    count = sa.text("SELECT submitted, passed FROM capstone_queue_count WHERE cohort_id = :c")
    with db.engine.begin() as connection:
        assert tuple(connection.execute(count, {"c": first}).one()) == (2, 0)
        assert tuple(connection.execute(count, {"c": second}).one()) == (1, 0)
        connection.execute(
            sa.text("UPDATE capstone_submission SET state = 'passed' WHERE cohort_id = :c"),
            {"c": second},
        )
        assert tuple(connection.execute(count, {"c": second}).one()) == (0, 1)
    migrated = _queue_triggers(db.engine)
    assert len(migrated) == (3 if db.engine.dialect.name == "sqlite" else 1)
    if db.engine.dialect.name == "sqlite":
        from_models = sa.create_engine(f"sqlite:///{tmp_path / 'models.db'}")
        try:
            db.metadata.create_all(from_models)
            assert _queue_triggers(from_models) == migrated
        finally:
            from_models.dispose()
    downgrade(revision="e7a9c2d4b613")
    assert _queue_triggers(db.engine) == set()
