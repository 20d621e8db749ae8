//! The thin Spin adapter: turns Spin's WASI HTTP request into an `http::Request`, bounds the body,
//! and writes the `http::Response` back; plus `Db`, `Vars` and key-set fetching over Spin's APIs.
//! Nothing in here decides anything a test would want to check.

use crate::db::{Db, DbError, Rows, Value};
use crate::http::{problem_response, Request, Response};
use crate::key_cache::{self, AuthState, Decision, Known};
use crate::kv::Kv;
use crate::problem::Problem;
use crate::revocation::Revocations;
use crate::token::KeySet;
use crate::vars::Vars;
use futures::StreamExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::sqlite;
use spin_sdk::wit::wasi::keyvalue::{batch as wasi_kv_batch, store as wasi_kv};

/// A request's body, still arriving: a streamed upload reads it a piece at a time
/// ([`SpinService::receive`]), the rest read it whole ([`BodyReader::read_all`]).
pub struct BodyReader {
    stream:
        std::pin::Pin<Box<dyn futures::Stream<Item = Result<Vec<u8>, wasi::io::streams::Error>>>>,
    limit: usize,
    read: usize,
}

impl BodyReader {
    /// The next piece the client sent; `None` at the end. Past the limit it is a 413.
    pub async fn next(&mut self) -> Option<Result<Vec<u8>, Problem>> {
        let chunk = self.stream.next().await?;
        Some(
            chunk
                .map_err(|e| Problem::malformed(format!("could not read the body: {e:?}"), None))
                .and_then(|c| {
                    self.read += c.len();
                    if self.read > self.limit {
                        Err(Problem::too_large(self.limit))
                    } else {
                        Ok(c)
                    }
                }),
        )
    }

    async fn read_all(mut self) -> Result<Vec<u8>, Problem> {
        let mut body = Vec::new();
        while let Some(chunk) = self.next().await {
            body.extend_from_slice(&chunk?);
        }
        Ok(body)
    }
}

/// Reads the request's head, refusing a declared body over `limit(path)` with 413 before any of
/// it is read; the body is left to come.
fn read_head(
    req: IncomingRequest,
    limit: impl Fn(&str) -> usize,
) -> Result<(Request, BodyReader), Problem> {
    let method = http::Method::from_bytes(req.method().to_string().as_bytes())
        .map_err(|_| Problem::method_not_allowed())?;
    let path = req.path_with_query().unwrap_or_else(|| "/".into());
    let limit = limit(path.split('?').next().unwrap_or(""));
    let mut builder = http::Request::builder().method(method).uri(path.as_str());
    let mut declared_len = None;
    for (name, value) in req.headers().entries() {
        if name.eq_ignore_ascii_case("content-length") {
            declared_len = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok());
        }
        builder = builder.header(name, value);
    }
    if declared_len.is_some_and(|n| n > limit) {
        return Err(Problem::too_large(limit));
    }
    let head = builder
        .body(Vec::new())
        .map_err(|e| Problem::malformed(format!("unusable request: {e}"), None))?;
    let body = BodyReader {
        stream: Box::pin(req.into_body_stream()),
        limit,
        read: 0,
    };
    Ok((head, body))
}

/// The response's head as wasi-http's, and its body.
fn outgoing(response: Response) -> (OutgoingResponse, Vec<u8>) {
    let (parts, body) = response.into_parts();
    let headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let outgoing = OutgoingResponse::new(fields);
    let _ = outgoing.set_status_code(parts.status.as_u16());
    (outgoing, body)
}

async fn send(out: ResponseOutparam, response: Response) {
    let (outgoing, body) = outgoing(response);
    if let Err(e) = out.set_with_body(outgoing, body).await {
        eprintln!("failed to write the response body: {e:?}");
    }
}

type Migrations = (&'static str, &'static [crate::migrate::Migration]);

