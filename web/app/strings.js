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
