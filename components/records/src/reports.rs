//! Visit reports: the doctor of an appointment writes one (subjective, objective, assessment,
//! plan — SOAP), saves drafts, and signs it. A signed report never changes (a trigger refuses
//! it); a correction is an addendum. Signing queues the patient's mail in the same statement.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use service_kit::db::{Db, Row};
use service_kit::text::TextRule;
use service_kit::{params, Problem};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub id: String,
    pub appointment_id: String,
    pub patient_id: String,
    pub doctor_id: String,
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub signed_at: Option<String>,
    pub addenda: Vec<Addendum>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Addendum {
    pub id: String,
    pub author_id: String,
    pub text: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, appointment_id, patient_id, doctor_id, subjective, objective, \
     assessment, plan, status, created_at, updated_at, signed_at";

fn report(row: Row<'_>) -> Result<Report, Problem> {
    Ok(Report {
        id: row.get("id")?,
        appointment_id: row.get("appointment_id")?,
        patient_id: row.get("patient_id")?,
        doctor_id: row.get("doctor_id")?,
        subjective: row.get("subjective")?,
        objective: row.get("objective")?,
        assessment: row.get("assessment")?,
        plan: row.get("plan")?,
        status: row.get("status")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        signed_at: row.get("signed_at")?,
        addenda: Vec::new(),
    })
}

const SECTION: TextRule = TextRule::paragraphs(0, 20_000);
const ADDENDUM: TextRule = TextRule::paragraphs(1, 20_000);

/// The four sections as a writer sends them; a section left out of an edit keeps its text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sections {
    #[serde(default)]
    pub appointment_id: Option<String>,
    #[serde(default)]
    pub subjective: Option<String>,
    #[serde(default)]
    pub objective: Option<String>,
    #[serde(default)]
    pub assessment: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
}

impl Sections {
    /// Each section cleaned, or `None` where it was left out.
    fn cleaned(&self) -> Result<[Option<String>; 4], Problem> {
        let one = |field: &str, v: &Option<String>| -> Result<Option<String>, Problem> {
            v.as_deref()
                .map(|t| SECTION.clean(t).map_err(|m| Problem::invalid(field, m)))
                .transpose()
        };
        Ok([
            one("subjective", &self.subjective)?,
            one("objective", &self.objective)?,
            one("assessment", &self.assessment)?,
            one("plan", &self.plan)?,
        ])
    }
}

/// The appointment a report is for, as booking showed it to its doctor.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Appointment {
    pub id: String,
    pub doctor_id: String,
    pub patient_id: String,
    pub status: String,
}

/// Starts the report of `appt` as a draft. Only its doctor may, once the visit is confirmed or
/// done; an appointment has at most one report (a unique index), so a second start is a 409.
pub fn create(
    db: &dyn Db,
    now: Timestamp,
    doctor: &str,
    appt: &Appointment,
    s: &Sections,
) -> Result<Report, Problem> {
    if appt.doctor_id != doctor {
        return Err(Problem::forbidden(
            "only the appointment's doctor writes its report",
        ));
    }
    if !matches!(appt.status.as_str(), "confirmed" | "completed") {
        return Err(Problem::conflict(
            "appointment-not-held",
            format!(
                "the appointment is {}: a report is written for a confirmed or completed visit",
                appt.status
            ),
        )
        .with_field("appointment_id", "is not a confirmed or completed visit"));
    }
    let [subjective, objective, assessment, plan] = s.cleaned()?;
    let at = now.to_string();
    let result = db.execute(
        &format!(
            "INSERT INTO records_reports (id, appointment_id, patient_id, doctor_id, subjective,
               objective, assessment, plan, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'draft', ?9, ?9) RETURNING {COLUMNS}"
        ),
        params![
            service_kit::new_id(now),
            appt.id.as_str(),
            appt.patient_id.as_str(),
            doctor,
            subjective.unwrap_or_default(),
            objective.unwrap_or_default(),
            assessment.unwrap_or_default(),
            plan.unwrap_or_default(),
            at
        ],
    );
    match result {
        Ok(rows) => rows
            .first()
            .map(report)
            .transpose()?
            .ok_or_else(|| Problem::internal("the report was not written")),
        Err(e) if e.unique_violation() == Some("records_reports.appointment_id") => {
            Err(Problem::conflict(
                "report-exists",
                "this appointment has its report already: edit it, or add an addendum once signed",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The report by id with its addenda, if any.
pub fn get(db: &dyn Db, id: &str) -> Result<Option<Report>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM records_reports WHERE id = ?1"),
        params![id],
    )?;
    let Some(mut r) = rows.first().map(report).transpose()? else {
        return Ok(None);
    };
    if r.status == "signed" {
        r.addenda = addenda(db, &r.id)?;
    }
    Ok(Some(r))
}

fn addenda(db: &dyn Db, report: &str) -> Result<Vec<Addendum>, Problem> {
    let rows = db.execute(
        "SELECT id, author_id, text, created_at FROM records_addenda
         WHERE report_id = ?1 ORDER BY created_at, id",
        params![report],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Addendum {
                id: r.get("id")?,
                author_id: r.get("author_id")?,
                text: r.get("text")?,
                created_at: r.get("created_at")?,
            })
        })
        .collect()
}

/// Whose report `id` is, if it exists.
pub fn patient_of(db: &dyn Db, id: &str) -> Result<Option<String>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        "SELECT patient_id FROM records_reports WHERE id = ?1",
        params![id],
    )?;
    Ok(rows.first().map(|r| r.get("patient_id")).transpose()?)
}

