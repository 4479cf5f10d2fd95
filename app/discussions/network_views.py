"""Thematic networks' pages: the list with join and leave, a network's board, its
moderators' pages; administrators' page to create networks and name moderators."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.auth import admin_blueprint
from app.core.forms import strip_filter
from app.core.i18n import localise
from app.discussions import networks, services
from app.discussions.moderation_views import lock_page, moderate_page, reports_page
from app.discussions.services import DiscussionError, Place
from app.discussions.views import _board, post_limit
from app.extensions import csrf

bp = Blueprint("networks", __name__, template_folder="templates", url_prefix="/networks")
admin_bp = admin_blueprint("networks_admin", __name__, url_prefix="/admin/networks")


def load_network(slug: str):
    return networks.network_by_slug(slug) or abort(404)


@bp.get("")
@login_required
def index():
    return render_template(
        "discussions/networks.html",
        networks=networks.all_networks(),
        memberships=networks.memberships_of(current_user),
    )


@bp.post("/<slug>/join")
@login_required
def join(slug):
    network = load_network(slug)
    networks.join(network, current_user)
    flash(_("You joined %(name)s.", name=network.name), "success")
    return redirect(url_for("networks.board", slug=network.slug))


@bp.post("/<slug>/leave")
@login_required
def leave(slug):
    network = load_network(slug)
    networks.leave(network, current_user)
    flash(_("You left %(name)s.", name=network.name), "success")
    return redirect(url_for("networks.index"))


@bp.route("/<slug>/board", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked in the board's view, once the larger request limit is in place
@post_limit
def board(slug):
    network = load_network(slug)
    return _board(Place(network=network))


def _moderator_or_403(place: Place) -> None:
    if place.network is None or not services.can_moderate(current_user, place):
        abort(403)


@bp.get("/<slug>/moderation")
@login_required
def reports(slug):
    return reports_page(Place(network=load_network(slug)), _moderator_or_403)


@bp.route("/posts/<int:post_id>/moderate", methods=["GET", "POST"])
@login_required
def moderate(post_id):
    return moderate_page(post_id, _moderator_or_403)


@bp.post("/threads/<int:thread_id>/lock")
@login_required
def lock(thread_id):
    return lock_page(thread_id, _moderator_or_403)


class NetworkForm(FlaskForm):
    slug = StringField(
        _l("Address (lower-case words joined by hyphens)"),
        validators=[DataRequired(), Length(max=60)],
        filters=[strip_filter],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)], filters=[strip_filter]
    )
    description = TextAreaField(_l("What it is about"), validators=[Length(max=2000)])
    members_only = BooleanField(_l("Members only (others cannot read the board)"))
    course = SelectField(
        _l("Its theme's course (learners are invited when their cohort ends)"),
        choices=[],
        coerce=int,
        default=0,
    )
    submit = SubmitField(_l("Create the network"))


class ModeratorForm(FlaskForm):
    email = StringField(
        _l("Email of the new moderator"), validators=[DataRequired(), Length(max=254)]
    )
    submit = SubmitField(_l("Name moderator"))


def all_courses():
    from sqlalchemy import select

    from app.catalog.models import Course
    from app.extensions import db

    return db.session.scalars(select(Course).order_by(Course.position, Course.slug)).all()


@admin_bp.route("", methods=["GET", "POST"])
def manage():
    form = NetworkForm()
    form.course.choices = [(0, "—")] + [
        (course.id, str(localise(course.title, course.language))) for course in all_courses()
    ]
    if form.validate_on_submit():
        try:
            network = networks.create_network(
                form.slug.data,
                form.name.data,
                form.description.data,
                form.members_only.data,
                course_id=form.course.data,
            )
        except DiscussionError as error:
            form.slug.errors = [*form.slug.errors, str(error)]
        else:
            flash(_("The network %(name)s was created.", name=network.name), "success")
            return redirect(url_for("networks_admin.manage"))
    found = networks.all_networks()
    return render_template(
        "discussions/admin_networks.html",
        form=form,
        networks=found,
        moderators={n.id: networks.moderators_of(n) for n, _count in found},
        moderator_form=ModeratorForm(formdata=None),
    )


@admin_bp.post("/<slug>/moderators")
def add_moderator(slug):
    network = load_network(slug)
    form = ModeratorForm()
    if form.validate_on_submit():
        try:
            user = networks.name_moderator(network, form.email.data)
        except DiscussionError as error:
            flash(str(error), "error")
        else:
            # (an empty email is answered by the page's required field; nothing changes)
            flash(
                _("%(name)s moderates %(network)s.", name=user.full_name, network=network.name),
                "success",
            )
    return redirect(url_for("networks_admin.manage"))
