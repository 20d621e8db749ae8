// The landing page's sign-in: talks to the auth API on the same origin. Tokens live in memory
// only (no localStorage), so closing the tab signs out.
"use strict";
let session = null;

const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = { "content-type": "application/json", ...(options.headers || {}) };
  if (session) headers.authorization = `Bearer ${session.access_token}`;
  const res = await fetch(path, { ...options, headers });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error(body?.detail || res.statusText), { status: res.status });
  return body;
}

async function showStatus() {
  try {
    const health = await api("/api/auth/health");
    $("status").textContent = health.admin_exists ? "Sign in to continue." : health.hint;
    $("login").hidden = false;
  } catch {
    $("status").textContent = "The clinic's service is not reachable right now.";
  }
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("login-error").textContent = "";
  try {
    session = await api("/api/auth/login", {
      method: "POST",
      body: JSON.stringify({ email: form.get("email"), password: form.get("password") }),
    });
    $("me-name").textContent = session.user.display_name;
    $("me-role").textContent = session.user.role;
    $("login").hidden = true;
    $("me").hidden = false;
  } catch (err) {
    $("login-error").textContent = err.message;
  }
});

$("logout").addEventListener("click", async () => {
  if (session) await api("/api/auth/logout", { method: "POST", body: JSON.stringify({ refresh_token: session.refresh_token }) }).catch(() => {});
  session = null;
  $("me").hidden = true;
  $("login").hidden = false;
});

showStatus();
