//! Appointments and their rides: scheduled by the client's keepers, moved to
//! kept, missed, cancelled or rescheduled; a kept first visit links its
//! referral in the same transaction. Calendars list them across clients,
//! and a staff member's calendar feed carries the minimum necessary.

use chrono::Duration;
use spoke_domain::appointment::{
    Appointment, AppointmentError, AppointmentFields, AppointmentInput, AppointmentMove,
    Consequence, RideMove, TransportPlan,
};
use spoke_domain::audit::{AuditAction, AuditEvent, ResourceType};
use spoke_domain::client::Client;
use spoke_domain::ids::{AppointmentId, ClientId};
use spoke_domain::policy::{Actor, ClientAction, care_record_scope};
use spoke_persistence::appointments::{self as store, AppointmentFilter};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::{DbConnection, StoreError, directory, plans, staff};

use crate::context::{Clock, Cx};
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::care::check_client_references;
use crate::usecases::clients::with_client;
use crate::usecases::staff::active_user;
use crate::usecases::{change_versioned, must_exist, readable};

const APPOINTMENT: ResourceType = ResourceType::Appointment;

impl From<AppointmentError> for ApiError {
    fn from(error: AppointmentError) -> Self {
        match error {
            AppointmentError::Invalid(errors) => ApiError::Validation(errors),
            AppointmentError::IllegalMove(refused) => ApiError::IllegalMove(refused),
            AppointmentError::Closed(_) | AppointmentError::NoRide => {
                ApiError::Conflict(error.to_string())
            }
        }
    }
}

/// Checks what the input names against the store: the client's own
/// care-team member, referral and plan task, a directory service and
/// location that exist, active staff for the ride.
fn check_references(
    conn: &mut DbConnection,
    client: ClientId,
    fields: &AppointmentFields,
    ride: Option<&TransportPlan>,
) -> Result<(), ApiError> {
    let members: Vec<_> = fields.care_team_member_id.into_iter().collect();
    let referrals: Vec<_> = fields.referral_id.into_iter().collect();
    check_client_references(
        conn,
        client,
        ("natural_support_ids", &[]),
        ("care_team_member_id", &members),
        ("referral_id", &referrals),
    )?;
    if let Some(service) = fields.service_id {
        must_exist("service_id", directory::get_service(conn, service))?;
    }
    if let Some(location) = fields.location_id {
        must_exist("location_id", directory::get_location(conn, location))?;
    }
    if let Some(task) = fields.task_id {
        let known = plans::client_plans(conn, client)?.into_iter().any(|plan| {
            plan.content
                .goals
                .iter()
                .any(|goal| goal.tasks.iter().any(|t| t.id == task))
        });
        if !known {
            return Err(ApiError::invalid_field(
                "task_id",
                "unknown_reference",
                "no plan of the client has this task",
            ));
        }
    }
    for (n, id) in ride
        .map(|r| r.staff_ids.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        active_user(conn, &format!("transport.staff_ids[{n}]"), *id)?;
    }
    Ok(())
}

/// Parses and checks `input` for `client`.
fn checked(
    conn: &mut DbConnection,
    client: &Client,
    input: AppointmentInput,
) -> Result<(AppointmentFields, Option<TransportPlan>), ApiError> {
    let (fields, ride) = input.parse(&client.details.risk_flags)?;
    check_references(conn, client.id, &fields, ride.as_ref())?;
    Ok((fields, ride))
}

/// Schedules an appointment of `client`.
pub fn create(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    input: AppointmentInput,
) -> Result<Appointment, ApiError> {
    let id = AppointmentId::generate();
    with_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (APPOINTMENT, id.to_string()),
        |tx, record| {
            let (fields, ride) = checked(tx, record, input)?;
            let mut appointment = Appointment::new(client, fields, ride, cx.actor.user_id, cx.now);
            appointment.id = id;
            store::insert_appointment(tx, &appointment)?;
            Ok(appointment)
        },
    )
}