/// A Spin SQLite database label behind the `Db` trait: one connection, this request's.
pub struct SpinDb {
    conn: sqlite::Connection,
    /// Whether [`crate::db::PER_CONNECTION`] has been issued: before the first statement that
    /// may write, so a request that only reads spends no call on it.
    set_up: std::cell::Cell<bool>,
    /// Migrations to apply before the first statement ([`Db::defer_migrations`]).
    pending: std::cell::Cell<Option<Migrations>>,
    /// The service's own store, which remembers the schema version this database reached
    /// ([`SpinDb::remembered`]).
    kv: Option<std::rc::Rc<SpinKv>>,
    /// Migrations left unchecked because the store remembered them applied: a statement that
    /// finds the schema behind (a database replaced under the store) checks them after all.
    trusted: std::cell::Cell<Option<Migrations>>,
}

/// The key under which a service's store remembers its database's schema version.
fn schema_key(service: &str) -> String {
    format!("schema-version:{service}")
}

impl SpinDb {
    pub fn open(label: &str) -> Result<Self, Problem> {
        sqlite::Connection::open(label)
            .map(|conn| SpinDb {
                conn,
                set_up: std::cell::Cell::new(false),
                pending: std::cell::Cell::new(None),
                kv: None,
                trusted: std::cell::Cell::new(None),
            })
            .map_err(|e| Problem::internal(format!("opening database label {label}: {e:?}")))
    }

    /// Remembers schema versions in `kv` (the service's own store), so that a request whose
    /// database is already up to date spends a key-value read on knowing it instead of a
    /// statement on its fresh connection (issue 13: the check was one of a read's two).
    pub fn remembering_in(mut self, kv: std::rc::Rc<SpinKv>) -> Self {
        self.kv = Some(kv);
        self
    }

    /// The version the store remembers for `service` (0 when it has none, or when the component
    /// was granted no store: then it checks every time).
    fn remembered(&self, service: &str) -> i64 {
        self.kv
            .as_ref()
            .filter(|kv| kv.granted())
            .and_then(|kv| kv.get(&schema_key(service)).ok().flatten())
            .and_then(|v| String::from_utf8(v).ok()?.parse().ok())
            .unwrap_or(0)
    }

    /// Applies `migrations` now and remembers the version reached (best effort: without the
    /// note the next request checks again).
    fn migrate(&self, (service, migrations): Migrations) -> Result<(), DbError> {
        crate::migrate::apply_now(self, service, migrations)?;
        if let Some(kv) = self.kv.as_ref().filter(|kv| kv.granted()) {
            let latest = crate::migrate::latest(migrations);
            let _ = kv.set(&schema_key(service), latest.to_string().as_bytes());
        }
        Ok(())
    }

    /// Best effort: a remote backend (libSQL) manages its own durability and may refuse it.
    fn set_up(&self) {
        if !self.set_up.replace(true) {
            for pragma in crate::db::PER_CONNECTION {
                let _ = self.conn.execute(pragma, &[]);
            }
        }
    }
}

impl Db for SpinDb {
    fn defer_migrations(
        &self,
        service: &'static str,
        migrations: &'static [crate::migrate::Migration],
    ) -> bool {
        self.pending.set(Some((service, migrations)));
        true
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        // Taken first: the migrations' own statements come back through here.
        if let Some(pending) = self.pending.take() {
            if self.remembered(pending.0) >= crate::migrate::latest(pending.1) {
                self.trusted.set(Some(pending));
            } else {
                self.migrate(pending)?;
            }
        }
        match self.run(sql, params) {
            Err(e) if e.is_schema_behind() => match self.trusted.take() {
                Some(trusted) => {
                    self.migrate(trusted)?;
                    self.run(sql, params)
                }
                None => Err(e),
            },
            other => other,
        }
    }
}

