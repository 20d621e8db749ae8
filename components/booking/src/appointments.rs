//! Appointments: requests, the lifecycle, rescheduling, expiry — and the invariant.
//!
//! The invariant (one active appointment per slot, one per patient per instant) is held by
//! partial unique indexes (migrations/booking/0001_booking.sql). Nothing here reads to decide
//! whether a slot is free before writing: the INSERT or UPDATE either gets past the index or is
//! refused, and a refusal is a 409. Every state change is one conditional UPDATE whose WHERE
//! names the states it may leave, so two racing changes cannot both win.

use crate::conflict::Conflict;
use crate::doctors;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use service_kit::db::{Db, Row};
use service_kit::token::Role;
use service_kit::{new_id, params, Problem};
use std::collections::{HashMap, HashSet};

/// What the clinic sets.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// An unanswered request lapses after this (or at its start, if sooner).
    pub request_ttl: SignedDuration,
    /// A patient may cancel up to this long before the start; doctors and staff any time.
    pub cancel_cutoff: SignedDuration,
    /// How long after a completed visit the doctor still counts as treating the patient.
    pub care_window: SignedDuration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            request_ttl: SignedDuration::from_hours(48),
            cancel_cutoff: SignedDuration::from_hours(24),
            care_window: SignedDuration::from_hours(24 * 365),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::EnumString, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Requested,
    Confirmed,
    Declined,
    Cancelled,
    Completed,
    NoShow,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// Who is acting, as auth's token says.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub role: Role,
}

impl Actor {
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    /// The appointment's doctor, acting as a doctor: a doctor demoted to another role keeps
    /// their id but loses every doctor-side right at once.
    pub fn is_doctor_of(&self, a: &Appointment) -> bool {
        self.role == Role::Doctor && self.id == a.doctor_id
    }

    pub fn is_patient_of(&self, a: &Appointment) -> bool {
        self.id == a.patient_id
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Appointment {
    pub id: String,
    pub doctor_id: String,
    pub patient_id: String,
    #[serde(serialize_with = "instant")]
    pub starts_at: Timestamp,
    #[serde(serialize_with = "instant")]
    pub ends_at: Timestamp,
    pub status: Status,
    pub reason: String,
    pub note: Option<String>,
    #[serde(serialize_with = "instant")]
    pub expires_at: Timestamp,
    #[serde(serialize_with = "instant")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "instant")]
    pub updated_at: Timestamp,
    #[serde(skip)]
    pub request_hash: Option<String>,
    /// When the patient said, from their reminder, that they will come.
    pub attendance_confirmed_at: Option<String>,
}

const COLUMNS: &str = "id, doctor_id, patient_id, starts_at, ends_at, status, reason, note, \
     expires_at, created_at, updated_at, request_hash, attendance_confirmed_at";

impl Appointment {
    fn from_row(row: Row<'_>) -> Result<Self, Problem> {
        let status: String = row.get("status")?;
        Ok(Self {
            id: row.get("id")?,
            doctor_id: row.get("doctor_id")?,
            patient_id: row.get("patient_id")?,
            starts_at: stored_instant(&row, "starts_at")?,
            ends_at: stored_instant(&row, "ends_at")?,
            status: Status::parse(&status)
                .ok_or_else(|| Problem::internal(format!("unknown status {status}")))?,
            reason: row.get("reason")?,
            note: row.get("note")?,
            expires_at: stored_instant(&row, "expires_at")?,
            created_at: stored_instant(&row, "created_at")?,
            updated_at: stored_instant(&row, "updated_at")?,
            request_hash: row.get("request_hash")?,
            attendance_confirmed_at: row.get("attendance_confirmed_at")?,
        })
    }

    /// Only the patient, the doctor of the appointment and staff may see it.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        actor.is_staff() || actor.is_patient_of(self) || actor.is_doctor_of(self)
    }
}

/// An instant column, parsed where it leaves the database: inside the rules instants are
/// `Timestamp`s, text only at the edges.
fn stored_instant(row: &Row<'_>, column: &str) -> Result<Timestamp, Problem> {
    let text: String = row.get(column)?;
    text.parse()
        .map_err(|e| Problem::internal(format!("{column} {text:?}: {e}")))
}

/// How the API writes an instant: as it is stored ([`instant_text`]).
fn instant<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&instant_text(*t))
}

