-- prescriptions: what a doctor prescribes, what a pharmacist hands over, and the refills between.
-- The rules that matter most are here, where no code path can get around them: an issued
-- prescription's content never changes, every version is kept, and what is dispensed never
-- exceeds what was prescribed (a CHECK on the per-line counters, moved by the dispense itself).

-- One row per prescription, holding its current state. `medications` is the validated list
-- (prescriptions::medication) as JSON; its lines are numbered from 1 in that order.
-- `status` is what was decided: draft, active, on-hold, cancelled. "completed" (every fill
-- dispensed) and "expired" (past valid_until) follow from the lines and the clock.
CREATE TABLE rx_prescriptions (
    id              TEXT PRIMARY KEY,
    patient_id      TEXT NOT NULL,
    doctor_id       TEXT NOT NULL,
    -- What the patient shows the pharmacist: 12 Crockford base32 characters (60 random bits).
    code            TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'active', 'on-hold', 'cancelled')),
    medications     TEXT NOT NULL CHECK (json_valid(medications) AND json_array_length(medications) >= 1),
    note            TEXT,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL CHECK (valid_until > valid_from),
    -- The doctor's reason for prescribing despite a recorded allergy (and what it matched).
    allergy_override TEXT CHECK (allergy_override IS NULL OR json_valid(allergy_override)),
    -- The cancelled prescription this one replaces, if any.
    replaces        TEXT,
    -- Why it was put on hold or cancelled (the latest such decision).
    status_reason   TEXT,
    version         INTEGER NOT NULL CHECK (version >= 1),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    issued_at       TEXT,
    CHECK ((status = 'draft') = (issued_at IS NULL)),
    CHECK (status <> 'cancelled' OR status_reason IS NOT NULL)
);

-- A patient's prescriptions, newest first: one index walk per page.
CREATE INDEX rx_prescriptions_by_patient ON rx_prescriptions (patient_id, created_at DESC, id DESC);

-- Every version ever written, the current one included.
CREATE TABLE rx_versions (
    prescription_id TEXT NOT NULL,
    version         INTEGER NOT NULL,
    status          TEXT NOT NULL,
    snapshot        TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (prescription_id, version)
) WITHOUT ROWID;

CREATE TRIGGER rx_versions_no_change BEFORE UPDATE ON rx_versions
BEGIN
    SELECT RAISE(ABORT, 'a prescription''s history is append-only');
END;
CREATE TRIGGER rx_versions_no_delete BEFORE DELETE ON rx_versions
BEGIN
    SELECT RAISE(ABORT, 'a prescription''s history is append-only');
END;

CREATE TRIGGER rx_prescriptions_first_version AFTER INSERT ON rx_prescriptions
BEGIN
    INSERT INTO rx_versions (prescription_id, version, status, snapshot, at)
    VALUES (NEW.id, NEW.version, NEW.status, json_object(
        'medications', json(NEW.medications), 'note', NEW.note, 'valid_from', NEW.valid_from,
        'valid_until', NEW.valid_until, 'allergy_override', json(NEW.allergy_override),
        'replaces', NEW.replaces, 'status_reason', NEW.status_reason), NEW.updated_at);
END;

-- A change is the next version. Once issued, only the status moves (active <-> on-hold, then
-- cancelled, which is final); the content is fixed: a different prescription is a new one.
CREATE TRIGGER rx_prescriptions_rules BEFORE UPDATE ON rx_prescriptions
BEGIN
    SELECT RAISE(ABORT, 'rx: a change is the next version')
        WHERE NEW.version <> OLD.version + 1;
    SELECT RAISE(ABORT, 'rx: a prescription keeps its patient, doctor, code and creation')
        WHERE NEW.patient_id <> OLD.patient_id OR NEW.doctor_id <> OLD.doctor_id
           OR NEW.code <> OLD.code OR NEW.created_at <> OLD.created_at OR NEW.id <> OLD.id;
    SELECT RAISE(ABORT, 'rx: a cancelled prescription is final')
        WHERE OLD.status = 'cancelled';
    SELECT RAISE(ABORT, 'rx: an issued prescription is changed only by cancelling it and issuing a new one')
        WHERE OLD.status <> 'draft' AND (NEW.medications <> OLD.medications
           OR NEW.note IS NOT OLD.note OR NEW.valid_from <> OLD.valid_from
           OR NEW.valid_until <> OLD.valid_until OR NEW.status = 'draft'
           OR NEW.allergy_override IS NOT OLD.allergy_override
           OR NEW.replaces IS NOT OLD.replaces OR NEW.issued_at IS NOT OLD.issued_at);
END;

CREATE TRIGGER rx_prescriptions_next_version AFTER UPDATE ON rx_prescriptions
BEGIN
    INSERT INTO rx_versions (prescription_id, version, status, snapshot, at)
    VALUES (NEW.id, NEW.version, NEW.status, json_object(
        'medications', json(NEW.medications), 'note', NEW.note, 'valid_from', NEW.valid_from,
        'valid_until', NEW.valid_until, 'allergy_override', json(NEW.allergy_override),
        'replaces', NEW.replaces, 'status_reason', NEW.status_reason), NEW.updated_at);
