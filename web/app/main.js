// The portal: a hash router over the screens, the session restored from auth's cookie on load,
// and a header whose navigation follows the signed-in role.
import { html, useState, useEffect } from "./ui.js";
import { render } from "/vendor/htm-3.1.1/standalone.module.js";
import { restore, signOut, onSessionChange, currentUser, authHealth, ApiError } from "./api.js";
import { SignIn, Register, Verified, VerifyBanner, ResetPassword } from "./account.js";
import { Notifications } from "./notifications.js";
import { onUnread } from "./live.js";
import { FindDoctor, DoctorPage } from "./doctors.js";
import { MyAppointments, Agenda } from "./appointments.js";
import { Risk } from "./risk.js";
import { Records, Report, ReportFor } from "./records.js";
import { Accounts, DoctorProfile, Events } from "./staff.js";
import { MyPrescriptions, Prescribe, Refills, Counter } from "./prescriptions.js";
import { FindPharmacy, PharmacyPage, ImportPharmacies } from "./pharmacies.js";
import { Forum, NewTopic, Topic, ForumSearch, ReviewQueue } from "./forum.js";
import * as S from "./strings.js";

function parseHash() {
  const [path, q = ""] = (location.hash.slice(1) || "/").split("?");
  return { path, query: Object.fromEntries(new URLSearchParams(q)) };
}

const go = (hash) => {
  location.hash = hash;
};

/** Where each role starts. */
const home = (user) =>
  !user
    ? "#/sign-in"
    : user.role === "doctor"
      ? "#/agenda"
      : user.role === "admin"
        ? "#/accounts"
        : user.role === "pharmacist"
          ? "#/counter"
          : "#/doctors";

function screen(route, user) {
  const { path, query } = route;
  const doctorMatch = path.match(/^\/doctors\/([^/]+)$/);
  if (path === "/sign-in") return html`<${SignIn} go=${go} />`;
  if (path === "/register") return html`<${Register} go=${go} />`;
  if (path === "/verified") return html`<${Verified} query=${query} />`;
  // Keyed by the token: arriving from a link starts the form afresh.
  if (path === "/reset-password") return html`<${ResetPassword} key=${query.token || ""} query=${query} />`;
  if (path === "/doctors") return html`<${FindDoctor} query=${query} go=${go} />`;
  if (doctorMatch) return html`<${DoctorPage} id=${decodeURIComponent(doctorMatch[1])} query=${query} />`;
  if (path === "/pharmacies") return html`<${FindPharmacy} query=${query} go=${go} />`;
  if (path === "/pharmacies/import" && user) return html`<${ImportPharmacies} />`;
  const pharmacyMatch = path.match(/^\/pharmacies\/([^/]+)$/);
  if (pharmacyMatch && pharmacyMatch[1] !== "import") return html`<${PharmacyPage} key=${pharmacyMatch[1]} id=${decodeURIComponent(pharmacyMatch[1])} />`;
  if (path === "/forum") return html`<${Forum} query=${query} go=${go} />`;
  if (path === "/forum/search") return html`<${ForumSearch} key=${query.q || ""} query=${query} go=${go} />`;
  const topicMatch = path.match(/^\/forum\/t\/([^/]+)$/);
  if (topicMatch) return html`<${Topic} key=${topicMatch[1]} id=${decodeURIComponent(topicMatch[1])} />`;
  if (!user) return html`<${SignIn} go=${go} />`;
  if (path === "/forum/new") return html`<${NewTopic} query=${query} go=${go} />`;
  if (path === "/forum/review") return html`<${ReviewQueue} />`;
  // A notification's link names the visit (#/appointments/<id>): the list shows it.
  if (path === "/appointments" || path.startsWith("/appointments/")) return html`<${MyAppointments} />`;
  if (path === "/agenda") return html`<${Agenda} query=${query} go=${go} />`;
  if (path === "/notifications") return html`<${Notifications} />`;
  if (path === "/records") return html`<${Records} query=${query} go=${go} />`;
  if (path === "/records/report") return html`<${ReportFor} key=${query.appointment} appointment=${query.appointment} go=${go} />`;
  const reportMatch = path.match(/^\/records\/reports\/([^/]+)$/);
  if (reportMatch) return html`<${Report} key=${reportMatch[1]} id=${decodeURIComponent(reportMatch[1])} query=${query} />`;
  const chartMatch = path.match(/^\/records\/([^/]+)$/);
  if (chartMatch) return html`<${Records} key=${chartMatch[1]} patient=${decodeURIComponent(chartMatch[1])} query=${query} go=${go} />`;
  // A notification's link names the prescription (#/prescriptions/<id>): the list shows it.
  if (path === "/prescriptions" || path.startsWith("/prescriptions/")) return html`<${MyPrescriptions} />`;
  const prescribeMatch = path.match(/^\/prescribe\/([^/]+)$/);
  if (prescribeMatch) return html`<${Prescribe} key=${prescribeMatch[1]} patient=${decodeURIComponent(prescribeMatch[1])} />`;
  if (path === "/refills") return html`<${Refills} />`;
  if (path === "/counter") return html`<${Counter} />`;
  if (path === "/risk") return html`<${Risk} query=${query} go=${go} />`;
  if (path === "/accounts") return html`<${Accounts} query=${query} go=${go} />`;
  if (path === "/profile") return html`<${DoctorProfile} id=${query.id || user.id} />`;
  if (path === "/events") return html`<${Events} query=${query} go=${go} />`;
  return null;
}

