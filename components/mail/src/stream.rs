//! The notification stream's rules: where it resumes, and how events are written
//! (Server-Sent Events, `text/event-stream`). The loop itself is in `spin_io`.
//!
//! Instances share no memory, so a stream polls the database at a short interval; every event
//! carries `id:` (the notification's sequence number) so a reconnecting `EventSource` resumes
//! from `Last-Event-ID` with what it missed; a comment keeps the connection alive; and each
//! stream ends after a bounded time (Fermyon Cloud allows a request 30 s), and the client
//! reconnects by itself after the `retry:` it was told.

use crate::notifications::Notification;
use service_kit::http::{header_str, query_param, Request};
use service_kit::Problem;
use std::time::Duration;

/// How often a stream looks for news: well inside the 2 s a change must take to show.
pub const POLL: Duration = Duration::from_millis(500);
/// How long one stream lives before the client reconnects.
pub const LIFETIME: Duration = Duration::from_secs(25);
/// A comment this often keeps proxies from closing a quiet stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The sequence number to resume after: `Last-Event-ID` (what `EventSource` sends on a
/// reconnect) or `?after=`; `None`: from now.
pub fn resume_point(req: &Request) -> Result<Option<i64>, Problem> {
    let given = header_str(req, "last-event-id")
        .map(|v| ("Last-Event-ID", v.to_string()))
        .or_else(|| query_param(req, "after").map(|v| ("after", v)));
    match given {
        None => Ok(None),
        Some((field, v)) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| Problem::invalid(field, "must be an event id this stream sent")),
    }
}

/// The first thing a stream says: how soon to reconnect.
pub fn preamble() -> String {
    format!("retry: {}\n\n", POLL.as_millis() * 2)
}

/// One notification as an event.
pub fn event(n: &Notification) -> String {
    let data = serde_json::to_string(n).unwrap_or_default();
    format!("id: {}\nevent: notification\ndata: {data}\n\n", n.seq)
}

/// The unread count, sent first and after every change (no id: it is not a resume point).
pub fn unread(count: i64) -> String {
    format!("event: unread\ndata: {{\"unread\":{count}}}\n\n")
}

/// How long a long poll (`GET /api/mail/notifications/poll`, for clients that can't hold a
/// stream) waits for news: `?wait=` seconds, 0 to [`LIFETIME`], the whole lifetime by default.
pub fn poll_wait(req: &Request) -> Result<Duration, Problem> {
    match query_param(req, "wait") {
        None => Ok(LIFETIME),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= LIFETIME.as_secs())
            .map(Duration::from_secs)
            .ok_or_else(|| {
                Problem::invalid(
                    "wait",
                    format!("must be 0 to {} seconds", LIFETIME.as_secs()),
                )
            }),
    }
}

/// A long poll's answer: what came after the caller's point, the unread count, and the point to
/// ask from next (`?after=`).
pub fn poll_answer(items: &[Notification], unread: i64, next: i64) -> String {
    serde_json::json!({ "items": items, "unread": unread, "next": next }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)], q: &str) -> Request {
        let mut b = http::Request::builder().uri(format!("/s{q}"));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(vec![]).unwrap()
    }

    #[test]
    fn the_resume_point_comes_from_last_event_id_or_after() {
        assert_eq!(resume_point(&req(&[], "")).unwrap(), None);
        assert_eq!(
            resume_point(&req(&[("last-event-id", "12")], "?after=3")).unwrap(),
            Some(12)
        );
        assert_eq!(resume_point(&req(&[], "?after=3")).unwrap(), Some(3));
        let p = resume_point(&req(&[("last-event-id", "x")], "")).unwrap_err();
        assert_eq!(p.errors[0].field, "Last-Event-ID");
    }

    #[test]
    fn a_long_poll_waits_a_bounded_time() {
        assert_eq!(poll_wait(&req(&[], "")).unwrap(), LIFETIME);
        assert_eq!(poll_wait(&req(&[], "?wait=0")).unwrap(), Duration::ZERO);
        assert_eq!(
            poll_wait(&req(&[], "?wait=26")).unwrap_err().errors[0].field,
            "wait"
        );
        assert_eq!(
            poll_wait(&req(&[], "?wait=-1")).unwrap_err().errors[0].field,
            "wait"
        );
    }

    #[test]
    fn an_event_carries_its_id_and_one_data_line() {
        let e = event(&Notification {
            seq: 5,
            id: "n".into(),
            kind: "k".into(),
            title: "a\nb".into(),
            link: None,
            created_at: "t".into(),
            read: false,
        });
        assert!(e.starts_with("id: 5\nevent: notification\ndata: {"));
        assert_eq!(
            e.matches('\n').count(),
            4,
            "a newline in the data is escaped: {e}"
        );
    }
}
