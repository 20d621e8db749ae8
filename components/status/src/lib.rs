//! status: an operations view of the app — whether each service answers (called through service
//! chaining, so it also proves chaining works where the app runs) — and `whoami`, which verifies
//! the caller's access token with auth's published keys exactly as every other service does.

use http::StatusCode;
use serde::Serialize;
use service_kit::http::{json, Reply};
use service_kit::principal::Principal;
use service_kit::router::{Routes, Service};

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

/// What a status request runs against: the caller, and the services' answers (asked before the
/// rules run, only for `GET /api/status`).
pub struct Ctx {
    pub principal: Principal,
    pub services: Vec<ServiceHealth>,
}

/// status as a service: its name, context and route table.
pub struct Status;

impl Service for Status {
    const NAME: &'static str = "status";
    type Ctx<'a> = Ctx;

    fn routes<'a>() -> Routes<Self::Ctx<'a>> {
        Routes::<Ctx>::new(Self::NAME)
            .health("/api/status/health")
            .get("/api/status", |_, c, _| status_reply(&c.services))
            .get("/api/status/whoami", |_, c, _| whoami(&c.principal))
    }
}

pub fn status_reply(services: &[ServiceHealth]) -> Reply {
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
    use service_kit::http::Request;
    use service_kit::spin::{Kit, SpinService, SpinVars};
    use service_kit::Problem;

    impl SpinService for Status {
        const BODY_LIMIT: usize = 0;

        async fn context(req: &Request, route: &'static str, kit: &Kit) -> Result<Ctx, Problem> {
            let mut ctx = Ctx {
                principal: Principal::Anonymous,
                services: Vec::new(),
            };
            match route {
                "/api/status" => ctx.services = services().await,
                _ => {
                    if service_kit::principal::bearer_token(req)?.is_none() {
                        return Err(Problem::unauthorized("sign in first"));
                    }
                    // No database: its key-value store holds its cached copy of auth's state.
                    ctx.principal = kit.authenticate(req).await?.0;
                }
            }
            Ok(ctx)
        }
    }

    async fn services() -> Vec<ServiceHealth> {
        let auth = service_kit::vars::Peers::from_vars(&SpinVars).auth_url;
        let mut out = Vec::new();
        for (service, path) in SERVICES {
            let base = if *service == "auth" {
                auth.clone()
            } else {
                format!("http://{service}.spin.internal")
            };
            let url = format!("{base}{path}");
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
        out
    }
}

service_kit::component!(Status);
