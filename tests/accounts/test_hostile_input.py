"""Every accounts form refuses wrong, empty, huge and hostile input.

For each refusal the form comes back (200, never a 500) with an error paragraph beside the
field at fault (`<p class="error" id="<field>-error">`, referenced by the control's
aria-describedby), hostile markup is never echoed unescaped, and nothing is stored: no user,
no mail, no changed profile, password, role or institution. Control tests show that the same
forms with valid input do store, so each refusal test can fail.

Assertions look at element ids, never at message wording (translations change).
"""

import re
from urllib.parse import urlsplit

import pytest

from app.accounts import tokens
from app.accounts.models import Institution, Role, User, UserSession
from app.extensions import db
from tests.conftest import TEST_PASSWORD, count_users, login, outbox, post_form

SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>Ana</b>"
ATTRIBUTE = 'Ana" onmouseover="x'
HOSTILE_NAMES = [SCRIPT, BOLD, ATTRIBUTE, '"><img src=x onerror=alert(1)>']
HUGE = "a" * 10_000
STRONG = TEST_PASSWORD  # "lapiz naranja montaña 7": long enough and not common
OTHER_STRONG = "girasol tranvía escalera 42"
INVALID_EMAILS = ["not-an-email", "a@", "@b.org", "ana perez@example.org", "ana@@example.org"]
COMMON_PASSWORDS = ["password123", "qwertyuiop"]
LOCAL_EMAIL = "ana.perez@example.org"

# Values for `next` that would send a browser to another site if echoed in Location.
HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/account/profile",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    " //evil.example",
]


# Helpers ------------------------------------------------------------------------------


def _text(response) -> str:
    return response.get_data(as_text=True)


def assert_refused(response, field, hostile=()):
    """The form is shown again with an error beside `field`; no hostile markup echoed."""
    html = _text(response)
    assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
    marker = f'<p class="error" id="{field}-error">'
    assert marker in html, f"no error paragraph for {field!r}"
    # Beside the field: inside the same field block as the control named `field`.
    at = html.index(marker)
    start = html.rfind('class="field', 0, at)
    assert start != -1, f"error for {field!r} is not inside a field block"
    ends = [i for i in (html.find('class="field', at), html.find("</form>", at)) if i != -1]
    block = html[start : min(ends)]
    assert f'name="{field}"' in block, f"error for {field!r} is not beside its control"
    # And the control (or its fieldset) points screen readers to it.
    described = re.findall(r'aria-describedby="([^"]*)"', html)
    assert any(f"{field}-error" in value.split() for value in described), (
        f"no control refers to {field}-error"
    )
    for value in hostile:
        if "<" in value or '"' in value:
            assert value not in html, f"unescaped hostile input echoed: {value!r}"


def assert_local_redirect(response):
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location and not any(ord(c) < 32 for c in location), location


def session_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(UserSession))


def institution_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Institution))


