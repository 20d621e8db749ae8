-- Reminders before confirmed visits, and the patient's answer to one (issue 15).

-- When the reminder went out, and when the patient said they will come: both cleared when the
-- visit moves to another time (appointments::reschedule), so the new time is reminded of again.
ALTER TABLE booking_appointments ADD COLUMN reminded_at TEXT;
ALTER TABLE booking_appointments ADD COLUMN attendance_confirmed_at TEXT;

-- The visits still to remind, in start order: the sweep reads this index from its start, so
-- asking whether anything is due costs one probe however many visits are booked.
CREATE INDEX booking_reminders_due ON booking_appointments (starts_at)
    WHERE status = 'confirmed' AND reminded_at IS NULL;

-- A reminder is an event like any other change, so the relay that tells mail of changes tells
-- it of reminders too (relay.rs).
CREATE TRIGGER booking_event_on_reminder AFTER UPDATE OF reminded_at ON booking_appointments
WHEN OLD.reminded_at IS NULL AND NEW.reminded_at IS NOT NULL
BEGIN
    INSERT INTO booking_events (appointment_id, doctor_id, patient_id, kind, starts_at, at)
    VALUES (NEW.id, NEW.doctor_id, NEW.patient_id, 'reminder', NEW.starts_at, NEW.reminded_at);
END;

-- The key reminder links are signed with (service_kit::signed), made on first use.
CREATE TABLE booking_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Reminder links already used: a link works once (its hash; the link itself is never stored).
CREATE TABLE booking_link_uses (
    token_hash TEXT PRIMARY KEY,
    used_at    TEXT NOT NULL
);