/// An appointment of `client` the actor may read.
fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    client: ClientId,
    id: AppointmentId,
) -> Result<Appointment, ApiError> {
    let appointment = store::get_appointment(conn, client, id)?;
    readable(
        actor,
        appointment.fields.sensitivity,
        appointment.created_by,
    )?;
    Ok(appointment)
}

pub fn get(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AppointmentId,
) -> Result<Appointment, ApiError> {
    with_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (APPOINTMENT, id.to_string()),
        |tx, _| visible(tx, &cx.actor, client, id),
    )
}

/// A page of a client's appointments the actor may read, in time order.
pub fn list_for_client(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    filter: AppointmentFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Appointment>, ApiError> {
    with_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Appointments, client.to_string()),
        |tx, _| {
            let filter = AppointmentFilter {
                client: Some(client),
                ..filter
            };
            Ok(store::list_appointments(
                tx,
                &care_record_scope(&cx.actor, cx.today),
                &filter,
                after,
                limit,
            )?)
        },
    )
}

/// A page of the appointments (or, with `filter.rides`, the rides) of every
/// client the actor may see that match `filter`, audited as one event naming
/// the clients shown.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: &AppointmentFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Appointment>, ApiError> {
    let page = store::list_appointments(
        tx,
        &care_record_scope(&cx.actor, cx.today),
        filter,
        after,
        limit,
    )?;
    crate::usecases::audit_shown(
        tx,
        cx,
        ResourceType::AppointmentList,
        page.items.iter().map(|a| a.client_id),
    );
    Ok(page)
}

/// Changes an appointment through `change` under the actor's If-Match.
fn change(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AppointmentId,
    if_match: &IfMatch,
    change: impl FnOnce(&mut Tx, &Client, &mut Appointment) -> Result<(), ApiError>,
) -> Result<Appointment, ApiError> {
    with_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        (APPOINTMENT, id.to_string()),
        |tx, record| {
            let mut appointment = visible(tx, &cx.actor, client, id)?;
            change_versioned(
                tx,
                &mut appointment,
                if_match,
                cx.now,
                |tx, appointment| change(tx, record, appointment).map(|()| true),
                |tx, appointment, expected| {
                    Ok(store::update_appointment(tx, appointment, expected)?)
                },
            )?;
            Ok(appointment)
        },
    )
}

/// Replaces a scheduled appointment's content (409 once it is kept, missed,
/// cancelled or rescheduled).
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AppointmentId,
    if_match: &IfMatch,
    input: AppointmentInput,
) -> Result<Appointment, ApiError> {
    change(tx, cx, client, id, if_match, |tx, record, appointment| {
        let (fields, ride) = checked(tx, record, input)?;
        Ok(appointment.revise(fields, ride, cx.now)?)
    })
}

/// Moves an appointment's status. Kept, it sets the `linked_on` of the
/// referral it is the first visit of (the agency's date of its start);
/// rescheduled, it stores the new appointment it links to.
pub fn move_status(
    tx: &mut Tx,
    cx: &Cx,
    clock: &Clock,
    client: ClientId,
    id: AppointmentId,
    if_match: &IfMatch,
    input: AppointmentMove,
) -> Result<Appointment, ApiError> {
    change(tx, cx, client, id, if_match, |tx, _, appointment| {
        match appointment.move_to(input, cx.actor.user_id, cx.now)? {
            Consequence::None => {}
            Consequence::Linked(referral) => {
                let day = clock.day_of(appointment.fields.starts_at);
                crate::usecases::referrals::link_visit(tx, cx, client, referral, day)?;
            }
            Consequence::Replaced(new) => {
                store::insert_appointment(tx, &new)?;
                tx.audit(AuditEvent::for_record(
                    cx.actor.user_id,
                    AuditAction::RecordCreated,
                    client,
                    (APPOINTMENT, new.id.to_string()),
                    &cx.request_id,
                    cx.now,
                ));
            }
        }
        Ok(())
    })
}

