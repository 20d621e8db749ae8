//! One function per endpoint: parse the input, check who may do it, call the rules, shape the
//! answer. No SQL here.

use crate::api::{
    Carrier, CreateUserBody, LoginBody, NewUser, RefreshBody, RegisterBody, ResetConfirmBody,
    ResetRequestBody, TokenResponse, UpdateUserBody, VerifyBody,
};
use crate::{accounts, cookie, keys, reset, security, sessions, signup, throttle, Ctx};
use http::StatusCode;
use service_kit::audit::endpoints::{access_log, verify_log};
use service_kit::audit::Outcome;
use service_kit::http::{
    client_ip, header_str, json, no_content, query_param, set_header, spin_header, Reply, Request,
};
use service_kit::page::PageRequest;
use service_kit::principal::Principal;
use service_kit::token::Role;
use service_kit::{json as body, Problem};

/// Authenticates with auth's own keys, and its own record of the account (disabled, or changed
/// after the token was issued: 401); no key is loaded for anonymous requests.
fn principal(req: &Request, ctx: &Ctx) -> Result<Principal, Problem> {
    if !Principal::has_token(req) {
        return Ok(Principal::Anonymous);
    }
    let p = Principal::from_request(req, &keys::key_set(ctx)?, &ctx.settings.expect, ctx.unix())?;
    accounts::check_current(ctx, p.user()?)?;
    Ok(p)
}

/// Where a new refresh token goes.
enum Delivery {
    /// In the body only: a refresh an API client made with a body token.
    Body,
    /// In the body and the cookie: a sign-in that did not ask for the cookie alone.
    BodyAndCookie,
    /// In the cookie only, so no script can read it: the portal's sign-in and refreshes.
    Cookie,
}

/// Tokens, never cached (RFC 6749 §5.1), the refresh token delivered as `delivery` says.
fn token_reply(mut tokens: TokenResponse, delivery: Delivery) -> Reply {
    let for_cookie = match delivery {
        Delivery::Body => None,
        Delivery::BodyAndCookie => tokens.refresh_token.clone(),
        Delivery::Cookie => tokens.refresh_token.take(),
    };
    let mut resp = set_header(json(StatusCode::OK, &tokens), "pragma", "no-cache");
    if let Some(token) = for_cookie {
        cookie::set(&mut resp, &token, tokens.refresh_expires_in);
    }
    Ok(resp)
}

/// A refresh or sign-out body: JSON, or nothing at all when the cookie carries the token (a
/// browser's `fetch` with no body). Without the cookie, an empty body is refused as before.
fn refresh_body(req: &Request) -> Result<RefreshBody, Problem> {
    if req.body().is_empty() && cookie::read(req).is_some() {
        return Ok(RefreshBody {
            refresh_token: None,
        });
    }
    body::parse(req)
}

pub fn health(ctx: &Ctx) -> Reply {
    let admin = accounts::admin_exists(ctx)?;
    let mut body = serde_json::json!({
        "status": "ok",
        "service": "auth",
        "admin_exists": admin,
        "verified_email_required": ctx.settings.verified_email_required,
    });
    if !admin {
        body["hint"] = "No admin account yet: set the secret variables admin_email and admin_password (for example SPIN_VARIABLE_ADMIN_EMAIL and SPIN_VARIABLE_ADMIN_PASSWORD) and restart; the first request then creates the admin.".into();
    }
    Ok(json(StatusCode::OK, &body))
}

pub fn register(req: &Request, ctx: &Ctx) -> Reply {
    let b: RegisterBody = body::parse(req)?;
    let new = NewUser::parse(&b.email, &b.display_name, &b.password, Role::Patient)?;
    // Counted once the input is valid, before the password is hashed: every sign-up costs an
    // argon2 hash, and a burst from one address is how accounts are farmed.
    let per_hour = ctx.settings.registrations_per_hour;
    throttle::reserve(
        ctx,
        &throttle::register_keys(client_ip(req).as_deref(), per_hour),
    )?;
    // The same answer for a taken address (signup): no way to learn who has an account.
    let user = signup::register(ctx, &new)?;
    Ok(json(StatusCode::CREATED, &user))
}

/// `GET /api/auth/verify-email?token=`: the mailed link. It verifies, then sends the browser
/// to the portal, which says how it went. A mail scanner that fetches the link first verifies
/// the address too, which is what a click would have proved: the mail reached its mailbox.
pub fn verify_link(req: &Request, ctx: &Ctx) -> Reply {
    let token = query_param(req, "token").unwrap_or_default();
    let outcome = match signup::verify(ctx, &token) {
        Ok(_) => "verified",
        Err(p) if p.status == 422 => "expired",
        Err(p) => return Err(p),
    };
    let to = format!("{}/#/verified?result={outcome}", ctx.settings.links_base());
    let resp = http::Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", to)
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .body(Vec::new())
        .map_err(|e| Problem::internal(e.to_string()))?;
    Ok(resp)
}

