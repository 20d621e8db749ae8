//! A post's Markdown, rendered once when it is written: CommonMark (pulldown-cmark) with raw
//! HTML turned into text, then the HTML sanitised by an allow-list (ammonia) with links marked
//! `rel="nofollow ugc noopener"` and only `http`, `https` and `mailto` URLs kept. The stored
//! HTML is what every read serves, so reads never render.
//!
//! Two layers on purpose: the renderer never emits a tag the author typed, and the sanitiser
//! would remove one if it did (or if a Markdown construct produced something unexpected, such as
//! a `javascript:` link destination).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;

/// A post's body, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised HTML.
    pub html: String,
    /// The words a reader sees (no markup): what search indexes and excerpts show.
    pub text: String,
    /// Links the author wrote (Markdown links and autolinks).
    pub links: usize,
    /// Images the author embedded.
    pub images: usize,
}

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS
}

/// Renders `markdown`.
pub fn render(markdown: &str) -> Rendered {
    let mut links = 0;
    let mut images = 0;
    let mut text = String::with_capacity(markdown.len());
    let events = Parser::new_ext(markdown, options()).map(|event| {
        match &event {
            Event::Start(Tag::Link { .. }) => links += 1,
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) => text.push('\n'),
            // Raw HTML is shown as the text it is, never passed through.
            Event::Html(raw) | Event::InlineHtml(raw) => text.push_str(raw),
            _ => {}
        }
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            other => other,
        }
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    Rendered {
        html: sanitise(&html),
        text: text.split_whitespace().collect::<Vec<_>>().join(" "),
        links,
        images,
    }
}

/// The allow-list every post's HTML passes through.
fn sanitise(html: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "p",
        "br",
        "hr",
        "em",
        "strong",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "img",
        "input",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("nofollow ugc noopener"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        // A relative URL would point into the portal itself (its API, its screens).
        .url_relative(ammonia::UrlRelative::Deny)
        .tag_attributes(
            [
                ("a", ["href", "title"].into_iter().collect()),
                ("img", ["src", "alt", "title"].into_iter().collect()),
                ("ol", ["start"].into_iter().collect()),
                ("th", ["align"].into_iter().collect()),
                ("td", ["align"].into_iter().collect()),
                // Task lists' checkboxes (disabled, as pulldown-cmark writes them).
                (
                    "input",
                    ["type", "checked", "disabled"].into_iter().collect(),
                ),
            ]
            .into_iter()
            .collect(),
        )
        .set_tag_attribute_value("input", "disabled", "")
        .clean(html)
        .to_string()
}

/// A short excerpt of `text` (at most `chars` characters, cut at a word).
pub fn excerpt(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(chars).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > chars / 2 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_counts_links_and_images() {
        let r = render(
            "**Hi** [a](https://a.example) <https://b.example> ![x](https://i.example/x.png)",
        );
        assert!(r.html.contains("<strong>Hi</strong>"), "{}", r.html);
        assert!(
            r.html.contains(r#"rel="nofollow ugc noopener""#),
            "{}",
            r.html
        );
        assert_eq!((r.links, r.images), (2, 1));
        assert_eq!(r.text, "Hi a https://b.example x");
    }

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 12), "one two…");
    }
}
