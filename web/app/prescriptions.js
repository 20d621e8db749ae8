// Prescriptions: the patient's own (code, QR, what is left, refills, who looked them up), a
// doctor prescribing from a patient's chart (with the chart's allergy warning and its
// override), the doctor's refill queue, and the pharmacist's counter.
import { html, useState, useEffect, Field, ErrorNote, Loading, Empty, useLoad, dateTime } from "./ui.js";
import { fieldError, useSubmit } from "./account.js";
import { get, post, bearer, withQuery, currentUser, ApiError } from "./api.js";
import * as S from "./strings.js";

const api = "/api/prescriptions";
const patientPath = (patient) => `${api}/patients/${encodeURIComponent(patient)}`;

/** One line of a prescription, as a reader says it. */
const lineText = (m) =>
  `${m.name} ${m.strength} ${S.rx.forms[m.form] || m.form} — ${m.dose}, ${S.rx.routes[m.route] || m.route}, ${m.frequency}, ${S.rx.days(m.duration_days)}`;

/** The QR image of a prescription's code (fetched with the token; an <img> could not send it). */
function Qr({ id, code }) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    let live = true;
    let made = null;
    (async () => {
      const resp = await fetch(`${api}/${id}/qr.svg`, { headers: { authorization: `Bearer ${await bearer()}` } });
      if (!resp.ok || !live) return;
      made = URL.createObjectURL(await resp.blob());
      setUrl(made);
    })().catch(() => {});
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [id]);
  return url ? html`<img class="qr" src=${url} alt=${S.rx.qrAlt(code)} width="160" height="160" />` : null;
}

function Lines({ p }) {
  const t = S.rx;
  return html`<ul class="lines">
    ${p.medications.map(
      (m) => html`<li key=${m.line}>
        <p><strong>${lineText(m)}</strong></p>
        ${m.instructions && html`<p>${m.instructions}</p>`}
        <p class="hint">${m.fills_allowed === undefined ? t.perFill(m.quantity, m.refills) : t.left(m)}</p>
      </li>`,
    )}
  </ul>`;
}

