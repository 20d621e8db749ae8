-- One relay at a time: every change's after-hook used to relay the same pending events to mail
-- at once (32 concurrent bookings, 32 copies of the same batch, each instance living on until
-- mail answered), until the host ran out of instances. A relay now takes the claim first; the
-- others step aside, and the holder looks again after letting go, so nothing is left behind.
-- Epoch milliseconds; NULL when nobody holds it. A relay that died holding it frees it by
-- expiry.
ALTER TABLE booking_relay ADD COLUMN claimed_until INTEGER;