impl SpinDb {
    /// One statement on the connection.
    fn run(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
        if crate::db::may_write(sql) {
            self.set_up();
        }
        let params: Vec<sqlite::Value> = params
            .iter()
            .map(|v| match v {
                Value::Null => sqlite::Value::Null,
                Value::Integer(i) => sqlite::Value::Integer(*i),
                Value::Real(f) => sqlite::Value::Real(*f),
                Value::Text(s) => sqlite::Value::Text(s.clone()),
                Value::Blob(b) => sqlite::Value::Blob(b.clone()),
            })
            .collect();
        let result = self.conn.execute(sql, &params).map_err(|e| match e {
            sqlite::Error::Io(msg) => DbError::from_message(msg),
            other => DbError::Other(format!("{other:?}")),
        })?;
        let rows = result
            .rows
            .into_iter()
            .map(|row| {
                row.values
                    .into_iter()
                    .map(|v| match v {
                        sqlite::Value::Null => Value::Null,
                        sqlite::Value::Integer(i) => Value::Integer(i),
                        sqlite::Value::Real(f) => Value::Real(f),
                        sqlite::Value::Text(s) => Value::Text(s),
                        sqlite::Value::Blob(b) => Value::Blob(b),
                    })
                    .collect()
            })
            .collect();
        Ok(Rows {
            columns: result.columns,
            rows,
        })
    }
}

/// The service's own key-value store ([`crate::kv`]), opened at its first use, through
/// `wasi:keyvalue` (which Spin serves from the same stores as `fermyon:spin/key-value`) for its
/// batch read: on Spin's SQLite backend every store call is a hand-off of the request's thread
/// (`block_in_place`), so what a request will read is read in one call ([`Kv::prefetch`]).
pub struct SpinKv {
    label: String,
    /// The bucket, or why it could not be opened: tried once per request.
    bucket: std::cell::OnceCell<Result<wasi_kv::Bucket, String>>,
    /// What [`Kv::prefetch`] read, and what this request wrote since: `None` for a key that
    /// is not in the store.
    read: std::cell::RefCell<std::collections::HashMap<String, Option<Vec<u8>>>>,
}

impl SpinKv {
    pub fn new(service: &str) -> Self {
        SpinKv {
            label: crate::kv::label(service),
            bucket: std::cell::OnceCell::new(),
            read: Default::default(),
        }
    }

    fn opened(&self) -> &Result<wasi_kv::Bucket, String> {
        self.bucket
            .get_or_init(|| wasi_kv::open(&self.label).map_err(|e| format!("{e:?}")))
    }

    /// Whether the component was granted its store, asked quietly, for callers that do as
    /// well without it (the schema's memory).
    fn granted(&self) -> bool {
        self.opened().is_ok()
    }

    fn bucket(&self) -> Result<&wasi_kv::Bucket, Problem> {
        self.opened().as_ref().map_err(|e| {
            Problem::internal(format!(
                "key-value store {} ({e}): grant it to the component in spin.toml \
                 (key_value_stores) and define it in the runtime config",
                self.label
            ))
        })
    }
}

impl crate::kv::Kv for SpinKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem> {
        if let Some(known) = self.read.borrow().get(key) {
            return Ok(known.clone());
        }
        self.bucket()?
            .get(key)
            .map_err(|e| Problem::internal(format!("reading {key} from {}: {e:?}", self.label)))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem> {
        self.bucket()?
            .set(key, value)
            .map_err(|e| Problem::internal(format!("writing {key} to {}: {e:?}", self.label)))?;
        if let Some(known) = self.read.borrow_mut().get_mut(key) {
            *known = Some(value.to_vec());
        }
        Ok(())
    }

    /// Best effort: when the batch fails, each `get` asks the store itself.
    fn prefetch(&self, keys: &[String]) {
        let Ok(bucket) = self.bucket() else { return };
        let Ok(found) = wasi_kv_batch::get_many(bucket, keys) else {
            return;
        };
        // Spin answers only the keys it has; the others are known to be absent.
        let mut read = self.read.borrow_mut();
        for key in keys {
            read.insert(key.clone(), None);
        }
        for (key, value) in found {
            if let Some(slot) = read.get_mut(&key) {
                *slot = value;
            }
        }
    }
}

