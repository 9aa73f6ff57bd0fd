//! Consents, referrals and their history, partner API clients, and the
//! accounting of disclosures.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use spoke_domain::consent::{
    Consent, ConsentCategory, ConsentFields, ConsentMethod, Part2Elements, Recipient, Revocation,
};
use spoke_domain::ids::{ApiClientId, ClientId, ConsentId, OrganizationId, ReferralId};
use spoke_domain::partner::{ApiClient, Disclosure};
use spoke_domain::policy::ClientScope;
use spoke_domain::referral::{
    BusinessStatus, MovedBy, Priority, Referral, ReferralEvent, ReferralFields, ReferralStatus,
};
use spoke_domain::values::{LongText, ShortText};

use crate::StoreError;
use crate::clients::within_scope;
use crate::conn::{DbConnection, MultiBackend};
use crate::page::{Keyset, Page};
use crate::rows::{
    corrupt, from_db, from_json, one_versioned_row, parse_id, stored, to_db, to_json,
};
use crate::schema::{api_clients, clients, consents, disclosures, referral_events, referrals};

fn short(what: &str, raw: String) -> Result<ShortText, StoreError> {
    ShortText::parse(&raw).map_err(|_| corrupt(what, &raw))
}

fn long(what: &str, raw: String) -> Result<LongText, StoreError> {
    LongText::parse(&raw).map_err(|_| corrupt(what, &raw))
}

fn enum_text<T: serde::Serialize>(value: &T) -> String {
    to_json(value).trim_matches('"').to_owned()
}

fn enum_from<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, StoreError> {
    from_json(&format!("\"{raw}\""))
}

