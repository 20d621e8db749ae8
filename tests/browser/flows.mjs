// The portal's end-to-end flows, each as a person does it: by labels, roles and visible text,
// never by the markup's internals. Fixtures (accounts, a doctor with hours) come from the Rust
// test that runs the flow.
import assert from "node:assert/strict";

async function signIn(page, email, password) {
  await page.goto("/#/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

export const flows = {
  /** A patient registers, finds a doctor and books; the doctor confirms; the patient sees it. */
  async "book-and-confirm"({ fixtures: f, person, screen }) {
    const patient = await person("patient");
    const p = patient.page;
    await p.goto("/");
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
    await screen(p, "sign-in");

    // Register: a too-short password is named on its field first.
    await p.getByRole("link", { name: "Create a patient account" }).click();
    await p.getByLabel("Your name").fill("Pat Browser");
    await p.getByLabel("Email").fill(f.patient_email);
    await p.getByLabel("Password").fill("short");
    await p.getByRole("button", { name: "Create account" }).click();
    const pwError = p.locator(".field-error");
    await pwError.first().waitFor();
    assert.match(await p.getByLabel("Password").getAttribute("aria-invalid"), /true/);
    await screen(p, "register-invalid");
    await p.getByLabel("Password").fill(f.password);
    await p.getByRole("button", { name: "Create account" }).click();
    await p.getByRole("heading", { name: "Find a doctor" }).waitFor();

    // Find the doctor by specialty text, open the profile.
    await p.getByLabel("Specialty", { exact: true }).fill(f.specialty);
    await p.getByRole("button", { name: "Search" }).click();
    await p.getByRole("link", { name: `See ${f.doctor_name}'s profile and free times` }).click();
    await p.getByRole("heading", { name: f.doctor_name }).waitFor();
    await p.getByText("Free times").waitFor();
    // The doctor works in another zone than this browser's: it is named.
    await p.getByText(`the doctor works in ${f.doctor_zone}`).waitFor();
    await p.getByRole("button", { name: "Later week" }).click();
    const slot = p.getByRole("button", { name: /^Choose / }).first();
    await slot.waitFor();
    await screen(p, "doctor-slots");
    await slot.click();
    await p.getByLabel("Reason for the visit").fill("Chest tightness when climbing stairs");
    await screen(p, "booking");
    await p.getByRole("button", { name: "Send request" }).click();
    await p.getByText("Your request is sent").waitFor();

    await p.getByRole("link", { name: "My appointments" }).click();
    await p.getByText("Waiting for the doctor").waitFor();
    await screen(p, "my-appointments-requested");

    // The doctor signs in, finds the request in the agenda for its day, and confirms it.
    const doctor = await person("doctor");
    const d = doctor.page;
    await signIn(d, f.doctor_email, f.password);
    await d.getByRole("heading", { name: /^Agenda/ }).waitFor();
    const bookedDay = await p.locator(".appointment h3").first().textContent();
    assert.ok(bookedDay);
    // Walk forward to the day of the request (it is at most two weeks out).
    for (let i = 0; i < 15 && !(await d.getByText("Chest tightness when climbing stairs").count()); i++) {
      await d.getByRole("link", { name: "Next day" }).click();
      await d.waitForTimeout(150);
    }
    await d.getByText("Chest tightness when climbing stairs").waitFor();
    // The agenda is in the doctor's own zone (their profile's), whatever the browser's.
    await d.getByText(`Times in your zone, ${f.doctor_zone}.`).waitFor();
    await screen(d, "doctor-agenda");
    await d.getByRole("button", { name: "Confirm" }).click();
    await d.getByText("Saved.").waitFor();
    await d.locator(".appointment .status", { hasText: "Confirmed" }).waitFor();
    // The week view holds it too.
    await d.getByRole("link", { name: "Week" }).click();
    await d.getByRole("heading", { name: /Agenda: Week of/ }).waitFor();
    await d.getByText("Chest tightness when climbing stairs").waitFor();
    await screen(d, "doctor-agenda-week");

    // The patient's open screen shows it at once, with no reload (the notification stream), and
    // the header counts the unread notification.
    await p.locator(".appointment .status", { hasText: "Confirmed" }).waitFor({ timeout: 2000 });
    await p.locator(".bell .count").waitFor({ timeout: 5000 });
    await screen(p, "my-appointments-live");
    await p.getByRole("link", { name: /^Notifications/ }).click();
    await p.getByRole("heading", { name: "Notifications" }).waitFor();
    await p.getByText(/is confirmed/).first().waitFor();
    await screen(p, "notifications");
    await p.getByRole("button", { name: "Mark all as read" }).click();
    await p.getByText("0 unread notifications").waitFor();
    assert.equal(await p.locator(".bell .count").count(), 0);
    await p.getByRole("link", { name: "My appointments" }).click();

    // The patient sees it confirmed after a reload, still signed in (the refresh cookie).
    await p.reload();
    await p.getByRole("button", { name: "Sign out" }).waitFor();
    await p.getByRole("heading", { name: "My appointments" }).waitFor();
    await p.locator(".appointment .status", { hasText: "Confirmed" }).waitFor();
    await screen(p, "my-appointments-confirmed");
    // And the doctor's reload keeps them signed in too.
    await d.reload();
    await d.getByRole("button", { name: "Sign out" }).waitFor();

    // The calendar address: made, then revoked.
    await p.getByRole("button", { name: "Make my calendar address" }).click();
    const feed = await p.getByLabel("Your private calendar address").inputValue();
    assert.match(feed, /calendar\.ics\?token=/);
    const ics = await patient.context.request.get(feed);
    assert.equal(ics.status(), 200);
    assert.match(await ics.text(), /BEGIN:VCALENDAR/);
    await p.getByRole("button", { name: "Revoke every calendar address" }).click();
    await p.getByText("is revoked").waitFor();
    assert.notEqual((await patient.context.request.get(feed)).status(), 200);

    // Reschedule: to another free time of the same doctor.
    await p.getByRole("link", { name: "Reschedule" }).first().click();
    await p.getByRole("button", { name: "Later week" }).click();
    await p.getByRole("button", { name: /^Choose / }).nth(3).click();
    await p.getByRole("button", { name: /^Move my visit to / }).click();
    await p.getByText("Your visit is moved").waitFor();
    await p.getByRole("link", { name: "My appointments" }).click();
    await p.locator(".appointment").first().waitFor();

    // No token is where a script can read it.
    const cookies = await patient.context.cookies();
    const refresh = cookies.find((c) => c.name === "healthe_refresh");
    assert.ok(refresh, "the refresh cookie is set");
    assert.equal(refresh.httpOnly, true);
    assert.equal(refresh.sameSite, "Strict");
    assert.equal(refresh.path, "/api/auth/refresh");
    assert.equal(await p.evaluate(() => document.cookie.includes("healthe_refresh")), false);
    assert.equal(await p.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)), "{}{}");

    // Sign out ends it: a reload lands on the sign-in screen.
    await p.getByRole("button", { name: "Sign out" }).click();
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
    await p.reload();
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
  },

  /** A wrong password and an unreachable service are each said plainly. */
  async "sign-in-problems"({ fixtures: f, person, screen }) {
    const { page: p, context } = await person("visitor");
    await p.goto("/#/sign-in");
    await p.getByLabel("Email").fill(f.patient_email);
    await p.getByLabel("Password").fill("not the password at all");
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("alert").waitFor();
    await screen(p, "sign-in-refused");
    await context.route("**/api/**", (route) => route.abort());
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByText("cannot be reached").waitFor();
    await screen(p, "unreachable");
  },

  /** A doctor's open agenda shows a new request within 2 s of its booking, with no reload. */
  async "live-agenda"({ fixtures: f, person, screen }) {
    const doctor = await person("doctor");
    const d = doctor.page;
    await signIn(d, f.doctor_email, f.password);
    await d.goto(`/#/agenda?day=${f.day}`);
    await d.getByText("Nothing booked this day.").waitFor();
    // The patient books from elsewhere (their own browser context, through the API).
    const patient = await person("patient");
    const api = patient.context.request;
    const login = await api.post("/api/auth/login", { data: { email: f.patient_email, password: f.password } });
    assert.equal(login.status(), 200);
    const token = (await login.json()).access_token;
    const booked = await api.post("/api/booking/appointments", {
      headers: { authorization: `Bearer ${token}` },
      data: { doctor_id: f.doctor_id, starts_at: f.slot, reason: "Seen live on the agenda" },
    });
    assert.equal(booked.status(), 201, await booked.text());
    const at = Date.now();
    await d.getByText("Seen live on the agenda").waitFor({ timeout: 2000 });
    console.log(`the request showed on the agenda ${Date.now() - at} ms after its booking`);
    await d.locator(".bell .count").waitFor();
    await screen(d, "agenda-live");
  },

  /** A forgotten password asked for, a dead reset link refused on its form, and the screen a
   * verification link lands on. (The mails themselves are followed over SMTP in mail_smtp.rs.) */
  async "password-reset-screens"({ fixtures: f, person, screen }) {
    const { page: p } = await person("visitor");
    await p.goto("/#/sign-in");
    await p.getByRole("link", { name: "Forgot your password?" }).click();
    await p.getByRole("heading", { name: "Reset your password" }).waitFor();
    await p.getByLabel("Email").fill(f.patient_email);
    await p.getByRole("button", { name: "Send the link" }).click();
    await p.getByText("If the address has an account, a link is on its way to it.").waitFor();
    await screen(p, "reset-requested");
    await p.goto("/#/reset-password?token=not-a-real-token");
    await p.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await p.getByLabel("New password", { exact: true }).fill("a perfectly long new passphrase");
    await p.getByRole("button", { name: "Set the password" }).click();
    await p.getByText("This link has expired or was already used.").waitFor();
    await screen(p, "reset-dead-link");
    await p.goto("/#/verified?result=verified");
    await p.getByText("your address is confirmed").waitFor();
    await screen(p, "address-confirmed");
  },

  /** The heart calculator with cholesterol in mmol/L, then an out-of-range age on its field. */
  async "risk-calculator"({ fixtures: f, person, screen }) {
    const { page: p } = await person("patient");
    await signIn(p, f.patient_email, f.password);
    await p.getByRole("link", { name: "Risk calculators" }).click();
    await p.getByRole("heading", { name: /Risk calculators: Heart attack/ }).waitFor();
    await p.getByLabel("Age (years)").fill("55");
    await p.getByLabel("Unit for Total cholesterol").selectOption("mmol/L");
    await p.getByLabel("Total cholesterol (mmol/L)").fill("5.5");
    // The range shown is the card's own, in the unit chosen.
    await p.getByText("Validated range 3.37–8.27 mmol/L.").waitFor();
    await p.getByLabel("Unit for HDL cholesterol").selectOption("mmol/L");
    await p.getByLabel("HDL cholesterol (mmol/L)").fill("1.3");
    await p.getByLabel("Systolic blood pressure (mmHg)").fill("128");
    await p.getByLabel(/^Body-mass index/).fill("27");
    await p.getByLabel(/^eGFR/).fill("90");
    await p.getByLabel("I take blood-pressure medication").check();
    await screen(p, "heart-form");
    await p.getByRole("button", { name: "Estimate my risk" }).click();
    const result = p.locator(".result");
    await result.waitFor();
    const text = await result.textContent();
    assert.match(text, /\d+\.\d %/);
    assert.match(text, /PREVENT/);
    assert.match(text, /Circulation/);
    assert.match(text, /not a diagnosis/);
    await p.locator("#h-history ~ ul li").first().waitFor();
    await screen(p, "heart-result");

    // Out of the validated range: said on the field itself.
    await p.getByLabel("Age (years)").fill("20");
    await p.getByRole("button", { name: "Estimate my risk" }).click();
    await p.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await p.getByLabel("Age (years)").getAttribute("aria-invalid"), "true");
    const described = await p.getByLabel("Age (years)").getAttribute("aria-describedby");
    const message = await p.locator(`[id="${described.split(" ").pop()}"]`).textContent();
    assert.match(message, /30/);
    await screen(p, "heart-out-of-range");
  },

  /** The admin creates a doctor account, then its profile and hours, and sees the slots. */
  async "staff-create-doctor"({ fixtures: f, person, screen }) {
    const { page: p } = await person("admin");
    await signIn(p, f.admin_email, f.admin_password);
    await p.getByRole("heading", { name: "Accounts" }).waitFor();
    await p.getByLabel("Name", { exact: true }).fill(f.doctor_name);
    await p.getByLabel("Email").fill(f.doctor_email);
    await p.getByLabel("First password").fill(f.password);
    await p.getByLabel("Role", { exact: true }).selectOption("doctor");
    await screen(p, "accounts-create");
    await p.getByRole("button", { name: "Create account" }).click();
    await p.getByText(`${f.doctor_name}'s account is created.`).waitFor();
    await p.getByRole("status").getByRole("link", { name: `Doctor profile of ${f.doctor_name}` }).click();

    await p.getByRole("heading", { name: "Doctor profile and hours" }).waitFor();
    await p.getByLabel("Name shown to patients").fill(f.doctor_name);
    await p.getByLabel("Specialty").fill(f.specialty);
    await p.getByLabel("City").fill("Lyon");
    await p.getByLabel("State or region").fill("Rhône");
    await p.getByLabel(/^Time zone/).fill("Not/AZone");
    await p.getByRole("button", { name: "Save profile" }).click();
    // A bad zone is named on its field.
    await p.locator('[name="time_zone"][aria-invalid="true"]').waitFor();
    await p.getByLabel(/^Time zone/).fill("Europe/Paris");
    await p.getByRole("button", { name: "Save profile" }).click();
    await p.getByRole("heading", { name: "Weekly hours" }).waitFor();
    for (let i = 0; i < 2; i++) await p.getByRole("button", { name: "Add hours" }).click();
    await p.getByLabel("Day").nth(1).selectOption("wednesday");
    await p.getByRole("button", { name: "Save hours" }).click();
    await p.locator(".preview li").first().waitFor();
    await screen(p, "doctor-profile-hours");

    // The new doctor is found by patients.
    await p.getByRole("link", { name: "Find a doctor" }).click();
    await p.getByLabel("Specialty", { exact: true }).fill(f.specialty);
    await p.getByRole("button", { name: "Search" }).click();
    await p.getByRole("link", { name: `See ${f.doctor_name}'s profile and free times` }).waitFor();
    await p.getByRole("link", { name: "Booking log" }).click();
    await p.getByRole("heading", { name: "Booking log" }).waitFor();
    await screen(p, "booking-log");
  },

  /** The admin disables a signed-in patient: at their next reload they are signed out. */
  async "disabled-signed-out"({ fixtures: f, person, screen }) {
    const patient = await person("patient");
    await signIn(patient.page, f.patient_email, f.password);
    // On a screen only the signed-in see.
    await patient.page.goto("/#/appointments");
    await patient.page.getByRole("heading", { name: "My appointments" }).waitFor();
    const { page: a } = await person("admin");
    await signIn(a, f.admin_email, f.admin_password);
    await a.getByLabel("Show").selectOption("patient");
    const card = a.locator(`li[data-email="${f.patient_email}"]`);
    await card.getByRole("button", { name: /^Disable / }).click();
    await card.getByText("Disabled").waitFor();
    await screen(a, "accounts-disabled");
    // After a reload the same address asks for a sign-in (a restored session would show the
    // appointments again).
    await patient.page.reload();
    await patient.page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(await patient.page.getByRole("button", { name: "Sign out" }).count(), 0);
    assert.equal(await patient.page.getByRole("heading", { name: "My appointments" }).count(), 0);
    // And signing in again is refused.
    await patient.page.getByLabel("Email").fill(f.patient_email);
    await patient.page.getByLabel("Password").fill(f.password);
    await patient.page.getByRole("button", { name: "Sign in" }).click();
    await patient.page.getByRole("alert").waitFor();
  },

  /** After a completed visit the patient reviews it, and the review shows on the doctor's page. */
  async "review-after-visit"({ fixtures: f, person, screen }) {
    const { page: p } = await person("patient");
    await signIn(p, f.patient_email, f.password);
    await p.goto("/#/appointments");
    await p.getByText("Completed").first().waitFor();
    await p.getByLabel("Your rating").selectOption("4");
    await p.getByLabel("What went well, what could be better").fill("Clear explanations, a short wait.");
    await screen(p, "review-form");
    await p.getByRole("button", { name: "Review this visit" }).click();
    await p.getByText("your review is published").waitFor();
    await p.goto(`/#/doctors/${f.doctor_id}`);
    await p.getByText("Clear explanations, a short wait.").waitFor();
    await p.getByText(/4\.0 ★ from 1 review/).first().waitFor();
    await screen(p, "doctor-reviewed");
  },
  /** A patient keeps their record (a reading, a file, sharing); the doctor writes and signs the
   * visit report; the patient reads it and sees who looked. */
  async "records"({ fixtures: f, person, screen }) {
    const { page: p } = await person("patient");
    await signIn(p, f.patient_email, f.password);
    await p.getByRole("link", { name: "My record" }).click();
    await p.getByRole("heading", { name: "My record" }).waitFor();
    await p.getByLabel("Systolic (mmHg)").fill("134");
    await p.getByLabel("Diastolic (mmHg)").fill("86");
    await p.getByRole("button", { name: "Add", exact: true }).click();
    await p.getByText("Added to the record.").waitFor();
    await p.getByText(/Blood pressure: 134\/86 mm\[Hg\]/).waitFor();
    // A bad reading is named on its field.
    await p.getByLabel("Systolic (mmHg)").fill("80");
    await p.getByLabel("Diastolic (mmHg)").fill("120");
    await p.getByRole("button", { name: "Add", exact: true }).click();
    await p.locator(".field-error").first().waitFor();
    assert.match(await p.getByLabel("Diastolic (mmHg)").getAttribute("aria-invalid"), /true/);
    await p.getByLabel("Upload a file").setInputFiles({
      name: "blood-test.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.7\n% a test letter\n"),
    });
    await p.getByRole("button", { name: "Upload", exact: true }).click();
    await p.getByRole("button", { name: "Download blood-test.pdf" }).waitFor();
    // Share the record with the doctor for a week, then take it back.
    await p.getByLabel("Doctor's id").fill(f.doctor_id);
    await p.getByRole("button", { name: "Share", exact: true }).click();
    const grant = p.locator(".grant").first();
    await grant.getByText("Active").waitFor();
    await screen(p, "my-record");
    await grant.getByRole("button", { name: "Revoke" }).click();
    await p.locator(".grant").first().getByText("Revoked").waitFor();

    // The doctor, from the agenda's link, writes and signs the visit report.
    const { page: d } = await person("doctor");
    await signIn(d, f.doctor_email, f.password);
    await d.goto(`/#/records/report?appointment=${f.appointment_id}`);
    await d.getByText("Draft: only you see it").waitFor();
    await d.getByLabel("Subjective").fill("Headaches for a week, worse in the evening.");
    await d.getByLabel("Assessment").fill("Tension-type headache; blood pressure slightly raised.");
    await d.getByLabel("Plan").fill("Ibuprofen as needed. Recheck blood pressure in four weeks.");
    await d.getByRole("button", { name: "Save draft" }).click();
    await d.getByText("Draft saved.").waitFor();
    await screen(d, "report-draft");
    await d.getByRole("button", { name: "Sign the report" }).click();
    await d.getByText("Signed. The patient has been told.").waitFor();
    await d.getByText(/A signed report never changes/).waitFor();
    await d.goto(`/#/records/${f.patient_id}`);
    await d.getByRole("heading", { name: "Patient record" }).waitFor();
    await d.getByText(/Blood pressure: 134\/86/).waitFor();
    await screen(d, "patient-record-doctor");

    // The patient reads the signed report and sees who looked.
    await p.goto("/#/records");
    await p.reload();
    await p.getByRole("link", { name: /Visit report, signed/ }).click();
    await p.getByText("Recheck blood pressure in four weeks.").waitFor();
    await screen(p, "visit-report");
    await p.goto("/#/records");
    await p.getByRole("heading", { name: "Who looked at my record" }).waitFor();
    await p.locator("table.log tbody tr").first().waitFor();
    const rows = await p.locator("table.log tbody").innerText();
    assert.match(rows, /doctor/);
  },
  /** The doctor prescribes from the chart past an allergy warning; the patient holds the code and
   * its QR; the pharmacist dispenses at the counter; the patient asks for a refill and the doctor
   * approves it. */
  async "prescriptions"({ fixtures: f, person, screen }) {
    const { page: d } = await person("doctor");
    await signIn(d, f.doctor_email, f.password);
    await d.goto(`/#/records/${f.patient_id}`);
    await d.getByRole("link", { name: "Prescribe" }).click();
    await d.getByRole("heading", { name: "Prescribe", exact: true }).waitFor();
    await d.getByLabel("Medication", { exact: true }).fill("Amoxicillin");
    await d.getByLabel("Strength").fill("500 mg");
    await d.getByLabel("Form").selectOption("capsule");
    await d.getByLabel("Dose").fill("1 capsule");
    await d.getByLabel("How often").fill("3 times a day");
    await d.getByLabel("For how many days").fill("7");
    await d.getByLabel("Quantity per fill").fill("21");
    await d.getByLabel("Instructions for the patient").fill("Take with food.");
    await d.getByRole("button", { name: "Issue the prescription" }).click();
    // The chart's penicillin allergy stops it, named on the medication's field.
    await d.getByText("Allergy warning").waitFor();
    await d.getByText(/matches the recorded allergy to Penicillin/).first().waitFor();
    assert.match(await d.getByLabel("Medication", { exact: true }).getAttribute("aria-invalid"), /true/);
    await screen(d, "prescribe-allergy-warning");
    await d.getByLabel("Why prescribe it anyway").fill("Tolerated amoxicillin last year under observation");
    await d.getByRole("button", { name: "Issue despite the allergy" }).click();
    const issued = d.getByText(/^Issued\. Its code is /);
    await issued.waitFor();
    const code = (await issued.innerText()).match(/code is ([0-9A-Z-]{14})/)[1];
    await d.getByText(/Prescribed despite a recorded allergy/).waitFor();

    // The patient sees it, its code and QR.
    const { page: p } = await person("patient");
    await signIn(p, f.patient_email, f.password);
    await p.getByRole("link", { name: "My prescriptions" }).click();
    await p.getByRole("heading", { name: "My prescriptions", exact: true }).waitFor();
    await p.getByText(code).waitFor();
    await p.getByRole("img", { name: `QR code of prescription code ${code}` }).waitFor();
    await p.getByText(/0 of 1 fills dispensed/).waitFor();
    await screen(p, "my-prescriptions");

    // The pharmacist: a mistyped code is named; the real one, typed loosely, is found.
    const { page: r } = await person("pharmacist");
    await signIn(r, f.pharmacist_email, f.password);
    await r.getByRole("heading", { name: "Counter", exact: true }).waitFor();
    await r.getByLabel("Prescription code").fill("not a code");
    await r.getByRole("button", { name: "Look up" }).click();
    await r.locator(".field-error").first().waitFor();
    await r.getByLabel("Prescription code").fill(code.toLowerCase().replaceAll("-", " "));
    await r.getByRole("button", { name: "Look up" }).click();
    await r.getByText(/Amoxicillin 500 mg capsule/).waitFor();
    await r.getByLabel("Pharmacy").fill("Apotheke am Markt");
    await screen(r, "counter");
    await r.getByRole("button", { name: "Record the dispense" }).click();
    await r.getByText("Dispensed. The patient is told.").waitFor();
    await r.getByText(/1 of 1 fills dispensed/).waitFor();

    // Used up: the patient asks for a refill; the doctor approves it from the queue.
    await p.reload();
    await p.getByText(/1 of 1 fills dispensed/).waitFor();
    await p.getByRole("button", { name: "Ask for a refill" }).click();
    await p.getByText(/Your doctor has been asked for a refill/).waitFor();
    await d.getByRole("link", { name: "Refill requests" }).click();
    await d.getByRole("heading", { name: "Refill requests", exact: true }).waitFor();
    await screen(d, "refill-requests");
    await d.getByRole("button", { name: "Approve one more fill" }).click();
    await d.getByText("No refill requests are waiting.").waitFor();
    await p.reload();
    await p.getByText(/1 of 2 fills dispensed/).waitFor();
    // And the patient sees the pharmacist's lookup.
    await p.getByText(/: pharmacist /).first().waitFor();
  },

  /** Staff import pharmacies (a bad file is refused with its row report first); a patient finds
   * the nearest from their location, opens one's week and makes it theirs. */
  async "pharmacies"({ fixtures: f, person, screen }) {
    const { page: s } = await person("staff");
    await signIn(s, f.staff_email, f.password);
    await s.getByRole("link", { name: "Import pharmacies" }).click();
    await s.getByRole("heading", { name: "Import pharmacies" }).waitFor();
    await s.getByLabel("File").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(f.bad_csv) });
    await s.getByRole("button", { name: "Import" }).click();
    const report = s.getByRole("table", { name: "Rows to correct" });
    await report.waitFor();
    await report.getByRole("cell", { name: "opening_hours", exact: true }).waitFor();
    await report.getByRole("cell", { name: "3", exact: true }).waitFor();
    await screen(s, "pharmacy-import-report");
    await s.getByLabel("File").setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(f.csv) });
    await s.getByRole("button", { name: "Import" }).click();
    await s.getByText("Imported 3 rows: 3 new, 0 updated, 0 unchanged.").waitFor();
    // An on-duty night at the nearest one: bad hours are named on their field, then it is saved.
    await s.getByRole("link", { name: "Pharmacies", exact: true }).click();
    await s.getByRole("heading", { name: "Find a pharmacy" }).waitFor();
    await s.getByLabel("Name", { exact: true }).fill(f.nearest);
    await s.getByRole("button", { name: "Search" }).click();
    await s.getByRole("link", { name: f.nearest }).click();
    await s.getByRole("heading", { name: f.nearest }).waitFor();
    await s.getByLabel("Date").fill(f.duty_date);
    await s.getByLabel("That day").selectOption("extra");
    await s.getByLabel("Hours", { exact: true }).fill("20:00-2x:00");
    await s.getByRole("button", { name: "Save the day" }).click();
    await s.locator('[name="hours"][aria-invalid="true"]').waitFor();
    await s.getByLabel("Hours", { exact: true }).fill("20:00-24:00");
    await s.getByLabel("Note").fill("On duty");
    await s.getByRole("button", { name: "Save the day" }).click();
    await s.getByText(`${f.duty_date}: also open 20:00-24:00 — On duty`).waitFor();
    await screen(s, "pharmacy-special-day");

    const { context, page: p } = await person("patient");
    await context.grantPermissions(["geolocation"]);
    await context.setGeolocation({ latitude: f.lat, longitude: f.lon });
    await signIn(p, f.patient_email, f.password);
    await p.getByRole("link", { name: "Pharmacies" }).click();
    await p.getByRole("heading", { name: "Find a pharmacy" }).waitFor();
    await p.getByLabel("Within (km)").fill("5");
    await p.getByRole("button", { name: "Use my location" }).click();
    const first = p.getByRole("heading", { level: 2 }).first();
    await first.getByText(f.nearest).waitFor();
    await p.getByRole("region", { name: /^Map of 3 pharmacies$/ }).waitFor();
    await p.getByText("0.1 km away").first().waitFor();
    await screen(p, "pharmacies-near-me");
    await p.getByRole("link", { name: f.nearest }).click();
    await p.getByRole("heading", { name: f.nearest }).waitFor();
    await p.getByRole("table", { name: "Opening hours this week" }).waitFor();
    await p.getByRole("button", { name: "Make this my pharmacy" }).click();
    await p.getByText("This is your pharmacy").waitFor();
    await screen(p, "pharmacy-week");
  },
  /** Staff add a category; a patient asks (the personal-information check catches a phone
   * number first); a doctor answers, marked as a clinician; the patient accepts it. A member's
   * flag is the one that hides a spam reply; a moderator agrees in the review queue. */
  async "forum"({ fixtures: f, person, screen }) {
    const { page: s } = await person("staff");
    await signIn(s, f.staff_email, f.password);
    await s.getByRole("link", { name: "Forum" }).click();
    await s.getByRole("heading", { name: "Community forum" }).waitFor();
    await s.getByLabel("Name", { exact: true }).fill(f.category_name);
    await s.getByRole("button", { name: "Add the category" }).click();
    await s.getByRole("link", { name: f.category_name }).waitFor();

    const { page: p } = await person("patient");
    await signIn(p, f.patient_email, f.password);
    await p.getByRole("link", { name: "Forum" }).click();
    await p.getByRole("link", { name: f.category_name }).click();
    await p.getByRole("link", { name: "New topic" }).click();
    await p.getByRole("heading", { name: "New topic" }).waitFor();
    await p.getByLabel("Category").selectOption({ label: f.category_name });
    await p.getByLabel("Title").fill(f.title);
    await p.getByLabel("Your question or story").fill("My blood pressure was **150/95** this morning. Call me on +49 151 2345 6789.");
    await p.getByRole("button", { name: "Post the topic" }).click();
    await p.getByText("This may identify you or someone else").waitFor();
    await p.getByText("looks like a phone number").waitFor();
    await screen(p, "forum-personal-information");
    await p.getByLabel("Your question or story").fill("My blood pressure was **150/95** this morning. Is that too high?");
    await p.getByRole("button", { name: "Preview" }).click();
    await p.getByRole("region", { name: "Preview" }).getByText("150/95").waitFor();
    await p.getByRole("button", { name: "Post the topic" }).click();
    await p.getByRole("heading", { name: f.title }).waitFor();
    const topicUrl = p.url();

    const { page: d } = await person("doctor");
    await signIn(d, f.doctor_email, f.password);
    // The doctor chooses the name the forum shows (members are "Member …" until they do).
    await d.getByRole("link", { name: "Forum" }).click();
    await d.getByLabel("Your name in the forum").fill("Dr. Ada Weiss");
    await d.getByRole("button", { name: "Save the name" }).click();
    await d.getByText("Saved.").waitFor();
    await d.goto(topicUrl);
    await d.getByRole("heading", { name: f.title }).waitFor();
    await d.getByLabel("Reply", { exact: true }).fill("Measure again after five minutes of rest. Above 140/90 on several days: book a visit.");
    await d.getByRole("button", { name: "Post the reply" }).click();
    await d.getByText("Clinician answer").waitFor();
    await d.getByText("Dr. Ada Weiss").waitFor();

    await p.goto(`${topicUrl.split("#")[0]}#/forum`);
    await p.goto(topicUrl);
    await p.getByText("Clinician answer").waitFor();
    await p.getByRole("button", { name: "Accept as the answer" }).click();
    await p.getByText("Accepted answer").waitFor();
    await screen(p, "forum-topic");

    // The third distinct flag hides the spam reply at once.
    const { page: fl } = await person("flagger");
    await signIn(fl, f.flagger_email, f.password);
    await fl.goto(`/#/forum/t/${f.spam_topic}`);
    const spam = fl.getByRole("listitem").filter({ hasText: f.spam_text });
    await spam.getByRole("button", { name: "Flag" }).click();
    await spam.getByLabel("Why").selectOption("spam");
    await spam.getByRole("button", { name: "Send to the moderators" }).click();
    await fl.getByText("flagged by the community and is hidden").waitFor();
    await screen(fl, "forum-flagged");

    await s.getByRole("link", { name: "Review queue" }).click();
    await s.getByRole("heading", { name: "Review queue" }).waitFor();
    const item = s.getByRole("listitem").filter({ has: s.getByRole("heading", { name: f.spam_title }) });
    await item.getByText("3 open flags").waitFor();
    await screen(s, "forum-review-queue");
    await item.getByLabel("Decision").selectOption("agree_hide");
    await item.getByLabel("Reason (the author reads it)").fill("Advertising is not allowed here.");
    await item.getByRole("button", { name: "Decide" }).click();
    await item.waitFor({ state: "detached" });
    await fl.reload();
    await fl.getByText("A moderator hid this post.").waitFor();
  },
};