def reload(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def profile_of(user_id):
    user = reload(User, user_id)
    return (
        user.full_name,
        user.country_code,
        user.institution_id,
        user.institution_other,
        user.represents,
        user.locale,
        user.timezone,
    )


def password_state(user_id):
    user = reload(User, user_id)
    return user.password_hash, user.password_changed_at, user.email_confirmed_at


def institution_state(institution_id):
    found = reload(Institution, institution_id)
    return found.acronym, found.name_es, found.country_code, found.active, found.names


# Registration ---------------------------------------------------------------------------


def registration_data(listed, **changes):
    data = {
        "full_name": "María José O'Neill-Díaz",
        "email": LOCAL_EMAIL,
        "password": STRONG,
        "confirm_password": STRONG,
        "country": "UY",
        "institution": str(listed.id),
        "institution_other": "",
        "represents": "vti",
        "locale": "es",
        "privacy_consent": "y",
    }
    data.update(changes)
    return data


def _other(name):
    return {"institution": "other", "institution_other": name}


def _password(value):
    return {"password": value, "confirm_password": value}


REGISTRATION_CASES = [
    # Empty fields
    pytest.param({"full_name": ""}, "full_name", id="empty-full_name"),
    pytest.param({"full_name": "   "}, "full_name", id="blank-full_name"),
    pytest.param({"email": ""}, "email", id="empty-email"),
    pytest.param(_password(""), "password", id="empty-password"),
    pytest.param({"confirm_password": ""}, "confirm_password", id="empty-confirm_password"),
    pytest.param({"country": ""}, "country", id="empty-country"),
    pytest.param({"institution": ""}, "institution", id="empty-institution"),
    pytest.param({"represents": ""}, "represents", id="empty-represents"),
    pytest.param({"locale": ""}, "locale", id="empty-locale"),
    # Huge fields
    pytest.param({"full_name": HUGE}, "full_name", id="huge-full_name"),
    pytest.param({"email": HUGE + "@example.org"}, "email", id="huge-email"),
    pytest.param(_password(HUGE), "password", id="huge-password"),
    pytest.param(_other(HUGE), "institution_other", id="huge-institution_other"),
    pytest.param({"country": HUGE}, "country", id="huge-country"),
    pytest.param({"institution": HUGE}, "institution", id="huge-institution"),
    pytest.param({"represents": HUGE}, "represents", id="huge-represents"),
    pytest.param({"locale": HUGE}, "locale", id="huge-locale"),
    # Markup and script in names and other text
    *[
        pytest.param({"full_name": v}, "full_name", id=f"markup-full_name-{i}")
        for i, v in enumerate(HOSTILE_NAMES)
    ],
    *[
        pytest.param(_other(v), "institution_other", id=f"markup-institution_other-{i}")
        for i, v in enumerate(HOSTILE_NAMES)
    ],
    pytest.param({"email": SCRIPT}, "email", id="markup-email"),
    pytest.param(
        {"email": '"><script>alert(1)</script>@example.org'}, "email", id="markup-email-2"
    ),
    pytest.param(
        {"full_name": '=HYPERLINK("http://evil.example")'}, "full_name", id="formula-full_name"
    ),
    pytest.param({"full_name": "12345"}, "full_name", id="no-letters-full_name"),
    pytest.param({"full_name": "Ana\x00Pérez"}, "full_name", id="nul-full_name"),
    pytest.param({"country": SCRIPT}, "country", id="markup-country"),
    pytest.param({"institution": SCRIPT}, "institution", id="markup-institution"),
    pytest.param({"represents": SCRIPT}, "represents", id="markup-represents"),
    # Invalid email
    *[pytest.param({"email": v}, "email", id=f"invalid-email-{v}") for v in INVALID_EMAILS],
    pytest.param(
        {"email": LOCAL_EMAIL + "\r\nBcc: evil@example.org"}, "email", id="header-injection-email"
    ),
    # Passwords
    pytest.param({"confirm_password": OTHER_STRONG}, "confirm_password", id="mismatched"),
    pytest.param(_password("abc1234"), "password", id="password-7-chars"),
    pytest.param(_password("b" * 129), "password", id="password-129-chars"),
    *[pytest.param(_password(v), "password", id=f"common-{v}") for v in COMMON_PASSWORDS],
    pytest.param(_password(LOCAL_EMAIL), "password", id="password-is-the-email"),
    # Choices not in the lists
    pytest.param({"country": "XX"}, "country", id="unknown-country-XX"),
    pytest.param({"country": "uy"}, "country", id="lowercase-country"),
    pytest.param({"country": "ZZ"}, "country", id="not-offered-country-ZZ"),
    pytest.param({"institution": "999999"}, "institution", id="missing-institution"),
    pytest.param({"institution": "-1"}, "institution", id="negative-institution"),
    pytest.param({"institution": "abc"}, "institution", id="text-institution"),
    pytest.param(_other(""), "institution_other", id="other-without-name"),
    pytest.param(_other("   "), "institution_other", id="other-with-blank-name"),
    pytest.param({"represents": "king"}, "represents", id="unknown-represents"),
    pytest.param({"represents": "VTI"}, "represents", id="uppercase-represents"),
    pytest.param({"locale": "xx"}, "locale", id="unknown-locale"),
    pytest.param({"locale": "fr"}, "locale", id="unoffered-locale"),
]


def _hostile_values(changes):
    return [v for v in changes.values() if isinstance(v, str)]


@pytest.mark.parametrize(("changes", "field"), REGISTRATION_CASES)
def test_registration_refuses_bad_input_and_stores_nothing(client, institutions, changes, field):
    response = post_form(client, "/register", registration_data(institutions[0], **changes))

    assert_refused(response, field, _hostile_values(changes))
    assert count_users() == 0
    assert outbox() == []


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="listed-institution"),
        pytest.param(_other("Escuela Técnica N.º 3 'Ana O'Brien'"), id="not-listed"),
    ],
)
def test_valid_registration_creates_one_unconfirmed_user_and_one_mail(
    client, institutions, changes
):
    response = post_form(client, "/register", registration_data(institutions[0], **changes))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-email")
    assert count_users() == 1
    user = db.session.scalar(db.select(User))
    assert user.email == LOCAL_EMAIL
    assert user.email_confirmed_at is None
    assert [m.recipient for m in outbox()] == [LOCAL_EMAIL]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"full_name": SCRIPT}, "full_name", id="markup-name"),
        pytest.param(_password("password123"), "password", id="common-password"),
        pytest.param({"confirm_password": OTHER_STRONG}, "confirm_password", id="mismatched"),
        pytest.param({"country": "XX"}, "country", id="unknown-country"),
    ],
)
def test_bad_registration_with_a_taken_email_mails_nobody(
    client, institutions, make_user, changes, field
):
    make_user(email=LOCAL_EMAIL)
    response = post_form(client, "/register", registration_data(institutions[0], **changes))

    assert_refused(response, field, _hostile_values(changes))
    assert count_users() == 1
    assert outbox() == []