// ------------------------------------------------------------------ consents

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = consents, treat_none_as_null = true, treat_none_as_default_value = false)]
struct ConsentRow {
    id: String,
    client_id: String,
    recipient_organization_id: Option<String>,
    any_organization: i32,
    categories: String,
    purpose: String,
    effective_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    method: String,
    witness_name: Option<String>,
    document_reference: Option<String>,
    part2: Option<String>,
    revoked_at: Option<chrono::NaiveDateTime>,
    revocation_reason: Option<String>,
    recorded_by: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Consent> for ConsentRow {
    fn from(c: &Consent) -> Self {
        let f = &c.fields;
        let (org, any) = match f.recipient {
            Recipient::Organization(org) => (Some(org.to_string()), 0),
            Recipient::AnyOrganization => (None, 1),
        };
        ConsentRow {
            id: c.id.to_string(),
            client_id: c.client_id.to_string(),
            recipient_organization_id: org,
            any_organization: any,
            categories: to_json(&f.categories),
            purpose: f.purpose.to_string(),
            effective_on: f.effective_on,
            expires_on: f.expires_on,
            method: enum_text(&f.method),
            witness_name: f.witness_name.as_ref().map(ToString::to_string),
            document_reference: f.document_reference.as_ref().map(ToString::to_string),
            part2: f.part2.as_ref().map(to_json),
            revoked_at: c.revocation.as_ref().map(|r| to_db(r.revoked_at)),
            revocation_reason: c.revocation.as_ref().map(|r| r.reason.clone()),
            recorded_by: c.recorded_by.to_string(),
            created_at: to_db(c.created_at),
            updated_at: to_db(c.updated_at),
            version: c.version,
        }
    }
}

impl ConsentRow {
    fn into_domain(self) -> Result<Consent, StoreError> {
        let recipient = match self.recipient_organization_id.as_deref() {
            Some(org) => Recipient::Organization(parse_id(org)?),
            None => Recipient::AnyOrganization,
        };
        let categories: BTreeSet<ConsentCategory> = from_json(&self.categories)?;
        let method: ConsentMethod = enum_from(&self.method)?;
        let part2: Option<Part2Elements> = self.part2.as_deref().map(from_json).transpose()?;
        Ok(Consent {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            fields: ConsentFields {
                recipient,
                categories,
                purpose: short("purpose", self.purpose)?,
                effective_on: self.effective_on,
                expires_on: self.expires_on,
                method,
                witness_name: stored("witness", self.witness_name, ShortText::parse)?,
                document_reference: stored(
                    "document reference",
                    self.document_reference,
                    ShortText::parse,
                )?,
                part2,
            },
            revocation: match (self.revoked_at, self.revocation_reason) {
                (Some(at), Some(reason)) => Some(Revocation {
                    revoked_at: from_db(at),
                    reason,
                }),
                _ => None,
            },
            recorded_by: parse_id(&self.recorded_by)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert_consent(conn: &mut DbConnection, c: &Consent) -> Result<(), StoreError> {
    diesel::insert_into(consents::table)
        .values(ConsentRow::from(c))
        .execute(conn)?;
    Ok(())
}

/// Writes `c` over the stored row if it is still at `expected_version`.
pub fn update_consent(
    conn: &mut DbConnection,
    c: &Consent,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        consents::table
            .filter(consents::id.eq(c.id.to_string()))
            .filter(consents::version.eq(expected_version)),
    )
    .set(ConsentRow::from(c))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// A consent of `client`; another client's is not found.
pub fn get_consent(
    conn: &mut DbConnection,
    client: ClientId,
    id: ConsentId,
) -> Result<Consent, StoreError> {
    consents::table
        .filter(consents::id.eq(id.to_string()))
        .filter(consents::client_id.eq(client.to_string()))
        .select(ConsentRow::as_select())
        .first::<ConsentRow>(conn)?
        .into_domain()
}

/// Every consent of `client`, revoked ones included, oldest first.
pub fn client_consents(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Vec<Consent>, StoreError> {
    consents::table
        .filter(consents::client_id.eq(client.to_string()))
        .order((consents::created_at.asc(), consents::id.asc()))
        .select(ConsentRow::as_select())
        .load::<ConsentRow>(conn)?
        .into_iter()
        .map(ConsentRow::into_domain)
        .collect()
}

/// The consents of each of `clients`, oldest first per client: one query
/// per 500 clients. A client without consents has no entry.
pub fn consents_of(
    conn: &mut DbConnection,
    clients: &[ClientId],
) -> Result<std::collections::HashMap<ClientId, Vec<Consent>>, StoreError> {
    let mut found: std::collections::HashMap<ClientId, Vec<Consent>> =
        std::collections::HashMap::new();
    let ids: Vec<String> = clients.iter().map(ToString::to_string).collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<ConsentRow> = consents::table
            .filter(consents::client_id.eq_any(chunk))
            .order((consents::created_at.asc(), consents::id.asc()))
            .select(ConsentRow::as_select())
            .load(conn)?;
        for row in rows {
            let consent = row.into_domain()?;
            found.entry(consent.client_id).or_default().push(consent);
        }
    }
    Ok(found)
}

// ----------------------------------------------------------------- referrals

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = referrals, treat_none_as_null = true, treat_none_as_default_value = false)]
struct ReferralRow {
    id: String,
    client_id: String,
    organization_id: String,
    service_id: String,
    reason: String,
    needs: String,
    priority: String,
    note_for_partner: Option<String>,
    categories: String,
    due_by: Option<NaiveDate>,
    status: String,
    business_status: Option<String>,
    consent_id: Option<String>,
    outcome: Option<String>,
    linked_on: Option<NaiveDate>,
    redirected_from: Option<String>,
    created_by: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&Referral> for ReferralRow {
    fn from(r: &Referral) -> Self {
        let f = &r.fields;
        ReferralRow {
            id: r.id.to_string(),
            client_id: r.client_id.to_string(),
            organization_id: r.organization_id.to_string(),
            service_id: f.service_id.to_string(),
            reason: f.reason.as_str().to_owned(),
            needs: to_json(&f.needs),
            priority: f.priority.as_str().to_owned(),
            note_for_partner: f.note_for_partner.as_ref().map(|n| n.as_str().to_owned()),
            categories: to_json(&f.categories),
            due_by: f.due_by,
            status: r.status.as_str().to_owned(),
            business_status: r.business_status.map(|b| b.as_str().to_owned()),
            consent_id: r.consent_id.map(|c| c.to_string()),
            outcome: r.outcome.clone(),
            linked_on: r.linked_on,
            redirected_from: r.redirected_from.map(|id| id.to_string()),
            created_by: r.created_by.to_string(),
            created_at: to_db(r.created_at),
            updated_at: to_db(r.updated_at),
            version: r.version,
        }
    }
}

impl ReferralRow {
    fn into_domain(self) -> Result<Referral, StoreError> {
        Ok(Referral {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            organization_id: parse_id(&self.organization_id)?,
            fields: ReferralFields {
                service_id: parse_id(&self.service_id)?,
                reason: long("reason", self.reason)?,
                needs: from_json(&self.needs)?,
                priority: Priority::parse(&self.priority)
                    .ok_or_else(|| corrupt("priority", &self.priority))?,
                note_for_partner: stored("note", self.note_for_partner, LongText::parse)?,
                categories: from_json(&self.categories)?,
                due_by: self.due_by,
            },
            status: ReferralStatus::parse(&self.status)
                .ok_or_else(|| corrupt("referral status", &self.status))?,
            business_status: self
                .business_status
                .as_deref()
                .map(|b| BusinessStatus::parse(b).ok_or_else(|| corrupt("business status", b)))
                .transpose()?,
            consent_id: self.consent_id.as_deref().map(parse_id).transpose()?,
            outcome: self.outcome,
            linked_on: self.linked_on,
            redirected_from: self.redirected_from.as_deref().map(parse_id).transpose()?,
            created_by: parse_id(&self.created_by)?,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

fn insert_event(
    conn: &mut DbConnection,
    referral: ReferralId,
    e: &ReferralEvent,
) -> Result<(), StoreError> {
    let (user, org) = match e.by {
        MovedBy::Staff { user_id } => (Some(user_id.to_string()), None),
        MovedBy::Partner { organization_id } => (None, Some(organization_id.to_string())),
    };
    diesel::insert_into(referral_events::table)
        .values((
            referral_events::id.eq(e.id.to_string()),
            referral_events::referral_id.eq(referral.to_string()),
            referral_events::at.eq(to_db(e.at)),
            referral_events::by_user_id.eq(user),
            referral_events::by_organization_id.eq(org),
            referral_events::from_status.eq(e.from.map(|s| s.as_str())),
            referral_events::to_status.eq(e.to.as_str()),
            referral_events::reason.eq(e.reason.as_deref()),
            referral_events::business_status.eq(e.business_status.map(|b| b.as_str())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores a new referral and its first history entry. Call inside a transaction.
pub fn insert_referral(
    conn: &mut DbConnection,
    r: &Referral,
    created: &ReferralEvent,
) -> Result<(), StoreError> {
    diesel::insert_into(referrals::table)
        .values(ReferralRow::from(r))
        .execute(conn)?;
    insert_event(conn, r.id, created)
}

/// Writes a moved referral if still at `expected_version`, with the move's
/// history entry. Call inside a transaction.
pub fn save_move(
    conn: &mut DbConnection,
    r: &Referral,
    expected_version: i32,
    event: &ReferralEvent,
) -> Result<(), StoreError> {
    update_referral(conn, r, expected_version)?;
    insert_event(conn, r.id, event)
}

/// Writes a changed referral (not a move) if still at `expected_version`.
pub fn update_referral(
    conn: &mut DbConnection,
    r: &Referral,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        referrals::table
            .filter(referrals::id.eq(r.id.to_string()))
            .filter(referrals::version.eq(expected_version)),
    )
    .set(ReferralRow::from(r))
    .execute(conn)?;
    one_versioned_row(changed)
}

pub fn get_referral(conn: &mut DbConnection, id: ReferralId) -> Result<Referral, StoreError> {
    referrals::table
        .find(id.to_string())
        .select(ReferralRow::as_select())
        .first::<ReferralRow>(conn)?
        .into_domain()
}

/// The referrals of `client` whose loop is still open (from a draft to one
/// on hold), the oldest first.
pub fn open_referrals_of(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Vec<Referral>, StoreError> {
    let open: Vec<&str> = ReferralStatus::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    referrals::table
        .filter(referrals::client_id.eq(client.to_string()))
        .filter(referrals::status.eq_any(open))
        .order((referrals::created_at.asc(), referrals::id.asc()))
        .select(ReferralRow::as_select())
        .load::<ReferralRow>(conn)?
        .into_iter()
        .map(ReferralRow::into_domain)
        .collect()
}

/// A referral's history, oldest first.
pub fn history(conn: &mut DbConnection, id: ReferralId) -> Result<Vec<ReferralEvent>, StoreError> {
    type EventRow = (
        String,
        chrono::NaiveDateTime,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<EventRow> = referral_events::table
        .filter(referral_events::referral_id.eq(id.to_string()))
        .order((referral_events::at.asc(), referral_events::id.asc()))
        .select((
            referral_events::id,
            referral_events::at,
            referral_events::by_user_id,
            referral_events::by_organization_id,
            referral_events::from_status,
            referral_events::to_status,
            referral_events::reason,
            referral_events::business_status,
        ))
        .load(conn)?;
    let status = |raw: &str| ReferralStatus::parse(raw).ok_or_else(|| corrupt("status", raw));
    rows.into_iter()
        .map(|(id, at, user, org, from, to, reason, business)| {
            let by = match (user, org) {
                (Some(user), None) => MovedBy::Staff {
                    user_id: parse_id(&user)?,
                },
                (None, Some(org)) => MovedBy::Partner {
                    organization_id: parse_id(&org)?,
                },
                _ => return Err(corrupt("referral event actor", &id)),
            };
            Ok(ReferralEvent {
                id: parse_id(&id)?,
                at: from_db(at),
                by,
                from: from.as_deref().map(status).transpose()?,
                to: status(&to)?,
                reason,
                business_status: business
                    .as_deref()
                    .map(|b| BusinessStatus::parse(b).ok_or_else(|| corrupt("business status", b)))
                    .transpose()?,
            })
        })
        .collect()
}

/// Whose referrals a list covers.
#[derive(Debug, Clone)]
pub enum ReferralScope {
    /// A staff member's: the referrals of the clients they may see.
    Staff(ClientScope),
    /// A partner's: only those sent to it (never drafts).
    Partner(OrganizationId),
}

/// Filters for a referral list.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub client_id: Option<ClientId>,
    pub status: Option<ReferralStatus>,
    pub service_id: Option<spoke_domain::ids::ServiceId>,
    pub organization_id: Option<OrganizationId>,
    /// Open referrals past their due date on this day.
    pub overdue_on: Option<NaiveDate>,
    /// Changed after this moment.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Referrals within `scope` matching `filter`, by update time then id,
/// `limit` at a time after `after`.
pub fn list_referrals(
    conn: &mut DbConnection,
    scope: &ReferralScope,
    filter: &ReferralFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Referral>, StoreError> {
    let mut query = referrals::table
        .inner_join(clients::table)
        .select(ReferralRow::as_select())
        .into_boxed::<MultiBackend>();
    query = match scope {
        ReferralScope::Staff(scope) => within_scope!(query, scope),
        ReferralScope::Partner(org) => query
            .filter(referrals::organization_id.eq(org.to_string()))
            .filter(referrals::status.ne(ReferralStatus::Draft.as_str())),
    };
    if let Some(client) = filter.client_id {
        query = query.filter(referrals::client_id.eq(client.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(referrals::status.eq(status.as_str()));
    }
    if let Some(service) = filter.service_id {
        query = query.filter(referrals::service_id.eq(service.to_string()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(referrals::organization_id.eq(org.to_string()));
    }
    if let Some(day) = filter.overdue_on {
        let open: Vec<&str> = ReferralStatus::ALL
            .iter()
            .filter(|s| !s.is_final())
            .map(|s| s.as_str())
            .collect();
        query = query
            .filter(referrals::due_by.lt(day))
            .filter(referrals::status.eq_any(open));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(referrals::updated_at.gt(to_db(since)));
    }
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            referrals::updated_at.gt(at).or(referrals::updated_at
                .eq(at)
                .and(referrals::id.gt(after.id.clone()))),
        );
    }
    let rows: Vec<ReferralRow> = query
        .order((referrals::updated_at.asc(), referrals::id.asc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(ReferralRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(items, limit, |r| Keyset {
        at: r.updated_at,
        id: r.id.to_string(),
    }))
}

// --------------------------------------------------------------- API clients

/// A partner organization's OAuth client, as stored (the secret hashed).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = api_clients, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ApiClientRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub secret_hash: String,
    pub created_at: chrono::NaiveDateTime,
    pub rotated_at: Option<chrono::NaiveDateTime>,
    pub revoked_at: Option<chrono::NaiveDateTime>,
    pub version: i32,
}

impl ApiClientRow {
    fn into_domain(self) -> Result<ApiClient, StoreError> {
        Ok(ApiClient {
            id: parse_id(&self.id)?,
            organization_id: parse_id(&self.organization_id)?,
            name: self.name,
            secret_hash: self.secret_hash,
            created_at: from_db(self.created_at),
            rotated_at: self.rotated_at.map(from_db),
            revoked_at: self.revoked_at.map(from_db),
            version: self.version,
        })
    }
}

impl From<&ApiClient> for ApiClientRow {
    fn from(c: &ApiClient) -> Self {
        ApiClientRow {
            id: c.id.to_string(),
            organization_id: c.organization_id.to_string(),
            name: c.name.clone(),
            secret_hash: c.secret_hash.clone(),
            created_at: to_db(c.created_at),
            rotated_at: c.rotated_at.map(to_db),
            revoked_at: c.revoked_at.map(to_db),
            version: c.version,
        }
    }
}

pub fn insert_api_client(conn: &mut DbConnection, c: &ApiClient) -> Result<(), StoreError> {
    diesel::insert_into(api_clients::table)
        .values(ApiClientRow::from(c))
        .execute(conn)?;
    Ok(())
}

/// Writes `c` over the stored row if it is still at `expected_version`.
pub fn update_api_client(
    conn: &mut DbConnection,
    c: &ApiClient,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        api_clients::table
            .filter(api_clients::id.eq(c.id.to_string()))
            .filter(api_clients::version.eq(expected_version)),
    )
    .set(ApiClientRow::from(c))
    .execute(conn)?;
    one_versioned_row(changed)
}

pub fn get_api_client(conn: &mut DbConnection, id: ApiClientId) -> Result<ApiClient, StoreError> {
    api_clients::table
        .find(id.to_string())
        .select(ApiClientRow::as_select())
        .first::<ApiClientRow>(conn)?
        .into_domain()
}

/// An organization's API clients, revoked ones included.
pub fn organization_api_clients(
    conn: &mut DbConnection,
    org: OrganizationId,
) -> Result<Vec<ApiClient>, StoreError> {
    api_clients::table
        .filter(api_clients::organization_id.eq(org.to_string()))
        .order((api_clients::created_at.asc(), api_clients::id.asc()))
        .select(ApiClientRow::as_select())
        .load::<ApiClientRow>(conn)?
        .into_iter()
        .map(ApiClientRow::into_domain)
        .collect()
}

// --------------------------------------------------------------- disclosures

#[derive(Insertable)]
#[diesel(table_name = disclosures, treat_none_as_default_value = false)]
struct NewDisclosureRow {
    id: String,
    client_id: String,
    organization_id: String,
    api_client_id: Option<String>,
    referral_id: Option<String>,
    channel: String,
    disclosed: String,
    purpose: String,
    consent_id: Option<String>,
    disclosed_at: chrono::NaiveDateTime,
}

impl From<&Disclosure> for NewDisclosureRow {
    fn from(d: &Disclosure) -> Self {
        NewDisclosureRow {
            id: d.id.to_string(),
            client_id: d.client_id.to_string(),
            organization_id: d.organization_id.to_string(),
            api_client_id: d.api_client_id.map(|id| id.to_string()),
            referral_id: d.referral_id.map(|id| id.to_string()),
            channel: enum_text(&d.channel),
            disclosed: d.disclosed.clone(),
            purpose: d.purpose.clone(),
            consent_id: d.consent_id.map(|id| id.to_string()),
            disclosed_at: to_db(d.disclosed_at),
        }
    }
}

/// Records a disclosure. Call in the same transaction as the read or the
/// delivery it accounts for.
pub fn record_disclosure(conn: &mut DbConnection, d: &Disclosure) -> Result<(), StoreError> {
    record_disclosures(conn, std::slice::from_ref(d))
}

/// Appends many disclosures, as one group commit of reads does: one
/// multi-row statement per 100 (under SQLite's bound-parameter limit).
pub fn record_disclosures(conn: &mut DbConnection, all: &[Disclosure]) -> Result<(), StoreError> {
    for chunk in all.chunks(100) {
        let rows: Vec<NewDisclosureRow> = chunk.iter().map(NewDisclosureRow::from).collect();
        let insert = diesel::insert_into(disclosures::table).values(rows);
        match conn {
            DbConnection::Sqlite(inner) => insert.execute(inner)?,
            DbConnection::Postgres(inner) => insert.execute(inner)?,
        };
    }
    Ok(())
}

/// The accounting of disclosures of `client`, newest first.
pub fn client_disclosures(
    conn: &mut DbConnection,
    client: ClientId,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Disclosure>, StoreError> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        chrono::NaiveDateTime,
    );
    let mut query = disclosures::table
        .filter(disclosures::client_id.eq(client.to_string()))
        .into_boxed::<MultiBackend>();
    if let Some(after) = after {
        let at = to_db(after.at);
        query = query.filter(
            disclosures::disclosed_at
                .lt(at)
                .or(disclosures::disclosed_at
                    .eq(at)
                    .and(disclosures::id.lt(after.id.clone()))),
        );
    }
    let rows: Vec<Row> = query
        .order((disclosures::disclosed_at.desc(), disclosures::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .select((
            disclosures::id,
            disclosures::client_id,
            disclosures::organization_id,
            disclosures::api_client_id,
            disclosures::referral_id,
            disclosures::channel,
            disclosures::disclosed,
            disclosures::purpose,
            disclosures::consent_id,
            disclosures::disclosed_at,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(
            |(id, client, org, api, referral, channel, disclosed, purpose, consent, at)| {
                Ok(Disclosure {
                    id: parse_id(&id)?,
                    client_id: parse_id(&client)?,
                    organization_id: parse_id(&org)?,
                    api_client_id: api.as_deref().map(parse_id).transpose()?,
                    referral_id: referral.as_deref().map(parse_id).transpose()?,
                    channel: enum_from(&channel)?,
                    disclosed,
                    purpose,
                    consent_id: consent.as_deref().map(parse_id).transpose()?,
                    disclosed_at: from_db(at),
                })
            },
        )
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_rows(items, limit, |d| Keyset {
        at: d.disclosed_at,
        id: d.id.to_string(),
    }))
}
