//! booking: the doctors' directory, weekly hours and exceptions, slots, appointments and their
//! lifecycle, reviews, the event feed and calendar feeds.

pub mod schedule;
