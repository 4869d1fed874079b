//! The SSRF guard: which URLs a callback may be delivered to.
//!
//! A callback URL comes from whoever subscribed, so the server must not let
//! it point back into the server's own network: its loopback interface, the
//! private networks behind it, the cloud metadata address, and the like.
//! The guard enforces four rules.
//!
//! 1. **Only `http` and `https`, no credentials, a host.** Any other scheme
//!    (`file`, `ftp`, ...) is refused, and so is a URL carrying a user name
//!    or a password, or one without a host.
//! 2. **Every address is vetted against one table of forbidden networks**
//!    ([`forbidden_kind`]): loopback, private, link-local (with the cloud
//!    metadata address), shared (CGNAT), unique-local, site-local,
//!    multicast, broadcast, documentation, unspecified, benchmarking,
//!    reserved and IETF protocol assignments. An IPv6 address that carries
//!    an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is judged by
//!    the IPv4 address it carries, since that is where the packets end up.
//! 3. **A name is resolved once, and refused if _any_ of its addresses is
//!    forbidden.** Checking the name and then letting the HTTP client look
//!    it up again would let a DNS server answer "public" the first time and
//!    "127.0.0.1" the second (DNS rebinding). So the client is given
//!    [`Guard::reqwest_resolver`], which hands it only the addresses the
//!    guard has just vetted. Refusing a name when one of several addresses
//!    is forbidden, rather than filtering that address out, keeps the
//!    answer the same whichever address the client would have picked, and
//!    a name that mixes public and private addresses is suspect anyway.
//! 4. **Literal addresses are vetted too.** The HTTP client does not ask a
//!    resolver about `http://127.0.0.1/`, so [`Guard::check_url`] vets
//!    IP-literal hosts itself. It relies on the `url` crate's WHATWG host
//!    parser, which turns the integer, octal and hexadecimal spellings
//!    (`http://2130706433/`, `http://0177.0.0.1/`, `http://0x7f.1/`) into
//!    the address they stand for before the guard sees them.
//!
//! An allow-list ([`Guard::allow`], [`Guard::allow_loopback`]) opens
//! networks for tests and private deployments; an allowed network wins over
//! the forbidden table.
//!
//! Every refusal is a [`Refusal`] whose reason names the host and the
//! address or rule, such as "`localhost` resolves to 127.0.0.1, a loopback
//! address".

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use url::{Host, Url};

/// A boxed, sendable future, as [`Resolve`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Looks up host names. Injected in tests.
pub trait Resolve: Send + Sync + 'static {
    /// Looks up `host`, returning its addresses with `port` set.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>>;
}

/// The system resolver (`tokio::net::lookup_host`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// Why a URL or address is refused.
///
/// Its `Display` is the reason, which names the host and the address or
/// rule at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    reason: String,
}

impl Refusal {
    fn new(reason: String) -> Refusal {
        Refusal { reason }
    }

    /// The human-readable reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Refusal {}

/// Walks an error's source chain and returns the [`Refusal`] inside, if any.
pub fn find_refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refusal> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(refusal) = error.downcast_ref::<Refusal>() {
            return Some(refusal);
        }
        current = error.source();
    }
    None
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> IpNet {
    IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix))
}

