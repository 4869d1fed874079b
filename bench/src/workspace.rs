//! The generated workspace under `target/bench-build/`: the build-time
//! crates `ours`, `plain` and `with-utoipa`, the assembly benchmark (`assembly`,
//! `assembly-types` and `assembly-ops-K`), one `Cargo.lock` copied from the
//! project (the same dependency versions) and one target folder, so that
//! every crate shares its dependencies' builds.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::generate::{self, Flavor};

/// Dependencies as the project's workspace declares them, so that the
/// generated crates build against the same features.
const ACTIX_WEB: &str =
    r#"actix-web = { version = "4.9", default-features = false, features = ["macros"] }"#;
const SCHEMARS: &str = r#"schemars = { version = "1.0", features = ["url2"] }"#;
const SERDE: &str = r#"serde = { version = "1", features = ["derive"] }"#;
const SERDE_JSON: &str = r#"serde_json = "1""#;
const URL: &str = r#"url = { version = "2", features = ["serde"] }"#;
/// utoipa 5 with its actix-web integration, the peer users would pick.
const UTOIPA: &str = r#"utoipa = { version = "5", features = ["actix_extras", "url"] }"#;
const UTOIPA_ACTIX_WEB: &str = r#"utoipa-actix-web = "0.1""#;
/// From `target/bench-build/<crate>/` to the project's runtime crate.
const RUNTIME: &str = r#"callback-runtime = { path = "../../../callback-runtime" }"#;

/// The runtime crate with only the docs UIs in `features` (from a crate of a
/// generated workspace, two folders under `target/`).
fn runtime_with(features: &[&str]) -> String {
    let features: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    format!(
        r#"callback-runtime = {{ path = "../../../callback-runtime", default-features = false, features = [{}] }}"#,
        features.join(", ")
    )
}

/// A Cargo profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Release,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Dev => "dev",
            Profile::Release => "release",
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Profile::Dev => "debug",
            Profile::Release => "release",
        }
    }
}

pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
    cargo: PathBuf,
}

impl Workspace {
    /// Writes the workspace: `build_ops` operations in `ours` and `plain`,
    /// `assembly_ops` in `assembly`. Files whose content is unchanged are
    /// left alone, so that nothing is rebuilt needlessly.
    pub fn write(project: &Path, build_ops: usize, assembly_ops: usize) -> Result<Self, String> {
        let root = project.join("target").join("bench-build");
        let workspace = Workspace {
            target: root.join("target"),
            root,
            cargo: std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from),
        };
        let chunks = assembly_ops.div_ceil(generate::ASSEMBLY_CHUNK);
        let mut members = vec![
            "ours".to_owned(),
            "plain".to_owned(),
            "with-utoipa".to_owned(),
            "assembly".to_owned(),
            "assembly-types".to_owned(),
        ];
        members.extend((0..chunks).map(|k| format!("assembly-ops-{k}")));
        write_root(&workspace.root, project, &members)?;
        for (name, flavor) in [
            ("ours", Flavor::Ours),
            ("plain", Flavor::Plain),
            ("with-utoipa", Flavor::Utoipa),
        ] {
            let dependencies = match flavor {
                Flavor::Ours => vec![ACTIX_WEB, RUNTIME, SCHEMARS, SERDE, URL],
                Flavor::Plain => vec![ACTIX_WEB, SERDE, URL],
                Flavor::Utoipa => vec![ACTIX_WEB, SERDE, URL, UTOIPA, UTOIPA_ACTIX_WEB],
            };
            workspace.write_crate(
                name,
                &dependencies,
                &[
                    ("main.rs", generate::server_main(flavor, build_ops)),
                    ("ops.rs", generate::operations(flavor, build_ops)),
                ],
            )?;
        }
        workspace.write_crate(
            "assembly-types",
            &[SCHEMARS, SERDE, URL],
            &[("lib.rs", generate::assembly_types())],
        )?;
        let types = r#"assembly-types = { path = "../assembly-types" }"#.to_owned();
        let mut main_dependencies = vec![RUNTIME.to_owned(), SERDE_JSON.to_owned()];
        for k in 0..chunks {
            let start = k * generate::ASSEMBLY_CHUNK;
            let end = assembly_ops.min(start + generate::ASSEMBLY_CHUNK);
            let name = format!("assembly-ops-{k}");
            workspace.write_crate(
                &name,
                &[ACTIX_WEB, RUNTIME, SCHEMARS, SERDE, &types],
                &[("lib.rs", generate::assembly_chunk(start..end))],
            )?;
            main_dependencies.push(format!(r#"{name} = {{ path = "../{name}" }}"#));
        }
        let main_dependencies: Vec<&str> = main_dependencies.iter().map(String::as_str).collect();
        workspace.write_crate(
            "assembly",
            &main_dependencies,
            &[("main.rs", generate::assembly_main(chunks))],
        )?;
        Ok(workspace)
    }

    /// The binary-size workspace under `target/bench-sizes/`: one small app
    /// (the one-operation API of the build-time benchmark) per `(name,
    /// docs features)`, each depending on callback-runtime with only those
    /// features. Its own workspace, so that no member's features leak into
    /// another's build, and the target folder of `target/bench-build/`, so
    /// that the dependencies are built once for both.
    pub fn write_sizes(project: &Path, apps: &[(&str, &[&str])]) -> Result<Self, String> {
        let build = project.join("target").join("bench-build");
        let workspace = Workspace {
            root: project.join("target").join("bench-sizes"),
            target: build.join("target"),
            cargo: std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from),
        };
        let members: Vec<&str> = apps.iter().map(|(name, _)| *name).collect();
        write_root(&workspace.root, project, &members)?;
        for (name, features) in apps {
            let runtime = runtime_with(features);
            workspace.write_crate(
                name,
                &[ACTIX_WEB, &runtime, SCHEMARS, SERDE, URL],
                &[
                    ("main.rs", generate::server_main(Flavor::Ours, 1)),
                    ("ops.rs", generate::operations(Flavor::Ours, 1)),
                ],
            )?;
        }
        Ok(workspace)
    }

