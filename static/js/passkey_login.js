// The login page's "Sign in with a passkey": allauth's WebAuthn login (mfa/js/webauthn.js)
// bound to its button, from a file since the Content Security Policy allows no inline script.
document.addEventListener("DOMContentLoaded", () => {
  window.allauth.webauthn.forms.loginForm({
    ids: { login: "passkey_login", credential: "mfa_credential" },
  });
});
