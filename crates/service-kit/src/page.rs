//! Cursor pagination: an opaque `cursor` (the last item's sort key, encoded) and a capped `limit`.
//! Keyset paging stays correct while rows are inserted, unlike offsets.

use crate::http::{query_param, Request};
use crate::problem::Problem;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::Serialize;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
const CURSOR_PREFIX: &str = "c1:";

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// The sort key of the last item already seen.
    pub after: Option<String>,
}

impl PageRequest {
    /// Reads `limit` (1..=100, default 20) and `cursor` from the query string.
    pub fn from_query(req: &Request) -> Result<Self, Problem> {
        let limit = match query_param(req, "limit") {
            None => DEFAULT_LIMIT,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Problem::invalid(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ))
                }
            },
        };
        let after = match query_param(req, "cursor") {
            None => None,
            Some(c) if c.is_empty() => None,
            Some(c) => Some(
                decode_cursor(&c)
                    .ok_or_else(|| Problem::invalid("cursor", "is not a cursor this API issued"))?,
            ),
        };
        Ok(Self { limit, after })
    }

    /// Rows to fetch: one more than the limit tells whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.limit as i64 + 1
    }
}

pub fn encode_cursor(key: &str) -> String {
    B64.encode(format!("{CURSOR_PREFIX}{key}"))
}

pub fn decode_cursor(cursor: &str) -> Option<String> {
    if cursor.len() > 512 {
        return None;
    }
    let raw = String::from_utf8(B64.decode(cursor).ok()?).ok()?;
    raw.strip_prefix(CURSOR_PREFIX).map(str::to_string)
}

/// One page of items and, if there are more, the cursor for the next.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items; `key` gives an item's sort key.
    pub fn from_fetched(mut items: Vec<T>, req: &PageRequest, key: impl Fn(&T) -> String) -> Self {
        let more = items.len() > req.limit as usize;
        items.truncate(req.limit as usize);
        let next_cursor = if more {
            items.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &str) -> Request {
        http::Request::builder()
            .uri(format!("/x?{q}"))
            .body(vec![])
            .unwrap()
    }

    #[test]
    fn limit_is_capped_and_validated() {
        assert_eq!(
            PageRequest::from_query(&req("")).unwrap().limit,
            DEFAULT_LIMIT
        );
        assert_eq!(PageRequest::from_query(&req("limit=5")).unwrap().limit, 5);
        for bad in ["limit=0", "limit=101", "limit=-1", "limit=abc"] {
            let p = PageRequest::from_query(&req(bad)).unwrap_err();
            assert_eq!(p.errors[0].field, "limit");
        }
    }

    #[test]
    fn cursor_round_trips_and_garbage_is_refused() {
        let c = encode_cursor("0190-abc");
        let r = PageRequest::from_query(&req(&format!("cursor={c}"))).unwrap();
        assert_eq!(r.after.as_deref(), Some("0190-abc"));
        let p = PageRequest::from_query(&req("cursor=notours")).unwrap_err();
        assert_eq!(p.errors[0].field, "cursor");
    }

    #[test]
    fn page_reports_a_next_cursor_only_when_more_exist() {
        let r = PageRequest {
            limit: 2,
            after: None,
        };
        let p = Page::from_fetched(vec![1, 2, 3], &r, |i| i.to_string());
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(
            decode_cursor(p.next_cursor.as_deref().unwrap()).as_deref(),
            Some("2")
        );
        let p = Page::from_fetched(vec![1, 2], &r, |i| i.to_string());
        assert!(p.next_cursor.is_none());
    }
}
