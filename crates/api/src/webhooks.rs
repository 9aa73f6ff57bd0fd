//! Referral events pushed to subscribers: written to the outbox in the
//! transaction of the change, delivered by a background worker in order per
//! referral, signed in the Standard Webhooks style, retried with backoff
//! for more than a day. Pending deliveries live in the database, so a
//! restart loses nothing; receivers drop duplicates by `webhook-id`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use spoke_domain::ids::{DisclosureId, OutboxEventId};
use spoke_domain::referral::{Referral, ReferralEvent, ReferralStatus, Side};
use spoke_persistence::referrals::{
    Channel, Disclosure, get_consent, get_referral, record_disclosure,
};
use spoke_persistence::webhooks::{self as store, Delivery, DeliveryStatus, Webhook};
use spoke_persistence::{Database, DbConnection, transaction};

use crate::problem::ApiError;
use crate::routes::referrals::ReferralView;

/// The event types a subscription may ask for.
pub const EVENT_TYPES: [&str; 3] = [
    "referral.created",
    "referral.status_changed",
    "referral.updated",
];

/// Waits between attempts, in units of the worker's base delay (5 s in
/// production): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h,
/// 8 h: about 32 hours in all before a delivery is given up.
const BACKOFF_UNITS: [u32; 11] = [1, 6, 24, 120, 360, 720, 1440, 2880, 5760, 5760, 5760];

/// A new signing secret, `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` value for a message: `v1,` and the base64
/// HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's bytes.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, ApiError> {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(ApiError::internal)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(ApiError::internal)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Writes the event of a referral change to the outbox of every
/// subscription that hears it, in the caller's transaction. A partner's
/// subscription never hears of a draft. `today` is the agency's day (the
/// referral's `overdue` is judged against it, as every read judges it).
pub fn enqueue(
    conn: &mut DbConnection,
    referral: &Referral,
    event_type: &str,
    event: &ReferralEvent,
    today: chrono::NaiveDate,
) -> Result<(), ApiError> {
    let event_id = OutboxEventId::generate();
    let now = spoke_persistence::now();
    for listener in store::listeners(conn, referral.organization_id)? {
        let partner = listener.organization_id.is_some();
        if partner && referral.status == ReferralStatus::Draft {
            continue;
        }
        if !listener.event_types.iter().any(|t| t == event_type) {
            continue;
        }
        let side = if partner {
            Side::Performer
        } else {
            Side::Requester
        };
        let payload = serde_json::json!({
            "type": event_type,
            "timestamp": now,
            "data": {
                "referral": ReferralView::of(referral, side, today),
                "change": event,
            }
        });
        store::enqueue(
            conn,
            &Delivery {
                id: uuid::Uuid::now_v7().to_string(),
                event_id,
                webhook_id: listener.id,
                referral_id: referral.id,
                client_id: referral.client_id,
                event_type: event_type.to_owned(),
                payload: payload.to_string(),
                created_at: now,
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                last_attempt_at: None,
                last_status_code: None,
                last_error: None,
                delivered_at: None,
            },
        )?;
    }
    Ok(())
}

/// How the worker runs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// One backoff unit (5 s in production).
    pub backoff_unit: Duration,
    /// How often the outbox is polled.
    pub poll: Duration,
    /// How long a receiver may take to answer.
    pub timeout: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            backoff_unit: Duration::from_secs(5),
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
        }
    }
}

/// POSTs one delivery; `Ok(status)` for an HTTP answer, `Err` for no answer.
fn post(agent: &ureq::Agent, hook: &Webhook, d: &Delivery) -> Result<u16, String> {
    let timestamp = Utc::now().timestamp();
    let id = d.event_id.to_string();
    let signature = sign(&hook.secret, &id, timestamp, &d.payload).map_err(|e| e.to_string())?;
    agent
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", &timestamp.to_string())
        .header("webhook-signature", &signature)
        .send(d.payload.as_str())
        .map(|response| response.status().as_u16())
        .map_err(|error| error.to_string())
}

