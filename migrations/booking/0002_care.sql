-- Care relationships are asked by doctor and patient together (care.rs): one index walk.
CREATE INDEX booking_appointments_by_pair ON booking_appointments (doctor_id, patient_id, starts_at);
