// Notifications in real time: mail's Server-Sent Events read with fetch (the access token goes
// in a header, which EventSource cannot send), resumed with Last-Event-ID when a stream ends
// (each lasts 25 s) or drops, and the long poll where a body cannot be read as a stream.
// Screens subscribe to hear of each notification; the header shows the unread count.
import { bearer, currentUser, onSessionChange } from "./api.js";
import { useEffect } from "./ui.js";

const listeners = new Set();
const counters = new Set();
let unread = 0;
let last = null; // the last event id seen: where a reconnect resumes
let running = null; // the AbortController of the loop for the signed-in user

/** Calls `fn(notification)` for each notification that arrives; returns the unsubscribe. */
export function onNotification(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** In a screen: runs `fn` whenever a notification arrives (a screen reloads what it shows). */
export function useNotifications(fn) {
  useEffect(() => onNotification(fn), []);
}

/** Calls `fn(count)` now and whenever the unread count changes. */
export function onUnread(fn) {
  counters.add(fn);
  fn(unread);
  return () => counters.delete(fn);
}

/** Sets the count the header shows (after marking read, say). */
export function setUnread(n) {
  unread = n;
  counters.forEach((fn) => fn(unread));
}

function dispatch(kind, data) {
  if (kind === "unread") setUnread(data.unread);
  if (kind === "notification") listeners.forEach((fn) => fn(data));
}

/** Reads one `text/event-stream` response to its end. */
async function readStream(resp, signal) {
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let kind = "message";
      let data = "";
      let id = null;
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // keep-alive
        const [field, ...rest] = line.split(":");
        const v = rest.join(":").replace(/^ /, "");
        if (field === "event") kind = v;
        else if (field === "data") data += v;
        else if (field === "id") id = v;
      }
      if (id !== null) last = id;
      if (data) {
        try {
          dispatch(kind, JSON.parse(data));
        } catch {
          // A malformed event is skipped; the next one stands alone.
        }
      }
    }
  }
}

/** One long poll: waits for news after `last` and hands it on. */
async function poll(token, signal) {
  const q = last === null ? "" : `?after=${encodeURIComponent(last)}`;
  const resp = await fetch(`/api/mail/notifications/poll${q}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    signal,
  });
  if (!resp.ok) throw new Error(`poll ${resp.status}`);
  const body = await resp.json();
  for (const n of body.items) dispatch("notification", n);
  setUnread(body.unread);
  last = String(body.next);
}

const streamable = typeof TextDecoderStream === "function" && typeof ReadableStream === "function";

async function loop(signal) {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const token = await bearer();
      if (!token) return;
      if (streamable) {
        const headers = { authorization: `Bearer ${token}`, accept: "text/event-stream" };
        if (last !== null) headers["last-event-id"] = last;
        const resp = await fetch("/api/mail/notifications/stream", { headers, signal });
        if (!resp.ok || !resp.body) throw new Error(`stream ${resp.status}`);
        await readStream(resp, signal);
      } else {
        await poll(token, signal);
      }
      failures = 0;
    } catch {
      if (signal.aborted) return;
      failures += 1;
    }
    // Reconnect at once after a stream's natural end; back off while the service fails.
    const wait = failures ? Math.min(30_000, 1000 * 2 ** failures) : 250;
    await new Promise((r) => setTimeout(r, wait));
  }
}

let following = null; // whose notifications the loop reads

function follow(user) {
  // A refreshed token is the same user: the stream goes on (it takes the new token next time).
  if ((user?.id ?? null) === following) return;
  following = user?.id ?? null;
  running?.abort();
  running = null;
  last = null;
  setUnread(0);
  if (!user) return;
  running = new AbortController();
  loop(running.signal);
}

onSessionChange(follow);
follow(currentUser());
