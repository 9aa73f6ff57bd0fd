//! Contacts: recorded by the client's keepers (a care-team member their own
//! collateral contacts), changed by their author while a draft, signed by
//! their author once, corrected by amendment. Signing decides what the
//! contact bills under the payer's configuration.

use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::billing::bill;
use spoke_domain::client::Client;
use spoke_domain::contact::{
    Contact, ContactCheck, ContactError, ContactFields, ContactInput, ContactRules, ContactStatus,
    LocalStart,
};
use spoke_domain::ids::{ClientId, ContactId};
use spoke_domain::policy::{ClientAction, ContactView, contact_scope, contact_view};
use spoke_persistence::contacts::{self as store, ContactFilter};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::{DbConnection, StoreError, clients, plans};

use crate::context::{Clock, Cx};
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::care::check_client_references;
use crate::usecases::change_versioned;
use crate::usecases::clients::with_client;
use crate::usecases::staff::active_user;

const CONTACT: ResourceType = ResourceType::Contact;

/// The agency's settings contacts are recorded under.
#[derive(Debug, Clone)]
pub struct ContactSettings {
    pub rules: ContactRules,
    /// The payer whose configuration judges signed contacts.
    pub payer: String,
    /// The agency's clock: its time zone gives a contact's local start.
    pub clock: Clock,
}

impl ContactSettings {
    fn local_start(&self, fields: &ContactFields) -> LocalStart {
        LocalStart(self.clock.local(fields.started_at))
    }
}

/// Checks what the input names against the store: the client's own goals,
/// referrals, natural supports and care-team members, active staff, and a
/// signed contact of the same client to amend.
fn check_references(
    conn: &mut DbConnection,
    client: ClientId,
    fields: &ContactFields,
) -> Result<(), ApiError> {
    check_client_references(
        conn,
        client,
        ("natural_support_ids", &fields.natural_support_ids),
        ("care_team_member_ids", &fields.care_team_member_ids),
        ("referral_ids", &fields.referral_ids),
    )?;
    if !fields.goal_ids.is_empty() {
        let goals: Vec<_> = plans::client_plans(conn, client)?
            .into_iter()
            .flat_map(|plan| plan.content.goals.into_iter().map(|g| g.id))
            .collect();
        if let Some(n) = fields.goal_ids.iter().position(|id| !goals.contains(id)) {
            return Err(ApiError::invalid_field(
                &format!("goal_ids[{n}]"),
                "unknown_reference",
                "no plan of the client has this goal",
            ));
        }
    }
    for (n, id) in fields.staff_ids.iter().enumerate() {
        active_user(conn, &format!("staff_ids[{n}]"), *id)?;
    }
    if let Some(amended) = fields.amends {
        let invalid =
            |message: &str| ApiError::invalid_field("amends", "invalid_amendment", message);
        match store::get_contact(conn, client, amended) {
            Ok(c) if c.status == ContactStatus::Signed => {}
            Ok(_) => {
                return Err(invalid(
                    "only a signed contact is amended; change the draft instead",
                ));
            }
            Err(StoreError::NotFound) => {
                return Err(invalid("no contact of this client has this id"));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Parses and checks `input` as written by the actor about `client`.
fn checked(
    conn: &mut DbConnection,
    cx: &Cx,
    client: &Client,
    input: ContactInput,
) -> Result<ContactFields, ApiError> {
    let fields = input.parse(ContactCheck {
        author: cx.actor.user_id,
        risk_flags: &client.details.risk_flags,
        now: cx.now,
    })?;
    check_references(conn, client.id, &fields)?;
    Ok(fields)
}

/// Records a draft contact with or about `client`.
pub fn create(
    tx: &mut Tx,
    cx: &Cx,
    settings: &ContactSettings,
    client: ClientId,
    input: ContactInput,
) -> Result<Contact, ApiError> {
    let id = ContactId::generate();
    with_client(
        tx,
        cx,
        client,
        ClientAction::RecordContact,
        AuditAction::RecordCreated,
        (CONTACT, id.to_string()),
        |tx, record| {
            let fields = checked(tx, cx, record, input)?;
            let start = settings.local_start(&fields);
            let mut contact = Contact::new(
                client,
                cx.actor.user_id,
                fields,
                start,
                &settings.rules,
                cx.now,
            );
            contact.id = id;
            store::insert_contact(tx, &contact)?;
            Ok(contact)
        },
    )
}

/// A contact the actor may read: hidden ones (another's mental-health
/// contact, to a care-team member) are not found.
fn readable(cx: &Cx, contact: Contact) -> Result<Contact, ApiError> {
    if contact_view(&cx.actor, contact.fields.sensitivity, contact.author_id) == ContactView::Hidden
    {
        return Err(ApiError::NotFound);
    }
    Ok(contact)
}

pub fn get(tx: &mut Tx, cx: &Cx, client: ClientId, id: ContactId) -> Result<Contact, ApiError> {
    with_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (CONTACT, id.to_string()),
        |tx, _| readable(cx, store::get_contact(tx, client, id)?),
    )
}

/// A page of a client's contacts the actor may read, newest first.
pub fn list_for_client(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Contact>, ApiError> {
    with_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Contacts, client.to_string()),
        |tx, _| {
            let filter = ContactFilter {
                client: Some(client),
                ..ContactFilter::default()
            };
            Ok(store::list_contacts(
                tx,
                &contact_scope(&cx.actor, cx.today),
                &filter,
                after,
                limit,
            )?)
        },
    )
}

/// A page of the contacts of every client the actor may see that match
/// `filter`, newest first, audited as one event naming the clients shown.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: &ContactFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Contact>, ApiError> {
    let page = store::list_contacts(
        tx,
        &contact_scope(&cx.actor, cx.today),
        filter,
        after,
        limit,
    )?;
    crate::usecases::audit_shown(
        tx,
        cx,
        ResourceType::ContactList,
        page.items.iter().map(|c| c.client_id),
    );
    Ok(page)
}

/// Changes the actor's own contact through `change` under their If-Match.
fn change(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: ContactId,
    if_match: &IfMatch,
    change: impl FnOnce(&mut Tx, &Client, &mut Contact) -> Result<(), ApiError>,
) -> Result<Contact, ApiError> {
    with_client(
        tx,
        cx,
        client,
        ClientAction::RecordContact,
        AuditAction::RecordUpdated,
        (CONTACT, id.to_string()),
        |tx, record| {
            let mut contact = readable(cx, store::get_contact(tx, client, id)?)?;
            change_versioned(
                tx,
                &mut contact,
                if_match,
                cx.now,
                |tx, contact| change(tx, record, contact).map(|()| true),
                |tx, contact, expected| Ok(store::update_contact(tx, contact, expected)?),
            )?;
            Ok(contact)
        },
    )
}

/// Replaces a draft's content; only its author, and a signed contact never
/// changes (409).
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    settings: &ContactSettings,
    client: ClientId,
    id: ContactId,
    if_match: &IfMatch,
    input: ContactInput,
) -> Result<Contact, ApiError> {
    change(tx, cx, client, id, if_match, |tx, record, contact| {
        if contact.status == ContactStatus::Signed {
            return Err(ContactError::Signed.into());
        }
        if contact.author_id != cx.actor.user_id {
            return Err(ApiError::Forbidden("only the contact's author changes it"));
        }
        let fields = checked(tx, cx, record, input)?;
        let start = settings.local_start(&fields);
        Ok(contact.revise(fields, start, &settings.rules, cx.now)?)
    })
}