    fn write_crate(
        &self,
        name: &str,
        dependencies: &[&str],
        sources: &[(&str, String)],
    ) -> Result<(), String> {
        let dir = self.root.join(name);
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{}\n",
            dependencies.join("\n")
        );
        write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
        for (file, source) in sources {
            write_if_changed(&dir.join("src").join(file), source)?;
        }
        Ok(())
    }

    pub fn ops_file(&self, name: &str) -> PathBuf {
        self.root.join(name).join("src").join("ops.rs")
    }

    pub fn binary(&self, name: &str, profile: Profile) -> PathBuf {
        self.target.join(profile.folder()).join(name)
    }

    /// `cargo build -p NAME`, timed; its output is kept in a log file.
    pub fn build(&self, name: &str, profile: Profile) -> Result<Duration, String> {
        let mut args = vec!["build", "-p", name];
        if profile == Profile::Release {
            args.push("--release");
        }
        self.cargo(&args)
    }

    /// `cargo clean -p NAME` for `profile`.
    pub fn clean(&self, name: &str, profile: Profile) -> Result<(), String> {
        let mut args = vec!["clean", "-p", name];
        if profile == Profile::Release {
            args.push("--release");
        }
        self.cargo(&args).map(drop)
    }

    fn cargo(&self, args: &[&str]) -> Result<Duration, String> {
        let log = self.root.join("cargo.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let mut command = Command::new(&self.cargo);
        command
            .args(args)
            .arg("--manifest-path")
            .arg(self.root.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&self.target)
            .env("CARGO_TERM_COLOR", "never")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        let start = Instant::now();
        let status = command
            .status()
            .map_err(|e| format!("running cargo {}: {e}", args.join(" ")))?;
        let elapsed = start.elapsed();
        if !status.success() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "cargo {} failed ({status}):\n{}",
                args.join(" "),
                tail.join("\n")
            ));
        }
        Ok(elapsed)
    }
}

/// A generated workspace's root: its manifest listing `members`, and the
/// project's `Cargo.lock` (the same dependency versions), copied once.
fn write_root(root: &Path, project: &Path, members: &[impl AsRef<str>]) -> Result<(), String> {
    let members: Vec<String> = members
        .iter()
        .map(|name| format!("\"{}\"", name.as_ref()))
        .collect();
    write_if_changed(
        &root.join("Cargo.toml"),
        &format!(
            "# Generated by the bench crate on every run.\n\
             [workspace]\n\
             resolver = \"2\"\n\
             members = [{}]\n",
            members.join(", ")
        ),
    )?;
    let lock = root.join("Cargo.lock");
    if !lock.exists() {
        std::fs::copy(project.join("Cargo.lock"), &lock)
            .map_err(|e| format!("copying Cargo.lock: {e}"))?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, content: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(path, content).map_err(|e| format!("writing {}: {e}", path.display()))
}
