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
#[diesel(table_name = webhook_deliveries, treat_none_as_null = true)]
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

/// The deliveries to attempt now: for each subscription and referral, the
/// oldest pending delivery, if it is due (later events of a referral wait
/// for the earlier ones, so each receiver hears them in order).
///
/// Reads the due rows through the (status, next_attempt_at) index, then
/// only the pending rows of their (subscription, referral) groups, so a
/// pass costs what is due, not everything still waiting to be retried.
pub fn due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Delivery>, StoreError> {
    let candidates: Vec<DeliveryRow> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(to_db(now)))
        .order((
            webhook_deliveries::created_at.asc(),
            webhook_deliveries::id.asc(),
        ))
        .select(DeliveryRow::as_select())
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let hooks: Vec<&str> = candidates.iter().map(|d| d.webhook_id.as_str()).collect();
    let referrals: Vec<&str> = candidates.iter().map(|d| d.referral_id.as_str()).collect();
    let waiting: Vec<(String, String, String)> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::webhook_id.eq_any(hooks))
        .filter(webhook_deliveries::referral_id.eq_any(referrals))
        .order((
            webhook_deliveries::created_at.asc(),
            webhook_deliveries::id.asc(),
        ))
        .select((
            webhook_deliveries::id,
            webhook_deliveries::webhook_id,
            webhook_deliveries::referral_id,
        ))
        .load(conn)?;
    // The oldest pending delivery of each group; only it may go now.
    let mut oldest = std::collections::HashMap::new();
    for (id, hook, referral) in waiting {
        oldest.entry((hook, referral)).or_insert(id);
    }
    candidates
        .into_iter()
        .filter(|d| oldest.get(&(d.webhook_id.clone(), d.referral_id.clone())) == Some(&d.id))
        .take(limit)
        .map(DeliveryRow::into_domain)
        .collect()
}

/// Writes a delivery's new state after an attempt.
pub fn save_attempt(conn: &mut DbConnection, d: &Delivery) -> Result<(), StoreError> {
    diesel::update(webhook_deliveries::table.find(&d.id))
        .set(DeliveryRow::from(d))
        .execute(conn)?;
    Ok(())
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
