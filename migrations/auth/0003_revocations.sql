-- When an admin disables an account or changes its role, its tokens already issued must die at
-- once everywhere, not when they expire: the instant (Unix ms) before which they are void.
-- Published with the keys to every verifier (GET /api/auth/verification).
ALTER TABLE auth_users ADD COLUMN tokens_not_before INTEGER NOT NULL DEFAULT 0;
CREATE INDEX auth_users_revoked ON auth_users (tokens_not_before) WHERE tokens_not_before > 0;
CREATE INDEX auth_users_disabled ON auth_users (id) WHERE disabled = 1;