/// Instants are stored as whole-second UTC RFC 3339 text, so equal instants compare equal.
pub fn instant_text(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .expect("a whole-second timestamp is in range")
        .to_string()
}

/// Marks lapsed requests expired, freeing their slots. Safe to race: the UPDATE names the state
/// it leaves. It is asked for first with a read, because an UPDATE takes the write lock even
/// when it matches nothing, and most requests find nothing to expire — under a burst, every
/// avoided write lock is a writer that does not queue.
pub fn expire_lapsed(db: &dyn Db, now: Timestamp) -> Result<(), Problem> {
    let lapsed = db.execute(
        &format!("SELECT 1 AS one WHERE {ANY_LAPSED}"),
        params![instant_text(now).as_str()],
    )?;
    if lapsed.is_empty() {
        return Ok(());
    }
    expire(db, now)
}

/// Whether some request has lapsed at `?1`: an index probe, for a statement that asks it on the
/// way (`expire_lapsed`, `doctor_and_lapsed`).
const ANY_LAPSED: &str = "EXISTS (SELECT 1 FROM booking_appointments \
    WHERE status = 'requested' AND expires_at <= ?1)";

/// The lapsed requests, expired.
fn expire(db: &dyn Db, now: Timestamp) -> Result<(), Problem> {
    let now = instant_text(now);
    db.execute(
        "UPDATE booking_appointments SET status = 'expired', changed_by = 'system', updated_at = ? \
         WHERE status = 'requested' AND expires_at <= ?",
        params![now.as_str(), now.as_str()],
    )?;
    Ok(())
}

/// How many upcoming active appointments one patient may hold: enough for any real care plan,
/// few enough that one account cannot squat a doctor's week. Counted in the INSERT itself, so
/// concurrent requests cannot slip past it.
pub const MAX_UPCOMING_PER_PATIENT: i64 = 10;

/// A new request from a patient.
pub struct NewRequest<'a> {
    pub doctor_id: &'a str,
    pub starts_at: Timestamp,
    pub reason: &'a str,
    /// The Idempotency-Key and a hash of the request body, if the client sent a key.
    pub idempotency: Option<(&'a str, &'a str)>,
}

/// The outcome of a request: created now, or found from an earlier attempt with the same key.
pub enum Requested {
    Created(Appointment),
    Replayed(Appointment),
}

/// Checks that `starts_at` is a future slot of the doctor's hours; returns its end.
fn check_slot(
    doctor: &doctors::Doctor,
    starts_at: Timestamp,
    now: Timestamp,
) -> Result<Timestamp, Problem> {
    if starts_at <= now {
        return Err(Problem::invalid("starts_at", "is in the past"));
    }
    let slot = doctor
        .schedule()
        .slot_at(starts_at)
        .ok_or_else(|| Problem::invalid("starts_at", "is not one of this doctor's slots"))?;
    Ok(slot.end)
}

/// `doctor_and_lapsed`'s statement (?1: now, ?2: the doctor), public for its query-plan test.
pub fn doctor_and_lapsed_query() -> String {
    format!(
        "SELECT {}, {ANY_LAPSED} AS lapsed FROM booking_doctors WHERE id = ?2",
        doctors::COLUMNS
    )
}

