-- Email verification, password reset, and the mail auth sends (issue 15).

-- When the account proved it reads its address. Accounts made before verification existed, and
-- accounts an admin makes, count as verified; a self sign-up starts unverified.
ALTER TABLE auth_users ADD COLUMN email_verified_at TEXT;
UPDATE auth_users SET email_verified_at = created_at;

-- One-time links mailed to an account: only the SHA-256 of the token is kept (as for refresh
-- tokens). A link is spent by setting used_at, once.
CREATE TABLE auth_email_links (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES auth_users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at INTEGER NOT NULL,               -- unix seconds
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX auth_email_links_by_user ON auth_email_links (user_id, purpose) WHERE used_at IS NULL;

-- Spending a verification link verifies the account, in the same statement.
CREATE TRIGGER auth_email_links_verify AFTER UPDATE OF used_at ON auth_email_links
WHEN NEW.purpose = 'verify' AND OLD.used_at IS NULL AND NEW.used_at IS NOT NULL
BEGIN
    UPDATE auth_users SET email_verified_at = COALESCE(email_verified_at, strftime('%Y-%m-%dT%H:%M:%SZ', NEW.used_at, 'unixepoch'))
    WHERE id = NEW.user_id;
END;

-- Spending one reset link spends every other one the account still holds.
CREATE TRIGGER auth_email_links_reset AFTER UPDATE OF used_at ON auth_email_links
WHEN NEW.purpose = 'reset' AND OLD.used_at IS NULL AND NEW.used_at IS NOT NULL
BEGIN
    UPDATE auth_email_links SET used_at = NEW.used_at
    WHERE user_id = NEW.user_id AND purpose = 'reset' AND used_at IS NULL;
END;

-- auth's outbox: messages for mail, written with what they tell of and relayed after the
-- answer; a row is deleted once mail accepted it. A row that mails a link also creates the link
-- (link_* columns), in the one statement that queues it.
CREATE TABLE auth_outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    message      TEXT NOT NULL,                -- JSON, as mail's intake takes it
    link_hash    TEXT,
    link_user    TEXT,
    link_purpose TEXT,
    link_expires INTEGER,
    created_at   INTEGER NOT NULL
);

CREATE TRIGGER auth_outbox_link AFTER INSERT ON auth_outbox WHEN NEW.link_hash IS NOT NULL
BEGIN
    INSERT INTO auth_email_links (token_hash, user_id, purpose, created_at, expires_at)
    VALUES (NEW.link_hash, NEW.link_user, NEW.link_purpose, NEW.created_at, NEW.link_expires);
END;
