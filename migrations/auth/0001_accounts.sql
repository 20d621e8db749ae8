-- auth: accounts, refresh-token families, the generated signing key, login throttling.
-- Table names carry the service prefix so every label can share one database (Fermyon Cloud).

CREATE TABLE auth_users (
    id            TEXT PRIMARY KEY,               -- UUIDv7: sorts by creation, used as the page cursor
    email         TEXT NOT NULL UNIQUE,           -- normalised: trimmed, lower-cased
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('patient', 'doctor', 'pharmacist', 'staff', 'admin')),
    password_hash TEXT NOT NULL,                  -- argon2id PHC string
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX auth_users_by_role ON auth_users (role, id);

-- A family is one sign-in: every refresh token rotated from it belongs to it, so presenting an
-- already-used token can revoke the whole chain (OAuth 2.0 Security BCP, refresh token rotation).
CREATE TABLE auth_refresh_families (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES auth_users (id),
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoked_reason TEXT
);
CREATE INDEX auth_refresh_families_by_user ON auth_refresh_families (user_id);

-- Only the SHA-256 of a refresh token is stored; the token itself is 256 random bits.
CREATE TABLE auth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES auth_refresh_families (id),
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX auth_refresh_tokens_by_family ON auth_refresh_tokens (family_id);

-- The key generated on first use when no `token_signing_key` secret is configured.
CREATE TABLE auth_signing_keys (
    slot        TEXT PRIMARY KEY,
    private_key BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

-- Failed sign-ins per key (`account:<email>` or `client:<ip>`) in a fixed window.
CREATE TABLE auth_login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
);
CREATE INDEX auth_login_throttle_by_window ON auth_login_throttle (window_start);
