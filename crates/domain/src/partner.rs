//! Partner organizations' side of the loop: their OAuth clients, what they
//! were told about clients (the accounting of disclosures), and the webhook
//! subscriptions and deliveries that push referral events to them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{
    ApiClientId, ClientId, ConsentId, DisclosureId, OrganizationId, OutboxEventId, ReferralId,
    WebhookId,
};

/// A partner organization's OAuth client (client credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub id: ApiClientId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// The argon2 hash of the secret; the secret itself is shown once.
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// Why an API client refuses a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiClientError {
    #[error("this API client is revoked")]
    Revoked,
}

impl ApiClient {
    pub fn new(
        organization_id: OrganizationId,
        name: String,
        secret_hash: String,
        now: DateTime<Utc>,
    ) -> ApiClient {
        ApiClient {
            id: ApiClientId::generate(),
            organization_id,
            name,
            secret_hash,
            created_at: now,
            rotated_at: None,
            revoked_at: None,
            version: 1,
        }
    }

    /// Whether the client may still be issued tokens.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Replaces the secret (by its hash); the old one stops working.
    pub fn rotate(
        &mut self,
        secret_hash: String,
        now: DateTime<Utc>,
    ) -> Result<(), ApiClientError> {
        if !self.is_active() {
            return Err(ApiClientError::Revoked);
        }
        self.secret_hash = secret_hash;
        self.rotated_at = Some(now);
        self.version += 1;
        Ok(())
    }

    /// Revokes the client for good.
    pub fn revoke(&mut self, now: DateTime<Utc>) -> Result<(), ApiClientError> {
        if !self.is_active() {
            return Err(ApiClientError::Revoked);
        }
        self.revoked_at = Some(now);
        self.version += 1;
        Ok(())
    }
}

/// How information reached a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "read"))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The partner fetched it.
    Read,
    /// It was pushed to the partner's webhook.
    Webhook,
}

/// One disclosure of client information to a partner organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub id: DisclosureId,
    pub client_id: ClientId,
    pub organization_id: OrganizationId,
    pub api_client_id: Option<ApiClientId>,
    pub referral_id: Option<ReferralId>,
    pub channel: Channel,
    /// What was disclosed, in words (the fields or record sent).
    pub disclosed: String,
    pub purpose: String,
    pub consent_id: Option<ConsentId>,
    pub disclosed_at: DateTime<Utc>,
}

/// The events a webhook subscription may hear. Closed: a subscription to
/// anything else is refused, and nothing else is ever sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "referral.status_changed"))]
pub enum WebhookEvent {
    #[serde(rename = "referral.created")]
    ReferralCreated,
    #[serde(rename = "referral.status_changed")]
    ReferralStatusChanged,
    #[serde(rename = "referral.updated")]
    ReferralUpdated,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 3] = [
        WebhookEvent::ReferralCreated,
        WebhookEvent::ReferralStatusChanged,
        WebhookEvent::ReferralUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::ReferralCreated => "referral.created",
            WebhookEvent::ReferralStatusChanged => "referral.status_changed",
            WebhookEvent::ReferralUpdated => "referral.updated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == raw)
    }
}

/// A subscription to referral events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    /// `None`: an admin's subscription to every referral.
    pub organization_id: Option<OrganizationId>,
    pub url: String,
    pub secret: String,
    pub events: Vec<WebhookEvent>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Webhook {
    /// A new subscription of `organization` (`None`: the admins', to every
    /// referral) to `events`.
    pub fn new(
        organization_id: Option<OrganizationId>,
        url: String,
        secret: String,
        events: Vec<WebhookEvent>,
        now: DateTime<Utc>,
    ) -> Webhook {
        Webhook {
            id: WebhookId::generate(),
            organization_id,
            url,
            secret,
            events,
            created_at: now,
            disabled_at: None,
        }
    }

    /// Whether the subscription belongs to a partner organization (which
    /// never hears of a draft) rather than to the agency's admins.
    pub fn is_partner(&self) -> bool {
        self.organization_id.is_some()
    }

    pub fn hears(&self, event: WebhookEvent) -> bool {
        self.events.contains(&event)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "delivered"))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Given up after the retry schedule, or the subscription was disabled.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

/// Waits between attempts, in units of the worker's base delay (5 s in
/// production): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h,
/// 8 h: about 32 hours in all before a delivery is given up.
pub const RETRY_UNITS: [u32; 11] = [1, 6, 24, 120, 360, 720, 1440, 2880, 5760, 5760, 5760];

/// What one attempt to deliver got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// An HTTP answer with this status.
    Answered(u16),
    /// No answer: the connection failed or timed out.
    NoAnswer(String),
}