END;

-- Only a draft is ever deleted; its versions stay.
CREATE TRIGGER rx_prescriptions_no_delete BEFORE DELETE ON rx_prescriptions
    WHEN OLD.status <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'rx: an issued prescription is never deleted: cancel it');
END;

-- What each line allows and what has been handed over of it: the dispense invariant lives in
-- these CHECKs. A fill is at most `quantity` units; `fills_allowed` is the first fill plus the
-- refills written, plus those approved since. Made when the prescription is issued.
CREATE TABLE rx_lines (
    prescription_id TEXT NOT NULL REFERENCES rx_prescriptions (id),
    line            INTEGER NOT NULL CHECK (line >= 1),
    quantity        INTEGER NOT NULL CHECK (quantity >= 1),
    fills_allowed   INTEGER NOT NULL CHECK (fills_allowed >= 1),
    fills_used      INTEGER NOT NULL DEFAULT 0 CHECK (fills_used >= 0),
    dispensed       INTEGER NOT NULL DEFAULT 0 CHECK (dispensed >= 0),
    CHECK (fills_used <= fills_allowed),
    CHECK (dispensed <= quantity * fills_used),
    PRIMARY KEY (prescription_id, line)
) WITHOUT ROWID;

CREATE TRIGGER rx_lines_issued AFTER UPDATE OF status ON rx_prescriptions
    WHEN OLD.status = 'draft' AND NEW.status = 'active'
BEGIN
    INSERT INTO rx_lines (prescription_id, line, quantity, fills_allowed)
    SELECT NEW.id, key + 1, json_extract(value, '$.quantity'), 1 + json_extract(value, '$.refills')
    FROM json_each(NEW.medications);
END;
CREATE TRIGGER rx_lines_issued_at_once AFTER INSERT ON rx_prescriptions
    WHEN NEW.status = 'active'
BEGIN
    INSERT INTO rx_lines (prescription_id, line, quantity, fills_allowed)
    SELECT NEW.id, key + 1, json_extract(value, '$.quantity'), 1 + json_extract(value, '$.refills')
    FROM json_each(NEW.medications);
END;

-- What was handed over: one row per line of one dispense (`dispense_id` groups a visit to the
-- counter). Written by one INSERT … SELECT over the request's lines; the triggers below refuse a
-- prescription that may not be dispensed and move the line's counters, whose CHECKs refuse
-- anything beyond what was prescribed — the whole statement, every line of it, or nothing.
CREATE TABLE rx_dispenses (
    dispense_id     TEXT NOT NULL,
    prescription_id TEXT NOT NULL,
    line            INTEGER NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity >= 1),
    -- Which fill this belongs to (a partial fill is completed under the same number).
    fill            INTEGER NOT NULL CHECK (fill >= 1),
    pharmacist_id   TEXT NOT NULL,
    pharmacy        TEXT NOT NULL,
    dispensed_at    TEXT NOT NULL,
    PRIMARY KEY (dispense_id, line),
    FOREIGN KEY (prescription_id, line) REFERENCES rx_lines (prescription_id, line)
) WITHOUT ROWID;

CREATE INDEX rx_dispenses_by_prescription ON rx_dispenses (prescription_id, dispensed_at DESC, dispense_id, line);

CREATE TRIGGER rx_dispenses_only_dispensable BEFORE INSERT ON rx_dispenses
BEGIN
    SELECT RAISE(ABORT, 'rx: not dispensable')
        WHERE NOT EXISTS (SELECT 1 FROM rx_prescriptions p WHERE p.id = NEW.prescription_id
            AND p.status = 'active' AND p.valid_from <= NEW.dispensed_at
            AND NEW.dispensed_at < p.valid_until);
    -- Within an open (partial) fill, at most what is left of it; a new fill, at most a fill.
    SELECT RAISE(ABORT, 'rx: more than is left')
        WHERE NOT EXISTS (SELECT 1 FROM rx_lines l WHERE l.prescription_id = NEW.prescription_id
            AND l.line = NEW.line
            AND CASE WHEN l.dispensed < l.quantity * l.fills_used
                     THEN NEW.fill = l.fills_used AND NEW.quantity <= l.quantity * l.fills_used - l.dispensed
                     ELSE NEW.fill = l.fills_used + 1 AND NEW.fill <= l.fills_allowed AND NEW.quantity <= l.quantity
                END);
END;

CREATE TRIGGER rx_dispenses_count AFTER INSERT ON rx_dispenses
BEGIN
    UPDATE rx_lines SET fills_used = max(fills_used, NEW.fill), dispensed = dispensed + NEW.quantity
    WHERE prescription_id = NEW.prescription_id AND line = NEW.line;
END;

CREATE TRIGGER rx_dispenses_no_change BEFORE UPDATE ON rx_dispenses
BEGIN
    SELECT RAISE(ABORT, 'a dispense is a record of what happened');
