//! The thin Spin adapter: turns Spin's WASI HTTP request into an `http::Request`, bounds the body,
//! and writes the `http::Response` back; plus `Db`, `Vars` and key-set fetching over Spin's APIs.
//! Nothing in here decides anything a test would want to check.

use crate::db::{Db, DbError, Rows, Value};
use crate::http::{problem_response, Request, Response};
use crate::problem::Problem;
use crate::token::{Jwks, KeySet};
use crate::vars::Vars;
use futures::StreamExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::sqlite;

/// Reads the request (refusing bodies over `body_limit` with 413 before they are buffered whole),
/// runs `handler`, and sends its response.
pub async fn serve<F, Fut>(
    req: IncomingRequest,
    out: ResponseOutparam,
    body_limit: usize,
    handler: F,
) where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let response = match read_request(req, body_limit).await {
        Ok(request) => handler(request).await,
        Err(problem) => problem_response(&problem),
    };
    send(out, response).await;
}

async fn read_request(req: IncomingRequest, limit: usize) -> Result<Request, Problem> {
    let method = http::Method::from_bytes(req.method().to_string().as_bytes())
        .map_err(|_| Problem::method_not_allowed())?;
    let path = req.path_with_query().unwrap_or_else(|| "/".into());
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
    let mut body = Vec::new();
    let mut stream = req.into_body_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| Problem::malformed(format!("could not read the body: {e:?}"), None))?;
        if body.len() + chunk.len() > limit {
            return Err(Problem::too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    builder
        .body(body)
        .map_err(|e| Problem::malformed(format!("unusable request: {e}"), None))
}

async fn send(out: ResponseOutparam, response: Response) {
    let (parts, body) = response.into_parts();
    let headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let outgoing = OutgoingResponse::new(fields);
    let _ = outgoing.set_status_code(parts.status.as_u16());
    if let Err(e) = out.set_with_body(outgoing, body).await {
        eprintln!("failed to write the response body: {e:?}");
    }
}

/// A Spin SQLite database label behind the `Db` trait.
pub struct SpinDb(sqlite::Connection);

impl SpinDb {
    pub fn open(label: &str) -> Result<Self, Problem> {
        sqlite::Connection::open(label)
            .map(SpinDb)
            .map_err(|e| Problem::internal(format!("opening database label {label}: {e:?}")))
    }
}

impl Db for SpinDb {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
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
        let result = self.0.execute(sql, &params).map_err(|e| match e {
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

/// Spin variables behind the `Vars` trait.
pub struct SpinVars;

impl Vars for SpinVars {
    fn get(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name)
            .ok()
            .filter(|v| !v.is_empty())
    }
}

/// Where the cached key set lives in the key-value store (label `default`): one key for the
/// whole app, however many services verify tokens.
const JWKS_CACHE_KEY: &str = "auth:jwks";
/// How long a cached key set is trusted before it is fetched again, in seconds.
const JWKS_TTL_SECS: i64 = 300;

#[derive(serde::Serialize, serde::Deserialize)]
struct CachedJwks {
    fetched_at: i64,
    jwks: Jwks,
}

/// The verification keys, from the key-value cache or from auth's JWKS (through service chaining
/// by default; the base URL is the `auth_url` variable). `kid` is the key the caller's token names:
/// a cached set without it is refetched, so a rotated key is picked up at once.
pub async fn key_set(vars: &dyn Vars, now: i64, kid: Option<&str>) -> Result<KeySet, Problem> {
    let store = spin_sdk::key_value::Store::open_default().ok();
    if let Some(store) = &store {
        let cached = store.get(JWKS_CACHE_KEY).ok().flatten();
        if let Some(cached) = cached.and_then(|b| serde_json::from_slice::<CachedJwks>(&b).ok()) {
            let set = KeySet::from_jwks(&cached.jwks);
            let fresh = now - cached.fetched_at < JWKS_TTL_SECS;
            let has_kid = kid.is_none_or(|k| set.contains(k));
            // A token naming an unknown kid may only trigger a refetch once a minute, so forged
            // tokens cannot turn every request into a call to auth.
            if fresh && (has_kid || now - cached.fetched_at < 60) {
                return Ok(set);
            }
        }
    }
    let base = vars
        .get("auth_url")
        .unwrap_or_else(|| "http://auth.spin.internal".into());
    let url = format!("{}/.well-known/jwks.json", base.trim_end_matches('/'));
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
    let jwks: Jwks = serde_json::from_slice(response.body())
        .map_err(|e| Problem::unavailable(format!("auth's key set is unreadable: {e}"), 5))?;
    if let Some(store) = &store {
        let cached = CachedJwks {
            fetched_at: now,
            jwks: jwks.clone(),
        };
        if let Ok(bytes) = serde_json::to_vec(&cached) {
            let _ = store.set(JWKS_CACHE_KEY, &bytes);
        }
    }
    Ok(KeySet::from_jwks(&jwks))
}

/// Who the request is from: anonymous without a bearer token, else the verified user (keys from
/// [`key_set`]). A bad token is an error, never a silent downgrade to anonymous.
pub async fn authenticate(req: &Request, now: i64) -> Result<crate::principal::Principal, Problem> {
    use crate::principal::{bearer_token, Principal};
    use crate::token::{peek_kid, Expectations};
    let Some(token) = bearer_token(req)? else {
        return Ok(Principal::Anonymous);
    };
    let keys = key_set(&SpinVars, now, peek_kid(token).as_deref()).await?;
    Principal::from_request(req, &keys, &Expectations::from_vars(&SpinVars), now)
}

/// What a service's handler runs against, gathered the same way by every service's entry (after
/// its health route, which needs none of it): the request's time, the caller, and the service's
/// own database label.
pub struct RequestContext {
    pub now: jiff::Timestamp,
    pub principal: crate::principal::Principal,
    pub db: SpinDb,
}

pub async fn request_context(req: &Request, label: &str) -> Result<RequestContext, Problem> {
    let now = jiff::Timestamp::now();
    let principal = authenticate(req, now.as_second()).await?;
    let db = SpinDb::open(label)?;
    Ok(RequestContext { now, principal, db })
}
