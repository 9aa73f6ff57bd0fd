//! Billing: the payers' configurations, and claim batches made from signed,
//! billable contacts, exported, answered line by line, voided. Admins and
//! billing staff; a change to a configuration, admins only.

use spoke_domain::audit::{AuditAction, AuditEvent, ResourceType};
use spoke_domain::billing::{BillingConfig, BillingConfigInput};
use spoke_domain::claim::{BatchStatus, ClaimBatch, ClaimBatchInput, LineOutcome, claim_lines};
use spoke_domain::ids::{ClaimBatchId, ClaimLineId};
use spoke_domain::policy::{BillingAction, authorize_billing};
use spoke_domain::values::LongText;
use spoke_persistence::StoreError;
use spoke_persistence::claims::{self as store, BatchSummary};
use spoke_persistence::contacts as configs;
use spoke_persistence::page::{Keyset, Page};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::contacts::ContactSettings;
use crate::usecases::{allowed, change_versioned};

const NOT_BILLING: &str = "only admins and billing staff work with claims";

fn may(cx: &Cx, action: BillingAction) -> Result<(), ApiError> {
    let forbidden = if action == BillingAction::ManageConfiguration {
        "only an admin changes billing configurations"
    } else {
        NOT_BILLING
    };
    allowed(authorize_billing(&cx.actor, action), forbidden)
}

/// Records that the actor `action`ed `batch`, naming the clients it bills.
fn audit(tx: &mut Tx, cx: &Cx, action: AuditAction, batch: &ClaimBatch) {
    if let Some(mut event) = AuditEvent::for_page(
        cx.actor.user_id,
        action,
        ResourceType::ClaimBatch,
        batch.lines.iter().map(|l| l.client_id),
        &cx.request_id,
        cx.now,
    ) {
        event.resource_id = batch.id.to_string();
        tx.audit(event);
    }
}

/// Every version of every payer's configuration.
pub fn list_configs(tx: &mut Tx, cx: &Cx) -> Result<Vec<BillingConfig>, ApiError> {
    may(cx, BillingAction::ReadClaims)?;
    Ok(configs::list_configs(tx)?)
}

/// Adds `input` as the next version of its payer's configuration. Contacts
/// signed before keep the version they were judged by.
pub fn add_config(
    tx: &mut Tx,
    cx: &Cx,
    input: BillingConfigInput,
) -> Result<BillingConfig, ApiError> {
    may(cx, BillingAction::ManageConfiguration)?;
    match configs::add_config_version(tx, input.parse()?, cx.now) {
        Err(StoreError::Conflict(_)) => Err(ApiError::Conflict(
            "another version of this payer's configuration was added at the same moment; retry"
                .into(),
        )),
        other => Ok(other?),
    }
}

/// Makes a draft batch of every signed, billable contact of the payer in
/// the period that no live claim line covers yet (co-signed, when the
/// agency requires it).
pub fn create_batch(
    tx: &mut Tx,
    cx: &Cx,
    settings: &ContactSettings,
    input: ClaimBatchInput,
) -> Result<ClaimBatch, ApiError> {
    may(cx, BillingAction::PrepareClaims)?;
    let period = input.parse(&settings.payer, cx.today)?;
    let config = configs::latest_config(tx, &period.payer)?.ok_or_else(|| {
        ApiError::invalid_field(
            "payer",
            "unknown_reference",
            "no billing configuration has this payer",
        )
    })?;
    let contacts = store::billable_contacts(
        tx,
        &period.payer,
        period.from,
        period.to,
        settings.rules.cosign_required,
    )?;
    let lines = claim_lines(&config, contacts);
    if lines.is_empty() {
        return Err(ApiError::invalid_field(
            "from",
            "nothing_to_bill",
            "no signed, billable contact of this payer in the period is left to bill",
        ));
    }
    let batch = ClaimBatch {
        id: ClaimBatchId::generate(),
        payer: period.payer,
        period_from: period.from,
        period_to: period.to,
        status: BatchStatus::Draft,
        created_by: cx.actor.user_id,
        lines,
        exported_at: None,
        voided_at: None,
        void_reason: None,
        created_at: cx.now,
        updated_at: cx.now,
        version: 1,
    };
    match store::insert_batch(tx, &batch) {
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::Conflict(
                "another claim batch took some of these contacts at the same moment; retry".into(),
            ));
        }
        other => other?,
    }
    audit(tx, cx, AuditAction::RecordCreated, &batch);
    Ok(batch)
}

pub fn get_batch(tx: &mut Tx, cx: &Cx, id: ClaimBatchId) -> Result<ClaimBatch, ApiError> {
    may(cx, BillingAction::ReadClaims)?;
    let batch = store::get_batch(tx, id)?;
    audit(tx, cx, AuditAction::RecordRead, &batch);
    Ok(batch)
}

/// Batches newest first, their lines counted, not shown.
pub fn list_batches(
    tx: &mut Tx,
    cx: &Cx,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<BatchSummary>, ApiError> {
    may(cx, BillingAction::ReadClaims)?;
    Ok(store::list_batches(tx, after, limit)?)
}

/// Changes a batch through `change` under the caller's If-Match; `line` is
/// the line whose outcome changed, if any.
fn change(
    tx: &mut Tx,
    cx: &Cx,
    id: ClaimBatchId,
    if_match: &IfMatch,
    line: Option<ClaimLineId>,
    change: impl FnOnce(&mut ClaimBatch) -> Result<(), ApiError>,
) -> Result<ClaimBatch, ApiError> {
    may(cx, BillingAction::PrepareClaims)?;
    let mut batch = store::get_batch(tx, id)?;
    change_versioned(
        tx,
        &mut batch,
        if_match,
        cx.now,
        |_, batch| change(batch).map(|()| true),
        |tx, batch, expected| Ok(store::update_batch(tx, batch, expected, line)?),
    )?;
    audit(tx, cx, AuditAction::RecordUpdated, &batch);
    Ok(batch)
}

/// Marks a draft batch sent to the payer.
pub fn export(
    tx: &mut Tx,
    cx: &Cx,
    id: ClaimBatchId,
    if_match: &IfMatch,
) -> Result<ClaimBatch, ApiError> {
    change(tx, cx, id, if_match, None, |b| Ok(b.export(cx.now)?))
}

/// Withdraws a batch: its contacts may be billed again.
pub fn void(
    tx: &mut Tx,
    cx: &Cx,
    id: ClaimBatchId,
    if_match: &IfMatch,
    reason: LongText,
) -> Result<ClaimBatch, ApiError> {
    change(tx, cx, id, if_match, None, |b| Ok(b.void(reason, cx.now)?))
}

/// Records the payer's answer for one line of an exported batch.
pub fn record_outcome(
    tx: &mut Tx,
    cx: &Cx,
    id: ClaimBatchId,
    line: ClaimLineId,
    if_match: &IfMatch,
    outcome: LineOutcome,
    reason: Option<LongText>,
) -> Result<ClaimBatch, ApiError> {
    change(tx, cx, id, if_match, Some(line), |b| {
        Ok(b.record_outcome(line, outcome, reason, cx.now)?)
    })
}
