"""Journey (p): in Portuguese, on a phone, a learner registers accepting the privacy notice,
downloads their data, and (with JavaScript off) deletes their account in two steps.

axe-core needs JavaScript to run, so the pages are checked in a context with it on; the
deletion is then done again from a context with it off, as a plain-HTML browser would."""

import json
import re

from tests.e2e.conftest import (
    PHONE,
    assert_accessible,
    assert_fits_phone,
    downloaded,
    expect,
    snapshot,
)

EMAIL = "joao.privacidade@example.org"
PASSWORD = "janela azul do laboratório 9"


def phone_context(browser, live_server, *, javascript: bool):
    context = browser.new_context(
        viewport=PHONE, locale="pt-BR", base_url=live_server.url, java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    return context


def sign_in(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Senha").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r"/$"))


def test_a_learner_downloads_their_data_and_deletes_their_account(browser, live_server):
    context = phone_context(browser, live_server, javascript=True)
    page = context.new_page()
    try:
        page.goto("/register")
        expect(page.get_by_role("heading", name="Seus dados, em resumo")).to_be_visible()
        page.get_by_label("Nome completo").fill("João Privacidade")
        page.get_by_label("E-mail", exact=True).fill(EMAIL)
        page.get_by_label("Senha", exact=True).fill(PASSWORD)
        page.get_by_label("Repita a senha").fill(PASSWORD)
        page.get_by_label("País").select_option("BR")
        page.get_by_label("Instituição", exact=True).select_option(index=1)
        page.get_by_label("Uma instituição de formação profissional").check()
        # Without ticking the notice, nothing is created and the reason stands by the box.
        page.get_by_role("button", name="Criar minha conta").click()
        expect(page.get_by_text("Aceite o aviso de privacidade para se cadastrar.")).to_be_visible()
        assert live_server.query("SELECT count(*) FROM user_account WHERE email = ?", EMAIL) == [
            (0,)
        ]
        page.get_by_label("Senha", exact=True).fill(PASSWORD)
        page.get_by_label("Repita a senha").fill(PASSWORD)
        page.get_by_label("Li o aviso de privacidade").check()
        assert_accessible(page)
        snapshot(page, "p1-register-notice")
        page.get_by_role("button", name="Criar minha conta").click()
        page.wait_for_url("**/register/check-email")
        ((version,),) = live_server.query(
            "SELECT notice_version FROM privacy_consent JOIN user_account "
            "ON user_account.id = privacy_consent.user_id WHERE email = ?",
            EMAIL,
        )
        assert version

        ((body,),) = live_server.query(
            "SELECT body FROM outbox_message WHERE recipient = ? ORDER BY id DESC LIMIT 1", EMAIL
        )
        page.goto(re.search(r"https?://\S+/confirm/\S+", body).group(0))
        sign_in(page)
        page.goto("/account/profile")
        page.get_by_role("link", name="Meus dados e privacidade").click()
        assert_accessible(page)
        assert_fits_phone(page)
        snapshot(page, "p2-my-data")
        data = json.loads(downloaded(page, page.get_by_role("link", name="Baixar meus dados")))
        assert data["account"]["email"] == EMAIL
        assert data["privacy_consents"][0]["notice_version"] == version

        page.get_by_role("link", name="Excluir minha conta").click()
        expect(page.get_by_role("heading", name="O que permanece, e por quê")).to_be_visible()
        page.get_by_label("Sua senha").fill("not my password")
        page.get_by_role("button", name="Continuar").click()
        # The answer is the same page with the error: wait for it, the click does not.
        page.get_by_text("A senha não está correta.").wait_for()
        expect(page.get_by_text("A senha não está correta.")).to_be_visible()
        assert_accessible(page)
        snapshot(page, "p3-delete")
        page.get_by_label("Sua senha").fill(PASSWORD)
        page.get_by_role("button", name="Continuar").click()
        assert_accessible(page)
        assert_fits_phone(page)
        snapshot(page, "p4-confirm")
        page.get_by_role("link", name="Manter minha conta").click()  # not yet
        page.goto("/privacy")
        assert_accessible(page)
        snapshot(page, "p5-notice")
    finally:
        context.close()

    # The same two steps with JavaScript off: plain forms.
    context = phone_context(browser, live_server, javascript=False)
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/account/delete")
        page.get_by_label("Sua senha").fill(PASSWORD)
        page.get_by_role("button", name="Continuar").click()
        page.get_by_role("button", name="Excluir minha conta e meus dados para sempre").click()
        page.wait_for_url(re.compile(r"/$"))
        expect(page.get_by_text("Sua conta e seus dados foram excluídos.")).to_be_visible()
        assert live_server.query("SELECT count(*) FROM user_account WHERE email = ?", EMAIL) == [
            (0,)
        ]
        assert live_server.query(
            "SELECT count(*) FROM outbox_message WHERE recipient = ?", EMAIL
        ) == [(0,)]
    finally:
        context.close()