/// The doctor a request names, and whether any request has lapsed: one statement where a
/// booking used to spend two.
fn doctor_and_lapsed(
    db: &dyn Db,
    doctor_id: &str,
    now: Timestamp,
) -> Result<Option<(doctors::Doctor, bool)>, Problem> {
    let rows = db.execute(
        &doctor_and_lapsed_query(),
        params![instant_text(now).as_str(), doctor_id],
    )?;
    rows.first()
        .map(|r| Ok((doctors::Doctor::from_row(r)?, r.get::<bool>("lapsed")?)))
        .transpose()
}

pub fn request(
    db: &dyn Db,
    policy: &Policy,
    now: Timestamp,
    patient: &Actor,
    new: &NewRequest,
) -> Result<Requested, Problem> {
    if let Some((key, hash)) = new.idempotency {
        if let Some(earlier) = by_idempotency_key(db, &patient.id, key)? {
            return if earlier.request_hash.as_deref() == Some(hash) {
                Ok(Requested::Replayed(earlier))
            } else {
                Err(Problem::invalid(
                    "Idempotency-Key",
                    "was already used with a different request",
                ))
            };
        }
    }
    let (doctor, lapsed) = doctor_and_lapsed(db, new.doctor_id, now)?
        .ok_or_else(|| Problem::invalid("doctor_id", "no such doctor"))?;
    let ends_at = check_slot(&doctor, new.starts_at, now)?;
    if lapsed {
        expire(db, now)?;
    }
    let expires_at =
        (now.checked_add(policy.request_ttl).unwrap_or(new.starts_at)).min(new.starts_at);
    let now_text = instant_text(now);
    let id = new_id(now);
    let (key, hash) = new.idempotency.unzip();
    let inserted = db.execute(
        &format!(
            "INSERT INTO booking_appointments (id, doctor_id, patient_id, starts_at, ends_at, status, \
             reason, changed_by, expires_at, idempotency_key, request_hash, created_at, updated_at) \
             SELECT ?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?, ?, ?, ? \
             WHERE (SELECT COUNT(*) FROM booking_appointments WHERE patient_id = ? \
                    AND status IN ('requested', 'confirmed') AND starts_at > ?) < ? \
             RETURNING {COLUMNS}"
        ),
        params![
            id,
            new.doctor_id,
            patient.id.as_str(),
            instant_text(new.starts_at),
            instant_text(ends_at),
            new.reason,
            patient.id.as_str(),
            instant_text(expires_at),
            key,
            hash,
            now_text.as_str(),
            now_text.as_str(),
            patient.id.as_str(),
            now_text.as_str(),
            MAX_UPCOMING_PER_PATIENT
        ],
    );
    match inserted {
        Ok(rows) => match rows.first() {
            Some(row) => Ok(Requested::Created(Appointment::from_row(row)?)),
            None => Err(Conflict::TooManyAppointments {
                max: MAX_UPCOMING_PER_PATIENT,
            }
            .into()),
        },
        Err(e) => {
            // A concurrent retry with the same key got in first: answer with its appointment.
            if let Some((key, hash)) = new.idempotency {
                if let Some(earlier) = by_idempotency_key(db, &patient.id, key)? {
                    if earlier.request_hash.as_deref() == Some(hash) {
                        return Ok(Requested::Replayed(earlier));
                    }
                }
            }
            Err(Conflict::or_db(e))
        }
    }
}

fn by_idempotency_key(
    db: &dyn Db,
    patient: &str,
    key: &str,
) -> Result<Option<Appointment>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM booking_appointments WHERE patient_id = ? AND idempotency_key = ?"
        ),
        params![patient, key],
    )?;
    rows.first().map(Appointment::from_row).transpose()
}

/// Reads an appointment the actor may see; anyone else is told it does not exist.
pub fn get(db: &dyn Db, now: Timestamp, actor: &Actor, id: &str) -> Result<Appointment, Problem> {
    expire_lapsed(db, now)?;
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM booking_appointments WHERE id = ?"),
        params![id],
    )?;
    match rows.first().map(Appointment::from_row).transpose()? {
        Some(a) if a.visible_to(actor) => Ok(a),
        _ => Err(Problem::not_found("no such appointment")),
    }
}

