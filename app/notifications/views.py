"""The notification centre's pages, and the unsubscribe link that works signed out."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField

from app.core.auth import safe_next_url
from app.core.views import render_error
from app.extensions import csrf
from app.notifications import services
from app.notifications.kinds import Delivery, all_kinds

bp = Blueprint("notifications", __name__, template_folder="templates")

DELIVERY_LABELS = {
    Delivery.PLATFORM: lambda: _("In the platform only"),
    Delivery.MAIL: lambda: _("A mail at once"),
    Delivery.DIGEST: lambda: _("A daily digest"),
}


@bp.get("/notifications")
@login_required
def inbox():
    page = services.page_of(current_user, request.args.get("page", 1, int))
    return render_template(
        "notifications/inbox.html",
        page=page,
        lines={n.id: services.describe(n) for n in page.items},
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id):
    """Mark it read and go where it leads."""
    found = services.own_notification(current_user, notification_id) or abort(404)
    services.mark_read(found)
    return redirect(safe_next_url(found.link) or url_for("notifications.inbox"))


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    services.mark_all_read(current_user)
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.inbox"))


def _settings_form(current: dict):
    class SettingsForm(FlaskForm):
        submit = SubmitField(_("Save"))

    for kind in all_kinds():
        setattr(
            SettingsForm,
            f"kind_{kind.name.replace('.', '__')}",
            RadioField(
                str(kind.label),
                choices=[(d.value, DELIVERY_LABELS[d]()) for d in kind.choices()],
                default=current[kind.name].value,
            ),
        )
    return SettingsForm()


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = _settings_form(services.preferences(current_user))
    if form.validate_on_submit():
        services.set_preferences(
            current_user,
            {kind.name: form[f"kind_{kind.name.replace('.', '__')}"].data for kind in all_kinds()},
        )
        flash(_("Your choices were saved."), "success")
        return redirect(url_for("notifications.settings"))
    fields = [form[f"kind_{kind.name.replace('.', '__')}"] for kind in all_kinds()]
    return render_template("notifications/settings.html", form=form, fields=fields)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # a mail client's one-click POST carries no form token: the signed token is it
def unsubscribe(token):
    """Stop mail of one kind (or all) without signing in: a page with a button, or the
    one-click POST of RFC 8058 (`List-Unsubscribe=One-Click`)."""
    one_click = request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST" and not one_click:
        csrf.protect()  # the page's own button
    found = services.read_unsubscribe_token(token)
    if found is None:
        if one_click:
            return render_error(400, _("This link is not valid."))
        return render_template("notifications/unsubscribe.html", valid=False), 200
    user, kind_name = found
    if request.method == "POST":
        services.unsubscribe(user, kind_name)
        if one_click:
            return "", 200
        return render_template("notifications/unsubscribe.html", valid=True, done=True)
    return render_template("notifications/unsubscribe.html", valid=True, done=False)
