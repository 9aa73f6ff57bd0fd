//! Billing over HTTP: payers' configurations and claim batches (JSON, or
//! CSV with `Accept: text/csv`). Each handler runs one use case of
//! [`crate::usecases::claims`].

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spoke_domain::FieldErrors;
use spoke_domain::billing::{BillingConfig, BillingConfigInput, Rounding};
use spoke_domain::claim::{BatchStatus, ClaimBatch, ClaimBatchInput, ClaimLine, LineOutcome};
use spoke_domain::contact::{Activity, ContactMode};
use spoke_domain::ids::{BillingConfigId, ClaimBatchId, ClaimLineId, ClientId, ContactId, UserId};
use spoke_domain::values::LongText;
use spoke_persistence::claims::BatchSummary;
use spoke_persistence::page::Keyset;
use utoipa::ToSchema;

use crate::context::Caller;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, IfMatch, PageParams, etag};
use crate::idempotency::{self, Created};
use crate::openapi::{Conflict, Forbidden};
use crate::problem::ApiError;
use crate::routes::{Page, json_body, ok_with_etag};
use crate::state::AppState;
use crate::usecases::claims as usecases;

/// One version of a payer's billing rules. Versions never change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b32-0a00-7c11-8d22-3e4f5a6b7c8d", "payer": "medicaid", "version": 1,
    "name": "Medicaid targeted case management", "procedure_code": "T1017", "modifiers": [],
    "unit_minutes": 15, "rounding": "more_than_half", "max_units_per_day": 16,
    "billable_activities": ["comprehensive_assessment", "care_plan_development",
        "referral_and_related_activities", "monitoring_and_follow_up"],
    "billable_modes": ["in_person", "phone", "video"], "bills_collateral": true,
    "requires_medicaid_id": true, "min_narrative_chars": 50, "created_at": "2026-11-27T00:00:00Z"
}))]
pub struct BillingConfigView {
    pub id: BillingConfigId,
    pub payer: String,
    pub version: i32,
    pub name: String,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub unit_minutes: i32,
    pub rounding: Rounding,
    pub max_units_per_day: i32,
    pub billable_activities: Vec<Activity>,
    pub billable_modes: Vec<ContactMode>,
    pub bills_collateral: bool,
    pub requires_medicaid_id: bool,
    pub min_narrative_chars: i32,
    pub created_at: DateTime<Utc>,
}

impl From<&BillingConfig> for BillingConfigView {
    fn from(c: &BillingConfig) -> Self {
        let f = &c.fields;
        BillingConfigView {
            id: c.id,
            payer: f.payer.clone(),
            version: c.version,
            name: f.name.to_string(),
            procedure_code: f.procedure_code.clone(),
            modifiers: f.modifiers.clone(),
            unit_minutes: f.unit_minutes,
            rounding: f.rounding,
            max_units_per_day: f.max_units_per_day,
            billable_activities: f.billable_activities.clone(),
            billable_modes: f.billable_modes.clone(),
            bills_collateral: f.bills_collateral,
            requires_medicaid_id: f.requires_medicaid_id,
            min_narrative_chars: f.min_narrative_chars,
            created_at: c.created_at,
        }
    }
}

/// Every version of every payer's configuration.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b32-0a00-7c11-8d22-3e4f5a6b7c8d", "payer": "medicaid", "version": 1,
    "name": "Medicaid targeted case management", "procedure_code": "T1017", "modifiers": [],
    "unit_minutes": 15, "rounding": "more_than_half", "max_units_per_day": 16,
    "billable_activities": ["monitoring_and_follow_up"], "billable_modes": ["in_person", "phone", "video"],
    "bills_collateral": true, "requires_medicaid_id": true, "min_narrative_chars": 50,
    "created_at": "2026-11-27T00:00:00Z"
}]}))]
pub struct BillingConfigList {
    pub items: Vec<BillingConfigView>,
}

/// One line of a claim batch.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b34-0a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
    "medicaid_id": "OR12345678", "date_of_service": "2026-11-20", "procedure_code": "T1017", "modifiers": [],
    "units": 3, "rendering_staff_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "contact_ids": ["01936b33-1b00-7c11-8d22-3e4f5a6b7c8d"], "outcome": "pending", "denial_reason": null
}))]
pub struct ClaimLineView {
    pub id: ClaimLineId,
    pub client_id: ClientId,
    pub medicaid_id: String,
    pub date_of_service: NaiveDate,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub units: i32,
    /// The staff member who made the contacts.
    pub rendering_staff_id: UserId,
    /// The contacts the line bills.
    pub contact_ids: Vec<ContactId>,
    pub outcome: LineOutcome,
    pub denial_reason: Option<String>,
}

