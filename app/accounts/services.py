"""Operations on accounts. Views and CLI commands call these; they flush, never commit."""

import csv
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.accounts import passwords, privacy, security_log, tokens
from app.accounts.models import Institution, Represents, Role, SecurityEventKind, User, lower_email
from app.accounts.sessions import (  # noqa: F401 (the accounts' operations, in one place)
    end_other_sessions,
    end_session,
    end_session_by_id,
    load_session,
    sessions_of,
    start_session,
)
from app.core import jobs
from app.core.db import utcnow
from app.core.i18n import COUNTRY_TIMEZONES, collation_key, fold, is_country
from app.core.mail import send_template_mail
from app.core.refusals import Refusal
from app.extensions import db

log = logging.getLogger("aula.security")

DEFAULT_INSTITUTIONS_CSV = Path(__file__).parent / "seed" / "member_institutions.csv"


class AccountError(Refusal):
    """A rule about accounts was broken; the message is for the person who broke it."""


class InvalidCredentials(AccountError):
    """Wrong email or password; `user_id` is the account tried, if it exists (for the log)."""

    def __init__(self, message, user_id: int | None = None):
        super().__init__(message)
        self.user_id = user_id


class EmailNotConfirmed(AccountError):
    """Right credentials, unconfirmed email: `user` is who should get a new link."""

    def __init__(self, message, user: "User"):
        super().__init__(message)
        self.user = user


class LastAdministrator(AccountError):
    pass


class WeakPassword(AccountError):
    pass


@dataclass
class Registration:
    """What a person gives when they register."""

    email: str
    full_name: str
    password: str
    country_code: str
    represents: Represents
    institution_id: int | None
    institution_other: str | None
    locale: str
    accepted_notice: str = ""  # the version of the privacy notice they accepted


def external_url(endpoint: str, **values) -> str:
    """An absolute URL built on BASE_URL, for mails and documents (in a request or not:
    commands and jobs send mail too)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def check_password_strength(password: str, user_inputs: list[str]) -> None:
    """Raise WeakPassword when the password is common or built from the person's details."""
    if passwords.is_too_weak(password, user_inputs):
        raise WeakPassword(
            _l("This password is too common or too easy to guess. Try a longer phrase.")
        )


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == lower_email(email)))


def register(data: Registration) -> User | None:
    """Create an unconfirmed account and mail a confirmation link.

    When the email is already registered nothing is created and the owner is told by mail,
    so the page shown is the same either way and reveals nothing. The work is the same too:
    the password is hashed whether or not it will be kept, so the time taken does not tell
    which (bench/enumeration.py measures it).
    """
    privacy.check_consent(data.accepted_notice)
    email = lower_email(data.email)
    check_password_strength(data.password, [email, data.full_name])
    password_hash = passwords.hash_password(data.password)
    existing = find_user_by_email(email)
    if existing is not None:
        send_template_mail(
            existing.email,
            existing.locale,
            "accounts/mail/already_registered",
            _l("Someone tried to register with your email"),
            user=existing,
            login_url=external_url("accounts.login"),
            reset_url=external_url("accounts.forgot_password"),
        )
        return None
    institution_id, institution_other = institution_choice(
        data.institution_id, data.institution_other, data.country_code
    )
    user = User(
        email=email,
        full_name=data.full_name.strip(),
        password_hash=password_hash,
        country_code=data.country_code,
        institution_id=institution_id,
        institution_other=institution_other,
        represents=data.represents,
        locale=data.locale,
        timezone=COUNTRY_TIMEZONES.get(data.country_code, "UTC"),
    )
    db.session.add(user)
    db.session.flush()
    privacy.record_consent(user, data.accepted_notice)
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    """Mail the link that confirms the account's email."""
    send_template_mail(
        user.email,
        user.locale,
        "accounts/mail/confirm",
        _l("Confirm your Aula account"),
        user=user,
        confirm_url=external_url("accounts.confirm_email", token=tokens.make_confirm_token(user)),
    )


