//! Transfers: the client's keepers ask; the receiving team's supervisor (or
//! an admin) accepts or declines; on acceptance the client's team and case
//! manager change in the same unit of work, and who held the client is
//! kept as its assignment history.

use spoke_domain::audit::{AuditAction, AuditEvent, ResourceType};
use spoke_domain::ids::{ClientId, TransferId};
use spoke_domain::policy::{ClientAction, decides_transfer, transfer_teams, transfer_visible};
use spoke_domain::transfer::{
    Assignment, AssignmentReason, Transfer, TransferError, TransferInput, TransferMove,
    TransferStatus,
};
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::transfers::{self as store, TransferFilter, TransferRecord};
use spoke_persistence::{StoreError, clients};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::clients::{check_case_manager, load, under_client};
use crate::usecases::staff::existing_team;
use crate::usecases::{audit_record, audit_shown};

const TRANSFER: ResourceType = ResourceType::Transfer;

impl From<TransferError> for ApiError {
    fn from(error: TransferError) -> Self {
        match error {
            TransferError::IllegalMove(refused) => ApiError::IllegalMove(refused),
            TransferError::Invalid(errors) => ApiError::Validation(errors),
        }
    }
}

/// Asks for `client` to move to another team or case manager.
pub fn request(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    input: TransferInput,
) -> Result<TransferRecord, ApiError> {
    let record = load(tx, &cx.actor, client, ClientAction::Update, cx.today)?;
    existing_team(tx, "to_team_id", input.to_team_id)?;
    if let Some(manager) = input.to_case_manager_id {
        check_case_manager(tx, "to_case_manager_id", manager, input.to_team_id)?;
    }
    let transfer = Transfer::request(
        client,
        (record.team_id, record.primary_case_manager_id),
        input,
        cx.actor.user_id,
        cx.now,
    )?;
    store::insert(tx, &transfer).map_err(|error| match error {
        StoreError::Conflict(_) => ApiError::Conflict(
            "a transfer of this client is already waiting: it is decided or withdrawn first"
                .to_owned(),
        ),
        other => other.into(),
    })?;
    audit_record(
        tx,
        cx,
        client,
        AuditAction::RecordCreated,
        (TRANSFER, transfer.id.to_string()),
    );
    Ok(TransferRecord {
        transfer,
        client_name: format!(
            "{} {}",
            record.details.given_name, record.details.family_name
        ),
    })
}

/// A transfer the actor is a side of; anything else is not found.
pub fn get(tx: &mut Tx, cx: &Cx, id: TransferId) -> Result<TransferRecord, ApiError> {
    let record = store::get(tx, id)?;
    if !transfer_visible(
        &cx.actor,
        record.transfer.from_team_id,
        record.transfer.to_team_id,
    ) {
        return Err(ApiError::NotFound);
    }
    audit_record(
        tx,
        cx,
        record.transfer.client_id,
        AuditAction::RecordRead,
        (TRANSFER, id.to_string()),
    );
    Ok(record)
}

/// Accepts or declines a transfer (the receiving side), or withdraws it
/// (whoever may change the client). Accepting moves the client to the new
/// team and case manager in the same unit of work; of two decisions at
/// once, one wins and the other finds the transfer moved on (412).
pub fn decide(
    tx: &mut Tx,
    cx: &Cx,
    id: TransferId,
    if_match: &IfMatch,
    input: TransferMove,
) -> Result<TransferRecord, ApiError> {
    let TransferRecord {
        mut transfer,
        client_name,
    } = store::get(tx, id)?;
    if !transfer_visible(&cx.actor, transfer.from_team_id, transfer.to_team_id) {
        return Err(ApiError::NotFound);
    }
    if input.status == TransferStatus::Cancelled {
        load(
            tx,
            &cx.actor,
            transfer.client_id,
            ClientAction::Update,
            cx.today,
        )?;
    } else if !decides_transfer(&cx.actor, transfer.to_team_id) {
        return Err(ApiError::Forbidden(
            "only a supervisor of the receiving team or an admin accepts or declines a transfer",
        ));
    }
    if_match.check(transfer.version)?;
    let expected = transfer.version;
    let manager = transfer.move_to(input, cx.actor.user_id, cx.now)?;
    if let Some(manager) = manager {
        check_case_manager(tx, "case_manager_id", manager, transfer.to_team_id)?;
        let mut client = clients::get(tx, transfer.client_id)?;
        let version = client.version;
        client.team_id = transfer.to_team_id;
        client.primary_case_manager_id = Some(manager);
        client.touch(cx.now);
        clients::update(tx, &client, version)?;
        store::record_assignment(
            tx,
            client.id,
            (client.team_id, Some(manager)),
            AssignmentReason::Transfer,
            cx.actor.user_id,
            cx.now,
        )?;
        tx.audit(AuditEvent::for_client(
            cx.actor.user_id,
            AuditAction::ClientAssigned,
            client.id,
            &cx.request_id,
            cx.now,
        ));
    }
    store::update(tx, &transfer, expected)?;
    audit_record(
        tx,
        cx,
        transfer.client_id,
        AuditAction::RecordUpdated,
        (TRANSFER, id.to_string()),
    );
    Ok(TransferRecord {
        transfer,
        client_name,
    })
}

/// The transfers the actor is a side of (an admin every one), oldest
/// first, audited as one event naming the clients shown.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: TransferFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<TransferRecord>, ApiError> {
    let teams = transfer_teams(&cx.actor);
    let page = store::list(tx, &TransferFilter { teams, ..filter }, after, limit)?;
    audit_shown(
        tx,
        cx,
        ResourceType::TransferList,
        page.items.iter().map(|r| r.transfer.client_id),
    );
    Ok(page)
}

/// A client's transfers, oldest first.
pub fn list_for_client(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
) -> Result<Vec<TransferRecord>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Transfers, client.to_string()),
        |tx| {
            let filter = TransferFilter {
                client: Some(client),
                ..TransferFilter::default()
            };
            Ok(store::list(tx, &filter, None, 1000)?.items)
        },
    )
}

/// Who held `client`, from when until when, the earliest first.
pub fn assignments(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<Vec<Assignment>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Transfers, client.to_string()),
        |tx| Ok(store::assignments_of(tx, client)?),
    )
}