/// Whose appointment `id` is, whoever asks: only for the access log, so a denied attempt is
/// recorded against the patient it was aimed at.
pub fn patient_of(db: &dyn Db, id: &str) -> Result<Option<String>, Problem> {
    let rows = db.execute(
        "SELECT patient_id FROM booking_appointments WHERE id = ?",
        params![id],
    )?;
    rows.first()
        .map(|r| r.get("patient_id"))
        .transpose()
        .map_err(Into::into)
}

/// A change of state asked for by someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Decline,
    Cancel,
    Complete,
    NoShow,
}

impl Action {
    fn target(self) -> Status {
        match self {
            Action::Confirm => Status::Confirmed,
            Action::Decline => Status::Declined,
            Action::Cancel => Status::Cancelled,
            Action::Complete => Status::Completed,
            Action::NoShow => Status::NoShow,
        }
    }

    /// The states this action may leave.
    fn from(self) -> &'static [Status] {
        match self {
            Action::Confirm | Action::Decline => &[Status::Requested],
            Action::Cancel => &[Status::Requested, Status::Confirmed],
            Action::Complete | Action::NoShow => &[Status::Confirmed],
        }
    }
}

fn state_conflict(current: Status, action: Action) -> Problem {
    Conflict::InvalidTransition {
        current: current.as_str(),
        why: format!("it cannot be moved to {}", action.target().as_str()),
    }
    .into()
}

/// Applies `action` for `actor`, with a note (why declined or cancelled).
pub fn transition(
    db: &dyn Db,
    policy: &Policy,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    action: Action,
    note: Option<&str>,
) -> Result<Appointment, Problem> {
    let current = get(db, now, actor, id)?;
    let is_doctor = actor.is_doctor_of(&current);
    let is_patient = actor.is_patient_of(&current);
    let allowed = match action {
        Action::Confirm | Action::Decline | Action::Complete | Action::NoShow => {
            is_doctor || actor.is_staff()
        }
        Action::Cancel => is_doctor || is_patient || actor.is_staff(),
    };
    if !allowed {
        return Err(Problem::forbidden(
            "only the appointment's doctor or staff may do that",
        ));
    }
    if !action.from().contains(&current.status) {
        return Err(state_conflict(current.status, action));
    }
    if action == Action::Cancel && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(Problem::invalid("reason", "a cancellation needs a reason"));
    }
    let now_text = instant_text(now);
    // Time rules, enforced in the same statement as the change.
    let (time_rule, time_value, time_problem) = match action {
        Action::Complete | Action::NoShow => (
            " AND starts_at <= ?",
            now_text.clone(),
            Some(Problem::from(Conflict::NotStarted)),
        ),
        Action::Cancel if is_patient && !is_doctor && !actor.is_staff() => (
            " AND starts_at > ?",
            instant_text(now.checked_add(policy.cancel_cutoff).unwrap_or(now)),
            Some(Problem::from(Conflict::TooLateToCancel {
                what: "cancel",
                minutes: policy.cancel_cutoff.as_mins(),
            })),
        ),
        Action::Confirm => (" AND expires_at > ?", now_text.clone(), None),
        _ => ("", String::new(), None),
    };
    let states = action
        .from()
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut values = vec![
        action.target().as_str().into(),
        note.into(),
        actor.id.as_str().into(),
        now_text.as_str().into(),
        id.into(),
    ];
    if !time_rule.is_empty() {
        values.push(time_value.into());
    }
    let rows = db.execute(
        &format!(
            "UPDATE booking_appointments SET status = ?, note = ?, changed_by = ?, updated_at = ? \
             WHERE id = ? AND status IN ({states}){time_rule} RETURNING {COLUMNS}"
        ),
        &values,
    )?;
    if let Some(row) = rows.first() {
        return Appointment::from_row(row);
    }
    // Nothing changed: say why, from what the row holds now.
    let now_row = get(db, now, actor, id)?;
    if !action.from().contains(&now_row.status) {
        return Err(state_conflict(now_row.status, action));
    }
    Err(time_problem.unwrap_or_else(|| state_conflict(Status::Expired, action)))
}

