//! Partner organizations: the API clients admins give them, the referrals
//! sent to them as they see them (every read with client facts accounted
//! as a disclosure), their moves, their services' capacity, and webhook
//! subscriptions (theirs and the admins').

use spoke_domain::consent::{Consent, covering_consent};
use spoke_domain::directory::{CapacityState, Service};
use spoke_domain::ids::{
    ApiClientId, ClientId, DisclosureId, OrganizationId, ReferralId, ServiceId, WebhookId,
};
use spoke_domain::partner::{ApiClient, Channel, Delivery, Disclosure, Webhook};
use spoke_domain::policy::{Actor, StaffAction, authorize_partner_service, authorize_staff};
use spoke_domain::referral::{MoveInput, MovedBy, Referral, ReferralStatus};
use spoke_persistence::directory::{SearchKeyset, ServiceHit, ServiceQuery};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::referrals::{self as store, ReferralFilter, ReferralScope};
use spoke_persistence::webhooks as hooks;
use spoke_persistence::{DbConnection, StoreError, clients, directory};

use crate::auth::Partner;
use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::referrals::save_move;
use crate::usecases::{allowed, must_exist};

/// Partner access is managed by admins only.
pub fn admin_only(actor: &Actor) -> Result<(), ApiError> {
    allowed(
        authorize_staff(actor, StaffAction::ManageUsers),
        "only an admin manages partner access",
    )
}

// --------------------------------------------------------------- API clients

/// Registers an API client of `organization` whose secret hashes to
/// `secret_hash`. Admins only.
pub fn register_client(
    tx: &mut Tx,
    cx: &Cx,
    organization: OrganizationId,
    name: String,
    secret_hash: String,
) -> Result<ApiClient, ApiError> {
    admin_only(&cx.actor)?;
    directory::get_organization(tx, organization)?;
    let client = ApiClient::new(organization, name, secret_hash, cx.now);
    store::insert_api_client(tx, &client)?;
    Ok(client)
}

/// An organization's API clients. Admins only.
pub fn clients_of(
    tx: &mut Tx,
    cx: &Cx,
    organization: OrganizationId,
) -> Result<Vec<ApiClient>, ApiError> {
    admin_only(&cx.actor)?;
    directory::get_organization(tx, organization)?;
    Ok(store::organization_api_clients(tx, organization)?)
}

/// Rotates an API client's secret (`Some(hash)`) or revokes it (`None`),
/// under the caller's If-Match. Admins only.
pub fn change_client(
    tx: &mut Tx,
    cx: &Cx,
    id: ApiClientId,
    if_match: &IfMatch,
    new_secret_hash: Option<String>,
) -> Result<ApiClient, ApiError> {
    admin_only(&cx.actor)?;
    let mut client = store::get_api_client(tx, id)?;
    if_match.check(client.version)?;
    let expected = client.version;
    match new_secret_hash {
        Some(hash) => client.rotate(hash, cx.now)?,
        None => client.revoke(cx.now)?,
    }
    store::update_api_client(tx, &client, expected)?;
    Ok(client)
}

