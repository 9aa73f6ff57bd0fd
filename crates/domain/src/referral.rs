//! Closed-loop referrals after the HL7 Gravity SDOH Clinical Care referral
//! workflow: the requester (staff) drafts, sends and cancels; the performer
//! (the partner organization) accepts, rejects, works and closes the loop.
//! Every move is kept in the history.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::ConsentCategory;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{
    ClientId, ConsentId, OrganizationId, ReferralEventId, ReferralId, ServiceId, UserId,
};
use crate::lifecycle::{IllegalMove, Status};
use crate::values::{LongText, ShortText};

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "accepted"))]
pub enum ReferralStatus {
    Draft,
    Requested,
    Accepted,
    Rejected,
    InProgress,
    OnHold,
    Failed,
    Completed,
    Cancelled,
}

impl Status for ReferralStatus {
    const RECORD: &'static str = "referral";
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl ReferralStatus {
    pub const ALL: [ReferralStatus; 9] = [
        ReferralStatus::Draft,
        ReferralStatus::Requested,
        ReferralStatus::Accepted,
        ReferralStatus::Rejected,
        ReferralStatus::InProgress,
        ReferralStatus::OnHold,
        ReferralStatus::Failed,
        ReferralStatus::Completed,
        ReferralStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferralStatus::Draft => "draft",
            ReferralStatus::Requested => "requested",
            ReferralStatus::Accepted => "accepted",
            ReferralStatus::Rejected => "rejected",
            ReferralStatus::InProgress => "in_progress",
            ReferralStatus::OnHold => "on_hold",
            ReferralStatus::Failed => "failed",
            ReferralStatus::Completed => "completed",
            ReferralStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the loop is closed: nothing moves from here.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralStatus::Rejected
                | ReferralStatus::Failed
                | ReferralStatus::Completed
                | ReferralStatus::Cancelled
        )
    }

    /// Whether a move into this status must give a reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            ReferralStatus::Rejected
                | ReferralStatus::Cancelled
                | ReferralStatus::OnHold
                | ReferralStatus::Failed
        )
    }
}

/// Who moves a referral: the staff who sent it, or the partner who serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "performer"))]
pub enum Side {
    Requester,
    Performer,
}

/// The statuses `side` may move a referral to from `from`.
pub fn allowed_moves(from: ReferralStatus, side: Side) -> Vec<ReferralStatus> {
    use ReferralStatus::*;
    match (side, from) {
        (Side::Requester, Draft) => vec![Requested, Cancelled],
        (Side::Requester, Requested | Accepted | InProgress | OnHold) => vec![Cancelled],
        (Side::Performer, Requested) => vec![Accepted, Rejected],
        (Side::Performer, Accepted) => vec![InProgress, OnHold, Failed, Completed],
        (Side::Performer, InProgress) => vec![OnHold, Failed, Completed],
        (Side::Performer, OnHold) => vec![InProgress, Failed],
        _ => Vec::new(),
    }
}

/// A finer outcome than the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "waitlisted"))]
pub enum BusinessStatus {
    CouldNotContact,
    NotEligible,
    NoCapacity,
    Waitlisted,
    ClientDeclined,
    ContactMade,
    AppointmentScheduled,
    ServiceProvided,
}

impl BusinessStatus {
    pub const ALL: [BusinessStatus; 8] = [
        BusinessStatus::CouldNotContact,
        BusinessStatus::NotEligible,
        BusinessStatus::NoCapacity,
        BusinessStatus::Waitlisted,
        BusinessStatus::ClientDeclined,
        BusinessStatus::ContactMade,
        BusinessStatus::AppointmentScheduled,
        BusinessStatus::ServiceProvided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BusinessStatus::CouldNotContact => "could_not_contact",
            BusinessStatus::NotEligible => "not_eligible",
            BusinessStatus::NoCapacity => "no_capacity",
            BusinessStatus::Waitlisted => "waitlisted",
            BusinessStatus::ClientDeclined => "client_declined",
            BusinessStatus::ContactMade => "contact_made",
            BusinessStatus::AppointmentScheduled => "appointment_scheduled",
            BusinessStatus::ServiceProvided => "service_provided",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// How urgent a referral is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "urgent"))]
pub enum Priority {
    Routine,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Priority::Routine, Priority::Urgent]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

/// A referral as staff draft it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "service_id": "01936b2f-6a00-7c11-8d22-3e4f5a6b7c8d", "reason": "Needs a food box this week; no income until the 3rd.",
    "needs": ["food", "income"], "priority": "urgent", "note_for_partner": "Prefers Spanish; call after 3 pm.",
    "categories": ["general"], "due_by": "2026-12-04"
})))]
pub struct ReferralInput {
    /// The service referred to; its organization receives the referral.
    pub service_id: ServiceId,
    /// Why, in words the partner will read: 1 to 4,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub reason: String,
    /// Life domains the referral addresses (`food`, `housing`, ...).
    #[serde(default)]
    pub needs: Vec<String>,
    #[serde(default = "routine")]
    pub priority: Priority,
    /// 1 to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub note_for_partner: Option<String>,
    /// The kinds of information the referral shares; a covering consent must name them all (default `general`).
    #[serde(default = "general")]
    pub categories: Vec<ConsentCategory>,
    #[serde(default)]
    pub due_by: Option<NaiveDate>,
}

