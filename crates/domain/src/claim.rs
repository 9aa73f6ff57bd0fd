//! Claims: batches of claim lines made from signed, billable contacts for
//! one payer and period. A batch is a draft until exported, then each line
//! is paid or denied; a batch can be voided, which frees its contacts to be
//! billed again. A contact is on at most one live claim line.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::billing::BillingConfig;
use crate::error::{FieldErrors, ValueError};
use crate::ids::{ClaimBatchId, ClaimLineId, ClientId, ContactId, UserId};
use crate::values::{LongText, MedicaidId};

text_enum!(
    /// Where a batch stands.
    BatchStatus, example = "exported", {
        /// Made, not yet sent to the payer; may be voided.
        Draft => "draft",
        /// Sent to the payer; its lines are then paid or denied.
        Exported => "exported",
        /// Withdrawn: its contacts may be billed again.
        Voided => "voided",
    }
);
text_enum!(
    /// What the payer answered for a line.
    LineOutcome, example = "paid", {
        Pending => "pending",
        Paid => "paid",
        Denied => "denied",
    }
);

/// A signed contact that bills, as a batch needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableContact {
    pub contact_id: ContactId,
    pub client_id: ClientId,
    pub medicaid_id: MedicaidId,
    pub date_of_service: NaiveDate,
    pub started_at: DateTime<Utc>,
    /// The author: the rendering staff member.
    pub staff_id: UserId,
    pub units: i32,
}

/// One line of a claim: a client's units on a date of service by one
/// rendering staff member, and the contacts it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    pub id: ClaimLineId,
    pub client_id: ClientId,
    pub medicaid_id: MedicaidId,
    pub date_of_service: NaiveDate,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub units: i32,
    pub rendering_staff_id: UserId,
    pub contact_ids: Vec<ContactId>,
    pub outcome: LineOutcome,
    pub denial_reason: Option<LongText>,
}

/// The lines `contacts` make under `config`: one per client, date of
/// service and rendering staff member, in that order. The payer's daily
/// limit is applied again per client and day (contacts in the order they
/// started), so a batch never bills more than it, however the contacts'
/// own units were decided; a contact left with no units is left out.
pub fn claim_lines(config: &BillingConfig, mut contacts: Vec<BillableContact>) -> Vec<ClaimLine> {
    contacts.sort_by_key(|c| (c.client_id, c.date_of_service, c.started_at, c.contact_id));
    let mut used: BTreeMap<(ClientId, NaiveDate), i32> = BTreeMap::new();
    let mut lines: BTreeMap<(ClientId, NaiveDate, UserId), ClaimLine> = BTreeMap::new();
    for c in contacts {
        let day = used.entry((c.client_id, c.date_of_service)).or_insert(0);
        let units = c.units.max(0).min(config.fields.max_units_per_day - *day);
        if units <= 0 {
            continue;
        }
        *day += units;
        let line = lines
            .entry((c.client_id, c.date_of_service, c.staff_id))
            .or_insert_with(|| ClaimLine {
                id: ClaimLineId::generate(),
                client_id: c.client_id,
                medicaid_id: c.medicaid_id.clone(),
                date_of_service: c.date_of_service,
                procedure_code: config.fields.procedure_code.clone(),
                modifiers: config.fields.modifiers.clone(),
                units: 0,
                rendering_staff_id: c.staff_id,
                contact_ids: Vec::new(),
                outcome: LineOutcome::Pending,
                denial_reason: None,
            });
        line.units += units;
        line.contact_ids.push(c.contact_id);
    }
    lines.into_values().collect()
}

/// A batch of claim lines for one payer and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimBatch {
    pub id: ClaimBatchId,
    pub payer: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub status: BatchStatus,
    pub created_by: UserId,
    pub lines: Vec<ClaimLine>,
    pub exported_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<LongText>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What a batch is asked for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "payer": "medicaid", "from": "2026-11-01", "to": "2026-11-30"
})))]
pub struct ClaimBatchInput {
    /// The payer (default `medicaid`).
    #[serde(default)]
    pub payer: Option<String>,
    /// The first date of service billed.
    pub from: NaiveDate,
    /// The last date of service billed, not after today and at most 366 days after `from`.
    pub to: NaiveDate,
}

