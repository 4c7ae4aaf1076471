// Sign-in: password (POST /v2/checkcreds/), then a TOTP code (POST /v2/login/) when the
// two-factor plugin asks for one, or its enrollment (setup_totp / confirm_totp with the
// enrollment-limited token) when the account has none yet and two-factor is required.
import { api, session } from "./api.js";
import { h, replace, errorLine } from "./dom.js";

export function signInView(main, { done, message }) {
  const error = h("div", { id: "signin-error", "aria-live": "assertive" }, message ? errorLine(message) : null);
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", id: "signin-submit" }, "Sign in");
  const form = h("form", { class: "stack", id: "signin-form", "aria-describedby": "signin-error" },
    h("label", { for: "username" }, "Username", username),
    h("label", { for: "password" }, "Password", password),
    submit);
  replace(main, h("section", { class: "panel signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Garrison"), error, form));
  username.focus();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(error);
    const credentials = { username: username.value.trim(), password: password.value };
    try {
      const answer = await api("POST", "/v2/checkcreds/", credentials, { token: null });
      if (answer && answer.token && answer.scope === "2fa-enroll") return enrollView(main, credentials, answer.token, done);
      if (answer && answer.token) { session.set(answer.token, answer.username || credentials.username); return done(); }
      if (answer && answer.totp) return codeView(main, credentials, done);
      replace(error, errorLine("The server did not say how to continue signing in."));
    } catch (failure) {
      replace(error, errorLine(failure));
    }
    submit.disabled = false;
  });
}

function codeView(main, credentials, done, note) {
  const error = h("div", { id: "code-error", "aria-live": "assertive" });
  const code = h("input", { id: "totp", name: "totp", inputmode: "numeric", autocomplete: "one-time-code", required: true,
    pattern: "[0-9A-Za-z-]{6,}", "aria-describedby": "totp-help" });
  const submit = h("button", { type: "submit", id: "totp-submit" }, "Verify");
  const form = h("form", { class: "stack", id: "totp-form" },
    h("label", { for: "totp" }, "Authentication code", code),
    h("p", { id: "totp-help", class: "muted" }, "The 6-digit code from your authenticator app, or one of your recovery codes."),
    submit);
  replace(main, h("section", { class: "panel signin", "aria-labelledby": "totp-title" },
    h("h1", { id: "totp-title" }, "Two-factor sign-in"), note ? h("p", {}, note) : null, error, form));
  code.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(error);
    try {
      const answer = await api("POST", "/v2/login/", { ...credentials, twofactor: code.value.trim() }, { token: null });
      session.set(answer.token, answer.username || credentials.username);
      return done();
    } catch (failure) {
      replace(error, errorLine(failure));
      code.select();
    }
    submit.disabled = false;
  });
}

async function enrollView(main, credentials, limitedToken, done) {
  const status = h("div", { "aria-live": "polite" }, h("p", {}, "Preparing two-factor enrollment…"));
  replace(main, h("section", { class: "panel signin", "aria-labelledby": "enroll-title" },
    h("h1", { id: "enroll-title" }, "Set up two-factor sign-in"), status));
  let setup;
  try {
    setup = await api("POST", "/accounts/users/setup_totp/", {}, { token: limitedToken });
  } catch (failure) {
    return replace(status, errorLine(failure));
  }
  const error = h("div", { id: "enroll-error", "aria-live": "assertive" });
  const code = h("input", { id: "enroll-code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
  const submit = h("button", { type: "submit", id: "enroll-submit" }, "Confirm");
  const form = h("form", { class: "stack", id: "enroll-form" },
    h("label", { for: "enroll-code" }, "Code shown by the app", code), submit);
  replace(status,
    h("p", {}, "Two-factor sign-in is required for your account. Scan this code with an authenticator app, or type the key."),
    setup.qr_png ? h("img", { class: "qr", src: `data:image/png;base64,${setup.qr_png}`, alt: "QR code holding your two-factor key" }) : null,
    h("p", {}, "Key: ", h("code", { id: "totp-secret" }, setup.secret || setup.totp_key || "")),
    error, form);
  code.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(error);
    try {
      const answer = await api("POST", "/accounts/users/confirm_totp/", { code: code.value.trim() }, { token: limitedToken });
      const codes = (answer && answer.recovery_codes) || [];
      const next = h("button", { type: "button", id: "enroll-continue" }, "Continue to sign-in");
      replace(status,
        h("p", {}, "Two-factor sign-in is set up. Keep these recovery codes somewhere safe; each works once, and they are shown only now."),
        h("ul", { class: "plain", id: "recovery-codes" }, codes.map((c) => h("li", {}, h("code", {}, c)))),
        next);
      next.addEventListener("click", () => codeView(main, credentials, done, "Now sign in with a new code from the app."));
      next.focus();
      return;
    } catch (failure) {
      replace(error, errorLine(failure));
    }
    submit.disabled = false;
  });
}
