//! Webhook subscriptions and their outbox of deliveries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use spoke_domain::ids::{OrganizationId, WebhookId};
use spoke_domain::partner::{Delivery, DeliveryStatus, Webhook, WebhookEvent};

use crate::StoreError;
use crate::conn::DbConnection;
use crate::rows::{corrupt, from_db, from_json, parse_id, to_db, to_json};
use crate::schema::{webhook_deliveries, webhooks};

type WebhookRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
);

fn webhook(row: WebhookRow) -> Result<Webhook, StoreError> {
    let (id, org, url, secret, events, created, disabled) = row;
    Ok(Webhook {
        id: parse_id(&id)?,
        organization_id: org.as_deref().map(parse_id).transpose()?,
        url,
        secret,
        events: from_json(&events)?,
        created_at: from_db(created),
        disabled_at: disabled.map(from_db),
    })
}

const WEBHOOK_COLUMNS: (
    webhooks::id,
    webhooks::organization_id,
    webhooks::url,
    webhooks::secret,
    webhooks::event_types,
    webhooks::created_at,
    webhooks::disabled_at,
) = (
    webhooks::id,
    webhooks::organization_id,
    webhooks::url,
    webhooks::secret,
    webhooks::event_types,
    webhooks::created_at,
    webhooks::disabled_at,
);

pub fn insert_webhook(conn: &mut DbConnection, w: &Webhook) -> Result<(), StoreError> {
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(w.id.to_string()),
            webhooks::organization_id.eq(w.organization_id.map(|o| o.to_string())),
            webhooks::url.eq(&w.url),
            webhooks::secret.eq(&w.secret),
            webhooks::event_types.eq(to_json(&w.events)),
            webhooks::created_at.eq(to_db(w.created_at)),
            webhooks::disabled_at.eq(w.disabled_at.map(to_db)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get_webhook(conn: &mut DbConnection, id: WebhookId) -> Result<Webhook, StoreError> {
    webhook(
        webhooks::table
            .find(id.to_string())
            .select(WEBHOOK_COLUMNS)
            .first(conn)?,
    )
}

/// Subscriptions that hear about referrals of `organization`: its own,
/// and the admins' subscriptions to every referral. Disabled ones excluded.
pub fn listeners(
    conn: &mut DbConnection,
    organization: OrganizationId,
) -> Result<Vec<Webhook>, StoreError> {
    webhooks::table
        .filter(webhooks::disabled_at.is_null())
        .filter(
            webhooks::organization_id
                .eq(organization.to_string())
                .or(webhooks::organization_id.is_null()),
        )
        .select(WEBHOOK_COLUMNS)
        .load::<WebhookRow>(conn)?
        .into_iter()
        .map(webhook)
        .collect()
}

/// Every subscription of `organization` (`None`: the admins' own).
pub fn organization_webhooks(
    conn: &mut DbConnection,
    organization: Option<OrganizationId>,
) -> Result<Vec<Webhook>, StoreError> {
    let query = webhooks::table
        .select(WEBHOOK_COLUMNS)
        .into_boxed::<crate::conn::MultiBackend>();
    let query = match organization {
        Some(org) => query.filter(webhooks::organization_id.eq(org.to_string())),
        None => query.filter(webhooks::organization_id.is_null()),
    };
    query
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .load::<WebhookRow>(conn)?
        .into_iter()
        .map(webhook)
        .collect()
}

/// Stops a subscription; deliveries not made yet are dropped as failed.
pub fn disable_webhook(
    conn: &mut DbConnection,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let changed = diesel::update(webhooks::table.find(id.to_string()))
        .set(webhooks::disabled_at.eq(Some(to_db(now))))
        .execute(conn)?;
    if changed != 1 {
        return Err(StoreError::NotFound);
    }
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id.to_string()))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq("failed"),
        webhook_deliveries::last_error.eq(Some("the subscription was disabled")),
    ))
    .execute(conn)?;
    Ok(())
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_deliveries, treat_none_as_null = true, treat_none_as_default_value = false)]
struct DeliveryRow {
    id: String,
    event_id: String,
    webhook_id: String,
    referral_id: String,
    client_id: String,
    event_type: String,
    payload: String,
    created_at: chrono::NaiveDateTime,
    status: String,
    attempts: i32,
    next_attempt_at: chrono::NaiveDateTime,
    last_attempt_at: Option<chrono::NaiveDateTime>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    delivered_at: Option<chrono::NaiveDateTime>,
}

