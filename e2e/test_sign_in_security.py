"""Second factors in Chromium: an authenticator app set up and used with codes computed as
the app would, recovery codes, a passkey through the DevTools virtual authenticator, and an
admin that stays shut without a second factor. localhost over plain HTTP is a secure
context, so WebAuthn works against the live server."""

import re

from playwright.sync_api import expect

from e2e.helpers import PASSWORD, accessibility_violations, shot
from students.tests.signin import give_totp, totp_code


def log_in_with_password(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Examiner login")


def confirm_password(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def test_an_examiner_sets_up_an_authenticator_app_and_signs_in_with_its_code(pages, examiner):
    page = pages.new()
    log_in_with_password(page, examiner)
    expect(page.get_by_role("heading", level=1)).to_have_text("My exams")

    page.get_by_role("link", name="Sign-in security").click()
    page.get_by_role("link", name="Activate").click()
    confirm_password(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    shot(page, "totp-activate", full_page=True)
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10
    shot(page, "recovery-codes", full_page=True)
    log_out(page)

    log_in_with_password(page, examiner)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    shot(page, "totp-sign-in")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My exams")
    log_out(page)

    # The phone is lost: a recovery code stands in for the app's code, once.
    for attempt in ("first", "again"):
        log_in_with_password(page, examiner)
        page.get_by_label("Code").fill(codes[0])
        page.get_by_role("button", name="Sign In").click()
        if attempt == "first":
            expect(page.get_by_role("heading", level=1)).to_have_text("My exams")
            log_out(page)
    expect(page.get_by_text("Incorrect code.")).to_be_visible()


def add_virtual_authenticator(page):
    """Chromium's DevTools virtual authenticator: a platform passkey that verifies its user
    and answers at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, authenticator["authenticatorId"]


def test_a_superuser_registers_a_passkey_signs_in_with_it_and_reaches_the_admin(pages, examiner):
    examiner.is_superuser = True
    examiner.save()
    page = pages.new()
    cdp, authenticator = add_virtual_authenticator(page)
    log_in_with_password(page, examiner)

    page.get_by_role("link", name="Sign-in security").click()
    page.get_by_role("link", name="Add").click()
    confirm_password(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    page.get_by_label("Name").fill("Laptop")
    page.get_by_label("Passwordless").check()
    shot(page, "passkey-add", full_page=True)
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    log_out(page)

    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My exams")

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def test_a_superuser_without_a_second_factor_is_kept_out_of_the_admin(pages, examiner):
    examiner.is_superuser = True
    examiner.save()
    page = pages.new()
    log_in_with_password(page, examiner)
    expect(page.get_by_role("heading", level=1)).to_have_text("My exams")

    response = page.goto("/admin/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("The admin needs a second factor")
    shot(page, "admin-second-factor")
    page.get_by_role("link", name="Sign-in security").last.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))


def test_the_sign_in_security_pages_have_no_serious_accessibility_violations(pages, examiner):
    page = pages.new(bypass_csp=True)  # axe-core is injected as an inline script
    secret = give_totp(examiner)
    log_in_with_password(page, examiner)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    found = accessibility_violations(page, "second-factor")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()

    page.get_by_role("link", name="Sign-in security").click()
    found += accessibility_violations(page, "sign-in-security")
    page.goto("/accounts/2fa/webauthn/add/")
    confirm_password(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    found += accessibility_violations(page, "passkey-add")
    page.goto("/accounts/2fa/recovery-codes/")
    found += accessibility_violations(page, "recovery-codes")

    assert found == []