fn routine() -> Priority {
    Priority::Routine
}

fn general() -> Vec<ConsentCategory> {
    vec![ConsentCategory::General]
}

/// A referral's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralFields {
    pub service_id: ServiceId,
    pub reason: LongText,
    pub needs: BTreeSet<String>,
    pub priority: Priority,
    pub note_for_partner: Option<LongText>,
    pub categories: BTreeSet<ConsentCategory>,
    pub due_by: Option<NaiveDate>,
}

impl ReferralInput {
    pub fn parse(self) -> Result<ReferralFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let reason = errors.check("reason", LongText::parse(&self.reason));
        let mut needs = BTreeSet::new();
        for (n, need) in self.needs.iter().enumerate() {
            if let Some(code) = errors.check(
                &format!("needs[{n}]"),
                crate::assessment::instrument_code(need),
            ) {
                needs.insert(code);
            }
        }
        let note = errors.check_opt(
            "note_for_partner",
            self.note_for_partner.as_deref(),
            LongText::parse,
        );
        let categories: BTreeSet<ConsentCategory> = self.categories.into_iter().collect();
        if categories.is_empty() {
            errors.push(
                "categories",
                ValueError::new("required", "name at least one category"),
            );
        }
        errors.finish(|| {
            Some(ReferralFields {
                service_id: self.service_id,
                reason: reason?,
                needs,
                priority: self.priority,
                note_for_partner: note,
                categories,
                due_by: self.due_by,
            })
        })
    }
}

/// Who made a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"kind": "partner", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d"})))]
pub enum MovedBy {
    Staff { user_id: UserId },
    Partner { organization_id: OrganizationId },
}

impl MovedBy {
    pub fn side(self) -> Side {
        match self {
            MovedBy::Staff { .. } => Side::Requester,
            MovedBy::Partner { .. } => Side::Performer,
        }
    }
}

/// A move asked for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "completed", "business_status": "service_provided",
    "outcome": "Enrolled in weekly food boxes.", "linked_on": "2026-12-03"
})))]
pub struct MoveInput {
    pub status: ReferralStatus,
    /// Required for rejected, cancelled, on_hold and failed.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub business_status: Option<BusinessStatus>,
    /// On completion: what came of it.
    #[serde(default)]
    pub outcome: Option<String>,
    /// On completion: the day the client got there (first appointment attended).
    #[serde(default)]
    pub linked_on: Option<NaiveDate>,
}

/// One move in a referral's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936b32-1a00-7c11-8d22-3e4f5a6b7c8d", "at": "2026-12-01T16:00:00Z",
    "by": {"kind": "partner", "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d"},
    "from": "requested", "to": "rejected", "reason": "Outside our service area", "business_status": "not_eligible"
})))]
pub struct ReferralEvent {
    pub id: ReferralEventId,
    pub at: DateTime<Utc>,
    pub by: MovedBy,
    /// Null for the referral's creation.
    pub from: Option<ReferralStatus>,
    pub to: ReferralStatus,
    pub reason: Option<String>,
    pub business_status: Option<BusinessStatus>,
}

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferralError {
    #[error("{0}")]
    IllegalMove(IllegalMove),
    #[error("a {} referral is closed and never changes", .0.as_str())]
    Closed(ReferralStatus),
    #[error("{0}")]
    Invalid(FieldErrors),
    /// Only a rejected referral is redirected; any other is moved or cancelled.
    #[error("only a rejected referral is redirected")]
    NotRejected(ReferralStatus),
}

