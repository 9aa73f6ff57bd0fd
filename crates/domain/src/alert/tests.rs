use super::*;
use proptest::prelude::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-11-28T15:00:00Z".parse().unwrap()
}

const TODAY: &str = "2026-11-28";

fn signs() -> ClientSigns {
    let mut s = ClientSigns::new(ClientId::generate(), TeamId::generate(), day("2026-11-01"));
    // Seen yesterday, assessed last week: nothing is due.
    s.last_seen = Some(("c1".into(), day("2026-11-27")));
    s.last_assessed = Some(("a1".into(), day("2026-11-20")));
    s
}

fn rules() -> RuleSet {
    RuleSet::current([])
}

fn fired(s: &ClientSigns) -> Vec<RuleCode> {
    evaluate(&rules(), s, day(TODAY))
        .findings
        .iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn a_quiet_client_raises_nothing_and_is_low_acuity() {
    let e = evaluate(&rules(), &signs(), day(TODAY));
    assert!(e.findings.is_empty(), "{:?}", e.findings);
    assert_eq!(e.acuity.level, AcuityLevel::Low);
    assert_eq!(e.acuity.score, 0);
}

#[test]
fn a_discharged_client_raises_nothing() {
    let mut s = signs();
    s.last_seen = None;
    s.served = false;
    assert!(fired(&s).is_empty());
}

#[test]
fn no_contact_counts_from_the_last_contact_or_enrollment_by_acuity() {
    let mut s = signs();
    // Low acuity allows 30 days.
    s.last_seen = Some(("c1".into(), day("2026-10-29")));
    assert_eq!(fired(&s), vec![]);
    s.last_seen = Some(("c1".into(), day("2026-10-28")));
    assert_eq!(fired(&s), vec![RuleCode::NoContact]);
    // Never seen: from enrollment.
    s.last_seen = None;
    s.enrolled_on = day("2026-10-20");
    let e = evaluate(&rules(), &s, day(TODAY));
    assert_eq!(
        e.findings[0].key,
        format!("client:{}/since:2026-10-20", s.client_id)
    );
    assert!(e.findings[0].facts[0].text.contains("enrollment"));
}

#[test]
fn high_acuity_shortens_the_no_contact_threshold() {
    let mut s = signs();
    s.last_seen = Some(("c1".into(), day("2026-11-18")));
    assert!(fired(&s).is_empty());
    // Three domains in crisis (3 × 3 points, and 2 for the medium finding) make it high.
    for d in ["housing", "income", "food"] {
        s.domains.push(DomainSign {
            domain: d.into(),
            label: d.into(),
            assessment_id: "a1".into(),
            assessed_on: day("2026-11-20"),
            score: Some(1),
            previous: Some(2),
            in_crisis: true,
            dropped: false,
        });
    }
    let e = evaluate(&rules(), &s, day(TODAY));
    assert_eq!(e.acuity.level, AcuityLevel::High, "{:?}", e.acuity);
    assert_eq!(e.acuity.score, 11);
    let flags: Vec<&Finding> = e
        .findings
        .iter()
        .filter(|f| f.rule == RuleCode::AssessmentFlag)
        .collect();
    assert_eq!(flags.len(), 1, "one alert lists every flagged domain");
    assert_eq!(flags[0].facts.len(), 3);
    assert!(e.findings.iter().any(|f| f.rule == RuleCode::NoContact));
    // The no-contact finding is not part of the score it depends on.
    assert!(
        e.acuity
            .contributions
            .iter()
            .all(|c| c.source != "no_contact")
    );
}

#[test]
fn missed_appointments_need_the_count_within_the_window() {
    let mut s = signs();
    s.missed = vec![
        ("m1".into(), day("2026-10-20")),
        ("m2".into(), day("2026-11-20")),
    ];
    assert!(fired(&s).is_empty(), "the first is outside 30 days");
    s.missed.push(("m3".into(), day("2026-11-27")));
    let e = evaluate(&rules(), &s, day(TODAY));
    assert_eq!(e.findings.len(), 1);
    assert_eq!(e.findings[0].facts.len(), 2);
    assert_eq!(
        e.findings[0].facts[0].record.as_ref().unwrap().kind,
        RecordKind::Appointment
    );
}

#[test]
fn a_critical_event_fires_while_recent_or_going_on() {
    let mut s = signs();
    let event = |t, start: &str, end: Option<&str>, stay| EventSign {
        id: format!("e-{start}"),
        event_type: t,
        is_stay: stay,
        started_on: day(start),
        ended_on: end.map(day),
        follow_up: None,
    };
    s.events = vec![
        event(
            EventType::EmergencyDepartmentVisit,
            "2026-11-25",
            Some("2026-11-25"),
            false,
        ),
        event(EventType::Arrest, "2026-11-01", Some("2026-11-01"), false),
        event(EventType::MedicalHospitalization, "2026-10-01", None, true),
        event(
            EventType::HousingLoss,
            "2026-11-26",
            Some("2026-11-26"),
            false,
        ),
    ];
    let e = evaluate(&rules(), &s, day(TODAY));
    let keys: Vec<&str> = e.findings.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0].ends_with("critical_event:e-2026-11-25"));
    assert!(keys[1].ends_with("critical_event:e-2026-10-01"));
    assert!(e.findings[1].summary.contains("going on"));
}