/// Co-signs a contact another staff member signed; supervisors of the
/// client's team and admins. With `SPOKE_CONTACT_COSIGN_REQUIRED`, only
/// co-signed contacts are billed.
pub fn cosign(tx: &mut Tx, cx: &Cx, client: ClientId, id: ContactId) -> Result<Contact, ApiError> {
    with_client(
        tx,
        cx,
        client,
        ClientAction::CosignContact,
        AuditAction::RecordUpdated,
        (CONTACT, id.to_string()),
        |tx, _| {
            let mut contact = readable(cx, store::get_contact(tx, client, id)?)?;
            let cosignature = contact.cosign(cx.actor.user_id, cx.now)?;
            match store::insert_cosignature(tx, id, &cosignature) {
                // Another supervisor co-signed it at the same moment.
                Err(StoreError::Conflict(_)) => Err(ContactError::AlreadyCosigned.into()),
                other => Ok(other.map(|()| contact)?),
            }
        },
    )
}

/// Signs a draft as its author: from then on it never changes, and what it
/// bills under the payer's configuration is decided (the client's other
/// contacts that day counting toward the daily limit).
pub fn sign(
    tx: &mut Tx,
    cx: &Cx,
    settings: &ContactSettings,
    client: ClientId,
    id: ContactId,
    if_match: &IfMatch,
) -> Result<Contact, ApiError> {
    change(tx, cx, client, id, if_match, |tx, record, contact| {
        if contact.status == ContactStatus::Signed {
            return Err(ContactError::Signed.into());
        }
        if contact.author_id != cx.actor.user_id {
            return Err(ContactError::NotAuthor.into());
        }
        // The day's units are read and added to one signature at a time
        // per client, or two at once could each take the daily limit's room.
        clients::lock(tx, client)?;
        let config = store::latest_config(tx, &settings.payer)?.ok_or_else(|| {
            ApiError::internal(format!(
                "no billing configuration for the payer {:?}",
                settings.payer
            ))
        })?;
        let that_day = store::units_billed_on(
            tx,
            client,
            contact.date_of_service,
            &settings.payer,
            contact.fields.amends,
        )?;
        let billed = bill(
            &config,
            &contact.fields,
            record.details.medicaid_id.is_some(),
            that_day,
        );
        Ok(contact.sign(cx.actor.user_id, cx.today, billed, &settings.rules, cx.now)?)
    })
}
