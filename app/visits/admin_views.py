"""Administrators' page: the hosts study-visit tours may be embedded from."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.auth import admin_blueprint
from app.visits import services
from app.visits.forms import EmbedHostsForm

bp = admin_blueprint("visits_admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/study-visits/embeds", methods=["GET", "POST"])
def embed_hosts():
    form = EmbedHostsForm(
        data=None if request.method == "POST" else {"hosts": "\n".join(services.allowed_hosts())}
    )
    if form.validate_on_submit():
        services.save_allowed_hosts(form.clean_hosts, current_user)
        flash(_("The list of embed hosts is saved."), "success")
        blocked = [
            item for _course, item in services.embedded_visits()
            if item.content["tour"]["host"] not in form.clean_hosts
        ]  # fmt: skip
        if blocked:
            flash(
                _(
                    "%(count)s study visit(s) embed a tour from a host no longer listed: they "
                    "now show their text and pictures only.",
                    count=len(blocked),
                ),
                "info",
            )
        return redirect(url_for("visits_admin.embed_hosts"))
    allowed = set(services.allowed_hosts())
    return render_template(
        "visits/admin/embed_hosts.html",
        form=form,
        visits=services.embedded_visits(),
        allowed=allowed,
    )
