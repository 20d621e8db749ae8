//! The allergy check: does a medication match an allergy in the patient's chart (records)?
//!
//! A match is by name (the substance is the medication, or a word of it) or by class: an
//! allergy to "penicillin" matches amoxicillin, and one to amoxicillin matches ampicillin (the
//! same class, the usual cross-reaction). This is a safety net for the doctor, who decides: a
//! match asks for an explicit override with a reason, never silently passes or blocks.

use crate::medication::Medication;
use serde::{Deserialize, Serialize};

/// An allergy as the chart records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allergy {
    pub substance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    #[serde(default)]
    pub severity: String,
}

/// One medication that matches one recorded allergy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The medication's line, from 1.
    pub line: usize,
    pub medication: String,
    pub substance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    pub severity: String,
    /// Why they match: "same substance", or the class they share.
    pub because: String,
}

/// Classes whose members cross-react, each with the words that name the class itself and how
/// its members are recognised (whole names, and a stem they share).
struct Class {
    name: &'static str,
    names: &'static [&'static str],
    members: &'static [&'static str],
    stems: &'static [Stem],
}

enum Stem {
    Prefix(&'static str),
    Suffix(&'static str),
}

const CLASSES: &[Class] = &[
    Class {
        name: "penicillins",
        names: &["penicillin", "penicillins", "beta-lactam", "betalactam"],
        members: &[
            "amoxicillin",
            "ampicillin",
            "co-amoxiclav",
            "augmentin",
            "piperacillin",
            "flucloxacillin",
            "dicloxacillin",
            "cloxacillin",
            "oxacillin",
            "nafcillin",
            "benzylpenicillin",
            "phenoxymethylpenicillin",
            "ticarcillin",
            "temocillin",
            "pivmecillinam",
            "mecillinam",
        ],
        stems: &[Stem::Suffix("cillin")],
    },
    Class {
        name: "cephalosporins",
        names: &["cephalosporin", "cephalosporins"],
        members: &[
            "cefalexin",
            "cephalexin",
            "cefuroxime",
            "ceftriaxone",
            "cefazolin",
            "cefixime",
            "cefaclor",
            "cefadroxil",
            "cefotaxime",
            "ceftazidime",
            "cefepime",
            "cefpodoxime",
            "ceftaroline",
            "cefiderocol",
        ],
        stems: &[Stem::Prefix("cef"), Stem::Prefix("ceph")],
    },
    Class {
        name: "sulfonamides",
        names: &[
            "sulfa",
            "sulpha",
            "sulfonamide",
            "sulfonamides",
            "sulphonamide",
            "sulphonamides",
        ],
        members: &[
            "sulfamethoxazole",
            "co-trimoxazole",
            "cotrimoxazole",
            "bactrim",
            "sulfasalazine",
            "sulfadiazine",
        ],
        stems: &[Stem::Prefix("sulfa"), Stem::Prefix("sulpha")],
    },
    Class {
        name: "NSAIDs",
        names: &["nsaid", "nsaids"],
        members: &[
            "ibuprofen",
            "naproxen",
            "diclofenac",
            "aspirin",
            "acetylsalicylic",
            "ketoprofen",
            "indometacin",
            "indomethacin",
            "celecoxib",
            "etoricoxib",
            "meloxicam",
            "piroxicam",
            "ketorolac",
            "mefenamic",
            "etodolac",
            "nabumetone",
        ],
        stems: &[],
    },
    Class {
        name: "opioids",
        names: &["opioid", "opioids", "opiate", "opiates"],
        members: &[
            "morphine",
            "codeine",
            "dihydrocodeine",
            "oxycodone",
            "hydromorphone",
            "hydrocodone",
            "tramadol",
            "tapentadol",
            "fentanyl",
            "buprenorphine",
            "methadone",
            "pethidine",
            "meperidine",
        ],
        stems: &[],
    },
    Class {
        name: "macrolides",
        names: &["macrolide", "macrolides"],
        members: &["erythromycin", "clarithromycin", "azithromycin"],
        stems: &[Stem::Suffix("thromycin")],
    },
    Class {
        name: "tetracyclines",
        names: &["tetracyclines"],
        members: &[
            "tetracycline",
            "doxycycline",
            "minocycline",
            "lymecycline",
            "oxytetracycline",
        ],
        stems: &[Stem::Suffix("cycline")],
    },
    Class {
        name: "fluoroquinolones",
        names: &[
            "fluoroquinolone",
            "fluoroquinolones",
            "quinolone",
            "quinolones",
        ],
        members: &[
            "ciprofloxacin",
            "levofloxacin",
            "moxifloxacin",
            "ofloxacin",
            "norfloxacin",
        ],
        stems: &[Stem::Suffix("floxacin")],
    },
    Class {
        name: "ACE inhibitors",
        names: &["ace-inhibitor", "ace-inhibitors"],
        members: &[
            "ramipril",
            "lisinopril",
            "enalapril",
            "perindopril",
            "captopril",
        ],
        stems: &[Stem::Suffix("pril")],
    },
];

/// The lower-case words of a name ("Co-Amoxiclav 625mg" → ["co-amoxiclav", "625mg"]), with
/// "ACE inhibitor" joined so the class reads as one word.
fn words(s: &str) -> Vec<String> {
    let lower = s.to_lowercase().replace("ace inhibitor", "ace-inhibitor");
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| w.len() >= 3)
        .map(|w| w.trim_matches('-').to_string())
        .collect()
}

fn is_member(class: &Class, word: &str) -> bool {
    class.members.contains(&word)
        || class.stems.iter().any(|s| match s {
            Stem::Prefix(p) => word.starts_with(p) && word.len() > p.len() + 2,
            Stem::Suffix(x) => word.ends_with(x) && word.len() > x.len() + 2,
        })
}

/// Why `medication` matches an allergy to `substance`, if it does.
fn matches(medication: &str, substance: &str) -> Option<String> {
    let meds = words(medication);
    let subs = words(substance);
    if subs.iter().any(|s| meds.contains(s)) {
        return Some("same substance".into());
    }
    for class in CLASSES {
        let med_in = meds
            .iter()
            .any(|m| is_member(class, m) || class.names.contains(&m.as_str()));
        if !med_in {
            continue;
        }
        let sub_in = subs
            .iter()
            .any(|s| class.names.contains(&s.as_str()) || is_member(class, s));
        if sub_in {
            return Some(format!("both are {}", class.name));
        }
    }
    None
}

/// Every (medication, allergy) pair that matches.
pub fn conflicts(medications: &[Medication], allergies: &[Allergy]) -> Vec<Conflict> {
    let mut found = Vec::new();
    for (i, m) in medications.iter().enumerate() {
        for a in allergies {
            if let Some(because) = matches(&m.name, &a.substance) {
                found.push(Conflict {
                    line: i + 1,
                    medication: m.name.clone(),
                    substance: a.substance.clone(),
                    reaction: a.reaction.clone(),
                    severity: a.severity.clone(),
                    because,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_medication_matches_its_own_substance_and_its_class() {
        for (medication, substance, hit) in [
            ("Amoxicillin", "Penicillin", true),
            ("Amoxicillin", "amoxicillin", true),
            ("Co-Amoxiclav", "Penicillins", true),
            ("Ampicillin", "Amoxicillin", true),
            ("Flucloxacillin", "beta-lactam antibiotics", true),
            ("Cefalexin", "Cephalosporins", true),
            ("Co-trimoxazole", "Sulfa drugs", true),
            ("Ibuprofen", "NSAIDs", true),
            ("Naproxen", "Aspirin", true),
            ("Codeine phosphate", "Morphine", true),
            ("Ramipril", "ACE inhibitors", true),
            ("Doxycycline", "Tetracycline", true),
            ("Paracetamol", "Penicillin", false),
            ("Metformin", "Peanuts", false),
            ("Azithromycin", "Penicillin", false),
            ("Atorvastatin", "Latex", false),
        ] {
            let got = matches(medication, substance);
            assert_eq!(got.is_some(), hit, "{medication} vs {substance}: {got:?}");
        }
    }
}
