//! Critical events and residences: recorded by the client's keepers, read by
//! whoever may read the client (a care-team member general and health
//! events, and their own). Each event is read with its derived facts (the
//! follow-up a psychiatric discharge asks for); community tenure is counted
//! from the residences and the stays.

use chrono::NaiveDate;
use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::critical_event::{CriticalEvent, EventInput, FollowUp};
use spoke_domain::ids::{ClientId, CriticalEventId, ResidenceId};
use spoke_domain::policy::{ClientAction, care_record_scope, care_record_visible};
use spoke_domain::residence::{
    Residence, ResidenceInput, Span, Tenure, community_tenure, tenure_period,
};
use spoke_persistence::events::{self as store, EventFilter};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::{DbConnection, clients};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::clients::under_client;
use crate::usecases::{audit_shown, change_versioned, known_organization, readable};

const EVENT: ResourceType = ResourceType::CriticalEvent;
const RESIDENCE: ResourceType = ResourceType::Residence;

/// An event with the facts derived from it on the day it is read.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub event: CriticalEvent,
    /// For an ended psychiatric hospitalization: the follow-up contact.
    pub follow_up: Option<FollowUp>,
}

/// The event with its follow-up, found among the client's contacts.
fn recorded(conn: &mut DbConnection, cx: &Cx, event: CriticalEvent) -> Result<Recorded, ApiError> {
    let follow_up = match event.follow_up_window() {
        Some((from, to)) => {
            let seen = store::first_seen(conn, event.client_id, from, to)?;
            event.follow_up(seen, cx.today)
        }
        None => None,
    };
    Ok(Recorded { event, follow_up })
}

/// Parses `input` and checks the facility it names is in the directory.
fn checked(
    conn: &mut DbConnection,
    cx: &Cx,
    input: EventInput,
) -> Result<spoke_domain::critical_event::EventFields, ApiError> {
    let fields = input.parse(cx.today)?;
    known_organization(conn, fields.organization_id)?;
    Ok(fields)
}

/// Records a critical event of `client`.
pub fn create(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    input: EventInput,
) -> Result<Recorded, ApiError> {
    let id = CriticalEventId::generate();
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (EVENT, id.to_string()),
        |tx| {
            let fields = checked(tx, cx, input)?;
            let mut event = CriticalEvent::new(client, fields, cx.actor.user_id, cx.now);
            event.id = id;
            store::insert_event(tx, &event)?;
            recorded(tx, cx, event)
        },
    )
}

/// An event of `client` the actor may read.
fn visible(
    conn: &mut DbConnection,
    cx: &Cx,
    client: ClientId,
    id: CriticalEventId,
) -> Result<CriticalEvent, ApiError> {
    let event = store::get_event(conn, client, id)?;
    readable(&cx.actor, event.fields.sensitivity, event.created_by)?;
    Ok(event)
}

pub fn get(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: CriticalEventId,
) -> Result<Recorded, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (EVENT, id.to_string()),
        |tx| {
            let event = visible(tx, cx, client, id)?;
            recorded(tx, cx, event)
        },
    )
}

/// Corrects an event, or records how a stay ended.
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: CriticalEventId,
    if_match: &IfMatch,
    input: EventInput,
) -> Result<Recorded, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        (EVENT, id.to_string()),
        |tx| {
            let mut event = visible(tx, cx, client, id)?;
            change_versioned(
                tx,
                &mut event,
                if_match,
                cx.now,
                |tx, event| {
                    let fields = checked(tx, cx, input)?;
                    let changed = fields != event.fields;
                    event.fields = fields;
                    Ok(changed)
                },
                |tx, event, expected| Ok(store::update_event(tx, event, expected)?),
            )?;
            recorded(tx, cx, event)
        },
    )
}

