//! The worklist: everything that needs someone today, most urgent first.
//! The items come from the record (alerts, tasks, appointments, drafts,
//! approvals, dates coming due); here is how urgent each is and the order.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::alert::{RecordKind, Severity};

text_enum!(
    /// What kind of thing needs someone.
    ItemKind, example = "alert", {
        /// An open or acknowledged alert.
        Alert => "alert",
        /// An appointment today (with its ride).
        Appointment => "appointment",
        /// An open plan task due today or before.
        Task => "task",
        /// A contact the caller wrote and has not signed.
        UnsignedContact => "unsigned_contact",
        /// A benefits application with a date coming due.
        Application => "application",
        /// A service plan waiting for a supervisor's approval.
        PlanApproval => "plan_approval",
        /// A discharge waiting for a supervisor's approval.
        ClosureApproval => "closure_approval",
        /// A transfer waiting for the receiving team's answer.
        Transfer => "transfer",
    }
);
text_enum!(
    /// How soon an item needs someone, the first key of the order.
    Urgency, example = "today", {
        /// An escalated or high-severity alert.
        Now => "now",
        /// Bound to today: an appointment, a medium alert, a decision someone waits for.
        Today => "today",
        /// Due, or coming due: a task, a date of an application.
        Soon => "soon",
        /// Paperwork and low alerts.
        Later => "later",
    }
);

impl Urgency {
    fn rank(self) -> u8 {
        match self {
            Urgency::Now => 0,
            Urgency::Today => 1,
            Urgency::Soon => 2,
            Urgency::Later => 3,
        }
    }
}

/// How urgent an item is.
pub fn urgency(kind: ItemKind, severity: Option<Severity>, escalated: bool) -> Urgency {
    match kind {
        ItemKind::Alert => match (severity, escalated) {
            (_, true) | (Some(Severity::High), _) => Urgency::Now,
            (Some(Severity::Medium), _) => Urgency::Today,
            _ => Urgency::Later,
        },
        ItemKind::Appointment
        | ItemKind::PlanApproval
        | ItemKind::ClosureApproval
        | ItemKind::Transfer => Urgency::Today,
        ItemKind::Task | ItemKind::Application => Urgency::Soon,
        ItemKind::UnsignedContact => Urgency::Later,
    }
}

/// One thing on a worklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub urgency: Urgency,
    /// The client's acuity score, the second key of the order.
    pub acuity: u32,
    /// The day it is due or happens, the third key (none last).
    pub due_on: Option<NaiveDate>,
    /// The record the item is about: items about the same record are one
    /// (an alert about a draft contact and the draft itself).
    pub record: Option<(RecordKind, String)>,
    /// Ties broken by it, so the order is stable.
    pub id: String,
}

/// Orders items most urgent first (urgency, then the client's acuity, then
/// the day due). An alert stands for the other items about its record
/// (the draft contact it is about): those are left out; every alert stays.
pub fn order<T>(mut items: Vec<(Item, T)>) -> Vec<(Item, T)> {
    items.sort_by(|(a, _), (b, _)| {
        (a.kind != ItemKind::Alert)
            .cmp(&(b.kind != ItemKind::Alert))
            .then(a.id.cmp(&b.id))
    });
    let mut seen = std::collections::BTreeSet::new();
    items.retain(|(item, _)| match &item.record {
        Some(record) => seen.insert(record.clone()) || item.kind == ItemKind::Alert,
        None => true,
    });
    items.sort_by(|(a, _), (b, _)| {
        a.urgency
            .rank()
            .cmp(&b.urgency.rank())
            .then(b.acuity.cmp(&a.acuity))
            .then(match (a.due_on, b.due_on) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(a.id.cmp(&b.id))
    });
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(
        kind: ItemKind,
        severity: Option<Severity>,
        acuity: u32,
        due: Option<&str>,
        record: Option<&str>,
        id: &str,
    ) -> (Item, ()) {
        (
            Item {
                kind,
                urgency: urgency(kind, severity, false),
                acuity,
                due_on: due.map(|d| d.parse().unwrap()),
                record: record.map(|r| (RecordKind::Contact, r.to_owned())),
                id: id.to_owned(),
            },
            (),
        )
    }

    #[test]
    fn most_urgent_first_then_acuity_then_due() {
        let items = vec![
            item(ItemKind::UnsignedContact, None, 9, None, None, "a"),
            item(ItemKind::Task, None, 1, Some("2026-11-28"), None, "b"),
            item(ItemKind::Task, None, 1, Some("2026-11-20"), None, "c"),
            item(ItemKind::Alert, Some(Severity::High), 0, None, None, "d"),
            item(
                ItemKind::Appointment,
                None,
                2,
                Some("2026-11-28"),
                None,
                "e",
            ),
            item(ItemKind::Task, None, 5, None, None, "f"),
        ];
        let ids: Vec<String> = order(items).into_iter().map(|(i, _)| i.id).collect();
        assert_eq!(ids, vec!["d", "e", "f", "c", "b", "a"]);
    }

    #[test]
    fn an_alert_stands_for_the_record_it_is_about() {
        let items = vec![
            item(ItemKind::UnsignedContact, None, 0, None, Some("k"), "a"),
            item(
                ItemKind::Alert,
                Some(Severity::Low),
                0,
                None,
                Some("k"),
                "b",
            ),
        ];
        let kept = order(items);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].0.kind, ItemKind::Alert);
    }

    #[test]
    fn escalation_makes_any_alert_urgent_now() {
        assert_eq!(
            urgency(ItemKind::Alert, Some(Severity::Low), true),
            Urgency::Now
        );
        assert_eq!(
            urgency(ItemKind::Alert, Some(Severity::Low), false),
            Urgency::Later
        );
    }

    proptest! {
        /// Ordering keeps every item without a record, one per record, and
        /// is the same whatever order the items came in.
        #[test]
        fn order_is_a_function_of_the_items(raw in proptest::collection::vec((0usize..8, 0u32..20, proptest::option::of(0u8..5), 0u8..3), 0..20)) {
            let items: Vec<(Item, ())> = raw.iter().enumerate().map(|(n, (k, acuity, record, sev))| {
                let kind = ItemKind::ALL[*k];
                let severity = [Severity::Low, Severity::Medium, Severity::High][*sev as usize];
                (Item {
                    kind,
                    urgency: urgency(kind, Some(severity), false),
                    acuity: *acuity,
                    due_on: None,
                    record: record.map(|r| (RecordKind::Contact, r.to_string())),
                    id: format!("{n:03}"),
                }, ())
            }).collect();
            let mut reversed = items.clone();
            reversed.reverse();
            let a: Vec<String> = order(items.clone()).into_iter().map(|(i, _)| i.id).collect();
            let b: Vec<String> = order(reversed).into_iter().map(|(i, _)| i.id).collect();
            prop_assert_eq!(&a, &b);
            let alerts = items.iter().filter(|(i, _)| i.kind == ItemKind::Alert).count();
            let alerted: std::collections::BTreeSet<_> = items.iter().filter(|(i, _)| i.kind == ItemKind::Alert).filter_map(|(i, _)| i.record.clone()).collect();
            let others: std::collections::BTreeSet<_> = items.iter().filter(|(i, _)| i.kind != ItemKind::Alert).filter_map(|(i, _)| i.record.clone()).filter(|r| !alerted.contains(r)).collect();
            let plain = items.iter().filter(|(i, _)| i.kind != ItemKind::Alert && i.record.is_none()).count();
            prop_assert_eq!(a.len(), alerts + others.len() + plain);
        }
    }
}