const fn v6(segments: [u16; 8], prefix: u8) -> IpNet {
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
struct Verdict {
    kind: &'static str,
    /// The IPv4 address judged, when the address carries one.
    carried: Option<(Ipv4Addr, &'static str)>,
}

impl Verdict {
    /// "a loopback address", or "an IPv4-mapped form of 127.0.0.1, a
    /// loopback address".
    fn describe(&self) -> String {
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

fn classify(ip: IpAddr) -> Option<Verdict> {
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
/// allow-list of a [`Guard`] is not consulted here.
pub fn forbidden_kind(ip: IpAddr) -> Option<&'static str> {
    classify(ip).map(|verdict| verdict.kind)
}

/// A lookup that failed, or an answer the guard refused.
enum LookupError {
    Failed(io::Error),
    Refused(Refusal),
}

/// Vets callback URLs and the addresses they resolve to.
///
/// Cheap to clone: the resolver is shared.
#[derive(Clone)]
pub struct Guard {
    resolver: Arc<dyn Resolve>,
    allowed: Vec<IpNet>,
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

impl Default for Guard {
    fn default() -> Guard {
        Guard::new()
    }
}

impl Guard {
    /// A guard with the system resolver and an empty allow-list.
    pub fn new() -> Guard {
        Guard {
            resolver: Arc::new(SystemResolver),
            allowed: Vec::new(),
        }
    }

    /// Looks names up through `resolver` instead.
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolve>) -> Guard {
        self.resolver = resolver;
        self
    }

    /// Allows the addresses of `net`, even forbidden ones.
    ///
    /// An IPv6 address carrying an IPv4 one is also allowed when the IPv4
    /// address is.
    pub fn allow(mut self, net: IpNet) -> Guard {
        self.allowed.push(net.trunc());
        self
    }

    /// Allows the loopback networks, 127.0.0.0/8 and ::1/128: for tests,
    /// and for a receiver on the same machine.
    pub fn allow_loopback(self) -> Guard {
        self.allow(v4(127, 0, 0, 0, 8))
            .allow(v6([0, 0, 0, 0, 0, 0, 0, 1], 128))
    }

    /// Whether the allow-list opens all of 127.0.0.0/8 and ::1.
    pub fn allows_loopback(&self) -> bool {
        let covered = |wanted: IpNet| self.allowed.iter().any(|net| net.contains(&wanted));
        covered(v4(127, 0, 0, 0, 8)) && covered(v6([0, 0, 0, 0, 0, 0, 0, 1], 128))
    }

    fn is_allowed(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// The verdict on `ip` after the allow-list: `None` when it may be used.
    fn vet(&self, ip: IpAddr) -> Option<Verdict> {
        if self.is_allowed(ip) {
            return None;
        }
        let verdict = classify(ip)?;
        match verdict.carried {
            Some((inner, _)) if self.is_allowed(IpAddr::V4(inner)) => None,
            _ => Some(verdict),
        }
    }

    /// Vets an address: allowed if the allow-list opens it, else refused
    /// if the forbidden table holds it.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        match self.vet(ip) {
            None => Ok(()),
            Some(verdict) => Err(Refusal::new(format!("{ip} is {}", verdict.describe()))),
        }
    }

    /// Parses and checks a URL without resolving it: the scheme must be
    /// `http` or `https`, there must be no user name or password, there
    /// must be a host, and a host that is an IP address must pass
    /// [`Guard::check_ip`].
    ///
    /// A host that is a name still has to be resolved through
    /// [`Guard::resolve`] or [`Guard::reqwest_resolver`].
    pub fn check_url(&self, url: &str) -> Result<Url, Refusal> {
        // The input is not echoed: it may carry credentials.
        let url = Url::parse(url)
            .map_err(|error| Refusal::new(format!("the URL is not valid: {error}")))?;
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(Refusal::new(format!(
                "the scheme `{scheme}` is not allowed: only http and https are"
            )));
        }
        let Some(host) = url.host() else {
            return Err(Refusal::new("the URL has no host".to_owned()));
        };
        let host_str = url.host_str().unwrap_or_default();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::new(format!(
                "the URL for `{host_str}` carries credentials (a user name or password)"
            )));
        }
        let ip = match host {
            Host::Domain(_) => None,
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        };
        if let Some(verdict) = ip.and_then(|ip| self.vet(ip)) {
            return Err(Refusal::new(format!(
                "the host `{host_str}` is {}",
                verdict.describe()
            )));
        }
        Ok(url)
    }

    /// Resolves `host` once and vets every address it resolves to.
    ///
    /// Refuses the name if any address is forbidden, if it resolves to no
    /// address, or if the lookup fails. A host that is an IP address
    /// (IPv6 with or without brackets) is vetted without a lookup.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refusal> {
        self.lookup(host, port).await.map_err(|error| match error {
            LookupError::Refused(refusal) => refusal,
            LookupError::Failed(error) => {
                Refusal::new(format!("`{host}` could not be resolved: {error}"))
            }
        })
    }

    async fn lookup(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, LookupError> {
        let literal = host
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return match self.vet(ip) {
                None => Ok(vec![SocketAddr::new(ip, port)]),
                Some(verdict) => Err(LookupError::Refused(Refusal::new(format!(
                    "the host `{host}` is {}",
                    verdict.describe()
                )))),
            };
        }
        let addrs = self
            .resolver
            .resolve(host, port)
            .await
            .map_err(LookupError::Failed)?;
        if addrs.is_empty() {
            return Err(LookupError::Refused(Refusal::new(format!(
                "`{host}` resolves to no address"
            ))));
        }
        for addr in &addrs {
            let ip = addr.ip();
            if let Some(verdict) = self.vet(ip) {
                let refusal =
                    Refusal::new(format!("`{host}` resolves to {ip}, {}", verdict.describe()));
                tracing::debug!(%refusal, "SSRF guard refused a host");
                return Err(LookupError::Refused(refusal));
            }
        }
        Ok(addrs)
    }

    /// An adapter for `reqwest::ClientBuilder::dns_resolver`: the client
    /// looks names up through [`Guard::resolve`]'s rules, once, and
    /// connects only to the addresses vetted in that same lookup.
    ///
    /// When the guard refuses a name, the error is a boxed [`Refusal`];
    /// [`find_refusal`] finds it in the client's error. A lookup that
    /// merely fails gives the resolver's own I/O error, so that it reads as
    /// the connection error it is (worth retrying), not as a refusal.
    ///
    /// reqwest does not consult the resolver for IP-literal hosts: vet the
    /// URL with [`Guard::check_url`] as well.
    pub fn reqwest_resolver(&self) -> Arc<GuardResolver> {
        Arc::new(GuardResolver {
            guard: self.clone(),
        })
    }
}