/// A referral of a client to a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub id: ReferralId,
    pub client_id: ClientId,
    pub organization_id: OrganizationId,
    pub fields: ReferralFields,
    pub status: ReferralStatus,
    pub business_status: Option<BusinessStatus>,
    /// The consent that covered it when it was sent.
    pub consent_id: Option<ConsentId>,
    pub outcome: Option<String>,
    pub linked_on: Option<NaiveDate>,
    /// The rejected referral this one redirects.
    pub redirected_from: Option<ReferralId>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Referral {
    /// A draft to `organization` (the service's), with its first history entry.
    pub fn draft(
        client_id: ClientId,
        organization_id: OrganizationId,
        fields: ReferralFields,
        by: UserId,
        now: DateTime<Utc>,
    ) -> (Self, ReferralEvent) {
        let referral = Referral {
            id: ReferralId::generate(),
            client_id,
            organization_id,
            fields,
            status: ReferralStatus::Draft,
            business_status: None,
            consent_id: None,
            outcome: None,
            linked_on: None,
            redirected_from: None,
            created_by: by,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let event = ReferralEvent {
            id: ReferralEventId::generate(),
            at: now,
            by: MovedBy::Staff { user_id: by },
            from: None,
            to: ReferralStatus::Draft,
            reason: None,
            business_status: None,
        };
        (referral, event)
    }

    /// Moves the referral as `by` asks, and returns the history entry.
    /// Sending (`requested`) also needs `consent`: the caller finds the
    /// consent that covers this referral's recipient and categories.
    pub fn move_to(
        &mut self,
        by: MovedBy,
        input: MoveInput,
        consent: Option<ConsentId>,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ReferralEvent, ReferralError> {
        let allowed = allowed_moves(self.status, by.side());
        if !allowed.contains(&input.status) {
            let side = match by.side() {
                Side::Requester => "requester",
                Side::Performer => "performer",
            };
            return Err(ReferralError::IllegalMove(IllegalMove::new(
                self.status,
                input.status,
                &allowed,
                format!(
                    "the {side} cannot move a referral from {} to {}",
                    self.status.as_str(),
                    input.status.as_str()
                ),
            )));
        }
        let mut errors = FieldErrors::default();
        let reason = match input.reason.as_deref() {
            Some(raw) => errors
                .check("reason", ShortText::parse(raw))
                .map(|r| r.to_string()),
            None if input.status.needs_reason() => {
                errors.push(
                    "reason",
                    ValueError::new(
                        "required",
                        format!("a move to {} needs a reason", input.status.as_str()),
                    ),
                );
                None
            }
            None => None,
        };
        let completing = input.status == ReferralStatus::Completed;
        let outcome = match input.outcome.as_deref() {
            Some(raw) if completing => errors
                .check("outcome", LongText::parse(raw))
                .map(|o| o.as_str().to_owned()),
            Some(_) => {
                errors.push(
                    "outcome",
                    ValueError::new("not_allowed", "an outcome is recorded on completion"),
                );
                None
            }
            None => None,
        };
        match input.linked_on {
            Some(_) if !completing => {
                errors.push(
                    "linked_on",
                    ValueError::new("not_allowed", "the linked date is recorded on completion"),
                );
            }
            Some(day) if day > today => {
                errors.push(
                    "linked_on",
                    ValueError::new("in_future", "must not be in the future"),
                );
            }
            _ => {}
        }
        if input.status == ReferralStatus::Requested && consent.is_none() {
            errors.push(
                "consent",
                ValueError::new(
                    "consent_required",
                    "no active consent of the client covers this organization and every category of the referral",
                ),
            );
        }
        if !errors.is_empty() {
            return Err(ReferralError::Invalid(errors));
        }
        let event = ReferralEvent {
            id: ReferralEventId::generate(),
            at: now,
            by,
            from: Some(self.status),
            to: input.status,
            reason,
            business_status: input.business_status,
        };
        if input.status == ReferralStatus::Requested {
            self.consent_id = consent;
        }
        self.status = input.status;
        if input.business_status.is_some() {
            self.business_status = input.business_status;
        }
        if completing {
            self.outcome = outcome;
            self.linked_on = input.linked_on;
        }
        self.updated_at = now;
        self.version += 1;
        Ok(event)
    }

    /// Records that the client reached the service on `day` (their first
    /// appointment there was kept): sets `linked_on` when it is not yet set
    /// and the loop is still open. Whether anything changed.
    pub fn link_visit(&mut self, day: NaiveDate, now: DateTime<Utc>) -> bool {
        if self.linked_on.is_some() || self.status.is_final() {
            return false;
        }
        self.linked_on = Some(day);
        self.updated_at = now;
        self.version += 1;
        true
    }

    /// A new draft to another service (of `organization_id`), linked to
    /// this rejected referral by `redirected_from`; this one stays as it is.
    pub fn redirect(
        &self,
        service_id: ServiceId,
        organization_id: OrganizationId,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<(Referral, ReferralEvent), ReferralError> {
        if self.status != ReferralStatus::Rejected {
            return Err(ReferralError::NotRejected(self.status));
        }
        let mut fields = self.fields.clone();
        fields.service_id = service_id;
        let (mut referral, created) =
            Referral::draft(self.client_id, organization_id, fields, by, now);
        referral.redirected_from = Some(self.id);
        Ok((referral, created))
    }

    /// The history entry of a change of content by staff `by`: the status
    /// stays what it was.
    pub fn revision_event(&self, by: UserId) -> ReferralEvent {
        ReferralEvent {
            id: ReferralEventId::generate(),
            at: self.updated_at,
            by: MovedBy::Staff { user_id: by },
            from: Some(self.status),
            to: self.status,
            reason: None,
            business_status: None,
        }
    }

    /// Replaces the referral's content while the loop is open. Only a draft
    /// changes its service (and so its organization); once sent, new
    /// categories need `consent`, a consent covering them.
    pub fn revise(
        &mut self,
        fields: ReferralFields,
        organization_id: OrganizationId,
        consent: Option<ConsentId>,
        now: DateTime<Utc>,
    ) -> Result<(), ReferralError> {
        if self.status.is_final() {
            return Err(ReferralError::Closed(self.status));
        }
        let mut errors = FieldErrors::default();
        let sent = self.status != ReferralStatus::Draft;
        if sent && fields.service_id != self.fields.service_id {
            errors.push(
                "service_id",
                ValueError::new(
                    "not_allowed",
                    "only a draft changes its service; redirect or cancel instead",
                ),
            );
        }
        if sent && !fields.categories.is_subset(&self.fields.categories) && consent.is_none() {
            errors.push(
                "categories",
                ValueError::new(
                    "consent_required",
                    "no active consent of the client covers this organization and every category of the referral",
                ),
            );
        }
        if !errors.is_empty() {
            return Err(ReferralError::Invalid(errors));
        }
        if sent && consent.is_some() {
            self.consent_id = consent;
        }
        self.fields = fields;
        self.organization_id = organization_id;
        self.updated_at = now;
        self.version += 1;
        Ok(())
    }

    /// Whether the referral is past its due date and the loop still open.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        !self.status.is_final() && self.fields.due_by.is_some_and(|due| due < today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferralStatus::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn referral() -> Referral {
        let fields = ReferralInput {
            service_id: ServiceId::generate(),
            reason: "Needs food".into(),
            needs: vec!["food".into()],
            priority: Priority::Urgent,
            note_for_partner: None,
            categories: vec![ConsentCategory::General],
            due_by: Some(day(4)),
        }
        .parse()
        .unwrap();
        Referral::draft(
            ClientId::generate(),
            OrganizationId::generate(),
            fields,
            UserId::generate(),
            Utc::now(),
        )
        .0
    }

    fn to(status: ReferralStatus) -> MoveInput {
        MoveInput {
            status,
            reason: status.needs_reason().then(|| "because".to_owned()),
            business_status: None,
            outcome: None,
            linked_on: None,
        }
    }

    fn staff() -> MovedBy {
        MovedBy::Staff {
            user_id: UserId::generate(),
        }
    }

    fn partner() -> MovedBy {
        MovedBy::Partner {
            organization_id: OrganizationId::generate(),
        }
    }

    #[test]
    fn only_a_rejected_referral_is_redirected_and_the_new_draft_links_back() {
        let service = ServiceId::generate();
        let organization = OrganizationId::generate();
        for status in ReferralStatus::ALL {
            let mut r = referral();
            r.status = status;
            let result = r.redirect(service, organization, UserId::generate(), Utc::now());
            if status != Rejected {
                assert_eq!(result, Err(ReferralError::NotRejected(status)));
                continue;
            }
            let (draft, created) = result.unwrap();
            assert_eq!(draft.status, Draft);
            assert_eq!(draft.redirected_from, Some(r.id));
            assert_eq!(draft.fields.service_id, service);
            assert_eq!(draft.organization_id, organization);
            assert_eq!(draft.fields.reason, r.fields.reason);
            assert_eq!((created.from, created.to), (None, Draft));
        }
    }

    /// Every (status, side, target): allowed exactly when the table says so,
    /// and an illegal move names the allowed ones and changes nothing.
    #[test]
    fn every_move_of_every_side_follows_the_table() {
        for from in ReferralStatus::ALL {
            for by in [staff(), partner()] {
                for target in ReferralStatus::ALL {
                    let mut r = referral();
                    r.status = from;
                    let before = r.clone();
                    let allowed = allowed_moves(from, by.side());
                    let result = r.move_to(
                        by,
                        to(target),
                        Some(ConsentId::generate()),
                        day(1),
                        Utc::now(),
                    );
                    if allowed.contains(&target) {
                        let event = result.unwrap();
                        assert_eq!((event.from, event.to), (Some(from), target));
                        assert_eq!(r.status, target);
                        assert_eq!(r.version, before.version + 1);
                    } else {
                        let Err(ReferralError::IllegalMove(refused)) = result else {
                            panic!("{from:?} -> {target:?} by {:?}: {result:?}", by.side());
                        };
                        assert_eq!(
                            (refused.from, refused.to, refused.allowed),
                            (
                                from.as_str(),
                                target.as_str(),
                                allowed.iter().map(|s| s.as_str()).collect()
                            )
                        );
                        assert_eq!(r, before);
                    }
                }
            }
        }
        assert!(allowed_moves(Completed, Side::Performer).is_empty());
        assert_eq!(
            allowed_moves(Draft, Side::Performer),
            Vec::<ReferralStatus>::new()
        );
    }

    #[test]
    fn reasons_consent_and_completion_facts_are_checked() {
        let mut r = referral();
        let missing = r
            .move_to(staff(), to(Requested), None, day(1), Utc::now())
            .unwrap_err();
        assert!(
            matches!(missing, ReferralError::Invalid(ref e) if e.0[0].code == "consent_required")
        );
        let consent = ConsentId::generate();
        r.move_to(staff(), to(Requested), Some(consent), day(1), Utc::now())
            .unwrap();
        assert_eq!(r.consent_id, Some(consent));
        let no_reason = MoveInput {
            reason: None,
            ..to(Rejected)
        };
        assert!(matches!(
            r.move_to(partner(), no_reason, None, day(1), Utc::now()),
            Err(ReferralError::Invalid(_))
        ));
        r.move_to(partner(), to(Accepted), None, day(1), Utc::now())
            .unwrap();
        let early = MoveInput {
            linked_on: Some(day(2)),
            ..to(InProgress)
        };
        assert!(matches!(
            r.move_to(partner(), early, None, day(2), Utc::now()),
            Err(ReferralError::Invalid(_))
        ));
        let future = MoveInput {
            linked_on: Some(day(9)),
            outcome: Some("Enrolled".into()),
            ..to(Completed)
        };
        assert!(matches!(
            r.move_to(partner(), future, None, day(2), Utc::now()),
            Err(ReferralError::Invalid(_))
        ));
        let done = MoveInput {
            linked_on: Some(day(2)),
            outcome: Some("Enrolled in food boxes".into()),
            business_status: Some(BusinessStatus::ServiceProvided),
            ..to(Completed)
        };
        r.move_to(partner(), done, None, day(3), Utc::now())
            .unwrap();
        assert_eq!(r.linked_on, Some(day(2)));
        assert_eq!(r.business_status, Some(BusinessStatus::ServiceProvided));
        assert!(!r.overdue(day(9)), "a closed loop is never overdue");
        assert!(referral().overdue(day(5)));
        assert!(!referral().overdue(day(4)));
    }
}
