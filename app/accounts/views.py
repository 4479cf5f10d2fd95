"""Registration, sign-in and sign-out, password reset, profile."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SubmitField

from app.accounts import factors, privacy, security_log, services, tokens
from app.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from app.accounts.models import Represents
from app.accounts.sessions import approximate_network, device_label
from app.core.auth import safe_next_url
from app.core.forms import ActionForm
from app.extensions import db, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")

LOG_PER_PAGE = 50


def _posted_email() -> str:
    """The email a form posts, as the key of the per-account rate limit."""
    return "account:" + services.lower_email(request.form.get("email", ""))[:254]


def _posted_email_and_address() -> str:
    """The email a form posts and the address it comes from: the key of the sign-in limit.

    Keyed by the pair, never by the account alone, so that a stranger's failures slow down
    the stranger and never lock the owner out when they sign in from elsewhere.
    """
    email = services.lower_email(request.form.get("email", ""))[:254]
    return f"pair:{get_remote_address()}|{email}"


def _signed_in_account() -> str:
    """The signed-in account, as the key of the limits on what only its owner may do."""
    return f"user:{current_user.id}" if current_user.is_authenticated else "anonymous"


def _failed(response) -> bool:
    # Only attempts that did not succeed count against the limits.
    return response.status_code != 302


# Per address, then per account and address: guessing one password across many accounts or
# many passwords for one account both run into a limit, and the owner signing in from another
# address never does (no lock-out by strangers).
login_limits = [
    limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=_failed),
    limiter.limit(
        "5 per minute;20 per hour",
        methods=["POST"],
        key_func=_posted_email_and_address,
        deduct_when=_failed,
    ),
]
# Changing the password checks the current one: a stolen session must not guess it freely,
# nor may anyone keep the server hashing. Per address and per account.
password_change_limits = [
    limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=_failed),
    limiter.limit(
        "5 per minute;20 per hour",
        methods=["POST"],
        key_func=_signed_in_account,
        deduct_when=_failed,
    ),
]
mail_limits = [
    limiter.limit("5 per minute;30 per hour", methods=["POST"]),
    limiter.limit("3 per 15 minutes;10 per day", methods=["POST"], key_func=_posted_email),
]


def _limited(limits):
    def decorate(view):
        for limit in reversed(limits):
            view = limit(view)
        return view

    return decorate


def _start_session(user, how: str = "password") -> None:
    """Sign the user in on a brand-new session cookie (no fixation)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    services.start_session(user, how)
    login_user(user)
    session.permanent = True


@bp.route("/register", methods=["GET", "POST"])
@_limited(mail_limits)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = RegistrationForm()
    if request.method == "GET":
        form.locale.data = str(get_locale())
    if form.validate_on_submit():
        data = services.Registration(
            email=form.email.data,
            full_name=form.full_name.data,
            password=form.password.data,
            country_code=form.country.data,
            represents=Represents(form.represents.data),
            institution_id=form.institution_id,
            institution_other=form.institution_other.data,
            locale=form.locale.data,
            accepted_notice=privacy.NOTICE_VERSION if form.privacy_consent.data else "",
        )
        try:
            services.register(data)
        except services.WeakPassword as error:
            form.password.errors.append(str(error))
        except privacy.ConsentMissing as error:
            form.privacy_consent.errors.append(str(error))
        else:
            return redirect(url_for("accounts.check_email"))
    return render_template("accounts/register.html", form=form)


@bp.get("/register/check-email")
def check_email():
    return render_template(
        "accounts/check_email.html", dev_mail=not current_app.config["SMTP_HOST"]
    )


