// The medical record: a patient's own chart, reports, files, sharing and "who looked at my
// record"; a doctor's view of a patient's chart within the rules (adding to it, writing and
// signing visit reports); staff's break-the-glass with a stated reason.
import { html, useState, Field, ErrorNote, Loading, Empty, useLoad, dateTime, isoDate } from "./ui.js";
import { fieldError, useSubmit } from "./account.js";
import { get, post, put, call, bearer, withQuery, currentUser, ApiError } from "./api.js";
import * as S from "./strings.js";

const base = (patient) => `/api/records/patients/${encodeURIComponent(patient)}`;

/** Sends a file's bytes as the body (the API decides its type from them). */
async function uploadFile(patient, file) {
  const token = await bearer();
  const resp = await fetch(withQuery(`${base(patient)}/files`, { name: file.name }), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": file.type || "application/octet-stream" },
    body: file,
  });
  const data = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

/** Downloads with the bearer token (a plain link could not send it) and saves under its name. */
async function download(path, name, reason) {
  const token = await bearer();
  const headers = { authorization: `Bearer ${token}` };
  if (reason) headers["x-access-reason"] = reason;
  const resp = await fetch(path, { headers });
  if (!resp.ok) throw new ApiError(resp.status, await resp.json().catch(() => null));
  const url = URL.createObjectURL(await resp.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One line of an item, as a reader says it. */
function describe(item) {
  const t = S.records;
  const d = item.data;
  switch (item.kind) {
    case "problem":
      return `${d.text}${d.code ? ` (${d.code.code})` : ""} — ${t.clinical[d.status] || d.status}`;
    case "allergy":
      return `${d.substance}${d.reaction ? `: ${d.reaction}` : ""} (${t.severity[d.severity] || d.severity})`;
    case "observation": {
      const v = typeof d.value === "object" ? `${d.value.systolic}/${d.value.diastolic}` : d.value;
      return `${t.measures[d.measure] || d.measure}: ${v} ${d.unit} — ${dateTime(d.taken_at)}`;
    }
    default:
      return `${t.categories[d.category] || d.category}, ${d.date}: ${d.text}`;
  }
}

function Items({ title, items, canWrite, basis, onChanged }) {
  const t = S.records;
  // As the API rules: whoever wrote it, or a treating doctor when a clinician wrote it.
  const mayChange = (i) => i.author_id === currentUser()?.id || (basis === "treating" && i.author_role === "doctor");
  const [error, setError] = useState(null);
  const withdraw = async (item) => {
    const reason = prompt(t.withdrawWhy);
    if (!reason) return;
    setError(null);
    try {
      await call("DELETE", `/api/records/entries/${item.id}`, { reason });
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return html`<section>
    <h2>${title}</h2>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${items.length === 0
      ? html`<${Empty} text=${t.nothing} />`
      : html`<ul class="cards">
          ${items.map(
            (i) => html`<li class="card record-item" key=${i.id} data-status=${i.status}>
              <p>${describe(i)}</p>
              ${i.status === "entered-in-error"
                ? html`<p class="status">${t.inError(i.error_reason)}</p>`
                : html`<p class="hint">${t.written(dateTime(i.recorded_at), i.version)}</p>`}
              ${canWrite && i.status === "current" && mayChange(i) &&
              html`<button type="button" class="secondary" onClick=${() => withdraw(i)}>${t.withdraw}</button>`}
            </li>`,
          )}
        </ul>`}
  </section>`;
}

/** Adds a chart item: a reading, a problem, an allergy or a note. */
function AddItem({ patient, onAdded }) {
  const t = S.records;
  const [kind, setKind] = useState("observation");
  const [done, setDone] = useState(false);
  const [busy, error, onSubmit] = useSubmit(async (f) => {
    setDone(false);
    const body = { kind };
    if (kind === "observation") {
      Object.assign(body, { measure: f.measure, unit: units[f.measure], taken_at: new Date(f.taken_at || Date.now()).toISOString() });
      body.value = f.measure === "blood_pressure" ? { systolic: Number(f.systolic), diastolic: Number(f.diastolic) } : Number(f.value);
    } else if (kind === "problem") {
      Object.assign(body, { text: f.text, status: f.status });
      if (f.code) body.code = { system: f.system, code: f.code };
      if (f.onset) body.onset = f.onset;
    } else if (kind === "allergy") {
      Object.assign(body, { substance: f.substance, severity: f.severity });
      if (f.reaction) body.reaction = f.reaction;
    } else {
      Object.assign(body, { text: f.text, category: f.category, date: f.date });
    }
    await post(`${base(patient)}/entries`, body);
    setDone(true);
    onAdded();
  });
  const units = { blood_pressure: "mm[Hg]", weight: "kg", height: "cm", bmi: "kg/m2", total_cholesterol: "mg/dL", hdl_cholesterol: "mg/dL", fasting_glucose: "mg/dL", hba1c: "%" };
  const [measure, setMeasure] = useState("blood_pressure");
  const e = (name) => fieldError(error, name);
  return html`<section aria-labelledby="h-add">
    <h2 id="h-add">${t.add}</h2>
    <form onSubmit=${onSubmit} novalidate>
      <${ErrorNote} error=${error} strings=${S.common} />
      ${done && html`<p class="success" role="status">${t.added}</p>`}
      <${Field} label=${t.kind} name="kind" type="select" value=${kind} onChange=${(ev) => setKind(ev.currentTarget.value)}>
        ${["observation", "problem", "allergy", "entry"].map((k) => html`<option value=${k}>${t.kinds[k]}</option>`)}
      <//>
      ${kind === "observation" &&
      html`<${Field} label=${t.measure} name="measure" type="select" value=${measure} onChange=${(ev) => setMeasure(ev.currentTarget.value)} error=${e("measure") || e("unit")}>
          ${Object.keys(units).map((m) => html`<option value=${m}>${t.measures[m]} (${units[m]})</option>`)}
        <//>
        ${measure === "blood_pressure"
          ? html`<${Field} label=${t.systolic} name="systolic" type="number" error=${e("value.systolic") || e("value")} />
              <${Field} label=${t.diastolic} name="diastolic" type="number" error=${e("value.diastolic")} />`
          : html`<${Field} label=${t.value} name="value" type="number" step="any" error=${e("value")} />`}
        <${Field} label=${t.takenAt} name="taken_at" type="datetime-local" error=${e("taken_at")} />`}
      ${kind === "problem" &&
      html`<${Field} label=${t.problemText} name="text" error=${e("text")} />
        <${Field} label=${t.codeSystem} name="system" type="select" value="icd-10"><option value="icd-10">ICD-10</option><option value="snomed">SNOMED CT</option><//>
        <${Field} label=${t.code} name="code" error=${e("code.code")} hint=${t.codeHint} />
        <${Field} label=${t.onset} name="onset" type="date" error=${e("onset")} />
        <${Field} label=${t.status} name="status" type="select" value="active">
          <option value="active">${t.clinical.active}</option><option value="resolved">${t.clinical.resolved}</option>
        <//>`}
      ${kind === "allergy" &&
      html`<${Field} label=${t.substance} name="substance" error=${e("substance")} />
        <${Field} label=${t.reaction} name="reaction" error=${e("reaction")} />
        <${Field} label=${t.severityLabel} name="severity" type="select" value="moderate">
          ${["mild", "moderate", "severe"].map((s) => html`<option value=${s}>${t.severity[s]}</option>`)}
        <//>`}
      ${kind === "entry" &&
      html`<${Field} label=${t.category} name="category" type="select" value="note">
          ${["note", "treatment_plan", "history"].map((c) => html`<option value=${c}>${t.categories[c]}</option>`)}
        <//>
        <${Field} label=${t.text} name="text" type="textarea" rows="4" error=${e("text")} />
        <${Field} label=${t.date} name="date" type="date" value=${isoDate()} error=${e("date")} />`}
      <button type="submit" disabled=${busy}>${t.save}</button>
    </form>
  </section>`;
}

function Files({ patient, files, canWrite, reason, onChanged }) {
  const t = S.records;
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const onUpload = async (ev) => {
    ev.preventDefault();
    const file = ev.currentTarget.elements.file.files[0];
    if (!file) return;
    setError(null);
    setBusy(true);
    try {
      await uploadFile(patient, file);
      ev.currentTarget?.reset?.();
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="h-files">
    <h2 id="h-files">${t.files}</h2>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${files.length === 0
      ? html`<${Empty} text=${t.noFiles} />`
      : html`<ul class="cards">
          ${files.map(
            (f) => html`<li class="card" key=${f.id} data-status=${f.status}>
              <p>${f.name} · ${Math.ceil(f.size / 1024)} KB · ${dateTime(f.created_at)}</p>
              ${f.status === "current"
                ? html`<button type="button" class="secondary" onClick=${() => download(`/api/records/files/${f.id}`, f.name, reason).catch(setError)}>${t.download(f.name)}</button>`
                : html`<p class="status">${t.inError(f.error_reason)}</p>`}
            </li>`,
          )}
        </ul>`}
    ${canWrite &&
    html`<form onSubmit=${onUpload}>
      <${Field} label=${t.uploadLabel} name="file" type="file" accept="application/pdf,image/png,image/jpeg,.dcm" hint=${t.uploadHint} />
      <button type="submit" disabled=${busy}>${t.upload}</button>
    </form>`}
  </section>`;
}

/** What I shared, with whom, until when; sharing more; revoking. */
function Sharing({ files, reports }) {
  const t = S.records;
  const [page, error, reload] = useLoad(() => get("/api/records/grants?limit=50"), []);
  const [doctors] = useLoad(() => get("/api/booking/appointments?limit=100").then((p) => [...new Set(p.items.map((a) => a.doctor_id))]), []);
  const [actError, setActError] = useState(null);
  const [busy, formError, onSubmit] = useSubmit(async (f) => {
    const [scope, resource_id] = f.what === "chart" ? ["chart", null] : f.what.split(":");
    const until = new Date(`${f.until}T23:59:00`);
    await post("/api/records/grants", { grantee_id: f.grantee_id.trim(), scope, resource_id, expires_at: until.toISOString() });
    reload();
  });
  const revoke = async (g) => {
    setActError(null);
    try {
      await call("DELETE", `/api/records/grants/${g.id}`);
      reload();
    } catch (e) {
      setActError(e);
    }
  };
  const weekAhead = new Date(Date.now() + 7 * 864e5);
  return html`<section aria-labelledby="h-sharing">
    <h2 id="h-sharing">${t.sharing}</h2>
    <${ErrorNote} error=${error || actError} strings=${S.common} />
    ${page && page.items.length === 0 && html`<${Empty} text=${t.noGrants} />`}
    ${page &&
    html`<ul class="cards">
      ${page.items.map(
        (g) => html`<li class="card grant" key=${g.id} data-state=${g.state}>
          <p>${t.grantLine(g.grantee_id, t.scopes[g.scope], dateTime(g.expires_at))}</p>
          <p class="status">${t.states[g.state]}</p>
          ${g.state === "active" && html`<button type="button" class="secondary" onClick=${() => revoke(g)}>${t.revoke}</button>`}
        </li>`,
      )}
    </ul>`}
    <form onSubmit=${onSubmit} novalidate aria-label=${t.share}>
      <${ErrorNote} error=${formError} strings=${S.common} />
      <${Field} label=${t.grantee} name="grantee_id" list="my-doctors" hint=${t.granteeHint} error=${fieldError(formError, "grantee_id")} />
      <datalist id="my-doctors">${(doctors || []).map((d) => html`<option value=${d} />`)}</datalist>
      <${Field} label=${t.what} name="what" type="select" value="chart" error=${fieldError(formError, "resource_id")}>
        <option value="chart">${t.scopes.chart}</option>
        ${files.filter((f) => f.status === "current").map((f) => html`<option value=${`file:${f.id}`}>${t.scopes.file}: ${f.name}</option>`)}
        ${reports.map((r) => html`<option value=${`report:${r.id}`}>${t.scopes.report}: ${dateTime(r.signed_at || r.created_at)}</option>`)}
      <//>
      <${Field} label=${t.until} name="until" type="date" value=${isoDate(weekAhead)} error=${fieldError(formError, "expires_at")} />
      <button type="submit" disabled=${busy}>${t.share}</button>
    </form>
  </section>`;
}

/** Who looked at my record: records' log beside booking's and diagnosis's, and staff's reasons. */
function WhoLooked({ patient }) {
  const t = S.records;
  const [rows, error] = useLoad(async () => {
    const logs = await Promise.all(
      ["records", "booking", "diagnosis"].map((s) =>
        get(`/api/${s}/access-log?limit=30`).then((p) => p.items.map((e) => ({ ...e, service: s })), () => []),
      ),
    );
    return logs.flat().sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 60);
  }, []);
  const [reasons] = useLoad(() => get(`${base(patient)}/break-glass?limit=50`), [patient]);
  const mine = currentUser()?.id;
  return html`<section aria-labelledby="h-looked">
    <h2 id="h-looked">${t.whoLooked}</h2>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${reasons && reasons.items.length > 0 &&
    html`<h3>${t.reasons}</h3>
      <ul class="cards">${reasons.items.map((r) => html`<li class="card break-glass" key=${r.request_id}>${t.reasonLine(r.actor_role, dateTime(r.at), r.reason)}</li>`)}</ul>`}
    ${rows &&
    html`<table class="log">
      <thead><tr><th>${t.when}</th><th>${t.who}</th><th>${t.didWhat}</th><th>${t.service}</th></tr></thead>
      <tbody>
        ${rows.map(
          (e) => html`<tr key=${`${e.service}-${e.seq}`} data-outcome=${e.outcome}>
            <td>${dateTime(e.at)}</td>
            <td>${e.actor_id === mine ? t.you : `${e.actor_role || ""} ${e.actor_id || ""}`}</td>
            <td>${e.action} ${e.resource}${e.outcome === "denied" ? ` (${t.denied})` : ""}</td>
            <td>${e.service}</td>
          </tr>`,
        )}
      </tbody>
    </table>`}
  </section>`;
}

/** A chart: the patient's own (no `patient`), or another's within the rules. */
export function Records({ patient, query, go }) {
  const t = S.records;
  const me = currentUser();
  const id = patient || me?.id;
  const reason = query.reason || "";
  const [chart, error, reload] = useLoad(() => get(withQuery(base(id), { reason })), [id, reason]);
  const owner = me?.id === id;
  const needsReason = error instanceof ApiError && error.status === 403 && error.fields.reason;
  const canWrite = chart && ["owner", "treating"].includes(chart.access.basis);
  if (needsReason) {
    const onReason = (ev) => {
      ev.preventDefault();
      go(withQuery(`#/records/${encodeURIComponent(id)}`, { reason: new FormData(ev.currentTarget).get("reason") }));
    };
    return html`<section aria-labelledby="h-glass">
      <h1 id="h-glass">${t.breakGlass}</h1>
      <p>${t.breakGlassHint}</p>
      <form onSubmit=${onReason}>
        <${Field} label=${t.reason} name="reason" required minlength="5" maxlength="500" />
        <button type="submit">${t.open}</button>
      </form>
    </section>`;
  }
  return html`<section aria-labelledby="h-records">
    <h1 id="h-records">${owner ? t.mine : t.theirs}</h1>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${chart === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${chart &&
    html`<p class="hint">${t.basis[chart.access.basis]}${chart.access.until ? ` ${t.until}: ${dateTime(chart.access.until)}` : ""}</p>
      <div class="actions">
        <button type="button" class="secondary" onClick=${() => download(withQuery(`${base(id)}/export`, { reason }), `healthe-record-${id}.json`, reason)}>${owner ? t.export : t.exportTheirs}</button>
        ${(owner || canWrite) && html`<a class="button secondary" href=${withQuery("#/risk", { from_chart: id })}>${t.toRisk}</a>`}
        ${chart.access.basis === "treating" && html`<a class="button secondary" href=${`#/prescribe/${encodeURIComponent(id)}`}>${t.prescribe}</a>`}
      </div>
      <${Items} title=${t.kindsPlural.problem} items=${chart.problems} canWrite=${canWrite} basis=${chart.access.basis} onChanged=${reload} />
      <${Items} title=${t.kindsPlural.allergy} items=${chart.allergies} canWrite=${canWrite} basis=${chart.access.basis} onChanged=${reload} />
      <${Items} title=${t.kindsPlural.observation} items=${chart.observations} canWrite=${canWrite} basis=${chart.access.basis} onChanged=${reload} />
      <${Items} title=${t.kindsPlural.entry} items=${chart.entries} canWrite=${canWrite} basis=${chart.access.basis} onChanged=${reload} />
      ${canWrite && html`<${AddItem} patient=${id} onAdded=${reload} />`}
      <section aria-labelledby="h-reports">
        <h2 id="h-reports">${t.reports}</h2>
        ${chart.reports.length === 0
          ? html`<${Empty} text=${t.noReports} />`
          : html`<ul class="cards">${chart.reports.map(
              (r) => html`<li class="card" key=${r.id}><a href=${`#/records/reports/${r.id}`}>${t.reportLine(r.status, dateTime(r.signed_at || r.updated_at))}</a></li>`,
            )}</ul>`}
      </section>
      <${Files} patient=${id} files=${chart.files} canWrite=${canWrite} reason=${reason} onChanged=${reload} />
      ${owner && html`<${Sharing} files=${chart.files} reports=${chart.reports} />`}
      ${owner && html`<${WhoLooked} patient=${id} />`}`}
  </section>`;
}

/** A visit report: read it (and its addenda); its doctor edits the draft, signs it, adds addenda. */
export function Report({ id, query }) {
  const t = S.records;
  const [r, error, reload] = useLoad(() => get(`/api/records/reports/${encodeURIComponent(id)}`), [id]);
  const mine = r && currentUser()?.id === r.doctor_id;
  const [message, setMessage] = useState(null);
  const [busy, saveError, onSave] = useSubmit(async (f) => {
    await put(`/api/records/reports/${id}`, f);
    setMessage(t.draftSaved);
    reload();
  });
  const [, signError, onSign] = useSubmit(async () => {
    await post(`/api/records/reports/${id}/sign`);
    setMessage(t.signedNow);
    reload();
  });
  const [, addError, onAdd] = useSubmit(async (f) => {
    await post(`/api/records/reports/${id}/addenda`, { text: f.text });
    reload();
  });
  const sections = ["subjective", "objective", "assessment", "plan"];
  return html`<section aria-labelledby="h-report">
    <h1 id="h-report">${t.report}</h1>
    <${ErrorNote} error=${error || saveError || signError || addError} strings=${S.common} />
    ${message && html`<p class="success" role="status">${message}</p>`}
    ${r === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${r &&
    html`<p class="status">${r.status === "signed" ? t.signedOn(dateTime(r.signed_at)) : t.draft}</p>
      ${r.status === "draft" && mine
        ? html`<form onSubmit=${onSave} novalidate>
            ${sections.map((s) => html`<${Field} label=${t.sections[s]} name=${s} type="textarea" rows="4" value=${r[s]} error=${fieldError(saveError, s)} />`)}
            <div class="actions">
              <button type="submit" class="secondary" disabled=${busy}>${t.saveDraft}</button>
            </div>
          </form>
          <form onSubmit=${onSign}><button type="submit">${t.sign}</button></form>`
        : html`${sections.map((s) => html`<h2>${t.sections[s]}</h2><p class="prose">${r[s] || "—"}</p>`)}
            ${r.addenda.map((a) => html`<div class="card addendum" key=${a.id}><h3>${t.addendumOn(dateTime(a.created_at))}</h3><p class="prose">${a.text}</p></div>`)}
            ${r.status === "signed" && currentUser()?.role === "doctor" &&
            html`<form onSubmit=${onAdd} novalidate>
              <${Field} label=${t.addendum} name="text" type="textarea" rows="3" error=${fieldError(addError, "text")} />
              <button type="submit">${t.addAddendum}</button>
            </form>`}`}`}
  </section>`;
}

/** From the agenda: the report of an appointment — started if there is none yet. */
export function ReportFor({ appointment, go }) {
  const t = S.records;
  const [error, setError] = useState(null);
  const [started, setStarted] = useState(false);
  if (!started) {
    setStarted(true);
    (async () => {
      try {
        const r = await post("/api/records/reports", { appointment_id: appointment });
        go(`#/records/reports/${r.id}`);
      } catch (e) {
        if (e.status !== 409) return setError(e);
        const a = await get(`/api/booking/appointments/${appointment}`);
        const page = await get(`${base(a.patient_id)}/reports?limit=100`);
        const found = page.items.find((r) => r.appointment_id === appointment);
        found ? go(`#/records/reports/${found.id}`) : setError(e);
      }
    })();
  }
  return html`<section><h1>${t.report}</h1><${ErrorNote} error=${error} strings=${S.common} />${!error && html`<${Loading} text=${S.common.loading} />`}</section>`;
}