#[test]
fn a_psychiatric_discharge_is_due_until_seen_and_stays_when_missed() {
    let mut s = signs();
    let mut e = EventSign {
        id: "p1".into(),
        event_type: EventType::PsychiatricHospitalization,
        is_stay: true,
        started_on: day("2026-11-10"),
        ended_on: Some(day("2026-11-25")),
        follow_up: Some((FollowUpStatus::Pending, day("2026-12-02"))),
    };
    s.events = vec![e.clone()];
    let rules_without_events = {
        let mut r = rules();
        let mut off = r.get(RuleCode::CriticalEvent).clone();
        off.settings.enabled = false;
        off.version = 2;
        r = RuleSet::current([off]);
        r
    };
    let found = |s: &ClientSigns| {
        evaluate(&rules_without_events, s, day(TODAY))
            .findings
            .into_iter()
            .map(|f| (f.rule, f.summary))
            .collect::<Vec<_>>()
    };
    let f = found(&s);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, RuleCode::FollowUpDue);
    assert!(f[0].1.contains("due by 2026-12-02"));
    e.follow_up = Some((FollowUpStatus::Missed, day("2026-11-20")));
    e.ended_on = Some(day("2026-11-13"));
    s.events = vec![e.clone()];
    assert!(found(&s)[0].1.contains("missed"));
    e.follow_up = Some((FollowUpStatus::Met, day("2026-12-02")));
    s.events = vec![e];
    assert!(found(&s).is_empty());
}

#[test]
fn referrals_wait_for_an_answer_then_for_the_link() {
    let mut s = signs();
    s.referrals = vec![
        ReferralSign {
            id: "r1".into(),
            to: "Food Bank".into(),
            waiting_since: Some(day("2026-11-20")),
            accepted_on: None,
        },
        ReferralSign {
            id: "r2".into(),
            to: "Housing First".into(),
            waiting_since: None,
            accepted_on: Some(day("2026-10-28")),
        },
    ];
    assert_eq!(
        fired(&s),
        vec![RuleCode::ReferralNotAccepted, RuleCode::ReferralNotLinked]
    );
    s.referrals[0].waiting_since = Some(day("2026-11-21"));
    s.referrals[1].accepted_on = Some(day("2026-10-29"));
    assert!(fired(&s).is_empty());
}

#[test]
fn plans_benefits_consents_assessments_and_drafts() {
    let mut s = signs();
    s.plan = Some(("p1".into(), day("2026-11-27")));
    s.tasks = vec![
        TaskSign {
            plan_id: "p1".into(),
            task_id: "t1".into(),
            what: "Apply for the voucher".into(),
            due_on: day("2026-11-27"),
        },
        TaskSign {
            plan_id: "p1".into(),
            task_id: "t2".into(),
            what: "Call the landlord".into(),
            due_on: day(TODAY),
        },
    ];
    s.benefits = vec![
        BenefitSign {
            id: "b1".into(),
            program: "SNAP".into(),
            kind: DueKind::Recertification,
            due_on: day("2026-12-12"),
        },
        BenefitSign {
            id: "b2".into(),
            program: "Medicaid".into(),
            kind: DueKind::Information,
            due_on: day("2026-12-13"),
        },
    ];
    s.consents = vec![
        ("k1".into(), day("2026-12-28")),
        ("k2".into(), day("2026-12-29")),
    ];
    s.last_assessed = Some(("a1".into(), day("2026-08-29")));
    s.drafts = vec![
        DraftSign {
            id: "d1".into(),
            date_of_service: day("2026-11-24"),
        },
        DraftSign {
            id: "d2".into(),
            date_of_service: day("2026-11-25"),
        },
    ];
    assert_eq!(
        fired(&s),
        vec![
            RuleCode::PlanReviewOverdue,
            RuleCode::PlanTaskOverdue,
            RuleCode::BenefitDue,
            RuleCode::ConsentExpiring,
            RuleCode::ReassessmentDue,
            RuleCode::ContactUnsigned,
        ]
    );
}