/// Moves an appointment's ride: arranged (by the actor), completed, failed.
pub fn move_ride(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AppointmentId,
    if_match: &IfMatch,
    input: RideMove,
) -> Result<Appointment, ApiError> {
    change(tx, cx, client, id, if_match, |_, _, appointment| {
        Ok(appointment.move_ride(input, cx.actor.user_id, cx.now)?)
    })
}

// ------------------------------------------------------------ calendar feeds

/// How far back and ahead a calendar feed reaches.
const FEED_PAST_DAYS: i64 = 30;
const FEED_AHEAD_DAYS: i64 = 180;
/// The most events one feed carries.
const FEED_LIMIT: usize = 2000;

/// An event of a calendar feed: the minimum necessary.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub appointment: Appointment,
    /// "M. R."
    pub initials: String,
    /// The place: the address, or the directory location's name and address.
    pub place: Option<String>,
}

/// A new secret for `user`'s feed (the old one stops working); only its
/// hash is kept. The secret is shown once.
pub fn create_feed(tx: &mut Tx, cx: &Cx) -> Result<String, ApiError> {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    store::replace_feed(tx, cx.actor.user_id, &feed_hash(&token), cx.now)?;
    Ok(token)
}

/// Revokes the actor's feed; a 404 when there is none.
pub fn revoke_feed(tx: &mut Tx, cx: &Cx) -> Result<(), ApiError> {
    if store::delete_feed(tx, cx.actor.user_id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

fn feed_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// The actor signed in by a feed's secret: its owner, while active. An
/// unknown or revoked secret is a 404.
pub fn feed_actor(conn: &mut DbConnection, token: &str) -> Result<Actor, ApiError> {
    let user = match store::feed_owner(conn, &feed_hash(token)) {
        Ok(user) => user,
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    let user = staff::get_user(conn, user)?;
    if !user.is_active() {
        return Err(ApiError::NotFound);
    }
    Ok(Actor::from(&user))
}

/// The actor's calendar: the appointments of their caseload from 30 days
/// back to 180 ahead, with client initials and the place; audited as one
/// event naming the clients.
pub fn calendar(tx: &mut Tx, cx: &Cx) -> Result<Vec<FeedEntry>, ApiError> {
    let filter = AppointmentFilter {
        case_manager: Some(cx.actor.user_id),
        from: Some(cx.now - Duration::days(FEED_PAST_DAYS)),
        until: Some(cx.now + Duration::days(FEED_AHEAD_DAYS)),
        ..AppointmentFilter::default()
    };
    let page = list(tx, cx, &filter, None, FEED_LIMIT)?;
    let ids: Vec<ClientId> = page.items.iter().map(|a| a.client_id).collect();
    let clients = spoke_persistence::clients::get_many(tx, &ids)?;
    let location_ids: Vec<_> = page
        .items
        .iter()
        .filter_map(|a| a.fields.location_id)
        .collect();
    let locations = directory::locations_by_ids(tx, &location_ids)?;
    Ok(page
        .items
        .into_iter()
        .map(|appointment| {
            let initials = clients
                .get(&appointment.client_id)
                .map(|c| {
                    spoke_domain::appointment::initials(
                        c.details.given_name.as_str(),
                        c.details.family_name.as_str(),
                    )
                })
                .unwrap_or_default();
            let place = match (&appointment.fields.address, appointment.fields.location_id) {
                (Some(address), _) => Some(address.to_string()),
                (None, Some(id)) => {
                    locations
                        .iter()
                        .find(|l| l.id == id)
                        .map(|l| match &l.fields.address {
                            Some(address) => format!("{}, {address}", l.fields.name),
                            None => l.fields.name.to_string(),
                        })
                }
                (None, None) => None,
            };
            FeedEntry {
                appointment,
                initials,
                place,
            }
        })
        .collect())
}