/// Records that the patient will come to a confirmed visit that has not started (once: a second
/// answer keeps the first time).
pub fn confirm_attendance(db: &dyn Db, now: Timestamp, id: &str) -> Result<Appointment, Problem> {
    let now_text = instant_text(now);
    let rows = db.execute(
        &format!(
            "UPDATE booking_appointments \
             SET attendance_confirmed_at = COALESCE(attendance_confirmed_at, ?1) \
             WHERE id = ?2 AND status = 'confirmed' AND starts_at > ?1 RETURNING {COLUMNS}"
        ),
        params![now_text, id],
    )?;
    match rows.first() {
        Some(row) => Appointment::from_row(row),
        None => {
            let rows = db.execute(
                &format!("SELECT {COLUMNS} FROM booking_appointments WHERE id = ?"),
                params![id],
            )?;
            let current = rows
                .first()
                .map(Appointment::from_row)
                .transpose()?
                .ok_or_else(|| Problem::not_found("no such appointment"))?;
            Err(Conflict::InvalidTransition {
                current: current.status.as_str(),
                why: "only a confirmed visit that has not begun can be attended".into(),
            }
            .into())
        }
    }
}

/// Moves an active appointment to another free slot of the same doctor, in one statement. A
/// patient's move of a confirmed visit goes back to the doctor as a request.
pub fn reschedule(
    db: &dyn Db,
    policy: &Policy,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    starts_at: Timestamp,
) -> Result<Appointment, Problem> {
    let current = get(db, now, actor, id)?;
    if !matches!(current.status, Status::Requested | Status::Confirmed) {
        return Err(Conflict::InvalidTransition {
            current: current.status.as_str(),
            why: "only requested or confirmed appointments move".into(),
        }
        .into());
    }
    let by_patient = actor.is_patient_of(&current) && !actor.is_staff();
    if !(by_patient || actor.is_doctor_of(&current) || actor.is_staff()) {
        return Err(Problem::forbidden(
            "only the appointment's patient, its doctor or staff may move it",
        ));
    }
    let doctor = doctors::get(db, &current.doctor_id)?;
    let ends_at = check_slot(&doctor, starts_at, now)?;
    // Moving a visit is cancelling it and booking another: the cancel rules hold. Nobody moves a
    // visit that has started; a patient not within the cut-off before its start either.
    let not_before = if by_patient {
        now.checked_add(policy.cancel_cutoff).unwrap_or(now)
    } else {
        now
    };
    let expires_at = (now.checked_add(policy.request_ttl).unwrap_or(starts_at)).min(starts_at);
    let now_text = instant_text(now);
    let result = db.execute(
        &format!(
            "UPDATE booking_appointments SET starts_at = ?, ends_at = ?, updated_at = ?, changed_by = ?, \
             status = CASE WHEN ? THEN 'requested' ELSE status END, \
             expires_at = CASE WHEN ? OR status = 'requested' THEN ? ELSE expires_at END, \
             reminded_at = NULL, attendance_confirmed_at = NULL \
             WHERE id = ? AND status IN ('requested', 'confirmed') AND starts_at > ? \
             RETURNING {COLUMNS}"
        ),
        params![
            instant_text(starts_at),
            instant_text(ends_at),
            now_text.as_str(),
            actor.id.as_str(),
            by_patient,
            by_patient,
            instant_text(expires_at),
            id,
            instant_text(not_before)
        ],
    );
    match result {
        Ok(rows) => match rows.first() {
            Some(row) => Appointment::from_row(row),
            None => {
                let now_row = get(db, now, actor, id)?;
                if !matches!(now_row.status, Status::Requested | Status::Confirmed) {
                    return Err(Conflict::InvalidTransition {
                        current: now_row.status.as_str(),
                        why: "it cannot move".into(),
                    }
                    .into());
                }
                Err(if by_patient {
                    Conflict::TooLateToCancel {
                        what: "move a visit",
                        minutes: policy.cancel_cutoff.as_mins(),
                    }
                } else {
                    Conflict::AlreadyStarted
                }
                .into())
            }
        },
        Err(e) => Err(Conflict::or_db(e)),
    }
}

