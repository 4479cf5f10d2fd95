"""Registration, email confirmation and what registration reveals."""

from app.accounts.models import Represents, User
from app.extensions import db
from tests.conftest import count_users, link_in, outbox, post_form

PASSWORD = "cuaderno verde del taller"


def registration(institutions, **changes):
    data = {
        "full_name": "Ana María Pérez-Núñez",
        "email": "Ana.Perez@Example.org",
        "password": PASSWORD,
        "confirm_password": PASSWORD,
        "country": "UY",
        "institution": str(institutions[0].id),
        "institution_other": "",
        "represents": "vti",
        "locale": "es",
        "privacy_consent": "y",
    }
    data.update(changes)
    return data


def test_a_learner_registers_confirms_the_email_and_signs_in(client, institutions):
    response = post_form(client, "/register", registration(institutions))
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-email"

    user = db.session.scalar(db.select(User))
    assert user.email == "ana.perez@example.org"  # stored lower-cased
    assert user.full_name == "Ana María Pérez-Núñez"
    assert user.institution_id == institutions[0].id
    assert user.represents == Represents.VTI
    assert user.roles == {"learner"}
    assert user.email_confirmed_at is None
    assert user.password_hash.startswith("$argon2id$")
    assert user.timezone == "America/Montevideo"

    # Before confirming, signing in is refused with an explanation (and a new link).
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "/confirm/" in outbox(user.email)[-1].body

    mails = outbox("ana.perez@example.org")
    assert "Confirme" in mails[0].subject or "Confirm" in mails[0].subject
    response = client.get(link_in(mails[0], "/confirm/"))
    assert response.status_code == 302
    response = post_form(client, "/login", {"email": "ANA.PEREZ@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "Ana María" in client.get("/").get_data(as_text=True)


def test_an_institution_not_listed_can_be_typed(client, institutions):
    data = registration(institutions, institution="other", institution_other="Escuela Taller Sur")
    assert post_form(client, "/register", data).status_code == 302
    user = db.session.scalar(db.select(User))
    assert user.institution_id is None
    assert user.institution_other == "Escuela Taller Sur"


def test_registering_a_taken_email_looks_the_same_and_creates_nothing(
    client, institutions, make_user
):
    owner = make_user(email="taken@example.org")
    fresh = post_form(client, "/register", registration(institutions, email="new@example.org"))
    again = post_form(client, "/register", registration(institutions, email="TAKEN@example.org"))
    assert again.status_code == fresh.status_code == 302
    assert again.headers["Location"] == fresh.headers["Location"]
    assert count_users() == 2  # the owner and the new address; nothing for the taken one
    mail = outbox(owner.email)[-1]
    assert "/forgot-password" in mail.body and "/confirm/" not in mail.body


def test_a_tampered_confirmation_link_confirms_nothing(client, institutions):
    post_form(client, "/register", registration(institutions))
    link = link_in(outbox()[0], "/confirm/")
    response = client.get(link[:-3] + "abc")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(User)).email_confirmed_at is None


def test_registration_is_offered_in_the_chosen_language(client, institutions):
    page = client.get("/register", headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    html = page.get_data(as_text=True)
    assert '<html lang="pt">' in html
    assert "Criar minha conta" in html
    # Countries are named in the page's language, network countries first.
    assert "Brasil" in html and "Espanha" in html
    assert html.index("Uruguai") < html.index("Alemanha")
