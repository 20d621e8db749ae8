// The forum: categories and topic lists (latest, top, unanswered), a topic with its replies
// (clinician answers and the accepted one marked, likes, flags), a composer with preview and the
// personal-information check, search, and the moderators' review queue. Post bodies arrive as
// HTML the forum sanitised when they were written; nothing here builds markup from them.
import { html, useState, Field, ErrorNote, Loading, Empty, useLoad, dateTime } from "./ui.js";
import { get, post, put, call, withQuery, currentUser, ApiError } from "./api.js";
import * as S from "./strings.js";

const isModerator = (u) => u && (u.role === "staff" || u.role === "admin");
const REASONS = ["off_topic", "inappropriate", "spam", "misinformation", "personal_information", "other"];

/** What the personal-information check found, from a 422 or a preview. */
function Findings({ items }) {
  const t = S.forum;
  if (!items || !items.length) return null;
  return html`<div class="notice" role="alert">
    <p>${t.phiIntro}</p>
    <ul>${items.map((f, i) => html`<li key=${i}>${t.phiFinding(f.field, f.position, f.message)}</li>`)}</ul>
  </div>`;
}

/**
 * A Markdown editor with a preview; `send(body, confirmed)` writes. When the forum's check
 * finds personal information, the findings are shown and the author may post anyway.
 */
function Composer({ label, send, title, initial = "", submitText, onDone }) {
  const t = S.forum;
  const [body, setBody] = useState(initial);
  const [preview, setPreview] = useState(null);
  const [findings, setFindings] = useState(null);
  const [confirmed, setConfirmed] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const showPreview = async () => {
    setError(null);
    try {
      const p = await post("/api/forum/preview", { body, ...(title ? { title } : {}) });
      setPreview(p);
      setFindings(p.personal_information);
    } catch (e) {
      setError(e);
    }
  };
  const submit = async (ev) => {
    ev.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await send(body, confirmed);
      setBody("");
      setPreview(null);
      setFindings(null);
      setConfirmed(false);
      onDone && onDone();
    } catch (e) {
      if (e instanceof ApiError && e.problem.type?.endsWith("/personal-information")) {
        setFindings(e.problem.errors);
      } else setError(e);
    } finally {
      setBusy(false);
    }
  };
  const fieldErr = error instanceof ApiError ? error.fields.body : undefined;
  return html`<form class="composer" onSubmit=${submit}>
    <${Field} label=${label} name="body" type="textarea" rows="6" value=${body} error=${fieldErr}
      hint=${t.markdownHint} onInput=${(e) => setBody(e.currentTarget.value)} />
    <${Findings} items=${findings} />
    ${findings && findings.length > 0 && html`<p class="check"><label>
      <input type="checkbox" name="confirm" checked=${confirmed} onChange=${(e) => setConfirmed(e.currentTarget.checked)} /> ${t.phiConfirm}
    </label></p>`}
    <${ErrorNote} error=${error && !fieldErr ? error : null} strings=${S.common} />
    <p class="actions">
      <button type="button" class="secondary" onClick=${showPreview} disabled=${!body.trim()}>${t.preview}</button>
      <button type="submit" disabled=${busy || !body.trim()}>${busy ? t.posting : submitText}</button>
    </p>
    ${preview && html`<section class="preview" aria-label=${t.preview}>
      <div class="post-body" dangerouslySetInnerHTML=${{ __html: preview.html }}></div>
      ${preview.level === "new" && html`<p class="hint">${t.newLimits(preview.limits)}</p>`}
    </section>`}
  </form>`;
}

/** Topic rows. */
function TopicList({ items }) {
  const t = S.forum;
  if (!items.length) return html`<${Empty} text=${t.noTopics} />`;
  return html`<ul class="cards topics">
    ${items.map(
      (i) => html`<li class="card" key=${i.id}>
        <h2><a href=${`#/forum/t/${i.id}`}>${i.title}</a></h2>
        <p>${i.category.name} · ${t.by(i.author.name)} · ${t.replies(i.replies)} · ${t.likes(i.likes)}
          ${i.answered && html` · <span class="badge open">${t.answered}</span>`}</p>
        <p class="hint">${t.lastActivity(dateTime(i.last_posted_at))}</p>
      </li>`,
    )}
  </ul>`;
}

