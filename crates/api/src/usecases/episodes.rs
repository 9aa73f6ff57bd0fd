//! Episodes of care: the first opens with the client, a discharge closes the
//! open one and everything still open about the client in the same unit of
//! work, and a re-enrollment opens the next.

use chrono::NaiveDate;
use spoke_domain::appointment::{AppointmentMove, AppointmentStatus, CancelledBy};
use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::client::Client;
use spoke_domain::episode::{
    DischargeInput, Enrollment, EnrollmentInput, Episode, PendingClosure, check_start,
};
use spoke_domain::ids::{AppointmentId, ClientId, PlanId, ReferralId};
use spoke_domain::policy::ClientAction;
use spoke_domain::referral::{MoveInput, MovedBy, Referral, ReferralStatus};
use spoke_domain::staff::Role;
use spoke_domain::{FieldErrors, ValueError};
use spoke_persistence::{appointments, episodes as store, plans, referrals};

use crate::context::Cx;
use crate::db::Tx;
use crate::problem::ApiError;
use crate::usecases::audit_record;
use crate::usecases::clients::under_client;

/// The reason recorded on what a discharge cancels.
pub const DISCHARGED: &str = "client discharged";

/// What a discharge closed.
#[derive(Debug, Clone, Default)]
pub struct Closed {
    /// The active plan, completed.
    pub plan_ids: Vec<PlanId>,
    /// The open referrals, cancelled.
    pub referral_ids: Vec<ReferralId>,
    /// The open referrals the request kept open.
    pub kept_referral_ids: Vec<ReferralId>,
    /// The scheduled appointments from now on, cancelled.
    pub appointment_ids: Vec<AppointmentId>,
}

/// Opens the first episode of a client just created.
pub(crate) fn open_first(
    tx: &mut Tx,
    cx: &Cx,
    client: &Client,
    enrollment: Enrollment,
) -> Result<Episode, ApiError> {
    let episode = Episode::open(client.id, enrollment, cx.today, cx.actor.user_id, cx.now);
    store::insert(tx, &episode)?;
    Ok(episode)
}

/// Opens the episode of a discharged client referred again, from `on`
/// (today when absent).
pub(crate) fn reenroll(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    enrollment: Option<EnrollmentInput>,
    on: Option<NaiveDate>,
) -> Result<Episode, ApiError> {
    let enrollment = enrollment.unwrap_or_default().parse("enrollment")?;
    let on = on.unwrap_or(cx.today);
    let previous_end = store::episodes_of(tx, client)?
        .iter()
        .filter_map(|e| e.ended_on)
        .max();
    check_start(on, previous_end, cx.today)?;
    let episode = Episode::open(client, enrollment, on, cx.actor.user_id, cx.now);
    store::insert(tx, &episode)?;
    audit_record(
        tx,
        cx,
        client,
        AuditAction::RecordCreated,
        (ResourceType::Episode, episode.id.to_string()),
    );
    Ok(episode)
}

/// What a move to `discharged` did.
#[derive(Debug, Clone)]
pub enum Discharged {
    /// The episode ended and what was open closed.
    Done(Episode, Closed),
    /// The discharge waits for a supervisor's approval, on the episode.
    Waiting(Episode),
}

/// The episode `client` is enrolled in. A client loaded in bulk, outside
/// the use cases, has none yet: its enrollment began the day it was
/// created.
fn open_episode(tx: &mut Tx, cx: &Cx, client: &Client) -> Result<Episode, ApiError> {
    if let Some(episode) = store::open_episode(tx, client.id)? {
        return Ok(episode);
    }
    let first = Episode::open(
        client.id,
        EnrollmentInput::default().parse("")?,
        client.created_at.date_naive().min(cx.today),
        cx.actor.user_id,
        cx.now,
    );
    store::insert(tx, &first)?;
    Ok(first)
}

