"""The layout's links, built once per script root (fixed_url in app/__init__.py), are the
same as url_for's."""

from app.accounts.models import Role


def test_the_layouts_links_follow_the_script_root_they_are_served_under(client, login_as):
    """The layout's links are built once per script root (fixed_url), not once for all."""
    login_as(Role.TUTOR, locale="en")
    for script_root in ("/aula", "", "/other"):
        html = client.get("/courses", environ_overrides={"SCRIPT_NAME": script_root}).text
        for path in ("/courses", "/dashboard", "/tutor/capstones", "/account/profile", "/logout"):
            assert f'href="{script_root}{path}"' in html or f'action="{script_root}{path}"' in html
        if script_root:
            assert 'href="/courses"' not in html
