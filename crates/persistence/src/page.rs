//! Keyset pagination: a page ends at a position, and the next page starts
//! strictly after it, so inserts never cause duplicates or gaps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A position in a list ordered by time then id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyset {
    pub at: DateTime<Utc>,
    pub id: String,
}

/// One page of results and, when there may be more, where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, K = Keyset> {
    pub items: Vec<T>,
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// Builds a page from up to `limit + 1` rows: the extra row only tells
    /// that there is a next page.
    pub(crate) fn from_rows(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> K) -> Self {
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(key)
        } else {
            None
        };
        Page { items, next }
    }
}
