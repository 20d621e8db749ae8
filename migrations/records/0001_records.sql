-- records: the patient's chart (problems, allergies, observations, free-text entries), visit
-- reports with their addenda, files in chunks, the patient's grants, and the reasons staff gave
-- for breaking the glass. Nothing clinical is ever deleted or silently changed: the triggers
-- below refuse it, whatever code path tries.

-- One row per chart item, holding its current version. `data` is the kind's fields as JSON,
-- validated by records::kinds before it is written; `effective_at` is when it holds clinically
-- (an onset, the time a reading was taken, an entry's date), the chart's order.
CREATE TABLE records_items (
    id           TEXT PRIMARY KEY,
    patient_id   TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('problem', 'allergy', 'observation', 'entry')),
    data         TEXT NOT NULL CHECK (json_valid(data)),
    effective_at TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    status       TEXT NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'entered-in-error')),
    -- Who wrote this version, and when.
    author_id    TEXT NOT NULL,
    author_role  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    -- Set once, when the item is marked entered-in-error.
    error_reason TEXT,
    CHECK ((status = 'entered-in-error') = (error_reason IS NOT NULL))
);

-- A patient's chart, one kind at a time, newest first: one index walk per page.
CREATE INDEX records_items_by_patient ON records_items (patient_id, kind, effective_at DESC, id DESC);

-- Every version ever written, the current one included: an edit or a correction adds a row,
-- nothing here changes.
CREATE TABLE records_item_versions (
    item_id      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    status       TEXT NOT NULL,
    author_id    TEXT NOT NULL,
    author_role  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    error_reason TEXT,
    PRIMARY KEY (item_id, version)
) WITHOUT ROWID;

CREATE TRIGGER records_items_first_version AFTER INSERT ON records_items
BEGIN
    INSERT INTO records_item_versions (item_id, version, data, effective_at, status, author_id,
        author_role, recorded_at, error_reason)
    VALUES (NEW.id, NEW.version, NEW.data, NEW.effective_at, NEW.status, NEW.author_id,
        NEW.author_role, NEW.recorded_at, NEW.error_reason);
END;

-- An update is a new version, one more than the last, by someone, of an item still current;
-- the patient, kind and creation never change.
CREATE TRIGGER records_items_update_rules BEFORE UPDATE ON records_items
BEGIN
    SELECT RAISE(ABORT, 'an item marked entered-in-error is final')
        WHERE OLD.status = 'entered-in-error';
    SELECT RAISE(ABORT, 'an update is the next version')
        WHERE NEW.version <> OLD.version + 1;
    SELECT RAISE(ABORT, 'an item keeps its patient, kind and creation')
        WHERE NEW.patient_id <> OLD.patient_id OR NEW.kind <> OLD.kind
           OR NEW.created_at <> OLD.created_at OR NEW.id <> OLD.id;
END;

CREATE TRIGGER records_items_next_version AFTER UPDATE ON records_items
BEGIN
    INSERT INTO records_item_versions (item_id, version, data, effective_at, status, author_id,
        author_role, recorded_at, error_reason)
    VALUES (NEW.id, NEW.version, NEW.data, NEW.effective_at, NEW.status, NEW.author_id,
        NEW.author_role, NEW.recorded_at, NEW.error_reason);
END;

CREATE TRIGGER records_items_no_delete BEFORE DELETE ON records_items
BEGIN
    SELECT RAISE(ABORT, 'a clinical record is never deleted: mark it entered-in-error');
END;
CREATE TRIGGER records_item_versions_no_update BEFORE UPDATE ON records_item_versions
BEGIN
    SELECT RAISE(ABORT, 'an item''s history is append-only');
END;
CREATE TRIGGER records_item_versions_no_delete BEFORE DELETE ON records_item_versions
BEGIN
    SELECT RAISE(ABORT, 'an item''s history is append-only');
END;

-- Visit reports: one per appointment, by its doctor. A draft changes; a signed report never
-- does (corrections are addenda).
CREATE TABLE records_reports (
    id             TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL UNIQUE,
    patient_id     TEXT NOT NULL,
    doctor_id      TEXT NOT NULL,
    subjective     TEXT NOT NULL,
    objective      TEXT NOT NULL,
    assessment     TEXT NOT NULL,
    plan           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    signed_at      TEXT,
    CHECK ((status = 'signed') = (signed_at IS NOT NULL))
);

CREATE INDEX records_reports_by_patient ON records_reports (patient_id, created_at DESC, id DESC);
CREATE INDEX records_reports_by_doctor ON records_reports (doctor_id, created_at DESC, id DESC);

CREATE TRIGGER records_reports_signed_is_final BEFORE UPDATE ON records_reports
    WHEN OLD.status = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'a signed report is immutable: add an addendum');
END;
CREATE TRIGGER records_reports_keep_who BEFORE UPDATE ON records_reports
    WHEN NEW.patient_id <> OLD.patient_id OR NEW.doctor_id <> OLD.doctor_id
      OR NEW.appointment_id <> OLD.appointment_id
BEGIN
    SELECT RAISE(ABORT, 'a report keeps its appointment, patient and doctor');