impl From<&Delivery> for DeliveryRow {
    fn from(d: &Delivery) -> Self {
        DeliveryRow {
            id: d.id.clone(),
            event_id: d.event_id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            referral_id: d.referral_id.to_string(),
            client_id: d.client_id.to_string(),
            event_type: d.event.as_str().to_owned(),
            payload: d.payload.clone(),
            created_at: to_db(d.created_at),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: to_db(d.next_attempt_at),
            last_attempt_at: d.last_attempt_at.map(to_db),
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
            delivered_at: d.delivered_at.map(to_db),
        }
    }
}

impl DeliveryRow {
    fn into_domain(self) -> Result<Delivery, StoreError> {
        Ok(Delivery {
            id: self.id,
            event_id: parse_id(&self.event_id)?,
            webhook_id: parse_id(&self.webhook_id)?,
            referral_id: parse_id(&self.referral_id)?,
            client_id: parse_id(&self.client_id)?,
            event: WebhookEvent::parse(&self.event_type)
                .ok_or_else(|| corrupt("webhook event", &self.event_type))?,
            payload: self.payload,
            created_at: from_db(self.created_at),
            status: DeliveryStatus::parse(&self.status)
                .ok_or_else(|| corrupt("delivery status", &self.status))?,
            attempts: self.attempts,
            next_attempt_at: from_db(self.next_attempt_at),
            last_attempt_at: self.last_attempt_at.map(from_db),
            last_status_code: self.last_status_code,
            last_error: self.last_error,
            delivered_at: self.delivered_at.map(from_db),
        })
    }
}

/// Adds a pending delivery to the outbox. Call in the transaction of the
/// change it reports.
pub fn enqueue(conn: &mut DbConnection, d: &Delivery) -> Result<(), StoreError> {
    diesel::insert_into(webhook_deliveries::table)
        .values(DeliveryRow::from(d))
        .execute(conn)?;
    Ok(())
}

/// A delivery one worker has claimed until its lease ends: only that
/// worker attempts it, and its attempt is recorded only under this claim.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: Delivery,
    pub hook: Webhook,
    /// The claim's token.
    pub claim: String,
}

/// Whether any delivery is due and unclaimed at `now` (a cheap read
/// before a claim).
pub fn any_due(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<bool, StoreError> {
    use webhook_deliveries as d;
    let now_db = to_db(now);
    Ok(diesel::select(diesel::dsl::exists(
        d::table
            .filter(d::status.eq("pending"))
            .filter(d::next_attempt_at.le(now_db))
            .filter(d::claimed_until.is_null().or(d::claimed_until.le(now_db))),
    ))
    .get_result(conn)?)
}

/// The pending deliveries: how many, and when the oldest was written.
pub fn backlog(conn: &mut DbConnection) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
    use webhook_deliveries as d;
    let (count, oldest): (i64, Option<chrono::NaiveDateTime>) = d::table
        .filter(d::status.eq("pending"))
        .select((diesel::dsl::count_star(), diesel::dsl::min(d::created_at)))
        .first(conn)?;
    Ok((count, oldest.map(from_db)))
}

/// How many due rows one claim looks at, to find the heads of their queues.
const CANDIDATES: i64 = 500;

