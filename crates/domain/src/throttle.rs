//! How often someone may try to sign in: the rule against password guessing
//! that a stranger cannot turn against the account's owner.
//!
//! Every attempt is counted in two buckets before its password is checked:
//! the account from one network address (a tight limit, so guessing from
//! one place stops quickly), and the account from anywhere (a looser one, so
//! guessing spread over many addresses stops too). A stranger who exhausts
//! the first locks out only their own address; the owner, signing in from
//! their own, is unaffected. Locking the owner out needs the second limit
//! exhausted, which takes many addresses and is then bounded in time.
//! A successful sign-in empties its address's bucket.

use std::net::{IpAddr, Ipv6Addr};

use chrono::{DateTime, Duration, Utc};

use crate::values::Email;

/// At most `attempts` within `window`, counted from the first attempt of
/// the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub attempts: u32,
    pub window: Duration,
}

/// The two limits a sign-in is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    /// One account from one network address.
    pub per_address: Limit,
    /// One account from anywhere.
    pub per_account: Limit,
}

impl Default for SignInLimits {
    /// 10 attempts per account and address in 15 minutes; 100 per account in
    /// an hour.
    fn default() -> Self {
        SignInLimits {
            per_address: Limit {
                attempts: 10,
                window: Duration::minutes(15),
            },
            per_account: Limit {
                attempts: 100,
                window: Duration::hours(1),
            },
        }
    }
}

impl SignInLimits {
    /// The buckets an attempt for `email` from `address` is counted in,
    /// each with its limit.
    pub fn buckets(&self, email: &Email, address: IpAddr) -> [(Bucket, Limit); 2] {
        [
            (Bucket::account_from(email, address), self.per_address),
            (Bucket::account(email), self.per_account),
        ]
    }

    /// The longest window: a bucket older than this counts for nothing.
    pub fn longest_window(&self) -> Duration {
        self.per_address.window.max(self.per_account.window)
    }
}

/// A counter's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket(String);

impl Bucket {
    pub fn account(email: &Email) -> Bucket {
        Bucket(format!("account:{}", email.as_str()))
    }

    /// An IPv6 client is counted by its /64 network, which one subscriber
    /// usually holds whole; an IPv4-mapped address as its IPv4 address.
    pub fn account_from(email: &Email, address: IpAddr) -> Bucket {
        let network = match address {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
        };
        Bucket(format!("address:{network}:{}", email.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bucket's count after this attempt was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub attempts: u32,
    pub window_start: DateTime<Utc>,
}

/// Too many attempts: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-in attempts; try again in {retry_after_seconds} s")]
pub struct Throttled {
    pub retry_after_seconds: u64,
}

impl Limit {
    /// Whether the window that began at `window_start` is over at `now`, so
    /// the next attempt starts a new one.
    pub fn window_over(&self, window_start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - window_start >= self.window
    }

    /// Whether an attempt that made the bucket's count `count` may go on.
    pub fn judge(&self, count: Count, now: DateTime<Utc>) -> Result<(), Throttled> {
        if count.attempts <= self.attempts {
            return Ok(());
        }
        let left = (count.window_start + self.window - now).num_seconds();
        Err(Throttled {
            retry_after_seconds: u64::try_from(left).unwrap_or(0).max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn email() -> Email {
        Email::parse("casey@example.org").unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn a_stranger_elsewhere_does_not_share_the_owners_address_bucket() {
        let limits = SignInLimits::default();
        let owner = limits.buckets(&email(), "203.0.113.7".parse().unwrap());
        let stranger = limits.buckets(&email(), "198.51.100.9".parse().unwrap());
        assert_ne!(owner[0].0, stranger[0].0);
        assert_eq!(owner[1].0, stranger[1].0);
        assert!(limits.per_account.attempts > limits.per_address.attempts);
    }

    #[test]
    fn ipv6_clients_count_by_their_network() {
        let a = Bucket::account_from(&email(), "2001:db8:1:2::1".parse().unwrap());
        let b = Bucket::account_from(&email(), "2001:db8:1:2:ffff::9".parse().unwrap());
        let c = Bucket::account_from(&email(), "2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mapped = Bucket::account_from(&email(), "::ffff:192.0.2.1".parse().unwrap());
        let plain = Bucket::account_from(&email(), "192.0.2.1".parse().unwrap());
        assert_eq!(mapped, plain);
    }

    #[test]
    fn the_attempt_over_the_limit_waits_for_the_window() {
        let limit = Limit {
            attempts: 10,
            window: Duration::minutes(15),
        };
        let start = at(0);
        assert!(
            limit
                .judge(
                    Count {
                        attempts: 10,
                        window_start: start
                    },
                    at(60)
                )
                .is_ok()
        );
        let refused = limit
            .judge(
                Count {
                    attempts: 11,
                    window_start: start,
                },
                at(60),
            )
            .unwrap_err();
        assert_eq!(refused.retry_after_seconds, 14 * 60);
        assert!(!limit.window_over(start, at(899)));
        assert!(limit.window_over(start, at(900)));
    }

    proptest! {
        #[test]
        fn at_most_the_limit_goes_on_in_one_window(attempts in 1u32..40, limit in 1u32..20) {
            let limit = Limit { attempts: limit, window: Duration::minutes(15) };
            let passed = (1..=attempts)
                .filter(|n| limit.judge(Count { attempts: *n, window_start: at(0) }, at(5)).is_ok())
                .count();
            prop_assert_eq!(passed, attempts.min(limit.attempts) as usize);
        }

        #[test]
        fn retry_after_is_never_zero_nor_past_the_window(elapsed in 0i64..900) {
            let limit = Limit { attempts: 1, window: Duration::minutes(15) };
            let refused = limit.judge(Count { attempts: 2, window_start: at(0) }, at(elapsed)).unwrap_err();
            prop_assert!(refused.retry_after_seconds >= 1);
            prop_assert!(refused.retry_after_seconds <= 900);
        }
    }
}