def confirm_email(user: User) -> None:
    """Mark the email as confirmed (idempotent)."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.flush()


def authenticate(email: str, password: str) -> User:
    """The user with these credentials; raises InvalidCredentials or EmailNotConfirmed (the
    caller sends the new confirmation link: a refusal keeps nothing written before it)."""
    user = find_user_by_email(email)
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)  # same time either way
        raise InvalidCredentials(_l("Email or password is not correct."))
    if not passwords.verify_password(user.password_hash, password):
        log.info("failed login for user %s", user.id)
        raise InvalidCredentials(_l("Email or password is not correct."), user.id)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed(
            _l("Please confirm your email first. We have sent you a new confirmation link."), user
        )
    return user


def record_failed_sign_in(error: InvalidCredentials) -> None:
    """Log a refused sign-in (after the refusal's rollback, so that it is kept); one row
    either way, so the time does not tell whether the account exists."""
    security_log.record(SecurityEventKind.SIGN_IN_FAILED, error.user_id)


def set_password(
    user: User,
    new_password: str,
    kind: SecurityEventKind = SecurityEventKind.PASSWORD_CHANGED,
    *,
    notify: bool = True,
) -> None:
    """Store a new password (after the policy check) and close the user's other sessions."""
    check_password_strength(new_password, [user.email, user.full_name])
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    end_other_sessions(user, keep_key=user.current_session_key, log=False)
    db.session.flush()
    security_log.record(kind, user, notify=notify)
    log.info("password changed for user %s", user.id)


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password of a signed-in user who knows the current one."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise InvalidCredentials(_l("The current password is not correct."))
    set_password(user, new_password)


SEND_PASSWORD_RESET = "accounts.send_password_reset"  # noqa: S105 (a task name)


def request_password_reset(email: str) -> None:
    """Ask for a reset link to be mailed if the account exists.

    The request only queues a task, the same whether or not the address has an account, so
    neither its answer nor its time tells; the task looks the address up and mails.
    """
    jobs.enqueue(SEND_PASSWORD_RESET, email=lower_email(email)[:254])


@jobs.task(SEND_PASSWORD_RESET)
def send_password_reset(email: str) -> None:
    """Mail a reset link to the account with this email; nothing if there is none."""
    user = find_user_by_email(email)
    if user is None:
        log.info("password reset asked for an unknown address")
        return
    send_template_mail(
        user.email,
        user.locale,
        "accounts/mail/reset_password",
        _l("Reset your Aula password"),
        user=user,
        reset_url=external_url("accounts.reset_password", token=tokens.make_reset_token(user)),
    )


def reset_password(user: User, new_password: str, *, notify: bool = True) -> None:
    """Set a new password from a reset link; the link proves the email, so confirm it too."""
    user.current_session_key = None
    set_password(user, new_password, SecurityEventKind.PASSWORD_RESET, notify=notify)
    confirm_email(user)


def update_profile(
    user: User,
    *,
    full_name: str,
    country_code: str,
    institution_id: int | None,
    institution_other: str | None,
    represents: Represents,
    locale: str,
    timezone: str,
) -> None:
    """Save the editable parts of a profile."""
    user.full_name = full_name.strip()
    user.country_code = country_code
    user.institution_id, user.institution_other = institution_choice(
        institution_id, institution_other, country_code
    )
    user.represents = represents
    user.locale = locale
    user.timezone = timezone
    db.session.flush()


def set_data_saver(user: User, on: bool) -> None:
    """Lessons show pictures (off) or a tap-to-load link in their place (on)."""
    user.data_saver = bool(on)
    db.session.flush()


# The person page's history ----------------------------------------------------------------

ACTION_REASON_MAX = 1000


class ReasonMissing(AccountError):
    pass


def check_reason(reason: str | None, *, required: bool = True) -> str:
    """The reason as kept: spaces collapsed; refused when required and empty, or too long."""
    reason = " ".join((reason or "").split())
    if required and len(reason) < 3:
        raise ReasonMissing(_l("Give the reason: it is kept in the person's history."))
    if len(reason) > ACTION_REASON_MAX:
        raise ReasonMissing(_l("The reason has at most %(max)s characters.", max=ACTION_REASON_MAX))
    return reason


def record_action(person: User, actor: User | None, action: str, summary="", reason="") -> None:
    """Keep in the person's history what staff did about them, who did it and why."""
    from app.accounts.models import AccountAction

    db.session.add(
        AccountAction(
            user_id=person.id,
            actor_id=actor.id if actor is not None and actor.is_authenticated else None,
            action=action[:40],
            summary=str(summary)[:300],
            reason=reason or "",
        )
    )
    db.session.flush()


def history_of(person: User, limit: int = 50):
    """The latest actions staff took about the person, newest first, with who took them."""
    from sqlalchemy.orm import joinedload

    from app.accounts.models import AccountAction

    return db.session.scalars(
        select(AccountAction)
        .where(AccountAction.user_id == person.id)
        .options(joinedload(AccountAction.actor))
        .order_by(AccountAction.id.desc())
        .limit(limit)
    ).all()


def resend_confirmation(person: User, actor: User, reason: str) -> None:
    """Mail the confirmation link again (a person who lost or never got it), recorded."""
    reason = check_reason(reason)
    if person.email_confirmed_at is not None:
        raise AccountError(_l("This person has already confirmed their email."))
    send_confirmation(person)
    record_action(person, actor, "confirmation_resent", person.email, reason)


def set_roles(actor: User, user: User, *, tutor: bool, admin: bool) -> None:
    """Grant or remove the tutor and administrator roles."""
    if user.is_admin and not admin and count_admins() <= 1:
        raise LastAdministrator(
            _l("This is the last administrator; grant the role to someone else first.")
        )
    if (user.is_tutor, user.is_admin) != (tutor, admin):
        log.info(
            "roles of user %s set to tutor=%s admin=%s by user %s", user.id, tutor, admin, actor.id
        )
        roles = [name for name, held in (("tutor", tutor), ("admin", admin)) if held]
        security_log.record(
            SecurityEventKind.ROLES_CHANGED, user, actor=actor, detail=" ".join(roles) or "learner"
        )
    user.is_tutor = tutor
    user.is_admin = admin
    db.session.flush()


def count_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_admin)) or 0


