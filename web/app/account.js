// Signing in and registering. A registration signs the new patient in at once.
import { html, useState, Field, ErrorNote } from "./ui.js";
import { signIn, register, ApiError } from "./api.js";
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
    <p>${t.noAccount} <a href="#/register">${t.register}</a></p>
  </section>`;
}

export function Register({ go }) {
  const t = S.register;
  const [busy, error, onSubmit] = useSubmit(async (f) => {
    await register(f.email, f.display_name, f.password);
    await signIn(f.email, f.password);
    go("#/doctors");
  });
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

export { fieldError, useSubmit };
