-- How far booking's events have been relayed to each consumer that booking tells (mail): the
-- event table is booking's outbox, and this cursor moves only after the consumer accepted.
CREATE TABLE booking_relay (
    consumer TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL
);
