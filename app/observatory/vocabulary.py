"""The observatory's fixed lists: themes and audiences, stored by key, shown translated."""

from flask_babel import lazy_gettext as _l

THEMES = {
    "qualifications": _l("Qualifications frameworks"),
    "apprenticeship": _l("Apprenticeship"),
    "osh": _l("Occupational safety and health"),
    "green": _l("Green jobs"),
    "digital": _l("Digital transformation"),
    "distance": _l("Distance and online training"),
    "inclusion": _l("Inclusion and equity"),
    "dialogue": _l("Social dialogue"),
    "other": _l("Other themes"),
}

AUDIENCES = {
    "learners": _l("Learners and trainees"),
    "instructors": _l("Instructors and tutors"),
    "staff": _l("Managers and staff of institutions"),
    "partners": _l("Employers and workers"),
    "everyone": _l("Everyone"),
}
