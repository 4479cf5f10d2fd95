"""Privacy pages: the notice, a person's own data as JSON, and deleting one's account.

Nobody downloads or deletes another person's data here: every route acts on the signed-in
person only (there is no admin path; an administrator who is asked for someone's data
points them to these pages).
"""

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts import privacy
from app.accounts.privacy_forms import ConfirmDeletionForm, DeleteAccountForm
from app.core.forms import ActionForm
from app.extensions import limiter

bp = Blueprint("privacy", __name__, template_folder="templates")


def _per_person() -> str:
    return f"delete-account:{current_user.get_id() and current_user.id}"


# Typing the password again is a password check: limited per person like a sign-in.
deletion_limit = limiter.limit("5 per minute;20 per hour", methods=["POST"], key_func=_per_person)


def _notice_context() -> dict:
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return {
        "notice_version": privacy.NOTICE_VERSION,
        "session_days": max(1, lifetime.days),
        "kept": privacy.kept_after_deletion(),
    }


@bp.get("/privacy")
def notice():
    """The privacy notice, for everyone."""
    return render_template("accounts/privacy/notice.html", **_notice_context())


@bp.get("/account/privacy")
@login_required
def my_data():
    consents = privacy.consents_of(current_user)
    return render_template(
        "accounts/privacy/my_data.html",
        consents=consents,
        accepted=privacy.has_accepted_current_notice(consents),
        **_notice_context(),
    )


@bp.post("/account/privacy/accept")
@login_required
def accept_notice():
    """Accept the notice in force: people whose account was made for them (an invitation),
    or who accepted an earlier version."""
    form = ActionForm()
    if form.validate_on_submit():
        privacy.record_consent(current_user, privacy.NOTICE_VERSION)
        flash(_("Thank you: your acceptance of the privacy notice is recorded."), "success")
    return redirect(url_for("privacy.my_data"))


@bp.get("/account/privacy/my-data.json")
@login_required
def export():
    """Everything the platform holds about the signed-in person, as a JSON download."""
    document = privacy.export_personal_data(current_user)
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False),
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{privacy.export_filename(current_user)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@deletion_limit
def delete_account():
    """Step one: what goes and what stays; the person types their password again."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            token = privacy.check_password_for_deletion(current_user, form.password.data)
        except privacy.WrongPassword as error:
            form.password.errors.append(str(error))
        except privacy.PrivacyError as error:
            form.form_errors.append(str(error))
        else:
            confirm = ConfirmDeletionForm(formdata=None, confirmation=token)
            return render_template("accounts/privacy/confirm_delete.html", form=confirm)
    return render_template("accounts/privacy/delete.html", form=form, **_notice_context())


@bp.post("/account/delete/confirm")
@login_required
@deletion_limit
def confirm_delete():
    """Step two: the account and everything about the person go, in one transaction."""
    form = ConfirmDeletionForm()
    if form.validate_on_submit():
        locale = current_user.locale
        try:
            privacy.delete_account(current_user, form.confirmation.data)
        except privacy.PrivacyError as error:
            form = DeleteAccountForm(formdata=None)
            form.form_errors.append(str(error))
        else:
            logout_user()
            session.clear()
            session["locale"] = locale  # the goodbye in their language
            flash(_("Your account and your data are deleted. Thank you for learning with us."))
            return redirect(url_for("core.index"))
    else:
        form = DeleteAccountForm(formdata=None)
        form.form_errors.append(_("Please type your password again to confirm."))
    return render_template("accounts/privacy/delete.html", form=form, **_notice_context())
