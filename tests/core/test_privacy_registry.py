"""Every table that holds something about a person is exported and erased by the area that
owns it, or explained (app/core/privacy.py).

"About a person" is read from the schema: a table with a foreign key to the accounts table,
or to a table that itself is about a person (an enrolment's progress, a project's files).
A new table of that kind fails here until its area registers it in its personal_data.py
(`register_personal_data(..., tables=(...))`) or says why it holds nothing to export
(`explain_table`).
"""

import json

from app.core import privacy as registry
from app.extensions import db

ACCOUNTS = "user_account"


def tables_about_a_person() -> dict[str, str]:
    """{table: the table it points at on its way to the accounts table}."""
    found = {ACCOUNTS: ACCOUNTS}
    changed = True
    while changed:
        changed = False
        for table in db.metadata.sorted_tables:
            if table.name in found:
                continue
            for key in table.foreign_keys:
                if key.column.table.name in found:
                    found[table.name] = key.column.table.name
                    changed = True
                    break
    return found


def test_the_walk_finds_what_hangs_on_a_person(app):
    found = tables_about_a_person()
    # Directly, through an enrolment, through a project and through a certificate.
    for table in (
        "user_session",
        "enrollment",
        "item_progress",
        "capstone_file",
        "certificate_event",
    ):
        assert table in found, table
    assert "course" not in found and "institution" not in found


def test_every_table_about_a_person_is_exported_or_explained(app):
    covered = registry.covered_tables()
    explained = registry.explained_tables()
    missing = [
        f"{table} (points at {via})"
        for table, via in sorted(tables_about_a_person().items())
        if table not in covered and table not in explained
    ]
    assert not missing, (
        "tables that hold something about a person, neither exported nor explained; register "
        "them in the owning area's personal_data.py:\n" + "\n".join(missing)
    )


def test_the_registry_names_only_real_tables(app):
    real = set(db.metadata.tables)
    named = set(registry.covered_tables()) | set(registry.explained_tables())
    assert named <= real, named - real


def test_explanations_are_sentences(app):
    for table, why in registry.explained_tables().items():
        assert len(why) > 40, table


def test_mails_are_exported_though_no_key_points_at_the_person(app):
    # The outbox keeps the recipient's address, not an account id.
    assert registry.covered_tables()["outbox_message"] == "mails"


def test_every_part_exports_json_for_a_person_with_nothing(app, make_user):
    user = make_user()
    exported = registry.export_everything(user)
    json.dumps(exported)
    assert set(exported) == {part.name for part in registry.parts()}
    assert exported["account"]["email"] == user.email


def test_erasing_runs_the_account_last(app):
    order = sorted(registry.parts(), key=lambda part: part.erase_order)
    assert order[-1].name == "account"
    by_name = {part.name: part.erase_order for part in order}
    # What hangs on an enrolment goes before the enrolment (a seat freed by the seasons area).
    for name in ("progress", "quiz_attempts", "capstone_projects", "certificates"):
        assert by_name[name] < by_name["enrollments"], name
    assert by_name["waiting_lists"] < by_name["enrollments"]
