//! Looking host names up: the [`Resolve`] interface the guard asks, the
//! DNS resolver it uses by default, and the short memory of failed lookups
//! that keeps a name that does not resolve from costing a full lookup per
//! delivery.
//!
//! [`DnsResolver`] (hickory-resolver, configured from `/etc/resolv.conf`
//! and `/etc/hosts`) keeps answers for their TTL and `NXDOMAIN` answers for
//! the TTL their zone gives. A lookup that gets no answer at all (no
//! server reachable, a timeout) is not an answer that any cache keeps, so
//! the guard remembers such failures itself, for [`FAILURE_MEMORY`]: the
//! deliveries to that name that come in the meantime fail at once, with
//! the same error, instead of each waiting for the resolver's timeout.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;

use super::BoxFuture;

/// How long a failed lookup is remembered: the lookups of the same name
/// in that time fail at once.
pub const FAILURE_MEMORY: Duration = Duration::from_secs(5);

/// How long one lookup may take, whatever the resolver's own settings.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// The most failed names remembered at once; beyond it, expired entries
/// are dropped, then the memory starts afresh.
const FAILURE_CAPACITY: usize = 4096;

/// Looks up host names. Injected in tests.
pub trait Resolve: Send + Sync + 'static {
    /// Looks up `host`, returning its addresses with `port` set.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>>;
}

/// The operating system's resolver (`getaddrinfo`, through
/// `tokio::net::lookup_host`): no cache of its own, and no TTLs.
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

/// A DNS stub resolver with a cache that honours each answer's TTL: the
/// guard's default.
///
/// It reads the system's configuration (`/etc/resolv.conf`, `/etc/hosts`)
/// on its first lookup, and asks for both IPv4 and IPv6 addresses, so the
/// guard vets every address a name has. Where the configuration cannot be
/// read, it looks names up through [`SystemResolver`] instead.
#[derive(Default)]
pub struct DnsResolver {
    resolver: OnceLock<Option<TokioResolver>>,
}

impl std::fmt::Debug for DnsResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsResolver").finish_non_exhaustive()
    }
}

impl DnsResolver {
    /// A resolver that reads the system's configuration when first used.
    pub fn new() -> DnsResolver {
        DnsResolver::default()
    }

    fn resolver(&self) -> Option<&TokioResolver> {
        self.resolver
            .get_or_init(|| {
                let built = TokioResolver::builder_tokio().and_then(|builder| builder.build());
                match built {
                    Ok(resolver) => Some(resolver),
                    Err(error) => {
                        tracing::warn!(%error, "reading the DNS configuration failed; names are looked up with getaddrinfo");
                        None
                    }
                }
            })
            .as_ref()
    }
}

impl Resolve for DnsResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move {
            let Some(resolver) = self.resolver() else {
                return SystemResolver.resolve(host, port).await;
            };
            let lookup = resolver.lookup_ip(host).await.map_err(|error| {
                let kind = if error.is_nx_domain() || error.is_no_records_found() {
                    io::ErrorKind::NotFound
                } else {
                    io::ErrorKind::Other
                };
                io::Error::new(kind, error.to_string())
            })?;
            Ok(lookup.iter().map(|ip| SocketAddr::new(ip, port)).collect())
        })
    }
}

/// Failed lookups, by host name, until they expire.
#[derive(Debug, Default)]
pub(super) struct FailureMemory {
    failed: Mutex<HashMap<String, (Instant, io::ErrorKind, String)>>,
}

impl FailureMemory {
    /// The remembered failure of `host`, if it has not expired.
    pub(super) fn recall(&self, host: &str) -> Option<io::Error> {
        let failed = self.failed.lock().ok()?;
        let (until, kind, message) = failed.get(host)?;
        (Instant::now() < *until).then(|| io::Error::new(*kind, message.clone()))
    }

    /// Remembers that looking `host` up failed with `error`.
    pub(super) fn remember(&self, host: &str, error: &io::Error) {
        let Ok(mut failed) = self.failed.lock() else {
            return;
        };
        let now = Instant::now();
        if failed.len() >= FAILURE_CAPACITY {
            failed.retain(|_, (until, _, _)| *until > now);
            if failed.len() >= FAILURE_CAPACITY {
                failed.clear();
            }
        }
        failed.insert(
            host.to_owned(),
            (now + FAILURE_MEMORY, error.kind(), error.to_string()),
        );
    }

    /// Forgets `host` (it resolved).
    pub(super) fn forget(&self, host: &str) {
        if let Ok(mut failed) = self.failed.lock() {
            if !failed.is_empty() {
                failed.remove(host);
            }
        }
    }
}