/// A checked request for a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPeriod {
    pub payer: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl ClaimBatchInput {
    pub fn parse(self, default_payer: &str, today: NaiveDate) -> Result<ClaimPeriod, FieldErrors> {
        let mut errors = FieldErrors::default();
        let payer = match self.payer.as_deref() {
            None => Some(default_payer.to_owned()),
            Some(raw) => errors.check("payer", crate::assessment::instrument_code(raw)),
        };
        if self.to < self.from {
            errors.push(
                "to",
                ValueError::new("before_from", "must not be before from"),
            );
        } else if (self.to - self.from).num_days() > 366 {
            errors.push(
                "to",
                ValueError::new("period_too_long", "a batch covers at most 366 days"),
            );
        }
        if self.to > today {
            errors.push(
                "to",
                ValueError::new("in_future", "must not be in the future"),
            );
        }
        errors.finish(|| {
            Some(ClaimPeriod {
                payer: payer?,
                from: self.from,
                to: self.to,
            })
        })
    }
}

/// An illegal move of a batch or line; names the moves allowed now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("a {status} batch cannot be {attempted}; allowed now: {allowed}")]
    IllegalMove {
        status: &'static str,
        attempted: &'static str,
        allowed: String,
    },
    #[error("the batch has no such line")]
    NoSuchLine,
    #[error("a denied line needs a reason")]
    ReasonRequired,
}

