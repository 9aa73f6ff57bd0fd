//! Consents and closed-loop referrals, staff side: record and revoke
//! consents, draft referrals, send them only under a covering consent,
//! change, cancel and redirect them, follow their history; the accounting
//! of disclosures. Every change a subscriber hears goes to the webhook
//! outbox in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use spoke_domain::audit::{AuditAction, AuditEvent, ResourceType};
use spoke_domain::consent::{Consent, ConsentError, ConsentFields, Recipient, covering_consent};
use spoke_domain::ids::{ClientId, ConsentId, ReferralId, ServiceId};
use spoke_domain::partner::{Disclosure, WebhookEvent};
use spoke_domain::policy::{ClientAction, client_scope};
use spoke_domain::referral::{
    MoveInput, MovedBy, Referral, ReferralEvent, ReferralFields, ReferralStatus,
};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::referrals::{self as store, ReferralFilter, ReferralScope};
use spoke_persistence::{DbConnection, directory};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::clients::{load, under_client};
use crate::usecases::{change_versioned, must_exist};
use crate::webhooks;

const CONSENT: ResourceType = ResourceType::Consent;
const REFERRAL: ResourceType = ResourceType::Referral;

/// The consent covering `referral` on `day`, if any.
pub fn consent_for(
    conn: &mut DbConnection,
    referral: &Referral,
    day: NaiveDate,
) -> Result<Option<Consent>, ApiError> {
    let consents = store::client_consents(conn, referral.client_id)?;
    Ok(covering_consent(
        &consents,
        referral.organization_id,
        &referral.fields.categories,
        day,
    )
    .cloned())
}

/// Records a client's consent; the client's keepers.
pub fn record_consent(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    fields: ConsentFields,
) -> Result<Consent, ApiError> {
    let consent = Consent::new(client, fields, cx.actor.user_id, cx.now);
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (CONSENT, consent.id.to_string()),
        |tx| {
            if let Recipient::Organization(org) = consent.fields.recipient {
                must_exist(
                    "recipient_organization_id",
                    directory::get_organization(tx, org),
                )?;
            }
            store::insert_consent(tx, &consent)?;
            Ok(consent)
        },
    )
}

/// Every consent of a client, revoked ones included.
pub fn consents(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<Vec<Consent>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Consents, client.to_string()),
        |tx| Ok(store::client_consents(tx, client)?),
    )
}

/// Revokes a consent from now on; what it let through stays accounted.
pub fn revoke_consent(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: ConsentId,
    if_match: &IfMatch,
    reason: &str,
) -> Result<Consent, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        (CONSENT, id.to_string()),
        |tx| {
            let mut consent = store::get_consent(tx, client, id)?;
            change_versioned(
                tx,
                &mut consent,
                if_match,
                cx.now,
                |_, consent| {
                    consent
                        .revoke(reason, cx.now)
                        .map_err(|error| match error {
                            ConsentError::AlreadyRevoked => ApiError::Conflict(error.to_string()),
                            ConsentError::ReasonRequired => ApiError::invalid_field(
                                "reason",
                                "required",
                                "a revocation needs a reason",
                            ),
                        })?;
                    Ok(true)
                },
                |tx, consent, expected| Ok(store::update_consent(tx, consent, expected)?),
            )?;
            Ok(consent)
        },
    )
}

/// Loads a referral the actor may `action` on through its client.
fn load_referral(
    conn: &mut DbConnection,
    cx: &Cx,
    id: ReferralId,
    action: ClientAction,
) -> Result<Referral, ApiError> {
    let referral = store::get_referral(conn, id)?;
    load(conn, &cx.actor, referral.client_id, action, cx.today)?;
    Ok(referral)
}

/// Works on a referral the actor may `action` on, then records the audit
/// event `audit` about it.
fn on_referral<T>(
    tx: &mut Tx,
    cx: &Cx,
    id: ReferralId,
    action: ClientAction,
    audit: AuditAction,
    work: impl FnOnce(&mut Tx, Referral) -> Result<(Referral, T), ApiError>,
) -> Result<T, ApiError> {
    let referral = load_referral(tx, cx, id, action)?;
    let (referral, value) = work(tx, referral)?;
    tx.audit(spoke_domain::audit::AuditEvent::for_record(
        cx.actor.user_id,
        audit,
        referral.client_id,
        (REFERRAL, referral.id.to_string()),
        &cx.request_id,
        cx.now,
    ));
    Ok(value)
}

/// Stores a new draft, tells subscribers and audits it.
fn insert_draft(
    tx: &mut Tx,
    cx: &Cx,
    referral: &Referral,
    created: &ReferralEvent,
) -> Result<(), ApiError> {
    store::insert_referral(tx, referral, created)?;
    webhooks::enqueue(
        tx,
        referral,
        WebhookEvent::ReferralCreated,
        created,
        cx.now,
        cx.today,
    )
}

/// Drafts a referral of `client` to a service in the directory; the
/// client's keepers.
pub fn draft(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    fields: ReferralFields,
) -> Result<Referral, ApiError> {
    let id = ReferralId::generate();
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (REFERRAL, id.to_string()),
        |tx| {
            let service = must_exist("service_id", directory::get_service(tx, fields.service_id))?;
            let (mut referral, created) = Referral::draft(
                client,
                service.organization_id,
                fields,
                cx.actor.user_id,
                cx.now,
            );
            referral.id = id;
            insert_draft(tx, cx, &referral, &created)?;
            Ok(referral)
        },
    )
}

