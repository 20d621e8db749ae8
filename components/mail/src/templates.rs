//! The messages the clinic sends, each rendered from a template and the producer's data into a
//! subject, a plain-text body and an HTML body.
//!
//! Every piece of data is escaped for the HTML part, and no template has a place for health
//! detail: an appointment mail names the doctor and the time, never the visit's reason. The
//! data a template takes is a type, so a producer that sends a field a template has no use for
//! (a reason, a diagnosis) is refused at intake rather than silently carried.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;
use service_kit::Problem;

/// The templates, by the id producers name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Template {
    AccountVerification,
    PasswordReset,
    /// To the owner of an address someone tried to register again.
    RegistrationAttempt,
    /// To the doctor.
    AppointmentRequested,
    /// The rest of the lifecycle, to the patient (a cancellation to whoever did not cancel).
    AppointmentConfirmed,
    AppointmentDeclined,
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentReminder,
    /// The prescription's copy, to the patient: its code and medications.
    PrescriptionIssued,
    PrescriptionDispensed,
    /// To the prescriber.
    RefillRequested,
    RefillApproved,
    RefillDeclined,
    ReportAvailable,
    /// To a topic's author (and its watchers): someone replied.
    ForumReply,
    /// To the author of the reply a topic's author accepted.
    ForumAnswerAccepted,
}

impl Template {
    pub fn id(self) -> &'static str {
        self.into()
    }

    /// Whether its link is a key to the recipient's account (verification, reset): nobody but
    /// the recipient reads it, not even an admin reading the delivery log.
    pub fn carries_secret(self) -> bool {
        // A prescription's copy carries the code that gets it dispensed.
        matches!(
            self,
            Template::AccountVerification | Template::PasswordReset | Template::PrescriptionIssued
        )
    }

    /// Why an optional mail came, and what the one opt-out stops (its footer says so).
    pub fn why_optional(self) -> &'static str {
        match self {
            Template::ForumReply | Template::ForumAnswerAccepted => {
                "You receive news of forum topics you follow. To stop optional emails (forum news and reminders)"
            }
            _ => "You receive reminders of your visits. To stop reminder emails",
        }
    }

    /// Whether the recipient may opt out of it (reminders); the rest answer something they did
    /// or must know.
    pub fn essential(self) -> bool {
        !matches!(
            self,
            Template::AppointmentReminder | Template::ForumReply | Template::ForumAnswerAccepted
        )
    }
}

/// What an appointment mail says: who, and when in the doctor's zone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentData {
    pub appointment_id: String,
    pub doctor_name: String,
    pub starts_at: Timestamp,
    pub time_zone: String,
    /// A reminder's signed answers (booking made them): "I will come", "cancel".
    #[serde(default)]
    pub attend_link: Option<String>,
    #[serde(default)]
    pub cancel_link: Option<String>,
}

/// A mail whose point is one link (verification, reset): the producer made the link (it holds
/// the token), mail only shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkData {
    pub link: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A document the patient can now read (a prescription, a report): only that it exists.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentData {
    pub id: String,
    pub doctor_name: String,
}

/// One line of a prescription's copy, as the patient's own prescription says it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicationLine {
    pub name: String,
    pub strength: String,
    pub form: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub duration_days: u32,
    pub quantity: u32,
    pub refills: u32,
    #[serde(default)]
    pub instructions: Option<String>,
}

/// A prescription's copy: what the patient shows and takes, and nothing else of their record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionData {
    pub id: String,
    pub doctor_name: String,
    pub code: String,
    pub valid_until: Timestamp,
    #[serde(default)]
    pub note: Option<String>,
    pub medications: Vec<MedicationLine>,
    /// The pharmacy the patient nominated (locator), named so they know where to go.
    #[serde(default)]
    pub pharmacy: Option<PharmacyLine>,
}

/// A pharmacy as a copy names it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PharmacyLine {
    pub name: String,
    #[serde(default)]
    pub address_line: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Forum news: which topic, and who acted (the name they show in the forum).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForumData {
    pub topic_id: String,
    pub topic_title: String,
    pub by_name: String,
}

/// A template with its data, checked.
#[derive(Debug, Clone)]
pub enum Filled {
    Link(Template, LinkData),
    Appointment(Template, AppointmentData, TimeZone),
    Document(Template, DocumentData),
    Prescription(PrescriptionData),
    Forum(Template, ForumData),
}

