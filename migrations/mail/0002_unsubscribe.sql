-- Opting out of mail one may do without (reminders), by a signed link in each such mail
-- (RFC 8058 one-click) or in the portal's preferences.

-- The key unsubscribe links are signed with (service_kit::signed), made on first use.
CREATE TABLE mail_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Accounts that want no optional mail. Essential mail (an answer to a request, a reset link) is
-- sent regardless; in-app notifications are kept either way.
CREATE TABLE mail_suppressions (
    user_id TEXT PRIMARY KEY,
    at      TEXT NOT NULL
);

-- The one-click link a message offers (List-Unsubscribe), when it offers one.
ALTER TABLE mail_messages ADD COLUMN unsubscribe_url TEXT;
