//! Where Spoke may send a request of its own (a webhook delivery): the one
//! rule against server-side request forgery. A receiver must be on the
//! public internet; a subscriber may not point Spoke at the agency's own
//! network, the cloud's metadata service or the database port.
//!
//! The rule is checked twice: over the URL when a subscription is made
//! ([`WebhookUrl::parse`]), and over every address a name resolves to when a
//! delivery connects ([`check_address`]), because DNS can change between the
//! two.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Whether receivers on this machine (loopback) are allowed: in development,
/// to try webhooks against a local receiver; never in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loopback {
    Allowed,
    Refused,
}

/// Why an address may not be connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    #[error("loopback addresses are allowed only in development")]
    Loopback,
    #[error("private network addresses are not allowed")]
    Private,
    #[error("link-local addresses are not allowed")]
    LinkLocal,
    #[error("multicast and broadcast addresses are not allowed")]
    Multicast,
    #[error("the unspecified address is not allowed")]
    Unspecified,
    #[error("reserved and documentation addresses are not allowed")]
    Reserved,
}

/// Where an address points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The public internet.
    Public,
    /// Somewhere it is not.
    Internal(Unreachable),
}

/// Where `ip` points. An IPv6 address that carries an IPv4 address
/// (IPv4-mapped, IPv4-compatible, NAT64, 6to4) points where that IPv4
/// address does.
pub fn classify(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> Reach {
    use Unreachable::*;
    let [a, b, c, _] = ip.octets();
    let internal = if ip.is_loopback() {
        Loopback
    } else if a == 0 {
        // 0.0.0.0/8: "this network"; 0.0.0.0 itself reaches the local host.
        Unspecified
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        // RFC 1918 and the carrier-grade NAT range 100.64.0.0/10.
        Private
    } else if ip.is_link_local() {
        // 169.254.0.0/16, where cloud metadata services answer.
        LinkLocal
    } else if ip.is_multicast() || ip.is_broadcast() {
        Multicast
    } else if a >= 240
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 88 && c == 99)
    {
        // Future use, IETF protocol assignments, documentation, benchmarking,
        // the deprecated 6to4 relay anycast.
        Reserved
    } else {
        return Reach::Public;
    };
    Reach::Internal(internal)
}

fn classify_v6(ip: Ipv6Addr) -> Reach {
    use Unreachable::*;
    let segments = ip.segments();
    let internal = if ip.is_loopback() {
        Loopback
    } else if ip.is_unspecified() {
        Unspecified
    } else if ip.is_unique_local() || (segments[0] & 0xffc0) == 0xfec0 {
        // fc00::/7, and the deprecated site-local fec0::/10.
        Private
    } else if ip.is_unicast_link_local() {
        LinkLocal
    } else if ip.is_multicast() {
        Multicast
    } else if (segments[0] == 0x2001 && matches!(segments[1], 0 | 0x0db8))
        || (segments[0] == 0x0064 && segments[1] == 0xff9b && segments[2] == 1)
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0])
        || segments[0] == 0
    {
        // Documentation, Teredo (whose IPv4 address is obscured), local-use
        // NAT64, discard-only, and the rest of ::/16 (IPv4-compatible and
        // other legacy forms that are not routed).
        Reserved
    } else {
        return Reach::Public;
    };
    Reach::Internal(internal)
}

/// The IPv4 address an IPv6 address stands for, if it carries one:
/// `::ffff:a.b.c.d` (mapped), `::a.b.c.d` (compatible, deprecated),
/// `64:ff9b::a.b.c.d` (NAT64) and `2002:AABB:CCDD::/48` (6to4).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    match s {
        // ::a.b.c.d, but not :: and ::1, which are IPv6's own.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => Some(low(hi, lo)),
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

/// Whether a delivery may connect to `ip`.
pub fn check_address(ip: IpAddr, loopback: Loopback) -> Result<(), Unreachable> {
    match classify(ip) {
        Reach::Public => Ok(()),
        Reach::Internal(Unreachable::Loopback) if loopback == Loopback::Allowed => Ok(()),
        Reach::Internal(why) => Err(why),
    }
}

