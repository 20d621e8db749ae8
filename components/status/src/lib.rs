//! status: an operations view of the app — whether each service answers (called through service
//! chaining, so it also proves chaining works where the app runs) — and `whoami`, which verifies
//! the caller's access token with auth's published keys exactly as every other service does.

use http::StatusCode;
use serde::Serialize;
use service_kit::http::{json, Reply};
use service_kit::principal::Principal;

/// One service's answer to its health route.
#[derive(Debug, Serialize)]
pub struct ServiceHealth {
    pub service: &'static str,
    pub ok: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// The services whose health `GET /api/status` reports, and the path each answers on.
pub const SERVICES: &[(&str, &str)] = &[("auth", "/api/auth/health")];

pub fn status_reply(services: Vec<ServiceHealth>) -> Reply {
    let ok = services.iter().all(|s| s.ok);
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok(json(
        code,
        &serde_json::json!({ "status": if ok { "ok" } else { "degraded" }, "services": services }),
    ))
}

/// Who the token says the caller is. 401 without a valid token.
pub fn whoami(principal: &Principal) -> Reply {
    let claims = principal.user()?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "user_id": claims.sub, "role": claims.role, "expires_at": claims.exp }),
    ))
}

#[cfg(target_arch = "wasm32")]
mod spin_entry {
    use super::*;
    use service_kit::http::{finish, segments, Method, Request};
    use service_kit::spin::{authenticate, serve, SpinDb, SpinVars};
    use service_kit::vars::Vars;
    use service_kit::Problem;

    #[spin_sdk::http_component]
    async fn entry(req: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
        serve(req, out, 0, |req| async move { finish(route(&req).await) }).await
    }

    async fn route(req: &Request) -> Reply {
        let path = segments(req);
        match (req.method(), path.as_slice()) {
            (&Method::GET, ["api", "status"]) => status().await,
            (&Method::GET, ["api", "status", "health"]) => Ok(json(
                StatusCode::OK,
                &serde_json::json!({"status": "ok", "service": "status"}),
            )),
            (&Method::GET, ["api", "status", "whoami"]) => {
                let now = jiff::Timestamp::now().as_second();
                if service_kit::principal::bearer_token(req)?.is_none() {
                    return Err(Problem::unauthorized("sign in first"));
                }
                // Its own database holds nothing but its cached copy of auth's state.
                let db = SpinDb::open("status")?;
                let (principal, _) = authenticate(req, &db, "status", now).await?;
                whoami(&principal)
            }
            (_, ["api", "status"] | ["api", "status", "whoami" | "health"]) => {
                Err(Problem::method_not_allowed())
            }
            _ => Err(Problem::not_found("no such status resource")),
        }
    }

    async fn status() -> Reply {
        let auth = SpinVars
            .get("auth_url")
            .unwrap_or_else(|| "http://auth.spin.internal".into());
        let mut out = Vec::new();
        for (service, path) in SERVICES {
            let base = if *service == "auth" {
                auth.clone()
            } else {
                format!("http://{service}.spin.internal")
            };
            let url = format!("{}{}", base.trim_end_matches('/'), path);
            let result: Result<spin_sdk::http::Response, _> =
                spin_sdk::http::send(spin_sdk::http::Request::get(url).build()).await;
            out.push(match result {
                Ok(r) => ServiceHealth {
                    service,
                    ok: *r.status() == 200,
                    status: Some(*r.status()),
                    error: None,
                },
                Err(e) => ServiceHealth {
                    service,
                    ok: false,
                    status: None,
                    error: Some(e.to_string()),
                },
            });
        }
        status_reply(out)
    }
}
