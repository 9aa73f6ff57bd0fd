//! Referral events pushed to subscribers: written to the outbox in the
//! transaction of the change, delivered by a background worker in order per
//! referral, signed in the Standard Webhooks style, retried on the domain's
//! schedule ([`spoke_domain::partner::RETRY_UNITS`]) for more than a day.
//! Pending deliveries live in the database, so a restart loses nothing;
//! receivers drop duplicates by `webhook-id`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use spoke_domain::egress::{self, Loopback};
use spoke_domain::ids::OutboxEventId;
use spoke_domain::partner::{Attempt, Delivery, DeliveryStatus, Webhook, WebhookEvent};
use spoke_domain::referral::{Referral, ReferralEvent, ReferralStatus, Side};
use spoke_persistence::DbConnection;
use spoke_persistence::webhooks::{self as store, Claimed};
use tokio::sync::Semaphore;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::context::Clock;
use crate::db::Db;
use crate::problem::ApiError;
use crate::representation::ReferralView;

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

/// The body of every delivery: the event, when it happened, and the
/// referral as the receiver's side sees it with the change that made it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = WebhookPayload::example)]
pub struct WebhookPayload {
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub event: WebhookEvent,
    pub timestamp: DateTime<Utc>,
    pub data: WebhookData,
}

/// What changed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = WebhookData::example)]
pub struct WebhookData {
    /// The referral after the change, as the receiver's side reads it.
    pub referral: ReferralView,
    /// The change.
    pub change: ReferralEvent,
}

impl WebhookPayload {
    fn example() -> serde_json::Value {
        serde_json::json!({
            "type": "referral.status_changed",
            "timestamp": "2026-12-01T09:00:00Z",
            "data": WebhookData::example(),
        })
    }
}

impl WebhookData {
    fn example() -> serde_json::Value {
        serde_json::json!({
            "referral": ReferralView::example(),
            "change": {"id": "01936b32-1a00-7c11-8d22-3e4f5a6b7c8d", "at": "2026-12-01T09:00:00Z",
                       "by": {"kind": "partner", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d"},
                       "from": "requested", "to": "accepted", "reason": null, "business_status": null},
        })
    }
}

/// Writes the event of a referral change to the outbox of every
/// subscription that hears it, in the caller's transaction. A partner's
/// subscription never hears of a draft. `today` is the agency's day (the
/// referral's `overdue` is judged against it, as every read judges it).
pub fn enqueue(
    conn: &mut DbConnection,
    referral: &Referral,
    event: WebhookEvent,
    change: &ReferralEvent,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Result<(), ApiError> {
    let event_id = OutboxEventId::generate();
    for listener in store::listeners(conn, referral.organization_id)? {
        let partner = listener.is_partner();
        if (partner && referral.status == ReferralStatus::Draft) || !listener.hears(event) {
            continue;
        }
        let side = if partner {
            Side::Performer
        } else {
            Side::Requester
        };
        let payload = serde_json::to_string(&WebhookPayload {
            event,
            timestamp: now,
            data: WebhookData {
                referral: ReferralView::of(referral, side, today),
                change: change.clone(),
            },
        })
        .map_err(ApiError::internal)?;
        store::enqueue(
            conn,
            &Delivery {
                id: uuid::Uuid::now_v7().to_string(),
                event_id,
                webhook_id: listener.id,
                referral_id: referral.id,
                client_id: referral.client_id,
                event,
                payload,
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
    /// One unit of the retry schedule (5 s in production).
    pub backoff_unit: Duration,
    /// How often the outbox is polled.
    pub poll: Duration,
    /// How long a receiver may take to answer.
    pub timeout: Duration,
    /// Whether receivers on this machine may be reached (development).
    pub loopback: Loopback,
    /// How many deliveries one worker attempts at once.
    pub concurrency: usize,
    /// How long a claim lasts: past it, a worker that crashed mid-delivery
    /// no longer holds the delivery and another attempts it. Longer than
    /// `timeout`.
    pub lease: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            backoff_unit: Duration::from_secs(5),
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
            loopback: Loopback::Refused,
            concurrency: 8,
            lease: Duration::from_secs(60),
        }
    }
}

/// Resolves a receiver's name as the system does, then keeps only the
/// addresses the domain lets a delivery reach: the connection is made to an
/// address that was checked, whatever the name resolved to when the
/// subscription was made.
#[derive(Debug)]
struct CheckedResolver {
    system: DefaultResolver,
    loopback: Loopback,
}

impl Resolver for CheckedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = self.system.resolve(uri, config, timeout)?;
        let mut allowed = self.empty();
        let mut refusal = None;
        for address in resolved.iter() {
            match egress::check_address(address.ip(), self.loopback) {
                Ok(()) => allowed.push(*address),
                Err(why) => refusal = Some((address.ip(), why)),
            }
        }
        match refusal {
            Some((ip, why)) if allowed.is_empty() => Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("refused to connect to {ip}: {why}"),
            ))),
            _ => Ok(allowed),
        }
    }
}