/// The API client `id`, if there is one (for the token endpoint, which
/// checks the secret outside any transaction).
pub fn find_client(tx: &mut Tx, id: ApiClientId) -> Result<Option<ApiClient>, ApiError> {
    match store::get_api_client(tx, id) {
        Ok(client) => Ok(Some(client)),
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

// ------------------------------------------------------ the partner's view

/// A referral as its partner sees it: the client's minimum necessary facts
/// and the consent's scope while a consent covers the organization.
#[derive(Debug)]
pub struct Disclosed {
    pub referral: Referral,
    pub client: Option<spoke_domain::client::Client>,
    pub consent_scope: Vec<spoke_domain::consent::ConsentCategory>,
}

/// Loads a referral sent to `partner`'s organization; any other, and any
/// draft, is not found.
fn partner_referral(
    conn: &mut DbConnection,
    partner: &Partner,
    id: ReferralId,
) -> Result<Referral, ApiError> {
    let referral = store::get_referral(conn, id)?;
    if referral.organization_id != partner.organization || referral.status == ReferralStatus::Draft
    {
        return Err(ApiError::NotFound);
    }
    Ok(referral)
}

/// What the partner may see of each of `referrals`, accounting for each
/// disclosure of client facts in the unit of work's trail. The consents and
/// the clients of the whole page are read in two queries, not two per
/// referral.
fn disclose_all(
    tx: &mut Tx,
    partner: &Partner,
    referrals: Vec<Referral>,
    at: chrono::DateTime<chrono::Utc>,
    today: chrono::NaiveDate,
) -> Result<Vec<Disclosed>, ApiError> {
    let mut client_ids: Vec<ClientId> = referrals.iter().map(|r| r.client_id).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let consents = store::consents_of(tx, &client_ids)?;
    let covering: Vec<Option<Consent>> = referrals
        .iter()
        .map(|r| {
            let of_client = consents.get(&r.client_id).map_or(&[][..], Vec::as_slice);
            covering_consent(of_client, r.organization_id, &r.fields.categories, today).cloned()
        })
        .collect();
    let shown: Vec<ClientId> = referrals
        .iter()
        .zip(&covering)
        .filter(|(_, consent)| consent.is_some())
        .map(|(r, _)| r.client_id)
        .collect();
    let facts = clients::get_many(tx, &shown)?;
    let mut disclosed = Vec::with_capacity(referrals.len());
    for (referral, consent) in referrals.into_iter().zip(covering) {
        let Some(consent) = consent else {
            disclosed.push(Disclosed {
                referral,
                client: None,
                consent_scope: Vec::new(),
            });
            continue;
        };
        let client = facts
            .get(&referral.client_id)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        tx.disclose(Disclosure {
            id: DisclosureId::generate(),
            client_id: referral.client_id,
            organization_id: partner.organization,
            api_client_id: Some(partner.client),
            referral_id: Some(referral.id),
            channel: Channel::Read,
            disclosed: "name, date of birth, phone, preferred language, referral reason and needs"
                .to_owned(),
            purpose: consent.fields.purpose.to_string(),
            consent_id: Some(consent.id),
            disclosed_at: at,
        });
        disclosed.push(Disclosed {
            referral,
            client: Some(client),
            consent_scope: consent.fields.categories.iter().copied().collect(),
        });
    }
    Ok(disclosed)
}

/// A page of the referrals sent to the partner's organization (drafts
/// never), each one a disclosure when a consent lets the client's facts
/// through.
pub fn referrals(
    tx: &mut Tx,
    partner: &Partner,
    filter: &ReferralFilter,
    after: Option<&Keyset>,
    limit: usize,
    (now, today): (chrono::DateTime<chrono::Utc>, chrono::NaiveDate),
) -> Result<Page<Disclosed>, ApiError> {
    let page = store::list_referrals(
        tx,
        &ReferralScope::Partner(partner.organization),
        filter,
        after,
        limit,
    )?;
    Ok(Page {
        items: disclose_all(tx, partner, page.items, now, today)?,
        next: page.next,
    })
}

/// One referral sent to the partner's organization, accounted as a
/// disclosure.
pub fn referral(
    tx: &mut Tx,
    partner: &Partner,
    id: ReferralId,
    (now, today): (chrono::DateTime<chrono::Utc>, chrono::NaiveDate),
) -> Result<Disclosed, ApiError> {
    let referral = partner_referral(tx, partner, id)?;
    disclose_all(tx, partner, vec![referral], now, today)?
        .pop()
        .ok_or_else(|| ApiError::internal("a disclosed referral went missing"))
}

/// Moves a referral as its performer (accept, reject, start, hold, fail,
/// complete) under the caller's If-Match; subscribers hear it.
pub fn move_as_performer(
    tx: &mut Tx,
    partner: &Partner,
    id: ReferralId,
    if_match: &IfMatch,
    input: MoveInput,
    (now, today): (chrono::DateTime<chrono::Utc>, chrono::NaiveDate),
) -> Result<Referral, ApiError> {
    let mut referral = partner_referral(tx, partner, id)?;
    if_match.check(referral.version)?;
    let expected = referral.version;
    let by = MovedBy::Partner {
        organization_id: partner.organization,
    };
    let event = referral.move_to(by, input, None, today, now)?;
    save_move(tx, &referral, expected, &event, now, today)?;
    tx.touch_client(referral.client_id);
    tx.record_change(spoke_domain::change::Change {
        record_type: "referral".to_owned(),
        record_id: referral.id.to_string(),
        client_id: referral.client_id,
        action: "record.updated".to_owned(),
        at: now,
    });
    Ok(referral)
}

/// The partner organization's own services, by name, `limit` at a time.
pub fn own_services(
    tx: &mut Tx,
    partner: &Partner,
    after: Option<&SearchKeyset>,
    limit: usize,
) -> Result<Page<ServiceHit, SearchKeyset>, ApiError> {
    let query = ServiceQuery {
        organization: Some(partner.organization),
        ..ServiceQuery::default()
    };
    Ok(directory::search_services(tx, &query, after, limit)?)
}

/// Reports the capacity of one of the partner's own services (another's
/// is a 404).
pub fn report_capacity(
    tx: &mut Tx,
    partner: &Partner,
    id: ServiceId,
    if_match: &IfMatch,
    capacity: CapacityState,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Service, ApiError> {
    let mut service = directory::get_service(tx, id)?;
    allowed(
        authorize_partner_service(partner.organization, service.organization_id),
        "only your organization's services",
    )?;
    crate::usecases::change_versioned(
        tx,
        &mut service,
        if_match,
        now,
        |_, service| {
            service.capacity = Some(capacity);
            Ok(true)
        },
        |tx, service, expected| Ok(directory::update_service(tx, service, expected)?),
    )?;
    Ok(service)
}

// ------------------------------------------------------------------ webhooks

/// Stores a new subscription; a named organization must exist.
pub fn subscribe(tx: &mut Tx, hook: Webhook) -> Result<Webhook, ApiError> {
    if let Some(org) = hook.organization_id {
        must_exist("organization_id", directory::get_organization(tx, org))?;
    }
    hooks::insert_webhook(tx, &hook)?;
    Ok(hook)
}

/// The subscriptions of the partner's organization.
pub fn partner_webhooks(tx: &mut Tx, partner: &Partner) -> Result<Vec<Webhook>, ApiError> {
    Ok(hooks::organization_webhooks(
        tx,
        Some(partner.organization),
    )?)
}

/// The latest 100 deliveries of a subscription, newest first. Admins only.
pub fn deliveries(tx: &mut Tx, cx: &Cx, id: WebhookId) -> Result<Vec<Delivery>, ApiError> {
    admin_only(&cx.actor)?;
    hooks::get_webhook(tx, id)?;
    Ok(hooks::deliveries_of(tx, id, 100)?)
}

/// Stops a subscription; its deliveries not yet made fail. Admins only.
pub fn disable_webhook(tx: &mut Tx, cx: &Cx, id: WebhookId) -> Result<(), ApiError> {
    admin_only(&cx.actor)?;
    Ok(hooks::disable_webhook(tx, id, cx.now)?)
}