function NewCategory({ onDone }) {
  const t = S.forum;
  const [name, setName] = useState("");
  const [who, setWho] = useState("signed_in");
  const [pub, setPub] = useState(true);
  const [error, setError] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    setError(null);
    try {
      await post("/api/forum/categories", { name, who_posts: who, public: pub });
      setName("");
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="inline" onSubmit=${submit} aria-label=${t.newCategory}>
    <${Field} label=${t.categoryName} name="name" value=${name} error=${error?.fields?.name} onInput=${(e) => setName(e.currentTarget.value)} />
    <${Field} label=${t.whoPosts} name="who_posts" type="select" value=${who} onChange=${(e) => setWho(e.currentTarget.value)}>
      <option value="signed_in">${t.everyone}</option>
      <option value="clinicians">${t.cliniciansOnly}</option>
    <//>
    <p class="check"><label><input type="checkbox" checked=${pub} onChange=${(e) => setPub(e.currentTarget.checked)} /> ${t.publicCategory}</label></p>
    <${ErrorNote} error=${error} strings=${S.common} />
    <button type="submit">${t.addCategory}</button>
  </form>`;
}

/** The name the forum shows for the signed-in member (their real name is never shown unless
 * they choose it). */
function MyName() {
  const t = S.forum;
  const [me, error, reload] = useLoad(() => get("/api/forum/me"), []);
  const [name, setName] = useState(null);
  const [saveError, setSaveError] = useState(null);
  const [saved, setSaved] = useState(false);
  if (!me) return html`<${ErrorNote} error=${error} strings=${S.common} />`;
  const save = async (ev) => {
    ev.preventDefault();
    setSaveError(null);
    setSaved(false);
    try {
      await put("/api/forum/me", { display_name: name ?? me.display_name });
      setSaved(true);
      reload();
    } catch (e) {
      setSaveError(e);
    }
  };
  return html`<form class="inline" onSubmit=${save}>
    <${Field} label=${t.yourName} name="display_name" value=${name ?? me.display_name} error=${saveError?.fields?.display_name}
      hint=${me.silenced_until ? t.silenced(dateTime(me.silenced_until), me.silence_reason) : t.nameHint} onInput=${(e) => setName(e.currentTarget.value)} />
    <button type="submit" class="secondary">${t.saveName}</button>
    ${saved && html`<span role="status">${t.saved}</span>`}
  </form>`;
}

/** What moderators did about the member's posts and account, with their reasons. */
function MyModeration() {
  const t = S.forum;
  const [page] = useLoad(() => get("/api/forum/me/actions?limit=10"), []);
  if (!page || page.items.length === 0) return null;
  return html`<section aria-labelledby="h-my-moderation">
    <h2 id="h-my-moderation">${t.aboutYou}</h2>
    <ul>${page.items.map((a) => html`<li key=${a.id}>${dateTime(a.created_at)}: ${t.actions[a.kind] || a.kind}${a.topic_title ? ` (“${a.topic_title}”)` : ""} — ${a.reason}</li>`)}</ul>
  </section>`;
}

/** `#/forum`: categories, the topic list, search. */
export function Forum({ query, go }) {
  const t = S.forum;
  const user = currentUser();
  const sort = query.sort || "latest";
  const [cats, catsError, reloadCats] = useLoad(() => get("/api/forum/categories"), [user?.id]);
  const [page, error] = useLoad(
    () => get(withQuery("/api/forum/topics", { sort, category: query.category, period: sort === "top" ? query.period || "month" : undefined, limit: 30 })),
    [sort, query.category, query.period, user?.id],
  );
  const [q, setQ] = useState("");
  const link = (over) => `#/forum?${new URLSearchParams(Object.entries({ ...query, ...over }).filter(([, v]) => v)).toString()}`;
  return html`<section aria-labelledby="h-forum">
    <h1 id="h-forum">${t.title}</h1>
    <p>${t.intro}</p>
    <form role="search" class="inline" onSubmit=${(e) => { e.preventDefault(); if (q.trim()) go(`#/forum/search?q=${encodeURIComponent(q)}`); }}>
      <${Field} label=${t.search} name="q" type="search" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} />
      <button type="submit">${t.searchButton}</button>
    </form>
    ${user && html`<${MyName} />`}
    ${user && html`<p><a class="button" href=${withQuery("#/forum/new", { category: query.category })}>${t.newTopic}</a>
      ${isModerator(user) && html` <a href="#/forum/review">${t.reviewQueue}</a>`}</p>`}
    <${ErrorNote} error=${catsError || error} strings=${S.common} />
    <nav aria-label=${t.categories} class="tabs">
      <a href=${link({ category: "" })} aria-current=${!query.category ? "page" : undefined}>${t.allCategories}</a>
      ${(cats?.items || []).map((c) => html` <a key=${c.id} href=${link({ category: c.slug })} aria-current=${query.category === c.slug ? "page" : undefined}>
        ${c.name}${c.who_posts === "clinicians" ? ` (${t.cliniciansOnly})` : ""}</a>`)}
    </nav>
    <nav aria-label=${t.sortBy} class="tabs">
      ${["latest", "top", "unanswered"].map((s) => html` <a key=${s} href=${link({ sort: s })} aria-current=${sort === s ? "page" : undefined}>${t.sorts[s]}</a>`)}
    </nav>
    ${page === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && html`<${TopicList} items=${page.items} />`}
    ${user && html`<${MyModeration} />`}
    ${isModerator(user) && html`<h2>${t.newCategory}</h2><${NewCategory} onDone=${reloadCats} />`}
  </section>`;
}

/** `#/forum/new`: a new topic. */
export function NewTopic({ query, go }) {
  const t = S.forum;
  const [cats] = useLoad(() => get("/api/forum/categories"), []);
  const [category, setCategory] = useState(query.category || "");
  const [title, setTitle] = useState("");
  const [error, setError] = useState(null);
  const chosen = category || cats?.items?.[0]?.slug || "";
  const send = async (body, confirmed) => {
    setError(null);
    try {
      const r = await post("/api/forum/topics", { category: chosen, title, body, personal_information_confirmed: confirmed });
      go(`#/forum/t/${r.id}`);
    } catch (e) {
      if (e instanceof ApiError && (e.fields.title || e.fields.category)) setError(e);
      throw e;
    }
  };
  return html`<section aria-labelledby="h-new-topic">
    <h1 id="h-new-topic">${t.newTopic}</h1>
    <${Field} label=${t.category} name="category" type="select" value=${chosen} error=${error?.fields?.category}
      onChange=${(e) => setCategory(e.currentTarget.value)}>
      ${(cats?.items || []).map((c) => html`<option key=${c.id} value=${c.slug}>${c.name}</option>`)}
    <//>
    <${Field} label=${t.topicTitle} name="title" value=${title} error=${error?.fields?.title} onInput=${(e) => setTitle(e.currentTarget.value)} />
    <${Composer} label=${t.firstPost} title=${title} send=${send} submitText=${t.postTopic} />
  </section>`;
}

function FlagForm({ postId, onDone }) {
  const t = S.forum;
  const [reason, setReason] = useState("misinformation");
  const [note, setNote] = useState("");
  const [error, setError] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    setError(null);
    try {
      await post(`/api/forum/posts/${postId}/flags`, { reason, ...(note.trim() ? { note } : {}) });
      onDone(t.flagged);
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="inline flag" onSubmit=${submit} aria-label=${t.flag}>
    <${Field} label=${t.flagReason} name="reason" type="select" value=${reason} onChange=${(e) => setReason(e.currentTarget.value)}>
      ${REASONS.map((r) => html`<option key=${r} value=${r}>${t.reasons[r]}</option>`)}
    <//>
    <${Field} label=${t.flagNote} name="note" value=${note} error=${error?.fields?.note} onInput=${(e) => setNote(e.currentTarget.value)} />
    <${ErrorNote} error=${error && !error.fields?.note ? error : null} strings=${S.common} />
    <button type="submit">${t.sendFlag}</button>
  </form>`;
}

function Post({ p, topic, user, reload }) {
  const t = S.forum;
  const [flagging, setFlagging] = useState(false);
  const [note, setNote] = useState(null);
  const [error, setError] = useState(null);
  const act = (fn) => async () => {
    setError(null);
    try {
      await fn();
      reload();
    } catch (e) {
      setError(e);
    }
  };
  const mine = user && user.id === p.author.id;
  const canAccept = user && p.number > 1 && p.status === "visible" && (user.id === topic.author_id || isModerator(user));
  return html`<li class=${`card post ${p.status}`} key=${p.id} id=${`post-${p.id}`} data-post=${p.number}>
    <p class="meta"><strong>${p.author.name}</strong>
      ${p.clinician_answer && html` <span class="badge clinician">${t.clinicianAnswer}</span>`}
      ${p.accepted && html` <span class="badge open">${t.acceptedAnswer}</span>`}
      <span class="hint"> · ${dateTime(p.created_at)}${p.edited_at ? ` · ${t.edited}` : ""}</span></p>
    ${p.status !== "visible" && html`<p class="notice">${p.status === "deleted" ? t.deleted : p.hidden_reason === "flagged" ? t.hiddenFlagged : t.hiddenModerator}</p>`}
    ${p.html && html`<div class="post-body" dangerouslySetInnerHTML=${{ __html: p.html }}></div>`}
    <${ErrorNote} error=${error} strings=${S.common} />
    ${note && html`<p role="status">${note}</p>`}
    ${user && p.status === "visible" && html`<p class="actions">
      ${!mine && html`<button type="button" class="secondary" aria-pressed=${p.liked ? "true" : "false"}
        onClick=${act(() => call(p.liked ? "DELETE" : "PUT", `/api/forum/posts/${p.id}/like`))}>${t.like(p.likes, p.liked)}</button>`}
      ${mine && html`<span class="hint">${t.likes(p.likes)}</span>`}
      ${canAccept && !p.accepted && html` <button type="button" class="secondary" onClick=${act(() => put(`/api/forum/topics/${topic.id}/accepted`, { post_id: p.id }))}>${t.accept}</button>`}
      ${!mine && !flagging && html` <button type="button" class="secondary" onClick=${() => setFlagging(true)}>${t.flag}</button>`}
    </p>`}
    ${flagging && html`<${FlagForm} postId=${p.id} onDone=${(m) => { setFlagging(false); setNote(m); reload(); }} />`}
  </li>`;
}

/** `#/forum/t/<id>`: a topic and its replies. */
export function Topic({ id }) {
  const t = S.forum;
  const user = currentUser();
  const [page, error, reload] = useLoad(() => get(`/api/forum/topics/${encodeURIComponent(id)}?limit=100`), [id, user?.id]);
  const [watchError, setWatchError] = useState(null);
  if (error) return html`<section><h1>${t.title}</h1><${ErrorNote} error=${error} strings=${S.common} /><p><a href="#/forum">${t.back}</a></p></section>`;
  if (!page) return html`<${Loading} text=${S.common.loading} />`;
  const topic = page.topic;
  const canReply = user && topic.status === "visible";
  const watch = async (ev) => {
    setWatchError(null);
    try {
      await put(`/api/forum/topics/${topic.id}/watch`, { level: ev.currentTarget.value });
      reload();
    } catch (e) {
      setWatchError(e);
    }
  };
  return html`<section aria-labelledby="h-topic">
    <p><a href=${`#/forum?category=${topic.category.slug}`}>${topic.category.name}</a></p>
    <h1 id="h-topic">${topic.title}</h1>
    ${user && html`<div class="inline"><${Field} label=${t.watchLabel} name="watch" type="select" value=${topic.watch} onChange=${watch}>
      <option value="watching">${t.watching}</option><option value="normal">${t.normal}</option><option value="muted">${t.muted}</option>
    <//></div><${ErrorNote} error=${watchError} strings=${S.common} />`}
    <ol class="cards posts">${page.posts.map((p) => html`<${Post} key=${p.id} p=${p} topic=${topic} user=${user} reload=${reload} />`)}</ol>
    ${canReply
      ? html`<h2>${t.yourReply}</h2><${Composer} label=${t.reply} submitText=${t.postReply} onDone=${reload}
          send=${(body, confirmed) => post(`/api/forum/topics/${topic.id}/replies`, { body, personal_information_confirmed: confirmed })} />`
      : !user && html`<p><a href="#/sign-in">${t.signInToReply}</a></p>`}
  </section>`;
}

/** `#/forum/search?q=`. */
export function ForumSearch({ query, go }) {
  const t = S.forum;
  const [q, setQ] = useState(query.q || "");
  const [page, error] = useLoad(() => (query.q ? get(withQuery("/api/forum/search", { q: query.q, limit: 30 })) : Promise.resolve(null)), [query.q]);
  return html`<section aria-labelledby="h-search">
    <h1 id="h-search">${t.searchTitle}</h1>
    <form role="search" class="inline" onSubmit=${(e) => { e.preventDefault(); go(`#/forum/search?q=${encodeURIComponent(q)}`); }}>
      <${Field} label=${t.search} name="q" type="search" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} />
      <button type="submit">${t.searchButton}</button>
    </form>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${page === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && (page.items.length === 0
      ? html`<${Empty} text=${t.noMatches} />`
      : html`<ol class="cards results">${page.items.map((i) => html`<li class="card" key=${i.post.id}>
          <h2><a href=${`#/forum/t/${i.topic.id}`}>${i.topic.title}</a></h2>
          <p>${i.excerpt}</p><p class="hint">${t.by(i.post.author.name)} · ${dateTime(i.post.created_at)}</p>
        </li>`)}</ol>`)}
    <p><a href="#/forum">${t.back}</a></p>
  </section>`;
}

function Decide({ item, reload }) {
  const t = S.forum;
  const [decision, setDecision] = useState("agree_hide");
  const [reason, setReason] = useState("");
  const [days, setDays] = useState("");
  const [error, setError] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    setError(null);
    try {
      const silence = days && decision.startsWith("agree") ? { silence_days: Number(days) } : {};
      await post(`/api/forum/review/${item.post.id}`, { decision, reason, ...silence });
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return html`<form class="decide" onSubmit=${submit} aria-label=${t.decide}>
    <${Field} label=${t.decision} name="decision" type="select" value=${decision} onChange=${(e) => setDecision(e.currentTarget.value)}>
      ${["agree_hide", "agree_delete", "disagree", "ignore"].map((d) => html`<option key=${d} value=${d}>${t.decisions[d]}</option>`)}
    <//>
    <${Field} label=${t.reasonForAuthor} name="reason" value=${reason} error=${error?.fields?.reason} onInput=${(e) => setReason(e.currentTarget.value)} />
    ${decision.startsWith("agree") && html`<${Field} label=${t.silenceDays} name="silence_days" type="number" min="1" max="365" value=${days}
      error=${error?.fields?.silence_days} onInput=${(e) => setDays(e.currentTarget.value)} />`}
    <${ErrorNote} error=${error && !error.fields?.reason ? error : null} strings=${S.common} />
    <button type="submit">${t.decide}</button>
  </form>`;
}

/** `#/forum/review`: the moderators' queue. */
export function ReviewQueue() {
  const t = S.forum;
  const [page, error, reload] = useLoad(() => get("/api/forum/review?limit=50"), []);
  return html`<section aria-labelledby="h-review">
    <h1 id="h-review">${t.reviewQueue}</h1>
    <${ErrorNote} error=${error} strings=${S.common} />
    ${page === undefined && !error && html`<${Loading} text=${S.common.loading} />`}
    ${page && (page.items.length === 0
      ? html`<${Empty} text=${t.queueEmpty} />`
      : html`<ul class="cards queue">${page.items.map((i) => html`<li class="card" key=${i.post.id}>
          <h2><a href=${`#/forum/t/${i.post.topic_id}`}>${i.post.topic_title}</a></h2>
          <p class="meta"><strong>${i.author.name}</strong> · ${t.flagsCount(i.open_flags)} · ${i.post.status === "hidden" ? t.hiddenNow : t.visibleNow}</p>
          <div class="post-body" dangerouslySetInnerHTML=${{ __html: i.post.html }}></div>
          <ul>${i.flags.map((f) => html`<li key=${f.id}>${t.reasons[f.reason] || f.reason}${f.note ? `: ${f.note}` : ""}</li>`)}</ul>
          <${Decide} item=${i} reload=${reload} />
        </li>`)}</ul>`)}
  </section>`;
}