/// `POST /api/auth/verify-email`: the same, for API clients and the portal.
pub fn verify(req: &Request, ctx: &Ctx) -> Reply {
    let b: VerifyBody = body::parse(req)?;
    signup::verify(ctx, &b.token)?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "email_verified": true }),
    ))
}

/// `POST /api/auth/verify-email/resend`: a new link for the signed-in account.
pub fn resend_verification(req: &Request, ctx: &Ctx) -> Reply {
    let p = principal(req, ctx)?;
    let claims = p.user()?;
    let user = accounts::get(ctx, &claims.sub)?
        .ok_or_else(|| Problem::unauthorized("this account no longer exists"))?;
    signup::resend(ctx, &user)?;
    Ok(accepted(
        "a new link is on its way to the account's address",
    ))
}

/// `POST /api/auth/password-reset`: 202 whatever the address.
pub fn request_reset(req: &Request, ctx: &Ctx) -> Reply {
    let b: ResetRequestBody = body::parse(req)?;
    reset::request(ctx, &b.email, client_ip(req).as_deref())?;
    Ok(accepted(
        "if the address has an account, a reset link is on its way to it",
    ))
}

/// `POST /api/auth/password-reset/confirm`: the link's token and the new password.
pub fn confirm_reset(req: &Request, ctx: &Ctx) -> Reply {
    let b: ResetConfirmBody = body::parse(req)?;
    reset::confirm(ctx, &b.token, &b.password)?;
    Ok(no_content())
}

fn accepted(detail: &str) -> service_kit::http::Response {
    json(
        StatusCode::ACCEPTED,
        &serde_json::json!({ "status": "accepted", "detail": detail }),
    )
}

pub fn login(req: &Request, ctx: &Ctx) -> Reply {
    let b: LoginBody = body::parse(req)?;
    let ip = client_ip(req);
    let tokens = sessions::login(ctx, &b, ip.as_deref())?;
    // Every sign-in sets the cookie (API clients ignore it); the body keeps the token unless the
    // caller asked for the cookie alone.
    let delivery = if b.refresh_cookie {
        Delivery::Cookie
    } else {
        Delivery::BodyAndCookie
    };
    token_reply(tokens, delivery)
}

pub fn refresh(req: &Request, ctx: &Ctx) -> Reply {
    let b = refresh_body(req)?;
    let (presented, carrier) = b.presented(cookie::read(req))?;
    match sessions::refresh(ctx, presented) {
        // The successor goes back the way the token came.
        Ok(tokens) => token_reply(
            tokens,
            match carrier {
                Carrier::Body => Delivery::Body,
                Carrier::Cookie => Delivery::Cookie,
            },
        ),
        // A cookie that can no longer refresh is dead weight in the browser: drop it.
        Err(p) if carrier == Carrier::Cookie => {
            let mut resp = service_kit::http::problem_response(&p);
            cookie::clear(&mut resp);
            Ok(resp)
        }
        Err(p) => Err(p),
    }
}

pub fn logout(req: &Request, ctx: &Ctx) -> Reply {
    let b = refresh_body(req)?;
    let (presented, carrier) = b.presented(cookie::read(req))?;
    sessions::logout(ctx, presented)?;
    let mut resp = no_content();
    if carrier == Carrier::Cookie {
        cookie::clear(&mut resp);
    }
    Ok(resp)
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
    let p = principal(req, ctx)?;
    let admin = p.require_role(&[Role::Admin])?;
    let b: CreateUserBody = body::parse(req)?;
    let new = NewUser::parse(&b.email, &b.display_name, &b.password, b.role)?;
    let user = accounts::create(ctx, &new)?;
    security::event(
        ctx,
        "account-created",
        Some((&admin.sub, admin.role)),
        Some(&user.id),
        Outcome::Allowed,
    )?;
    Ok(json(StatusCode::CREATED, &user))
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

/// `GET /api/auth/contacts/{id}`: where to write to an account, for mail (internal only). A
/// disabled account has no contact: nothing more is sent to it.
pub fn contact(ctx: &Ctx, id: &str) -> Reply {
    if !ctx.internal {
        return Err(service_kit::internal::refused());
    }
    let user = accounts::get(ctx, id)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| Problem::not_found("no such user"))?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"email": user.email, "display_name": user.display_name}),
    ))
}

