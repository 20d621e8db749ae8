-- Sign-in and registration throttling by reservation: an attempt is counted *before* the
-- password is hashed, in one statement, so parallel guesses cannot all pass a check made before
-- any of them was recorded. One row per key that was tried recently:
--   pair:<email>|<ip>   one address guessing one account (the tight limit)
--   client:<ip>         one address guessing across accounts
--   account:<email>     every address together, for one account (a slower cap)
--   register:<ip>       sign-ups from one address
-- Each row carries its own limit, so one upsert can reserve several keys at once.
DROP TABLE auth_login_throttle;

CREATE TABLE auth_attempts (
    key          TEXT PRIMARY KEY,
    attempts     INTEGER NOT NULL,            -- reserved in this window; at most max_attempts + 1
    max_attempts INTEGER NOT NULL,
    window_start INTEGER NOT NULL,            -- unix seconds
    window_secs  INTEGER NOT NULL
);
CREATE INDEX auth_attempts_by_end ON auth_attempts (window_start);
