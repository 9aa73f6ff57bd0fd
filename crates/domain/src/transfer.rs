//! Transfers: a client handed to another team or case manager. The sending
//! side requests it with a transfer summary; the receiving team's
//! supervisor accepts it (naming the new case manager) or declines it; the
//! sending side may withdraw it while it waits. Who held the client, and
//! when, is kept as the assignment history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClientId, TeamId, TransferId, UserId};
use crate::lifecycle::{IllegalMove, Status};
use crate::values::{LongText, ShortText};

text_enum!(
    /// Where a transfer stands.
    TransferStatus, example = "requested", {
        Requested => "requested",
        Accepted => "accepted",
        Declined => "declined",
        /// Withdrawn by the sending side.
        Cancelled => "cancelled",
    }
);
text_enum!(
    /// Why a client's team or case manager changed.
    AssignmentReason, example = "transfer", {
        /// The client was created.
        Created => "created",
        /// A supervisor assigned the case manager.
        Assigned => "assigned",
        /// A transfer was accepted.
        Transfer => "transfer",
    }
);

impl Status for TransferStatus {
    const RECORD: &'static str = "transfer";
    fn name(self) -> &'static str {
        self.as_str()
    }
}

/// The moves of a transfer from `from`.
pub fn transfer_moves(from: TransferStatus) -> Vec<TransferStatus> {
    use TransferStatus::*;
    match from {
        Requested => vec![Accepted, Declined, Cancelled],
        Accepted | Declined | Cancelled => Vec::new(),
    }
}

/// A transfer as the sending side asks for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "to_team_id": "01936b2e-3b00-7a11-8c22-1d2e3f4a5b6c", "to_case_manager_id": null,
    "summary": "Moved to the east side in October; stable in supportive housing, SNAP approved, needs a \
                new primary care doctor. Prefers Spanish, mornings."
})))]
pub struct TransferInput {
    /// The receiving team (the client's own team for a change of case manager).
    pub to_team_id: TeamId,
    /// A case manager or supervisor of the receiving team; otherwise its supervisor names one on acceptance.
    #[serde(default)]
    pub to_case_manager_id: Option<UserId>,
    /// The transfer summary for the receiving side, 1 to 4,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub summary: String,
}

/// The receiving supervisor's answer, or the sending side's withdrawal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "accepted", "case_manager_id": "01936b2e-4c00-7a11-8c22-1d2e3f4a5b6c",
    "note": "Ana Lee takes her; first visit this week."
})))]
pub struct TransferMove {
    /// `accepted` or `declined` (the receiving team's supervisor), `cancelled` (the sending side).
    pub status: TransferStatus,
    /// Accepting: the new case manager, if the request named none (or to name another).
    #[serde(default)]
    pub case_manager_id: Option<UserId>,
    /// Required to decline, 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub note: Option<String>,
}

/// A request to move a client to another team or case manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: TransferId,
    pub client_id: ClientId,
    pub from_team_id: TeamId,
    pub from_case_manager_id: Option<UserId>,
    pub to_team_id: TeamId,
    pub to_case_manager_id: Option<UserId>,
    pub summary: LongText,
    pub status: TransferStatus,
    pub requested_by: UserId,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub note: Option<ShortText>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Why a transfer may not move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("{0}")]
    IllegalMove(#[from] IllegalMove),
    #[error("{0}")]
    Invalid(FieldErrors),
}

impl From<FieldErrors> for TransferError {
    fn from(errors: FieldErrors) -> Self {
        TransferError::Invalid(errors)
    }
}

