//! A stored message as it leaves: RFC 5322 headers and a multipart/alternative body (plain
//! text and HTML), built by `mail-builder`, which encodes headers and bodies as they need.

use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;
use mail_builder::MessageBuilder;

/// A parsed `From`: "Clinic <a@b>" or a bare address.
pub fn sender(from: &str) -> (Option<String>, String) {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(l), Some(r)) if l < r => {
            let name = from[..l].trim().trim_matches('"').trim();
            (
                (!name.is_empty()).then(|| name.to_string()),
                from[l + 1..r].trim().to_string(),
            )
        }
        _ => (None, from.trim().to_string()),
    }
}

pub struct Outgoing<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub to_name: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub date: jiff::Timestamp,
    /// One-click unsubscribe (RFC 8058) for mail one may opt out of.
    pub unsubscribe: Option<&'a str>,
}

/// The message's bytes. The Message-ID is the outbox id, so a receiver can tell a resend of the
/// same message from a new one.
pub fn compose(m: &Outgoing) -> Vec<u8> {
    let (from_name, from_addr) = sender(m.from);
    let domain = from_addr
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("localhost");
    let mut b = MessageBuilder::new()
        .from(Address::new_address(from_name, from_addr.clone()))
        .to(Address::new_address(
            m.to_name.map(str::to_string),
            m.to.to_string(),
        ))
        .subject(m.subject)
        .message_id(format!("{}@{domain}", m.id))
        .date(m.date.as_second())
        .header("Auto-Submitted", Raw::new("auto-generated"))
        .text_body(m.text)
        .html_body(m.html);
    if let Some(url) = m.unsubscribe {
        b = b
            .header("List-Unsubscribe", Raw::new(format!("<{url}>")))
            .header(
                "List-Unsubscribe-Post",
                Raw::new("List-Unsubscribe=One-Click"),
            );
    }
    b.write_to_vec().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_has_both_parts_its_id_and_an_encoded_unicode_subject() {
        let bytes = compose(&Outgoing {
            id: "0190-a",
            from: "Clinic Nord <mail@clinic.example>",
            to: "p@example.org",
            to_name: Some("Zoë"),
            subject: "Ihr Termin bei Dr. Müller",
            text: "plain",
            html: "<p>html</p>",
            date: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
            unsubscribe: Some("https://clinic.example/api/mail/unsubscribe/t"),
        });
        let s = String::from_utf8(bytes).unwrap();
        assert!(s.contains("Message-ID: <0190-a@clinic.example>"), "{s}");
        assert!(s.contains("multipart/alternative"));
        assert!(s.contains("text/plain") && s.contains("text/html"));
        assert!(s.contains("Subject: =?utf-8?"), "{s}");
        assert!(s.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(s.contains("\r\n"));
    }

    #[test]
    fn a_sender_may_carry_a_name() {
        assert_eq!(
            sender("Healthe <h@x.org>"),
            (Some("Healthe".into()), "h@x.org".into())
        );
        assert_eq!(sender("h@x.org"), (None, "h@x.org".into()));
    }
}
