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
//!    reserved, IETF protocol assignments, Teredo, discard-only, local-use
//!    NAT64 and the 6to4 relay anycast network. An IPv6 address that carries
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
//! Names are looked up by [`DnsResolver`] by default, which keeps each
//! answer for its TTL; a lookup that fails is remembered for
//! [`FAILURE_MEMORY`], and no lookup takes longer than [`LOOKUP_TIMEOUT`].
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
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use ipnet::IpNet;
use url::{Host, Url};

mod dns;
mod table;
#[cfg(test)]
mod tests;

pub use dns::{DnsResolver, Resolve, SystemResolver, FAILURE_MEMORY, LOOKUP_TIMEOUT};
pub use table::forbidden_kind;
use table::{classify, v4, v6, Verdict};

/// A boxed, sendable future, as [`Resolve`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// A name that could not be looked up (no answer, `NXDOMAIN`, a timeout):
/// the error [`Guard::reqwest_resolver`] gives the HTTP client, which
/// [`find_lookup_failure`] finds in the client's error. Unlike a
/// [`Refusal`], it is worth trying again later.
#[derive(Debug)]
pub struct LookupFailure {
    host: String,
    error: io::Error,
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` could not be resolved: {}", self.host, self.error)
    }
}

impl std::error::Error for LookupFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Walks an error's source chain and returns the [`LookupFailure`] inside,
/// if any.
pub fn find_lookup_failure<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a LookupFailure> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(failure) = error.downcast_ref::<LookupFailure>() {
            return Some(failure);
        }
        current = error.source();
    }
    None
}

/// Why [`Guard::vet_host`] turned a host down.
#[derive(Debug)]
pub enum HostError {
    /// An address of the host is forbidden, or it has none.
    Refused(Refusal),
    /// The lookup failed.
    Failed(LookupFailure),
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
    failures: Arc<dns::FailureMemory>,
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
    /// A guard with the [`DnsResolver`] and an empty allow-list.
    pub fn new() -> Guard {
        Guard {
            resolver: Arc::new(DnsResolver::new()),
            failures: Arc::default(),
            allowed: Vec::new(),
        }
    }

    /// Looks names up through `resolver` instead.
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolve>) -> Guard {
        self.resolver = resolver;
        self.failures = Arc::default();
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

    /// Looks `host` up and vets its addresses, telling a refusal (a
    /// forbidden address: never worth trying again) from a failed lookup
    /// (worth trying later). The sender does this before it signs a
    /// request, so that a refused delivery costs no signature; the HTTP
    /// client's own lookup then comes from the resolver's cache.
    ///
    /// # Errors
    ///
    /// The refusal, or the failed lookup.
    pub async fn vet_host(&self, host: &str, port: u16) -> Result<(), HostError> {
        match self.lookup(host, port).await {
            Ok(_) => Ok(()),
            Err(LookupError::Refused(refusal)) => Err(HostError::Refused(refusal)),
            Err(LookupError::Failed(error)) => Err(HostError::Failed(LookupFailure {
                host: host.to_owned(),
                error,
            })),
        }
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
            .look_up(host, port)
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

    /// Asks the resolver, at most for [`LOOKUP_TIMEOUT`], unless the same
    /// name failed less than [`FAILURE_MEMORY`] ago.
    async fn look_up(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        if let Some(error) = self.failures.recall(host) {
            return Err(error);
        }
        let result =
            match tokio::time::timeout(LOOKUP_TIMEOUT, self.resolver.resolve(host, port)).await {
                Ok(result) => result,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer within {} s", LOOKUP_TIMEOUT.as_secs()),
                )),
            };
        match &result {
            Ok(_) => self.failures.forget(host),
            Err(error) => self.failures.remember(host, error),
        }
        result
    }

    /// An adapter for `reqwest::ClientBuilder::dns_resolver`: the client
    /// looks names up through [`Guard::resolve`]'s rules, once, and
    /// connects only to the addresses vetted in that same lookup.
    ///
    /// When the guard refuses a name, the error is a boxed [`Refusal`];
    /// [`find_refusal`] finds it in the client's error. A lookup that
    /// merely fails gives a [`LookupFailure`] ([`find_lookup_failure`]),
    /// which reads as the connection error it is (worth retrying), not as a
    /// refusal.
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
                Err(LookupError::Failed(error)) => Err(Box::new(LookupFailure {
                    host: name.as_str().to_owned(),
                    error,
                })
                    as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}
