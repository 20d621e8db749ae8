// Signing in, registering, confirming the address and resetting the password. A registration
// signs the new patient in at once where it can; a sign-up answers alike for a taken address
// (auth tells no one who has an account), so when the sign-in fails the screen says to check
// the inbox instead of naming an error.
import { html, useState, useEffect, Field, ErrorNote } from "./ui.js";
import { signIn, register, restore, requestReset, confirmReset, post, ApiError } from "./api.js";
import * as S from "./strings.js";

function useSubmit(action) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const onSubmit = async (ev) => {
    ev.preventDefault();
    const form = Object.fromEntries(new FormData(ev.currentTarget));
    setBusy(true);
    setError(null);
    try {
      await action(form);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return [busy, error, onSubmit];
}

const fieldError = (error, name) => (error instanceof ApiError ? error.fields[name] : undefined);

export function SignIn({ go }) {
  const t = S.signIn;
  const [busy, error, onSubmit] = useSubmit(async (f) => {
    await signIn(f.email, f.password);
    go("#/");
  });
  return html`<section aria-labelledby="h-sign-in" class="narrow">
    <h1 id="h-sign-in">${t.title}</h1>
    <form onSubmit=${onSubmit} novalidate>
      <${ErrorNote} error=${error} strings=${S.common} />
      <${Field} label=${t.email} name="email" type="email" autocomplete="username" required error=${fieldError(error, "email")} />
      <${Field} label=${t.password} name="password" type="password" autocomplete="current-password" required error=${fieldError(error, "password")} />
      <button type="submit" disabled=${busy}>${busy ? t.busy : t.submit}</button>
    </form>
    <p><a href="#/reset-password">${t.forgot}</a></p>
    <p>${t.noAccount} <a href="#/register">${t.register}</a></p>
  </section>`;
}

export function Register({ go }) {
  const t = S.register;
  const [sentTo, setSentTo] = useState(null);
  const [busy, error, onSubmit] = useSubmit(async (f) => {
    await register(f.email, f.display_name, f.password);
    try {
      await signIn(f.email, f.password);
      go("#/doctors");
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      setSentTo(f.email);
    }
  });
  if (sentTo)
    return html`<section aria-labelledby="h-registered" class="narrow">
      <h1 id="h-registered">${S.registered.title}</h1>
      <p role="status">${S.registered.sent(sentTo)}</p>
      <p><a href="#/sign-in">${S.signIn.submit}</a></p>
    </section>`;
  return html`<section aria-labelledby="h-register" class="narrow">
    <h1 id="h-register">${t.title}</h1>
    <form onSubmit=${onSubmit} novalidate>
      <${ErrorNote} error=${error} strings=${S.common} />
      <${Field} label=${t.name} name="display_name" autocomplete="name" required error=${fieldError(error, "display_name")} />
      <${Field} label=${t.email} name="email" type="email" autocomplete="email" required error=${fieldError(error, "email")} />
      <${Field} label=${t.password} name="password" type="password" autocomplete="new-password" required hint=${t.passwordHint} error=${fieldError(error, "password")} />
      <button type="submit" disabled=${busy}>${busy ? t.busy : t.submit}</button>
    </form>
    <p>${t.haveAccount} <a href="#/sign-in">${t.signIn}</a></p>
  </section>`;
}

/** Where the mailed verification link lands (auth verified, or not, and redirected here). */
export function Verified({ query }) {
  const t = S.verify;
  const ok = query.result === "verified";
  // A signed-in session learns of it at once: the next token carries the confirmed address.
  useEffect(() => {
    if (ok) restore().catch(() => {});
  }, [ok]);
  return html`<section aria-labelledby="h-verified" class="narrow">
    <h1 id="h-verified">${t.title}</h1>
    <p class=${ok ? "success" : "error"} role="status">${ok ? t.verified : t.expired}</p>
    <p><a href="#/doctors">${S.nav.findDoctor}</a></p>
  </section>`;
}

/** The banner an unconfirmed account sees where the clinic asks for a confirmed address. */
export function VerifyBanner() {
  const t = S.verify;
  const [sent, setSent] = useState(false);
  const [error, setError] = useState(null);
  const resend = async () => {
    setError(null);
    try {
      await post("/api/auth/verify-email/resend");
      setSent(true);
    } catch (e) {
      setError(e);
    }
  };
  return html`<div class="banner" role="status">
    <p>${t.banner}</p>
    ${sent ? html`<p>${t.resent}</p>` : html`<button type="button" class="secondary" onClick=${resend}>${t.resend}</button>`}
    <${ErrorNote} error=${error} strings=${S.common} />
  </div>`;
}

/** Asking for a reset link, or (with the link's token) choosing the new password. */
export function ResetPassword({ query }) {
  const t = S.reset;
  const [done, setDone] = useState(null);
  const token = query.token;
  const [busy, error, onSubmit] = useSubmit(async (f) => {
    if (token) {
      await confirmReset(token, f.password);
      setDone(t.done);
    } else {
      await requestReset(f.email);
      setDone(t.sent);
    }
  });
  return html`<section aria-labelledby="h-reset" class="narrow">
    <h1 id="h-reset">${token ? t.choose : t.title}</h1>
    ${done
      ? html`<p class="success" role="status">${done}</p><p><a href="#/sign-in">${t.signIn}</a></p>`
      : html`<form onSubmit=${onSubmit} novalidate>
          ${fieldError(error, "token")
            ? html`<p class="error" role="alert">${t.deadLink} <a href="#/reset-password">${t.askAgain}</a></p>`
            : html`<${ErrorNote} error=${error} strings=${S.common} />`}
          ${token
            ? html`<${Field} label=${t.password} name="password" type="password" autocomplete="new-password" required hint=${S.register.passwordHint} error=${fieldError(error, "password")} />`
            : html`<p>${t.intro}</p>
                <${Field} label=${t.email} name="email" type="email" autocomplete="username" required error=${fieldError(error, "email")} />`}
          <button type="submit" disabled=${busy}>${busy ? (token ? t.saving : t.sending) : token ? t.save : t.send}</button>
        </form>`}
  </section>`;
}

export { fieldError, useSubmit };