#[test]
fn caseload_over_its_limit() {
    let mut c = CaseloadSigns {
        staff_id: UserId::generate(),
        team_id: None,
        name: "Ana".into(),
        clients: 25,
    };
    assert!(evaluate_caseload(&rules(), &c).is_none());
    c.clients = 26;
    let f = evaluate_caseload(&rules(), &c).unwrap();
    assert_eq!(f.subject, Subject::Staff(c.staff_id));
    assert!(f.summary.contains("26"));
}

#[test]
fn settings_take_exactly_the_params_of_their_rule() {
    for &code in RuleCode::ALL {
        assert_eq!(
            code.default_settings().check(code),
            Ok(code.default_settings())
        );
    }
    let mut s = RuleCode::MissedAppointments.default_settings();
    s.params.limit = Some(3);
    s.params.count = None;
    s.params.days = Some(0);
    let errors = s.check(RuleCode::MissedAppointments).unwrap_err();
    let fields: Vec<(&str, &str)> = errors
        .0
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("params.count", "required"),
            ("params.limit", "not_applicable"),
            ("params.days", "out_of_range"),
        ]
    );
}

#[test]
fn the_newest_version_of_each_rule_is_in_force() {
    let by = UserId::generate();
    let v1 = Rule::shipped(RuleCode::NoContact);
    let mut settings = v1.settings.clone();
    settings.severity = Severity::High;
    let v2 = v1.change(settings.clone(), by, now());
    let v3 = v2.change(v1.settings.clone(), by, now());
    let set = RuleSet::current([v3.clone(), v2]);
    assert_eq!(set.get(RuleCode::NoContact), &v3);
    assert_eq!(set.get(RuleCode::BenefitDue).version, 1);
}

fn finding(rule: RuleCode, key: &str) -> Finding {
    Finding {
        rule,
        subject: Subject::Client(ClientId::generate()),
        key: key.into(),
        summary: "s".into(),
        facts: vec![],
    }
}

#[test]
fn reconcile_opens_once_and_clears_what_is_gone() {
    let rules = rules();
    let first = reconcile(
        &rules,
        vec![
            finding(RuleCode::NoContact, "a"),
            finding(RuleCode::NoContact, "a"),
        ],
        vec![],
        now(),
    );
    assert_eq!(
        first.open.len(),
        1,
        "the same finding twice opens one alert"
    );
    let live = first.open;
    let again = reconcile(
        &rules,
        vec![finding(RuleCode::NoContact, "a")],
        live.clone(),
        now(),
    );
    assert!(again.open.is_empty() && again.clear.is_empty());
    let gone = reconcile(&rules, vec![], live, now());
    assert_eq!(gone.clear.len(), 1);
    let cleared = &gone.clear[0];
    assert_eq!(cleared.state, AlertState::Resolved);
    assert_eq!(cleared.resolution, Some(Resolution::FactsChanged));
    assert!(cleared.cleared_at.is_some());
}

#[test]
fn resolved_by_hand_it_stays_live_until_its_facts_go() {
    let rules = rules();
    let mut alert = reconcile(
        &rules,
        vec![finding(RuleCode::NoContact, "a")],
        vec![],
        now(),
    )
    .open
    .remove(0);
    alert
        .resolve(UserId::generate(), " Called her ".into(), now())
        .unwrap();
    assert_eq!(alert.note.as_deref(), Some("Called her"));
    let same = reconcile(
        &rules,
        vec![finding(RuleCode::NoContact, "a")],
        vec![alert.clone()],
        now(),
    );
    assert!(same.open.is_empty(), "no second alert while its facts hold");
    let gone = reconcile(&rules, vec![], vec![alert], now());
    assert_eq!(gone.clear[0].resolution, Some(Resolution::ByHand));
}

#[test]
fn an_alerts_moves() {
    let by = UserId::generate();
    let today = day(TODAY);
    let mut a = Alert::open(
        finding(RuleCode::NoContact, "a"),
        &Rule::shipped(RuleCode::NoContact),
        now(),
    );
    assert!(matches!(
        a.snooze(today, today, now()),
        Err(AlertError::Invalid(_))
    ));
    assert!(matches!(
        a.snooze(day("2027-03-01"), today, now()),
        Err(AlertError::Invalid(_))
    ));
    a.snooze(day("2026-12-01"), today, now()).unwrap();
    assert!(!a.wake(day("2026-11-30"), now()));
    assert!(a.wake(day("2026-12-01"), now()));
    assert_eq!(a.state, AlertState::Open);
    a.acknowledge(by, now()).unwrap();
    let refused = a.acknowledge(by, now()).unwrap_err();
    let AlertError::IllegalMove(m) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(m.allowed, vec!["snoozed", "resolved"]);
    assert!(matches!(
        a.resolve(by, " ".into(), now()),
        Err(AlertError::Invalid(_))
    ));
    a.resolve(by, "Seen at home".into(), now()).unwrap();
    assert_eq!(alert_moves(a.state), vec![]);
    assert!(a.acknowledge(by, now()).is_err());
}

