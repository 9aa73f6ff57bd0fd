//! The outbox worker's one use case: record what an attempt to deliver a
//! webhook got back, and account for what a partner was told.

use std::time::Duration;

use chrono::{DateTime, Utc};
use spoke_domain::ids::DisclosureId;
use spoke_domain::partner::{Attempt, Channel, Delivery, Disclosure};
use spoke_persistence::referrals::{get_consent, get_referral};
use spoke_persistence::webhooks::{self as store, Claimed};

use crate::db::Tx;
use crate::problem::ApiError;

/// Records `attempt` of `delivery` made at `now` (see
/// [`Delivery::record_attempt`] for the retry schedule, in units of
/// `unit`). A delivery that reached a partner organization is a disclosure,
/// under the consent that covered the referral when it was sent, recorded
/// in the same transaction.
///
/// Recorded only under the claim the attempt was made under: when the claim
/// lapsed and another worker took the delivery, this record is refused (and
/// with it the disclosure), and the other worker's stands.
pub fn record_attempt(
    tx: &mut Tx,
    claimed: Claimed,
    attempt: Attempt,
    now: DateTime<Utc>,
    unit: Duration,
) -> Result<Delivery, ApiError> {
    let Claimed {
        mut delivery,
        hook,
        claim,
    } = claimed;
    delivery.record_attempt(attempt, now, unit);
    store::save_attempt(tx, &delivery, &claim)?;
    if let (true, Some(organization)) = (delivery.is_delivered(), hook.organization_id) {
        let referral = get_referral(tx, delivery.referral_id)?;
        let consent = match referral.consent_id {
            Some(id) => Some(get_consent(tx, referral.client_id, id)?),
            None => None,
        };
        tx.disclose(Disclosure {
            id: DisclosureId::generate(),
            client_id: delivery.client_id,
            organization_id: organization,
            api_client_id: None,
            referral_id: Some(delivery.referral_id),
            channel: Channel::Webhook,
            disclosed: format!(
                "{} event: the referral and its change",
                delivery.event.as_str()
            ),
            purpose: consent.as_ref().map_or_else(
                || "Referral status notification".to_owned(),
                |c| c.fields.purpose.to_string(),
            ),
            consent_id: consent.map(|c| c.id),
            disclosed_at: now,
        });
    }
    Ok(delivery)
}