/// Spin variables behind the `Vars` trait.
pub struct SpinVars;

impl Vars for SpinVars {
    fn get(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name)
            .ok()
            .filter(|v| !v.is_empty())
    }
}

/// What this service verifies tokens with — keys pinned by `token_verification_keys` or
/// auth's, and auth's revocations — from its cached copy (in its own key-value store, `key_cache`)
/// or fetched from auth (through service chaining by default; the base URL is the `auth_url`
/// variable). `kid` is the key the caller's token names, if any; `pinned`, the keys of
/// `token_verification_keys`. Also says whether it was fetched just now.
pub async fn auth_state(
    kv: &dyn Kv,
    service: &str,
    vars: &dyn Vars,
    now: i64,
    kid: Option<&str>,
    pinned: Option<&KeySet>,
) -> Result<(Known, bool), Problem> {
    let cached = key_cache::read(kv, service)?;
    match key_cache::decide(cached.as_ref(), now, kid) {
        Decision::Use(known) => Ok((key_cache::known_with(known, pinned), false)),
        Decision::Fetch { fallback } => refetch(kv, service, vars, now, fallback, pinned, true)
            .await
            .map(|k| (k, true)),
    }
}

/// Fetches auth's state now (and keeps it, when `keep`); on failure, `fallback` (or the pinned
/// keys alone).
async fn refetch(
    kv: &dyn Kv,
    service: &str,
    vars: &dyn Vars,
    now: i64,
    fallback: Option<Known>,
    pinned: Option<&KeySet>,
    keep: bool,
) -> Result<Known, Problem> {
    match fetch_state(vars).await {
        Ok(state) => {
            // Best effort: a failed write only means the next request fetches again.
            if keep {
                let _ = key_cache::store(kv, service, &state, now);
            }
            Ok(key_cache::known(&state, pinned))
        }
        Err(problem) => match (fallback, pinned) {
            (Some(known), pinned) => Ok(key_cache::known_with(known, pinned)),
            // Pinned keys verify without auth; only revocations are missing meanwhile.
            (None, Some(keys)) => Ok(Known {
                keys: keys.clone(),
                revocations: Default::default(),
            }),
            (None, None) => Err(problem),
        },
    }
}

async fn fetch_state(vars: &dyn Vars) -> Result<AuthState, Problem> {
    let url = format!(
        "{}/api/auth/verification",
        crate::vars::Peers::from_vars(vars).auth_url
    );
    let request = spin_sdk::http::Request::get(url).build();
    let response: spin_sdk::http::Response = spin_sdk::http::send(request)
        .await
        .map_err(|e| Problem::unavailable(format!("cannot reach auth for its keys: {e}"), 5))?;
    if *response.status() != 200 {
        return Err(Problem::unavailable(
            format!("auth answered {} for its keys", response.status()),
            5,
        ));
    }
    serde_json::from_slice(response.body())
        .map_err(|e| Problem::unavailable(format!("auth's key set is unreadable: {e}"), 5))
}

/// Asks booking whether the caller — a doctor, by the token this request carries — is treating
/// `patient` now (`GET /api/booking/care/{patient}`). The doctor's own token goes along, so the
/// asking service learns only what that doctor may know. The base URL is the `booking_url`
/// variable (service chaining by default), so hosts without chaining point it elsewhere.
pub async fn is_treating(req: &Request, patient: &str) -> Result<bool, Problem> {
    let patient: String = form_urlencoded::byte_serialize(patient.as_bytes()).collect();
    let Some(response) = ask_booking(req, &format!("/api/booking/care/{patient}")).await? else {
        return Ok(false);
    };
    match *response.status() {
        200 => {
            let body: serde_json::Value = serde_json::from_slice(response.body())
                .map_err(|e| Problem::unavailable(format!("booking's answer: {e}"), 5))?;
            Ok(body["treating"] == true)
        }
        401 | 403 | 404 | 422 => Ok(false),
        other => Err(Problem::unavailable(
            format!("booking answered {other} about the care relationship"),
            5,
        )),
    }
}