END;
CREATE TRIGGER rx_dispenses_no_delete BEFORE DELETE ON rx_dispenses
BEGIN
    SELECT RAISE(ABORT, 'a dispense is a record of what happened');
END;

-- A patient's request for more fills; at most one open per prescription. Approving adds
-- `fills` to every line of the prescription (a new authorisation) in the same statement.
CREATE TABLE rx_refill_requests (
    id              TEXT PRIMARY KEY,
    prescription_id TEXT NOT NULL REFERENCES rx_prescriptions (id),
    patient_id      TEXT NOT NULL,
    doctor_id       TEXT NOT NULL,
    note            TEXT,
    status          TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'declined')),
    fills           INTEGER CHECK (fills IS NULL OR fills BETWEEN 1 AND 12),
    reason          TEXT,
    decided_by      TEXT,
    requested_at    TEXT NOT NULL,
    decided_at      TEXT,
    CHECK ((status = 'requested') = (decided_at IS NULL)),
    CHECK ((status = 'approved') = (fills IS NOT NULL)),
    CHECK (status <> 'declined' OR reason IS NOT NULL)
);

CREATE UNIQUE INDEX rx_refill_requests_one_open ON rx_refill_requests (prescription_id)
    WHERE status = 'requested';
CREATE INDEX rx_refill_requests_by_doctor ON rx_refill_requests (doctor_id, status, requested_at, id);
CREATE INDEX rx_refill_requests_by_patient ON rx_refill_requests (patient_id, status, requested_at DESC, id DESC);

CREATE TRIGGER rx_refill_requests_decided_once BEFORE UPDATE ON rx_refill_requests
    WHEN OLD.status <> 'requested'
BEGIN
    SELECT RAISE(ABORT, 'rx: a refill request is decided once');
END;

CREATE TRIGGER rx_refill_requests_approved AFTER UPDATE OF status ON rx_refill_requests
    WHEN NEW.status = 'approved'
BEGIN
    UPDATE rx_lines SET fills_allowed = fills_allowed + NEW.fills
    WHERE prescription_id = NEW.prescription_id;
END;

-- What the patient (or the doctor) is to be told, written in the statement that makes the news
-- and relayed to mail after the answer (DESIGN §6). One row per piece of news. A relay claims
-- rows for a while (`claimed_until`) so that concurrent relays send disjoint sets; a row leaves
-- once mail accepted it, and a relay that died leaves its rows to the next one when the claim
-- lapses.
CREATE TABLE rx_outbox (
    key          TEXT PRIMARY KEY,
    template     TEXT NOT NULL,
    to_user      TEXT NOT NULL,
    prescription_id TEXT NOT NULL,
    queued_at    TEXT NOT NULL,
    claimed_until TEXT
) WITHOUT ROWID;

CREATE TRIGGER rx_outbox_issued AFTER UPDATE OF status ON rx_prescriptions
    WHEN OLD.status = 'draft' AND NEW.status = 'active'
BEGIN
    INSERT OR IGNORE INTO rx_outbox (key, template, to_user, prescription_id, queued_at)
    VALUES ('rx-issued-' || NEW.id, 'prescription_issued', NEW.patient_id, NEW.id, NEW.updated_at);
END;
CREATE TRIGGER rx_outbox_issued_at_once AFTER INSERT ON rx_prescriptions
    WHEN NEW.status = 'active'
BEGIN
    INSERT OR IGNORE INTO rx_outbox (key, template, to_user, prescription_id, queued_at)
    VALUES ('rx-issued-' || NEW.id, 'prescription_issued', NEW.patient_id, NEW.id, NEW.updated_at);
END;
CREATE TRIGGER rx_outbox_dispensed AFTER INSERT ON rx_dispenses
BEGIN
    INSERT OR IGNORE INTO rx_outbox (key, template, to_user, prescription_id, queued_at)
    SELECT 'rx-dispensed-' || NEW.dispense_id, 'prescription_dispensed', p.patient_id, p.id,
           NEW.dispensed_at
    FROM rx_prescriptions p WHERE p.id = NEW.prescription_id;
END;
CREATE TRIGGER rx_outbox_refill_requested AFTER INSERT ON rx_refill_requests
BEGIN
    INSERT OR IGNORE INTO rx_outbox (key, template, to_user, prescription_id, queued_at)
    VALUES ('rx-refill-' || NEW.id, 'refill_requested', NEW.doctor_id, NEW.prescription_id,
            NEW.requested_at);
END;
CREATE TRIGGER rx_outbox_refill_decided AFTER UPDATE OF status ON rx_refill_requests
    WHEN NEW.status IN ('approved', 'declined')
BEGIN
    INSERT OR IGNORE INTO rx_outbox (key, template, to_user, prescription_id, queued_at)
    VALUES ('rx-refill-' || NEW.id || '-' || NEW.status, 'refill_' || NEW.status, NEW.patient_id,
            NEW.prescription_id, NEW.decided_at);
END;