/// What the clinic signs its mail with (variables).
#[derive(Debug, Clone)]
pub struct Branding {
    pub clinic_name: String,
    pub footer: String,
    /// The portal's public origin; empty: mails carry no link into the portal.
    pub app_url: String,
}

/// One message, rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where an in-app notification takes its reader (a portal route).
    pub link: Option<String>,
}

fn field_err(field: &str, e: impl std::fmt::Display) -> Problem {
    Problem::invalid(field, e.to_string())
}

/// A link a mail may carry: absolute http(s), one line, bounded.
fn absolute_url(field: &str, link: &str) -> Result<(), Problem> {
    if !(link.starts_with("https://") || link.starts_with("http://"))
        || link.len() > 2000
        || link.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Problem::invalid(field, "must be an absolute http(s) URL"));
    }
    Ok(())
}

/// Checks `data` against what `template` takes.
pub fn fill(template: Template, data: serde_json::Value) -> Result<Filled, Problem> {
    use Template::*;
    let bounded = |field: &str, v: &str, max: usize| -> Result<(), Problem> {
        service_kit::text::TextRule::line(1, max)
            .clean(v)
            .map(|_| ())
            .map_err(|m| Problem::invalid(format!("data.{field}"), m))
    };
    match template {
        AccountVerification | PasswordReset | RegistrationAttempt => {
            let d: LinkData = serde_json::from_value(data).map_err(|e| field_err("data", e))?;
            absolute_url("data.link", &d.link)?;
            if let Some(n) = &d.display_name {
                bounded("display_name", n, 120)?;
            }
            Ok(Filled::Link(template, d))
        }
        AppointmentRequested
        | AppointmentConfirmed
        | AppointmentDeclined
        | AppointmentCancelled
        | AppointmentRescheduled
        | AppointmentReminder => {
            let d: AppointmentData =
                serde_json::from_value(data).map_err(|e| field_err("data", e))?;
            bounded("doctor_name", &d.doctor_name, 200)?;
            bounded("appointment_id", &d.appointment_id, 64)?;
            for (field, link) in [
                ("attend_link", &d.attend_link),
                ("cancel_link", &d.cancel_link),
            ] {
                if let Some(l) = link {
                    if template != AppointmentReminder {
                        return Err(Problem::invalid(
                            format!("data.{field}"),
                            "only a reminder carries answers",
                        ));
                    }
                    absolute_url(&format!("data.{field}"), l)?;
                }
            }
            let tz = jiff::tz::db()
                .get(&d.time_zone)
                .map_err(|_| Problem::invalid("data.time_zone", "is not an IANA time zone"))?;
            Ok(Filled::Appointment(template, d, tz))
        }
        PrescriptionIssued => {
            let d: PrescriptionData =
                serde_json::from_value(data).map_err(|e| field_err("data", e))?;
            bounded("doctor_name", &d.doctor_name, 200)?;
            bounded("id", &d.id, 64)?;
            bounded("code", &d.code, 20)?;
            if d.medications.is_empty() || d.medications.len() > 20 {
                return Err(Problem::invalid("data.medications", "1 to 20 lines"));
            }
            for (i, m) in d.medications.iter().enumerate() {
                for (field, v) in [
                    ("name", &m.name),
                    ("strength", &m.strength),
                    ("form", &m.form),
                    ("dose", &m.dose),
                    ("route", &m.route),
                    ("frequency", &m.frequency),
                ] {
                    bounded(&format!("medications[{i}].{field}"), v, 200)?;
                }
            }
            Ok(Filled::Prescription(d))
        }
        PrescriptionDispensed
        | RefillRequested
        | RefillApproved
        | RefillDeclined
        | ReportAvailable => {
            let d: DocumentData = serde_json::from_value(data).map_err(|e| field_err("data", e))?;
            bounded("doctor_name", &d.doctor_name, 200)?;
            bounded("id", &d.id, 64)?;
            Ok(Filled::Document(template, d))
        }
        ForumReply | ForumAnswerAccepted => {
            let d: ForumData = serde_json::from_value(data).map_err(|e| field_err("data", e))?;
            bounded("topic_id", &d.topic_id, 64)?;
            bounded("topic_title", &d.topic_title, 200)?;
            bounded("by_name", &d.by_name, 80)?;
            Ok(Filled::Forum(template, d))
        }
    }
}

