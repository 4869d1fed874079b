//! The vendored files are the ones `update.sh` recorded, the embedded assets
//! are those files, and no bundle names an outside host nobody has reviewed.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn vendor() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor")
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `(path under vendor/, SHA-256)` from `vendor/SHA256SUMS`.
fn recorded() -> Vec<(String, String)> {
    let sums = fs::read_to_string(vendor().join("SHA256SUMS")).expect("vendor/SHA256SUMS");
    sums.lines()
        .map(|line| {
            let (hash, path) = line.split_once("  ").expect("`<sha256>  <path>` lines");
            (path.to_owned(), hash.to_owned())
        })
        .collect()
}

fn files_under(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
    for entry in fs::read_dir(dir).expect("read vendor/") {
        let entry = entry.expect("a folder entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("a file type").is_dir() {
            files_under(&entry.path(), &format!("{name}/"), out);
        } else {
            out.insert(name);
        }
    }
}

#[test]
fn vendored_files_match_the_recorded_hashes() {
    let recorded = recorded();
    assert!(recorded.len() >= 10, "{recorded:?}");
    for (path, hash) in &recorded {
        let bytes = fs::read(vendor().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            &hex(&bytes),
            hash,
            "vendor/{path} differs from vendor/SHA256SUMS"
        );
    }
    let mut on_disk = BTreeSet::new();
    files_under(&vendor(), "", &mut on_disk);
    on_disk.remove("SHA256SUMS");
    let listed: BTreeSet<String> = recorded.into_iter().map(|(path, _)| path).collect();
    assert_eq!(
        on_disk, listed,
        "every vendored file is recorded, and only those"
    );
}

/// The `VERSION` constants are the pinned versions.
#[test]
fn versions_are_the_pinned_ones() {
    let pins = fs::read_to_string(vendor().join("PINS")).expect("vendor/PINS");
    let pinned = |folder: &str| {
        pins.lines()
            .map(|line| line.split(' ').collect::<Vec<_>>())
            .find(|fields| fields[0] == folder)
            .map(|fields| fields[2].to_owned())
            .unwrap_or_else(|| panic!("{folder} is not in vendor/PINS"))
    };
    assert_eq!(pins.lines().count(), 3, "{pins}");
    #[cfg(feature = "swagger-ui")]
    assert_eq!(
        callback_docs_assets::swagger_ui::VERSION,
        pinned("swagger-ui")
    );
    #[cfg(feature = "redoc")]
    assert_eq!(callback_docs_assets::redoc::VERSION, pinned("redoc"));
    #[cfg(feature = "scalar")]
    assert_eq!(callback_docs_assets::scalar::VERSION, pinned("scalar"));
    let _ = pinned;
}

/// Every embedded asset is a recorded file of its UI's folder, under its
/// file name, and a bundle whose banner names a license file ships it.
#[allow(unused_variables, unused_mut)]
#[test]
fn embedded_assets_are_the_recorded_files() {
    let recorded = recorded();
    let mut uis: Vec<(&str, &[callback_docs_assets::Asset])> = Vec::new();
    #[cfg(feature = "swagger-ui")]
    uis.push(("swagger-ui", callback_docs_assets::swagger_ui::ASSETS));
    #[cfg(feature = "redoc")]
    uis.push(("redoc", callback_docs_assets::redoc::ASSETS));
    #[cfg(feature = "scalar")]
    uis.push(("scalar", callback_docs_assets::scalar::ASSETS));
    for (folder, assets) in uis {
        let mut names = BTreeSet::new();
        for asset in assets {
            let path = format!("{folder}/{}", asset.name);
            let (_, hash) = recorded
                .iter()
                .find(|(p, _)| *p == path)
                .unwrap_or_else(|| panic!("{path} is not in vendor/SHA256SUMS"));
            assert_eq!(&hex(asset.bytes), hash, "{path}");
            assert!(asset.content_type.ends_with("; charset=utf-8"), "{path}");
            names.insert(asset.name);
        }
        let prefix = format!("{folder}/");
        let in_folder: BTreeSet<&str> = recorded
            .iter()
            .filter_map(|(path, _)| path.strip_prefix(&prefix))
            .collect();
        assert_eq!(names, in_folder, "every file of vendor/{folder} is served");
        for asset in assets.iter().filter(|a| a.name.ends_with(".js")) {
            let first_line = asset
                .bytes
                .split(|b| *b == b'\n')
                .next()
                .unwrap_or_default();
            let first_line = String::from_utf8_lossy(first_line);
            if let Some(rest) = first_line.strip_prefix("/*! For license information please see ") {
                let named = rest.trim_end_matches(" */");
                assert!(names.contains(named), "{folder}: the banner names {named}");
            } else {
                assert!(
                    !first_line.contains("LICENSE"),
                    "{folder}: {first_line:.200}"
                );
            }
        }
    }
}

/// The hosts of the `http://` and `https://` URLs a text names.
fn hosts(text: &[u8]) -> BTreeSet<String> {
    let mut hosts = BTreeSet::new();
    for scheme in [&b"http://"[..], &b"https://"[..]] {
        let mut at = 0;
        while let Some(i) = text[at..]
            .windows(scheme.len())
            .position(|w| w.eq_ignore_ascii_case(scheme))
        {
            let start = at + i + scheme.len();
            let end = text[start..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-'))
                .map_or(text.len(), |n| start + n);
            if end > start {
                hosts.insert(String::from_utf8_lossy(&text[start..end]).to_ascii_lowercase());
            }
            at = end.max(start);
        }
    }
    hosts
}

/// The reviewed list of `tests/hosts/<file>.txt`: one host a line, `#` comments.
fn reviewed(file: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hosts")
        .join(file);
    fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A bundle update that names a new outside host fails here until someone
/// has checked the page never loads from it and added it to the list.
#[test]
fn bundles_name_only_reviewed_outside_hosts() {
    for (bundle, list) in [
        (
            "swagger-ui/swagger-ui-bundle.js",
            "swagger-ui-bundle.js.txt",
        ),
        ("swagger-ui/swagger-ui.css", "swagger-ui.css.txt"),
        ("redoc/redoc.standalone.js", "redoc.standalone.js.txt"),
        ("scalar/standalone.js", "scalar-standalone.js.txt"),
    ] {
        let bytes = fs::read(vendor().join(bundle)).expect("a vendored bundle");
        let found = hosts(&bytes);
        let reviewed = reviewed(list);
        let new: Vec<_> = found.difference(&reviewed).collect();
        let gone: Vec<_> = reviewed.difference(&found).collect();
        assert!(
            new.is_empty() && gone.is_empty(),
            "{bundle}: hosts not reviewed in tests/hosts/{list}: {new:?}; listed but gone: {gone:?}"
        );
    }
}

#[test]
fn the_redoc_bundle_loads_no_logo_from_the_cdn() {
    let bytes = fs::read(vendor().join("redoc/redoc.standalone.js")).expect("the ReDoc bundle");
    assert!(!hosts(&bytes).contains("cdn.redoc.ly"));
}
