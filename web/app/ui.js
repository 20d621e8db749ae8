// Small shared pieces: the UI library, fields that show the problem naming them, dates through
// Intl, and the messages every screen shows the same way.
import { html, useState, useEffect } from "/vendor/htm-3.1.1/standalone.module.js";
import { ApiError } from "./api.js";

export { html, useState, useEffect };

let fieldSeq = 0;

/** A labelled input; `error` (from an ApiError's fields) is shown under it and announced. */
export function Field({ label, name, error, hint, type = "text", ...rest }) {
  const [id] = useState(() => `f-${name}-${++fieldSeq}`);
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  const input =
    type === "textarea"
      ? html`<textarea id=${id} name=${name} aria-invalid=${error ? "true" : undefined} aria-describedby=${described} ...${rest}></textarea>`
      : type === "select"
        ? html`<select id=${id} name=${name} aria-invalid=${error ? "true" : undefined} aria-describedby=${described} ...${rest}>${rest.children}</select>`
        : html`<input id=${id} name=${name} type=${type} aria-invalid=${error ? "true" : undefined} aria-describedby=${described} ...${rest} />`;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${input}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

/** What went wrong, in words: an unreachable service is said so, a problem gives its detail. */
export function ErrorNote({ error, strings }) {
  if (!error) return null;
  const text =
    error instanceof ApiError && error.status === 0
      ? strings.unreachable
      : error instanceof ApiError && Object.keys(error.fields).length
        ? strings.fixFields
        : error.message;
  return html`<p class="error" role="alert">${text}</p>`;
}

export const Loading = ({ text }) => html`<p class="loading" role="status">${text}</p>`;
export const Empty = ({ text }) => html`<p class="empty">${text}</p>`;

/**
 * Loads `fn()` when `deps` change: [data, error, reload]. A reload of the same thing (after an
 * action, or a live notification) keeps what is shown until the new answer replaces it, so the
 * screen does not flash; new deps clear it.
 */
export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: undefined, error: null, key: null });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(deps);
  useEffect(() => {
    let live = true;
    setState((s) => (s.key === key ? s : { data: undefined, error: null, key }));
    fn().then(
      (data) => live && setState({ data, error: null, key }),
      (error) => live && setState({ data: undefined, error, key }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state.data, state.error, () => setTick((t) => t + 1)];
}

/** The viewer's own time zone (the browser's). */
export const myZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An instant as a date and time, in `timeZone` (the viewer's by default). */
export function dateTime(iso, timeZone) {
  return new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

export function time(iso, timeZone) {
  return new Intl.DateTimeFormat(undefined, { timeStyle: "short", ...(timeZone ? { timeZone } : {}) }).format(
    new Date(iso),
  );
}

export function day(iso, timeZone) {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

/** Today's date (YYYY-MM-DD) in `timeZone`. */
export function isoDate(d = new Date(), timeZone) {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", ...(timeZone ? { timeZone } : {}) }).format(d);
}

export function addDays(isoDay, n) {
  const d = new Date(`${isoDay}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