/** A patient's own prescription: the code to show, what is left, and a refill when it is used. */
function Mine({ p, onChanged }) {
  const t = S.rx;
  const [error, setError] = useState(null);
  const [asked, setAsked] = useState(false);
  const used = p.medications.every((m) => m.fills_used === m.fills_allowed);
  const ask = async () => {
    setError(null);
    try {
      await post(`${api}/${p.id}/refill-requests`, {});
      setAsked(true);
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return html`<li class="card prescription" key=${p.id} id=${`rx-${p.id}`} data-status=${p.status}>
    <p class="status">${t.status[p.status] || p.status} · ${t.validUntil(dateTime(p.valid_until))}</p>
    <${Lines} p=${p} />
    ${p.note && html`<p>${t.note}: ${p.note}</p>`}
    ${["active", "completed"].includes(p.status) &&
    html`<div class="code">
      <p>${t.code}: <code class="rx-code">${p.code}</code></p>
      <${Qr} id=${p.id} code=${p.code} />
    </div>`}
    <${ErrorNote} error=${error} strings=${S.common} />
    ${asked && html`<p class="success" role="status">${t.refillAsked}</p>`}
    ${["active", "completed"].includes(p.status) && used && !asked &&
    html`<button type="button" class="secondary" onClick=${ask}>${t.askRefill}</button>`}
  </li>`;
}

/** My prescriptions, newest first, and which pharmacists looked them up. */
export function MyPrescriptions() {
  const t = S.rx;
  const me = currentUser();
  const [page, error, reload] = useLoad(() => get(patientPath(me.id)), [me.id]);
  const [log] = useLoad(() => get(withQuery(`${api}/access-log`, { action: "looked up by code", limit: 20 })), [me.id]);
  return html`<section aria-labelledby="h-rx">
    <h1 id="h-rx">${t.mine}</h1>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${page === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && (page.items.length === 0 ? html`<${Empty} text=${t.none} />` : html`<ul class="cards">${page.items.map((p) => html`<${Mine} key=${p.id} p=${p} onChanged=${reload} />`)}</ul>`)}
    <h2>${t.lookups}</h2>
    ${log && (log.items.length === 0
      ? html`<${Empty} text=${t.noLookups} />`
      : html`<ul class="lookups">${log.items.map((e) => html`<li key=${e.seq}>${t.lookedUp(dateTime(e.at), e.actor_id)}</li>`)}</ul>`)}
  </section>`;
}

const blankLine = { name: "", strength: "", form: "tablet", dose: "", route: "oral", frequency: "", duration_days: 7, quantity: 1, refills: 0, instructions: "" };

/** One medication's fields, named `medications[i].…` as the API names its problems. */
function LineFields({ i, line, set, error }) {
  const t = S.rx;
  const f = (k) => `medications[${i}].${k}`;
  const bind = (k, num) => ({ value: line[k], onInput: (ev) => set({ ...line, [k]: num ? Number(ev.currentTarget.value) : ev.currentTarget.value }), error: fieldError(error, f(k)) });
  return html`<fieldset class="line">
    <legend>${t.medication(i + 1)}</legend>
    <${Field} label=${t.f.name} name=${f("name")} ...${bind("name")} />
    <${Field} label=${t.f.strength} name=${f("strength")} hint=${t.f.strengthHint} ...${bind("strength")} />
    <${Field} label=${t.f.form} name=${f("form")} type="select" ...${bind("form")}>
      ${Object.entries(t.forms).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
    <//>
    <${Field} label=${t.f.dose} name=${f("dose")} hint=${t.f.doseHint} ...${bind("dose")} />
    <${Field} label=${t.f.route} name=${f("route")} type="select" ...${bind("route")}>
      ${Object.entries(t.routes).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
    <//>
    <${Field} label=${t.f.frequency} name=${f("frequency")} hint=${t.f.frequencyHint} ...${bind("frequency")} />
    <${Field} label=${t.f.duration} name=${f("duration_days")} type="number" min="1" max="366" ...${bind("duration_days", true)} />
    <${Field} label=${t.f.quantity} name=${f("quantity")} type="number" min="1" ...${bind("quantity", true)} />
    <${Field} label=${t.f.refills} name=${f("refills")} type="number" min="0" max="11" ...${bind("refills", true)} />
    <${Field} label=${t.f.instructions} name=${f("instructions")} type="textarea" ...${bind("instructions")} />
  </fieldset>`;
}

/** A doctor prescribes for a patient they treat; the chart's allergies are checked on issue. */
export function Prescribe({ patient }) {
  const t = S.rx;
  const [lines, setLines] = useState([{ ...blankLine }]);
  const [warning, setWarning] = useState(null);
  const [made, setMade] = useState(null);
  const [page, listError, reload] = useLoad(() => get(patientPath(patient)), [patient, made?.id]);
  const [busy, error, onSubmit] = useSubmit(async (form) => {
    setMade(null);
    const body = {
      patient_id: patient,
      medications: lines.map((l) => ({ ...l, instructions: l.instructions || undefined })),
      note: form.note || undefined,
      allergy_override_reason: warning ? form.allergy_override_reason : undefined,
    };
    try {
      const p = await post(api, body);
      setWarning(null);
      setLines([{ ...blankLine }]);
      setMade(p);
    } catch (e) {
      if (e instanceof ApiError && e.problem.type?.endsWith("/allergy-warning")) setWarning(e.message);
      throw e;
    }
  });
  const [cancelError, setCancelError] = useState(null);
  const cancel = async (p) => {
    const reason = prompt(t.cancelWhy);
    if (!reason) return;
    setCancelError(null);
    try {
      await post(`${api}/${p.id}/cancel`, { reason });
      reload();
    } catch (e) {
      setCancelError(e);
    }
  };
  return html`<section aria-labelledby="h-prescribe">
    <h1 id="h-prescribe">${t.prescribe}</h1>
    <p><a href=${`#/records/${encodeURIComponent(patient)}`}>${t.backToChart}</a></p>
    <form onSubmit=${onSubmit} novalidate>
      ${warning
        ? html`<div class="warning" role="alert"><p><strong>${t.allergyWarning}</strong></p><p>${warning}</p></div>`
        : html`<${ErrorNote} error=${error} strings=${S.common} />`}
      ${made && html`<p class="success" role="status">${t.issued(made.code)}</p>`}
      ${lines.map((l, i) => html`<${LineFields} key=${i} i=${i} line=${l} error=${error} set=${(v) => setLines(lines.map((x, j) => (j === i ? v : x)))} />`)}
      <div class="actions">
        <button type="button" class="secondary" onClick=${() => setLines([...lines, { ...blankLine }])}>${t.addLine}</button>
        ${lines.length > 1 && html`<button type="button" class="secondary" onClick=${() => setLines(lines.slice(0, -1))}>${t.removeLine}</button>`}
      </div>
      <${Field} label=${t.note} name="note" type="textarea" error=${fieldError(error, "note")} />
      ${warning && html`<${Field} label=${t.overrideReason} name="allergy_override_reason" type="textarea" hint=${t.overrideHint} error=${fieldError(error, "allergy_override_reason")} />`}
      <button type="submit" disabled=${busy}>${warning ? t.issueAnyway : t.issue}</button>
    </form>
    <h2>${t.theirs}</h2>
    <${ErrorNote} error=${listError || cancelError} strings=${S.common} />
    ${page && (page.items.length === 0 ? html`<${Empty} text=${t.none} />` : html`<ul class="cards">
      ${page.items.map((p) => html`<li class="card prescription" key=${p.id} data-status=${p.status}>
        <p class="status">${t.status[p.status] || p.status} · ${dateTime(p.created_at)}</p>
        <${Lines} p=${p} />
        ${p.allergy_override && html`<p class="hint">${t.overridden(p.allergy_override.reason)}</p>`}
        ${["active", "on-hold"].includes(p.status) && html`<button type="button" class="secondary" onClick=${() => cancel(p)}>${t.cancel}</button>`}
      </li>`)}
    </ul>`)}
  </section>`;
}

/** The doctor's refill requests, oldest first. */
export function Refills() {
  const t = S.rx;
  const [page, error, reload] = useLoad(() => get(`${api}/refill-requests`), []);
  const [actError, setActError] = useState(null);
  const act = async (r, approve) => {
    setActError(null);
    try {
      if (approve) await post(`${api}/refill-requests/${r.id}/approve`, { fills: 1 });
      else {
        const reason = prompt(t.declineWhy);
        if (!reason) return;
        await post(`${api}/refill-requests/${r.id}/decline`, { reason });
      }
      reload();
    } catch (e) {
      setActError(e);
    }
  };
  return html`<section aria-labelledby="h-refills">
    <h1 id="h-refills">${t.refills}</h1>
    <${ErrorNote} error=${error || actError} strings=${S.common} />
    ${page === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && (page.items.length === 0 ? html`<${Empty} text=${t.noRefills} />` : html`<ul class="cards">
      ${page.items.map((r) => html`<li class="card refill" key=${r.id}>
        <p>${t.refillLine(dateTime(r.requested_at))}</p>
        ${r.note && html`<p>${r.note}</p>`}
        <p><a href=${`#/prescribe/${encodeURIComponent(r.patient_id)}`}>${t.openPatient}</a></p>
        <div class="actions">
          <button type="button" onClick=${() => act(r, true)}>${t.approve}</button>
          <button type="button" class="secondary" onClick=${() => act(r, false)}>${t.decline}</button>
        </div>
      </li>`)}
    </ul>`)}
  </section>`;
}

/** Reads a code from the camera where the browser can (BarcodeDetector); typing always works. */
function Scan({ onCode }) {
  const t = S.rx;
  const [on, setOn] = useState(false);
  const [note, setNote] = useState(null);
  useEffect(() => {
    if (!on) return;
    let stream;
    let live = true;
    (async () => {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      const video = document.getElementById("scan-video");
      video.srcObject = stream;
      await video.play();
      while (live) {
        const found = await detector.detect(video).catch(() => []);
        if (found[0]) {
          onCode(found[0].rawValue);
          setOn(false);
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })().catch(() => {
      setNote(t.noCamera);
      setOn(false);
    });
    return () => {
      live = false;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [on]);
  if (!("BarcodeDetector" in window)) return null;
  return html`<div>
    <button type="button" class="secondary" onClick=${() => setOn(!on)}>${on ? t.stopScan : t.scan}</button>
    ${on && html`<video id="scan-video" class="scan" muted playsinline></video>`}
    ${note && html`<p class="hint">${note}</p>`}
  </div>`;
}

/** The pharmacist's counter: a code in, what may be dispensed out, a dispense recorded. */
export function Counter() {
  const t = S.rx;
  const [code, setCode] = useState("");
  const [p, setP] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, error, onLookup] = useSubmit(async (f) => {
    setP(null);
    setDone(null);
    setP(await get(`${api}/by-code/${encodeURIComponent(f.code)}`));
  });
  const [dBusy, dError, onDispense] = useSubmit(async (f) => {
    const items = p.medications
      .map((m) => ({ line: m.line, quantity: Number(f[`q${m.line}`] || 0) }))
      .filter((i) => i.quantity > 0);
    const after = await post(`${api}/by-code/${encodeURIComponent(code)}/dispenses`, { items, pharmacy: f.pharmacy });
    setP(after);
    setDone(after.dispense_id);
  });
  return html`<section aria-labelledby="h-counter">
    <h1 id="h-counter">${t.counter}</h1>
    <form onSubmit=${onLookup} novalidate>
      <${ErrorNote} error=${error} strings=${S.common} />
      <${Field} label=${t.code} name="code" value=${code} onInput=${(ev) => setCode(ev.currentTarget.value)} hint="ABCD-EFGH-JKMN" autocomplete="off" error=${fieldError(error, "code")} />
      <${Scan} onCode=${setCode} />
      <button type="submit" disabled=${busy}>${t.lookUp}</button>
    </form>
    ${p && html`<form onSubmit=${onDispense} novalidate class="dispense">
      <h2>${t.status[p.status] || p.status} · ${t.validUntil(dateTime(p.valid_until))}</h2>
      ${!p.dispensable && html`<p class="warning" role="alert">${t.notDispensable}</p>`}
      <${ErrorNote} error=${dError} strings=${S.common} />
      ${done && html`<p class="success" role="status">${t.dispensed}</p>`}
      ${p.medications.map((m) => html`<div key=${m.line} class="card">
        <p><strong>${lineText(m)}</strong></p>
        ${m.instructions && html`<p>${m.instructions}</p>`}
        <p class="hint">${t.left(m)}</p>
        ${p.dispensable && m.dispensable_now > 0 && html`<${Field} label=${t.dispenseNow(m.line, m.dispensable_now)} name=${`q${m.line}`} type="number" min="0" max=${m.dispensable_now} value=${m.dispensable_now} error=${fieldError(dError, "items[0].quantity")} />`}
      </div>`)}
      ${p.dispensable && html`<${Field} label=${t.pharmacy} name="pharmacy" required error=${fieldError(dError, "pharmacy")} />
        <button type="submit" disabled=${dBusy}>${t.dispense}</button>`}
    </form>`}
  </section>`;
}