END;
CREATE TRIGGER records_reports_no_delete BEFORE DELETE ON records_reports
    WHEN OLD.status = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'a signed report is never deleted');
END;

-- A report's mail, queued in the statement that signs it and relayed to mail afterwards
-- (DESIGN §6): the patient hears of it even if mail was down at the time.
CREATE TABLE records_outbox (
    report_id  TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    doctor_id  TEXT NOT NULL,
    queued_at  TEXT NOT NULL
);

CREATE TRIGGER records_reports_signed_mail AFTER UPDATE OF status ON records_reports
    WHEN NEW.status = 'signed' AND OLD.status = 'draft'
BEGIN
    INSERT INTO records_outbox (report_id, patient_id, doctor_id, queued_at)
    VALUES (NEW.id, NEW.patient_id, NEW.doctor_id, NEW.signed_at);
END;

CREATE TABLE records_addenda (
    id         TEXT PRIMARY KEY,
    report_id  TEXT NOT NULL REFERENCES records_reports (id),
    author_id  TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX records_addenda_by_report ON records_addenda (report_id, created_at, id);

CREATE TRIGGER records_addenda_only_signed BEFORE INSERT ON records_addenda
    WHEN (SELECT status FROM records_reports WHERE id = NEW.report_id) IS NOT 'signed'
BEGIN
    SELECT RAISE(ABORT, 'an addendum corrects a signed report: edit the draft instead');
END;
CREATE TRIGGER records_addenda_no_update BEFORE UPDATE ON records_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum is final');
END;
CREATE TRIGGER records_addenda_no_delete BEFORE DELETE ON records_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum is final');
END;

-- Files: the row is written first as 'uploading', the chunks after it, and one statement makes
-- it 'current' only when every chunk is there — a failed upload never shows half a file.
CREATE TABLE records_files (
    id             TEXT PRIMARY KEY,
    patient_id     TEXT NOT NULL,
    appointment_id TEXT,
    name           TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    size           INTEGER NOT NULL CHECK (size > 0),
    sha256         TEXT NOT NULL,
    chunks         INTEGER NOT NULL CHECK (chunks >= 1),
    uploaded_by    TEXT NOT NULL,
    uploader_role  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('uploading', 'current', 'entered-in-error')),
    error_reason   TEXT
);
CREATE INDEX records_files_by_patient ON records_files (patient_id, created_at DESC, id DESC);

CREATE TABLE records_file_chunks (
    file_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    bytes   BLOB NOT NULL CHECK (length(bytes) BETWEEN 1 AND 262144),
    PRIMARY KEY (file_id, seq)
);

CREATE TRIGGER records_files_no_delete BEFORE DELETE ON records_files
    WHEN OLD.status <> 'uploading'
BEGIN
    SELECT RAISE(ABORT, 'a stored file is never deleted: mark it entered-in-error');
END;
CREATE TRIGGER records_file_chunks_fixed BEFORE UPDATE ON records_file_chunks
BEGIN
    SELECT RAISE(ABORT, 'a file''s bytes never change');
END;
CREATE TRIGGER records_file_chunks_no_delete BEFORE DELETE ON records_file_chunks
    WHEN (SELECT status FROM records_files WHERE id = OLD.file_id) IS NOT 'uploading'
BEGIN
    SELECT RAISE(ABORT, 'a stored file''s bytes are never deleted');
END;

-- What a patient shared, with whom, until when. `resource_id` names the file or report for
-- those scopes; the chart scope covers everything.
CREATE TABLE records_grants (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL,
    grantee_id  TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('chart', 'file', 'report')),
    resource_id TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    CHECK ((scope = 'chart') = (resource_id IS NULL)),
    CHECK (expires_at > created_at)
);
CREATE INDEX records_grants_by_grantee ON records_grants (grantee_id, patient_id, expires_at);
CREATE INDEX records_grants_by_patient ON records_grants (patient_id, created_at DESC, id DESC);

CREATE TRIGGER records_grants_only_revoke BEFORE UPDATE ON records_grants
    WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
      OR NEW.patient_id <> OLD.patient_id OR NEW.grantee_id <> OLD.grantee_id
      OR NEW.scope <> OLD.scope OR NEW.resource_id IS NOT OLD.resource_id
      OR NEW.expires_at <> OLD.expires_at OR NEW.created_at <> OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'a grant can only be revoked, once');
END;
CREATE TRIGGER records_grants_no_delete BEFORE DELETE ON records_grants
BEGIN
    SELECT RAISE(ABORT, 'a grant is kept, revoked or expired, for the record');
END;

-- Staff's "break the glass": the reason they gave, which the patient reads beside the access
-- log row of the same request.
CREATE TABLE records_break_glass (
    request_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (request_id, patient_id)
);
CREATE INDEX records_break_glass_by_patient ON records_break_glass (patient_id, at DESC);

CREATE TRIGGER records_break_glass_no_update BEFORE UPDATE ON records_break_glass
BEGIN
    SELECT RAISE(ABORT, 'a stated reason is part of the record');
END;
CREATE TRIGGER records_break_glass_no_delete BEFORE DELETE ON records_break_glass
BEGIN
    SELECT RAISE(ABORT, 'a stated reason is part of the record');
END;
