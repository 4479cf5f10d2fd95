"""URLs built once for many rows (url_for_ids) or for every page (the layout's fixed_url), the
same as url_for's."""

import pytest

from app.accounts.models import Role
from app.core.urls import url_for_ids


@pytest.mark.parametrize("script_root", ["", "/aula"])
def test_each_ids_url_is_what_url_for_gives(app, script_root):
    from flask import url_for

    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": script_root}):
        review_url = url_for_ids("capstones_tutor.review", "submission_id")
        enrolment_url = url_for_ids("seasons_admin.offering", "offering_id", tab="waiting")
        for row_id in (1, 7, 42, 2**31 - 1):
            assert review_url(row_id) == url_for("capstones_tutor.review", submission_id=row_id)
            assert enrolment_url(row_id) == url_for(
                "seasons_admin.offering", offering_id=row_id, tab="waiting"
            )
        assert review_url(5).startswith(f"{script_root}/")
        # A value that is a query argument is placed the same way.
        page_url = url_for_ids("catalog.catalog", "page")
        assert page_url(3) == url_for("catalog.catalog", page=3)


def test_an_id_is_written_as_a_number_only(app):
    with app.test_request_context("/"):
        review_url = url_for_ids("capstones_tutor.review", "submission_id")
        with pytest.raises(ValueError):
            review_url("1/../../admin")


def test_the_layouts_links_follow_the_script_root_they_are_served_under(client, login_as):
    """The layout's links are built once per script root (fixed_url), not once for all."""
    login_as(Role.TUTOR, locale="en")
    for script_root in ("/aula", "", "/other"):
        html = client.get("/courses", environ_overrides={"SCRIPT_NAME": script_root}).text
        for path in ("/courses", "/dashboard", "/tutor/capstones", "/account/profile", "/logout"):
            assert f'href="{script_root}{path}"' in html or f'action="{script_root}{path}"' in html
        if script_root:
            assert 'href="/courses"' not in html