pub use service_kit::html::escape;

/// "Tuesday 8 December 2026 at 14:00 (Europe/Berlin)".
fn when(at: Timestamp, tz: &TimeZone, zone_name: &str) -> String {
    let local = at.to_zoned(tz.clone());
    format!("{} ({zone_name})", local.strftime("%A %-d %B %Y at %H:%M"))
}

/// One paragraph per line of `lines`, and the calls to action.
struct Body<'a> {
    greeting: String,
    lines: Vec<String>,
    actions: Vec<(&'a str, String)>,
}

impl Filled {
    pub fn template(&self) -> Template {
        match self {
            Filled::Link(t, _)
            | Filled::Appointment(t, ..)
            | Filled::Document(t, _)
            | Filled::Forum(t, _) => *t,
            Filled::Prescription(_) => Template::PrescriptionIssued,
        }
    }

    pub fn render(&self, b: &Branding) -> Rendered {
        use Template::*;
        let portal = |route: &str| -> Option<String> {
            (!b.app_url.is_empty()).then(|| format!("{}/{route}", b.app_url.trim_end_matches('/')))
        };
        let (subject, body, link) = match self {
            Filled::Link(t, d) => {
                let hello = match &d.display_name {
                    Some(n) => format!("Hello {n},"),
                    None => "Hello,".into(),
                };
                let (subject, lines, label) = match t {
                    AccountVerification => (
                        format!("Confirm your email address for {}", b.clinic_name),
                        vec![
                            "Please confirm that this is your email address. Until you do, you can sign in but not book visits.".into(),
                            "If you did not create an account, ignore this message.".into(),
                        ],
                        "Confirm my address",
                    ),
                    PasswordReset => (
                        format!("Reset your {} password", b.clinic_name),
                        vec![
                            "Someone asked to reset the password of your account. The link works once, for one hour.".into(),
                            "If it was not you, ignore this message: your password stays as it is.".into(),
                        ],
                        "Choose a new password",
                    ),
                    _ => (
                        format!("Someone tried to register with your address at {}", b.clinic_name),
                        vec![
                            "Someone tried to create an account with this email address, which already has one. No second account was made.".into(),
                            "If it was you and you forgot your password, you can reset it.".into(),
                        ],
                        "Reset my password",
                    ),
                };
                (
                    subject,
                    Body {
                        greeting: hello,
                        lines,
                        actions: vec![(label, d.link.clone())],
                    },
                    None,
                )
            }
            Filled::Appointment(t, d, tz) => {
                let at = when(d.starts_at, tz, &d.time_zone);
                let doctor = &d.doctor_name;
                let (subject, line, route) = match t {
                    AppointmentRequested => (
                        format!("New visit request for {at}"),
                        format!("A patient asked for a visit with you on {at}. Please confirm or decline it."),
                        "#/agenda",
                    ),
                    AppointmentConfirmed => (
                        format!("Your visit with {doctor} is confirmed"),
                        format!("{doctor} confirmed your visit on {at}."),
                        "#/appointments",
                    ),
                    AppointmentDeclined => (
                        format!("Your visit request with {doctor} was declined"),
                        format!("{doctor} could not accept your visit on {at}. You can choose another time."),
                        "#/appointments",
                    ),
                    AppointmentCancelled => (
                        format!("Visit on {at} cancelled"),
                        format!("The visit with {doctor} on {at} was cancelled."),
                        "#/appointments",
                    ),
                    AppointmentRescheduled => (
                        format!("Visit with {doctor} moved"),
                        format!("Your visit with {doctor} is now on {at}."),
                        "#/appointments",
                    ),
                    _ => (
                        format!("Reminder: your visit with {doctor}"),
                        format!("This is a reminder of your visit with {doctor} on {at}."),
                        "#/appointments",
                    ),
                };
                let route = if *t == AppointmentRequested {
                    route.to_string()
                } else {
                    format!("{route}/{}", d.appointment_id)
                };
                // A reminder's own answers first: they work without signing in.
                let mut actions = Vec::new();
                if let Some(url) = &d.attend_link {
                    actions.push(("I will come", url.clone()));
                }
                if let Some(url) = &d.cancel_link {
                    actions.push(("Cancel this visit", url.clone()));
                }
                actions.extend(portal(&route).map(|url| ("Open in the portal", url)));
                (
                    subject,
                    Body {
                        greeting: "Hello,".into(),
                        lines: vec![line],
                        actions,
                    },
                    Some(route),
                )
            }
            Filled::Prescription(d) => prescription_copy(d, b),
            Filled::Forum(t, d) => {
                let route = format!("#/forum/t/{}", d.topic_id);
                let (subject, line) = match t {
                    ForumAnswerAccepted => (
                        format!("Your answer was accepted: {}", d.topic_title),
                        format!("{} accepted your answer in “{}”.", d.by_name, d.topic_title),
                    ),
                    _ => (
                        format!("New reply: {}", d.topic_title),
                        format!("{} replied in “{}”.", d.by_name, d.topic_title),
                    ),
                };
                (
                    subject,
                    Body {
                        greeting: "Hello,".into(),
                        lines: vec![line],
                        actions: portal(&route)
                            .map(|url| ("Read it in the forum", url))
                            .into_iter()
                            .collect(),
                    },
                    Some(route),
                )
            }
            Filled::Document(t, d) => {
                let prescription = format!("#/prescriptions/{}", d.id);
                let (subject, line, route) = match t {
                    PrescriptionDispensed => (
                        "Your prescription was dispensed".to_string(),
                        format!(
                            "A pharmacy handed over medication on your prescription from {}.",
                            d.doctor_name
                        ),
                        prescription,
                    ),
                    RefillRequested => (
                        "A patient asked for a refill".to_string(),
                        "A patient asked for a refill of a prescription you wrote. Please approve or decline it.".to_string(),
                        "#/refills".to_string(),
                    ),
                    RefillApproved => (
                        "Your refill was approved".to_string(),
                        format!("{} approved your refill. Show your prescription code at the pharmacy.", d.doctor_name),
                        prescription,
                    ),
                    RefillDeclined => (
                        "Your refill request was declined".to_string(),
                        format!("{} declined your refill request. You can read why in the portal.", d.doctor_name),
                        prescription,
                    ),
                    _ => (
                        "A visit report is available".to_string(),
                        format!(
                            "{} shared a visit report with you. You can read it in the portal.",
                            d.doctor_name
                        ),
                        format!("#/records/reports/{}", d.id),
                    ),
                };
                (
                    subject,
                    Body {
                        greeting: "Hello,".into(),
                        lines: vec![line],
                        actions: portal(&route)
                            .map(|url| ("Open in the portal", url))
                            .into_iter()
                            .collect(),
                    },
                    Some(route),
                )
            }
        };
        Rendered {
            text: text_part(&body, b),
            html: html_part(&subject, &body, b),
            subject,
            link,
        }
    }
}

