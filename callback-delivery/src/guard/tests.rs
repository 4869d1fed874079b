//! The guard's tests: the address table, the allow-list, lookups and the
//! reqwest adapter.

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