/// One event on its way to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    /// Shared by the deliveries of one event to several subscriptions; sent
    /// as `webhook-id`, by which receivers drop duplicates.
    pub event_id: OutboxEventId,
    pub webhook_id: WebhookId,
    pub referral_id: ReferralId,
    pub client_id: ClientId,
    pub event: WebhookEvent,
    /// The JSON body sent.
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Delivery {
    /// Records an attempt made at `now`: a 2xx answer delivers it; any
    /// other outcome schedules the next try after the retry schedule's wait
    /// (in units of `unit`), or gives up once the schedule is spent.
    pub fn record_attempt(&mut self, attempt: Attempt, now: DateTime<Utc>, unit: Duration) {
        self.attempts += 1;
        self.last_attempt_at = Some(now);
        let delivered = match attempt {
            Attempt::Answered(status) => {
                self.last_status_code = Some(i32::from(status));
                self.last_error = None;
                (200..300).contains(&status)
            }
            Attempt::NoAnswer(error) => {
                self.last_status_code = None;
                self.last_error = Some(error.chars().take(500).collect());
                false
            }
        };
        if delivered {
            self.status = DeliveryStatus::Delivered;
            self.delivered_at = Some(now);
            return;
        }
        let wait = usize::try_from(self.attempts - 1)
            .ok()
            .and_then(|n| RETRY_UNITS.get(n))
            .and_then(|units| chrono::Duration::from_std(unit * *units).ok());
        match wait {
            Some(wait) => self.next_attempt_at = now + wait,
            None => self.status = DeliveryStatus::Failed,
        }
    }

    pub fn is_delivered(&self) -> bool {
        self.status == DeliveryStatus::Delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pending(now: DateTime<Utc>) -> Delivery {
        Delivery {
            id: "d".into(),
            event_id: OutboxEventId::generate(),
            webhook_id: WebhookId::generate(),
            referral_id: ReferralId::generate(),
            client_id: ClientId::generate(),
            event: WebhookEvent::ReferralCreated,
            payload: "{}".into(),
            created_at: now,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_attempt_at: None,
            last_status_code: None,
            last_error: None,
            delivered_at: None,
        }
    }

    #[test]
    fn a_revoked_client_is_neither_rotated_nor_revoked_again() {
        let now = Utc::now();
        let mut client = ApiClient::new(OrganizationId::generate(), "x".into(), "h1".into(), now);
        client.rotate("h2".into(), now).unwrap();
        assert_eq!((client.secret_hash.as_str(), client.version), ("h2", 2));
        client.revoke(now).unwrap();
        assert!(!client.is_active());
        assert_eq!(
            client.rotate("h3".into(), now),
            Err(ApiClientError::Revoked)
        );
        assert_eq!(client.revoke(now), Err(ApiClientError::Revoked));
        assert_eq!((client.secret_hash.as_str(), client.version), ("h2", 3));
    }

    #[test]
    fn retries_span_more_than_a_day() {
        let total: u32 = RETRY_UNITS.iter().sum();
        assert!(Duration::from_secs(5) * total > Duration::from_secs(24 * 3600));
    }

    #[test]
    fn a_2xx_delivers_and_anything_else_waits_longer_each_time_then_gives_up() {
        let start = Utc::now();
        let unit = Duration::from_secs(5);
        let mut d = pending(start);
        let mut previous_wait = chrono::Duration::zero();
        for (n, units) in RETRY_UNITS.iter().enumerate() {
            let attempt = if n % 2 == 0 {
                Attempt::Answered(503)
            } else {
                Attempt::NoAnswer("refused".into())
            };
            d.record_attempt(attempt, start, unit);
            assert_eq!(d.status, DeliveryStatus::Pending);
            let wait = d.next_attempt_at - start;
            assert_eq!(wait, chrono::Duration::seconds(5 * i64::from(*units)));
            assert!(wait >= previous_wait);
            previous_wait = wait;
        }
        d.record_attempt(Attempt::Answered(500), start, unit);
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert_eq!(d.attempts, 12);

        let mut ok = pending(start);
        ok.record_attempt(Attempt::NoAnswer("x".repeat(900)), start, unit);
        assert_eq!(ok.last_error.as_ref().map(String::len), Some(500));
        ok.record_attempt(Attempt::Answered(204), start, unit);
        assert!(ok.is_delivered());
        assert_eq!(ok.delivered_at, Some(start));
        assert_eq!(ok.last_error, None);
    }

    #[test]
    fn event_names_round_trip_and_match_the_wire() {
        for event in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(event.as_str()), Some(event));
            assert_eq!(
                serde_json::to_value(event).unwrap(),
                serde_json::Value::from(event.as_str())
            );
        }
    }

    proptest! {
        #[test]
        fn only_a_2xx_answer_delivers(status in 100u16..600) {
            let mut d = pending(Utc::now());
            d.record_attempt(Attempt::Answered(status), Utc::now(), Duration::from_secs(1));
            prop_assert_eq!(d.is_delivered(), (200..300).contains(&status));
        }
    }
}