impl From<&ClaimLine> for ClaimLineView {
    fn from(l: &ClaimLine) -> Self {
        ClaimLineView {
            id: l.id,
            client_id: l.client_id,
            medicaid_id: l.medicaid_id.as_str().to_owned(),
            date_of_service: l.date_of_service,
            procedure_code: l.procedure_code.clone(),
            modifiers: l.modifiers.clone(),
            units: l.units,
            rendering_staff_id: l.rendering_staff_id,
            contact_ids: l.contact_ids.clone(),
            outcome: l.outcome,
            denial_reason: l.denial_reason.as_ref().map(|r| r.as_str().to_owned()),
        }
    }
}

/// A claim batch with its lines.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b35-0a00-7c11-8d22-3e4f5a6b7c8d", "payer": "medicaid", "period_from": "2026-11-01",
    "period_to": "2026-11-30", "status": "exported", "created_by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
    "line_count": 1, "units": 3, "exported_at": "2026-12-01T10:00:00Z", "voided_at": null, "void_reason": null,
    "lines": [{
        "id": "01936b34-0a00-7c11-8d22-3e4f5a6b7c8d", "client_id": "01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
        "medicaid_id": "OR12345678", "date_of_service": "2026-11-20", "procedure_code": "T1017", "modifiers": [],
        "units": 3, "rendering_staff_id": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c",
        "contact_ids": ["01936b33-1b00-7c11-8d22-3e4f5a6b7c8d"], "outcome": "pending", "denial_reason": null
    }],
    "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T10:00:00Z", "version": 2
}))]
pub struct ClaimBatchView {
    pub id: ClaimBatchId,
    pub payer: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// `draft`, `exported` (then each line is paid or denied) or `voided` (its contacts may be billed again).
    pub status: BatchStatus,
    pub created_by: UserId,
    pub line_count: i64,
    /// Units over every line.
    pub units: i64,
    pub exported_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    /// Every line; left out (empty) in lists.
    pub lines: Vec<ClaimLineView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; also sent as the ETag.
    pub version: i32,
}

impl ClaimBatchView {
    fn of(b: &ClaimBatch, line_count: i64, units: i64) -> Self {
        ClaimBatchView {
            id: b.id,
            payer: b.payer.clone(),
            period_from: b.period_from,
            period_to: b.period_to,
            status: b.status,
            created_by: b.created_by,
            line_count,
            units,
            exported_at: b.exported_at,
            voided_at: b.voided_at,
            void_reason: b.void_reason.as_ref().map(|r| r.as_str().to_owned()),
            lines: b.lines.iter().map(ClaimLineView::from).collect(),
            created_at: b.created_at,
            updated_at: b.updated_at,
            version: b.version,
        }
    }
}

impl From<&ClaimBatch> for ClaimBatchView {
    fn from(b: &ClaimBatch) -> Self {
        let units = b.lines.iter().map(|l| i64::from(l.units)).sum();
        ClaimBatchView::of(b, b.lines.len() as i64, units)
    }
}

impl From<&BatchSummary> for ClaimBatchView {
    fn from(s: &BatchSummary) -> Self {
        ClaimBatchView::of(&s.batch, s.line_count, s.units)
    }
}

/// The columns of a batch as CSV, in order.
pub const CSV_COLUMNS: [&str; 12] = [
    "batch_id",
    "line_id",
    "client_id",
    "medicaid_id",
    "date_of_service",
    "procedure_code",
    "modifiers",
    "units",
    "rendering_staff_id",
    "contact_ids",
    "outcome",
    "denial_reason",
];

/// A batch as CSV: a header row of [`CSV_COLUMNS`], then one row per line;
/// modifiers are joined with `:`, contact ids with `;`.
fn batch_csv(batch: &ClaimBatch) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_COLUMNS).map_err(ApiError::internal)?;
    for l in &batch.lines {
        let contacts: Vec<String> = l.contact_ids.iter().map(ToString::to_string).collect();
        out.write_record([
            batch.id.to_string(),
            l.id.to_string(),
            l.client_id.to_string(),
            l.medicaid_id.as_str().to_owned(),
            l.date_of_service.to_string(),
            l.procedure_code.clone(),
            l.modifiers.join(":"),
            l.units.to_string(),
            l.rendering_staff_id.to_string(),
            contacts.join(";"),
            l.outcome.as_str().to_owned(),
            l.denial_reason
                .as_ref()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
        ])
        .map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"))
}

