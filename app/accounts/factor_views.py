"""Second factors: the sign-in's second step, setting up an authenticator app, recovery codes,
and tutors and administrators kept to setting one up (STAFF_SECOND_FACTOR_REQUIRED).

The routes belong to the accounts blueprint (app/accounts/views.py imports this module).
"""

import time

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import factors, passkeys
from app.accounts.forms import ConfirmPasswordForm, SecondFactorForm, TotpSetupForm
from app.accounts.views import _limited, _start_session, bp, limiter
from app.core.auth import safe_next_url
from app.core.forms import ActionForm
from app.extensions import db

# How long the second step may wait after the password was right.
SECOND_STEP_SECONDS = 5 * 60
PENDING = "second_step"
TOTP_SETUP = "totp_setup"

# Pages a tutor or administrator without a second factor may still open: setting one up,
# signing out, switching language.
OPEN_WITHOUT_FACTOR = {
    "static",
    "accounts.logout",
    "accounts.two_factor",
    "accounts.setup_app",
    "accounts.passkey_options",
    "accounts.add_passkey",
    "accounts.remove_app",
    "accounts.remove_passkey",
    "core.switch_language",
    "core.healthz",
}


def begin_second_step(user, next_url: str | None) -> None:
    """The password was right and the person has a second factor: remember who, briefly."""
    session[PENDING] = {"user": user.id, "at": int(time.time()), "next": next_url or ""}


def pending_user():
    """The person between password and second factor, if the step has not expired."""
    from app.accounts.models import User

    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > SECOND_STEP_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    return user if user is not None and user.second_factor else None


def finish_sign_in(user, how: str) -> str:
    """Start the session of a person who passed both steps; where they were going."""
    pending = session.get(PENDING)
    next_url = pending.get("next", "") if isinstance(pending, dict) else ""
    _start_session(user, how)  # a new session: the pending step is gone with the old one
    return safe_next_url(next_url) or url_for("core.index")


def _pending_key() -> str:
    pending = session.get(PENDING)
    return f"second-step:{pending.get('user')}" if isinstance(pending, dict) else "second-step:-"


def _failed(response) -> bool:
    return response.status_code != 302


def _refused_answer(response) -> bool:
    # A passkey's answer is JSON: only the refused ones count against the limit.
    data = response.get_json(silent=True) if response.is_json else None
    return not (isinstance(data, dict) and data.get("ok") is True)


# Many people of one institution may sign in from one address: successful passkey sign-ins
# never count, and asking for options (which writes nothing) has a wide limit of its own.
passkey_limits = [
    limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=_refused_answer),
]
options_limits = [limiter.limit("60 per minute", methods=["POST"])]

second_step_limits = [
    limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=_failed),
    limiter.limit(
        "5 per minute;20 per hour", methods=["POST"], key_func=_pending_key, deduct_when=_failed
    ),
]


@bp.route("/login/second-factor", methods=["GET", "POST"])
@_limited(second_step_limits)
def second_factor():
    user = pending_user()
    if user is None:
        flash(_("Your sign-in took too long. Please sign in again."), "error")
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            how = factors.check_second_factor(user, form.code.data)
        except factors.FactorError as error:
            factors.record_failed_second_factor(user)
            form.code.errors.append(str(error))
        else:
            return redirect(finish_sign_in(user, f"password + {how}"))
    return render_template(
        "accounts/second_factor.html", form=form, has_passkeys=bool(factors.passkeys_of(user))
    )


@bp.before_app_request
def keep_staff_to_a_second_factor():
    if request.endpoint in OPEN_WITHOUT_FACTOR or request.endpoint is None:
        return None
    if current_user.is_authenticated and factors.staff_must_have_one(current_user):
        flash(_("Tutors and administrators need a second factor. Please set one up."), "info")
        return redirect(url_for("accounts.two_factor"))
    return None


@bp.get("/account/two-factor")
@login_required
def two_factor():
    return render_template(
        "accounts/two_factor.html",
        totp=factors.totp_of(current_user),
        codes_left=factors.unused_recovery_codes(current_user),
        passkeys=factors.passkeys_of(current_user),
        password_form=ConfirmPasswordForm(formdata=None),
        required=factors.staff_must_have_one(current_user),
    )


@bp.route("/account/two-factor/app", methods=["GET", "POST"])
@login_required
def setup_app():
    """Set up an authenticator app: scan the QR code, type the code it shows."""
    if factors.totp_of(current_user) is not None:
        flash(_("An authenticator app is already set up."), "info")
        return redirect(url_for("accounts.two_factor"))
    secret = session.get(TOTP_SETUP)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[TOTP_SETUP] = factors.new_totp_secret()
    form = TotpSetupForm()
    if form.validate_on_submit():
        try:
            codes = factors.enable_totp(current_user, secret, form.code.data)
        except factors.FactorError as error:
            form.code.errors.append(str(error))
        else:
            session.pop(TOTP_SETUP, None)
            flash(_("Your authenticator app is set up."), "success")
            if codes:
                return render_template("accounts/recovery_codes.html", codes=codes)
            return redirect(url_for("accounts.two_factor"))
    uri = factors.provisioning_uri(current_user, secret)
    return render_template(
        "accounts/setup_app.html", form=form, secret=secret, qr=factors.qr_data_uri(uri)
    )


