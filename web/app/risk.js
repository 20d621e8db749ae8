// The risk calculators: a form built from the chosen equation's model card (units, validated
// ranges, a choice of the card's `other_units`, such as mmol/L beside mg/dL), the result with
// its model, citation and the decision-support wording, and the person's history.
import { html, useState, Field, ErrorNote, Loading, Empty, useLoad, dateTime } from "./ui.js";
import { get, post, currentUser } from "./api.js";
import { fieldError, useSubmit } from "./account.js";
import * as S from "./strings.js";

const label = (name) => S.risk.labels[name] || name.replaceAll("_", " ");

export function Risk({ query, go }) {
  const t = S.risk;
  const kind = t.models[query.kind] ? query.kind : "heart";
  const [cards, error] = useLoad(() => get("/api/diagnosis/models"), []);
  const [history, , reloadHistory] = useLoad(() => get("/api/diagnosis/assessments?limit=10"), []);
  const models = t.models[kind];
  const modelId = models.includes(query.model) ? query.model : models[0];
  const list = cards?.items || [];
  const card = list.find((c) => c.id === modelId);
  return html`<section aria-labelledby="h-risk">
    <h1 id="h-risk">${t.title}: ${t.kinds[kind]}</h1>
    <nav aria-label=${t.title} class="toolbar">
      ${Object.entries(t.kinds).map(
        ([k, name]) => html`<a class=${`button ${k === kind ? "" : "secondary"}`} aria-current=${k === kind ? "page" : undefined} href=${`#/risk?kind=${k}`}>${name}</a>`,
      )}
    </nav>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${!cards && !error && html`<${Loading} text=${S.common.loading} />`}
    ${cards &&
    html`<${Field} label=${t.model} name="model" type="select" value=${modelId}
        onChange=${(e) => go(`#/risk?kind=${kind}&model=${e.currentTarget.value}`)}>
        ${models.map((m) => html`<option value=${m}>${list.find((c) => c.id === m)?.title || m}</option>`)}
      <//>`}
    ${card && html`<${Calculator} key=${card.id} card=${card} patient=${query.from_chart} onDone=${reloadHistory} />`}
    <section aria-labelledby="h-history">
      <h2 id="h-history">${t.history}</h2>
      ${history && history.items.length === 0 && html`<${Empty} text=${t.noHistory} />`}
      ${history &&
      html`<ul class="cards">
        ${history.items.map(
          (a) => html`<li class="card" key=${a.id}>
            <h3>${dateTime(a.created_at)}</h3>
            <p>${a.model.title}</p>
            <p>${a.headline || ""}</p>
          </li>`,
        )}
      </ul>`}
    </section>
  </section>`;
}

function Calculator({ card, patient, onDone }) {
  const t = S.risk;
  const [result, setResult] = useState(null);
  const [units, setUnits] = useState({});
  const [filled, setFilled] = useState(null);
  const [fillError, setFillError] = useState(null);
  // The newest readings from the chart (records), in the units the cards take.
  const fromChart = async (ev) => {
    const form = ev.currentTarget.form;
    const who = form.elements.patient_id?.value.trim() || currentUser()?.id;
    setFillError(null);
    try {
      const { readings } = await get(`/api/records/patients/${encodeURIComponent(who)}/observations/latest`);
      setUnits({});
      let n = 0;
      for (const i of card.inputs) {
        const el = form.elements[i.name];
        if (readings[i.name] && el && el.type === "number") {
          el.value = readings[i.name].value;
          n++;
        }
      }
      setFilled(n);
    } catch (e) {
      setFillError(e);
    }
  };
  const [busy, error, onSubmit] = useSubmit(async (form) => {
    const inputs = {};
    for (const i of card.inputs) {
      if (i.kind === "boolean") inputs[i.name] = form[i.name] === "on";
      else if (i.kind === "choice") inputs[i.name] = form[i.name];
      else if (form[i.name] !== "") {
        const value = Number(form[i.name]);
        const unit = units[i.name];
        inputs[i.name] = unit && unit !== i.unit ? { value, unit } : Number.isNaN(value) ? form[i.name] : value;
      }
    }
    setResult(null);
    const body = { model: card.id, inputs };
    if (form.patient_id) body.patient_id = form.patient_id.trim();
    setResult(await post("/api/diagnosis/assessments", body));
    onDone();
  });
  return html`<form class="calculator" onSubmit=${onSubmit} novalidate aria-describedby="card-outcome">
    <p id="card-outcome">${card.outcome}. ${t.horizon(card.horizon_years)}</p>
    <${ErrorNote} error=${error || fillError} strings=${S.common} />
    ${currentUser()?.role === "doctor" &&
    html`<${Field} label=${t.patient} name="patient_id" value=${patient || ""} hint=${t.patientHint} error=${fieldError(error, "patient_id")} />`}
    <p class="actions">
      <button type="button" class="secondary" onClick=${fromChart}>${t.fromChart}</button>
      ${filled !== null && html`<span role="status">${t.filled(filled)}</span>`}
    </p>
    ${card.inputs.map((i) => {
      const err = fieldError(error, i.name) || fieldError(error, `${i.name}.value`) || fieldError(error, `${i.name}.unit`);
      if (i.kind === "boolean")
        return html`<div class="field check" key=${i.name}>
          <input type="checkbox" id=${`in-${i.name}`} name=${i.name} />
          <label for=${`in-${i.name}`}>${label(i.name)}</label>
          ${err && html`<p class="field-error">${err}</p>`}
        </div>`;
      if (i.kind === "choice")
        return html`<${Field} key=${i.name} label=${label(i.name)} name=${i.name} type="select" error=${err}>
          ${i.choices.map((c) => html`<option value=${c}>${t.choices[c] || c}</option>`)}
        <//>`;
      // The card names the other units this reading is taken in, each with its range.
      const others = i.other_units || [];
      const unit = units[i.name] || i.unit;
      const shown = (others.find((o) => o.unit === unit) || i).range || [];
      return html`<div class="reading" key=${i.name}>
        <${Field} label=${`${label(i.name)} (${unit})`} name=${i.name} type="number" step="any" inputmode="decimal"
          min=${shown[0]} max=${shown[1]} hint=${shown.length === 2 && t.range(shown[0], shown[1], unit)} error=${err} />
        ${others.length > 0 &&
        html`<${Field} label=${t.unit(label(i.name))} name=${`${i.name}__unit`} type="select" value=${unit}
          onChange=${(e) => setUnits({ ...units, [i.name]: e.currentTarget.value })}>
          <option value=${i.unit}>${i.unit}</option>
          ${others.map((o) => html`<option value=${o.unit}>${o.unit}</option>`)}
        <//>`}
      </div>`;
    })}
    <button type="submit" disabled=${busy}>${busy ? t.busy : t.submit}</button>
    ${result && html`<${Result} a=${result} />`}
    <details>
      <summary>${t.caveats}</summary>
      <p>${t.population}: ${card.intended_population}</p>
      <ul>${card.caveats.map((c) => html`<li>${c}</li>`)}</ul>
    </details>
  </form>`;
}

function Result({ a }) {
  const t = S.risk;
  return html`<section class="result" aria-labelledby="h-result" role="status">
    <h2 id="h-result">${t.result}</h2>
    ${a.headline && html`<p class="headline">${a.headline}</p>`}
    <ul>
      ${a.outputs.map(
        (o) => html`<li key=${o.name}><strong>${o.unit === "probability" ? t.percent(o.value) : `${o.value} ${o.unit}`}</strong> — ${o.description}</li>`,
      )}
    </ul>
    <p>${t.byModel(a.model.title, a.model.version)}. ${t.citation}: ${a.model.citation}</p>
    <p class="disclaimer">${a.disclaimer || t.disclaimer}</p>
  </section>`;
}