pub fn update_user(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let p = principal(req, ctx)?;
    let admin = p.require_role(&[Role::Admin])?;
    let change = body::parse::<UpdateUserBody>(req)?.parse()?;
    let before = accounts::get(ctx, id)?;
    let user = accounts::update(ctx, &admin.sub, id, &change)?;
    let by = Some((admin.sub.as_str(), admin.role));
    if let Some(before) = before {
        if before.role != user.role {
            security::event(ctx, "role-changed", by, Some(id), Outcome::Allowed)?;
        }
        if before.disabled != user.disabled {
            let what = if user.disabled {
                "account-disabled"
            } else {
                "account-enabled"
            };
            security::event(ctx, what, by, Some(id), Outcome::Allowed)?;
        }
    }
    Ok(json(StatusCode::OK, &user))
}

pub fn jwks(ctx: &Ctx) -> Reply {
    let resp = json(StatusCode::OK, &keys::jwks(ctx)?);
    // Public and safe to cache briefly; verifiers refetch on an unknown kid anyway.
    Ok(set_header(resp, "cache-control", "public, max-age=300"))
}

/// What Healthe's own verifiers need from auth, in one answer: the keys and the revocations
/// (`service_kit::key_cache`). Verifiers cache it for seconds, so it is never cached here.
pub fn verification(ctx: &Ctx) -> Reply {
    let state = service_kit::key_cache::AuthState {
        keys: keys::jwks(ctx)?,
        revocations: accounts::revocations(ctx)?,
    };
    Ok(set_header(
        json(StatusCode::OK, &state),
        "cache-control",
        "no-store",
    ))
}

/// Rotates the generated signing key (admin); answers the key set now published.
pub fn rotate_key(req: &Request, ctx: &Ctx) -> Reply {
    let p = principal(req, ctx)?;
    let admin = p.require_role(&[Role::Admin])?;
    let jwks = keys::rotate(ctx)?;
    security::event(
        ctx,
        "signing-key-rotated",
        Some((&admin.sub, admin.role)),
        None,
        Outcome::Allowed,
    )?;
    Ok(json(StatusCode::OK, &jwks))
}

/// Security events (admins: all, filtered by `action` or `subject_id`; anyone else: their own
/// account's), newest first, paged.
pub fn audit(req: &Request, ctx: &Ctx) -> Reply {
    let p = principal(req, ctx)?;
    access_log(req, ctx.db, "auth", &p)
}

/// Checks the security log's hash chain (admins).
pub fn audit_verify(req: &Request, ctx: &Ctx) -> Reply {
    let p = principal(req, ctx)?;
    p.require_role(&[Role::Admin])?;
    verify_log(ctx.db, "auth", &p)
}

/// The OpenID discovery document (the parts that apply: issuer and keys), so other systems can
/// verify Healthe's tokens with standard libraries. It lives under the issuer's path
/// (`{public_url}/api/auth/.well-known/openid-configuration`, OpenID Connect Discovery §4).
///
/// Its URLs come from `public_url` only. Without it they are built from the request's own
/// address, which a client chooses (the Host header): that answer is for this client alone and
/// is marked `no-store`, so no cache can hand a forged origin to anyone else.
pub fn discovery(req: &Request, ctx: &Ctx) -> Reply {
    let (base, cacheable) = match &ctx.settings.public_url {
        Some(url) => (url.trim_end_matches('/').to_string(), true),
        None => (request_origin(req), false),
    };
    let expect = &ctx.settings.expect;
    let doc = serde_json::json!({
        "issuer": expect.issuer,
        "jwks_uri": format!("{base}/api/auth/jwks.json"),
        "token_endpoint": format!("{base}/api/auth/login"),
        "userinfo_endpoint": format!("{base}/api/auth/me"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti"],
    });
    let cache = if cacheable {
        "public, max-age=300"
    } else {
        "no-store"
    };
    Ok(set_header(
        json(StatusCode::OK, &doc),
        "cache-control",
        cache,
    ))
}

/// The origin the request says it was sent to (`spin-full-url`, else the Host header).
fn request_origin(req: &Request) -> String {
    if let Some(full) = spin_header(req, "spin-full-url") {
        if let Ok(uri) = full.parse::<http::Uri>() {
            if let (Some(scheme), Some(auth)) = (uri.scheme_str(), uri.authority()) {
                return format!("{scheme}://{auth}");
            }
        }
    }
    let host = header_str(req, "host").unwrap_or("localhost");
    format!("http://{host}")
}