/** The header's way to the notifications, with the unread count as it changes. */
function Bell() {
  const [count, setCount] = useState(0);
  useEffect(() => onUnread(setCount), []);
  const here = (location.hash.split("?")[0] || "#/") === "#/notifications";
  return html`<a href="#/notifications" class="bell" aria-current=${here ? "page" : undefined}>
    ${S.nav.notifications}${count > 0 && html` <span class="count" aria-label=${S.notifications.unread(count)}>${count}</span>`}
  </a>`;
}

function Nav({ user }) {
  const n = S.nav;
  const links = !user
    ? [["#/doctors", n.findDoctor], ["#/pharmacies", n.pharmacies], ["#/forum", n.forum], ["#/sign-in", n.signIn], ["#/register", n.register]]
    : user.role === "doctor"
      ? [["#/agenda", n.agenda], ["#/refills", n.refills], ["#/profile", n.profile], ["#/risk", n.risk], ["#/forum", n.forum]]
      : user.role === "admin"
        ? [["#/accounts", n.accounts], ["#/doctors", n.findDoctor], ["#/events", n.events], ["#/pharmacies", n.pharmacies], ["#/pharmacies/import", n.importPharmacies], ["#/forum", n.forum]]
        : user.role === "staff"
          ? [["#/doctors", n.findDoctor], ["#/events", n.events], ["#/pharmacies", n.pharmacies], ["#/pharmacies/import", n.importPharmacies], ["#/forum", n.forum]]
          : user.role === "pharmacist"
            ? [["#/counter", n.counter], ["#/doctors", n.findDoctor], ["#/pharmacies", n.pharmacies], ["#/forum", n.forum]]
            : [["#/doctors", n.findDoctor], ["#/appointments", n.myAppointments], ["#/records", n.records], ["#/prescriptions", n.prescriptions], ["#/pharmacies", n.pharmacies], ["#/risk", n.risk], ["#/forum", n.forum]];
  const here = location.hash.split("?")[0] || "#/";
  return html`<nav aria-label=${S.common.nav}>
    <ul>
      ${links.map(([href, text]) => html`<li key=${href}><a href=${href} aria-current=${here === href ? "page" : undefined}>${text}</a></li>`)}
    </ul>
  </nav>`;
}

function App() {
  const [route, setRoute] = useState(parseHash);
  const [user, setUser] = useState(currentUser);
  const [ready, setReady] = useState(false);
  const [down, setDown] = useState(false);
  const [verifyRequired, setVerifyRequired] = useState(false);
  useEffect(() => {
    authHealth()
      .then((h) => setVerifyRequired(Boolean(h?.verified_email_required)))
      .catch(() => {});
  }, []);
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener("hashchange", onHash);
    // Effects run after the first paint: a hash that changed before the listener was attached
    // would otherwise be missed, leaving the old screen under the new address.
    onHash();
    const off = onSessionChange(setUser);
    restore()
      .catch((e) => setDown(e instanceof ApiError && e.status === 0))
      .finally(() => setReady(true));
    return () => {
      removeEventListener("hashchange", onHash);
      off();
    };
  }, []);
  useEffect(() => {
    if (!ready) return;
    const { path } = route;
    if (path === "/" || ((path === "/sign-in" || path === "/register") && user)) go(home(user));
  }, [ready, route, user]);
  // Move focus to the new screen's heading, so keyboard and screen-reader users land on it.
  useEffect(() => {
    const h = document.querySelector("main h1");
    if (h) {
      h.setAttribute("tabindex", "-1");
      h.focus({ preventScroll: true });
    }
  }, [route.path, ready]);
  const c = S.common;
  return html`
    <a class="skip" href="#main">${c.skip}</a>
    <header>
      <p class="brand"><a href="#/">${c.appName}</a> <span>${c.tagline}</span></p>
      <${Nav} user=${user} />
      ${user &&
      html`<div class="who">
        <${Bell} />
        <span>${c.signedInAs(user.display_name, S.roles[user.role] || user.role)}</span>
        <button type="button" class="secondary" onClick=${async () => { await signOut(); go("#/sign-in"); }}>${c.signOut}</button>
      </div>`}
    </header>
    <main id="main">
      ${down && html`<p class="error" role="alert">${c.unreachable}</p>`}
      ${user && verifyRequired && user.email_verified === false && html`<${VerifyBanner} />`}
      ${ready ? screen(route, user) : html`<p class="loading" role="status">${c.loading}</p>`}
    </main>
    <footer><p>${c.disclaimer}</p></footer>
  `;
}

const root = document.getElementById("app");
root.textContent = ""; // the no-JavaScript placeholder
render(html`<${App} />`, root);
