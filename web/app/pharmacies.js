// Finding a pharmacy: the nearest ones (open now, offering a service), on a map and in a list
// that works without the map; one pharmacy's hours as a week table; a patient's "my pharmacy";
// staff's import of an OpenStreetMap export or a CSV file, with its row report.
import { html, useState, useEffect, Field, ErrorNote, Loading, Empty, useLoad } from "./ui.js";
import { useRef } from "/vendor/htm-3.1.1/standalone.module.js";
import * as L from "/vendor/leaflet-1.9.4/leaflet-src.esm.js";
import { get, put, post, call, withQuery, currentUser, bearer, ApiError } from "./api.js";
import { fieldError } from "./account.js";
import * as S from "./strings.js";

const SERVICES = ["vaccination", "compounding", "delivery", "wheelchair_access", "24_hours", "on_duty_rota", "click_and_collect"];

/** The clinic's tile server, asked once. */
let mapSettings;
const tiles = () => (mapSettings ??= get("/api/locator/map").catch(() => ({ tile_url: null, attribution: null })));

/** The pharmacies on a map: a dot each (green when open), the search's point, fitted to them. */
function PharmacyMap({ items, center }) {
  const box = useRef(null);
  const map = useRef(null);
  const layer = useRef(null);
  useEffect(() => {
    map.current = L.map(box.current, { scrollWheelZoom: false });
    layer.current = L.layerGroup().addTo(map.current);
    tiles().then((t) => {
      if (t.tile_url && map.current) L.tileLayer(t.tile_url, { attribution: t.attribution || "", maxZoom: 19 }).addTo(map.current);
    });
    return () => {
      map.current.remove();
      map.current = null;
    };
  }, []);
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    layer.current.clearLayers();
    const points = [];
    if (center) {
      L.circleMarker(center, { radius: 6, color: "#1d4ed8", fillOpacity: 1 }).bindTooltip(S.pharmacies.you).addTo(layer.current);
      points.push(center);
    }
    for (const p of items) {
      const at = [p.position.lat, p.position.lon];
      points.push(at);
      L.circleMarker(at, { radius: 8, color: p.open ? "#15803d" : "#6b7280", fillOpacity: 0.8 })
        .bindPopup(`<strong>${escape(p.name)}</strong><br>${escape(p.summary || "")}`)
        .addTo(layer.current);
    }
    if (points.length) m.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 15 });
    else m.setView([20, 0], 2);
  }, [items, center && center.join()]);
  return html`<div class="map" ref=${box} role="region" aria-label=${S.pharmacies.mapLabel(items.length)}></div>`;
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function Summary({ p }) {
  const t = S.pharmacies;
  const badge = p.state === "open" ? t.open : p.state === "closed" ? t.closed : t.unknown;
  return html`<p><span class=${`badge ${p.state}`}>${badge}</span> ${p.summary}</p>`;
}

