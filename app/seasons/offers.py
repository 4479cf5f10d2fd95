"""The seasons' side of the catalog's pages (app/catalog/offers.py): which courses are open
for enrolment, which the learner holds a place in, and each course page's enrolment panel."""

from app.catalog.offers import Offers, register_offers
from app.seasons import enrollments, services


def _statuses(user) -> dict[int, str]:
    statuses = {course_id: "open" for course_id in services.enrollable_course_ids()}
    if user is not None:
        statuses.update(dict.fromkeys(enrollments.enrolled_course_ids(user), "enrolled"))
    return statuses


def _panel(course, user) -> tuple[str, dict]:
    offerings = services.current_offerings(course)
    enrollment = waiting = None
    if user is not None:
        enrollment = enrollments.find_enrollment(user, course)
        waiting = services.waiting_positions(user, offerings)
    return "seasons/_course_offer.html", {
        "offerings": offerings,
        "enrollment": enrollment,
        "waiting": waiting or {},
        "enrollment_open": services.enrollment_open,
    }


register_offers(Offers(statuses=_statuses, panel=_panel))
