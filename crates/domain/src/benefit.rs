//! Benefits applications: getting a client through SSI, SNAP, Medicaid, a
//! housing voucher. An application is prepared (the documents gathered),
//! submitted, perhaps asked for more information by a date, then approved
//! (with its recertification date) or denied; a denial may be appealed to a
//! hearing, won or lost; it may be withdrawn at any open point. Every
//! change is kept in its history, and the next date that comes due
//! (information, hearing, recertification) is kept beside it for the
//! worklist.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ValueError};
use crate::ids::{
    BenefitApplicationEventId, BenefitApplicationId, ClientId, OrganizationId, UserId,
};
use crate::lifecycle::{IllegalMove, Status};
use crate::values::{LongText, ShortText};

text_enum!(
    /// The benefit applied for.
    Program, example = "snap", {
        Ssi => "ssi",
        Ssdi => "ssdi",
        Snap => "snap",
        Medicaid => "medicaid",
        MedicareSavingsProgram => "medicare_savings_program",
        Tanf => "tanf",
        HousingChoiceVoucher => "housing_choice_voucher",
        PublicHousing => "public_housing",
        Liheap => "liheap",
        Wic => "wic",
        PrescriptionAssistance => "prescription_assistance",
        LifelinePhone => "lifeline_phone",
        Other => "other",
    }
);
text_enum!(
    /// Where an application stands.
    ApplicationStatus, example = "pending_information", {
        Preparing => "preparing",
        Submitted => "submitted",
        PendingInformation => "pending_information",
        Approved => "approved",
        Denied => "denied",
        Appealed => "appealed",
        AppealWon => "appeal_won",
        AppealLost => "appeal_lost",
        Withdrawn => "withdrawn",
    }
);
text_enum!(
    /// A document an application needs.
    DocumentKind, example = "proof_of_income", {
        Identity => "identity",
        ProofOfIncome => "proof_of_income",
        BirthCertificate => "birth_certificate",
        SocialSecurityCard => "social_security_card",
        ProofOfResidence => "proof_of_residence",
        MedicalRecords => "medical_records",
        BankStatements => "bank_statements",
        ImmigrationStatus => "immigration_status",
        Other => "other",
    }
);
text_enum!(
    /// Which date comes due next.
    DueKind, example = "recertification", {
        Information => "information",
        Hearing => "hearing",
        Recertification => "recertification",
    }
);

impl Status for ApplicationStatus {
    const RECORD: &'static str = "benefits application";
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl ApplicationStatus {
    /// Whether nothing moves from here.
    pub fn is_final(self) -> bool {
        application_moves(self).is_empty()
    }
}

/// The statuses an application may move to from `from`.
pub fn application_moves(from: ApplicationStatus) -> Vec<ApplicationStatus> {
    use ApplicationStatus::*;
    match from {
        Preparing => vec![Submitted, Withdrawn],
        Submitted => vec![PendingInformation, Approved, Denied, Withdrawn],
        // The information sent, it is back with the agency.
        PendingInformation => vec![Submitted, Approved, Denied, Withdrawn],
        Denied => vec![Appealed],
        Appealed => vec![AppealWon, AppealLost, Withdrawn],
        Approved | AppealWon | AppealLost | Withdrawn => Vec::new(),
    }
}

/// One document of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"kind": "proof_of_income", "gathered": false, "note": "Pay stubs from October"})))]
pub struct DocumentItem {
    pub kind: DocumentKind,
    /// Whether it is in hand.
    #[serde(default)]
    pub gathered: bool,
    /// 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub note: Option<String>,
}

/// An application as the case manager writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "program": "snap", "program_name": null, "organization_id": "01936b2f-5a00-7c11-8d22-3e4f5a6b7c8d",
    "case_number": "SNAP-2026-118842",
    "documents": [{"kind": "identity", "gathered": true, "note": null},
                  {"kind": "proof_of_income", "gathered": false, "note": "Pay stubs from October"}],
    "notes": "Interview by phone; she prefers mornings."
})))]
pub struct ApplicationInput {
    pub program: Program,
    /// The program's own name; required for `other`. 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub program_name: Option<String>,
    /// The agency that decides it (a directory organization).
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    /// The agency's case or application number, 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub case_number: Option<String>,
    /// The documents it needs, each once.
    #[serde(default)]
    pub documents: Vec<DocumentItem>,
    /// 1 to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub notes: Option<String>,
}