/// The HTTP client deliveries go through: no redirects, no proxy from the
/// environment, a timeout per delivery, and only addresses the domain's
/// egress rule allows.
pub fn delivery_agent(settings: &WorkerSettings) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(settings.timeout))
        .build();
    ureq::Agent::with_parts(
        config,
        DefaultConnector::default(),
        CheckedResolver {
            system: DefaultResolver::default(),
            loopback: settings.loopback,
        },
    )
}

/// POSTs one delivery and says what came back.
fn post(agent: &ureq::Agent, hook: &Webhook, d: &Delivery) -> Attempt {
    let timestamp = Utc::now().timestamp();
    let id = d.event_id.to_string();
    let signature = match sign(&hook.secret, &id, timestamp, &d.payload) {
        Ok(signature) => signature,
        Err(error) => return Attempt::NoAnswer(error.to_string()),
    };
    match agent
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", &timestamp.to_string())
        .header("webhook-signature", &signature)
        .send(d.payload.as_str())
    {
        Ok(response) => Attempt::Answered(response.status().as_u16()),
        Err(error) => Attempt::NoAnswer(error.to_string()),
    }
}

/// The outbox worker. It claims due deliveries (see
/// [`store::claim_due`]) up to its free slots and attempts each on its own
/// task, so a receiver that hangs for its timeout holds one slot and its own
/// subscription's queue, not the others. No connection is held while a
/// receiver is called: the claim and each record are their own short writes.
/// Several workers (instances, or `spoke worker` processes) share one
/// database; a crashed worker's claims lapse with their lease.
#[derive(Debug, Clone)]
pub struct Worker {
    db: Db,
    clock: Clock,
    agent: ureq::Agent,
    settings: WorkerSettings,
    slots: Arc<Semaphore>,
    claims: Arc<Claims>,
}

/// This worker's claim token. When the last handle on the worker goes (the
/// server stops, and its tasks with it), what it still holds is released at
/// once, so a restart does not wait out the lease; only a crash does.
#[derive(Debug)]
struct Claims {
    database: spoke_persistence::Database,
    token: String,
}

impl Drop for Claims {
    fn drop(&mut self) {
        let released = self
            .database
            .conn()
            .and_then(|mut conn| store::release(&mut conn, &self.token));
        match released {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "released unattempted webhook deliveries"),
            Err(error) => tracing::warn!(%error, "could not release webhook deliveries"),
        }
    }
}

impl Worker {
    pub fn new(db: Db, clock: Clock, settings: WorkerSettings) -> Worker {
        Worker {
            agent: delivery_agent(&settings),
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            claims: Arc::new(Claims {
                database: db.database().clone(),
                token: uuid::Uuid::now_v7().to_string(),
            }),
            db,
            clock,
            settings,
        }
    }

    /// Claims up to `limit` due deliveries for this worker.
    async fn claim(&self, limit: usize) -> Result<Vec<Claimed>, ApiError> {
        let now = self.clock.now();
        // Most polls find nothing: ask with a read before taking a write turn.
        if !self.db.read(move |tx| Ok(store::any_due(tx, now)?)).await? {
            return Ok(Vec::new());
        }
        let lease = chrono::Duration::from_std(self.settings.lease).map_err(ApiError::internal)?;
        let claim = self.claims.token.clone();
        self.db
            .write(move |tx| Ok(store::claim_due(tx, now, now + lease, limit, &claim)?))
            .await
    }

