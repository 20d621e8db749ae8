//! The few pages services answer a browser with directly: where a link in a mail lands (a
//! reminder's answer, an unsubscribe) before, or instead of, the portal. Plain HTML with no
//! script, every datum escaped, and a form that POSTs, so a mail scanner fetching the link does
//! nothing.

use crate::http::Response;
use http::StatusCode;

/// Text made safe for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A button that POSTs to `action` (a path of this app).
pub struct Form<'a> {
    pub action: &'a str,
    pub button: &'a str,
}

/// A page: a heading, paragraphs, and optionally a form.
pub fn page(status: StatusCode, title: &str, lines: &[&str], form: Option<Form>) -> Response {
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><main id=\"main\" class=\"narrow\"><h1>{t}</h1>",
        t = escape(title)
    );
    for l in lines {
        h.push_str(&format!("<p>{}</p>", escape(l)));
    }
    if let Some(f) = form {
        h.push_str(&format!(
            "<form method=\"post\" action=\"{}\"><button type=\"submit\">{}</button></form>",
            escape(f.action),
            escape(f.button)
        ));
    }
    h.push_str("<p><a href=\"/\">Go to the portal</a></p></main></body></html>");
    http::Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'self'; form-action 'self'",
        )
        .body(h.into_bytes())
        .expect("a page is a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_escapes_what_it_shows_and_posts_its_form() {
        let r = page(
            StatusCode::OK,
            "Visit <b>",
            &["Dr \"O'Neil\" & co"],
            Some(Form {
                action: "/api/x?token=a&b",
                button: "Yes",
            }),
        );
        let body = String::from_utf8(r.into_body()).unwrap();
        assert!(body.contains("<h1>Visit &lt;b&gt;</h1>"));
        assert!(body.contains("Dr &quot;O&#39;Neil&quot; &amp; co"));
        assert!(body.contains("<form method=\"post\" action=\"/api/x?token=a&amp;b\">"));
    }
}