/// The checked content of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationFields {
    pub program: Program,
    pub program_name: Option<ShortText>,
    pub organization_id: Option<OrganizationId>,
    pub case_number: Option<ShortText>,
    pub documents: Vec<DocumentItem>,
    pub notes: Option<LongText>,
}

impl ApplicationInput {
    pub fn parse(self) -> Result<ApplicationFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let program_name = errors.check_opt(
            "program_name",
            self.program_name.as_deref(),
            ShortText::parse,
        );
        if self.program == Program::Other && self.program_name.is_none() {
            errors.push(
                "program_name",
                ValueError::new("required", "name the program when it is `other`"),
            );
        }
        let case_number =
            errors.check_opt("case_number", self.case_number.as_deref(), ShortText::parse);
        let kinds: Vec<DocumentKind> = self
            .documents
            .iter()
            .filter(|d| d.kind != DocumentKind::Other)
            .map(|d| d.kind)
            .collect();
        errors.no_duplicates("documents", &kinds);
        let mut documents = Vec::new();
        for (n, item) in self.documents.into_iter().enumerate() {
            let note = errors.check_opt(
                &format!("documents[{n}].note"),
                item.note.as_deref(),
                ShortText::parse,
            );
            documents.push(DocumentItem {
                note: note.map(|t| t.to_string()),
                ..item
            });
        }
        let notes = errors.check_opt("notes", self.notes.as_deref(), LongText::parse);
        errors.finish(|| {
            Some(ApplicationFields {
                program: self.program,
                program_name,
                organization_id: self.organization_id,
                case_number,
                documents,
                notes,
            })
        })
    }
}

/// A move of an application's status, with what the move records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status": "approved", "on": "2026-11-20", "amount_cents": 29100, "benefit_starts_on": "2026-12-01",
    "recertification_on": "2027-05-31"
})))]
pub struct ApplicationMove {
    pub status: ApplicationStatus,
    /// The day it happened (submitted, decided, appealed, ...): not in the future; by default today.
    #[serde(default)]
    pub on: Option<NaiveDate>,
    /// `pending_information`: what was asked (required), 1 to 4,000 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4000, pattern = r"\S")
    )]
    pub information_requested: Option<String>,
    /// `pending_information`: by when (required).
    #[serde(default)]
    pub information_due_on: Option<NaiveDate>,
    /// `approved`, `appeal_won`: the monthly amount in cents, 0 to 100,000,000.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100_000_000))]
    pub amount_cents: Option<i64>,
    /// `approved`, `appeal_won`: when the benefit starts.
    #[serde(default)]
    pub benefit_starts_on: Option<NaiveDate>,
    /// `approved`, `appeal_won`: when it must be recertified; after the decision.
    #[serde(default)]
    pub recertification_on: Option<NaiveDate>,
    /// `denied` (required), `appeal_lost`, `withdrawn` (required): why. 1 to 200 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub reason: Option<String>,
    /// `appealed`: the hearing's date, when it is set.
    #[serde(default)]
    pub hearing_on: Option<NaiveDate>,
}

/// What the moves have recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub submitted_on: Option<NaiveDate>,
    pub information_requested: Option<String>,
    pub information_due_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub amount_cents: Option<i64>,
    pub benefit_starts_on: Option<NaiveDate>,
    pub recertification_on: Option<NaiveDate>,
    pub denial_reason: Option<String>,
    pub appealed_on: Option<NaiveDate>,
    pub hearing_on: Option<NaiveDate>,
    pub closed_reason: Option<String>,
}

/// The next date an application needs someone by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub kind: DueKind,
    pub on: NaiveDate,
}

/// One change in an application's history: a move, or a change of its
/// content (`from` and `to` the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "01936b37-2a00-7c11-8d22-3e4f5a6b7c8d", "at": "2026-11-20T16:00:00Z",
    "by": "01936b2e-4b00-7a11-8c22-1d2e3f4a5b6c", "from": "submitted", "to": "pending_information",
    "on": "2026-11-20", "note": "Proof of income for October, due 2026-12-04"
})))]
pub struct ApplicationEvent {
    pub id: BenefitApplicationEventId,
    pub at: DateTime<Utc>,
    pub by: UserId,
    /// Null for the first entry.
    pub from: Option<ApplicationStatus>,
    pub to: ApplicationStatus,
    /// The day it happened.
    pub on: NaiveDate,
    /// What the move recorded, in words; "changed" for a change of content.
    pub note: Option<String>,
}

