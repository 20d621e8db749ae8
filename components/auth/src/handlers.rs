//! One function per endpoint: parse the input, check who may do it, call the rules, shape the
//! answer. No SQL here.

use crate::api::{
    CreateUserBody, LoginBody, NewUser, RefreshBody, RegisterBody, TokenResponse, UpdateUserBody,
};
use crate::{accounts, keys, sessions, Ctx};
use http::StatusCode;
use service_kit::http::{
    client_ip, header_str, json, no_content, query_param, set_header, Reply, Request,
};
use service_kit::page::PageRequest;
use service_kit::principal::Principal;
use service_kit::token::{Expectations, Role};
use service_kit::{json as body, Problem};

/// Authenticates with auth's own key; no key is loaded for anonymous requests.
fn principal(req: &Request, ctx: &Ctx) -> Result<Principal, Problem> {
    if !Principal::has_token(req) {
        return Ok(Principal::Anonymous);
    }
    Principal::from_request(
        req,
        &keys::key_set(ctx)?,
        &Expectations::from_vars(ctx.vars),
        ctx.unix(),
    )
}

/// Token answers must never be cached (RFC 6749 §5.1).
fn token_reply(status: StatusCode, tokens: &TokenResponse) -> Reply {
    Ok(set_header(json(status, tokens), "pragma", "no-cache"))
}

pub fn health(ctx: &Ctx) -> Reply {
    let admin = accounts::admin_exists(ctx)?;
    let mut body = serde_json::json!({ "status": "ok", "service": "auth", "admin_exists": admin });
    if !admin {
        body["hint"] = "No admin account yet: set the secret variables admin_email and admin_password (for example SPIN_VARIABLE_ADMIN_EMAIL and SPIN_VARIABLE_ADMIN_PASSWORD) and restart; the first request then creates the admin.".into();
    }
    Ok(json(StatusCode::OK, &body))
}

pub fn register(req: &Request, ctx: &Ctx) -> Reply {
    let b: RegisterBody = body::parse(req)?;
    let new = NewUser::parse(&b.email, &b.display_name, &b.password, Role::Patient)?;
    let user = accounts::create(ctx, &new)?;
    Ok(json(StatusCode::CREATED, &user))
}

pub fn login(req: &Request, ctx: &Ctx) -> Reply {
    let b: LoginBody = body::parse(req)?;
    let ip = client_ip(req);
    let tokens = sessions::login(ctx, &b, ip.as_deref())?;
    token_reply(StatusCode::OK, &tokens)
}

pub fn refresh(req: &Request, ctx: &Ctx) -> Reply {
    let b: RefreshBody = body::parse(req)?;
    b.validate()?;
    token_reply(StatusCode::OK, &sessions::refresh(ctx, &b.refresh_token)?)
}

pub fn logout(req: &Request, ctx: &Ctx) -> Reply {
    let b: RefreshBody = body::parse(req)?;
    b.validate()?;
    sessions::logout(ctx, &b.refresh_token)?;
    Ok(no_content())
}

pub fn me(req: &Request, ctx: &Ctx) -> Reply {
    let p = principal(req, ctx)?;
    let claims = p.user()?;
    match accounts::get(ctx, &claims.sub)? {
        Some(user) if !user.disabled => Ok(json(StatusCode::OK, &user)),
        Some(_) => Err(Problem::unauthorized("this account is disabled")),
        None => Err(Problem::unauthorized("this account no longer exists")),
    }
}

pub fn create_user(req: &Request, ctx: &Ctx) -> Reply {
    principal(req, ctx)?.require_role(&[Role::Admin])?;
    let b: CreateUserBody = body::parse(req)?;
    let new = NewUser::parse(&b.email, &b.display_name, &b.password, b.role)?;
    Ok(json(StatusCode::CREATED, &accounts::create(ctx, &new)?))
}

pub fn list_users(req: &Request, ctx: &Ctx) -> Reply {
    principal(req, ctx)?.require_role(&[Role::Admin])?;
    let role = match query_param(req, "role") {
        None => None,
        Some(r) => Some(Role::parse(&r).ok_or_else(|| {
            Problem::invalid(
                "role",
                "must be one of patient, doctor, pharmacist, staff, admin",
            )
        })?),
    };
    let page = PageRequest::from_query(req)?;
    Ok(json(StatusCode::OK, &accounts::list(ctx, role, &page)?))
}

pub fn get_user(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    principal(req, ctx)?.require_role(&[Role::Admin])?;
    let user = accounts::get(ctx, id)?.ok_or_else(|| Problem::not_found("no such user"))?;
    Ok(json(StatusCode::OK, &user))
}

pub fn update_user(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let p = principal(req, ctx)?;
    let admin = p.require_role(&[Role::Admin])?;
    let change = body::parse::<UpdateUserBody>(req)?.parse()?;
    Ok(json(
        StatusCode::OK,
        &accounts::update(ctx, &admin.sub, id, &change)?,
    ))
}

pub fn jwks(ctx: &Ctx) -> Reply {
    let resp = json(StatusCode::OK, &keys::jwks(ctx)?);
    // Public and safe to cache briefly; verifiers refetch on an unknown kid anyway.
    Ok(set_header(resp, "cache-control", "public, max-age=300"))
}

/// The OpenID discovery document (the parts that apply: issuer and keys), so other systems can
/// verify Healthe's tokens with standard libraries.
pub fn discovery(req: &Request, ctx: &Ctx) -> Reply {
    let base = public_base(req, ctx);
    let expect = Expectations::from_vars(ctx.vars);
    let doc = serde_json::json!({
        "issuer": expect.issuer,
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "token_endpoint": format!("{base}/api/auth/login"),
        "userinfo_endpoint": format!("{base}/api/auth/me"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti"],
    });
    Ok(set_header(
        json(StatusCode::OK, &doc),
        "cache-control",
        "public, max-age=300",
    ))
}

/// The externally visible origin: the `public_url` variable, else what the host says the request
/// was sent to (`spin-full-url`), else the Host header.
fn public_base(req: &Request, ctx: &Ctx) -> String {
    if let Some(url) = ctx.vars.get("public_url") {
        return url.trim_end_matches('/').to_string();
    }
    if let Some(full) = header_str(req, "spin-full-url") {
        if let Ok(uri) = full.parse::<http::Uri>() {
            if let (Some(scheme), Some(auth)) = (uri.scheme_str(), uri.authority()) {
                return format!("{scheme}://{auth}");
            }
        }
    }
    let host = header_str(req, "host").unwrap_or("localhost");
    format!("http://{host}")
}