/// `GET {booking_url}{path}` with the caller's own token (so the asking service learns only
/// what the caller may know); `None` when the request carries no token. The base URL is the
/// `booking_url` variable (service chaining by default).
pub async fn ask_booking(
    req: &Request,
    path: &str,
) -> Result<Option<spin_sdk::http::Response>, Problem> {
    let base = crate::vars::Peers::from_vars(&SpinVars).booking_url;
    ask_as_caller(req, "booking", &base, path).await
}

/// `GET {base}{path}` of the service `peer` with the caller's own token, so the asking service
/// learns only what the caller may know; `None` when the request carries no token.
pub async fn ask_as_caller(
    req: &Request,
    peer: &str,
    base: &str,
    path: &str,
) -> Result<Option<spin_sdk::http::Response>, Problem> {
    let Some(token) = crate::principal::bearer_token(req)? else {
        return Ok(None);
    };
    let request = spin_sdk::http::Request::get(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .build();
    spin_sdk::http::send(request)
        .await
        .map(Some)
        .map_err(|e| Problem::unavailable(format!("cannot reach {peer}: {e}"), 5))
}

/// `GET {base}{path}` of the service `peer` as the app itself (an internal endpoint): through
/// service chaining, which the callee recognises, or with `service_key` where one is set.
pub async fn ask_as_service(
    peer: &str,
    base: &str,
    path: &str,
) -> Result<spin_sdk::http::Response, Problem> {
    let mut request = spin_sdk::http::Request::get(format!("{base}{path}"));
    as_the_app(&mut request);
    spin_sdk::http::send(request.build())
        .await
        .map_err(|e| Problem::unavailable(format!("cannot reach {peer}: {e}"), 5))
}

/// Presents `service_key`, where one is set, on a call to another of the app's services (the
/// callee's `internal::is_internal`; with service chaining the key is not needed).
fn as_the_app(request: &mut spin_sdk::http::RequestBuilder) {
    if let Some(key) = SpinVars.get("service_key") {
        request.header(crate::internal::SERVICE_KEY_HEADER, key);
    }
}

/// A doctor's name as booking's public directory has it (for the mail a patient gets), or
/// `None` when booking can't say.
pub async fn doctor_name(doctor: &str) -> Option<String> {
    let base = crate::vars::Peers::from_vars(&SpinVars).booking_url;
    let request =
        spin_sdk::http::Request::get(format!("{base}/api/booking/doctors/{doctor}")).build();
    let response: spin_sdk::http::Response = spin_sdk::http::send(request).await.ok()?;
    if *response.status() != 200 {
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(response.body()).ok()?;
    body["name"].as_str().map(str::to_string)
}

/// Who the request is from: anonymous without a bearer token, else the verified user — keys
/// and revocations from [`auth_state`], which is returned too (lists need the disabled
/// accounts). A bad token is an error, never a silent downgrade to anonymous.
pub async fn authenticate(
    req: &Request,
    kv: &dyn Kv,
    service: &str,
    now: i64,
) -> Result<(crate::principal::Principal, Revocations), Problem> {
    use crate::principal::{bearer_token, Principal};
    use crate::token::{peek_kid, verify_with, Expectations};
    let pinned = key_cache::pinned(&SpinVars)?;
    let pinned = pinned.as_ref();
    let token = bearer_token(req)?;
    // Everything this request may read from the store, in one call: auth's state, the
    // token's mark, and the schema's memory (read by the first statement, if there is one).
    let mut wanted = vec![key_cache::key(service), schema_key(service)];
    wanted.extend(token.map(crate::verified::slot));
    kv.prefetch(&wanted);
    let Some(token) = token else {
        // Anonymous: nothing to verify. The revocations only filter what is listed, so when
        // auth can't be reached the request goes on without them.
        let revocations = auth_state(kv, service, &SpinVars, now, None, pinned)
            .await
            .map(|(k, _)| k.revocations)
            .unwrap_or_default();
        return Ok((Principal::Anonymous, revocations));
    };
    let (mut known, fresh) = auth_state(
        kv,
        service,
        &SpinVars,
        now,
        peek_kid(token).as_deref(),
        pinned,
    )
    .await?;
    // A token this service verified before skips the signature check (`verified`).
    let seen = crate::verified::Lookup::read(kv, token);
    let check = seen.check(&known.keys, now);
    let verified = verify_with(
        token,
        &known.keys,
        &Expectations::from_vars(&SpinVars),
        now,
        check,
    )
    .map_err(|e| Problem::unauthorized(e.to_string()))?;
    let claims = &verified.claims;
    // Anyone with more than their own data in reach — doctors, pharmacists, staff, admins — is
    // checked against auth's state as it is now, not as cached: a demotion or a disabling takes
    // effect on their very next request. Patients' changes reach services within the cache's
    // few seconds.
    if claims.role != crate::token::Role::Patient && !fresh {
        // Not kept: the cache's own schedule is enough for everyone else, and this path must
        // not take the write lock on every request.
        known = refetch(kv, service, &SpinVars, now, Some(known), pinned, false).await?;
        if !known.keys.contains(&verified.kid) {
            return Err(Problem::unauthorized(
                crate::token::TokenError::UnknownKey.to_string(),
            ));
        }
    }
    known.revocations.check(claims)?;
    seen.keep(kv, req.method(), check, &verified, now);
    let principal = Principal::User(verified.claims);
    Ok((principal, known.revocations))
}

/// What a service's Spin entry needs beyond its route table: how it gathers, before the sync
/// rules run, the asynchronous I/O they need (authenticating the caller, asking another
/// service) into its context. `route` is the matched pattern, so a service asks only what that
/// route needs.
#[allow(async_fn_in_trait)] // components are single-threaded: no `Send` bound is wanted
pub trait SpinService: crate::router::Service {
    const BODY_LIMIT: usize = crate::json::DEFAULT_BODY_LIMIT;

    /// The largest body a request to `path` may send (an upload route takes more than
    /// [`SpinService::BODY_LIMIT`]); asked before the body is read, so by path alone.
    fn body_limit(_path: &str) -> usize {
        Self::BODY_LIMIT
    }
    async fn context<'a>(
        req: &Request,
        route: &'static str,
        kit: &'a Kit,
    ) -> Result<Self::Ctx<'a>, Problem>;

    /// Whether a 200 from `route`'s handler is the head of an event stream that
    /// [`SpinService::stream`] goes on writing (Server-Sent Events).
    fn streams(_route: &'static str) -> bool {
        false
    }

    /// Whether `route` takes its request body as a stream ([`SpinService::receive`]) rather than
    /// read whole before the handler runs: uploads, held one piece at a time.
    fn receives(_route: &'static str, _method: &http::Method) -> bool {
        false
    }

    /// Handles a request of a [`SpinService::receives`] route, its body still arriving, in
    /// place of the route's handler (which serves the same route natively, body whole).
    async fn receive<'a>(
        _req: &Request,
        _route: &'static str,
        _ctx: &Self::Ctx<'a>,
        _body: &mut BodyReader,
    ) -> Response {
        problem_response(&Problem::method_not_allowed())
    }

    /// Writes a streaming route's body after its head is sent; the body ends when it returns.
    async fn stream(_req: &Request, _route: &'static str, _kit: &Kit, _body: &mut BodyWriter) {}

    /// Work done after the response is sent (delivering mail, relaying an outbox): bounded, and
    /// never something the answer depends on. `status` is the answer's.
    async fn after(_req: &Request, _route: &'static str, _status: http::StatusCode, _kit: &Kit) {}
}

/// Hands `messages` to mail's intake (`mail_url`, else the app's own origin through Spin's
/// chaining), presenting `service_key` where one is set. Ok only on mail's 202: the caller
/// moves its outbox past these messages then, and not before.
pub async fn send_to_mail(messages: &[crate::mail::Message]) -> Result<(), Problem> {
    if messages.is_empty() {
        return Ok(());
    }
    let base = crate::vars::Peers::from_vars(&SpinVars).mail_url;
    let body = serde_json::json!({ "messages": messages }).to_string();
    let mut request = spin_sdk::http::Request::post(format!("{base}{}", crate::mail::INTAKE), body);
    request.header("content-type", "application/json");
    as_the_app(&mut request);
    let response: spin_sdk::http::Response = spin_sdk::http::send(request.build())
        .await
        .map_err(|e| Problem::unavailable(format!("cannot reach mail: {e}"), 5))?;
    if *response.status() != 202 {
        return Err(Problem::unavailable(
            format!(
                "mail answered {}: {}",
                response.status(),
                String::from_utf8_lossy(response.body())
            ),
            5,
        ));
    }
    Ok(())
}

/// What every service's context is built from: the request's time, the service's own database
/// label and key-value store (each opened on first use) and Spin's variables.
pub struct Kit {
    pub service: &'static str,
    pub now: jiff::Timestamp,
    db: std::cell::OnceCell<SpinDb>,
    kv: std::rc::Rc<SpinKv>,
}

impl Kit {
    pub fn new(service: &'static str) -> Self {
        Kit {
            service,
            now: jiff::Timestamp::now(),
            db: std::cell::OnceCell::new(),
            kv: std::rc::Rc::new(SpinKv::new(service)),
        }
    }

    /// The service's database (the label named as the service).
    pub fn db(&self) -> Result<&SpinDb, Problem> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = SpinDb::open(self.service)?.remembering_in(self.kv.clone());
        Ok(self.db.get_or_init(|| db))
    }

    pub fn vars(&self) -> &'static SpinVars {
        &SpinVars
    }

    /// The verified caller and auth's revocations ([`authenticate`]).
    pub async fn authenticate(
        &self,
        req: &Request,
    ) -> Result<(crate::principal::Principal, Revocations), Problem> {
        authenticate(req, &*self.kv, self.service, self.now.as_second()).await
    }

    /// Who is calling a route: anonymous on a `public` one that came without a token (which
    /// verifies nothing and reads no key cache: public reads are the hot path, and an
    /// anonymous caller has nothing to revoke), else the verified user ([`Kit::authenticate`]).
    pub async fn caller(
        &self,
        req: &Request,
        public: bool,
    ) -> Result<crate::principal::Principal, Problem> {
        use crate::principal::Principal;
        if public && !Principal::has_token(req) {
            Ok(Principal::Anonymous)
        } else {
            Ok(self.authenticate(req).await?.0)
        }
    }

    /// The access-log writer for this request's caller.
    pub fn recorder(&self, principal: &crate::principal::Principal) -> crate::audit::Recorder {
        crate::audit::Recorder::for_principal(self.service, self.now, principal)
    }
}

