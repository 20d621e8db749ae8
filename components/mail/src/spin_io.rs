//! Delivery's I/O on Spin: auth for an account's address (service chaining by default, the
//! `auth_url` variable), the SMTP relay over `wasi:sockets`, the provider over outbound HTTPS.

use crate::delivery::{self, Contact, Io, Report, Transport};
use crate::mime::{self, Outgoing};
use crate::outbox::Outcome;
use crate::smtp::{self, Credentials, Envelope, SmtpError};
use crate::Settings;
use service_kit::db::Db;
use service_kit::internal::SERVICE_KEY_HEADER;
use service_kit::vars::{Peers, Vars};
use service_kit::Problem;

struct SpinIo<'a> {
    settings: &'a Settings,
    auth_url: String,
    service_key: Option<String>,
}

/// One bounded delivery round.
pub async fn deliver(db: &dyn Db, settings: &Settings, vars: &dyn Vars) -> Result<Report, Problem> {
    let io = SpinIo {
        settings,
        auth_url: Peers::from_vars(vars).auth_url,
        service_key: vars.get("service_key"),
    };
    delivery::deliver_due(db, &io, &settings.plan, jiff::Timestamp::now).await
}

impl Io for SpinIo<'_> {
    async fn contact(&self, user: &str) -> Result<Option<Contact>, String> {
        let user: String = form_urlencoded::byte_serialize(user.as_bytes()).collect();
        let mut request =
            spin_sdk::http::Request::get(format!("{}/api/auth/contacts/{user}", self.auth_url));
        if let Some(key) = &self.service_key {
            request.header(SERVICE_KEY_HEADER, key.as_str());
        }
        let response: spin_sdk::http::Response = spin_sdk::http::send(request.build())
            .await
            .map_err(|e| format!("cannot reach auth: {e}"))?;
        match *response.status() {
            200 => {
                let v: serde_json::Value = serde_json::from_slice(response.body())
                    .map_err(|e| format!("auth's answer: {e}"))?;
                let email = v["email"]
                    .as_str()
                    .ok_or("auth's answer has no email")?
                    .to_string();
                Ok(Some(Contact {
                    email,
                    display_name: v["display_name"].as_str().map(str::to_string),
                }))
            }
            404 => Ok(None),
            other => Err(format!("auth answered {other}")),
        }
    }

    async fn send(&self, transport: Transport, m: &Outgoing<'_>) -> Outcome {
        match transport {
            Transport::Log => Outcome::Logged,
            Transport::Smtp => self.smtp(m),
            Transport::Http => self.provider(m).await,
        }
    }
}

impl SpinIo<'_> {
    fn smtp(&self, m: &Outgoing) -> Outcome {
        let s = &self.settings.smtp;
        let addr = match s.host.parse::<std::net::IpAddr>() {
            Ok(ip) => std::net::SocketAddr::new(ip, s.port),
            Err(_) => {
                return Outcome::Permanent(format!(
                    "mail_smtp_host {:?} must be an IP address (docs/mail.md)",
                    s.host
                ))
            }
        };
        let stream =
            match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(10)) {
                Ok(s) => s,
                Err(e) => return Outcome::Transient(format!("connecting to {addr}: {e}")),
            };
        // Best effort: a host that cannot bound reads still answers or closes.
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(20)));
        let (_, from) = mime::sender(m.from);
        let data = mime::compose(m);
        let credentials = s.credentials.as_ref().map(|(u, p)| Credentials {
            username: u.clone(),
            password: p.clone(),
        });
        let envelope = Envelope {
            from: &from,
            to: m.to,
            data: &data,
        };
        match smtp::deliver(stream, &s.helo, credentials.as_ref(), &envelope) {
            Ok(answer) => Outcome::Sent(answer),
            Err(SmtpError::Transient(e)) => Outcome::Transient(e),
            Err(SmtpError::Permanent(e)) => Outcome::Permanent(e),
        }
    }

    async fn provider(&self, m: &Outgoing<'_>) -> Outcome {
        let api = &self.settings.api;
        let body = delivery::provider_body(m).to_string();
        let request = spin_sdk::http::Request::post(format!("{}/emails", api.url), body)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", api.key))
            // The provider keeps the key a day: a retry after a lost answer is not a second mail.
            .header("idempotency-key", m.id)
            .build();
        let sent = service_kit::spin::timeout(api.timeout, async {
            spin_sdk::http::send::<_, spin_sdk::http::Response>(request).await
        })
        .await;
        match sent {
            None => Outcome::Transient(format!(
                "the provider did not answer within {:?}",
                api.timeout
            )),
            Some(Err(e)) => Outcome::Transient(format!("cannot reach the provider: {e}")),
            Some(Ok(r)) => delivery::provider_outcome(*r.status(), r.body()),
        }
    }
}