fn with_facts(
    conn: &mut DbConnection,
    cx: &Cx,
    page: Page<CriticalEvent>,
) -> Result<Page<Recorded>, ApiError> {
    let items = page
        .items
        .into_iter()
        .map(|event| recorded(conn, cx, event))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// A page of a client's events the actor may read, by start day.
pub fn list_for_client(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    filter: EventFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Recorded>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::CriticalEvents, client.to_string()),
        |tx| {
            let filter = EventFilter {
                client: Some(client),
                ..filter
            };
            let page = store::list_events(
                tx,
                &care_record_scope(&cx.actor, cx.today),
                &filter,
                after,
                limit,
            )?;
            with_facts(tx, cx, page)
        },
    )
}

/// A page of the events of every client the actor may see that match
/// `filter`, audited as one event naming the clients shown.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: &EventFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Recorded>, ApiError> {
    let page = store::list_events(
        tx,
        &care_record_scope(&cx.actor, cx.today),
        filter,
        after,
        limit,
    )?;
    audit_shown(
        tx,
        cx,
        ResourceType::CriticalEventList,
        page.items.iter().map(|e| e.client_id),
    );
    with_facts(tx, cx, page)
}

/// Records where `client` lives or lived. A move to a new current home
/// closes the current one on the day of the move (returned second).
pub fn create_residence(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    input: ResidenceInput,
) -> Result<(Residence, Option<Residence>), ApiError> {
    let fields = input.parse(cx.today)?;
    let residence = Residence::new(client, fields, cx.actor.user_id, cx.now);
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (RESIDENCE, residence.id.to_string()),
        |tx| {
            clients::lock(tx, client)?;
            let others = store::residences_of(tx, client)?;
            let mut closed = residence.fit(&others, true)?;
            if let Some(closed) = closed.as_mut() {
                let expected = closed.version;
                closed.touch(cx.now);
                store::update_residence(tx, closed, expected)?;
            }
            store::insert_residence(tx, &residence)?;
            Ok((residence, closed))
        },
    )
}

pub fn get_residence(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: ResidenceId,
) -> Result<Residence, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (RESIDENCE, id.to_string()),
        |tx| Ok(store::get_residence(tx, client, id)?),
    )
}

/// Every residence of `client`, the earliest first.
pub fn residences(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<Vec<Residence>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Residences, client.to_string()),
        |tx| Ok(store::residences_of(tx, client)?),
    )
}

/// Corrects a residence; it may not come to overlap another.
pub fn revise_residence(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: ResidenceId,
    if_match: &IfMatch,
    input: ResidenceInput,
) -> Result<Residence, ApiError> {
    let fields = input.parse(cx.today)?;
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        (RESIDENCE, id.to_string()),
        |tx| {
            clients::lock(tx, client)?;
            let mut residence = store::get_residence(tx, client, id)?;
            change_versioned(
                tx,
                &mut residence,
                if_match,
                cx.now,
                |tx, residence| {
                    let changed = fields != residence.fields;
                    residence.fields = fields;
                    residence.fit(&store::residences_of(tx, client)?, false)?;
                    Ok(changed)
                },
                |tx, residence, expected| Ok(store::update_residence(tx, residence, expected)?),
            )?;
            Ok(residence)
        },
    )
}

/// Where `client` was each day of the period asked for (by default the
/// last 365 days; see [`tenure_period`]): from their residences and the
/// stays among the critical events the actor may read.
pub fn tenure(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Tenure, ApiError> {
    let (from, to) = tenure_period(from, to, cx.today)?;
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Residences, client.to_string()),
        |tx| {
            let residences: Vec<_> = store::residences_of(tx, client)?
                .into_iter()
                .map(|r| r.fields)
                .collect();
            let stays: Vec<_> = store::stays_of(tx, client, from, to)?
                .into_iter()
                .filter(|e| care_record_visible(&cx.actor, e.fields.sensitivity, e.created_by))
                .filter_map(|e| {
                    let kind = e.fields.event_type.stay()?;
                    Some((
                        kind,
                        Span {
                            from: e.fields.started_on,
                            until: e.fields.ended_on,
                        },
                    ))
                })
                .collect();
            Ok(community_tenure(from, to, cx.today, &residences, &stays))
        },
    )
}
