//! Handing medication over, under the invariant: what is dispensed of a line never exceeds
//! what was prescribed (fills and units), and nothing is dispensed of a prescription that is
//! not active and valid — however many pharmacists dispense the same code at once.
//!
//! A dispense is one `INSERT … SELECT` over the request's lines. The migration's triggers
//! refuse a prescription that may not be dispensed and a quantity beyond what is left, and move
//! the line's counters, whose CHECKs hold the limit; SQLite runs a write statement under its
//! one write lock, so concurrent dispenses are serialised and the loser sees the winner's
//! counters. All of a dispense's lines are handed over, or none.

use serde::{Deserialize, Serialize};
use service_kit::db::{Db, DbError};
use service_kit::text::TextRule;
use service_kit::{params, Problem};

/// One line of a dispense request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub line: i64,
    pub quantity: i64,
}

/// A dispense request: which lines, how much of each, and where. `pharmacy` is the
/// pharmacist's own pharmacy as locator has it when staff assigned one (the request's is then
/// ignored), else the request's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub items: Vec<Item>,
    #[serde(default)]
    pub pharmacy: Option<String>,
}

/// A request's lines, checked, and the pharmacy the dispense is recorded at.
#[derive(Debug, Clone)]
pub struct Checked {
    pub items: Vec<Item>,
    pub pharmacy: String,
}

pub const PHARMACY: TextRule = TextRule::line(2, 200);

/// A request, checked against the prescription's lines (their number, duplicates, bounds);
/// whether there is enough left is the database's to say. `assigned`: the pharmacist's
/// pharmacy in locator, which names the dispense when there is one.
pub fn checked(req: Request, lines: i64, assigned: Option<&str>) -> Result<Checked, Problem> {
    if req.items.is_empty() {
        return Err(Problem::invalid(
            "items",
            "name at least one line to dispense",
        ));
    }
    let mut seen = Vec::new();
    for (i, item) in req.items.iter().enumerate() {
        if !(1..=lines).contains(&item.line) {
            return Err(Problem::invalid(
                format!("items[{i}].line"),
                format!("this prescription has lines 1 to {lines}"),
            ));
        }
        if seen.contains(&item.line) {
            return Err(Problem::invalid(
                format!("items[{i}].line"),
                "each line once per dispense",
            ));
        }
        seen.push(item.line);
        if !(1..=crate::medication::MAX_QUANTITY as i64).contains(&item.quantity) {
            return Err(Problem::invalid(
                format!("items[{i}].quantity"),
                "must be a positive number of units",
            ));
        }
    }
    let pharmacy = match (assigned, req.pharmacy.as_deref()) {
        (Some(a), _) => PHARMACY
            .clean(a)
            .map_err(|m| Problem::internal(format!("locator's pharmacy name: {m}")))?,
        (None, Some(p)) => PHARMACY
            .clean(p)
            .map_err(|m| Problem::invalid("pharmacy", m))?,
        (None, None) => {
            return Err(Problem::invalid(
                "pharmacy",
                "is required: staff have not assigned you to a pharmacy",
            ))
        }
    };
    Ok(Checked {
        pharmacy,
        items: req.items,
    })
}

/// Why a dispense was refused, from the statement's error.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Cancelled, on hold, expired, not yet valid.
    NotDispensable,
    /// More than what is left of a line.
    TooMuch,
}

/// Dispenses `req` of `prescription` now, as one statement; the dispense's id, or why not.
pub fn dispense(
    db: &dyn Db,
    prescription: &str,
    pharmacist: &str,
    req: &Checked,
    now: jiff::Timestamp,
) -> Result<Result<String, Refusal>, Problem> {
    let id = service_kit::new_id(now);
    let items = serde_json::to_string(
        &req.items
            .iter()
            .map(|i| serde_json::json!({"line": i.line, "quantity": i.quantity}))
            .collect::<Vec<_>>(),
    )
    .map_err(Problem::internal)?;
    // A line with a fill handed over in part continues that fill; otherwise this opens the next.
    let result = db.execute(
        "INSERT INTO rx_dispenses (dispense_id, prescription_id, line, quantity, fill,
           pharmacist_id, pharmacy, dispensed_at)
         SELECT ?1, ?2, l.line, json_extract(i.value, '$.quantity'),
                CASE WHEN l.dispensed < l.quantity * l.fills_used THEN l.fills_used
                     ELSE l.fills_used + 1 END,
                ?3, ?4, ?5
         FROM json_each(?6) i
         JOIN rx_lines l ON l.prescription_id = ?2 AND l.line = json_extract(i.value, '$.line')",
        params![
            id.as_str(),
            prescription,
            pharmacist,
            req.pharmacy.as_str(),
            now.to_string(),
            items
        ],
    );
    match result {
        Ok(_) => Ok(Ok(id)),
        Err(e) => match refusal(&e) {
            Some(r) => Ok(Err(r)),
            None => Err(e.into()),
        },
    }
}

fn refusal(e: &DbError) -> Option<Refusal> {
    let text = e.to_string();
    if text.contains("rx: not dispensable") {
        Some(Refusal::NotDispensable)
    } else if text.contains("rx: more than is left") || text.contains("CHECK constraint failed") {
        Some(Refusal::TooMuch)
    } else {
        None
    }
}

/// One line handed over.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dispensed {
    pub dispense_id: String,
    pub line: i64,
    pub quantity: i64,
    pub fill: i64,
    pub pharmacist_id: String,
    pub pharmacy: String,
    pub dispensed_at: String,
}

/// What was handed over of a prescription, newest first.
pub fn list(db: &dyn Db, prescription: &str) -> Result<Vec<Dispensed>, Problem> {
    let rows = db.execute(
        "SELECT dispense_id, line, quantity, fill, pharmacist_id, pharmacy, dispensed_at
         FROM rx_dispenses WHERE prescription_id = ?1
         ORDER BY dispensed_at DESC, dispense_id, line LIMIT 500",
        params![prescription],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Dispensed {
                dispense_id: r.get("dispense_id")?,
                line: r.get("line")?,
                quantity: r.get("quantity")?,
                fill: r.get("fill")?,
                pharmacist_id: r.get("pharmacist_id")?,
                pharmacy: r.get("pharmacy")?,
                dispensed_at: r.get("dispensed_at")?,
            })
        })
        .collect()
}