impl Transfer {
    /// A transfer of the client held by `from_team` and `from_case_manager`.
    pub fn request(
        client_id: ClientId,
        (from_team_id, from_case_manager_id): (TeamId, Option<UserId>),
        input: TransferInput,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<Transfer, FieldErrors> {
        let mut errors = FieldErrors::default();
        let summary = errors.check("summary", LongText::parse(&input.summary));
        if input.to_team_id == from_team_id
            && (input.to_case_manager_id.is_none()
                || input.to_case_manager_id == from_case_manager_id)
        {
            errors.push(
                "to_case_manager_id",
                ValueError::new(
                    "no_change",
                    "a transfer within the client's team names another case manager",
                ),
            );
        }
        errors.finish(|| {
            Some(Transfer {
                id: TransferId::generate(),
                client_id,
                from_team_id,
                from_case_manager_id,
                to_team_id: input.to_team_id,
                to_case_manager_id: input.to_case_manager_id,
                summary: summary?,
                status: TransferStatus::Requested,
                requested_by: by,
                decided_by: None,
                decided_at: None,
                note: None,
                created_at: now,
                updated_at: now,
                version: 1,
            })
        })
    }

    /// Moves the transfer as `input` asks: an acceptance needs a case
    /// manager (the request's or the answer's), a refusal a note. Returns
    /// the new case manager on acceptance.
    pub fn move_to(
        &mut self,
        input: TransferMove,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>, TransferError> {
        IllegalMove::check(self.status, input.status, &transfer_moves(self.status))?;
        let mut errors = FieldErrors::default();
        let note = errors.check_opt("note", input.note.as_deref(), ShortText::parse);
        let manager = input.case_manager_id.or(self.to_case_manager_id);
        match input.status {
            TransferStatus::Accepted if manager.is_none() => errors.push(
                "case_manager_id",
                ValueError::new("required", "name the client's new case manager"),
            ),
            TransferStatus::Declined if input.note.is_none() => errors.push(
                "note",
                ValueError::new("required", "say why the transfer is declined"),
            ),
            TransferStatus::Declined | TransferStatus::Cancelled
                if input.case_manager_id.is_some() =>
            {
                errors.push(
                    "case_manager_id",
                    ValueError::new("not_applicable", "only when accepting"),
                )
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        self.status = input.status;
        self.note = note;
        self.decided_by = Some(by);
        self.decided_at = Some(now);
        self.updated_at = now;
        self.version += 1;
        if input.status == TransferStatus::Accepted {
            self.to_case_manager_id = manager;
            Ok(manager)
        } else {
            Ok(None)
        }
    }
}

/// Who held a client, from when until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "team_id": "01936b2e-3b00-7a11-8c22-1d2e3f4a5b6c", "case_manager_id": "01936b2e-4c00-7a11-8c22-1d2e3f4a5b6c",
    "from": "2026-11-20T16:00:00Z", "until": null, "reason": "transfer",
    "by": "01936b2e-4d00-7a11-8c22-1d2e3f4a5b6c"
})))]
pub struct Assignment {
    pub team_id: TeamId,
    pub case_manager_id: Option<UserId>,
    pub from: DateTime<Utc>,
    /// Null for the current assignment.
    pub until: Option<DateTime<Utc>>,
    pub reason: AssignmentReason,
    /// Who made the change; null for assignments from before the history was kept.
    pub by: Option<UserId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(to_manager: Option<UserId>) -> Transfer {
        Transfer::request(
            ClientId::generate(),
            (TeamId::generate(), Some(UserId::generate())),
            TransferInput {
                to_team_id: TeamId::generate(),
                to_case_manager_id: to_manager,
                summary: "Moved east.".into(),
            },
            UserId::generate(),
            Utc::now(),
        )
        .unwrap()
    }

    fn answer(status: TransferStatus, manager: Option<UserId>, note: Option<&str>) -> TransferMove {
        TransferMove {
            status,
            case_manager_id: manager,
            note: note.map(Into::into),
        }
    }

    #[test]
    fn an_acceptance_names_the_new_case_manager() {
        let mut t = transfer(None);
        let refused = t
            .move_to(
                answer(TransferStatus::Accepted, None, None),
                UserId::generate(),
                Utc::now(),
            )
            .unwrap_err();
        assert!(matches!(refused, TransferError::Invalid(_)));
        assert_eq!(t.status, TransferStatus::Requested);
        let ana = UserId::generate();
        let taken = t
            .move_to(
                answer(TransferStatus::Accepted, Some(ana), None),
                UserId::generate(),
                Utc::now(),
            )
            .unwrap();
        assert_eq!(taken, Some(ana));
        assert_eq!(t.version, 2);
        // Decided once: nothing moves after.
        let again = t
            .move_to(
                answer(TransferStatus::Declined, None, Some("No room")),
                UserId::generate(),
                Utc::now(),
            )
            .unwrap_err();
        assert!(matches!(again, TransferError::IllegalMove(_)));
    }

    #[test]
    fn a_refusal_says_why() {
        let mut t = transfer(Some(UserId::generate()));
        assert!(
            t.move_to(
                answer(TransferStatus::Declined, None, None),
                UserId::generate(),
                Utc::now()
            )
            .is_err()
        );
        assert_eq!(
            t.move_to(
                answer(TransferStatus::Declined, None, Some("Caseloads are full")),
                UserId::generate(),
                Utc::now()
            ),
            Ok(None)
        );
    }

    #[test]
    fn a_transfer_within_the_team_changes_the_case_manager() {
        let team = TeamId::generate();
        let cm = UserId::generate();
        let input = |to| TransferInput {
            to_team_id: team,
            to_case_manager_id: to,
            summary: "Caseload balance.".into(),
        };
        for to in [None, Some(cm)] {
            assert!(
                Transfer::request(
                    ClientId::generate(),
                    (team, Some(cm)),
                    input(to),
                    cm,
                    Utc::now()
                )
                .is_err()
            );
        }
        assert!(
            Transfer::request(
                ClientId::generate(),
                (team, Some(cm)),
                input(Some(UserId::generate())),
                cm,
                Utc::now()
            )
            .is_ok()
        );
    }
}