def create_user(
    email: str,
    full_name: str,
    role: Role,
    password: str,
    *,
    country_code: str = "UY",
    institution_other: str = "—",
    check_strength: bool = True,
) -> User:
    """Create a confirmed account from the command line (administrators, tutors, demo users)."""
    email = lower_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(_l("An account with this email already exists."))
    if not full_name.strip():
        raise AccountError(_l("A name is required."))
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise WeakPassword(_l("The password must have between 8 and 128 characters."))
    if check_strength:
        check_password_strength(password, [email, full_name])
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=passwords.hash_password(password),
        country_code=country_code,
        institution_other=institution_other,
        represents=Represents.OTHER,
        is_tutor=role == Role.TUTOR,
        is_admin=role == Role.ADMIN,
        email_confirmed_at=utcnow(),
        timezone=COUNTRY_TIMEZONES.get(country_code, "UTC"),
    )
    db.session.add(user)
    db.session.flush()
    return user


def search_people(query: str = "", role: str = ""):
    """A select of people matching a free-text query and a role, for pagination."""
    stmt = select(User).order_by(User.full_name, User.id)
    query = query.strip()
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.outerjoin(User.institution).where(
            or_(
                func.lower(User.full_name).like(pattern),
                User.email.like(pattern),
                func.lower(User.institution_other).like(pattern),
                func.lower(Institution.acronym).like(pattern),
                func.lower(Institution.name_es).like(pattern),
                func.lower(Institution.name_pt).like(pattern),
                func.lower(Institution.name_en).like(pattern),
            )
        )
    if role == Role.TUTOR:
        stmt = stmt.where(User.is_tutor)
    elif role == Role.ADMIN:
        stmt = stmt.where(User.is_admin)
    return stmt


# Institutions ---------------------------------------------------------------------------


class InstitutionError(AccountError):
    pass


def active_institutions() -> list[Institution]:
    """The institutions offered for registration, in the order their labels read."""
    found = db.session.scalars(select(Institution).where(Institution.active))
    return sorted(found, key=lambda i: collation_key(i.label))


def match_institution(
    text: str, country: str, institutions: list[Institution]
) -> Institution | None:
    """The institution whose acronym or name, in any language, is this text (accents and
    case ignored), preferring one in the country; None when there is none or it is unclear."""
    key = fold(text)
    if not key:
        return None
    found = [
        i for i in institutions if key in {fold(i.acronym), *(fold(n) for n in i.names.values())}
    ]
    in_country = [i for i in found if i.country_code == country]
    if in_country:
        return in_country[0]
    return found[0] if len(found) == 1 else None


def institution_choice(
    institution_id: int | None, other: str | None, country: str
) -> tuple[int | None, str | None]:
    """A listed institution, or the name written in; a written name that is a listed
    institution's acronym or name in any language counts as that institution."""
    if institution_id:
        return institution_id, None
    other = (other or "").strip() or None
    matched = match_institution(other, country, active_institutions()) if other else None
    return (matched.id, None) if matched else (None, other)


def save_institution(
    institution: Institution | None,
    *,
    acronym: str,
    names: dict[str, str],
    country_code: str,
    active: bool,
) -> Institution:
    """Add an institution, or change one; acronym and country together are unique."""
    acronym = acronym.strip()
    clash = db.session.scalar(
        select(Institution).where(
            func.lower(Institution.acronym) == acronym.lower(),
            Institution.country_code == country_code,
        )
    )
    if clash is not None and clash is not institution:
        raise InstitutionError(
            _l("An institution with this acronym already exists in this country.")
        )
    if institution is None:
        institution = Institution()
        db.session.add(institution)
    institution.acronym = acronym
    for language in Institution.NAME_LANGUAGES:
        setattr(institution, f"name_{language}", names[language].strip())
    institution.country_code = country_code
    institution.active = active
    db.session.flush()
    return institution


