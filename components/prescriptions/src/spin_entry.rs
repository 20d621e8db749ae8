//! prescriptions on Spin: what a request gathers before the rules run (the caller; for a
//! doctor, booking's care relationship and, when issuing, the chart's allergies from records),
//! and the news relayed to mail after the answer.

use crate::allergy::Allergy;
use crate::{Care, Ctx, Prescriptions, MIGRATIONS};
use service_kit::http::Request;
use service_kit::migrate;
use service_kit::principal::Principal;
use service_kit::spin::{ask_as_caller, doctor_name, is_treating, send_to_mail, Kit, SpinVars};
use service_kit::token::Role;
use service_kit::Problem;

impl service_kit::spin::SpinService for Prescriptions {
    async fn context<'a>(
        req: &Request,
        _route: &'static str,
        kit: &'a Kit,
    ) -> Result<Ctx<'a>, Problem> {
        let (principal, _) = kit.authenticate(req).await?;
        let db = kit.db()?;
        let mut care = None;
        let mut allergies = None;
        let mut pharmacy = None;
        if let Principal::User(c) = &principal {
            if c.role == Role::Pharmacist && crate::dispenses(req) {
                pharmacy = pharmacists_pharmacy(req, &c.sub).await;
            }
            if c.role == Role::Doctor {
                if let Some(patient_id) =
                    crate::patient_concerned(db, req)?.filter(|p| service_kit::could_be_id(p))
                {
                    let treating = is_treating(req, &patient_id).await?;
                    if treating && crate::issues(req) {
                        allergies = Some(chart_allergies(req, &patient_id).await);
                    }
                    care = Some(Care {
                        patient_id,
                        treating,
                    });
                }
            }
        }
        Ok(Ctx {
            db,
            audit: kit.recorder(&principal),
            principal,
            now: kit.now,
            care,
            allergies,
            pharmacy,
        })
    }

    /// After a change, tells people what it means for them (and whatever a failed relay left).
    async fn after(req: &Request, _route: &'static str, status: http::StatusCode, kit: &Kit) {
        if req.method() == http::Method::GET || !status.is_success() {
            return;
        }
        if let Err(p) = relay_to_mail(kit).await {
            eprintln!("prescriptions: relaying to mail: {}", p.detail);
        }
    }
}

/// The allergies in `patient`'s chart, asked of records with the doctor's own token (so
/// records authorizes and logs the read as that doctor's); why not, when records can't say.
async fn chart_allergies(req: &Request, patient: &str) -> Result<Vec<Allergy>, String> {
    let base = service_kit::vars::Peers::from_vars(&SpinVars).records_url;
    let path = format!("/api/records/patients/{patient}/entries?kind=allergy&limit=100");
    let response = match ask_as_caller(req, "records", &base, &path).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err("no token to ask records with".into()),
        Err(p) => return Err(p.detail),
    };
    if *response.status() != 200 {
        return Err(format!("records answered {}", response.status()));
    }
    let page: serde_json::Value =
        serde_json::from_slice(response.body()).map_err(|e| format!("records' answer: {e}"))?;
    Ok(page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["status"] == "current")
        .filter_map(|i| serde_json::from_value(i["data"].clone()).ok())
        .collect())
}

/// The pharmacy locator says `pharmacist` works at, as "name, address", asked with their own
/// token; `None` when staff assigned none or locator cannot say (the request's then names it).
async fn pharmacists_pharmacy(req: &Request, pharmacist: &str) -> Option<String> {
    let base = service_kit::vars::Peers::from_vars(&SpinVars).locator_url;
    let path = format!("/api/locator/pharmacists/{pharmacist}");
    let response = ask_as_caller(req, "locator", &base, &path).await.ok()??;
    if *response.status() != 200 {
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(response.body()).ok()?;
    let p = &body["pharmacy"];
    let name = p["name"].as_str()?;
    Some(match p["address_line"].as_str().filter(|a| !a.is_empty()) {
        Some(a) => format!("{name}, {a}"),
        None => name.to_string(),
    })
}

/// The pharmacy `patient` nominated in locator, for their copy: `{name, address_line, phone}`;
/// `None` when they nominated none or locator cannot say (the copy goes without it).
async fn preferred_pharmacy(patient: &str) -> Option<serde_json::Value> {
    let base = service_kit::vars::Peers::from_vars(&SpinVars).locator_url;
    let path = format!("/api/locator/patients/{patient}/preferred-pharmacy");
    let response = service_kit::spin::ask_as_service("locator", &base, &path)
        .await
        .ok()?;
    if *response.status() != 200 {
        return None;
    }
    let p: serde_json::Value = serde_json::from_slice(response.body()).ok()?;
    Some(serde_json::json!({
        "name": p["name"].as_str()?,
        "address_line": p["address_line"],
        "phone": p["phone"],
    }))
}

/// One relay: the news this relay claimed, as mail's templates, the prescription's copy with
/// the first.
async fn relay_to_mail(kit: &Kit) -> Result<(), Problem> {
    let db = kit.db()?;
    migrate::apply(db, "prescriptions", MIGRATIONS)?;
    let claimed = crate::outbox::claim(db, kit.now, 20)?;
    if claimed.is_empty() {
        return Ok(());
    }
    let mut names: Vec<(String, String)> = Vec::new();
    let mut messages = Vec::new();
    for news in &claimed {
        let doctor = news.doctor_id.clone().unwrap_or_default();
        let name = match names.iter().find(|(d, _)| d == &doctor) {
            Some((_, n)) => n.clone(),
            None => {
                let n = doctor_name(&doctor)
                    .await
                    .unwrap_or_else(|| "Your doctor".to_string());
                names.push((doctor.clone(), n.clone()));
                n
            }
        };
        let data = if news.template == "prescription_issued" {
            match crate::prescription::get(db, &news.prescription_id, kit.now)? {
                Some(p) => {
                    let mut copy = crate::outbox::copy(&p, &name);
                    if let Some(pharmacy) = preferred_pharmacy(&p.patient_id).await {
                        copy["pharmacy"] = pharmacy;
                    }
                    copy
                }
                None => continue,
            }
        } else {
            serde_json::json!({ "id": news.prescription_id, "doctor_name": name })
        };
        messages.push(service_kit::mail::Message::to_user(
            &news.template,
            &news.to_user,
            data,
            news.key.clone(),
        ));
    }
    send_to_mail(&messages).await?;
    let keys: Vec<String> = claimed.into_iter().map(|n| n.key).collect();
    crate::outbox::sent(db, &keys)
}