/// Why a batch is voided.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Billed to the wrong payer."}))]
pub struct VoidRequest {
    /// 1 to 4,000 characters.
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    pub reason: String,
}

/// What the payer answered for a line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "denied", "reason": "Member not eligible on the date of service."}))]
pub struct OutcomeRequest {
    /// `paid` or `denied` (`pending` undoes an answer recorded in error).
    pub outcome: LineOutcome,
    /// Required when denied, 1 to 4,000 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    pub reason: Option<String>,
}

/// List billing configurations.
///
/// Every version of every payer's rules: the procedure code, unit length and rounding, the daily limit,
/// which activities and modes bill, and the documentation a billable contact needs. Admins and billing staff.
#[utoipa::path(
    tag = "billing", operation_id = "list_billing_configs",
    responses(
        (status = 200, description = "The configurations.", body = BillingConfigList),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/billing-configs")]
pub async fn list_billing_configs(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let all = state.read_as(caller, usecases::list_configs).await?;
    Ok(HttpResponse::Ok().json(BillingConfigList {
        items: all.iter().map(BillingConfigView::from).collect(),
    }))
}

/// Add a billing configuration, or a new version of one.
///
/// Admins only. A payer in use gets its next version; contacts signed before keep the version they were
/// judged by.
#[utoipa::path(
    tag = "billing", operation_id = "create_billing_config", request_body = BillingConfigInput,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "The version was added.", body = BillingConfigView,
            headers(("Location" = String, description = "The list of configurations"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/billing-configs")]
pub async fn create_billing_config(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<BillingConfigInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let config = usecases::add_config(tx, cx, input)?;
        Ok(Created {
            body: json_body(&BillingConfigView::from(&config))?,
            location: "/v1/billing-configs".to_owned(),
            etag: None,
        })
    })
    .await
}

/// Create a claim batch.
///
/// Every signed contact of the payer (default `SPOKE_BILLING_PAYER`) with a date of service in the period
/// that bills units, whose client has a Medicaid id, that no signed amendment replaced and that no live claim
/// line covers yet: one line per client, date of service and rendering staff member, the payer's daily limit
/// applied again. A contact is on at most one live claim line: a batch made at the same moment that takes the
/// same contacts is a 409. Nothing left to bill is a 422 (`nothing_to_bill`). Admins and billing staff.
#[utoipa::path(
    tag = "billing", operation_id = "create_claim_batch", request_body = ClaimBatchInput,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "The draft batch.", body = ClaimBatchView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/claim-batches")]
pub async fn create_claim_batch(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    body: ApiJson<ClaimBatchInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value;
    let settings = state.contacts.clone();
    idempotency::create_as(&state, caller, key, &req, &body.raw, move |tx, cx| {
        let batch = usecases::create_batch(tx, cx, &settings, input)?;
        Ok(Created {
            body: json_body(&ClaimBatchView::from(&batch))?,
            location: format!("/v1/claim-batches/{}", batch.id),
            etag: Some(etag(batch.version)),
        })
    })
    .await
}

/// List claim batches.
///
/// Newest first, each with its line count and units (the lines themselves with `GET /v1/claim-batches/{id}`).
/// Admins and billing staff.
#[utoipa::path(
    tag = "billing", operation_id = "list_claim_batches", params(PageParams),
    responses(
        (status = 200, description = "A page of batches.", body = Page<ClaimBatchView>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/claim-batches")]
pub async fn list_claim_batches(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, after) = query.0.request::<Keyset>()?;
    let page = state
        .read_as(caller, move |tx, cx| {
            usecases::list_batches(tx, cx, after.as_ref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_store(page, |s| ClaimBatchView::from(s))))
}

/// Get a claim batch.
///
/// As JSON, or with `Accept: text/csv` as CSV: a header row, then one row per line with the columns
/// `batch_id, line_id, client_id, medicaid_id, date_of_service, procedure_code, modifiers` (joined with `:`),
/// `units, rendering_staff_id, contact_ids` (joined with `;`), `outcome, denial_reason`. Admins and billing
/// staff; the read is audited against every client the batch bills.
#[utoipa::path(
    tag = "billing", operation_id = "get_claim_batch",
    params(("id" = ClaimBatchId, Path, description = "The batch's id")),
    responses(
        (status = 200, description = "The batch.", headers(("ETag" = String, description = "Its version")),
            content(
                (ClaimBatchView = "application/json"),
                (String = "text/csv", example = "batch_id,line_id,client_id,medicaid_id,date_of_service,procedure_code,modifiers,units,rendering_staff_id,contact_ids,outcome,denial_reason\n01936b35-0a00-7c11-8d22-3e4f5a6b7c8d,01936b34-0a00-7c11-8d22-3e4f5a6b7c8d,01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10,OR12345678,2026-11-20,T1017,,3,01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c,01936b33-1b00-7c11-8d22-3e4f5a6b7c8d,pending,\n"),
            )),
        (status = 403, response = Forbidden),
    ),
    security(("bearer" = []))
)]
#[get("/claim-batches/{id}")]
pub async fn get_claim_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<ClaimBatchId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let batch = state
        .read_as(caller, move |tx, cx| usecases::get_batch(tx, cx, id))
        .await?;
    if wants_csv(&req) {
        return Ok(HttpResponse::Ok()
            .insert_header(("ETag", etag(batch.version)))
            .content_type("text/csv; charset=utf-8")
            .body(batch_csv(&batch)?));
    }
    Ok(ok_with_etag(batch.version, &ClaimBatchView::from(&batch)))
}

