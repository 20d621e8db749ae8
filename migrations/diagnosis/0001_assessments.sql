-- diagnosis: every risk assessment — whose, who asked, what went in (as understood, after unit
-- conversion), what came out, and which model and version produced it.

CREATE TABLE diagnosis_assessments (
    id             TEXT PRIMARY KEY,        -- UUIDv7: sorts by creation, used as the page cursor
    subject_id     TEXT NOT NULL,           -- the patient (auth user id)
    requested_by   TEXT NOT NULL,           -- who asked: the patient, or their doctor
    requester_role TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('heart', 'stroke', 'diabetes', 'explicit')),
    model_id       TEXT NOT NULL,
    model_version  TEXT NOT NULL,
    inputs         TEXT NOT NULL,           -- JSON
    outputs        TEXT NOT NULL,           -- JSON
    created_at     TEXT NOT NULL
);
CREATE INDEX diagnosis_assessments_by_subject ON diagnosis_assessments (subject_id, id);
CREATE INDEX diagnosis_assessments_by_requester ON diagnosis_assessments (requested_by, id);
