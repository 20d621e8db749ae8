//! booking: the doctors' directory, weekly hours and exceptions, slots, appointments and their
//! lifecycle, reviews, the event feed and calendar feeds.

pub mod appointments;
pub mod doctors;
pub mod events;
pub mod reviews;
pub mod schedule;

use service_kit::migrate::Migration;

pub const MIGRATIONS: &[Migration] = service_kit::migrations!("booking", "0001_booking.sql");
