"""The administrators' form for the embed allow-list."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import ValidationError

from app.visits.embeds import MAX_HOSTS, host_problem

MAX_TEXT = 5000
SHOWN_ERRORS = 5


class EmbedHostsForm(FlaskForm):
    """One exact host per line; blank lines are ignored."""

    hosts = TextAreaField(
        _l("Allowed hosts, one per line"),
        description=_l(
            "Exact host names, such as www.youtube-nocookie.com: no https://, no paths, "
            "no wildcards. Tours are framed only from these hosts."
        ),
        render_kw={"rows": 8, "spellcheck": "false", "autocapitalize": "none"},
    )
    submit = SubmitField(_l("Save the list"))

    def validate_hosts(self, field):
        # gettext, not lazy_gettext: a lazy string counts as safe markup in templates, and
        # these messages quote what was typed.
        text = field.data or ""
        if len(text) > MAX_TEXT:
            raise ValidationError(
                _(
                    "At most %(count)s characters; this has %(given)s.",
                    count=MAX_TEXT,
                    given=len(text),
                )
            )
        hosts = [line.strip() for line in text.splitlines() if line.strip()]
        if not hosts:
            raise ValidationError(_("List at least one host."))
        if len(hosts) > MAX_HOSTS:
            raise ValidationError(_("At most %(count)s hosts.", count=MAX_HOSTS))
        errors = []
        for number, line in enumerate(text.splitlines(), start=1):
            host = line.strip()
            if host and (problem := host_problem(host.lower())) is not None:
                shown = host if len(host) <= 60 else host[:60] + "…"
                errors.append(
                    _(
                        "Line %(line)s (“%(host)s”): %(problem)s",
                        line=number,
                        host=shown,
                        problem=problem,
                    )
                )
        if errors:
            if len(errors) > SHOWN_ERRORS:
                more = len(errors) - SHOWN_ERRORS
                errors = errors[:SHOWN_ERRORS] + [_("… and %(count)s more.", count=more)]
            field.errors.extend(errors)
            raise ValidationError(_("Correct the lines above; nothing was saved."))
        self.clean_hosts = [h.lower() for h in hosts]
