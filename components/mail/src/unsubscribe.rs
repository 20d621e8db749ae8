//! Opting out of optional mail (reminders): every such mail carries a signed link, in its body
//! and as `List-Unsubscribe` with `List-Unsubscribe-Post` (RFC 8058), so a mail client's own
//! "unsubscribe" button works with one POST and no sign-in. The link names the account and
//! nothing else; it can't be made up for another account (`service_kit::signed`), and using it
//! twice does no harm. The portal's preferences turn it back on.

use crate::templates::Rendered;
use service_kit::db::Db;
use service_kit::{params, Problem};

const PREFIX: &str = "optout|";

pub const PATH: &str = "/api/mail/unsubscribe";

/// The link that opts `user` out.
pub fn url(origin: &str, key: &[u8], user: &str) -> String {
    let token = service_kit::signed::seal(key, &format!("{PREFIX}{user}"));
    format!("{origin}{PATH}?token={token}")
}

/// The account a link opts out, if mail's key signed it.
pub fn user_of(key: &[u8], token: &str) -> Option<String> {
    service_kit::signed::open(key, token)?
        .strip_prefix(PREFIX)
        .map(str::to_string)
}

/// Says, at the foot of both parts, why the mail came (`why`, from its template) and how to
/// stop it.
pub fn add_footer(r: &mut Rendered, why: &str, url: &str) {
    r.text.push_str(&format!("\n{why}: {url}\n"));
    let foot = format!(
        "<p style=\"color:#555;font-size:small\">{}: <a href=\"{}\">unsubscribe</a>.</p></body>",
        crate::templates::escape(why),
        crate::templates::escape(url)
    );
    r.html = r.html.replacen("</body>", &foot, 1);
}

pub fn suppress(db: &dyn Db, user: &str, at: &str) -> Result<(), Problem> {
    db.execute(
        "INSERT INTO mail_suppressions (user_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        params![user, at],
    )?;
    Ok(())
}

pub fn resume(db: &dyn Db, user: &str) -> Result<(), Problem> {
    db.execute(
        "DELETE FROM mail_suppressions WHERE user_id = ?",
        params![user],
    )?;
    Ok(())
}

pub fn suppressed(db: &dyn Db, user: &str) -> Result<bool, Problem> {
    Ok(!db
        .execute(
            "SELECT 1 AS s FROM mail_suppressions WHERE user_id = ?",
            params![user],
        )?
        .is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opts_out_its_own_account_only() {
        let key = [5u8; 32];
        let u = url("https://clinic.example", &key, "user-1");
        let token = u.split("token=").nth(1).unwrap();
        assert!(u.starts_with("https://clinic.example/api/mail/unsubscribe?token="));
        assert_eq!(user_of(&key, token).as_deref(), Some("user-1"));
        assert_eq!(user_of(&[6u8; 32], token), None);
        // A token signed for another purpose is not an opt-out.
        let other = service_kit::signed::seal(&key, "user-1");
        assert_eq!(user_of(&key, &other), None);
    }

    #[test]
    fn the_footer_goes_in_both_parts() {
        let mut r = Rendered {
            subject: "s".into(),
            text: "Hello\n".into(),
            html: "<html><body><p>Hello</p></body></html>".into(),
            link: None,
        };
        add_footer(
            &mut r,
            crate::templates::Template::AppointmentReminder.why_optional(),
            "https://c.example/api/mail/unsubscribe?token=a&b",
        );
        assert!(r
            .text
            .contains("To stop reminder emails: https://c.example/api/mail/unsubscribe?token=a&b"));
        assert!(r
            .html
            .contains("href=\"https://c.example/api/mail/unsubscribe?token=a&amp;b\""));
        assert!(r.html.ends_with("</body></html>"));
    }
}