@bp.get("/confirm/<token>")
def confirm_email(token):
    user = tokens.user_for_confirm_token(token)
    if user is None:
        flash(
            _("This confirmation link is not valid or has expired. Sign in to get a new one."),
            "error",
        )
        return redirect(url_for("accounts.login"))
    services.confirm_email(user)
    flash(_("Your email is confirmed. You can sign in now."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
@_limited(login_limits)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.EmailNotConfirmed as error:
            services.send_confirmation(error.user)
            form.form_errors.append(str(error))
        except services.InvalidCredentials as error:
            services.record_failed_sign_in(error)
            form.form_errors.append(str(error))
        except services.AccountError as error:
            form.form_errors.append(str(error))
        else:
            if user.second_factor:
                factor_views.begin_second_step(user, safe_next_url(form.next.data))
                return redirect(url_for("accounts.second_factor"))
            _start_session(user)
            # Without a `next`, staff land on their own start page: administration for an
            # administrator, the projects to review for a tutor; learners on the home page.
            start = "core.index"
            if user.is_admin or user.is_tutor:
                start = "core_admin.admin_home" if user.is_admin else "capstones_tutor.queue"
            return redirect(safe_next_url(form.next.data) or url_for(start))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    # Any signed-in or signed-out visitor may post here; CSRF protects it either way.
    if current_user.is_authenticated:
        services.end_session(current_user.current_session_key)
        logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "success")
    return redirect(url_for("core.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@_limited(mail_limits)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            _(
                "If an account uses this address, we have sent it a link to reset the password. "
                "The link works once, for one hour."
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@_limited(mail_limits[:1])
def reset_password(token):
    user = tokens.user_for_reset_token(token)
    if user is None:
        flash(
            _("This reset link is not valid, was already used or has expired. Ask for a new one."),
            "error",
        )
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
        except services.WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user
    form = ProfileForm(
        data=None
        if request.method == "POST"
        else {
            "full_name": user.full_name,
            "country": user.country_code,
            "institution_other": user.institution_other,
            "represents": user.represents.value,
            "locale": user.locale,
            "timezone": user.timezone,
        }
    )
    if request.method == "GET":
        form.select_institution(user.institution_id)
    if form.validate_on_submit():
        services.update_profile(
            user,
            full_name=form.full_name.data,
            country_code=form.country.data,
            institution_id=form.institution_id,
            institution_other=form.institution_other.data,
            represents=Represents(form.represents.data),
            locale=form.locale.data,
            timezone=form.timezone.data,
        )
        session["locale"] = form.locale.data
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@_limited(password_change_limits)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except services.InvalidCredentials as error:
            factors.record_wrong_password(current_user)
            form.current_password.errors.append(str(error))
        except services.WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            flash(_("Your password is changed. Your other sessions were signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


class AcceptInvitationForm(ResetPasswordForm):
    """The reset form's fields and rules, for a first password."""

    submit = SubmitField(_l("Set my password and sign in"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@_limited(mail_limits[:1])
def accept_invitation(token):
    """An invited person chooses their first password, which confirms their email."""
    user = tokens.user_for_invitation_token(token)
    if user is None:
        # A page rather than a redirect: it says what happened and what to do next.
        return render_template("accounts/accept_invitation.html", invited=None, form=None)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(user, form.password.data)
        except services.WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            if current_user.is_authenticated:
                services.end_session(current_user.current_session_key)
                logout_user()
            _start_session(user, "invitation")
            flash(_("Your password is set and you are signed in. Welcome to Aula."), "success")
            return redirect(url_for("learning.dashboard"))
    return render_template("accounts/accept_invitation.html", invited=user, form=form)


@bp.get("/account/sessions")
@login_required
def sessions_page():
    """The person's signed-in sessions: device, approximate network, last seen."""
    return render_template(
        "accounts/sessions.html",
        sessions=services.sessions_of(current_user),
        current_id=current_user.current_session_id,
        device_label=device_label,
        approximate_network=approximate_network,
    )


@bp.post("/account/sessions/<public_id>/end")
@login_required
def end_session(public_id):
    """Sign out one of one's own sessions (another's, or one already ended: nothing happens)."""
    ActionForm().validate_on_submit() or abort(400)
    if public_id == current_user.current_session_id:
        return logout()
    services.end_session_by_id(current_user, public_id[:64])
    flash(_("That session is signed out."), "success")
    return redirect(url_for("accounts.sessions_page"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Sign out every session but this one."""
    ActionForm().validate_on_submit() or abort(400)
    services.end_other_sessions(current_user, keep_key=current_user.current_session_key)
    flash(_("Your other sessions are signed out."), "success")
    return redirect(url_for("accounts.sessions_page"))


@bp.get("/account/security")
@login_required
def security_log_page():
    """The person's own security log."""
    page = db.paginate(
        security_log.events_of(current_user), per_page=LOG_PER_PAGE, max_per_page=LOG_PER_PAGE
    )
    return render_template("accounts/security_log.html", page=page, labels=security_log.KIND_LABELS)


# The second factors' routes live on this blueprint too.
from app.accounts import factor_views  # noqa: E402