/// Refuses referrals to keep that are not open referrals of the client.
fn check_kept(open: &[Referral], input: &DischargeInput) -> Result<(), ApiError> {
    let mut unknown = FieldErrors::default();
    for (n, kept) in input.keep_referral_ids.iter().enumerate() {
        if !open.iter().any(|r| r.id == *kept) {
            unknown.push(
                &format!("keep_referral_ids[{n}]"),
                ValueError::new("not_open", "is not an open referral of this client"),
            );
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(unknown.into())
    }
}

/// Discharges `client` as `input` asks, or, when the agency approves
/// closures (`approval_required`) and a case manager asks, records the
/// request on the episode for a supervisor. A supervisor or admin
/// discharging a client whose closure waits, without giving a reason,
/// approves the request as it was made.
pub(crate) fn discharge_or_ask(
    tx: &mut Tx,
    cx: &Cx,
    client: &Client,
    input: DischargeInput,
    approval_required: bool,
) -> Result<Discharged, ApiError> {
    let mut episode = open_episode(tx, cx, client)?;
    let input = match (&episode.pending_closure, input.reason) {
        (Some(pending), None) => pending.request.clone(),
        _ => input,
    };
    if approval_required && cx.actor.role == Role::CaseManager {
        if episode.pending_closure.is_some() {
            return Err(ApiError::Conflict(
                "a discharge of this client already waits for a supervisor's approval".to_owned(),
            ));
        }
        // Checked as the discharge would be, without doing it.
        episode
            .clone()
            .close(&input, cx.actor.user_id, cx.today, cx.now)?;
        check_kept(&referrals::open_referrals_of(tx, client.id)?, &input)?;
        let expected = episode.version;
        episode.pending_closure = Some(PendingClosure {
            request: input,
            by: cx.actor.user_id,
            at: cx.now,
        });
        episode.touch(cx.now);
        store::update(tx, &episode, expected)?;
        audit_record(
            tx,
            cx,
            client.id,
            AuditAction::RecordUpdated,
            (ResourceType::Episode, episode.id.to_string()),
        );
        return Ok(Discharged::Waiting(episode));
    }
    let (episode, closed) = discharge(tx, cx, client, episode, &input)?;
    Ok(Discharged::Done(episode, closed))
}

/// Withdraws (or, for a supervisor, declines) the discharge that waits for
/// approval: the episode goes on.
pub fn withdraw_closure(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<Episode, ApiError> {
    let record = crate::usecases::clients::load(
        tx,
        &cx.actor,
        client,
        ClientAction::ChangeStatus,
        cx.today,
    )?;
    let mut episode = store::open_episode(tx, record.id)?
        .filter(|e| e.pending_closure.is_some())
        .ok_or(ApiError::NotFound)?;
    let expected = episode.version;
    episode.pending_closure = None;
    episode.touch(cx.now);
    store::update(tx, &episode, expected)?;
    audit_record(
        tx,
        cx,
        client,
        AuditAction::RecordUpdated,
        (ResourceType::Episode, episode.id.to_string()),
    );
    Ok(episode)
}

/// Ends `episode` as `input` asks and closes what is open: the active plan
/// is completed, the open referrals not kept are cancelled ("client
/// discharged"; partners hear of it), the appointments scheduled from now
/// on are cancelled. All of it in the caller's unit of work, each change
/// audited; any refusal leaves nothing changed.
fn discharge(
    tx: &mut Tx,
    cx: &Cx,
    client: &Client,
    mut episode: Episode,
    input: &DischargeInput,
) -> Result<(Episode, Closed), ApiError> {
    let expected = episode.version;
    episode.close(input, cx.actor.user_id, cx.today, cx.now)?;

    let open = referrals::open_referrals_of(tx, client.id)?;
    check_kept(&open, input)?;
    let mut closed = Closed::default();

    if let Some(mut plan) = plans::active_plan(tx, client.id)? {
        let version = plan.version;
        plan.complete(cx.now)?;
        plans::update_plan(tx, &plan, version)?;
        audit_record(
            tx,
            cx,
            client.id,
            AuditAction::RecordUpdated,
            (ResourceType::Plan, plan.id.to_string()),
        );
        closed.plan_ids.push(plan.id);
    }

    for mut referral in open {
        if input.keep_referral_ids.contains(&referral.id) {
            closed.kept_referral_ids.push(referral.id);
            continue;
        }
        let version = referral.version;
        let cancel = MoveInput {
            status: ReferralStatus::Cancelled,
            reason: Some(DISCHARGED.to_owned()),
            business_status: None,
            outcome: None,
            linked_on: None,
        };
        let by = MovedBy::Staff {
            user_id: cx.actor.user_id,
        };
        let event = referral.move_to(by, cancel, None, cx.today, cx.now)?;
        crate::usecases::referrals::save_move(tx, &referral, version, &event, cx.now, cx.today)?;
        audit_record(
            tx,
            cx,
            client.id,
            AuditAction::RecordUpdated,
            (ResourceType::Referral, referral.id.to_string()),
        );
        closed.referral_ids.push(referral.id);
    }

    for mut appointment in appointments::scheduled_from(tx, client.id, cx.now)? {
        let version = appointment.version;
        // Called off on the client's side: the provider did not cancel.
        let cancel = AppointmentMove {
            status: AppointmentStatus::Cancelled,
            reason: Some(DISCHARGED.to_owned()),
            cancelled_by: Some(CancelledBy::Client),
            new_starts_at: None,
            new_ends_at: None,
        };
        appointment.move_to(cancel, cx.actor.user_id, cx.now)?;
        appointments::update_appointment(tx, &appointment, version)?;
        audit_record(
            tx,
            cx,
            client.id,
            AuditAction::RecordUpdated,
            (ResourceType::Appointment, appointment.id.to_string()),
        );
        closed.appointment_ids.push(appointment.id);
    }

    store::update(tx, &episode, expected)?;
    audit_record(
        tx,
        cx,
        client.id,
        AuditAction::RecordUpdated,
        (ResourceType::Episode, episode.id.to_string()),
    );
    Ok((episode, closed))
}

/// Every episode of `client`, the earliest first.
pub fn list(tx: &mut Tx, cx: &Cx, client: ClientId) -> Result<Vec<Episode>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Episodes, client.to_string()),
        |tx| Ok(store::episodes_of(tx, client)?),
    )
}
