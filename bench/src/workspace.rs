//! The generated workspace under `target/bench-build/`: the build-time
//! crates `ours`, `plain` and `with-utoipa`, the assembly benchmark (`assembly`,
//! `assembly-types` and `assembly-ops-K`), one `Cargo.lock` copied from the
//! project (the same dependency versions) and one target folder, so that
//! every crate shares its dependencies' builds.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::generate::{self, Flavor};
use crate::machine::CpuSample;

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
/// Swagger UI for utoipa 5, its files from a crate (`vendored`), so that its
/// build script downloads nothing.
const UTOIPA_SWAGGER_UI: &str =
    r#"utoipa-swagger-ui = { version = "9", features = ["actix-web", "vendored"] }"#;
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
        write_root(&workspace.root, project, &members, false)?;
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
        write_root(&workspace.root, project, &members, false)?;
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

    /// The cold-build workspace under `target/bench-cold/`: one app of one
    /// operation per [`ColdApp`], each with a target folder of its own that
    /// the measurement empties before every build. The project's
    /// `Cargo.lock` is copied afresh, so the dependencies the apps share with
    /// the project have its versions; [`Workspace::fetch`] adds what only
    /// the utoipa app needs.
    pub fn write_cold(project: &Path, apps: &[ColdApp]) -> Result<Self, String> {
        let root = project.join("target").join("bench-cold");
        let workspace = Workspace {
            target: root.join("targets"),
            root,
            cargo: std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from),
        };
        let members: Vec<&str> = apps.iter().map(|app| app.crate_name()).collect();
        write_root(&workspace.root, project, &members, true)?;
        for app in apps {
            let runtime;
            let dependencies = match app {
                ColdApp::Plain => vec![ACTIX_WEB, SERDE, URL],
                ColdApp::Utoipa => vec![
                    ACTIX_WEB,
                    SERDE,
                    URL,
                    UTOIPA,
                    UTOIPA_ACTIX_WEB,
                    UTOIPA_SWAGGER_UI,
                ],
                ColdApp::DocsOnly => {
                    runtime = runtime_with(&["swagger-ui"]);
                    vec![ACTIX_WEB, &runtime, SCHEMARS, SERDE, URL]
                }
                ColdApp::Defaults => vec![ACTIX_WEB, RUNTIME, SCHEMARS, SERDE, URL],
            };
            workspace.write_crate(
                app.crate_name(),
                &dependencies,
                &[
                    ("main.rs", generate::cold_main(app.flavor())),
                    ("ops.rs", generate::operations(app.flavor(), 1)),
                ],
            )?;
        }
        Ok(workspace)
    }

    /// `cargo fetch`: every dependency of every member downloaded, and the
    /// lock file completed, before anything is timed.
    pub fn fetch(&self) -> Result<(), String> {
        self.cargo_with(&["fetch"], None, &mut |_| {}).map(drop)
    }

    /// `cargo build -p NAME --offline --locked` (dev profile) into `target`,
    /// which the caller has emptied: wall time, CPU time of cargo and
    /// everything it ran, and the crates compiled. No `RUSTC_WRAPPER`: a
    /// compiler cache would make the build warm.
    pub fn build_cold(&self, name: &str, target: &Path) -> Result<ColdBuild, String> {
        let start = CpuSample::now();
        let wall = self.cargo_with(
            &["build", "-p", name, "--offline", "--locked"],
            Some(target),
            &mut |command| {
                command
                    .env_remove("RUSTC_WRAPPER")
                    .env_remove("CARGO_BUILD_RUSTC_WRAPPER");
            },
        )?;
        let cpu_seconds = start
            .zip(CpuSample::now())
            .map(|(start, end)| end.own_cores_since(&start) * wall.as_secs_f64());
        let log = std::fs::read_to_string(self.log()).unwrap_or_default();
        Ok(ColdBuild {
            seconds: wall.as_secs_f64(),
            cpu_seconds,
            crates: compiled_crates(&log),
        })
    }

    /// The log of the last cargo command.
    pub fn log(&self) -> PathBuf {
        self.root.join("cargo.log")
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

    pub fn main_file(&self, name: &str) -> PathBuf {
        self.root.join(name).join("src").join("main.rs")
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
        self.cargo_with(args, Some(&self.target), &mut |_| {})
    }

    /// A cargo command of this workspace (into `target`, for a command that
    /// builds), timed; `adjust` sets what else it needs.
    pub fn cargo_with(
        &self,
        args: &[&str],
        target: Option<&Path>,
        adjust: &mut dyn FnMut(&mut Command),
    ) -> Result<Duration, String> {
        let log = self.log();
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        // Cargo's own options go before a `--` that passes the rest on.
        let (own, passed) =
            args.split_at(args.iter().position(|a| *a == "--").unwrap_or(args.len()));
        let mut command = Command::new(&self.cargo);
        command
            .args(own)
            .arg("--manifest-path")
            .arg(self.root.join("Cargo.toml"));
        if let Some(target) = target {
            command.arg("--target-dir").arg(target);
        }
        command
            .args(passed)
            .env("CARGO_TERM_COLOR", "never")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        adjust(&mut command);
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
/// project's `Cargo.lock` (the same dependency versions), copied once, or
/// every time when `fresh_lock`.
fn write_root(
    root: &Path,
    project: &Path,
    members: &[impl AsRef<str>],
    fresh_lock: bool,
) -> Result<(), String> {
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
    if fresh_lock || !lock.exists() {
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

/// An app of the cold-build benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ColdApp {
    /// Plain actix-web: the route, no document.
    Plain,
    /// utoipa 5, utoipa-actix-web and utoipa-swagger-ui.
    Utoipa,
    /// callback-runtime with `default-features = false, features =
    /// ["swagger-ui"]`.
    DocsOnly,
    /// callback-runtime with its default features.
    Defaults,
}

impl ColdApp {
    pub const ALL: [ColdApp; 4] = [
        ColdApp::Plain,
        ColdApp::Utoipa,
        ColdApp::DocsOnly,
        ColdApp::Defaults,
    ];

    pub fn crate_name(self) -> &'static str {
        match self {
            ColdApp::Plain => "cold-plain",
            ColdApp::Utoipa => "cold-utoipa",
            ColdApp::DocsOnly => "cold-docs-only",
            ColdApp::Defaults => "cold-defaults",
        }
    }

    pub fn flavor(self) -> Flavor {
        match self {
            ColdApp::Plain => Flavor::Plain,
            ColdApp::Utoipa => Flavor::Utoipa,
            ColdApp::DocsOnly | ColdApp::Defaults => Flavor::Ours,
        }
    }
}

/// One timed cold build.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColdBuild {
    pub seconds: f64,
    /// CPU-seconds of cargo and everything it ran, when `/proc` tells.
    pub cpu_seconds: Option<f64>,
    /// The `Compiling …` lines of cargo's log: every crate built, the app's
    /// own and build scripts' packages included.
    pub crates: usize,
}

/// How many crates cargo's log says it compiled.
fn compiled_crates(log: &str) -> usize {
    log.lines()
        .filter(|line| line.trim_start().starts_with("Compiling "))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_crates_are_counted_from_the_log() {
        let log = "    Updating crates.io index\n   Compiling libc v0.2.1\n   Compiling serde v1.0.0\n\
                   warning: unused\n   Compiling cold-plain v0.0.0 (/x)\n    Finished `dev` profile\n";
        assert_eq!(compiled_crates(log), 3);
    }
}