/// Active (requested and not lapsed, or confirmed) start instants of each of `doctors` in
/// `[from, to)`, by doctor: one query however many doctors.
pub fn taken(
    db: &dyn Db,
    now: Timestamp,
    doctors: &[&str],
    from: Timestamp,
    to: Timestamp,
) -> Result<HashMap<String, HashSet<String>>, Problem> {
    let ids = serde_json::to_string(doctors).map_err(Problem::internal)?;
    let rows = db.execute(
        "SELECT doctor_id, starts_at FROM booking_appointments \
         WHERE doctor_id IN (SELECT value FROM json_each(?)) AND starts_at >= ? AND starts_at < ? \
         AND (status = 'confirmed' OR (status = 'requested' AND expires_at > ?))",
        params![
            ids.as_str(),
            instant_text(from),
            instant_text(to),
            instant_text(now)
        ],
    )?;
    let mut taken: HashMap<String, HashSet<String>> = HashMap::new();
    for r in rows.iter() {
        taken
            .entry(r.get("doctor_id")?)
            .or_default()
            .insert(r.get("starts_at")?);
    }
    Ok(taken)
}

/// Filters for lists.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub status: Option<Status>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// A patient's appointments, or a doctor's agenda, ordered by start; keyset-paged on
/// (starts_at, id).
/// Whose appointments a list is: a patient's, or a doctor's agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Patient(String),
    Doctor(String),
}

impl Owner {
    /// The indexed column that names this owner (a fixed name, never from input).
    fn column(&self) -> &'static str {
        match self {
            Owner::Patient(_) => "patient_id",
            Owner::Doctor(_) => "doctor_id",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Owner::Patient(id) | Owner::Doctor(id) => id,
        }
    }
}

pub fn list(
    db: &dyn Db,
    now: Timestamp,
    owner: &Owner,
    filter: &ListFilter,
    after: Option<(String, String)>,
    fetch: i64,
) -> Result<Vec<Appointment>, Problem> {
    expire_lapsed(db, now)?;
    let (sql, values) = list_query(owner, filter, after, fetch);
    let rows = db.execute(&sql, &values)?;
    rows.iter().map(Appointment::from_row).collect()
}

/// One page of an owner's appointments by `(starts_at, id)` from the cursor: one walk of the
/// owner's `(…, starts_at, id)` index (public for the plan test).
pub fn list_query(
    owner: &Owner,
    filter: &ListFilter,
    after: Option<(String, String)>,
    fetch: i64,
) -> (String, Vec<service_kit::db::Value>) {
    let column = owner.column();
    let mut sql = format!("SELECT {COLUMNS} FROM booking_appointments WHERE {column} = ?");
    let mut values: Vec<service_kit::db::Value> = vec![owner.id().into()];
    if let Some(s) = filter.status {
        sql.push_str(" AND status = ?");
        values.push(s.as_str().into());
    }
    if let Some(f) = filter.from {
        sql.push_str(" AND starts_at >= ?");
        values.push(instant_text(f).into());
    }
    if let Some(t) = filter.to {
        sql.push_str(" AND starts_at < ?");
        values.push(instant_text(t).into());
    }
    if let Some((starts, id)) = after {
        sql.push_str(" AND (starts_at, id) > (?, ?)");
        values.push(starts.into());
        values.push(id.into());
    }
    sql.push_str(" ORDER BY starts_at, id LIMIT ?");
    values.push(fetch.into());
    (sql, values)
}
