//! The one mechanism of every status a record moves through (referrals,
//! appointments, rides, benefits applications): each lifecycle states the
//! moves allowed from where a record stands, and a refused move names them.

/// A status of a lifecycle, spelt as its wire name.
pub trait Status: Copy + Eq + 'static {
    /// What moves through it, for messages: "appointment", "ride".
    const RECORD: &'static str;
    fn name(self) -> &'static str;
}

/// A move the lifecycle does not allow from where the record stands: where
/// it is, where it was asked to go, and where it may go now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct IllegalMove {
    pub record: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub allowed: Vec<&'static str>,
    pub detail: String,
}

impl IllegalMove {
    /// `Ok` when `to` is among `allowed` (the moves allowed from `from`
    /// now), otherwise the refusal naming them.
    pub fn check<S: Status>(from: S, to: S, allowed: &[S]) -> Result<(), IllegalMove> {
        if allowed.contains(&to) {
            return Ok(());
        }
        Err(IllegalMove::new(
            from,
            to,
            allowed,
            format!(
                "{} {} cannot move from {} to {}",
                if S::RECORD.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                },
                S::RECORD,
                from.name(),
                to.name()
            ),
        ))
    }

    /// A refusal with a detail of the lifecycle's own.
    pub fn new<S: Status>(from: S, to: S, allowed: &[S], detail: String) -> IllegalMove {
        IllegalMove {
            record: S::RECORD,
            from: from.name(),
            to: to.name(),
            allowed: allowed.iter().map(|s| s.name()).collect(),
            detail,
        }
    }
}