/// Who is listening, and mail's database, migrated: what a stream and a long poll start from.
async fn listener<'a>(
    req: &service_kit::http::Request,
    kit: &'a service_kit::spin::Kit,
) -> Result<(String, &'a service_kit::spin::SpinDb), Problem> {
    let (principal, _) = kit.authenticate(req).await?;
    let me = principal.user()?.sub.clone();
    let db = kit.db()?;
    service_kit::migrate::apply(db, "mail", crate::MIGRATIONS)?;
    Ok((me, db))
}

/// Writes the caller's notification stream until its lifetime ends or the client leaves.
pub async fn stream(
    req: &service_kit::http::Request,
    kit: &service_kit::spin::Kit,
    body: &mut service_kit::spin::BodyWriter,
) -> Result<(), Problem> {
    use crate::notifications;
    use crate::stream::{self, KEEP_ALIVE, LIFETIME, POLL};
    let (me, db) = listener(req, kit).await?;
    let (unread, latest) = notifications::summary(db, &me)?;
    let mut cursor = stream::resume_point(req)?.unwrap_or(latest);
    let mut out = stream::preamble();
    let started = std::time::Instant::now();
    let mut quiet_since = started;
    let mut first = true;
    loop {
        let news = notifications::since(db, &me, cursor, 50)?;
        if let Some(last) = news.last() {
            cursor = last.seq;
        }
        for n in &news {
            out.push_str(&stream::event(n));
        }
        if first || !news.is_empty() {
            let count = if first && news.is_empty() {
                unread
            } else {
                notifications::summary(db, &me)?.0
            };
            out.push_str(&stream::unread(count));
            first = false;
        }
        if out.is_empty() && quiet_since.elapsed() >= KEEP_ALIVE {
            out.push_str(": keep-alive\n\n");
        }
        if !out.is_empty() {
            if !body.write(out.as_bytes()).await {
                return Ok(());
            }
            out.clear();
            quiet_since = std::time::Instant::now();
        }
        if started.elapsed() + POLL > LIFETIME {
            return Ok(());
        }
        service_kit::spin::sleep(POLL).await;
    }
}

/// Answers the caller's long poll: at once if anything came after `?after=` (or when no point
/// was given: the client learns where it stands), else when something does or the wait ends.
pub async fn poll(
    req: &service_kit::http::Request,
    kit: &service_kit::spin::Kit,
    body: &mut service_kit::spin::BodyWriter,
) -> Result<(), Problem> {
    use crate::notifications;
    use crate::stream::{self, POLL};
    let wait = stream::poll_wait(req)?;
    let (me, db) = listener(req, kit).await?;
    let started = std::time::Instant::now();
    let answer = loop {
        let (unread, latest) = notifications::summary(db, &me)?;
        let Some(after) = stream::resume_point(req)? else {
            break stream::poll_answer(&[], unread, latest);
        };
        let news = notifications::since(db, &me, after, 50)?;
        if let Some(last) = news.last() {
            break stream::poll_answer(&news, unread, last.seq);
        }
        if started.elapsed() + POLL > wait {
            break stream::poll_answer(&[], unread, after);
        }
        service_kit::spin::sleep(POLL).await;
    };
    body.write(answer.as_bytes()).await;
    Ok(())
}
