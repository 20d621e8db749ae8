// A patient finds a doctor, reads their profile and reviews, and requests a free time, shown in
// the patient's own time zone (the doctor's is named when it differs).
import { html, useState, Field, ErrorNote, Loading, Empty, useLoad, dateTime, time, day, myZone, isoDate, addDays } from "./ui.js";
import { get, post, withQuery, currentUser } from "./api.js";
import { fieldError, useSubmit } from "./account.js";
import * as S from "./strings.js";

export function FindDoctor({ query, go }) {
  const t = S.find;
  const [doctors, error] = useLoad(() => get(withQuery("/api/booking/doctors", { ...query, limit: 20 })), [JSON.stringify(query)]);
  const onSubmit = (ev) => {
    ev.preventDefault();
    const f = Object.fromEntries(new FormData(ev.currentTarget));
    go(withQuery("#/doctors", f));
  };
  return html`<section aria-labelledby="h-find">
    <h1 id="h-find">${t.title}</h1>
    <form class="filters" onSubmit=${onSubmit} role="search">
      <${Field} label=${t.text} name="q" value=${query.q || ""} error=${fieldError(error, "q")} />
      <${Field} label=${t.specialty} name="specialty" value=${query.specialty || ""} error=${fieldError(error, "specialty")} />
      <${Field} label=${t.city} name="city" value=${query.city || ""} error=${fieldError(error, "city")} />
      <${Field} label=${t.availableOn} name="available_on" type="date" value=${query.available_on || ""} error=${fieldError(error, "available_on")} />
      <${Field} label=${t.sort} name="sort" type="select" value=${query.sort || "name"}>
        <option value="name">${t.byName}</option>
        <option value="rating">${t.byRating}</option>
      <//>
      <button type="submit">${t.search}</button>
    </form>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${doctors === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${doctors && doctors.items.length === 0 && html`<${Empty} text=${t.none} />`}
    ${doctors &&
    html`<ul class="cards">
      ${doctors.items.map(
        (d) => html`<li class="card" key=${d.id}>
          <h2><a href=${`#/doctors/${encodeURIComponent(d.id)}`} aria-label=${t.open(d.name)}>${d.name}</a></h2>
          <p>${d.specialty} · ${d.city}${d.state ? `, ${d.state}` : ""}</p>
          <p>${t.rating(d.rating.average ?? 0, d.rating.count)}</p>
          <p>${d.next_free_slot ? t.nextFree(dateTime(d.next_free_slot, myZone())) : t.noneFree}</p>
        </li>`,
      )}
    </ul>`}
  </section>`;
}

export function DoctorPage({ id, query = {} }) {
  const t = S.doctor;
  const [doc, error] = useLoad(() => get(`/api/booking/doctors/${encodeURIComponent(id)}`), [id]);
  const [reviews] = useLoad(() => get(`/api/booking/doctors/${encodeURIComponent(id)}/reviews`), [id]);
  if (error) return html`<${ErrorNote} error=${error} strings=${S.common} />`;
  if (!doc) return html`<${Loading} text=${S.common.loading} />`;
  return html`<section aria-labelledby="h-doctor">
    <p><a href="#/doctors">${t.back}</a></p>
    <h1 id="h-doctor">${doc.name}</h1>
    <p>${doc.specialty} · ${doc.city}${doc.state ? `, ${doc.state}` : ""}</p>
    <p>${S.find.rating(doc.rating.average ?? 0, doc.rating.count)}</p>
    ${doc.bio && html`<p>${doc.bio}</p>`}
    ${doc.languages.length > 0 && html`<p>${t.languages}: ${doc.languages.join(", ")}</p>`}
    <p>${t.visit(doc.visit_minutes)}</p>
    ${canEdit(currentUser(), doc.id) && html`<p><a href=${`#/profile?id=${encodeURIComponent(doc.id)}`}>${t.edit}</a></p>`}
    <${Slots} doctor=${doc} reschedule=${query.reschedule} />
    <section aria-labelledby="h-reviews">
      <h2 id="h-reviews">${t.reviewsTitle}</h2>
      ${reviews && (reviews.items || []).length === 0 && html`<${Empty} text=${t.noReviews} />`}
      ${reviews &&
      html`<ul class="reviews">
        ${(reviews.items || []).map((r) => html`<li key=${r.id || r.created_at}><p><strong>${"★".repeat(r.rating)}</strong> ${r.text}</p></li>`)}
      </ul>`}
    </section>
  </section>`;
}

/** Staff edit any doctor's profile and hours; a doctor edits their own. */
const canEdit = (user, id) => !!user && (["staff", "admin"].includes(user.role) || user.id === id);

function Slots({ doctor, reschedule }) {
  const t = S.doctor;
  const mine = myZone();
  const [from, setFrom] = useState(() => isoDate(new Date(), mine));
  const [chosen, setChosen] = useState(null);
  const [done, setDone] = useState(false);
  const [slots, error] = useLoad(
    () => get(withQuery(`/api/booking/doctors/${encodeURIComponent(doctor.id)}/slots`, { from, to: addDays(from, 7) })),
    [doctor.id, from],
  );
  const [busy, sendError, onSubmit] = useSubmit(async (f) => {
    if (reschedule) await post(`/api/booking/appointments/${encodeURIComponent(reschedule)}/reschedule`, { starts_at: chosen.starts_at });
    else await post("/api/booking/appointments", { doctor_id: doctor.id, starts_at: chosen.starts_at, reason: f.reason });
    setDone(true);
  });
  const user = currentUser();
  // The form follows the list, which is long on a phone: take the person to it.
  const choose = (s) => {
    setChosen(s);
    setDone(false);
    setTimeout(() => document.querySelector(".book textarea, .book button")?.focus(), 0);
  };
  // Slots grouped by the patient's own calendar day.
  const byDay = new Map();
  for (const s of slots?.items || []) {
    const key = isoDate(new Date(s.starts_at), mine);
    if (!byDay.has(key)) byDay.set(key, []);
    byDay.get(key).push(s);
  }
  return html`<section aria-labelledby="h-slots">
    <h2 id="h-slots">${t.slotsTitle}</h2>
    <p>${doctor.time_zone === mine ? t.zoneSame(mine) : t.zoneNote(mine, doctor.time_zone)}</p>
    <div class="toolbar">
      <button type="button" onClick=${() => setFrom(addDays(from, -7))} disabled=${from <= isoDate(new Date(), mine)}>${t.prevWeek}</button>
      <span>${t.week} ${day(`${from}T12:00:00Z`)}</span>
      <button type="button" onClick=${() => setFrom(addDays(from, 7))}>${t.nextWeek}</button>
    </div>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${slots === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${slots && slots.items.length === 0 && html`<${Empty} text=${t.noSlots} />`}
    ${[...byDay].map(
      ([d, items]) => html`<div class="slot-day" key=${d}>
        <h3>${day(items[0].starts_at, mine)}</h3>
        <ul class="slots">
          ${items.map(
            (s) => html`<li key=${s.starts_at}>
              <button type="button" class=${chosen?.starts_at === s.starts_at ? "chosen" : ""} aria-pressed=${chosen?.starts_at === s.starts_at ? "true" : "false"}
                aria-label=${t.choose(dateTime(s.starts_at, mine))} onClick=${() => choose(s)}>${time(s.starts_at, mine)}</button>
            </li>`,
          )}
        </ul>
      </div>`,
    )}
    ${done && html`<p class="success" role="status">${reschedule ? t.moved : t.requested}</p>`}
    ${chosen && !done && user?.role === "patient" &&
    html`<form class="book" onSubmit=${onSubmit} novalidate aria-labelledby="h-book">
      <h3 id="h-book">${t.chosen(dateTime(chosen.starts_at, mine))}</h3>
      <${ErrorNote} error=${sendError} strings=${S.common} />
      ${sendError?.fields?.starts_at && html`<p class="field-error">${sendError.fields.starts_at}</p>`}
      ${!reschedule && html`<${Field} label=${t.reason} name="reason" type="textarea" required maxlength="500" hint=${t.reasonHint} error=${fieldError(sendError, "reason")} />`}
      <button type="submit" disabled=${busy}>${busy ? t.busy : reschedule ? t.moveTo(dateTime(chosen.starts_at, mine)) : t.submit}</button>
    </form>`}
    ${chosen && !user && html`<p><a href="#/sign-in">${S.nav.signIn}</a></p>`}
  </section>`;
}