#[test]
fn a_snoozed_alert_resolved_or_cleared_has_no_day_to_wake() {
    let today = day(TODAY);
    let rule = Rule::shipped(RuleCode::NoContact);
    let mut by_hand = Alert::open(finding(RuleCode::NoContact, "a"), &rule, now());
    by_hand.snooze(day("2026-12-01"), today, now()).unwrap();
    by_hand
        .resolve(UserId::generate(), "Seen".into(), now())
        .unwrap();
    assert_eq!(by_hand.snoozed_until, None);
    let mut cleared = Alert::open(finding(RuleCode::NoContact, "b"), &rule, now());
    cleared.snooze(day("2026-12-01"), today, now()).unwrap();
    cleared.clear(now());
    assert_eq!(
        (cleared.state, cleared.snoozed_until),
        (AlertState::Resolved, None)
    );
}

#[test]
fn escalation_waits_for_the_rules_hours_and_an_answer() {
    let rule = Rule::shipped(RuleCode::CriticalEvent);
    let hours = rule.settings.escalate_after_hours;
    assert_eq!(hours, Some(24));
    let mut a = Alert::open(finding(RuleCode::CriticalEvent, "e"), &rule, now());
    assert!(!a.escalation_due(hours, now() + chrono::Duration::hours(23)));
    assert!(a.escalation_due(hours, now() + chrono::Duration::hours(24)));
    assert!(!a.escalation_due(None, now() + chrono::Duration::hours(240)));
    a.escalate(now());
    assert!(!a.escalation_due(hours, now() + chrono::Duration::hours(48)));
    let mut b = Alert::open(finding(RuleCode::CriticalEvent, "f"), &rule, now());
    b.acknowledge(UserId::generate(), now()).unwrap();
    assert!(!b.escalation_due(hours, now() + chrono::Duration::hours(48)));
}

proptest! {
    /// Reconciling what was found against what is live, twice, changes
    /// nothing the second time: evaluation is idempotent.
    #[test]
    fn reconcile_is_idempotent(found in proptest::collection::vec(0u8..6, 0..8), live in proptest::collection::vec(0u8..6, 0..8)) {
        let rules = rules();
        let key = |k: u8| format!("k{k}");
        let live: Vec<Alert> = reconcile(&rules, live.iter().map(|&k| finding(RuleCode::NoContact, &key(k))).collect(), vec![], now()).open;
        let findings: Vec<Finding> = found.iter().map(|&k| finding(RuleCode::NoContact, &key(k))).collect();
        let first = reconcile(&rules, findings.clone(), live.clone(), now());
        let still: Vec<Alert> = live
            .into_iter()
            .filter(|a| !first.clear.iter().any(|c| c.id == a.id))
            .chain(first.open.clone())
            .collect();
        let distinct: BTreeSet<u8> = found.iter().copied().collect();
        prop_assert_eq!(still.len(), distinct.len());
        let second = reconcile(&rules, findings, still, now());
        prop_assert!(second.open.is_empty());
        prop_assert!(second.clear.is_empty());
    }

    /// The acuity level follows the score, and the score is the sum of the
    /// contributions listed.
    #[test]
    fn acuity_explains_itself(scores in proptest::collection::vec(1i32..=5, 0..17), hits in proptest::collection::vec(0usize..3, 0..6)) {
        let rules = rules();
        let codes = [RuleCode::CriticalEvent, RuleCode::BenefitDue, RuleCode::ContactUnsigned];
        let findings: Vec<Finding> = hits.iter().map(|&i| finding(codes[i], "k")).collect();
        let domains: Vec<(String, i32)> = scores.iter().enumerate().map(|(i, s)| (format!("d{i}"), *s)).collect();
        let a = acuity(&findings, &domains, &rules);
        prop_assert_eq!(a.score, a.contributions.iter().map(|c| c.points).sum::<u32>());
        let expected = if a.score >= 10 { AcuityLevel::High } else if a.score >= 5 { AcuityLevel::Moderate } else { AcuityLevel::Low };
        prop_assert_eq!(a.level, expected);
        prop_assert_eq!(a.contributions.len(), findings.len() + scores.iter().filter(|s| **s <= 2).count());
    }
}