fn signed_is_final() -> Problem {
    Problem::conflict(
        "report-signed",
        "a signed report never changes: add an addendum to correct it",
    )
}

/// Saves the draft's sections (those sent). Its doctor only; a signed report is a 409.
pub fn save_draft(
    db: &dyn Db,
    now: Timestamp,
    doctor: &str,
    current: &Report,
    s: &Sections,
) -> Result<Report, Problem> {
    if current.doctor_id != doctor {
        return Err(Problem::forbidden("only the report's doctor edits it"));
    }
    if s.appointment_id
        .as_deref()
        .is_some_and(|a| a != current.appointment_id)
    {
        return Err(Problem::invalid(
            "appointment_id",
            "a report keeps its appointment",
        ));
    }
    if current.status == "signed" {
        return Err(signed_is_final());
    }
    let [subjective, objective, assessment, plan] = s.cleaned()?;
    let rows = db.execute(
        &format!(
            "UPDATE records_reports SET subjective = COALESCE(?2, subjective),
               objective = COALESCE(?3, objective), assessment = COALESCE(?4, assessment),
               plan = COALESCE(?5, plan), updated_at = ?6
             WHERE id = ?1 AND status = 'draft' RETURNING {COLUMNS}"
        ),
        params![
            current.id.as_str(),
            subjective,
            objective,
            assessment,
            plan,
            now.to_string()
        ],
    )?;
    match rows.first() {
        Some(r) => report(r),
        // Signed between the read and the write.
        None => Err(signed_is_final()),
    }
}

/// Signs the draft: from now on it is the patient's to read, and never changes. The same
/// statement queues the patient's mail (a trigger). An empty assessment is not signed.
pub fn sign(
    db: &dyn Db,
    now: Timestamp,
    doctor: &str,
    current: &Report,
) -> Result<Report, Problem> {
    if current.doctor_id != doctor {
        return Err(Problem::forbidden("only the report's doctor signs it"));
    }
    if current.status == "signed" {
        return Err(signed_is_final());
    }
    if current.assessment.trim().is_empty() && current.plan.trim().is_empty() {
        return Err(Problem::invalid(
            "assessment",
            "a report is signed with an assessment or a plan",
        ));
    }
    let at = now.to_string();
    let rows = db.execute(
        &format!(
            "UPDATE records_reports SET status = 'signed', signed_at = ?2, updated_at = ?2
             WHERE id = ?1 AND status = 'draft' RETURNING {COLUMNS}"
        ),
        params![current.id.as_str(), at],
    )?;
    match rows.first() {
        Some(r) => report(r),
        None => Err(signed_is_final()),
    }
}

/// Adds an addendum to a signed report (its doctor, or another doctor treating the patient).
pub fn add_addendum(
    db: &dyn Db,
    now: Timestamp,
    author: &str,
    current: &Report,
    text: &str,
) -> Result<Addendum, Problem> {
    if current.status != "signed" {
        return Err(Problem::conflict(
            "report-draft",
            "the report is a draft: edit it instead of adding an addendum",
        ));
    }
    let text = ADDENDUM
        .clean(text)
        .map_err(|m| Problem::invalid("text", m))?;
    let a = Addendum {
        id: service_kit::new_id(now),
        author_id: author.to_string(),
        text,
        created_at: now.to_string(),
    };
    db.execute(
        "INSERT INTO records_addenda (id, report_id, author_id, text, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            a.id.as_str(),
            current.id.as_str(),
            author,
            a.text.as_str(),
            a.created_at.as_str()
        ],
    )?;
    Ok(a)
}

/// The query of [`list`] (?1 patient, ?2 cursor id, ?3 limit, ?4 1 when drafts are shown).
pub const LIST: &str = "FROM records_reports INDEXED BY records_reports_by_patient
     WHERE patient_id = ?1 AND id < ?2 AND (?4 = 1 OR status = 'signed')
     ORDER BY created_at DESC, id DESC LIMIT ?3";

/// A patient's reports newest first: the signed ones, and drafts too when `drafts_of` names
/// their doctor (only the author sees a draft).
pub fn list(
    db: &dyn Db,
    patient: &str,
    drafts_of: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Report>, Problem> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} {LIST}"),
        params![
            patient,
            before.unwrap_or("~"),
            limit,
            drafts_of.is_some() as i64
        ],
    )?;
    let mut out = Vec::new();
    for r in rows.iter() {
        let r = report(r)?;
        if r.status == "signed" || Some(r.doctor_id.as_str()) == drafts_of {
            out.push(r);
        }
    }
    Ok(out)
}

/// Signed reports whose patient has not been told yet (the outbox), oldest first.
pub fn pending_mail(db: &dyn Db, limit: i64) -> Result<Vec<(String, String, String)>, Problem> {
    let rows = db.execute(
        "SELECT report_id, patient_id, doctor_id FROM records_outbox ORDER BY queued_at LIMIT ?1",
        params![limit],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r.get("report_id")?,
                r.get("patient_id")?,
                r.get("doctor_id")?,
            ))
        })
        .collect()
}

/// Mail accepted these: they leave the outbox.
pub fn sent(db: &dyn Db, ids: &[String]) -> Result<(), Problem> {
    for id in ids {
        db.execute(
            "DELETE FROM records_outbox WHERE report_id = ?1",
            params![id.as_str()],
        )?;
    }
    Ok(())
}