/// Claims up to `limit` deliveries to attempt now, for the worker that
/// holds `claim`, until `lease_until`: for each subscription and referral the
/// oldest pending delivery, if it is due and nobody holds it (later events of
/// a referral wait for the earlier ones, so each receiver hears them in
/// order, whichever worker sends them). Call it in a write transaction.
///
/// On PostgreSQL the due rows are read `FOR UPDATE SKIP LOCKED`, so workers
/// claiming at once take different rows instead of waiting on each other;
/// on SQLite one writer claims at a time. The claim itself is conditional on
/// the row being unclaimed, so a row is never held twice.
pub fn claim_due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: usize,
    claim: &str,
) -> Result<Vec<Claimed>, StoreError> {
    use webhook_deliveries as d;
    let now_db = to_db(now);
    let unclaimed = d::claimed_until.is_null().or(d::claimed_until.le(now_db));
    let due = d::table
        .filter(d::status.eq("pending"))
        .filter(d::next_attempt_at.le(now_db))
        .filter(unclaimed)
        .order((d::created_at.asc(), d::id.asc()))
        .limit(CANDIDATES)
        .select((d::id, d::webhook_id, d::referral_id));
    let candidates: Vec<(String, String, String)> = match conn {
        DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(lite) => due.load(lite)?,
    };
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let hooks: Vec<&str> = candidates.iter().map(|c| c.1.as_str()).collect();
    let referrals: Vec<&str> = candidates.iter().map(|c| c.2.as_str()).collect();
    let waiting: Vec<(String, String, String)> = d::table
        .filter(d::status.eq("pending"))
        .filter(d::webhook_id.eq_any(hooks))
        .filter(d::referral_id.eq_any(referrals))
        .order((d::created_at.asc(), d::id.asc()))
        .select((d::id, d::webhook_id, d::referral_id))
        .load(conn)?;
    let mut oldest = std::collections::HashMap::new();
    for (id, hook, referral) in waiting {
        oldest.entry((hook, referral)).or_insert(id);
    }
    let heads: Vec<String> = candidates
        .into_iter()
        .filter(|(id, hook, referral)| oldest.get(&(hook.clone(), referral.clone())) == Some(id))
        .take(limit)
        .map(|(id, _, _)| id)
        .collect();
    if heads.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(d::table.filter(d::id.eq_any(&heads)).filter(unclaimed))
        .set((d::claim.eq(claim), d::claimed_until.eq(to_db(lease_until))))
        .execute(conn)?;
    let rows: Vec<DeliveryRow> = d::table
        .filter(d::id.eq_any(&heads))
        .filter(d::claim.eq(claim))
        .filter(d::status.eq("pending"))
        .order((d::created_at.asc(), d::id.asc()))
        .select(DeliveryRow::as_select())
        .load(conn)?;
    let mut hooks = std::collections::HashMap::new();
    rows.into_iter()
        .map(|row| {
            let delivery = row.into_domain()?;
            let hook = match hooks.get(&delivery.webhook_id) {
                Some(hook) => Clone::clone(hook),
                None => {
                    let hook = get_webhook(conn, delivery.webhook_id)?;
                    hooks.insert(delivery.webhook_id, hook.clone());
                    hook
                }
            };
            Ok(Claimed {
                delivery,
                hook,
                claim: claim.to_owned(),
            })
        })
        .collect()
}

/// Lets go of every delivery still held under `claim` (a worker that
/// stops); how many.
pub fn release(conn: &mut DbConnection, claim: &str) -> Result<usize, StoreError> {
    use webhook_deliveries as d;
    Ok(diesel::update(d::table.filter(d::claim.eq(claim)))
        .set((
            d::claim.eq(None::<String>),
            d::claimed_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?)
}

/// Records an attempt on a claimed delivery and releases the claim:
/// `delivery` as it is after the attempt. Refused as
/// [`StoreError::Stale`] when the claim lapsed and another worker took the
/// delivery, or the attempt count moved: that worker's record stands.
pub fn save_attempt(
    conn: &mut DbConnection,
    delivery: &Delivery,
    claim: &str,
) -> Result<(), StoreError> {
    use webhook_deliveries as d;
    let changed = diesel::update(
        d::table
            .find(&delivery.id)
            .filter(d::claim.eq(claim))
            .filter(d::attempts.eq(delivery.attempts - 1)),
    )
    .set((
        DeliveryRow::from(delivery),
        d::claim.eq(None::<String>),
        d::claimed_until.eq(None::<chrono::NaiveDateTime>),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Stale)
    }
}

/// A subscription's deliveries, newest first.
pub fn deliveries_of(
    conn: &mut DbConnection,
    webhook: WebhookId,
    limit: usize,
) -> Result<Vec<Delivery>, StoreError> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook.to_string()))
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(DeliveryRow::as_select())
        .load::<DeliveryRow>(conn)?
        .into_iter()
        .map(DeliveryRow::into_domain)
        .collect()
}