/// A prescription's copy: the code first (what the pharmacist asks for), then each medication
/// as written, the validity and the doctor's note.
fn prescription_copy<'a>(d: &PrescriptionData, b: &Branding) -> (String, Body<'a>, Option<String>) {
    let route = format!("#/prescriptions/{}", d.id);
    let mut lines = vec![
        format!("{} issued you a prescription.", d.doctor_name),
        format!(
            "Prescription code: {} (show it at the pharmacy; keep it to yourself).",
            d.code
        ),
    ];
    for m in &d.medications {
        let mut l = format!(
            "{} {} {}: {} {}, {}, for {} days. Quantity {}, {} refill{}.",
            m.name,
            m.strength,
            m.form,
            m.dose,
            m.route,
            m.frequency,
            m.duration_days,
            m.quantity,
            m.refills,
            if m.refills == 1 { "" } else { "s" }
        );
        if let Some(i) = &m.instructions {
            l.push_str(&format!(" {i}"));
        }
        lines.push(l);
    }
    lines.push(format!(
        "Valid until {}.",
        d.valid_until.strftime("%-d %B %Y at %H:%M UTC")
    ));
    if let Some(n) = &d.note {
        lines.push(format!("Note from your doctor: {n}"));
    }
    if let Some(p) = &d.pharmacy {
        let mut l = format!("Your pharmacy: {}", p.name);
        if let Some(a) = p.address_line.as_deref().filter(|a| !a.is_empty()) {
            l.push_str(&format!(", {a}"));
        }
        if let Some(t) = p.phone.as_deref().filter(|t| !t.is_empty()) {
            l.push_str(&format!(" (telephone {t})"));
        }
        l.push('.');
        lines.push(l);
    }
    let actions = if b.app_url.is_empty() {
        Vec::new()
    } else {
        vec![(
            "Open in the portal",
            format!("{}/{route}", b.app_url.trim_end_matches('/')),
        )]
    };
    (
        format!("Your prescription from {}", d.doctor_name),
        Body {
            greeting: "Hello,".into(),
            lines,
            actions,
        },
        Some(route),
    )
}

