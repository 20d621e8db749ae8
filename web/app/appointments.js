// A patient's appointments (upcoming and past, with cancel), and a doctor's agenda for a day in
// their own zone (confirm or decline requests, complete, mark missed, cancel).
import { html, useState, Field, ErrorNote, Loading, Empty, useLoad, dateTime, time, myZone, isoDate, addDays, day } from "./ui.js";
import { fieldError, useSubmit } from "./account.js";
import { get, post, call, withQuery, currentUser } from "./api.js";
import { useNotifications } from "./live.js";
import * as S from "./strings.js";

const doctorNames = new Map();
function useDoctorName(id) {
  const [name] = useLoad(async () => {
    if (!doctorNames.has(id)) doctorNames.set(id, get(`/api/booking/doctors/${encodeURIComponent(id)}`).then((d) => d.name, () => id));
    return doctorNames.get(id);
  }, [id]);
  return name || "";
}

/** "with Dr. …", in the words of the strings file. */
function WithDoctor({ id }) {
  return S.appointments.with(useDoctorName(id));
}

export function MyAppointments() {
  const t = S.appointments;
  const now = new Date().toISOString();
  const [upcoming, e1, reload1] = useLoad(() => get(withQuery("/api/booking/appointments", { from: now.slice(0, 19) + "Z", limit: 50 })), []);
  const [past, e2, reload2] = useLoad(() => get(withQuery("/api/booking/appointments", { to: now.slice(0, 19) + "Z", limit: 50 })), []);
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  // The doctor's answer shows the moment it is given.
  useNotifications(() => {
    reload1();
    reload2();
  });
  const cancel = async (a) => {
    setError(null);
    try {
      await post(`/api/booking/appointments/${a.id}/cancel`, {});
      setMessage(t.cancelled);
      reload1();
      reload2();
    } catch (e) {
      setError(e);
    }
  };
  const list = (page, canCancel) =>
    page &&
    (page.items.length === 0
      ? html`<${Empty} text=${t.none} />`
      : html`<ul class="cards">
          ${page.items.map(
            (a) => html`<li class="card appointment" key=${a.id} data-status=${a.status}>
              <h3>${dateTime(a.starts_at, myZone())}</h3>
              <p><${WithDoctor} id=${a.doctor_id} /></p>
              <p class=${`status status-${a.status}`}>${t.status[a.status] || a.status}</p>
              ${a.reason && html`<p>${t.reason}: ${a.reason}</p>`}
              ${a.note && html`<p>${t.note}: ${a.note}</p>`}
              ${a.attendance_confirmed_at && html`<p>${t.attending}</p>`}
              ${canCancel && ["requested", "confirmed"].includes(a.status) &&
              html`<button type="button" class="secondary" onClick=${() => cancel(a)}>${t.cancel}</button>`}
              ${canCancel && ["requested", "confirmed"].includes(a.status) &&
              html`<a class="button secondary" href=${`#/doctors/${encodeURIComponent(a.doctor_id)}?reschedule=${a.id}`}>${t.reschedule}</a>`}
              ${a.status === "completed" && html`<${Review} a=${a} />`}
            </li>`,
          )}
        </ul>`);
  return html`<section aria-labelledby="h-appointments">
    <h1 id="h-appointments">${t.title}</h1>
    ${message && html`<p class="success" role="status">${message}</p>`}
    <${ErrorNote} error=${error || e1 || e2} strings=${S.common} />
    <h2>${t.upcoming}</h2>
    ${upcoming === undefined && !e1 && html`<${Loading} text=${S.common.loading} />`}
    ${list(upcoming, true)}
    <h2>${t.past}</h2>
    ${past === undefined && !e2 && html`<${Loading} text=${S.common.loading} />`}
    ${list(past, false)}
    <${CalendarFeed} />
  </section>`;
}

/** The secret iCalendar address of my appointments, and revoking every one of them. */
export function CalendarFeed() {
  const t = S.appointments;
  const [url, setUrl] = useState(null);
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const run = async (fn) => {
    setError(null);
    setMessage(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
  };
  return html`<section aria-labelledby="h-calendar">
    <h2 id="h-calendar">${t.calendar}</h2>
    <p class="hint">${t.calendarHint}</p>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${message && html`<p class="success" role="status">${message}</p>`}
    ${url && html`<${Field} label=${t.feedUrl} name="feed" value=${url} readonly onFocus=${(e) => e.currentTarget.select()} />`}
    <div class="actions">
      <button type="button" onClick=${() => run(async () => setUrl(new URL((await post("/api/booking/calendar/feeds")).path, location.origin).href))}>${t.subscribe}</button>
      <button type="button" class="secondary" onClick=${() => run(async () => { await call("DELETE", "/api/booking/calendar/feeds"); setUrl(null); setMessage(t.revoked); })}>${t.revoke}</button>
    </div>
  </section>`;
}

/** A review of a completed visit: 1–5 stars and a few words. */
function Review({ a }) {
  const t = S.appointments;
  const [done, setDone] = useState(false);
  const [busy, error, onSubmit] = useSubmit(async (f) => {
    await post(`/api/booking/appointments/${a.id}/review`, { rating: Number(f.rating), text: f.text });
    setDone(true);
  });
  if (done) return html`<p class="success" role="status">${t.reviewed}</p>`;
  return html`<form onSubmit=${onSubmit} novalidate aria-label=${t.reviewTitle}>
    <${ErrorNote} error=${error} strings=${S.common} />
    <${Field} label=${t.rating} name="rating" type="select" value="5" error=${fieldError(error, "rating")}>
      ${[5, 4, 3, 2, 1].map((n) => html`<option value=${n}>${t.stars(n)}</option>`)}
    <//>
    <${Field} label=${t.reviewText} name="text" type="textarea" maxlength="2000" error=${fieldError(error, "text")} />
    <button type="submit" disabled=${busy}>${t.reviewTitle}</button>
  </form>`;
}

export function Agenda({ query, go }) {
  const t = S.agenda;
  // The doctor's own zone, from their profile (the API reads `day=` in it too); the browser's
  // until it is known, or when there is no profile yet.
  const [me] = useLoad(() => get(`/api/booking/doctors/${encodeURIComponent(currentUser()?.id || "")}`).catch(() => null), []);
  const zone = me?.time_zone || myZone();
  const week = query.view === "week";
  const d = query.day || isoDate(new Date(), zone);
  const [page, error, reload] = useLoad(
    () => get(withQuery("/api/booking/appointments", week ? { week: d, limit: 100 } : { day: d, limit: 100 })),
    [d, week],
  );
  // A new request, or a patient's cancellation, shows without a reload.
  useNotifications(() => reload());
  const step = week ? 7 : 1;
  const link = (day, view = query.view) => withQuery("#/agenda", { day, view });
  const [actError, setActError] = useState(null);
  const [message, setMessage] = useState(null);
  const act = async (a, action, body = {}) => {
    setActError(null);
    setMessage(null);
    try {
      await post(`/api/booking/appointments/${a.id}/${action}`, body);
      setMessage(t.done);
      reload();
    } catch (e) {
      setActError(e);
    }
  };
  const decline = (ev, a) => {
    ev.preventDefault();
    const reason = new FormData(ev.currentTarget).get("reason");
    act(a, "decline", reason ? { reason } : {});
  };
  return html`<section aria-labelledby="h-agenda">
    <h1 id="h-agenda">${t.title}: ${week ? t.weekOf(day(`${d}T12:00:00Z`, "UTC")) : day(`${d}T12:00:00Z`, "UTC")}</h1>
    <div class="toolbar">
      <a class="button secondary" href=${link(addDays(d, -step))}>${week ? t.prevWeek : t.prev}</a>
      <a class="button secondary" href=${link(addDays(d, step))}>${week ? t.nextWeek : t.next}</a>
      <a class="button ${week ? "secondary" : ""}" aria-current=${week ? undefined : "page"} href=${link(d, "")}>${t.byDay}</a>
      <a class="button ${week ? "" : "secondary"}" aria-current=${week ? "page" : undefined} href=${link(d, "week")}>${t.byWeek}</a>
    </div>
    <p>${t.zone(zone)}</p>
    ${message && html`<p class="success" role="status">${message}</p>`}
    <${ErrorNote} error=${error || actError} strings=${S.common} />
    ${page === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && page.items.length === 0 && html`<${Empty} text=${t.none} />`}
    ${page &&
    html`<ul class="cards">
      ${page.items.map(
        (a) => html`<li class="card appointment" key=${a.id} data-status=${a.status}>
          <h2>${week ? `${day(a.starts_at, zone)}, ` : ""}${time(a.starts_at, zone)}–${time(a.ends_at, zone)}</h2>
          <p class=${`status status-${a.status}`}>${S.appointments.status[a.status] || a.status}</p>
          <p>${t.reason}: ${a.reason}</p>
          ${a.attendance_confirmed_at && html`<p>${S.appointments.attending}</p>`}
          ${a.status === "requested" &&
          html`<div class="actions">
            <button type="button" onClick=${() => act(a, "confirm")}>${t.confirm}</button>
            <form class="inline" onSubmit=${(ev) => decline(ev, a)}>
              <label for=${`decline-${a.id}`}>${t.declineReason}</label>
              <input id=${`decline-${a.id}`} name="reason" maxlength="500" />
              <button type="submit" class="secondary">${t.decline}</button>
            </form>
          </div>`}
          ${["confirmed", "completed"].includes(a.status) &&
          html`<div class="actions">
            <a class="button secondary" href=${`#/records/${encodeURIComponent(a.patient_id)}`}>${t.chart}</a>
            <a class="button secondary" href=${withQuery("#/records/report", { appointment: a.id })}>${t.report}</a>
          </div>`}
          ${a.status === "confirmed" &&
          html`<div class="actions">
            <button type="button" onClick=${() => act(a, "complete")}>${t.complete}</button>
            <button type="button" class="secondary" onClick=${() => act(a, "no_show")}>${t.noShow}</button>
            <button type="button" class="secondary" onClick=${() => act(a, "cancel")}>${t.cancel}</button>
          </div>`}
        </li>`,
      )}
    </ul>`}
    <${CalendarFeed} />
  </section>`;
}
