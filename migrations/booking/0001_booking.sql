-- booking: the doctors' directory, their hours, appointments and their lifecycle, reviews, the
-- event feed, and calendar feed secrets. Instants are UTC RFC 3339 text ("2026-03-08T14:00:00Z",
-- always whole seconds, so equal instants are equal strings); wall times are minutes after
-- local midnight in the doctor's IANA zone.

CREATE TABLE booking_doctors (
    id            TEXT PRIMARY KEY,            -- the doctor's auth user id
    name          TEXT NOT NULL,
    specialty     TEXT NOT NULL,
    city          TEXT NOT NULL,
    region        TEXT NOT NULL,
    languages     TEXT NOT NULL,               -- JSON array of language tags
    bio           TEXT NOT NULL,
    time_zone     TEXT NOT NULL,               -- IANA name, checked by the component
    visit_minutes INTEGER NOT NULL CHECK (visit_minutes BETWEEN 10 AND 120),
    -- Hours live on the profile as JSON, so replacing them is one statement (nothing
    -- half-written, on any backend): weekly [{"weekday":1,"start":"09:00","end":"12:00"}, ...]
    -- and dated exceptions [{"date":"2026-12-24","off":true} | {"date":..,"start":..,"end":..}].
    weekly_hours  TEXT NOT NULL DEFAULT '[]',
    exceptions    TEXT NOT NULL DEFAULT '[]',
    rating_count  INTEGER NOT NULL DEFAULT 0,  -- kept by the review trigger, never by the component
    rating_sum    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX booking_doctors_by_specialty ON booking_doctors (specialty COLLATE NOCASE);
CREATE INDEX booking_doctors_by_city ON booking_doctors (city COLLATE NOCASE);

CREATE TABLE booking_appointments (
    id            TEXT PRIMARY KEY,            -- UUIDv7
    doctor_id     TEXT NOT NULL REFERENCES booking_doctors (id),
    patient_id    TEXT NOT NULL,
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                    ('requested', 'confirmed', 'declined', 'cancelled', 'completed', 'no_show', 'expired')),
    reason        TEXT NOT NULL,
    note          TEXT,                        -- why declined or cancelled
    changed_by    TEXT NOT NULL,               -- who made the last change
    expires_at    TEXT NOT NULL,               -- an unanswered request lapses then
    -- The patient's Idempotency-Key and a hash of the request it came with: a retry finds the
    -- appointment the first attempt made instead of making a second.
    idempotency_key TEXT,
    request_hash    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- The invariant, held by the database whatever the concurrency: one active appointment per slot,
-- and one active appointment per patient per instant.
CREATE UNIQUE INDEX booking_one_per_slot ON booking_appointments (doctor_id, starts_at)
    WHERE status IN ('requested', 'confirmed');
CREATE UNIQUE INDEX booking_one_per_patient_instant ON booking_appointments (patient_id, starts_at)
    WHERE status IN ('requested', 'confirmed');
CREATE UNIQUE INDEX booking_idempotency ON booking_appointments (patient_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX booking_appointments_by_patient ON booking_appointments (patient_id, starts_at);
CREATE INDEX booking_appointments_by_doctor ON booking_appointments (doctor_id, starts_at);
CREATE INDEX booking_appointments_expiring ON booking_appointments (expires_at)
    WHERE status = 'requested';

-- Append-only; written by triggers in the same statement as the change.
CREATE TABLE booking_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    appointment_id TEXT NOT NULL,
    doctor_id      TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,              -- the new status, or 'rescheduled'
    starts_at      TEXT NOT NULL,
    at             TEXT NOT NULL
);

CREATE TRIGGER booking_event_on_insert AFTER INSERT ON booking_appointments
BEGIN
    INSERT INTO booking_events (appointment_id, doctor_id, patient_id, kind, starts_at, at)
    VALUES (NEW.id, NEW.doctor_id, NEW.patient_id, NEW.status, NEW.starts_at, NEW.updated_at);
END;

CREATE TRIGGER booking_event_on_status AFTER UPDATE OF status ON booking_appointments
WHEN NEW.status <> OLD.status
BEGIN
    INSERT INTO booking_events (appointment_id, doctor_id, patient_id, kind, starts_at, at)
    VALUES (NEW.id, NEW.doctor_id, NEW.patient_id, NEW.status, NEW.starts_at, NEW.updated_at);
END;

CREATE TRIGGER booking_event_on_move AFTER UPDATE OF starts_at ON booking_appointments
WHEN NEW.starts_at <> OLD.starts_at
BEGIN
    INSERT INTO booking_events (appointment_id, doctor_id, patient_id, kind, starts_at, at)
    VALUES (NEW.id, NEW.doctor_id, NEW.patient_id, 'rescheduled', NEW.starts_at, NEW.updated_at);
END;

-- One review per completed visit; the doctor's count and sum move in the same statement, so
-- concurrent reviews cannot lose an update.
CREATE TABLE booking_reviews (
    appointment_id TEXT PRIMARY KEY REFERENCES booking_appointments (id),
    doctor_id      TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text           TEXT NOT NULL CHECK (length(text) <= 2000),
    created_at     TEXT NOT NULL
);
CREATE INDEX booking_reviews_by_doctor ON booking_reviews (doctor_id, created_at);

CREATE TRIGGER booking_review_counts AFTER INSERT ON booking_reviews
BEGIN
    UPDATE booking_doctors
    SET rating_count = rating_count + 1, rating_sum = rating_sum + NEW.rating
    WHERE id = NEW.doctor_id;
END;

-- Calendar feed secrets: only a hash is kept; revoking sets revoked_at.
CREATE TABLE booking_calendar_feeds (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX booking_calendar_feeds_by_user ON booking_calendar_feeds (user_id);