impl ClaimBatch {
    /// The moves allowed from the batch's status.
    pub fn allowed_moves(&self) -> &'static [&'static str] {
        match self.status {
            BatchStatus::Draft => &["export", "void"],
            BatchStatus::Exported => &["record an outcome", "void"],
            BatchStatus::Voided => &[],
        }
    }

    fn illegal(&self, attempted: &'static str) -> ClaimError {
        let allowed = self.allowed_moves();
        ClaimError::IllegalMove {
            status: self.status.as_str(),
            attempted,
            allowed: if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            },
        }
    }

    /// Marks a draft sent to the payer.
    pub fn export(&mut self, now: DateTime<Utc>) -> Result<(), ClaimError> {
        if self.status != BatchStatus::Draft {
            return Err(self.illegal("exported"));
        }
        self.status = BatchStatus::Exported;
        self.exported_at = Some(now);
        self.touch(now);
        Ok(())
    }

    /// Withdraws a draft or exported batch; its contacts may be billed again.
    pub fn void(&mut self, reason: LongText, now: DateTime<Utc>) -> Result<(), ClaimError> {
        if self.status == BatchStatus::Voided {
            return Err(self.illegal("voided"));
        }
        self.status = BatchStatus::Voided;
        self.voided_at = Some(now);
        self.void_reason = Some(reason);
        self.touch(now);
        Ok(())
    }

    /// Records the payer's answer for one line of an exported batch (a
    /// later answer replaces an earlier one: payers reprocess).
    pub fn record_outcome(
        &mut self,
        line: ClaimLineId,
        outcome: LineOutcome,
        reason: Option<LongText>,
        now: DateTime<Utc>,
    ) -> Result<(), ClaimError> {
        if self.status != BatchStatus::Exported {
            return Err(self.illegal("given an outcome"));
        }
        if outcome == LineOutcome::Denied && reason.is_none() {
            return Err(ClaimError::ReasonRequired);
        }
        let line = self
            .lines
            .iter_mut()
            .find(|l| l.id == line)
            .ok_or(ClaimError::NoSuchLine)?;
        line.outcome = outcome;
        line.denial_reason = if outcome == LineOutcome::Denied {
            reason
        } else {
            None
        };
        self.touch(now);
        Ok(())
    }

    pub(crate) fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::targeted_case_management;
    use crate::ids::BillingConfigId;
    use proptest::prelude::*;

    fn config(cap: i32) -> BillingConfig {
        let mut fields = targeted_case_management().parse().unwrap();
        fields.max_units_per_day = cap;
        BillingConfig {
            id: BillingConfigId::generate(),
            version: 1,
            fields,
            created_at: Utc::now(),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn billable(
        client: ClientId,
        staff: UserId,
        d: u32,
        minute: u32,
        units: i32,
    ) -> BillableContact {
        BillableContact {
            contact_id: ContactId::generate(),
            client_id: client,
            medicaid_id: MedicaidId::parse("OR1").unwrap(),
            date_of_service: day(d),
            started_at: day(d).and_hms_opt(9, minute, 0).unwrap().and_utc(),
            staff_id: staff,
            units,
        }
    }

    #[test]
    fn a_line_per_client_day_and_staff_member() {
        let (a, b) = (ClientId::generate(), ClientId::generate());
        let (sam, lin) = (UserId::generate(), UserId::generate());
        let contacts = vec![
            billable(a, sam, 2, 0, 3),
            billable(a, sam, 2, 30, 2),
            billable(a, lin, 2, 45, 1),
            billable(a, sam, 3, 0, 4),
            billable(b, sam, 2, 0, 2),
        ];
        let lines = claim_lines(&config(16), contacts);
        let shape: Vec<(ClientId, NaiveDate, UserId, i32, usize)> = lines
            .iter()
            .map(|l| {
                (
                    l.client_id,
                    l.date_of_service,
                    l.rendering_staff_id,
                    l.units,
                    l.contact_ids.len(),
                )
            })
            .collect();
        let mut expected = vec![
            (a, day(2), sam, 5, 2),
            (a, day(2), lin, 1, 1),
            (a, day(3), sam, 4, 1),
            (b, day(2), sam, 2, 1),
        ];
        expected.sort();
        let mut shape_sorted = shape.clone();
        shape_sorted.sort();
        assert_eq!(shape_sorted, expected);
        assert!(lines.iter().all(|l| l.procedure_code == "T1017"));
    }

    #[test]
    fn batches_move_draft_exported_voided_and_name_what_is_allowed() {
        let sam = UserId::generate();
        let now = Utc::now();
        let mut batch = ClaimBatch {
            id: ClaimBatchId::generate(),
            payer: "medicaid".into(),
            period_from: day(1),
            period_to: day(30),
            status: BatchStatus::Draft,
            created_by: sam,
            lines: claim_lines(
                &config(16),
                vec![billable(ClientId::generate(), sam, 2, 0, 3)],
            ),
            exported_at: None,
            voided_at: None,
            void_reason: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let line = batch.lines[0].id;
        let err = batch
            .record_outcome(line, LineOutcome::Paid, None, now)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a draft batch cannot be given an outcome; allowed now: export, void"
        );
        batch.export(now).unwrap();
        assert_eq!(
            batch.record_outcome(line, LineOutcome::Denied, None, now),
            Err(ClaimError::ReasonRequired)
        );
        batch
            .record_outcome(
                line,
                LineOutcome::Denied,
                Some(LongText::parse("Eligibility").unwrap()),
                now,
            )
            .unwrap();
        batch
            .record_outcome(line, LineOutcome::Paid, None, now)
            .unwrap();
        assert_eq!(batch.lines[0].denial_reason, None);
        assert_eq!(
            batch.record_outcome(ClaimLineId::generate(), LineOutcome::Paid, None, now),
            Err(ClaimError::NoSuchLine)
        );
        batch
            .void(LongText::parse("Billed to the wrong payer").unwrap(), now)
            .unwrap();
        assert!(
            batch
                .export(now)
                .unwrap_err()
                .to_string()
                .ends_with("allowed now: none")
        );
        assert_eq!(batch.version, 5);
    }

    #[test]
    fn periods_are_checked() {
        let today = day(27);
        let bad = ClaimBatchInput {
            payer: Some("Medicaid!".into()),
            from: day(20),
            to: day(28),
        };
        let fields: Vec<String> = bad
            .parse("medicaid", today)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(fields, ["invalid_code", "in_future"]);
        let backwards = ClaimBatchInput {
            payer: None,
            from: day(20),
            to: day(19),
        };
        assert!(backwards.parse("medicaid", today).is_err());
        let fine = ClaimBatchInput {
            payer: None,
            from: day(1),
            to: day(27),
        };
        assert_eq!(fine.parse("medicaid", today).unwrap().payer, "medicaid");
    }

    proptest! {
        /// However the contacts fall, a batch never bills a client more than
        /// the daily limit on a day, never bills a contact twice, and every
        /// line's units are the sum of what its contacts bring.
        #[test]
        fn lines_hold_the_daily_limit_and_bill_each_contact_once(
            spec in prop::collection::vec((0..3usize, 0..2usize, 1..4u32, 0..60u32, 0..20i32), 0..30),
            cap in 1..=24i32,
        ) {
            let clients = [ClientId::generate(), ClientId::generate(), ClientId::generate()];
            let staff = [UserId::generate(), UserId::generate()];
            let contacts: Vec<BillableContact> = spec
                .iter()
                .map(|&(c, s, d, m, u)| billable(clients[c], staff[s], d, m, u))
                .collect();
            let lines = claim_lines(&config(cap), contacts.clone());
            let mut per_day: BTreeMap<(ClientId, NaiveDate), i32> = BTreeMap::new();
            let mut seen = std::collections::BTreeSet::new();
            for line in &lines {
                prop_assert!(line.units > 0);
                *per_day.entry((line.client_id, line.date_of_service)).or_default() += line.units;
                for id in &line.contact_ids {
                    prop_assert!(seen.insert(*id));
                    let c = contacts.iter().find(|c| c.contact_id == *id).unwrap();
                    prop_assert_eq!((c.client_id, c.date_of_service, c.staff_id),
                        (line.client_id, line.date_of_service, line.rendering_staff_id));
                }
            }
            for units in per_day.values() {
                prop_assert!(*units <= cap);
            }
        }
    }
}