    /// Attempts one claimed delivery and records the outcome (and, for a
    /// partner, the disclosure) under its claim.
    async fn deliver(&self, claimed: Claimed) -> Result<(), ApiError> {
        let agent = self.agent.clone();
        let (attempt, claimed) = actix_web::web::block(move || {
            let attempt = post(&agent, &claimed.hook, &claimed.delivery);
            (attempt, claimed)
        })
        .await
        .map_err(ApiError::internal)?;
        let at = self.clock.now();
        let unit = self.settings.backoff_unit;
        self.db
            .write(move |tx| {
                crate::usecases::webhooks::record_attempt(tx, claimed, attempt, at, unit)
            })
            .await
            .map(|_| ())
    }

    /// Claims what is due, up to the free slots, and starts each delivery on
    /// its own task; how many started.
    pub async fn dispatch(&self) -> Result<usize, ApiError> {
        let free = self.slots.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let claimed = self.claim(free).await?;
        let started = claimed.len();
        for one in claimed {
            let permit = Arc::clone(&self.slots)
                .acquire_owned()
                .await
                .map_err(ApiError::internal)?;
            let worker = self.clone();
            actix_web::rt::spawn(async move {
                if let Err(error) = worker.deliver(one).await {
                    warn_failed(&error);
                }
                drop(permit);
            });
        }
        Ok(started)
    }

    /// Attempts everything due now, batch after batch, each batch side by
    /// side, until nothing is due; how many attempts were made. For tests and
    /// one-off runs: it returns when the outbox is drained.
    pub async fn drain(&self) -> Result<usize, ApiError> {
        let mut attempts = 0;
        loop {
            let claimed = self.claim(self.settings.concurrency.max(1)).await?;
            if claimed.is_empty() {
                return Ok(attempts);
            }
            attempts += claimed.len();
            let results =
                futures_util::future::join_all(claimed.into_iter().map(|one| self.deliver(one)))
                    .await;
            for result in results {
                result?;
            }
        }
    }

    /// Runs on the current runtime until it stops.
    pub fn spawn(self) {
        actix_web::rt::spawn(async move {
            loop {
                match self.dispatch().await {
                    Ok(0) => actix_web::rt::time::sleep(self.settings.poll).await,
                    Ok(_) => {}
                    Err(error) => {
                        warn_failed(&error);
                        actix_web::rt::time::sleep(self.settings.poll).await;
                    }
                }
            }
        });
    }
}

fn warn_failed(error: &ApiError) {
    tracing::warn!(
        error = %crate::problem::report(error),
        "webhook delivery failed"
    );
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

    /// A receiver listening on 127.0.0.1, reached through the name
    /// `localhost` (which the URL check alone would not see resolve).
    fn local_receiver() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://localhost:{}/hook",
            listener.local_addr().unwrap().port()
        );
        (listener, url)
    }

    /// Answers the first request on `listener` with `response`.
    fn answer_once(listener: std::net::TcpListener, response: &'static [u8]) {
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut stream, _) = listener.accept().unwrap();
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).unwrap();
            stream.write_all(response).unwrap();
        });
    }

    #[test]
    fn deliveries_connect_only_to_addresses_the_egress_rule_allows() {
        let (listener, url) = local_receiver();
        let refused = delivery_agent(&WorkerSettings::default());
        let error = refused.post(&url).send("{}").unwrap_err().to_string();
        assert!(error.contains("refused to connect to 127.0.0.1"), "{error}");

        answer_once(
            listener,
            b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
        );
        let allowed = delivery_agent(&WorkerSettings {
            loopback: Loopback::Allowed,
            ..WorkerSettings::default()
        });
        let response = allowed.post(&url).send("{}").unwrap();
        assert_eq!(response.status().as_u16(), 204);
    }

    #[test]
    fn redirects_are_not_followed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hook",
            listener.local_addr().unwrap().port()
        );
        answer_once(
            listener,
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
        );
        let agent = delivery_agent(&WorkerSettings {
            loopback: Loopback::Allowed,
            ..WorkerSettings::default()
        });
        let response = agent.post(&url).send("{}").unwrap();
        assert_eq!(response.status().as_u16(), 307);
    }
}
