-- mail: the outbox, every delivery attempt, and in-app notifications. Instants are UTC RFC 3339
-- text, whole seconds, so they compare as strings.

-- One row per message a service handed in. The idempotency key is the producer's: a relay that
-- hands the same message twice (it retried after a lost answer) finds the first row.
CREATE TABLE mail_messages (
    id              TEXT PRIMARY KEY,            -- UUIDv7, also the Message-ID's local part
    idempotency_key TEXT NOT NULL UNIQUE,
    template        TEXT NOT NULL,
    to_user         TEXT,                        -- an account (its address is asked of auth)
    to_address      TEXT,                        -- or an address given outright
    -- Rendered once, at intake, from the template and the producer's data: what is delivered
    -- is what an admin reads in the log.
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    link            TEXT,                        -- where the notification takes the reader
    essential       INTEGER NOT NULL CHECK (essential IN (0, 1)),
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'logged', 'dead', 'suppressed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    -- A delivering instance's claim: until then no other instance takes the message, so two
    -- requests delivering at once never send it twice.
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    CHECK ((to_user IS NULL) <> (to_address IS NULL))
);
CREATE INDEX mail_messages_due ON mail_messages (next_attempt_at) WHERE status = 'queued';
CREATE INDEX mail_messages_by_status ON mail_messages (status, id);

-- The delivery log: append-only; each row moves its message in the same statement (trigger).
CREATE TABLE mail_attempts (
    message_id TEXT NOT NULL REFERENCES mail_messages (id),
    n          INTEGER NOT NULL,                 -- 1 for the first attempt
    at         TEXT NOT NULL,
    transport  TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('sent', 'logged', 'retry', 'dead', 'suppressed')),
    detail     TEXT NOT NULL,
    next_at    TEXT NOT NULL,                    -- when a retry is due (the attempt's time otherwise)
    PRIMARY KEY (message_id, n)
);

CREATE TRIGGER mail_attempt_moves_message AFTER INSERT ON mail_attempts
BEGIN
    UPDATE mail_messages
    SET attempts = NEW.n,
        status = CASE NEW.outcome WHEN 'retry' THEN 'queued' ELSE NEW.outcome END,
        next_attempt_at = NEW.next_at,
        last_error = CASE NEW.outcome WHEN 'retry' THEN NEW.detail WHEN 'dead' THEN NEW.detail ELSE last_error END,
        sent_at = CASE WHEN NEW.outcome IN ('sent', 'logged') THEN NEW.at ELSE sent_at END,
        lease_until = NULL
    WHERE id = NEW.message_id;
END;

-- What a user sees in the portal. Made by the same statement that stores a message to an
-- account (trigger), so a message and its notification exist together or not at all.
CREATE TABLE mail_notifications (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- the stream's event id (Last-Event-ID)
    id         TEXT NOT NULL UNIQUE,              -- the message's id
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,                     -- the template
    title      TEXT NOT NULL,
    link       TEXT,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX mail_notifications_by_user ON mail_notifications (user_id, seq);
CREATE INDEX mail_notifications_unread ON mail_notifications (user_id) WHERE read_at IS NULL;

CREATE TRIGGER mail_message_notifies AFTER INSERT ON mail_messages
WHEN NEW.to_user IS NOT NULL
BEGIN
    INSERT INTO mail_notifications (id, user_id, kind, title, link, created_at)
    VALUES (NEW.id, NEW.to_user, NEW.template, NEW.subject, NEW.link, NEW.created_at);
END;
