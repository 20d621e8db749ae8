// Every user-facing string, one object per screen, ready for translation. Functions take the
// values a sentence needs, so word order can change with the language.
export const common = {
  appName: "Healthe",
  tagline: "Your clinic, online",
  loading: "Loading…",
  unreachable: "The clinic's service cannot be reached right now. Check your connection and try again.",
  fixFields: "Please correct the fields marked below.",
  disclaimer: "Healthe gives decision support, not a diagnosis. In an emergency call your local emergency number.",
  nav: "Main",
  signOut: "Sign out",
  signedInAs: (name, role) => `Signed in as ${name} (${role})`,
  skip: "Skip to the content",
};

export const nav = {
  findDoctor: "Find a doctor",
  myAppointments: "My appointments",
  agenda: "Agenda",
  risk: "Risk calculators",
  signIn: "Sign in",
  register: "Register",
};

export const signIn = {
  title: "Sign in",
  email: "Email",
  password: "Password",
  submit: "Sign in",
  busy: "Signing in…",
  noAccount: "New here?",
  register: "Create a patient account",
};

export const register = {
  title: "Create your patient account",
  email: "Email",
  name: "Your name",
  password: "Password",
  passwordHint: "At least 12 characters. A few unrelated words make a strong one.",
  submit: "Create account",
  busy: "Creating your account…",
  haveAccount: "Already registered?",
  signIn: "Sign in",
};

export const find = {
  title: "Find a doctor",
  specialty: "Specialty",
  city: "City",
  text: "Name, specialty or language",
  availableOn: "Available on",
  sort: "Sort by",
  byName: "Name",
  byRating: "Rating",
  search: "Search",
  none: "No doctor matches. Try fewer filters.",
  rating: (avg, n) => (n ? `${avg.toFixed(1)} ★ from ${n} review${n === 1 ? "" : "s"}` : "No reviews yet"),
  open: (name) => `See ${name}'s profile and free times`,
  more: "More doctors",
};

export const doctor = {
  languages: "Languages",
  visit: (m) => `Visits last ${m} minutes.`,
  slotsTitle: "Free times",
  zoneNote: (mine, theirs) => `Times are shown in your time zone (${mine}); the doctor works in ${theirs}.`,
  zoneSame: (zone) => `Times are in ${zone}.`,
  week: "Week of",
  prevWeek: "Earlier week",
  nextWeek: "Later week",
  noSlots: "No free times this week.",
  book: "Request this visit",
  chosen: (when) => `Your visit: ${when}`,
  reason: "Reason for the visit",
  reasonHint: "A few words help the doctor prepare.",
  submit: "Send request",
  busy: "Sending…",
  requested: "Your request is sent. The doctor will confirm it; you can follow it in My appointments.",
  reviewsTitle: "Reviews",
  noReviews: "No reviews yet.",
  back: "Back to the search",
  choose: (when) => `Choose ${when}`,
};

export const appointments = {
  title: "My appointments",
  upcoming: "Upcoming",
  past: "Past",
  none: "No appointments here.",
  with: (name) => `with ${name}`,
  status: {
    requested: "Waiting for the doctor",
    confirmed: "Confirmed",
    declined: "Declined",
    cancelled: "Cancelled",
    completed: "Completed",
    no_show: "Missed",
    expired: "Expired (no answer in time)",
  },
  cancel: "Cancel",
  cancelled: "The appointment is cancelled.",
  reason: "Reason",
  note: "Note",
};

export const agenda = {
  title: "Agenda",
  day: "Day",
  prev: "Previous day",
  next: "Next day",
  none: "Nothing booked this day.",
  patient: "Patient",
  reason: "Reason",
  confirm: "Confirm",
  decline: "Decline",
  declineReason: "Reason for declining",
  complete: "Mark completed",
  noShow: "Mark missed",
  cancel: "Cancel",
  done: "Saved.",
  zone: (z) => `Times in your zone, ${z}.`,
};

export const roles = {
  patient: "patient",
  doctor: "doctor",
  pharmacist: "pharmacist",
  staff: "staff",
  admin: "admin",
};

export const risk = {
  title: "Risk calculators",
  kinds: { heart: "Heart attack", stroke: "Stroke", diabetes: "Diabetes" },
  models: {
    heart: ["prevent-2024", "pce-2013"],
    stroke: ["cha2ds2-vasc", "prevent-2024"],
    diabetes: ["findrisc", "framingham-diabetes-2007"],
  },
  model: "Equation",
  unit: (label) => `Unit for ${label}`,
  range: (min, max, unit) => `Validated range ${min}–${max} ${unit}.`,
  yes: "Yes",
  submit: "Estimate my risk",
  busy: "Calculating…",
  result: "Result",
  byModel: (title, version) => `${title}, version ${version}`,
  citation: "Source",
  horizon: (y) => `Over ${y} years.`,
  disclaimer: "This is decision support, not a diagnosis. Talk to your doctor about what it means for you.",
  history: "My history",
  noHistory: "No assessments yet.",
  caveats: "Limits of this equation",
  population: "Made for",
  labels: {
    age: "Age", sex: "Sex", race: "Race (as the equation defines it)", total_cholesterol: "Total cholesterol",
    hdl_cholesterol: "HDL cholesterol", triglycerides: "Triglycerides", fasting_glucose: "Fasting glucose",
    sbp: "Systolic blood pressure", dbp: "Diastolic blood pressure", bmi: "Body-mass index", egfr: "eGFR (kidney function)",
    waist: "Waist circumference", diabetes: "I have diabetes", smoker: "I smoke", bp_treated: "I take blood-pressure medication",
    bp_medication: "I take blood-pressure medication", statin: "I take a statin", chf: "Heart failure",
    hypertension: "High blood pressure", stroke_tia: "Earlier stroke or TIA", vascular_disease: "Vascular disease",
    physically_active: "At least 30 minutes of activity a day", daily_vegetables: "Vegetables or fruit every day",
    high_glucose_history: "High blood glucose found before", family_history: "Family members with diabetes",
    parent_diabetes: "A parent with diabetes",
  },
  choices: {
    female: "Female", male: "Male", white_or_other: "White or other", african_american: "African American",
    none: "None", second_degree: "Grandparent, aunt, uncle or cousin", first_degree: "Parent, sibling or child",
  },
  percent: (p) => `${(p * 100).toFixed(1)} %`,
};
