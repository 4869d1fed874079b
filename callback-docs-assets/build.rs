//! Takes the Swagger UI and ReDoc bundles from their npm packages, pinned by
//! version and integrity, and leaves them in OUT_DIR for `include_bytes!`.
//!
//! `npm pack` downloads a package's tarball only (no dependencies, no install
//! scripts). Set `CALLBACK_DOCS_TARBALLS` to a folder holding the two `.tgz`
//! files to build without a registry.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Package {
    name: &'static str,
    version: &'static str,
    integrity: &'static str,
    /// Files taken from the tarball, relative to its `package/` folder.
    files: &'static [&'static str],
}

const PACKAGES: &[Package] = &[
    Package {
        name: "swagger-ui-dist",
        version: "5.35.0",
        integrity: "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        files: &["swagger-ui-bundle.js", "swagger-ui.css"],
    },
    Package {
        name: "redoc",
        version: "2.5.4",
        integrity: "sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ==",
        files: &["bundles/redoc.standalone.js"],
    },
];

/// ReDoc's sidebar footer shows a logo fetched from Redocly's CDN; the docs
/// must work offline, so the image becomes an inline, empty SVG.
const REDOC_CDN_LOGO: &str = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const INLINE_EMPTY_SVG: &str =
    "data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CALLBACK_DOCS_TARBALLS");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let local = env::var_os("CALLBACK_DOCS_TARBALLS").map(PathBuf::from);
    for package in PACKAGES {
        let tarball = match &local {
            Some(dir) => dir.join(format!("{}-{}.tgz", package.name, package.version)),
            None => npm_pack(package, &out),
        };
        extract(package, &tarball, &out);
        let key = package.name.to_uppercase().replace('-', "_");
        println!("cargo:rustc-env={key}_VERSION={}", package.version);
    }
    let redoc = out.join("redoc.standalone.js");
    let text = fs::read_to_string(&redoc).expect("read the ReDoc bundle");
    assert!(
        text.contains(REDOC_CDN_LOGO),
        "the ReDoc bundle no longer loads its logo from {REDOC_CDN_LOGO}: check it for other CDN loads"
    );
    fs::write(&redoc, text.replace(REDOC_CDN_LOGO, INLINE_EMPTY_SVG))
        .expect("write the ReDoc bundle");
}

fn npm_pack(package: &Package, out: &Path) -> PathBuf {
    let tarball = out.join(format!("{}-{}.tgz", package.name, package.version));
    if tarball.exists() {
        return tarball;
    }
    let spec = format!("{}@{}", package.name, package.version);
    let output = Command::new("npm")
        .args(["pack", &spec, "--json", "--silent", "--pack-destination"])
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("running `npm pack {spec}` failed ({e}); install Node.js and npm, or set CALLBACK_DOCS_TARBALLS"));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "`npm pack {spec}` failed: {}{report}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains(package.integrity),
        "`npm pack {spec}` returned a tarball whose integrity is not the pinned {}: {report}",
        package.integrity
    );
    tarball
}

fn extract(package: &Package, tarball: &Path, out: &Path) {
    let staging = out.join(format!("{}-unpacked", package.name));
    fs::create_dir_all(&staging).expect("create the staging folder");
    let members: Vec<String> = package
        .files
        .iter()
        .map(|f| format!("package/{f}"))
        .collect();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(&staging)
        .args(&members)
        .status()
        .expect("run tar");
    assert!(
        status.success(),
        "could not extract {members:?} from {}",
        tarball.display()
    );
    for (file, member) in package.files.iter().zip(&members) {
        let name = Path::new(file).file_name().expect("a file name");
        fs::copy(staging.join(member), out.join(name)).expect("copy an asset into OUT_DIR");
    }
}
