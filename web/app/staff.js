// The clinic's own screens: accounts (the admin creates doctor, pharmacist and staff accounts,
// disables them, changes roles), a doctor's profile and hours with a preview of the slots they
// give (staff, or the doctor), and the booking event feed as a readable log (staff, admin).
import { html, useState, Field, ErrorNote, Loading, Empty, useLoad, dateTime, time, day, isoDate, addDays } from "./ui.js";
import { get, post, put, patch, withQuery } from "./api.js";
import { fieldError, useSubmit } from "./account.js";
import * as S from "./strings.js";

const ROLES = ["patient", "doctor", "pharmacist", "staff", "admin"];

export function Accounts({ query, go }) {
  const t = S.accounts;
  const role = ROLES.includes(query.role) ? query.role : "";
  const [page, error, reload] = useLoad(() => get(withQuery("/api/auth/users", { role, limit: 100 })), [role]);
  const [created, setCreated] = useState(null);
  const [actError, setActError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [busy, createError, onCreate] = useSubmit(async (f) => {
    const user = await post("/api/auth/users", { email: f.email, display_name: f.display_name, password: f.password, role: f.role });
    setCreated(user);
    reload();
  });
  const change = async (u, body) => {
    setActError(null);
    setSaved(false);
    try {
      await patch(`/api/auth/users/${u.id}`, body);
      setSaved(true);
      reload();
    } catch (e) {
      setActError(e);
    }
  };
  return html`<section aria-labelledby="h-accounts">
    <h1 id="h-accounts">${t.title}</h1>
    <form onSubmit=${onCreate} novalidate aria-labelledby="h-create" class="narrow">
      <h2 id="h-create">${t.create}</h2>
      <${ErrorNote} error=${createError} strings=${S.common} />
      ${created && html`<p class="success" role="status">${t.created(created.display_name)}
        ${created.role === "doctor" && html` <a href=${`#/profile?id=${created.id}`}>${t.profile(created.display_name)}</a>`}</p>`}
      <${Field} label=${t.name} name="display_name" required error=${fieldError(createError, "display_name")} />
      <${Field} label=${t.email} name="email" type="email" required error=${fieldError(createError, "email")} />
      <${Field} label=${t.password} name="password" type="password" autocomplete="new-password" required hint=${t.passwordHint} error=${fieldError(createError, "password")} />
      <${Field} label=${t.role} name="role" type="select" value="doctor" error=${fieldError(createError, "role")}>
        ${ROLES.map((r) => html`<option value=${r}>${S.roles[r]}</option>`)}
      <//>
      <button type="submit" disabled=${busy}>${busy ? t.busy : t.submit}</button>
    </form>
    <h2>${t.list}</h2>
    <${Field} label=${t.filter} name="role-filter" type="select" value=${role} onChange=${(e) => go(withQuery("#/accounts", { role: e.currentTarget.value }))}>
      <option value="">${t.all}</option>
      ${ROLES.map((r) => html`<option value=${r}>${S.roles[r]}</option>`)}
    <//>
    ${saved && html`<p class="success" role="status">${t.saved}</p>`}
    <${ErrorNote} error=${error || actError} strings=${S.common} />
    ${!page && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && page.items.length === 0 && html`<${Empty} text=${t.none} />`}
    ${page &&
    html`<ul class="cards">
      ${page.items.map(
        (u) => html`<li class="card" key=${u.id} data-email=${u.email}>
          <h3>${u.display_name}</h3>
          <p>${u.email}</p>
          ${u.disabled && html`<p class="status status-cancelled">${t.disabled}</p>`}
          <div class="actions">
            <${Field} label=${t.changeRole(u.display_name)} name=${`role-${u.id}`} type="select" value=${u.role}
              onChange=${(e) => change(u, { role: e.currentTarget.value })}>
              ${ROLES.map((r) => html`<option value=${r}>${S.roles[r]}</option>`)}
            <//>
            <button type="button" class="secondary" onClick=${() => change(u, { disabled: !u.disabled })}>
              ${u.disabled ? t.enable(u.display_name) : t.disable(u.display_name)}</button>
            ${u.role === "doctor" && html`<a href=${`#/profile?id=${u.id}`}>${t.profile(u.display_name)}</a>`}
          </div>
        </li>`,
      )}
    </ul>`}
  </section>`;
}

const DAYS = Object.keys(S.profile.days);

export function DoctorProfile({ id }) {
  const t = S.profile;
  const [doc, loadError, reload] = useLoad(
    () => get(`/api/booking/doctors/${encodeURIComponent(id)}`).catch((e) => (e.status === 404 ? null : Promise.reject(e))),
    [id],
  );
  const [saved, setSaved] = useState(null);
  const [busy, error, onSave] = useSubmit(async (f) => {
    await put(`/api/booking/doctors/${encodeURIComponent(id)}`, {
      name: f.name, specialty: f.specialty, city: f.city, state: f.state, bio: f.bio, time_zone: f.time_zone,
      languages: f.languages.split(",").map((s) => s.trim()).filter(Boolean), visit_minutes: Number(f.visit_minutes),
    });
    setSaved("profile");
    reload();
  });
  if (loadError) return html`<${ErrorNote} error=${loadError} strings=${S.common} />`;
  if (doc === undefined) return html`<${Loading} text=${S.common.loading} />`;
  const d = doc || { name: "", specialty: "", city: "", state: "", bio: "", languages: [], time_zone: "Europe/Berlin", visit_minutes: 30 };
  return html`<section aria-labelledby="h-profile">
    <h1 id="h-profile">${t.title}</h1>
    <form onSubmit=${onSave} novalidate>
      <${ErrorNote} error=${error} strings=${S.common} />
      ${saved === "profile" && html`<p class="success" role="status">${t.saved}</p>`}
      <${Field} label=${t.name} name="name" defaultValue=${d.name} required error=${fieldError(error, "name")} />
      <${Field} label=${t.specialty} name="specialty" defaultValue=${d.specialty} required error=${fieldError(error, "specialty")} />
      <${Field} label=${t.city} name="city" defaultValue=${d.city} required error=${fieldError(error, "city")} />
      <${Field} label=${t.state} name="state" defaultValue=${d.state} required error=${fieldError(error, "state")} />
      <${Field} label=${t.languages} name="languages" defaultValue=${d.languages.join(", ")} error=${fieldError(error, "languages")} />
      <${Field} label=${t.bio} name="bio" type="textarea" defaultValue=${d.bio} error=${fieldError(error, "bio")} />
      <${Field} label=${t.zone} name="time_zone" defaultValue=${d.time_zone} required error=${fieldError(error, "time_zone")} />
      <${Field} label=${t.visit} name="visit_minutes" type="number" min="10" max="120" defaultValue=${d.visit_minutes} required error=${fieldError(error, "visit_minutes")} />
      <button type="submit" disabled=${busy}>${t.saveProfile}</button>
    </form>
    ${doc && html`<${Hours} doc=${doc} onSaved=${reload} />`}
  </section>`;
}

function Hours({ doc, onSaved }) {
  const t = S.profile;
  const [weekly, setWeekly] = useState(() => doc.weekly_hours || []);
  const [exceptions, setExceptions] = useState(() => doc.exceptions || []);
  const [saved, setSaved] = useState(0);
  const [busy, error, onSave] = useSubmit(async () => {
    await put(`/api/booking/doctors/${encodeURIComponent(doc.id)}/hours`, { weekly, exceptions });
    setSaved((n) => n + 1);
    onSaved();
  });
  const today = isoDate();
  const [slots] = useLoad(
    () => get(withQuery(`/api/booking/doctors/${encodeURIComponent(doc.id)}/slots`, { from: today, to: addDays(today, 7) })),
    [doc.id, saved],
  );
  const set = (list, setList, i, key, value) => setList(list.map((row, j) => (j === i ? { ...row, [key]: value } : row)));
  return html`<form onSubmit=${onSave} novalidate aria-labelledby="h-hours">
    <h2 id="h-hours">${t.hours}</h2>
    <p class="hint">${t.hoursHint} (${doc.time_zone})</p>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${saved > 0 && html`<p class="success" role="status">${t.saved}</p>`}
    ${Object.entries(error?.fields || {}).map(([f, m]) => html`<p class="field-error" key=${f}>${f}: ${m}</p>`)}
    ${weekly.map(
      (row, i) => html`<fieldset class="row" key=${i}>
        <legend>${t.hours} ${i + 1}</legend>
        <${Field} label=${t.weekday} name=${`weekday-${i}`} type="select" value=${row.weekday} onChange=${(e) => set(weekly, setWeekly, i, "weekday", e.currentTarget.value)}>
          ${DAYS.map((d) => html`<option value=${d}>${t.days[d]}</option>`)}
        <//>
        <${Field} label=${t.start} name=${`start-${i}`} type="time" value=${row.start} onInput=${(e) => set(weekly, setWeekly, i, "start", e.currentTarget.value)} />
        <${Field} label=${t.end} name=${`end-${i}`} type="time" value=${row.end} onInput=${(e) => set(weekly, setWeekly, i, "end", e.currentTarget.value)} />
        <button type="button" class="secondary" onClick=${() => setWeekly(weekly.filter((_, j) => j !== i))}>${t.remove}</button>
      </fieldset>`,
    )}
    <button type="button" class="secondary" onClick=${() => setWeekly([...weekly, { weekday: "monday", start: "09:00", end: "17:00" }])}>${t.add}</button>
    <h3>${t.exceptions}</h3>
    ${exceptions.map(
      (row, i) => html`<fieldset class="row" key=${i}>
        <legend>${t.exceptions} ${i + 1}</legend>
        <${Field} label=${t.date} name=${`date-${i}`} type="date" value=${row.date} onInput=${(e) => set(exceptions, setExceptions, i, "date", e.currentTarget.value)} />
        <div class="field check">
          <input type="checkbox" id=${`off-${i}`} checked=${!!row.off} onChange=${(e) => setExceptions(exceptions.map((r, j) => (j === i ? (e.currentTarget.checked ? { date: r.date, off: true } : { date: r.date, start: "09:00", end: "13:00" }) : r)))} />
          <label for=${`off-${i}`}>${t.off}</label>
        </div>
        ${!row.off &&
        html`<${Field} label=${t.start} name=${`xstart-${i}`} type="time" value=${row.start} onInput=${(e) => set(exceptions, setExceptions, i, "start", e.currentTarget.value)} />
          <${Field} label=${t.end} name=${`xend-${i}`} type="time" value=${row.end} onInput=${(e) => set(exceptions, setExceptions, i, "end", e.currentTarget.value)} />`}
        <button type="button" class="secondary" onClick=${() => setExceptions(exceptions.filter((_, j) => j !== i))}>${t.remove}</button>
      </fieldset>`,
    )}
    <button type="button" class="secondary" onClick=${() => setExceptions([...exceptions, { date: addDays(today, 7), off: true }])}>${t.addException}</button>
    <button type="submit" disabled=${busy}>${t.saveHours}</button>
    <h3>${t.preview}</h3>
    ${slots && slots.items.length === 0 && html`<${Empty} text=${t.noPreview} />`}
    ${slots && html`<ul class="preview">${slots.items.slice(0, 60).map((s) => html`<li key=${s.starts_at}>${day(s.starts_at, doc.time_zone)} ${time(s.starts_at, doc.time_zone)}</li>`)}</ul>`}
  </form>`;
}

export function Events({ query, go }) {
  const t = S.events;
  const cursor = query.cursor || "";
  const [page, error] = useLoad(() => get(withQuery("/api/booking/events", { cursor, limit: 50 })), [cursor]);
  return html`<section aria-labelledby="h-events">
    <h1 id="h-events">${t.title}</h1>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${!page && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && page.items.length === 0 && html`<${Empty} text=${t.none} />`}
    ${page &&
    html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t.title}><table>
      <caption class="hint">${t.title}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">${S.agenda.day}</th><th scope="col">${t.appointment}</th><th scope="col">${t.starts}</th><th scope="col">${t.doctor}</th><th scope="col">${t.patient}</th></tr></thead>
      <tbody>
        ${page.items.map(
          (e) => html`<tr key=${e.seq}><td>${e.seq}</td><td>${dateTime(e.at)}</td><td>${S.appointments.status[e.kind] || e.kind}</td><td>${dateTime(e.starts_at)}</td><td>${e.doctor_id.slice(0, 8)}</td><td>${e.patient_id.slice(0, 8)}</td></tr>`,
        )}
      </tbody>
    </table></div>`}
    ${page?.next_cursor && html`<a class="button secondary" href=${withQuery("#/events", { cursor: page.next_cursor })}>${t.more}</a>`}
  </section>`;
}