export function FindPharmacy({ query, go }) {
  const t = S.pharmacies;
  const [locating, setLocating] = useState(false);
  const [geoError, setGeoError] = useState(null);
  const params = { ...query, limit: 20 };
  const [found, error] = useLoad(() => get(withQuery("/api/locator/pharmacies", params)), [JSON.stringify(query)]);
  const submit = (form) => {
    const f = Object.fromEntries(new FormData(form));
    if (!f.open_now) delete f.open_now;
    Object.keys(f).forEach((k) => f[k] === "" && delete f[k]);
    go(withQuery("#/pharmacies", f));
  };
  const locate = (ev) => {
    const form = ev.currentTarget.form;
    if (!navigator.geolocation) return setGeoError(t.noGeolocation);
    setLocating(true);
    setGeoError(null);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        form.elements.near.value = `${pos.coords.latitude.toFixed(5)},${pos.coords.longitude.toFixed(5)}`;
        submit(form);
      },
      () => {
        setLocating(false);
        setGeoError(t.geolocationRefused);
      },
      { enableHighAccuracy: false, timeout: 10000 },
    );
  };
  const center = query.near && query.near.includes(",") ? query.near.split(",").map(Number) : null;
  return html`<section aria-labelledby="h-pharmacies">
    <h1 id="h-pharmacies">${t.title}</h1>
    <form class="filters" role="search" onSubmit=${(ev) => { ev.preventDefault(); submit(ev.currentTarget); }}>
      <${Field} label=${t.near} name="near" value=${query.near || ""} hint=${t.nearHint} error=${fieldError(error, "near")} />
      <button type="button" class="secondary" onClick=${locate} disabled=${locating}>${locating ? t.locating : t.useMyLocation}</button>
      <${Field} label=${t.radius} name="radius_km" type="number" min="1" max="500" step="any" value=${query.radius_km || ""} error=${fieldError(error, "radius_km")} />
      <${Field} label=${t.service} name="service" type="select" value=${query.service || ""}>
        <option value="">${t.anyService}</option>
        ${SERVICES.map((s) => html`<option value=${s}>${t.services[s]}</option>`)}
      <//>
      <${Field} label=${t.name} name="q" value=${query.q || ""} error=${fieldError(error, "q")} />
      <p class="check"><label><input type="checkbox" name="open_now" value="true" checked=${query.open_now === "true"} /> ${t.openNow}</label></p>
      <button type="submit">${t.search}</button>
    </form>
    ${geoError && html`<p class="error" role="alert">${geoError}</p>`}
    <${ErrorNote} error=${error} strings=${S.common} />
    ${found === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${found && html`<${PharmacyMap} items=${found.items} center=${center} />`}
    ${found && found.items.length === 0 && html`<${Empty} text=${query.near ? t.noneNear : t.none} />`}
    ${found &&
    html`<ul class="cards">
      ${found.items.map(
        (p) => html`<li class="card" key=${p.id}>
          <h2><a href=${`#/pharmacies/${encodeURIComponent(p.id)}`}>${p.name}</a></h2>
          <p>${p.address_line}${p.distance_km !== undefined ? ` · ${t.distance(p.distance_km)}` : ""}</p>
          <${Summary} p=${p} />
          ${p.services.length > 0 && html`<p class="services">${p.services.map((s) => t.services[s] || s).join(" · ")}</p>`}
        </li>`,
      )}
    </ul>`}
  </section>`;
}

/** The week's open stretches, by local day: "Thu 3 Dec: 08:00–19:00". */
function Week({ week }) {
  const t = S.pharmacies;
  // Each stretch under every local day it covers (24/7 is one stretch across the week).
  const days = new Map();
  const nextDay = (d) => new Date(Date.parse(`${d}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);
  for (const i of week) {
    let d = i.from.slice(0, 10);
    let from = i.from;
    while (from < i.to) {
      const midnight = `${nextDay(d)}T00:00`;
      const to = i.to < midnight ? i.to : midnight;
      if (!days.has(d)) days.set(d, []);
      days.get(d).push({ ...i, from, to });
      from = to;
      d = nextDay(d);
    }
  }
  const label = (d) => new Date(`${d}T12:00:00Z`).toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "short", timeZone: "UTC" });
  const hhmm = (s, d) => (s.slice(0, 10) !== d && s.slice(11) === "00:00" ? "24:00" : s.slice(11));
  return html`<table class="week">
    <caption>${t.week}</caption>
    <thead><tr><th scope="col">${t.day}</th><th scope="col">${t.hours}</th></tr></thead>
    <tbody>
      ${[...days].map(
        ([d, list]) => html`<tr key=${d}>
          <th scope="row">${label(d)}</th>
          <td>${list.map((i) => `${i.from.slice(11)}–${hhmm(i.to, d)}${i.state === "unknown" ? ` (${t.unknown})` : ""}${i.comment ? ` (${i.comment})` : ""}`).join(", ")}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