def load_institutions(path: Path = DEFAULT_INSTITUTIONS_CSV) -> tuple[int, int]:
    """Add or update institutions from a CSV: acronym, country_code and the names, either
    name_es, name_pt and name_en or one `name` for the languages not given.

    Every row is checked before anything changes. Returns (added, updated).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InstitutionError(f"{path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InstitutionError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from exc
    reader = csv.DictReader(text.splitlines())
    columns = set(reader.fieldnames or [])
    missing = {"acronym", "country_code"} - columns
    name_columns = {f"name_{language}" for language in Institution.NAME_LANGUAGES}
    if "name" not in columns and not name_columns <= columns:
        missing |= name_columns - columns
    if missing:
        raise InstitutionError(f"{path}:1: missing columns: {', '.join(sorted(missing))}")
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        acronym = (row.get("acronym") or "").strip()
        common = (row.get("name") or "").strip()
        names = {
            language: (row.get(f"name_{language}") or "").strip() or common
            for language in Institution.NAME_LANGUAGES
        }
        country = (row.get("country_code") or "").strip().upper()
        if not acronym or not all(names.values()) or len(acronym) > 40:
            problems.append(
                f"{path}:{line}: acronym and a name in each language are required "
                "(acronym at most 40 characters)"
            )
        elif any(len(name) > 200 for name in names.values()):
            problems.append(f"{path}:{line}: a name has at most 200 characters")
        elif not is_country(country):
            problems.append(f"{path}:{line}: unknown country code {country!r}")
        else:
            rows.append((acronym, names, country))
    if problems:
        raise InstitutionError("\n".join(problems))
    existing = {
        (i.acronym.lower(), i.country_code): i for i in db.session.scalars(select(Institution))
    }
    added = updated = 0
    for acronym, names, country in rows:
        found = existing.get((acronym.lower(), country))
        if found is None:
            found = Institution(acronym=acronym, country_code=country, active=True)
            found.name_es, found.name_pt, found.name_en = names["es"], names["pt"], names["en"]
            db.session.add(found)
            existing[(acronym.lower(), country)] = found
            added += 1
        elif found.names != names:
            found.name_es, found.name_pt, found.name_en = names["es"], names["pt"], names["en"]
            updated += 1
    db.session.flush()
    return added, updated


# Invitations ----------------------------------------------------------------------------

# The password hash of an invited person who has not chosen a password yet. It is no
# argon2 hash, so no password verifies against it; the random part makes each one unique,
# so each invitation token's fingerprint is too.
INVITED_HASH_PREFIX = "!invited-"


def invite_user(
    email: str,
    full_name: str,
    *,
    country_code: str,
    locale: str,
    institution_id: int | None = None,
    institution_other: str | None = None,
    represents: Represents = Represents.OTHER,
) -> User:
    """Create an account for someone an administrator enrols; they choose a password
    through the link send_invitation mails. Nobody can sign in to it until then."""
    email = lower_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(_l("An account with this email already exists."))
    if not full_name.strip():
        raise AccountError(_l("A name is required."))
    if institution_id is None and not (institution_other or "").strip():
        raise AccountError(_l("An institution is required."))
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=INVITED_HASH_PREFIX + secrets.token_hex(16),
        country_code=country_code,
        institution_id=institution_id,
        institution_other=None if institution_id else institution_other.strip(),
        represents=represents,
        locale=locale if locale in current_app.config["LANGUAGES"] else "es",
        timezone=COUNTRY_TIMEZONES.get(country_code, "UTC"),
    )
    db.session.add(user)
    db.session.flush()
    log.info("account %s created by invitation", user.id)
    return user


def invitation_pending(user: User) -> bool:
    """Whether the person was invited and has not chosen a password yet."""
    return user.password_hash.startswith(INVITED_HASH_PREFIX)


def send_invitation(user: User, *, invited_by: User | None = None, **context) -> None:
    """Mail the link with which an invited person chooses their password.

    `context` may name what they were invited to (`course`, `cohort`) for the mail.
    """
    send_template_mail(
        user.email,
        user.locale,
        "accounts/mail/invitation",
        _l("You are invited to Aula"),
        user=user,
        invited_by=invited_by,
        invitation_url=external_url(
            "accounts.accept_invitation", token=tokens.make_invitation_token(user)
        ),
        days=tokens.invitation_max_age() // (24 * 3600),
        reset_url=external_url("accounts.forgot_password"),
        **context,
    )


def accept_invitation(user: User, new_password: str) -> None:
    """Set the invited person's first password; the link proves the email, so confirm it.
    (No notice mail: a first password changes nothing the person had.)"""
    reset_password(user, new_password, notify=False)