fn text_part(body: &Body, b: &Branding) -> String {
    let mut t = format!("{}\n\n", body.greeting);
    for l in &body.lines {
        t.push_str(l);
        t.push_str("\n\n");
    }
    for (label, url) in &body.actions {
        t.push_str(&format!("{label}: {url}\n\n"));
    }
    t.push_str(&format!("-- \n{}\n", b.clinic_name));
    if !b.footer.is_empty() {
        t.push_str(&b.footer);
        t.push('\n');
    }
    t
}

fn html_part(subject: &str, body: &Body, b: &Branding) -> String {
    let mut h = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;line-height:1.5;max-width:36em\"><p>{}</p>",
        escape(subject),
        escape(&body.greeting)
    );
    for l in &body.lines {
        h.push_str(&format!("<p>{}</p>", escape(l)));
    }
    for (label, url) in &body.actions {
        h.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(url),
            escape(label)
        ));
    }
    h.push_str(&format!(
        "<hr><p style=\"color:#555;font-size:small\">{}",
        escape(&b.clinic_name)
    ));
    if !b.footer.is_empty() {
        h.push_str(&format!("<br>{}", escape(&b.footer)));
    }
    h.push_str("</p></body></html>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn brand() -> Branding {
        Branding {
            clinic_name: "Clinic <Nord>".into(),
            footer: "Hauptstr. 1 & 2".into(),
            app_url: "https://clinic.example".into(),
        }
    }

    #[test]
    fn an_appointment_mail_names_the_doctor_and_the_local_time_and_escapes_both() {
        let f = fill(
            Template::AppointmentConfirmed,
            json!({"appointment_id": "a1", "doctor_name": "Dr. <b>Ada</b>",
                   "starts_at": "2026-12-08T13:00:00Z", "time_zone": "Europe/Berlin"}),
        )
        .unwrap();
        let r = f.render(&brand());
        assert_eq!(r.subject, "Your visit with Dr. <b>Ada</b> is confirmed");
        assert!(
            r.text
                .contains("Tuesday 8 December 2026 at 14:00 (Europe/Berlin)"),
            "{}",
            r.text
        );
        assert!(r.html.contains("Dr. &lt;b&gt;Ada&lt;/b&gt;"));
        assert!(!r.html.contains("<b>Ada"));
        assert!(r.html.contains("Clinic &lt;Nord&gt;") && r.html.contains("Hauptstr. 1 &amp; 2"));
        assert!(r
            .html
            .contains("href=\"https://clinic.example/#/appointments/a1\""));
        assert_eq!(r.link.as_deref(), Some("#/appointments/a1"));
    }

    #[test]
    fn a_field_no_template_has_is_refused_so_no_reason_is_ever_mailed() {
        let e = fill(
            Template::AppointmentRequested,
            json!({"appointment_id": "a1", "doctor_name": "Dr. Ada", "reason": "chest pain",
                   "starts_at": "2026-12-08T13:00:00Z", "time_zone": "Europe/Berlin"}),
        )
        .unwrap_err();
        assert_eq!(e.status_code(), 422);
        assert!(format!("{e:?}").contains("reason"), "{e:?}");
    }

    #[test]
    fn bad_data_names_its_field() {
        for (template, data, field) in [
            (
                Template::AppointmentConfirmed,
                json!({"appointment_id": "a", "doctor_name": "D", "starts_at": "2026-12-08T13:00:00Z", "time_zone": "Mars/Base"}),
                "data.time_zone",
            ),
            (
                Template::PasswordReset,
                json!({"link": "javascript:alert(1)"}),
                "data.link",
            ),
            (
                Template::PasswordReset,
                json!({"link": "https://x.example/a b"}),
                "data.link",
            ),
            (
                Template::ReportAvailable,
                json!({"id": "r", "doctor_name": "D\u{202e}r"}),
                "data.doctor_name",
            ),
        ] {
            let e = fill(template, data).unwrap_err();
            assert!(format!("{e:?}").contains(field), "{field}: {e:?}");
        }
    }

    #[test]
    fn without_a_public_url_mails_carry_no_portal_link_but_notifications_keep_their_route() {
        let f = fill(
            Template::AppointmentRequested,
            json!({"appointment_id": "a1", "doctor_name": "Dr. Ada",
                   "starts_at": "2026-12-08T13:00:00Z", "time_zone": "UTC"}),
        )
        .unwrap();
        let r = f.render(&Branding {
            app_url: String::new(),
            ..brand()
        });
        assert!(!r.html.contains("href"));
        assert_eq!(r.link.as_deref(), Some("#/agenda"));
    }

    #[test]
    fn forum_news_names_the_topic_and_who_escaped_and_is_optional() {
        let data = json!({"topic_id": "t1", "topic_title": "Is <b>150/95</b> high?", "by_name": "Dr & Co"});
        let r = fill(Template::ForumReply, data.clone())
            .unwrap()
            .render(&brand());
        assert_eq!(r.subject, "New reply: Is <b>150/95</b> high?");
        assert!(
            r.html
                .contains("Dr &amp; Co replied in “Is &lt;b&gt;150/95&lt;/b&gt; high?”"),
            "{}",
            r.html
        );
        assert_eq!(r.link.as_deref(), Some("#/forum/t/t1"));
        let r = fill(Template::ForumAnswerAccepted, data.clone())
            .unwrap()
            .render(&brand());
        assert!(r.subject.starts_with("Your answer was accepted"));
        assert!(!Template::ForumReply.essential() && !Template::ForumAnswerAccepted.essential());
        assert!(Template::ForumReply.why_optional().contains("forum"));
        let mut more = data;
        more["body"] = json!("the reply's text");
        assert!(
            fill(Template::ForumReply, more).is_err(),
            "no room for a post's text"
        );
    }

    #[test]
    fn only_reminders_can_be_unsubscribed_from() {
        assert!(!Template::AppointmentReminder.essential());
        assert!(Template::PasswordReset.essential());
        assert_eq!(
            "appointment_reminder".parse::<Template>().unwrap(),
            Template::AppointmentReminder
        );
    }

    #[test]
    fn a_prescription_copy_holds_the_code_and_the_lines_and_refuses_anything_else() {
        let data = json!({"id": "rx1", "doctor_name": "Dr. Ada", "code": "WP29-1V67-6D98",
            "valid_until": "2027-03-02T10:00:00Z", "note": "Review in <3> months",
            "medications": [{"name": "Metformin", "strength": "500 mg", "form": "tablet",
                "dose": "1 tablet", "route": "oral", "frequency": "twice a day",
                "duration_days": 30, "quantity": 60, "refills": 1, "instructions": null}]});
        let r = fill(Template::PrescriptionIssued, data.clone())
            .unwrap()
            .render(&brand());
        assert_eq!(r.subject, "Your prescription from Dr. Ada");
        assert!(
            r.text.contains("Prescription code: WP29-1V67-6D98"),
            "{}",
            r.text
        );
        assert!(r.text.contains("Metformin 500 mg tablet: 1 tablet oral, twice a day, for 30 days. Quantity 60, 1 refill."), "{}", r.text);
        assert!(r.text.contains("Valid until 2 March 2027"), "{}", r.text);
        assert!(r.html.contains("Review in &lt;3&gt; months"), "{}", r.html);
        assert_eq!(r.link.as_deref(), Some("#/prescriptions/rx1"));
        assert!(Template::PrescriptionIssued.carries_secret());
        // A field the copy has no place for (the override's reasoning) is refused at intake.
        let mut more = data;
        more["allergy_override"] = json!({"reason": "tolerated"});
        assert!(fill(Template::PrescriptionIssued, more).is_err());
    }
}
