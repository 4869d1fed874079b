//! The table of forbidden networks, and the IPv6 forms that carry an IPv4
//! address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

pub(super) const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> IpNet {
    IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix))
}

pub(super) const fn v6(segments: [u16; 8], prefix: u8) -> IpNet {
    let [a, b, c, d, e, f, g, h] = segments;
    IpNet::V6(Ipv6Net::new_assert(
        Ipv6Addr::new(a, b, c, d, e, f, g, h),
        prefix,
    ))
}

/// The forbidden networks, most specific first: the first match names the
/// kind of address.
const FORBIDDEN: &[(IpNet, &str)] = &[
    // IPv4.
    (v4(0, 0, 0, 0, 8), "an unspecified address"),
    (v4(127, 0, 0, 0, 8), "a loopback address"),
    (v4(10, 0, 0, 0, 8), "a private address"),
    (v4(172, 16, 0, 0, 12), "a private address"),
    (v4(192, 168, 0, 0, 16), "a private address"),
    (v4(169, 254, 169, 254, 32), "the cloud metadata address"),
    (v4(169, 254, 0, 0, 16), "a link-local address"),
    (v4(100, 64, 0, 0, 10), "a shared (CGNAT) address"),
    (v4(192, 0, 0, 0, 24), "an IETF protocol assignment address"),
    (v4(192, 0, 2, 0, 24), "a documentation address"),
    (v4(198, 51, 100, 0, 24), "a documentation address"),
    (v4(203, 0, 113, 0, 24), "a documentation address"),
    (v4(198, 18, 0, 0, 15), "a benchmarking address"),
    (v4(224, 0, 0, 0, 4), "a multicast address"),
    (v4(255, 255, 255, 255, 32), "the broadcast address"),
    (v4(192, 88, 99, 0, 24), "a 6to4 relay anycast address"),
    (v4(240, 0, 0, 0, 4), "a reserved address"),
    // IPv6.
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), "an unspecified address"),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), "a loopback address"),
    (
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
        "a link-local address",
    ),
    (
        v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
        "a unique-local address",
    ),
    (
        v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),
        "a site-local address",
    ),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), "a multicast address"),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        "a documentation address",
    ),
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32), "a Teredo address"),
    (
        v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48),
        "a benchmarking address",
    ),
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
        "an IETF protocol assignment address",
    ),
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        "a local-use NAT64 address",
    ),
    (
        v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
        "a discard-only address",
    ),
];

/// IPv6 networks whose addresses carry an IPv4 address: the network, what
/// such an address is called, and how far right the IPv4 bits sit.
const CARRIERS: &[(Ipv6Net, &str, u32)] = &[
    (
        Ipv6Net::new_assert(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96),
        "an IPv4-mapped form",
        0,
    ),
    (
        Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96),
        "a NAT64 form",
        0,
    ),
    (
        Ipv6Net::new_assert(Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),
        "a 6to4 form",
        80,
    ),
    // `::` and `::1` lie in this network too, but the forbidden table
    // judges them as themselves before any carried address is looked at.
    (
        Ipv6Net::new_assert(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96),
        "an IPv4-compatible form",
        0,
    ),
];

/// The IPv4 address an IPv6 address carries, and what the form is called.
fn embedded_v4(ip: Ipv6Addr) -> Option<(Ipv4Addr, &'static str)> {
    CARRIERS
        .iter()
        .find(|(net, _, _)| net.contains(&ip))
        .map(|&(_, form, shift)| {
            // Truncation keeps exactly the 32 bits at `shift`.
            let bits = (u128::from(ip) >> shift) as u32;
            (Ipv4Addr::from(bits), form)
        })
}

/// What is wrong with a forbidden address.
#[derive(Debug, Clone, Copy)]
pub(super) struct Verdict {
    pub(super) kind: &'static str,
    /// The IPv4 address judged, when the address carries one.
    pub(super) carried: Option<(Ipv4Addr, &'static str)>,
}

impl Verdict {
    /// "a loopback address", or "an IPv4-mapped form of 127.0.0.1, a
    /// loopback address".
    pub(super) fn describe(&self) -> String {
        match self.carried {
            None => self.kind.to_owned(),
            Some((inner, form)) => format!("{form} of {inner}, {}", self.kind),
        }
    }
}

fn table_kind(ip: IpAddr) -> Option<&'static str> {
    FORBIDDEN
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|&(_, kind)| kind)
}

pub(super) fn classify(ip: IpAddr) -> Option<Verdict> {
    if let Some(kind) = table_kind(ip) {
        return Some(Verdict {
            kind,
            carried: None,
        });
    }
    let IpAddr::V6(ip) = ip else {
        return None;
    };
    let (inner, form) = embedded_v4(ip)?;
    table_kind(IpAddr::V4(inner)).map(|kind| Verdict {
        kind,
        carried: Some((inner, form)),
    })
}

/// Classifies one address: `Some(kind)` when it is forbidden, such as "a
/// loopback address", "a private address" or "the cloud metadata address".
///
/// An IPv6 address carrying an IPv4 one (IPv4-mapped, IPv4-compatible,
/// NAT64, 6to4) is classified by the IPv4 address it carries. The
/// allow-list of a [`Guard`](super::Guard) is not consulted here.
pub fn forbidden_kind(ip: IpAddr) -> Option<&'static str> {
    classify(ip).map(|verdict| verdict.kind)
}