/// A benefits application of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: BenefitApplicationId,
    pub client_id: ClientId,
    pub fields: ApplicationFields,
    pub status: ApplicationStatus,
    pub outcome: Outcome,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Why an application may not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("a {} application is closed and never changes", .0.as_str())]
    Closed(ApplicationStatus),
    #[error("{0}")]
    IllegalMove(#[from] IllegalMove),
    #[error("{0}")]
    Invalid(FieldErrors),
}

impl From<FieldErrors> for ApplicationError {
    fn from(errors: FieldErrors) -> Self {
        ApplicationError::Invalid(errors)
    }
}

impl Application {
    /// A new application being prepared, with its first history entry.
    pub fn new(
        client_id: ClientId,
        fields: ApplicationFields,
        by: UserId,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> (Application, ApplicationEvent) {
        let application = Application {
            id: BenefitApplicationId::generate(),
            client_id,
            fields,
            status: ApplicationStatus::Preparing,
            outcome: Outcome::default(),
            created_by: by,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let event = ApplicationEvent {
            id: BenefitApplicationEventId::generate(),
            at: now,
            by,
            from: None,
            to: ApplicationStatus::Preparing,
            on: today,
            note: None,
        };
        (application, event)
    }

    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }

    /// The next date that comes due while the application waits on it: the
    /// information asked for, the hearing, the recertification.
    pub fn next_due(&self) -> Option<Due> {
        let due = |kind, on: Option<NaiveDate>| on.map(|on| Due { kind, on });
        match self.status {
            ApplicationStatus::PendingInformation => {
                due(DueKind::Information, self.outcome.information_due_on)
            }
            ApplicationStatus::Appealed => due(DueKind::Hearing, self.outcome.hearing_on),
            ApplicationStatus::Approved | ApplicationStatus::AppealWon => {
                due(DueKind::Recertification, self.outcome.recertification_on)
            }
            _ => None,
        }
    }

    /// Replaces the content (the checklist, the case number) while the
    /// application is open; the change goes into the history.
    pub fn revise(
        &mut self,
        fields: ApplicationFields,
        by: UserId,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ApplicationEvent, ApplicationError> {
        if self.status.is_final() && self.status != ApplicationStatus::Approved {
            return Err(ApplicationError::Closed(self.status));
        }
        self.fields = fields;
        self.touch(now);
        Ok(ApplicationEvent {
            id: BenefitApplicationEventId::generate(),
            at: now,
            by,
            from: Some(self.status),
            to: self.status,
            on: today,
            note: Some("changed".to_owned()),
        })
    }

    /// Moves the status as `input` asks, recording what the move brings.
    pub fn move_to(
        &mut self,
        input: ApplicationMove,
        by: UserId,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ApplicationEvent, ApplicationError> {
        use ApplicationStatus::*;
        let mut errors = FieldErrors::default();
        let to = input.status;
        IllegalMove::check(self.status, to, &application_moves(self.status))?;
        let on = input.on.unwrap_or(today);
        if on > today {
            errors.push(
                "on",
                ValueError::new("in_future", "must not be in the future"),
            );
        }
        let allowed = |field: &str, given: bool, here: bool, errors: &mut FieldErrors| {
            if given && !here {
                errors.push(
                    field,
                    ValueError::new("not_allowed", "not recorded by this move"),
                );
            }
        };
        let granted = matches!(to, Approved | AppealWon);
        allowed(
            "information_requested",
            input.information_requested.is_some(),
            to == PendingInformation,
            &mut errors,
        );
        allowed(
            "information_due_on",
            input.information_due_on.is_some(),
            to == PendingInformation,
            &mut errors,
        );
        allowed(
            "amount_cents",
            input.amount_cents.is_some(),
            granted,
            &mut errors,
        );
        allowed(
            "benefit_starts_on",
            input.benefit_starts_on.is_some(),
            granted,
            &mut errors,
        );
        allowed(
            "recertification_on",
            input.recertification_on.is_some(),
            granted,
            &mut errors,
        );
        allowed(
            "reason",
            input.reason.is_some(),
            matches!(to, Denied | AppealLost | Withdrawn),
            &mut errors,
        );
        allowed(
            "hearing_on",
            input.hearing_on.is_some(),
            to == Appealed,
            &mut errors,
        );
        let requested = errors.check_opt(
            "information_requested",
            input.information_requested.as_deref(),
            LongText::parse,
        );
        let reason = errors.check_opt("reason", input.reason.as_deref(), ShortText::parse);
        if to == PendingInformation {
            if input.information_requested.is_none() {
                errors.push(
                    "information_requested",
                    ValueError::new("required", "say what was asked for"),
                );
            }
            match input.information_due_on {
                None => errors.push(
                    "information_due_on",
                    ValueError::new("required", "say by when"),
                ),
                Some(due) if due < on => errors.push(
                    "information_due_on",
                    ValueError::new("before_request", "must not be before the request"),
                ),
                Some(_) => {}
            }
        }
        if matches!(to, Denied | Withdrawn) && input.reason.is_none() {
            errors.push("reason", ValueError::new("required", "say why"));
        }
        if let Some(amount) = input.amount_cents
            && !(0..=100_000_000).contains(&amount)
        {
            errors.push(
                "amount_cents",
                ValueError::new("out_of_range", "must be 0 to 100000000 cents"),
            );
        }
        if let Some(recertify) = input.recertification_on
            && recertify <= on
        {
            errors.push(
                "recertification_on",
                ValueError::new("before_decision", "must be after the decision"),
            );
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let o = &mut self.outcome;
        let note = match to {
            Submitted => {
                o.submitted_on.get_or_insert(on);
                o.information_requested = None;
                o.information_due_on = None;
                None
            }
            PendingInformation => {
                let requested = requested.map(|r| r.as_str().to_owned());
                o.information_requested.clone_from(&requested);
                o.information_due_on = input.information_due_on;
                requested
            }
            Approved | AppealWon => {
                o.decided_on = Some(on);
                o.amount_cents = input.amount_cents;
                o.benefit_starts_on = input.benefit_starts_on;
                o.recertification_on = input.recertification_on;
                o.information_due_on = None;
                None
            }
            Denied => {
                o.decided_on = Some(on);
                o.denial_reason = reason.as_ref().map(ToString::to_string);
                o.information_due_on = None;
                o.denial_reason.clone()
            }
            Appealed => {
                o.appealed_on = Some(on);
                o.hearing_on = input.hearing_on;
                None
            }
            AppealLost | Withdrawn => {
                if to == AppealLost {
                    o.decided_on = Some(on);
                }
                o.closed_reason = reason.as_ref().map(ToString::to_string);
                o.closed_reason.clone()
            }
            Preparing => None,
        };
        let event = ApplicationEvent {
            id: BenefitApplicationEventId::generate(),
            at: now,
            by,
            from: Some(self.status),
            to,
            on,
            note,
        };
        self.status = to;
        self.touch(now);
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, n).unwrap()
    }

    fn application() -> Application {
        let input = ApplicationInput {
            program: Program::Snap,
            program_name: None,
            organization_id: None,
            case_number: Some("SNAP-1".into()),
            documents: vec![DocumentItem {
                kind: DocumentKind::Identity,
                gathered: true,
                note: None,
            }],
            notes: None,
        };
        Application::new(
            ClientId::generate(),
            input.parse().unwrap(),
            UserId::generate(),
            day(1),
            Utc::now(),
        )
        .0
    }

    /// A move to `status` with nothing else.
    fn bare(status: ApplicationStatus) -> ApplicationMove {
        ApplicationMove {
            status,
            on: None,
            information_requested: None,
            information_due_on: None,
            amount_cents: None,
            benefit_starts_on: None,
            recertification_on: None,
            reason: None,
            hearing_on: None,
        }
    }

    /// A move to `to` with what it needs.
    fn to(to: ApplicationStatus) -> ApplicationMove {
        ApplicationMove {
            status: to,
            on: Some(day(10)),
            information_requested: (to == PendingInformation).then(|| "Pay stubs".into()),
            information_due_on: (to == PendingInformation).then(|| day(24)),
            reason: matches!(to, Denied | Withdrawn).then(|| "Over the income limit".into()),
            recertification_on: matches!(to, Approved | AppealWon)
                .then(|| NaiveDate::from_ymd_opt(2027, 5, 31).unwrap()),
            ..bare(to)
        }
    }

    fn codes(error: ApplicationError) -> Vec<(String, String)> {
        let ApplicationError::Invalid(errors) = error else {
            panic!("{error:?}");
        };
        errors.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    /// Every (status, target): allowed exactly as the table says; an
    /// illegal move names the allowed ones and changes nothing.
    #[test]
    fn every_move_follows_the_table() {
        for from in ApplicationStatus::ALL {
            for target in ApplicationStatus::ALL {
                let mut a = application();
                a.status = *from;
                let before = a.clone();
                let allowed = application_moves(*from);
                let result = a.move_to(to(*target), UserId::generate(), day(20), Utc::now());
                if allowed.contains(target) {
                    let event = result.unwrap();
                    assert_eq!((event.from, event.to), (Some(*from), *target));
                    assert_eq!(a.status, *target);
                } else {
                    let Err(ApplicationError::IllegalMove(refused)) = result else {
                        panic!("{from:?} -> {target:?}: {result:?}");
                    };
                    assert_eq!(
                        refused.allowed,
                        allowed.iter().map(|s| s.as_str()).collect::<Vec<_>>()
                    );
                    assert_eq!(a, before);
                }
            }
        }
    }

    #[test]
    fn the_next_date_due_follows_the_status() {
        let mut a = application();
        let by = UserId::generate();
        assert_eq!(a.next_due(), None);
        a.move_to(to(Submitted), by, day(20), Utc::now()).unwrap();
        a.move_to(to(PendingInformation), by, day(20), Utc::now())
            .unwrap();
        assert_eq!(
            a.next_due(),
            Some(Due {
                kind: DueKind::Information,
                on: day(24)
            })
        );
        a.move_to(to(Submitted), by, day(20), Utc::now()).unwrap();
        assert_eq!(a.next_due(), None);
        assert_eq!(
            a.outcome.submitted_on,
            Some(day(10)),
            "the first submission"
        );
        a.move_to(to(Denied), by, day(20), Utc::now()).unwrap();
        a.move_to(
            ApplicationMove {
                hearing_on: Some(NaiveDate::from_ymd_opt(2027, 1, 12).unwrap()),
                ..to(Appealed)
            },
            by,
            day(20),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(a.next_due().unwrap().kind, DueKind::Hearing);
        a.move_to(to(AppealWon), by, day(20), Utc::now()).unwrap();
        assert_eq!(
            a.next_due(),
            Some(Due {
                kind: DueKind::Recertification,
                on: NaiveDate::from_ymd_opt(2027, 5, 31).unwrap()
            })
        );
    }

    #[test]
    fn each_move_asks_for_what_it_records_and_nothing_else() {
        let mut a = application();
        a.status = Submitted;
        let by = UserId::generate();
        let refused = a
            .move_to(
                ApplicationMove {
                    hearing_on: Some(day(3)),
                    on: Some(day(25)),
                    ..bare(PendingInformation)
                },
                by,
                day(20),
                Utc::now(),
            )
            .unwrap_err();
        assert_eq!(
            codes(refused),
            [
                ("on".into(), "in_future".into()),
                ("hearing_on".into(), "not_allowed".into()),
                ("information_requested".into(), "required".into()),
                ("information_due_on".into(), "required".into()),
            ]
        );
        let refused = a
            .move_to(
                ApplicationMove {
                    recertification_on: Some(day(5)),
                    ..to(Approved)
                },
                by,
                day(20),
                Utc::now(),
            )
            .unwrap_err();
        assert_eq!(
            codes(refused),
            [("recertification_on".into(), "before_decision".into())]
        );
        let refused = a
            .move_to(
                ApplicationMove {
                    reason: None,
                    ..to(Withdrawn)
                },
                by,
                day(20),
                Utc::now(),
            )
            .unwrap_err();
        assert_eq!(codes(refused), [("reason".into(), "required".into())]);
        assert_eq!(a.status, Submitted);
    }

    #[test]
    fn a_checklist_names_each_document_once_and_other_needs_a_name() {
        let input = ApplicationInput {
            program: Program::Other,
            program_name: None,
            organization_id: None,
            case_number: None,
            documents: vec![
                DocumentItem {
                    kind: DocumentKind::Identity,
                    gathered: false,
                    note: None,
                },
                DocumentItem {
                    kind: DocumentKind::Identity,
                    gathered: true,
                    note: Some(" ".into()),
                },
            ],
            notes: None,
        };
        let errors = input.parse().unwrap_err();
        let codes: Vec<_> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("program_name", "required"),
                ("documents[1]", "duplicate"),
                ("documents[1].note", "required")
            ]
        );
    }

    #[test]
    fn a_closed_application_never_changes_but_an_approved_one_keeps_its_checklist() {
        let mut a = application();
        let fields = a.fields.clone();
        a.status = Withdrawn;
        assert_eq!(
            a.revise(fields.clone(), UserId::generate(), day(2), Utc::now()),
            Err(ApplicationError::Closed(Withdrawn))
        );
        a.status = Approved;
        let event = a
            .revise(fields, UserId::generate(), day(2), Utc::now())
            .unwrap();
        assert_eq!((event.from, event.to), (Some(Approved), Approved));
    }
}
