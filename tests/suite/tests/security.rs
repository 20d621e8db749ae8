//! Holes a hostile user looks for, each closed and held closed over HTTP: forged host headers,
//! races on the throttle, lock-outs, sign-up floods. Tests that spend a client address's
//! throttle budget connect from their own loopback address (`send_from`), so they never spend
//! the one every other test shares.

use blackbox::*;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};

fn loopback(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

fn login_from(ip: IpAddr, email: &str, password: &str, forged: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = forged
        .map(|f| ("spin-client-addr", f))
        .into_iter()
        .collect();
    send_from(
        ip,
        "POST",
        "/api/auth/login",
        &headers,
        Some(&json!({"email": email, "password": password})),
    )
}

/// A client may send its own `spin-client-addr`; Spin appends the real one after it. A forged
/// address each time must not make each guess look like a new client.
#[test]
fn a_forged_client_address_does_not_escape_the_throttle() {
    let u = new_patient();
    let ip = loopback(11);
    for i in 0..5 {
        let forged = format!("198.51.100.{i}:4000");
        login_from(ip, &u.email, "not the right passphrase", Some(&forged)).problem(401);
    }
    login_from(ip, &u.email, PASSWORD, Some("198.51.100.99:4000")).problem(429);
}

/// Spraying many accounts with a forged address each time still meets the per-address limit.
#[test]
fn a_forged_address_per_guess_still_meets_the_address_limit() {
    let ip = loopback(12);
    let mut limited = false;
    for i in 0..105 {
        let forged = format!("203.0.113.{}:1", i % 250);
        let email = format!("nobody-{i}-{}@example.com", unique());
        let r = login_from(ip, &email, "not the right passphrase", Some(&forged));
        if r.status == 429 {
            limited = true;
            assert!(i >= 100, "limited after only {i} guesses");
            break;
        }
        r.problem(401);
    }
    assert!(limited, "105 guesses from one address were never throttled");
}

/// Fifty wrong passwords at once: the attempt is reserved before the hash, so at most the
/// limit's worth are even checked; the rest are 429 and none is a 5xx.
#[test]
fn parallel_guesses_cannot_all_pass_the_throttle() {
    let u = new_patient();
    let ip = loopback(13);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| s.spawn(|| login_from(ip, &u.email, "not the right passphrase", None).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 50, "{statuses:?}");
    assert!(checked <= 5, "{checked} guesses were checked: {statuses:?}");
}

/// Failing from one address throttles that address for that account, not the account: its
/// owner signing in from elsewhere is not locked out.
#[test]
fn nobody_can_lock_an_account_out() {
    let u = new_patient();
    let attacker = loopback(14);
    for _ in 0..5 {
        login_from(attacker, &u.email, "not the right passphrase", None).problem(401);
    }
    login_from(attacker, &u.email, PASSWORD, None).problem(429);
    let owner = login_from(loopback(15), &u.email, PASSWORD, None);
    assert_eq!(owner.status, 200, "{}", owner.text);
    assert!(owner.json()["access_token"].is_string());
}

/// Sign-ups from one address are limited too (each costs a password hash).
#[test]
fn sign_ups_from_one_address_are_throttled() {
    let ip = loopback(16);
    for i in 0..200 {
        let email = format!("signup-{i}-{}@example.com", unique());
        let r = send_from(
            ip,
            "POST",
            "/api/auth/register",
            &[],
            Some(&json!({"email": email, "display_name": "Sign Up", "password": PASSWORD})),
        );
        if r.status == 429 {
            assert!(r.header("retry-after").is_some());
            assert!(i > 0, "the very first sign-up was refused");
            return;
        }
        assert_eq!(r.status, 201, "{}", r.text);
    }
    panic!("200 sign-ups from one address were never throttled");
}