/// A page of the referrals of every client the actor may see.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: &ReferralFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Referral>, ApiError> {
    let scope = ReferralScope::Staff(client_scope(&cx.actor, cx.today));
    Ok(store::list_referrals(tx, &scope, filter, after, limit)?)
}

pub fn get(tx: &mut Tx, cx: &Cx, id: ReferralId) -> Result<Referral, ApiError> {
    on_referral(
        tx,
        cx,
        id,
        ClientAction::Read,
        AuditAction::RecordRead,
        |_, referral| Ok((referral.clone(), referral)),
    )
}

/// Every move of a referral, oldest first.
pub fn history(tx: &mut Tx, cx: &Cx, id: ReferralId) -> Result<Vec<ReferralEvent>, ApiError> {
    load_referral(tx, cx, id, ClientAction::Read)?;
    Ok(store::history(tx, id)?)
}

/// Replaces a referral's content while the loop is open (see
/// [`Referral::revise`]); subscribers hear `referral.updated`.
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    id: ReferralId,
    if_match: &IfMatch,
    fields: ReferralFields,
) -> Result<Referral, ApiError> {
    on_referral(
        tx,
        cx,
        id,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        |tx, mut referral| {
            if_match.check(referral.version)?;
            let service = must_exist("service_id", directory::get_service(tx, fields.service_id))?;
            let mut proposed = referral.clone();
            proposed.fields = fields.clone();
            let consent = consent_for(tx, &proposed, cx.today)?.map(|c| c.id);
            let expected = referral.version;
            referral.revise(fields, service.organization_id, consent, cx.now)?;
            store::update_referral(tx, &referral, expected)?;
            let change = referral.revision_event(cx.actor.user_id);
            webhooks::enqueue(
                tx,
                &referral,
                WebhookEvent::ReferralUpdated,
                &change,
                cx.now,
                cx.today,
            )?;
            Ok((referral.clone(), referral))
        },
    )
}

/// Moves a referral as its requester: send it (only under a consent that
/// covers its organization and categories today) or cancel it.
pub fn move_as_requester(
    tx: &mut Tx,
    cx: &Cx,
    id: ReferralId,
    if_match: &IfMatch,
    input: MoveInput,
) -> Result<Referral, ApiError> {
    on_referral(
        tx,
        cx,
        id,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        |tx, mut referral| {
            if_match.check(referral.version)?;
            let consent = if input.status == ReferralStatus::Requested {
                consent_for(tx, &referral, cx.today)?.map(|c| c.id)
            } else {
                None
            };
            let expected = referral.version;
            let by = MovedBy::Staff {
                user_id: cx.actor.user_id,
            };
            let event = referral.move_to(by, input, consent, cx.today, cx.now)?;
            save_move(tx, &referral, expected, &event, cx.now, cx.today)?;
            Ok((referral.clone(), referral))
        },
    )
}

/// Stores a move made at `now` and its history entry, and tells
/// subscribers.
pub(crate) fn save_move(
    tx: &mut Tx,
    referral: &Referral,
    expected: i32,
    event: &ReferralEvent,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<(), ApiError> {
    store::save_move(tx, referral, expected, event)?;
    webhooks::enqueue(
        tx,
        referral,
        WebhookEvent::ReferralStatusChanged,
        event,
        now,
        today,
    )
}

/// Records that `client` reached the service of `referral` on `day` (the
/// first appointment there was kept): sets its `linked_on` while the loop
/// is open and it has none, tells subscribers (`referral.updated`) and
/// audits the change. Part of the caller's unit of work.
pub(crate) fn link_visit(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    referral: ReferralId,
    day: NaiveDate,
) -> Result<(), ApiError> {
    let mut referral = store::get_referral(tx, referral)?;
    let expected = referral.version;
    if referral.client_id != client || !referral.link_visit(day, cx.now) {
        return Ok(());
    }
    store::update_referral(tx, &referral, expected)?;
    let change = referral.revision_event(cx.actor.user_id);
    webhooks::enqueue(
        tx,
        &referral,
        WebhookEvent::ReferralUpdated,
        &change,
        cx.now,
        cx.today,
    )?;
    tx.audit(AuditEvent::for_record(
        cx.actor.user_id,
        AuditAction::RecordUpdated,
        client,
        (ResourceType::Referral, referral.id.to_string()),
        &cx.request_id,
        cx.now,
    ));
    Ok(())
}

/// A new draft to another service for a rejected referral (see
/// [`Referral::redirect`]).
pub fn redirect(
    tx: &mut Tx,
    cx: &Cx,
    id: ReferralId,
    service_id: ServiceId,
) -> Result<Referral, ApiError> {
    let rejected = load_referral(tx, cx, id, ClientAction::ManageCare)?;
    let service = must_exist("service_id", directory::get_service(tx, service_id))?;
    let (referral, created) = rejected.redirect(
        service_id,
        service.organization_id,
        cx.actor.user_id,
        cx.now,
    )?;
    insert_draft(tx, cx, &referral, &created)?;
    tx.audit(spoke_domain::audit::AuditEvent::for_record(
        cx.actor.user_id,
        AuditAction::RecordCreated,
        referral.client_id,
        (REFERRAL, referral.id.to_string()),
        &cx.request_id,
        cx.now,
    ));
    Ok(referral)
}

/// A page of the accounting of disclosures of a client, newest first.
pub fn disclosures(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Disclosure>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Disclosures, client.to_string()),
        |tx| Ok(store::client_disclosures(tx, client, after, limit)?),
    )
}