@bp.post("/account/two-factor/app/remove")
@login_required
def remove_app():
    form = ConfirmPasswordForm()
    if not form.validate_on_submit():
        flash(_("Type your password to confirm."), "error")
        return redirect(url_for("accounts.two_factor"))
    try:
        factors.disable_totp(current_user, form.password.data)
    except factors.FactorError as error:
        if isinstance(error, factors.WrongPassword):
            factors.record_wrong_password(current_user)
        flash(str(error), "error")
    else:
        flash(_("The authenticator app is removed."), "success")
    return redirect(url_for("accounts.two_factor"))


@bp.post("/account/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    form = ConfirmPasswordForm()
    if not form.validate_on_submit():
        flash(_("Type your password to confirm."), "error")
        return redirect(url_for("accounts.two_factor"))
    try:
        codes = factors.regenerate_recovery_codes(current_user, form.password.data)
    except factors.FactorError as error:
        if isinstance(error, factors.WrongPassword):
            factors.record_wrong_password(current_user)
        flash(str(error), "error")
        return redirect(url_for("accounts.two_factor"))
    return render_template("accounts/recovery_codes.html", codes=codes)


# Passkeys: the browser asks for options, the authenticator answers, the page posts the
# answer (JSON; the form token travels in the X-CSRFToken header). Errors are answered with
# {"ok": false, "error": ...} and status 200, as forms answer theirs.

PASSKEY_ADD = "passkey_add"
PASSKEY_SIGN_IN = "passkey_sign_in"


def _keep_challenge(key: str, challenge: bytes) -> None:
    session[key] = {"c": challenge.hex(), "at": int(time.time())}


def _take_challenge(key: str) -> bytes | None:
    kept = session.pop(key, None)
    if not isinstance(kept, dict) or time.time() - kept.get("at", 0) > SECOND_STEP_SECONDS:
        return None
    try:
        return bytes.fromhex(kept["c"])
    except (KeyError, TypeError, ValueError):
        return None


def _posted_json() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _refused(message) -> tuple:
    return jsonify(ok=False, error=str(message))


@bp.post("/account/passkeys/options")
@login_required
def passkey_options():
    options, challenge = passkeys.registration_options(current_user)
    _keep_challenge(PASSKEY_ADD, challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/account/passkeys")
@login_required
def add_passkey():
    data = _posted_json()
    challenge = _take_challenge(PASSKEY_ADD)
    if challenge is None or not isinstance(data.get("credential"), dict):
        return _refused(_("The passkey could not be added. Please try again."))
    try:
        passkeys.add_passkey(
            current_user, data["credential"], challenge, str(data.get("name") or "")
        )
    except passkeys.PasskeyError as error:
        return _refused(error)
    flash(_("Your passkey is added."), "success")
    return jsonify(ok=True, redirect=url_for("accounts.two_factor"))


@bp.post("/login/passkey/options")
@_limited(options_limits)
def passkey_sign_in_options():
    options, challenge = passkeys.authentication_options(pending_user())
    _keep_challenge(PASSKEY_SIGN_IN, challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/passkey")
@_limited(passkey_limits)
def passkey_sign_in():
    """Sign in with a passkey: as the second step, or without a password at all."""
    data = _posted_json()
    challenge = _take_challenge(PASSKEY_SIGN_IN)
    if challenge is None or not isinstance(data.get("credential"), dict):
        return _refused(_("This passkey was not accepted."))
    pending = pending_user()
    try:
        user = passkeys.authenticate(data["credential"], challenge, pending)
    except passkeys.PasskeyError as error:
        if pending is not None:
            factors.record_failed_second_factor(pending)
        return _refused(error)
    if user.email_confirmed_at is None:
        return _refused(_("Please confirm your email first."))
    how = "password + passkey" if pending is not None else "passkey"
    return jsonify(ok=True, redirect=finish_sign_in(user, how))


@bp.post("/account/passkeys/<public_id>/remove")
@login_required
def remove_passkey(public_id):
    ActionForm().validate_on_submit() or abort(400)
    if factors.remove_passkey(current_user, public_id[:64]):
        flash(_("The passkey is removed."), "success")
    return redirect(url_for("accounts.two_factor"))


__all__ = ["begin_second_step", "finish_sign_in", "passkeys", "pending_user"]