/// A [`reqwest::dns::Resolve`] that resolves through a [`Guard`]; made by
/// [`Guard::reqwest_resolver`].
#[derive(Debug, Clone)]
pub struct GuardResolver {
    guard: Guard,
}

impl reqwest::dns::Resolve for GuardResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            // Port 0: reqwest puts in the URL's port, or the scheme's.
            match guard.lookup(name.as_str(), 0).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(LookupError::Refused(refusal)) => Err(refusal.into()),
                Err(LookupError::Failed(error)) => Err(error.into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::{Read, Write};

    use super::*;

    /// A resolver that answers from a map and never touches the network.
    struct FakeResolver(HashMap<&'static str, Vec<IpAddr>>);

    impl FakeResolver {
        fn new(entries: &[(&'static str, &[&str])]) -> Arc<FakeResolver> {
            let map = entries
                .iter()
                .map(|&(name, addrs)| {
                    let addrs = addrs.iter().map(|a| a.parse().unwrap()).collect();
                    (name, addrs)
                })
                .collect();
            Arc::new(FakeResolver(map))
        }
    }

    impl Resolve for FakeResolver {
        fn resolve<'a>(
            &'a self,
            host: &'a str,
            port: u16,
        ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
            Box::pin(async move {
                match self.0.get(host) {
                    Some(addrs) => Ok(addrs.iter().map(|&ip| SocketAddr::new(ip, port)).collect()),
                    None => Err(io::Error::new(io::ErrorKind::NotFound, "no such name")),
                }
            })
        }
    }

    fn fake_names() -> Arc<FakeResolver> {
        FakeResolver::new(&[
            ("localhost", &["127.0.0.1", "::1"]),
            ("metadata.test", &["169.254.169.254"]),
            ("intranet.test", &["10.0.0.7"]),
            ("mixed.test", &["93.184.216.34", "192.168.1.10"]),
            ("mapped.test", &["::ffff:10.0.0.1"]),
            ("ula.test", &["fd12:3456::1"]),
            ("void.test", &[]),
            ("example.com", &["93.184.216.34", "2606:2800:220:1::248"]),
            ("public.test", &["1.1.1.1"]),
        ])
    }

    /// Checks a URL as the sender does: `check_url`, then a lookup of a
    /// host name.
    async fn outcome(guard: &Guard, url: &str) -> Result<(), String> {
        let url = guard.check_url(url).map_err(|r| r.reason().to_owned())?;
        if let Some(Host::Domain(name)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(80);
            guard
                .resolve(name, port)
                .await
                .map_err(|r| r.reason().to_owned())?;
        }
        Ok(())
    }

    #[tokio::test]
    async fn the_address_table() {
        let guard = Guard::new().with_resolver(fake_names());
        let refused: &[(&str, &str)] = &[
            // Schemes, credentials.
            ("ftp://example.com/", "the scheme `ftp` is not allowed: only http and https are"),
            ("file:///etc/passwd", "the scheme `file` is not allowed: only http and https are"),
            ("gopher://example.com/", "the scheme `gopher` is not allowed: only http and https are"),
            ("http://user:pass@example.com/", "the URL for `example.com` carries credentials (a user name or password)"),
            ("https://user@example.com/", "the URL for `example.com` carries credentials (a user name or password)"),
            ("not a url", "the URL is not valid: relative URL without a base"),
            // IPv4 literals, one row per class.
            ("http://127.0.0.1/", "the host `127.0.0.1` is a loopback address"),
            ("http://127.255.0.9:8080/x", "the host `127.255.0.9` is a loopback address"),
            ("http://10.0.0.1/", "the host `10.0.0.1` is a private address"),
            ("http://172.16.0.1/", "the host `172.16.0.1` is a private address"),
            ("http://172.31.255.254/", "the host `172.31.255.254` is a private address"),
            ("http://192.168.1.1/", "the host `192.168.1.1` is a private address"),
            ("http://169.254.169.254/latest/meta-data/", "the host `169.254.169.254` is the cloud metadata address"),
            ("http://169.254.1.2/", "the host `169.254.1.2` is a link-local address"),
            ("http://100.64.0.1/", "the host `100.64.0.1` is a shared (CGNAT) address"),
            ("http://100.127.255.255/", "the host `100.127.255.255` is a shared (CGNAT) address"),
            ("http://224.0.0.1/", "the host `224.0.0.1` is a multicast address"),
            ("http://239.255.255.250/", "the host `239.255.255.250` is a multicast address"),
            ("http://255.255.255.255/", "the host `255.255.255.255` is the broadcast address"),
            ("http://192.0.2.1/", "the host `192.0.2.1` is a documentation address"),
            ("http://198.51.100.7/", "the host `198.51.100.7` is a documentation address"),
            ("http://203.0.113.9/", "the host `203.0.113.9` is a documentation address"),
            ("http://0.0.0.0/", "the host `0.0.0.0` is an unspecified address"),
            ("http://0.1.2.3/", "the host `0.1.2.3` is an unspecified address"),
            ("http://198.18.0.1/", "the host `198.18.0.1` is a benchmarking address"),
            ("http://198.19.255.1/", "the host `198.19.255.1` is a benchmarking address"),
            ("http://240.0.0.1/", "the host `240.0.0.1` is a reserved address"),
            ("http://192.0.0.8/", "the host `192.0.0.8` is an IETF protocol assignment address"),
            // Other spellings of IPv4 addresses, normalised by the parser.
            ("http://2130706433/", "the host `127.0.0.1` is a loopback address"),
            ("http://0x7f.1/", "the host `127.0.0.1` is a loopback address"),
            ("http://0177.0.0.1/", "the host `127.0.0.1` is a loopback address"),
            ("http://127.1/", "the host `127.0.0.1` is a loopback address"),
            ("http://0xa9fea9fe/", "the host `169.254.169.254` is the cloud metadata address"),
            ("http://012.0.0.1/", "the host `10.0.0.1` is a private address"),
            ("http://0/", "the host `0.0.0.0` is an unspecified address"),
            // IPv6 literals.
            ("http://[::1]/", "the host `[::1]` is a loopback address"),
            ("http://[::1]:8080/", "the host `[::1]` is a loopback address"),
            ("http://[::]/", "the host `[::]` is an unspecified address"),
            ("http://[fe80::1]/", "the host `[fe80::1]` is a link-local address"),
            ("http://[fd00:ec2::254]/", "the host `[fd00:ec2::254]` is a unique-local address"),
            ("http://[fc00::1]/", "the host `[fc00::1]` is a unique-local address"),
            ("http://[fec0::1]/", "the host `[fec0::1]` is a site-local address"),
            ("http://[ff02::1]/", "the host `[ff02::1]` is a multicast address"),
            ("http://[2001:db8::1]/", "the host `[2001:db8::1]` is a documentation address"),
            // IPv6 forms carrying a forbidden IPv4 address.
            ("http://[::ffff:127.0.0.1]/", "the host `[::ffff:7f00:1]` is an IPv4-mapped form of 127.0.0.1, a loopback address"),
            ("http://[::ffff:169.254.169.254]/", "the host `[::ffff:a9fe:a9fe]` is an IPv4-mapped form of 169.254.169.254, the cloud metadata address"),
            ("http://[::127.0.0.1]/", "the host `[::7f00:1]` is an IPv4-compatible form of 127.0.0.1, a loopback address"),
            ("http://[::a00:1]/", "the host `[::a00:1]` is an IPv4-compatible form of 10.0.0.1, a private address"),
            ("http://[64:ff9b::a00:1]/", "the host `[64:ff9b::a00:1]` is a NAT64 form of 10.0.0.1, a private address"),
            ("http://[2002:c0a8:101::1]/", "the host `[2002:c0a8:101::1]` is a 6to4 form of 192.168.1.1, a private address"),
            ("http://[2002:7f00:1::]/", "the host `[2002:7f00:1::]` is a 6to4 form of 127.0.0.1, a loopback address"),
            // Names, through the fake resolver.
            ("http://localhost/", "`localhost` resolves to 127.0.0.1, a loopback address"),
            ("http://metadata.test/", "`metadata.test` resolves to 169.254.169.254, the cloud metadata address"),
            ("https://intranet.test:8443/", "`intranet.test` resolves to 10.0.0.7, a private address"),
            ("http://mixed.test/", "`mixed.test` resolves to 192.168.1.10, a private address"),
            ("http://mapped.test/", "`mapped.test` resolves to ::ffff:10.0.0.1, an IPv4-mapped form of 10.0.0.1, a private address"),
            ("http://ula.test/", "`ula.test` resolves to fd12:3456::1, a unique-local address"),
            ("http://void.test/", "`void.test` resolves to no address"),
            ("http://unknown.test/", "`unknown.test` could not be resolved: no such name"),
        ];
        assert!(refused.len() >= 30);
        for &(url, reason) in refused {
            assert_eq!(outcome(&guard, url).await, Err(reason.to_owned()), "{url}");
        }

        let allowed = [
            "http://93.184.216.34/",
            "https://1.1.1.1:8443/hook",
            "http://[2606:4700::1111]/",
            "http://[::ffff:93.184.216.34]/",
            "http://[64:ff9b::808:808]/",
            "http://[2002:5db8:d822::1]/",
            "http://172.32.0.1/",
            "http://100.128.0.1/",
            "https://example.com/callbacks",
            "http://public.test:8080/",
        ];
        for url in allowed {
            assert_eq!(outcome(&guard, url).await, Ok(()), "{url}");
        }
    }

    #[test]
    fn forbidden_kinds_of_single_addresses() {
        let table: &[(&str, Option<&str>)] = &[
            ("127.0.0.1", Some("a loopback address")),
            ("169.254.169.254", Some("the cloud metadata address")),
            ("169.254.169.253", Some("a link-local address")),
            ("255.255.255.255", Some("the broadcast address")),
            ("255.255.255.254", Some("a reserved address")),
            ("::ffff:192.168.0.1", Some("a private address")),
            ("::1", Some("a loopback address")),
            ("::", Some("an unspecified address")),
            ("8.8.8.8", None),
            ("2606:4700::1111", None),
            ("::ffff:8.8.8.8", None),
        ];
        for &(ip, kind) in table {
            assert_eq!(forbidden_kind(ip.parse().unwrap()), kind, "{ip}");
        }
    }

    #[test]
    fn check_ip_names_the_address() {
        let guard = Guard::new();
        let table: &[(&str, Result<(), &str>)] = &[
            ("127.0.0.1", Err("127.0.0.1 is a loopback address")),
            (
                "64:ff9b::7f00:1",
                Err("64:ff9b::7f00:1 is a NAT64 form of 127.0.0.1, a loopback address"),
            ),
            ("93.184.216.34", Ok(())),
        ];
        for &(ip, expected) in table {
            let got = guard.check_ip(ip.parse().unwrap());
            let got = got.as_ref().map_err(Refusal::reason).copied();
            assert_eq!(got, expected, "{ip}");
        }
    }

    #[test]
    fn the_allow_list_opens_only_its_networks() {
        let guard = Guard::new();
        assert!(!guard.allows_loopback());

        let loopback = Guard::new().allow_loopback();
        assert!(loopback.allows_loopback());
        let table: &[(&str, bool)] = &[
            ("127.0.0.1", true),
            ("127.3.2.1", true),
            ("::1", true),
            ("::ffff:127.0.0.1", true),
            ("10.0.0.1", false),
            ("169.254.169.254", false),
        ];
        for &(ip, ok) in table {
            assert_eq!(loopback.check_ip(ip.parse().unwrap()).is_ok(), ok, "{ip}");
        }
        assert_eq!(
            loopback
                .check_url("http://[::1]:8080/")
                .map(|u| u.to_string()),
            Ok("http://[::1]:8080/".to_owned())
        );
        assert_eq!(
            loopback
                .check_url("http://10.0.0.1/")
                .map_err(|r| r.to_string()),
            Err("the host `10.0.0.1` is a private address".to_owned())
        );

        let private = Guard::new().allow("10.1.0.0/16".parse().unwrap());
        assert!(!private.allows_loopback());
        let table: &[(&str, bool)] = &[
            ("10.1.2.3", true),
            ("10.1.255.255", true),
            ("64:ff9b::a01:203", true),
            ("10.2.0.1", false),
            ("10.0.255.255", false),
            ("127.0.0.1", false),
        ];
        for &(ip, ok) in table {
            assert_eq!(private.check_ip(ip.parse().unwrap()).is_ok(), ok, "{ip}");
        }
    }

    #[tokio::test]
    async fn resolve_vets_literals_without_a_lookup() {
        // An empty resolver: any lookup would fail.
        let guard = Guard::new().with_resolver(FakeResolver::new(&[]));
        assert_eq!(
            guard.resolve("93.184.216.34", 443).await,
            Ok(vec!["93.184.216.34:443".parse().unwrap()])
        );
        assert_eq!(
            guard.resolve("[::1]", 80).await.map_err(|r| r.to_string()),
            Err("the host `[::1]` is a loopback address".to_owned())
        );
        assert_eq!(
            guard
                .resolve("example.com", 80)
                .await
                .map_err(|r| r.to_string()),
            Err("`example.com` could not be resolved: no such name".to_owned())
        );
    }

    #[tokio::test]
    async fn the_reqwest_client_is_refused_a_forbidden_name() {
        let guard = Guard::new().with_resolver(FakeResolver::new(&[("evil.test", &["127.0.0.1"])]));
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(guard.reqwest_resolver())
            .build()
            .unwrap();
        let error = client.get("http://evil.test:9/").send().await.unwrap_err();
        assert_eq!(
            find_refusal(&error).map(Refusal::reason),
            Some("`evil.test` resolves to 127.0.0.1, a loopback address"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn the_reqwest_client_connects_to_the_vetted_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });

        let resolver = FakeResolver::new(&[("good.test", &["127.0.0.1"])]);
        let guard = Guard::new().allow_loopback().with_resolver(resolver);
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(guard.reqwest_resolver())
            .build()
            .unwrap();
        let response = client
            .get(format!("http://good.test:{}/hook", addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /hook HTTP/1.1\r\n"), "{request}");
    }

    #[test]
    fn refusals_are_found_in_source_chains() {
        #[derive(Debug)]
        struct Wrapper(Refusal);
        impl fmt::Display for Wrapper {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("sending failed")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refusal = Refusal::new("because".to_owned());
        assert_eq!(find_refusal(&Wrapper(refusal.clone())), Some(&refusal));
        assert_eq!(find_refusal(&io::Error::other("plain")), None);
    }
}
