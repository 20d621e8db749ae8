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