/// One pass over the outbox: attempts every due delivery and records the
/// outcome (and, for a partner, the disclosure) in a transaction.
pub fn deliver_due(
    database: &Database,
    agent: &ureq::Agent,
    settings: &WorkerSettings,
) -> Result<usize, ApiError> {
    let mut conn = database.conn()?;
    let due = store::due(&mut conn, spoke_persistence::now(), 50)?;
    let count = due.len();
    for mut delivery in due {
        let hook = store::get_webhook(&mut conn, delivery.webhook_id)?;
        let outcome = post(agent, &hook, &delivery);
        let now = spoke_persistence::now();
        delivery.attempts += 1;
        delivery.last_attempt_at = Some(now);
        match &outcome {
            Ok(status) => {
                delivery.last_status_code = Some(i32::from(*status));
                delivery.last_error = None;
            }
            Err(error) => {
                delivery.last_status_code = None;
                delivery.last_error = Some(error.chars().take(500).collect());
            }
        }
        let delivered = matches!(outcome, Ok(status) if (200..300).contains(&status));
        if delivered {
            delivery.status = DeliveryStatus::Delivered;
            delivery.delivered_at = Some(now);
        } else {
            match usize::try_from(delivery.attempts - 1)
                .ok()
                .and_then(|n| BACKOFF_UNITS.get(n))
            {
                Some(units) => {
                    let wait = settings.backoff_unit * *units;
                    delivery.next_attempt_at =
                        now + chrono::Duration::from_std(wait).map_err(ApiError::internal)?;
                }
                None => delivery.status = DeliveryStatus::Failed,
            }
        }
        transaction(&mut conn, |conn| {
            store::save_attempt(conn, &delivery)?;
            if let (true, Some(org)) = (delivered, hook.organization_id) {
                // The consent that covered the referral when it was sent.
                let referral = get_referral(conn, delivery.referral_id)?;
                let consent = match referral.consent_id {
                    Some(id) => Some(get_consent(conn, referral.client_id, id)?),
                    None => None,
                };
                record_disclosure(
                    conn,
                    &Disclosure {
                        id: DisclosureId::generate(),
                        client_id: delivery.client_id,
                        organization_id: org,
                        api_client_id: None,
                        referral_id: Some(delivery.referral_id),
                        channel: Channel::Webhook,
                        disclosed: format!(
                            "{} event: the referral and its change",
                            delivery.event_type
                        ),
                        purpose: consent.as_ref().map_or_else(
                            || "Referral status notification".to_owned(),
                            |c| c.fields.purpose.to_string(),
                        ),
                        consent_id: consent.map(|c| c.id),
                        disclosed_at: now,
                    },
                )?;
            }
            Ok::<(), ApiError>(())
        })?;
    }
    Ok(count)
}

/// Runs the delivery worker on the server's runtime: it stops with the
/// server. The HTTP calls run on the blocking pool.
pub fn spawn_worker(database: Database, settings: WorkerSettings) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(settings.timeout))
        .build()
        .into();
    actix_web::rt::spawn(async move {
        loop {
            let (database, agent) = (database.clone(), agent.clone());
            let pass =
                actix_web::web::block(move || deliver_due(&database, &agent, &settings)).await;
            match pass {
                Ok(Ok(0)) => actix_web::rt::time::sleep(settings.poll).await,
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "webhook delivery pass failed");
                    actix_web::rt::time::sleep(settings.poll).await;
                }
                Err(error) => {
                    tracing::warn!(%error, "webhook delivery pass failed");
                    actix_web::rt::time::sleep(settings.poll).await;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn retries_span_more_than_a_day() {
        let total: u32 = BACKOFF_UNITS.iter().sum();
        assert!(Duration::from_secs(5) * total > Duration::from_secs(24 * 3600));
    }
}