def test_valid_registration_with_a_taken_email_mails_the_owner_only(
    client, institutions, make_user
):
    make_user(email=LOCAL_EMAIL)
    response = post_form(client, "/register", registration_data(institutions[0]))

    assert response.status_code == 302
    assert count_users() == 1
    assert [m.recipient for m in outbox()] == [LOCAL_EMAIL]


def test_registration_refuses_an_inactive_institution(client, institutions):
    hidden = institutions[0]
    hidden.active = False
    db.session.commit()

    response = post_form(client, "/register", registration_data(hidden))

    assert_refused(response, "institution")
    assert count_users() == 0
    assert outbox() == []


# Sign in --------------------------------------------------------------------------------


LOGIN_CASES = [
    pytest.param({"email": ""}, "email", id="empty-email"),
    pytest.param({"password": ""}, "password", id="empty-password"),
    pytest.param({"email": HUGE + "@example.org"}, "email", id="huge-email"),
    pytest.param({"password": HUGE}, "password", id="huge-password"),
    pytest.param({"password": "c" * 129}, "password", id="password-129-chars"),
    pytest.param({"email": SCRIPT}, "email", id="markup-email"),
    pytest.param({"email": "person1@example.org" + SCRIPT}, "email", id="markup-after-email"),
    *[pytest.param({"email": v}, "email", id=f"invalid-email-{v}") for v in INVALID_EMAILS],
]


@pytest.mark.parametrize(("changes", "field"), LOGIN_CASES)
def test_login_refuses_bad_input_and_opens_no_session(client, make_user, changes, field):
    user = make_user(email="person1@example.org")
    data = {"email": user.email, "password": TEST_PASSWORD, **changes}

    response = post_form(client, "/login", data)

    assert_refused(response, field, _hostile_values(changes))
    assert session_count() == 0
    assert client.get("/account/profile").status_code == 302  # still signed out