/// The one Spin entry every service's `#[http_component]` calls: reads the request (bounded),
/// routes it through the service's table — 404, 405 and health answered without a database or a
/// token — gathers the context, runs the handler, sends the response, and then runs the
/// service's [`SpinService::after`]: the client has its answer by then, and the instance lives
/// on until that work ends, as wasi-http lets it.
pub async fn run<S: SpinService>(req: IncomingRequest, out: ResponseOutparam) {
    use crate::router::Found;
    let (head, body) = match read_head(req, S::body_limit) {
        Ok(parts) => parts,
        Err(problem) => return send(out, problem_response(&problem)).await,
    };
    let kit = Kit::new(S::NAME);
    let routes = S::routes();
    let route = match routes.find(&head) {
        Ok(Found::Health) => return send(out, crate::router::health(S::NAME)).await,
        Ok(Found::Route(route)) => route,
        Err(p) => return send(out, problem_response(&p)).await,
    };
    if S::receives(route.path, head.method()) {
        let mut body = body;
        let response = match S::context(&head, route.path, &kit).await {
            Ok(ctx) => S::receive(&head, route.path, &ctx, &mut body).await,
            Err(p) => problem_response(&p),
        };
        let status = response.status();
        send(out, response).await;
        S::after(&head, route.path, status, &kit).await;
        return;
    }
    let request = match body.read_all().await {
        Ok(bytes) => {
            let (parts, _) = head.into_parts();
            Request::from_parts(parts, bytes)
        }
        Err(problem) => return send(out, problem_response(&problem)).await,
    };
    // Bound, not the block's tail: the context borrows `kit`, which must outlive it.
    let response = match S::context(&request, route.path, &kit).await {
        Ok(ctx) => route.run::<S>(&request, &ctx),
        Err(p) => problem_response(&p),
    };
    let status = response.status();
    if status == http::StatusCode::OK && S::streams(route.path) {
        let mut body = send_head(out, response).await;
        S::stream(&request, route.path, &kit, &mut body).await;
        return;
    }
    send(out, response).await;
    S::after(&request, route.path, status, &kit).await;
}