/// Why a webhook URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("is not a valid absolute URL")]
    Malformed,
    #[error("is longer than {max} characters", max = WebhookUrl::MAX_LEN)]
    TooLong,
    #[error("must use https (http only for a loopback receiver in development)")]
    Scheme,
    #[error("must not carry a user name or password")]
    UserInfo,
    #[error("must name a host")]
    NoHost,
    #[error("points at an address that is not on the public internet: {0}")]
    Unreachable(Unreachable),
}

/// A URL a webhook may be delivered to: `https` with a host that is not
/// an internal address, no user name or password; `http` and loopback
/// receivers only where [`Loopback::Allowed`]. A name is checked again, as
/// addresses, at each delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    pub const MAX_LEN: usize = 2000;

    pub fn parse(raw: &str, loopback: Loopback) -> Result<WebhookUrl, UrlRefusal> {
        if raw.chars().count() > Self::MAX_LEN {
            return Err(UrlRefusal::TooLong);
        }
        let url = Url::parse(raw.trim()).map_err(|_| UrlRefusal::Malformed)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlRefusal::UserInfo);
        }
        let is_loopback = match url.host().ok_or(UrlRefusal::NoHost)? {
            Host::Ipv4(v4) => check(IpAddr::V4(v4), loopback)?,
            Host::Ipv6(v6) => check(IpAddr::V6(v6), loopback)?,
            Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    return Err(UrlRefusal::NoHost);
                }
                // RFC 6761: `localhost` and its subdomains are this machine.
                let local = name == "localhost" || name.ends_with(".localhost");
                if local && loopback == Loopback::Refused {
                    return Err(UrlRefusal::Unreachable(Unreachable::Loopback));
                }
                local
            }
        };
        match url.scheme() {
            "https" => {}
            "http" if is_loopback => {}
            _ => return Err(UrlRefusal::Scheme),
        }
        Ok(WebhookUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Checks an address in a URL; `Ok(true)` when it is an allowed loopback one.
fn check(ip: IpAddr, loopback: Loopback) -> Result<bool, UrlRefusal> {
    check_address(ip, loopback).map_err(UrlRefusal::Unreachable)?;
    Ok(classify(ip) == Reach::Internal(Unreachable::Loopback))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refused(raw: &str) -> UrlRefusal {
        WebhookUrl::parse(raw, Loopback::Refused).expect_err(raw)
    }

    #[test]
    fn the_reported_urls_are_refused() {
        for raw in [
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://localhost:22/",
            "http://[::1]:5432/",
            "http://localhost:1@127.0.0.2:18506/",
        ] {
            refused(raw);
        }
        assert_eq!(
            refused("http://localhost:1@127.0.0.2:18506/"),
            UrlRefusal::UserInfo
        );
    }

    #[test]
    fn other_spellings_of_internal_hosts_are_refused() {
        for raw in [
            "https://0x7f.1/",
            "https://2130706433/",
            "https://017700000001/",
            "https://127.1/",
            "https://0.0.0.0/",
            "https://[::]/",
            "https://[::127.0.0.1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[2002:a00:1::]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://192.168.1.10/",
            "https://172.16.0.1/",
            "https://100.64.0.1/",
            "https://224.0.0.1/",
            "https://api.localhost/",
            "https://LOCALHOST./",
            "https://user@example.org/",
            "https://:secret@example.org/",
        ] {
            refused(raw);
        }
    }

    #[test]
    fn public_https_receivers_are_accepted() {
        for raw in [
            "https://foodbank.example.org/spoke/events",
            "https://93.184.216.34/hook",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
            "https://example.org:8443/x?y=1",
        ] {
            assert!(WebhookUrl::parse(raw, Loopback::Refused).is_ok(), "{raw}");
        }
    }

    #[test]
    fn plain_http_only_reaches_loopback_in_development() {
        assert_eq!(
            refused("http://foodbank.example.org/hook"),
            UrlRefusal::Scheme
        );
        for raw in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "http://[::1]:8080/x",
        ] {
            assert!(WebhookUrl::parse(raw, Loopback::Allowed).is_ok(), "{raw}");
            assert_eq!(refused(raw), UrlRefusal::Unreachable(Unreachable::Loopback));
        }
        for raw in [
            "http://foodbank.example.org/hook",
            "ftp://127.0.0.1/x",
            "https://",
            "javascript:alert(1)",
            "http://127.0.0.1.evil.example/x",
        ] {
            assert!(WebhookUrl::parse(raw, Loopback::Allowed).is_err(), "{raw}");
        }
    }

    fn internal_v4() -> impl Strategy<Value = Ipv4Addr> {
        prop_oneof![
            any::<[u8; 3]>().prop_map(|[b, c, d]| Ipv4Addr::new(10, b, c, d)),
            any::<[u8; 3]>().prop_map(|[b, c, d]| Ipv4Addr::new(127, b, c, d)),
            any::<[u8; 2]>().prop_map(|[c, d]| Ipv4Addr::new(169, 254, c, d)),
            any::<[u8; 2]>().prop_map(|[c, d]| Ipv4Addr::new(192, 168, c, d)),
            (16u8..32, any::<[u8; 2]>()).prop_map(|(b, [c, d])| Ipv4Addr::new(172, b, c, d)),
            (64u8..128, any::<[u8; 2]>()).prop_map(|(b, [c, d])| Ipv4Addr::new(100, b, c, d)),
            (224u8..=255, any::<[u8; 3]>()).prop_map(|(a, [b, c, d])| Ipv4Addr::new(a, b, c, d)),
            any::<[u8; 3]>().prop_map(|[b, c, d]| Ipv4Addr::new(0, b, c, d)),
        ]
    }

    /// The IPv6 forms that carry an IPv4 address.
    fn carriers(v4: Ipv4Addr) -> Vec<Ipv6Addr> {
        let [a, b, c, d] = v4.octets();
        let hi = u16::from_be_bytes([a, b]);
        let lo = u16::from_be_bytes([c, d]);
        vec![
            v4.to_ipv6_mapped(),
            Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
            Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1),
        ]
    }

    proptest! {
        #[test]
        fn internal_ipv4_is_refused_in_every_spelling(v4 in internal_v4()) {
            prop_assert!(check_address(IpAddr::V4(v4), Loopback::Refused).is_err());
            let url = format!("https://{v4}/");
            prop_assert!(WebhookUrl::parse(&url, Loopback::Refused).is_err());
            let as_integer = format!("https://{}/", u32::from(v4));
            prop_assert!(WebhookUrl::parse(&as_integer, Loopback::Refused).is_err());
            for v6 in carriers(v4) {
                prop_assert!(check_address(IpAddr::V6(v6), Loopback::Refused).is_err(), "{}", v6);
                let url = format!("https://[{v6}]/");
                prop_assert!(WebhookUrl::parse(&url, Loopback::Refused).is_err(), "{}", url);
            }
        }

        #[test]
        fn an_ipv6_carrier_points_where_its_ipv4_address_does(octets in any::<[u8; 4]>()) {
            let v4 = Ipv4Addr::from(octets);
            for v6 in carriers(v4) {
                prop_assert_eq!(classify(IpAddr::V6(v6)), classify(IpAddr::V4(v4)), "{}", v6);
            }
        }

        #[test]
        fn loopback_is_allowed_only_when_asked(octets in any::<[u8; 3]>()) {
            let ip = IpAddr::V4(Ipv4Addr::new(127, octets[0], octets[1], octets[2]));
            prop_assert_eq!(check_address(ip, Loopback::Refused), Err(Unreachable::Loopback));
            prop_assert_eq!(check_address(ip, Loopback::Allowed), Ok(()));
        }

        #[test]
        fn no_url_with_a_user_name_is_accepted(user in "[a-z0-9]{1,12}", host in "[a-z]{1,10}\\.example\\.org") {
            let url = format!("https://{user}@{host}/");
            prop_assert_eq!(WebhookUrl::parse(&url, Loopback::Allowed), Err(UrlRefusal::UserInfo));
        }
    }
}
