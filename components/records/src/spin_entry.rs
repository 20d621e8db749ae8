//! records on Spin: what a request gathers before the rules run (the caller, booking's view of
//! the appointment and of the care relationship), a download's chunks streamed after its head,
//! and the signed reports' mail relayed after the answer.

use crate::{Care, Ctx, Records, EXPORT, FILE, MIGRATIONS, UPLOAD};
use service_kit::http::Request;
use service_kit::migrate;
use service_kit::principal::Principal;
use service_kit::spin::{BodyReader, BodyWriter, Kit};
use service_kit::token::Role;
use service_kit::Problem;

impl service_kit::spin::SpinService for Records {
    /// An upload's body may be a whole file; a path that looks like the upload route is given
    /// the room (the route is checked after).
    fn body_limit(path: &str) -> usize {
        if path.starts_with("/api/records/patients/")
            && path.trim_end_matches('/').ends_with("/files")
        {
            crate::files::MAX_SIZE
        } else {
            Self::BODY_LIMIT
        }
    }

    async fn context<'a>(
        req: &Request,
        route: &'static str,
        kit: &'a Kit,
    ) -> Result<Ctx<'a>, Problem> {
        let (principal, _) = kit.authenticate(req).await?;
        let db = kit.db()?;
        let appointment = match crate::appointment_named(req, route) {
            Some(id) if matches!(&principal, Principal::User(_)) => appointment(req, &id).await?,
            _ => None,
        };
        // Booking is asked only for a doctor, about the patient the request concerns.
        let care = match &principal {
            Principal::User(c) if c.role == Role::Doctor => {
                match crate::patient_concerned(db, req, appointment.as_ref())? {
                    Some(patient_id) if service_kit::could_be_id(&patient_id) => Some(Care {
                        treating: service_kit::spin::is_treating(req, &patient_id).await?,
                        patient_id,
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        let medications = match &principal {
            Principal::User(_) if route == EXPORT => medications(req).await,
            _ => None,
        };
        Ok(Ctx {
            medications,
            db,
            reason: crate::stated_reason(req, &principal)?,
            audit: kit.recorder(&principal),
            principal,
            now: kit.now,
            care,
            appointment,
        })
    }

    fn receives(route: &'static str, method: &http::Method) -> bool {
        route == UPLOAD && method == http::Method::POST
    }

    /// An upload, written a chunk at a time as its body arrives: the component holds one
    /// chunk of it, never the file.
    async fn receive<'a>(
        req: &Request,
        _route: &'static str,
        ctx: &<Self as service_kit::router::Service>::Ctx<'a>,
        body: &mut BodyReader,
    ) -> service_kit::http::Response {
        use service_kit::router::Service as _;
        let patient = req
            .uri()
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .nth(3)
            .unwrap_or("");
        let result = async {
            Records::prepare(ctx)?;
            let (mut writer, pass) = crate::handlers::begin_upload(req, ctx, patient)?;
            while let Some(piece) = body.next().await {
                match piece {
                    Ok(bytes) => writer.push(ctx.db, &bytes)?,
                    Err(p) => {
                        writer.abandon(ctx.db);
                        return Err(p);
                    }
                }
            }
            crate::handlers::end_upload(ctx, writer, pass)
        }
        .await;
        service_kit::http::finish(result)
    }

    fn streams(route: &'static str) -> bool {
        route == FILE
    }

    /// The download's chunks after the first (sent with the head), one statement each: the
    /// file is never whole in memory.
    async fn stream(req: &Request, _route: &'static str, kit: &Kit, body: &mut BodyWriter) {
        if req.method() != http::Method::GET {
            return;
        }
        let id = req.uri().path().rsplit('/').next().unwrap_or("");
        let Ok(db) = kit.db() else { return };
        let Ok(Some(meta)) = crate::files::get(db, id) else {
            return;
        };
        for seq in 1..meta.chunks {
            match crate::files::chunk(db, id, seq) {
                Ok(bytes) => {
                    if !body.write(&bytes).await {
                        return;
                    }
                }
                Err(p) => {
                    eprintln!("records: streaming file {id}: {}", p.detail);
                    return;
                }
            }
        }
    }

    /// After a change, tells patients of their newly signed reports (and of any a failed relay
    /// left).
    async fn after(req: &Request, route: &'static str, status: http::StatusCode, kit: &Kit) {
        let changed = req.method() != http::Method::GET && status.is_success();
        if !changed || route == UPLOAD {
            return;
        }
        if let Err(p) = relay_to_mail(kit).await {
            eprintln!("records: relaying to mail: {}", p.detail);
        }
    }
}

/// The appointment as booking shows it to the caller (their own token goes along, so records
/// learns only what the caller may know); `None` when booking shows them no such appointment.
async fn appointment(
    req: &Request,
    id: &str,
) -> Result<Option<crate::reports::Appointment>, Problem> {
    let path = format!("/api/booking/appointments/{id}");
    let Some(response) = service_kit::spin::ask_booking(req, &path).await? else {
        return Ok(None);
    };
    match *response.status() {
        200 => serde_json::from_slice(response.body())
            .map(Some)
            .map_err(|e| Problem::unavailable(format!("booking's appointment: {e}"), 5)),
        401 | 403 | 404 | 422 => Ok(None),
        other => Err(Problem::unavailable(
            format!("booking answered {other} for the appointment"),
            5,
        )),
    }
}

/// The patient's prescriptions and dispenses as FHIR resources, asked of prescriptions with
/// the caller's own token (so prescriptions authorizes and logs it as theirs); `None` when it
/// would not say (staff's break-the-glass reaches the chart only) or could not be reached.
async fn medications(req: &Request) -> Option<Vec<serde_json::Value>> {
    let patient = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(3)?;
    let base = service_kit::vars::Peers::from_vars(&service_kit::spin::SpinVars).prescriptions_url;
    let path = format!("/api/prescriptions/patients/{patient}/export");
    let response = service_kit::spin::ask_as_caller(req, "prescriptions", &base, &path)
        .await
        .ok()??;
    if *response.status() != 200 {
        return None;
    }
    let bundle: serde_json::Value = serde_json::from_slice(response.body()).ok()?;
    Some(
        bundle["entry"]
            .as_array()?
            .iter()
            .map(|e| e["resource"].clone())
            .collect(),
    )
}

/// One relay: the signed reports not yet told, as mail's `report_available`; they leave the
/// outbox once mail accepted them.
async fn relay_to_mail(kit: &Kit) -> Result<(), Problem> {
    let db = kit.db()?;
    migrate::apply(db, "records", MIGRATIONS)?;
    let pending = crate::reports::pending_mail(db, 20)?;
    if pending.is_empty() {
        return Ok(());
    }
    let mut messages = Vec::new();
    for (report, patient, doctor) in &pending {
        let name = service_kit::spin::doctor_name(doctor)
            .await
            .unwrap_or_else(|| "Your doctor".to_string());
        messages.push(service_kit::mail::Message::to_user(
            "report_available",
            patient,
            serde_json::json!({ "id": report, "doctor_name": name }),
            format!("records-report-{report}"),
        ));
    }
    service_kit::spin::send_to_mail(&messages).await?;
    let ids: Vec<String> = pending.into_iter().map(|(r, _, _)| r).collect();
    crate::reports::sent(db, &ids)
}
