//! Appointments as an iCalendar (RFC 5545) document for calendar apps,
//! written with the `icalendar` crate (escaping, line folding). Each event
//! carries the minimum necessary: the client's initials, the kind, the time
//! and the place.

use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use spoke_domain::appointment::AppointmentStatus;

use crate::usecases::appointments::FeedEntry;

/// The feed's document: one event per appointment, times in UTC.
pub fn document(entries: &[FeedEntry]) -> String {
    let mut calendar = Calendar::new();
    calendar.name("Spoke appointments");
    for entry in entries {
        let a = &entry.appointment;
        let mut event = Event::with_uid(&format!("{}@spoke", a.id));
        event
            .timestamp(a.updated_at)
            .sequence(u32::try_from(a.version).unwrap_or_default())
            .starts(a.fields.starts_at)
            .ends(a.fields.ends_at)
            .summary(&format!("{} – {}", entry.initials, a.fields.kind.label()))
            .status(match a.status {
                AppointmentStatus::Cancelled | AppointmentStatus::Rescheduled => {
                    EventStatus::Cancelled
                }
                _ => EventStatus::Confirmed,
            });
        if let Some(place) = &entry.place {
            event.location(place);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
