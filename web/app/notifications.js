// The caller's notifications, newest first, as they arrive; marking them read; and whether
// reminders also come by email.
import { html, useState, ErrorNote, Loading, Empty, useLoad, dateTime } from "./ui.js";
import { get, post, put } from "./api.js";
import { useNotifications, setUnread } from "./live.js";
import * as S from "./strings.js";

export function Notifications() {
  const t = S.notifications;
  const [page, error, reload] = useLoad(() => get("/api/mail/notifications?limit=50"), []);
  const [prefs, prefsError, reloadPrefs] = useLoad(() => get("/api/mail/preferences"), []);
  const [actError, setActError] = useState(null);
  const [saved, setSaved] = useState(false);
  useNotifications(() => reload());
  const markAll = async () => {
    setActError(null);
    const newest = page?.items[0]?.seq;
    if (newest === undefined) return;
    try {
      await post("/api/mail/notifications/read", { up_to: newest });
      setUnread(0);
      reload();
    } catch (e) {
      setActError(e);
    }
  };
  const toggle = async (ev) => {
    setActError(null);
    setSaved(false);
    try {
      await put("/api/mail/preferences", { reminder_emails: ev.currentTarget.checked });
      setSaved(true);
      reloadPrefs();
    } catch (e) {
      setActError(e);
    }
  };
  return html`<section aria-labelledby="h-notifications">
    <h1 id="h-notifications">${t.title}</h1>
    <${ErrorNote} error=${error || prefsError || actError} strings=${S.common} />
    ${page === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page &&
    html`<p>${t.unread(page.unread)}</p>
      ${page.unread > 0 && html`<button type="button" class="secondary" onClick=${markAll}>${t.markAll}</button>`}
      ${page.items.length === 0
        ? html`<${Empty} text=${t.none} />`
        : html`<ul class="cards">
            ${page.items.map(
              (n) => html`<li class="card notification" key=${n.id} data-read=${n.read ? "yes" : "no"}>
                <h2>${n.title}</h2>
                <p>${dateTime(n.created_at)}</p>
                ${n.link && html`<a href=${n.link}>${t.open}</a>`}
              </li>`,
            )}
          </ul>`}`}
    ${prefs &&
    html`<p class="check">
      <label><input type="checkbox" checked=${prefs.reminder_emails} onChange=${toggle} /> ${t.reminderEmails}</label>
      ${saved && html` <span role="status">${t.saved}</span>`}
    </p>`}
  </section>`;
}
