-- Lists of appointments are ordered by (starts_at, id) and paged by that pair: with `id` in the
-- index, a page is one walk of it from the cursor, with no sort of ties.
DROP INDEX booking_appointments_by_patient;
CREATE INDEX booking_appointments_by_patient ON booking_appointments (patient_id, starts_at, id);
DROP INDEX booking_appointments_by_doctor;
CREATE INDEX booking_appointments_by_doctor ON booking_appointments (doctor_id, starts_at, id);
