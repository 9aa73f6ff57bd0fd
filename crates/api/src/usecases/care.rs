//! The people around a client: the care team and natural supports. The
//! client's keepers (their case manager, the team's supervisors, admins)
//! change them; whoever may read the client reads them.

use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::care::{
    CareTeamFields, CareTeamMember, CareTeamPerson, NaturalSupport, NaturalSupportFields,
};
use spoke_domain::ids::{CareTeamMemberId, ClientId, NaturalSupportId, ReferralId};
use spoke_domain::policy::ClientAction;
use spoke_persistence::{DbConnection, StoreError, care, referrals};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::change_versioned;
use crate::usecases::clients::under_client;
use crate::usecases::staff::active_user;

const MEMBER: ResourceType = ResourceType::CareTeamMember;
const SUPPORT: ResourceType = ResourceType::NaturalSupport;

/// A request may name only the client's own natural supports, care-team
/// members and referrals: each list with the field its errors are reported
/// on.
pub(crate) fn check_client_references(
    conn: &mut DbConnection,
    client: ClientId,
    supports: (&str, &[NaturalSupportId]),
    members: (&str, &[CareTeamMemberId]),
    referral_ids: (&str, &[ReferralId]),
) -> Result<(), ApiError> {
    let unknown = |field: &str, message: String| {
        ApiError::invalid_field(field, "unknown_reference", &message)
    };
    for id in supports.1 {
        match care::get_support(conn, client, *id) {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(unknown(
                    supports.0,
                    format!("natural support {id} is not one of the client's"),
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    for id in referral_ids.1 {
        match referrals::get_referral(conn, *id) {
            Ok(referral) if referral.client_id == client => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(unknown(
                    referral_ids.0,
                    format!("referral {id} is not one of the client's"),
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    for id in members.1 {
        match care::get_member(conn, client, *id) {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(unknown(
                    members.0,
                    format!("care-team member {id} is not on the client's care team"),
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// A staff member of a care team must be an active user.
fn check_staff(conn: &mut DbConnection, fields: &CareTeamFields) -> Result<(), ApiError> {
    let CareTeamPerson::Staff { user_id } = fields.person else {
        return Ok(());
    };
    active_user(conn, "user_id", user_id)
}

/// Adds a staff user or an outside professional to a client's care team.
pub fn create_member(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    fields: CareTeamFields,
) -> Result<CareTeamMember, ApiError> {
    let member = CareTeamMember::new(client, fields, cx.now);
    let resource = (MEMBER, member.id.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        resource,
        |tx| {
            check_staff(tx, &member.fields)?;
            care::insert_member(tx, &member)?;
            Ok(member)
        },
    )
}

/// Every membership of a client's care team, past ones included.
pub fn list_members(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
) -> Result<Vec<CareTeamMember>, ApiError> {
    let resource = (ResourceType::CareTeam, client.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        resource,
        |tx| Ok(care::list_members(tx, client)?),
    )
}

pub fn get_member(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: CareTeamMemberId,
) -> Result<CareTeamMember, ApiError> {
    let resource = (MEMBER, id.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        resource,
        |tx| Ok(care::get_member(tx, client, id)?),
    )
}

/// Replaces a membership whole; ending it sets `ended_on` (history is kept).
pub fn replace_member(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: CareTeamMemberId,
    if_match: &IfMatch,
    fields: CareTeamFields,
) -> Result<CareTeamMember, ApiError> {
    let resource = (MEMBER, id.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        resource,
        |tx| {
            let mut member = care::get_member(tx, client, id)?;
            change_versioned(
                tx,
                &mut member,
                if_match,
                cx.now,
                |tx, member| {
                    check_staff(tx, &fields)?;
                    member.fields = fields;
                    Ok(true)
                },
                |tx, member, expected| Ok(care::update_member(tx, member, expected)?),
            )?;
            Ok(member)
        },
    )
}

/// Adds someone from the client's own life who helps them.
pub fn create_support(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    fields: NaturalSupportFields,
) -> Result<NaturalSupport, ApiError> {
    let support = NaturalSupport::new(client, fields, cx.now);
    let resource = (SUPPORT, support.id.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        resource,
        |tx| {
            care::insert_support(tx, &support)?;
            Ok(support)
        },
    )
}

/// A client's natural supports, oldest first.
pub fn list_supports(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
) -> Result<Vec<NaturalSupport>, ApiError> {
    let resource = (ResourceType::NaturalSupports, client.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        resource,
        |tx| Ok(care::list_supports(tx, client)?),
    )
}

pub fn get_support(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: NaturalSupportId,
) -> Result<NaturalSupport, ApiError> {
    let resource = (SUPPORT, id.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        resource,
        |tx| Ok(care::get_support(tx, client, id)?),
    )
}

/// Replaces a natural support whole.
pub fn replace_support(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: NaturalSupportId,
    if_match: &IfMatch,
    fields: NaturalSupportFields,
) -> Result<NaturalSupport, ApiError> {
    let resource = (SUPPORT, id.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        resource,
        |tx| {
            let mut support = care::get_support(tx, client, id)?;
            change_versioned(
                tx,
                &mut support,
                if_match,
                cx.now,
                |_, support| {
                    support.fields = fields;
                    Ok(true)
                },
                |tx, support, expected| Ok(care::update_support(tx, support, expected)?),
            )?;
            Ok(support)
        },
    )
}

/// Removes a natural support; the audit log keeps that it existed.
pub fn delete_support(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: NaturalSupportId,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let resource = (SUPPORT, id.to_string());
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordDeleted,
        resource,
        |tx| {
            let support = care::get_support(tx, client, id)?;
            if_match.check(support.version)?;
            Ok(care::delete_support(tx, client, id, support.version)?)
        },
    )
}
