"""The command line: `flask users ...`, `flask institutions load` and `flask demo setup`."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import PROJECT_ROOT
from app.accounts import passwords
from app.accounts.models import Institution, Role, User
from app.demo.setup import DEMO_ADMIN_EMAIL
from app.extensions import db

STRONG_PASSWORD = "tinta azul sobre papel 42"
BUNDLED_INSTITUTIONS = 26


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def messages(msgid: str) -> set[str]:
    """The message in English and in each of the app's translations: the command line may
    speak any of the app's languages, but it must say this."""
    texts = {msgid}
    for po_file in (PROJECT_ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po_file.open("rb") as handle:
            message = read_po(handle).get(msgid)
        if message is not None and message.string:
            texts.add(message.string)
    return texts


def assert_refused(result, *expected: str | set[str]):
    """A clean refusal: a non-zero exit and an `Error:` line naming the reason, no crash."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), (
        f"the command crashed instead of refusing: {result.exception!r}"
    )
    assert "Error:" in result.output
    for text in expected:
        options = {text} if isinstance(text, str) else text
        assert any(option in result.output for option in options), (
            f"none of {options} in: {result.output!r}"
        )


def persisted_users() -> list[User]:
    """What is in the database, not what an aborted command may have left in the session."""
    db.session.rollback()
    return list(db.session.scalars(db.select(User).order_by(User.id)))


def count_institutions() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(Institution))


def create_args(
    email="ana.perez@example.org", name="Ana Pérez", role="learner", password=STRONG_PASSWORD
):
    args = ["users", "create", email, "--name", name, "--role", role]
    if password is not None:
        args += ["--password", password]
    return args


# users create ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "is_admin", "is_tutor"),
    [("admin", True, False), ("tutor", False, True), ("learner", False, False)],
)
def test_users_create_makes_a_confirmed_account_with_the_role(app, role, is_admin, is_tutor):
    result = run(app, *create_args(email="Ana.Perez@Example.org", role=role))

    assert result.exit_code == 0, result.output
    assert "ana.perez@example.org" in result.output
    [user] = persisted_users()
    assert user.email == "ana.perez@example.org"
    assert user.full_name == "Ana Pérez"
    assert user.is_admin is is_admin
    assert user.is_tutor is is_tutor
    assert user.email_confirmed_at is not None
    assert passwords.verify_password(user.password_hash, STRONG_PASSWORD)


def test_users_create_asks_for_the_password_twice_when_not_given(app):
    typed = f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"
    result = run(app, *create_args(role="tutor", password=None), input=typed)

    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert "confirm" in result.output.lower()
    assert STRONG_PASSWORD not in result.output  # typed, not echoed
    [user] = persisted_users()
    assert user.is_tutor
    assert passwords.verify_password(user.password_hash, STRONG_PASSWORD)


def test_users_create_creates_nothing_when_the_typed_passwords_differ(app):
    typed = f"{STRONG_PASSWORD}\nsomething else entirely\n"
    result = run(app, *create_args(password=None), input=typed)

    assert result.exit_code != 0
    assert persisted_users() == []


def test_users_create_refuses_an_invalid_email(app):
    result = run(app, *create_args(email="not-an-email"))

    assert_refused(result, "not a valid email address")
    assert persisted_users() == []


def test_users_create_refuses_an_email_already_registered_in_other_case(app, make_user):
    make_user(email="ana.perez@example.org")

    result = run(app, *create_args(email="ANA.Perez@Example.ORG", name="Another Ana"))

    assert_refused(result, messages("An account with this email already exists."))
    assert [user.full_name for user in persisted_users()] == ["Person Number 1"]


@pytest.mark.parametrize("name", ["", "   "])
def test_users_create_refuses_an_empty_name(app, name):
    result = run(app, *create_args(name=name))

    assert_refused(result, messages("A name is required."))
    assert persisted_users() == []


def test_users_create_refuses_a_password_of_seven_characters(app):
    result = run(app, *create_args(password="Zq9#vL2"))

    assert_refused(result, messages("The password must have between 8 and 128 characters."))
    assert persisted_users() == []


def test_users_create_refuses_a_common_password(app):
    result = run(app, *create_args(password="password123"))

    assert_refused(
        result,
        messages("This password is too common or too easy to guess. Try a longer phrase."),
    )
    assert persisted_users() == []


def test_users_create_refuses_an_unknown_role(app):
    result = run(app, *create_args(role="superuser"))

    assert result.exit_code != 0
    assert "superuser" in result.output
    assert "--role" in result.output
    assert persisted_users() == []


# users set-role -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "expected"), [("--tutor", (True, False)), ("--admin", (False, True))]
)
def test_users_set_role_grants_one_role_and_leaves_the_other(app, make_user, flag, expected):
    user = make_user(role=Role.LEARNER, email="luis@example.org")

    result = run(app, "users", "set-role", "Luis@Example.org", flag)

    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert (user.is_tutor, user.is_admin) == expected


def test_users_set_role_removes_roles(app, make_user):
    make_user(role=Role.ADMIN, email="boss@example.org")
    user = make_user(role=Role.ADMIN, email="luis@example.org")
    user.is_tutor = True
    db.session.commit()

    result = run(app, "users", "set-role", "luis@example.org", "--no-tutor", "--no-admin")

    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert (user.is_tutor, user.is_admin) == (False, False)


def test_users_set_role_refuses_to_remove_the_last_administrator(app, make_user):
    admin = make_user(role=Role.ADMIN, email="boss@example.org")

    result = run(app, "users", "set-role", "boss@example.org", "--no-admin")

    assert_refused(
        result,
        messages("This is the last administrator; grant the role to someone else first."),
    )
    db.session.rollback()
    db.session.refresh(admin)
    assert admin.is_admin


def test_users_set_role_refuses_an_unknown_email(app, make_user):
    make_user(email="luis@example.org")

    result = run(app, "users", "set-role", "nobody@example.org", "--admin")

    assert_refused(result, "nobody@example.org")
    assert not any(user.is_admin for user in persisted_users())


# institutions load ----------------------------------------------------------------------


def test_institutions_load_adds_the_bundled_list_once(app):
    first = run(app, "institutions", "load")

    assert first.exit_code == 0, first.output
    assert f"{BUNDLED_INSTITUTIONS} added" in first.output
    assert count_institutions() == BUNDLED_INSTITUTIONS

    second = run(app, "institutions", "load")

    assert second.exit_code == 0, second.output
    assert "0 added" in second.output
    assert count_institutions() == BUNDLED_INSTITUTIONS


def test_institutions_load_reads_a_given_csv(app, tmp_path):
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("acronym,name,country_code\nUTEC,Universidad Tecnológica,UY\n")

    result = run(app, "institutions", "load", str(csv_file))

    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    institution = db.session.scalar(db.select(Institution))
    assert (institution.acronym, institution.name, institution.country_code) == (
        "UTEC",
        "Universidad Tecnológica",
        "UY",
    )


def assert_points_at(output: str, path: Path, line: int):
    """The message names the file and the line, as `file:line` or as `file ... line N`."""
    assert str(path) in output, output
    assert f"{path}:{line}" in output or re.search(rf"\bline {line}\b", output), (
        f"line {line} of {path} not named in: {output!r}"
    )


BAD_CSVS = {
    "missing column": (b"acronym,name\nUTEC,Universidad Tecnologica\n", 1, "country_code"),
    "bad country code": (
        b"acronym,name,country_code\nUTEC,Universidad Tecnologica,UY\nXYZ,Instituto,QQ\n",
        3,
        "QQ",
    ),
    "empty name": (
        b"acronym,name,country_code\nUTEC,Universidad Tecnologica,UY\nXYZ,,UY\n",
        3,
        "name",
    ),
    "not UTF-8": (
        b"acronym,name,country_code\nUTEC,Tecnologica,UY\nXYZ,Instituto T\xe9cnico,UY\n",
        3,
        "UTF-8",
    ),
}


@pytest.mark.parametrize("problem", list(BAD_CSVS))
def test_institutions_load_refuses_a_bad_csv_and_adds_nothing(app, tmp_path, problem):
    content, line, mentioned = BAD_CSVS[problem]
    csv_file = tmp_path / "institutions.csv"
    csv_file.write_bytes(content)

    result = run(app, "institutions", "load", str(csv_file))

    assert_refused(result, mentioned)
    assert count_institutions() == 0
    assert_points_at(result.output, csv_file, line)


# demo setup -----------------------------------------------------------------------------


def test_demo_setup_creates_the_administrator_and_prints_the_password(demo_app):
    real_password_file = PROJECT_ROOT / "instance" / "demo_admin_password"
    real_before = real_password_file.stat().st_mtime_ns if real_password_file.exists() else None

    result = run(demo_app, "demo", "setup")

    assert result.exit_code == 0, result.output
    password_file = Path(demo_app.instance_path) / "demo_admin_password"
    password = password_file.read_text().strip()
    assert len(password) >= passwords.MIN_LENGTH
    assert DEMO_ADMIN_EMAIL in result.output
    assert password in result.output
    # The administrator (the other demo accounts are the areas': tests/demo/test_setup.py).
    [admin] = [user for user in persisted_users() if user.is_admin]
    assert admin.email == DEMO_ADMIN_EMAIL
    assert admin.email_confirmed_at is not None
    assert passwords.verify_password(admin.password_hash, password)
    assert count_institutions() == BUNDLED_INSTITUTIONS
    real_after = real_password_file.stat().st_mtime_ns if real_password_file.exists() else None
    assert real_after == real_before


def test_demo_setup_twice_keeps_the_administrator_and_its_password(demo_app):
    first = run(demo_app, "demo", "setup")
    password = (Path(demo_app.instance_path) / "demo_admin_password").read_text().strip()

    second = run(demo_app, "demo", "setup")

    assert second.exit_code == 0, second.output
    assert password in second.output
    [admin] = [user for user in persisted_users() if user.is_admin]
    assert passwords.verify_password(admin.password_hash, password)
    assert count_institutions() == BUNDLED_INSTITUTIONS
    assert first.exit_code == 0