/// A response body still being written: an event stream.
pub struct BodyWriter(
    std::pin::Pin<Box<dyn futures::Sink<Vec<u8>, Error = wasi::io::streams::StreamError>>>,
);

impl BodyWriter {
    /// Sends `bytes` now; `false` once the client is gone.
    pub async fn write(&mut self, bytes: &[u8]) -> bool {
        use futures::SinkExt;
        self.0.send(bytes.to_vec()).await.is_ok()
    }
}

/// Sends `response`'s head and body so far, keeping the body open.
async fn send_head(out: ResponseOutparam, response: Response) -> BodyWriter {
    let (outgoing, body) = outgoing(response);
    let mut writer = BodyWriter(Box::pin(outgoing.take_body()));
    out.set(outgoing);
    if !body.is_empty() {
        writer.write(&body).await;
    }
    writer
}

/// Resolves after `d` (a `wasi:clocks` pollable the executor waits on with everything else).
pub fn sleep(d: std::time::Duration) -> impl std::future::Future<Output = ()> {
    use wasi::clocks::monotonic_clock;
    let deadline = monotonic_clock::now().saturating_add(d.as_nanos().min(u64::MAX as u128) as u64);
    // Dropping the registration cancels it: a timer that lost a race leaves nothing behind.
    let mut registered: Option<spin_executor::CancelOnDropToken> = None;
    std::future::poll_fn(move |cx| {
        drop(registered.take());
        if monotonic_clock::now() >= deadline {
            return std::task::Poll::Ready(());
        }
        let pollable = monotonic_clock::subscribe_instant(deadline);
        let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
        registered.replace(token.into());
        std::task::Poll::Pending
    })
}

/// `fut`'s output, or `None` when `limit` passes first (the future is dropped: an outgoing
/// request is cancelled).
pub async fn timeout<T>(
    limit: std::time::Duration,
    fut: impl std::future::Future<Output = T>,
) -> Option<T> {
    use futures::future::{select, Either};
    let fut = std::pin::pin!(fut);
    let timer = std::pin::pin!(sleep(limit));
    match select(fut, timer).await {
        Either::Left((v, _)) => Some(v),
        Either::Right(((), _)) => None,
    }
}