/// Export a claim batch.
///
/// Marks a draft sent to the payer, with its ETag in If-Match; its lines then take the payer's answers.
/// An illegal move is a 409 naming the moves allowed now. Admins and billing staff.
#[utoipa::path(
    tag = "billing", operation_id = "export_claim_batch",
    params(("id" = ClaimBatchId, Path, description = "The batch's id"), IfMatch),
    responses(
        (status = 200, description = "The exported batch.", body = ClaimBatchView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/claim-batches/{id}/export")]
pub async fn export_claim_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClaimBatchId>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let batch = state
        .write_as(caller, move |tx, cx| {
            usecases::export(tx, cx, id, &if_match)
        })
        .await?;
    Ok(ok_with_etag(batch.version, &ClaimBatchView::from(&batch)))
}

/// Void a claim batch.
///
/// Withdraws a draft or exported batch, with a reason and its ETag in If-Match; its contacts may then be
/// billed in a new batch. Admins and billing staff.
#[utoipa::path(
    tag = "billing", operation_id = "void_claim_batch", request_body = VoidRequest,
    params(("id" = ClaimBatchId, Path, description = "The batch's id"), IfMatch),
    responses(
        (status = 200, description = "The voided batch.", body = ClaimBatchView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/claim-batches/{id}/void")]
pub async fn void_claim_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ClaimBatchId>,
    if_match: IfMatch,
    body: ApiJson<VoidRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = LongText::parse(&body.value.reason)
        .map_err(|e| ApiError::Validation(FieldErrors::single("reason", e)))?;
    let batch = state
        .write_as(caller, move |tx, cx| {
            usecases::void(tx, cx, id, &if_match, reason)
        })
        .await?;
    Ok(ok_with_etag(batch.version, &ClaimBatchView::from(&batch)))
}

/// Record a claim line's outcome.
///
/// The payer's answer for one line of an exported batch, with the batch's ETag in If-Match: `paid`, or
/// `denied` with a reason. A later answer replaces an earlier one. Admins and billing staff.
#[utoipa::path(
    tag = "billing", operation_id = "record_claim_line_outcome", request_body = OutcomeRequest,
    params(
        ("id" = ClaimBatchId, Path, description = "The batch's id"),
        ("line_id" = ClaimLineId, Path, description = "The line's id"),
        IfMatch,
    ),
    responses(
        (status = 200, description = "The batch with the answer recorded.", body = ClaimBatchView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    ),
    security(("bearer" = []))
)]
#[post("/claim-batches/{id}/lines/{line_id}/outcome")]
pub async fn record_claim_line_outcome(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(ClaimBatchId, ClaimLineId)>,
    if_match: IfMatch,
    body: ApiJson<OutcomeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, line) = path.into_inner();
    let OutcomeRequest { outcome, reason } = body.value;
    let reason = reason
        .as_deref()
        .map(LongText::parse)
        .transpose()
        .map_err(|e| ApiError::Validation(FieldErrors::single("reason", e)))?;
    let batch = state
        .write_as(caller, move |tx, cx| {
            usecases::record_outcome(tx, cx, id, line, &if_match, outcome, reason)
        })
        .await?;
    Ok(ok_with_etag(batch.version, &ClaimBatchView::from(&batch)))
}