export function PharmacyPage({ id }) {
  const t = S.pharmacies;
  const me = currentUser();
  const [p, error, reload] = useLoad(() => get(`/api/locator/pharmacies/${encodeURIComponent(id)}`), [id]);
  const [mine, setMine] = useState(null);
  const [actionError, setActionError] = useState(null);
  useEffect(() => {
    if (me?.role !== "patient") return;
    get(`/api/locator/patients/${encodeURIComponent(me.id)}/preferred-pharmacy`).then(
      (pref) => setMine(pref.id),
      () => setMine(null),
    );
  }, [id]);
  if (error) return html`<${ErrorNote} error=${error} strings=${S.common} />`;
  if (!p) return html`<${Loading} text=${S.common.loading} />`;
  const prefer = async () => {
    setActionError(null);
    try {
      const chosen = await put(`/api/locator/patients/${encodeURIComponent(me.id)}/preferred-pharmacy`, { pharmacy_id: p.id });
      setMine(chosen.id);
    } catch (e) {
      setActionError(e);
    }
  };
  const close = async () => {
    if (!confirm(t.confirmClose(p.name))) return;
    setActionError(null);
    try {
      await post(`/api/locator/pharmacies/${encodeURIComponent(p.id)}/close`);
      reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const staff = me && (me.role === "staff" || me.role === "admin");
  // Staff, and pharmacists (locator lets only this pharmacy's own ones through).
  const editsHours = p.status === "active" && me && (staff || me.role === "pharmacist");
  const removeDay = async (date) => {
    setActionError(null);
    try {
      await call("DELETE", `/api/locator/pharmacies/${encodeURIComponent(p.id)}/exceptions/${date}`);
      reload();
    } catch (e) {
      setActionError(e);
    }
  };
  return html`<section aria-labelledby="h-pharmacy">
    <p><a href="#/pharmacies">${t.back}</a></p>
    <h1 id="h-pharmacy">${p.name}</h1>
    ${p.status === "closed" && html`<p class="error">${t.closedForGood}</p>`}
    <p>${p.address_line}</p>
    <${Summary} p=${p} />
    ${p.phone && html`<p>${t.phone}: <a href=${`tel:${p.phone.replace(/[^+\d]/g, "")}`}>${p.phone}</a></p>`}
    ${p.website && html`<p><a href=${p.website} rel="noopener noreferrer" target="_blank">${t.website}</a></p>`}
    ${p.services.length > 0 && html`<p class="services">${p.services.map((s) => t.services[s] || s).join(" · ")}</p>`}
    <${Week} week=${p.week || []} />
    <p class="hint">${t.osmHours}: <code>${p.opening_hours}</code> (${p.time_zone})</p>
    ${(p.exceptions.length > 0 || editsHours) && html`<h2>${t.exceptions}</h2>`}
    ${p.exceptions.length > 0 &&
    html`<ul>
      ${p.exceptions.map(
        (e) => html`<li key=${e.date}>
          ${e.date}: ${t.kinds[e.kind]}${e.hours ? ` ${e.hours}` : ""}${e.note ? ` — ${e.note}` : ""}
          ${editsHours && html` <button type="button" class="secondary" onClick=${() => removeDay(e.date)}>${t.removeDay(e.date)}</button>`}
        </li>`,
      )}
    </ul>`}
    ${editsHours && html`<${DayForm} id=${p.id} version=${p.version} onSaved=${reload} />`}
    <${ErrorNote} error=${actionError} strings=${S.common} />
    ${me?.role === "patient" &&
    (mine === p.id
      ? html`<p class="notice" role="status">${t.isMine}</p>`
      : html`<button type="button" onClick=${prefer}>${t.makeMine}</button>`)}
    ${staff && p.status === "active" && html`<button type="button" class="secondary" onClick=${close}>${t.close}</button>`}
  </section>`;
}

/** One day's exception: closed, other hours, or extra hours (an on-duty night). */
function DayForm({ id, version, onSaved }) {
  const t = S.pharmacies;
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const onSubmit = async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const f = Object.fromEntries(new FormData(form));
    setError(null);
    setSaved(null);
    try {
      await put(`/api/locator/pharmacies/${encodeURIComponent(id)}/exceptions/${f.date}`, {
        kind: f.kind,
        hours: f.kind === "closed" ? null : f.hours || null,
        note: f.note || null,
        version,
      });
      setSaved(f.date);
      form.reset();
      onSaved();
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="filters" onSubmit=${onSubmit} aria-label=${t.dayForm}>
    <${Field} label=${t.date} name="date" type="date" required error=${fieldError(error, "date")} />
    <${Field} label=${t.kind} name="kind" type="select">
      <option value="closed">${t.kindOptions.closed}</option>
      <option value="hours">${t.kindOptions.hours}</option>
      <option value="extra">${t.kindOptions.extra}</option>
    <//>
    <${Field} label=${t.dayHours} name="hours" hint=${t.dayHoursHint} error=${fieldError(error, "hours")} />
    <${Field} label=${t.note} name="note" error=${fieldError(error, "note")} />
    <button type="submit">${t.saveDay}</button>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${saved && html`<p class="notice" role="status">${t.daySaved(saved)}</p>`}
  </form>`;
}

export function ImportPharmacies() {
  const t = S.pharmacies;
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget);
    const file = f.get("file");
    if (!file || !file.name) return setError(new ApiError(422, { detail: t.chooseFile, errors: [{ field: "file", message: t.chooseFile }] }));
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const type = /\.csv$/i.test(file.name) ? "text/csv" : "application/geo+json";
      const params = { time_zone: f.get("time_zone") || undefined, country: f.get("country") || undefined };
      if (f.get("unknown_hours")) params.missing_hours = "unknown";
      Object.keys(params).forEach((k) => params[k] === undefined && delete params[k]);
      const token = await bearer();
      const resp = await fetch(withQuery("/api/locator/imports", params), {
        method: "POST",
        headers: { "content-type": type, accept: "application/json", authorization: `Bearer ${token}` },
        body: await file.text(),
      });
      const body = await resp.json().catch(() => ({}));
      if (!resp.ok) throw new ApiError(resp.status, body);
      setResult(body);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0));
    } finally {
      setBusy(false);
    }
  };
  const rows = error?.problem?.errors || [];
  return html`<section aria-labelledby="h-import">
    <h1 id="h-import">${t.importTitle}</h1>
    <p>${t.importHelp}</p>
    <form onSubmit=${onSubmit}>
      <${Field} label=${t.file} name="file" type="file" accept=".csv,.geojson,.json" error=${fieldError(error, "file")} />
      <${Field} label=${t.timeZone} name="time_zone" value="Europe/Berlin" hint=${t.timeZoneHint} error=${fieldError(error, "time_zone")} />
      <${Field} label=${t.country} name="country" value="" hint=${t.countryHint} error=${fieldError(error, "country")} />
      <p class="check"><label><input type="checkbox" name="unknown_hours" value="1" /> ${t.unknownHours}</label></p>
      <button type="submit" disabled=${busy}>${busy ? t.importing : t.import}</button>
    </form>
    ${error && html`<p class="error" role="alert">${error.status === 0 ? S.common.unreachable : error.message}</p>`}
    ${rows.length > 0 &&
    html`<table class="report">
      <caption>${t.report}</caption>
      <thead><tr><th scope="col">${t.line}</th><th scope="col">${t.field}</th><th scope="col">${t.problem}</th></tr></thead>
      <tbody>${rows.map((r, i) => html`<tr key=${i}><td>${r.line ?? ""}</td><td><code>${r.field}</code></td><td>${r.message}</td></tr>`)}</tbody>
    </table>`}
    ${result && html`<p class="notice" role="status">${t.imported(result)}</p>`}
  </section>`;
}