def test_valid_login_opens_a_session(client, make_user):
    user = make_user(email="person1@example.org")
    response = post_form(client, "/login", {"email": user.email, "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert session_count() == 1
    assert client.get("/account/profile").status_code == 200


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = post_form(
        client, "/login", {"email": user.email, "password": TEST_PASSWORD, "next": target}
    )
    assert_local_redirect(response)


def test_login_honours_a_local_next(client, make_user):
    user = make_user()
    response = post_form(
        client,
        "/login",
        {"email": user.email, "password": TEST_PASSWORD, "next": "/account/password"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"


# Forgot password ------------------------------------------------------------------------


FORGOT_CASES = [
    pytest.param("", id="empty"),
    pytest.param(HUGE + "@example.org", id="huge"),
    pytest.param(SCRIPT, id="markup"),
    pytest.param("person1@example.org" + SCRIPT, id="markup-after-email"),
    pytest.param("person1@example.org\r\nBcc: evil@example.org", id="header-injection"),
    *[pytest.param(v, id=f"invalid-{v}") for v in INVALID_EMAILS],
]


@pytest.mark.parametrize("email", FORGOT_CASES)
def test_forgot_password_refuses_bad_email_and_sends_nothing(client, make_user, email):
    make_user(email="person1@example.org")
    response = post_form(client, "/forgot-password", {"email": email})

    assert_refused(response, "email", [email])
    assert outbox() == []


def test_forgot_password_with_a_valid_email_sends_one_mail(client, make_user):
    make_user(email="person1@example.org")
    response = post_form(client, "/forgot-password", {"email": "person1@example.org"})

    assert response.status_code == 302
    assert [m.recipient for m in outbox()] == ["person1@example.org"]


# Reset password -------------------------------------------------------------------------


NEW_PASSWORD_CASES = [
    pytest.param(_password(""), "password", id="empty"),
    pytest.param(
        {"password": STRONG + "x", "confirm_password": ""}, "confirm_password", id="empty-confirm"
    ),
    pytest.param(
        {"password": OTHER_STRONG, "confirm_password": OTHER_STRONG + " "},
        "confirm_password",
        id="mismatched",
    ),
    pytest.param(_password("abc1234"), "password", id="7-chars"),
    pytest.param(_password("d" * 129), "password", id="129-chars"),
    pytest.param(_password(HUGE), "password", id="huge"),
    *[pytest.param(_password(v), "password", id=f"common-{v}") for v in COMMON_PASSWORDS],
    pytest.param(_password("person1@example.org"), "password", id="is-the-email"),
]


@pytest.mark.parametrize(("data", "field"), NEW_PASSWORD_CASES)
def test_reset_password_refuses_bad_password_and_changes_nothing(client, make_user, data, field):
    user = make_user(email="person1@example.org", confirmed=False)
    token = tokens.make_reset_token(user)
    before = password_state(user.id)

    response = post_form(client, f"/reset-password/{token}", data)

    assert_refused(response, field)
    assert password_state(user.id) == before  # same hash, not confirmed by the failed reset
    assert before[2] is None
    assert tokens.user_for_reset_token(token) is not None  # the link still works
    assert session_count() == 0


def test_valid_reset_password_changes_the_password(client, make_user):
    user = make_user(email="person1@example.org", confirmed=False)
    token = tokens.make_reset_token(user)
    before = password_state(user.id)

    response = post_form(client, f"/reset-password/{token}", _password(OTHER_STRONG))

    assert response.status_code == 302
    after = password_state(user.id)
    assert after[0] != before[0]
    assert after[2] is not None
    assert tokens.user_for_reset_token(token) is None


# Change password ------------------------------------------------------------------------


CHANGE_PASSWORD_CASES = [
    pytest.param({"current_password": ""}, "current_password", id="empty-current"),
    pytest.param(
        {"current_password": "not the password 9"}, "current_password", id="wrong-current"
    ),
    pytest.param({"current_password": HUGE}, "current_password", id="huge-current"),
    *NEW_PASSWORD_CASES,
]


@pytest.mark.parametrize(("changes", "field"), CHANGE_PASSWORD_CASES)
def test_change_password_refuses_bad_input_and_changes_nothing(
    app, client, login_as, changes, field
):
    user = login_as(email="person1@example.org")
    login(app.test_client(), user)  # another session, which a real change would close
    before = password_state(user.id)
    data = {"current_password": TEST_PASSWORD, **_password(OTHER_STRONG), **changes}

    response = post_form(client, "/account/password", data)

    assert_refused(response, field)
    assert password_state(user.id) == before
    assert session_count() == 2


def test_valid_change_password_changes_it_and_closes_other_sessions(app, client, login_as):
    user = login_as(email="person1@example.org")
    login(app.test_client(), user)
    before = password_state(user.id)
    data = {"current_password": TEST_PASSWORD, **_password(OTHER_STRONG)}

    response = post_form(client, "/account/password", data)

    assert response.status_code == 302
    assert password_state(user.id)[0] != before[0]
    assert session_count() == 1


# Profile --------------------------------------------------------------------------------


def profile_data(listed, **changes):
    data = {
        "full_name": "Nueva Persona",
        "country": "AR",
        "institution": str(listed.id),
        "institution_other": "",
        "represents": "workers",
        "locale": "es",
        "timezone": "America/Argentina/Buenos_Aires",
    }
    data.update(changes)
    return data


PROFILE_CASES = [
    case
    for case in REGISTRATION_CASES
    if not set(case.values[0]) & {"email", "password", "confirm_password"}
] + [
    pytest.param({"timezone": ""}, "timezone", id="empty-timezone"),
    pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", id="unknown-timezone"),
    pytest.param({"timezone": "Europe/Paris"}, "timezone", id="unoffered-timezone"),
    pytest.param({"timezone": HUGE}, "timezone", id="huge-timezone"),
    pytest.param({"timezone": SCRIPT}, "timezone", id="markup-timezone"),
]


@pytest.mark.parametrize(("changes", "field"), PROFILE_CASES)
def test_profile_refuses_bad_input_and_changes_nothing(
    client, institutions, login_as, changes, field
):
    user = login_as()
    before = profile_of(user.id)

    response = post_form(client, "/account/profile", profile_data(institutions[0], **changes))

    assert_refused(response, field, _hostile_values(changes))
    assert profile_of(user.id) == before


def test_valid_profile_is_saved(client, institutions, login_as):
    user = login_as()
    before = profile_of(user.id)

    response = post_form(client, "/account/profile", profile_data(institutions[0]))

    assert response.status_code == 302
    after = profile_of(user.id)
    assert after != before
    assert after[:3] == ("Nueva Persona", "AR", institutions[0].id)


# Administration: institutions -----------------------------------------------------------


def institution_data(**changes):
    data = {
        "acronym": "ITEC",
        "name_es": "Instituto Técnico de Ensayo",
        "name_pt": "Instituto Técnico de Ensaio",
        "name_en": "Technical Testing Institute",
        "country": "UY",
        "active": "y",
    }
    data.update(changes)
    return data


INSTITUTION_CASES = [
    pytest.param({"acronym": ""}, "acronym", id="empty-acronym"),
    pytest.param({"acronym": "   "}, "acronym", id="blank-acronym"),
    *[
        pytest.param({f"name_{lang}": ""}, f"name_{lang}", id=f"empty-name-{lang}")
        for lang in ("es", "pt", "en")
    ],
    pytest.param({"country": ""}, "country", id="empty-country"),
    pytest.param({"acronym": HUGE}, "acronym", id="huge-acronym"),
    pytest.param({"name_pt": HUGE}, "name_pt", id="huge-name"),
    pytest.param({"country": HUGE}, "country", id="huge-country"),
    *[
        pytest.param({"acronym": v}, "acronym", id=f"markup-acronym-{i}")
        for i, v in enumerate(HOSTILE_NAMES)
    ],
    *[
        pytest.param({"name_es": v}, "name_es", id=f"markup-name-{i}")
        for i, v in enumerate(HOSTILE_NAMES)
    ],
    pytest.param({"name_en": "=1+1"}, "name_en", id="formula-name"),
    pytest.param({"acronym": "123"}, "acronym", id="no-letters-acronym"),
    pytest.param({"country": "XX"}, "country", id="unknown-country-XX"),
    pytest.param({"country": "ZZ"}, "country", id="not-offered-country-ZZ"),
    pytest.param({"country": SCRIPT}, "country", id="markup-country"),
    # Acronym and country together are unique (seed: SENAI in Brazil).
    pytest.param({"acronym": "SENAI", "country": "BR"}, "acronym", id="duplicate"),
    pytest.param({"acronym": "senai", "country": "BR"}, "acronym", id="duplicate-other-case"),
]


@pytest.mark.parametrize(("changes", "field"), INSTITUTION_CASES)
def test_new_institution_refuses_bad_input_and_adds_nothing(
    client, institutions, login_as, changes, field
):
    login_as(Role.ADMIN)
    before = institution_count()

    response = post_form(client, "/admin/institutions/new", institution_data(**changes))

    assert_refused(response, field, _hostile_values(changes))
    assert institution_count() == before


@pytest.mark.parametrize(("changes", "field"), INSTITUTION_CASES)
def test_edit_institution_refuses_bad_input_and_changes_nothing(
    client, institutions, login_as, changes, field
):
    login_as(Role.ADMIN)
    target = next(i for i in institutions if i.acronym != "SENAI")
    before = institution_state(target.id)
    count = institution_count()

    response = post_form(client, f"/admin/institutions/{target.id}", institution_data(**changes))

    assert_refused(response, field, _hostile_values(changes))
    assert institution_state(target.id) == before
    assert institution_count() == count


def test_valid_institution_is_added_and_edited(client, institutions, login_as):
    login_as(Role.ADMIN)
    before = institution_count()

    response = post_form(client, "/admin/institutions/new", institution_data())
    assert response.status_code == 302
    assert institution_count() == before + 1

    target = institutions[0]
    response = post_form(
        client,
        f"/admin/institutions/{target.id}",
        institution_data(acronym="NUEVO", name_es="Nombre Nuevo", country="PE"),
    )
    assert response.status_code == 302
    assert institution_state(target.id)[:3] == ("NUEVO", "Nombre Nuevo", "PE")


# Administration: roles ------------------------------------------------------------------


def test_the_last_administrator_cannot_remove_their_role(client, login_as):
    admin = login_as(Role.ADMIN)

    # Unticking "admin" while ticking "tutor": the refusal must change neither.
    response = post_form(client, f"/admin/people/{admin.id}", {"tutor": "y"})

    assert_refused(response, "admin")
    user = reload(User, admin.id)
    assert user.is_admin is True
    assert user.is_tutor is False


def test_an_administrator_role_can_be_removed_when_another_remains(client, login_as, make_user):
    login_as(Role.ADMIN)
    other = make_user(role=Role.ADMIN)

    response = post_form(client, f"/admin/people/{other.id}", {"tutor": "y"})

    assert response.status_code == 302
    user = reload(User, other.id)
    assert user.is_admin is False
    assert user.is_tutor is True


# Language switch ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["xx", "", SCRIPT, HUGE])
def test_language_switch_refuses_an_unknown_locale(client, login_as, locale):
    user = login_as(locale="es")

    response = post_form(client, "/language", {"locale": locale, "next": "/"}, form_page="/")

    assert_local_redirect(response)
    assert reload(User, user.id).locale == "es"
    with client.session_transaction() as session:
        assert session.get("locale") in (None, "es", "pt", "en")
        assert session.get("locale") != locale


def test_language_switch_saves_a_listed_locale(client, login_as):
    user = login_as(locale="es")

    response = post_form(
        client, "/language", {"locale": "en", "next": "/account/profile"}, form_page="/"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/profile"
    assert reload(User, user.id).locale == "en"


@pytest.mark.parametrize("locale", ["en", "xx"])
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_language_switch_never_redirects_off_site(client, locale, target):
    response = post_form(client, "/language", {"locale": locale, "next": target}, form_page="/")

    assert_local_redirect(response)
