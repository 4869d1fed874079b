//! `bench macro-profile`: where the build time of the generated
//! 100-operation crate goes, per macro (issue 17's first lever).
//!
//! For each crate of the build-time benchmark (ours, plain, utoipa) it
//! builds the dependencies, then builds the crate clean under rustc's own
//! profilers, which stable rustc 1.95 offers behind `RUSTC_BOOTSTRAP=1`,
//! set for that crate alone through a `RUSTC_WRAPPER` script (set for
//! cargo, it would rebuild every dependency whose build script reads it):
//!
//! - `-Z self-profile` with arguments: every proc-macro expansion with the
//!   macro's name and its time, summed per kind of macro;
//! - `-Z macro-stats`: each macro's uses and the lines and bytes of what it
//!   produced;
//! - `-Z time-passes`: the split of the compiler's time (expansion, name
//!   resolution, type-check, borrow-check, codegen, LLVM, link), for the
//!   clean build and for the benchmark's two incremental edits;
//! - `-Z unpretty=expanded`, of the crate and of the crate with each kind
//!   of macro left out: the tokens that kind adds, per operation.
//!
//! It prints the tables and writes them to
//! `target/bench-macro-profile/macro-profile.md`. A tool, not a CI step.

mod passes;
mod profdata;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::generate;
use crate::workspace::{Profile, Workspace};

/// The kinds of macro the tables split, and how a crate is written
/// without each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `#[post]` of ours, `#[actix_web::post]` of plain, actix-web's
    /// `#[post]` under utoipa.
    Route,
    /// Ours' `#[callbacks]`.
    Callbacks,
    /// `#[utoipa::path]`.
    UtoipaPath,
    /// schemars' `JsonSchema` derive.
    JsonSchema,
    /// utoipa's `ToSchema` and `IntoParams` derives.
    UtoipaSchema,
    /// serde's `Serialize` and `Deserialize` derives.
    Serde,
    /// Any other macro: `#[actix_web::main]`, and the `macro_rules!`
    /// macros the code and the expansions call (their uses come from
    /// `-Z macro-stats`; self-profile times proc macros only).
    Other,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Route => "route macros",
            Kind::Callbacks => "`#[callbacks]` (and the route's `callbacks = …`)",
            Kind::UtoipaPath => "`#[utoipa::path]`",
            Kind::JsonSchema => "`JsonSchema` derive (schemars)",
            Kind::UtoipaSchema => "`ToSchema`, `IntoParams` derives (utoipa)",
            Kind::Serde => "`Serialize`, `Deserialize` derives (serde)",
            Kind::Other => "other macros (`#[actix_web::main]`, `macro_rules!`)",
        }
    }

    /// The kind of a macro named as rustc names it: `derive macro
    /// \`Serialize\``, `attribute macro \`post\``, `#[derive(Serialize)]`,
    /// `#[post]`, `#[utoipa::path]`.
    fn of(name: &str) -> Kind {
        let bare = name
            .rsplit(['`', '[', '(', ':'])
            .find(|part| !part.trim_matches([']', ')', ' ']).is_empty())
            .unwrap_or(name)
            .trim_matches([']', ')', ' ']);
        match bare {
            "JsonSchema" => Kind::JsonSchema,
            "Serialize" | "Deserialize" => Kind::Serde,
            "ToSchema" | "IntoParams" => Kind::UtoipaSchema,
            "callbacks" => Kind::Callbacks,
            "path" => Kind::UtoipaPath,
            "get" | "post" | "put" | "patch" | "delete" | "head" | "options" | "trace" => {
                Kind::Route
            }
            _ => Kind::Other,
        }
    }
}

/// A crate of the build-time benchmark and the kinds of macro it uses.
struct Subject {
    package: &'static str,
    /// As rustc names the crate.
    crate_name: &'static str,
    label: &'static str,
    kinds: &'static [Kind],
}

const SUBJECTS: [Subject; 3] = [
    Subject {
        package: "ours",
        crate_name: "ours",
        label: "ours",
        kinds: &[Kind::Route, Kind::Callbacks, Kind::JsonSchema, Kind::Serde],
    },
    Subject {
        package: "plain",
        crate_name: "plain",
        label: "plain",
        kinds: &[Kind::Route, Kind::Serde],
    },
    Subject {
        package: "with-utoipa",
        crate_name: "with_utoipa",
        label: "utoipa",
        kinds: &[
            Kind::Route,
            Kind::UtoipaPath,
            Kind::UtoipaSchema,
            Kind::Serde,
        ],
    },
];

/// The compiler's passes the split shows, as `-Z time-passes` names them
/// (a row with several sums them). They overlap: LLVM runs on worker
/// threads while codegen goes on, and the total is the whole compilation.
const PASSES: [(&str, &[&str]); 11] = [
    ("expansion", &["expand_crate"]),
    ("name resolution", &["resolve_crate"]),
    ("type-check", &["type_check_crate"]),
    ("borrow-check", &["MIR_borrow_checking"]),
    ("lints and late checks", &["misc_checking_3"]),
    (
        "collecting what to codegen",
        &["monomorphization_collector_graph_walk"],
    ),
    ("codegen (MIR to LLVM IR)", &["codegen_crate"]),
    ("LLVM", &["LLVM_passes"]),
    (
        "saving the incremental state",
        &["serialize_dep_graph", "incr_comp_persist_result_cache"],
    ),
    ("link", &["link"]),
    ("total", &["total"]),
];

/// What one crate's profile found.
struct Profiled {
    label: &'static str,
    /// Per kind: expansion seconds (self-profile), uses, lines and bytes
    /// (macro-stats), tokens added (unpretty).
    kinds: Vec<KindRow>,
    /// Per build (clean, handler string, main.rs comment): the passes.
    builds: Vec<(&'static str, Vec<(String, f64)>)>,
    expanded_tokens: usize,
}

struct KindRow {
    kind: Kind,
    seconds: f64,
    invocations: usize,
    uses: u64,
    lines: u64,
    bytes: u64,
    tokens_added: Option<i64>,
}

pub fn run(project: &Path, args: &[String]) -> Result<(), String> {
    let mut operations = 100;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--operations" => {
                operations = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--operations takes a positive number")?;
            }
            other => return Err(format!("unknown option `{other}` of macro-profile")),
        }
    }
    let workspace = Workspace::write(project, operations, 1)?;
    let out_dir = project.join("target").join("bench-macro-profile");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let wrapper = write_wrapper(&out_dir)?;
    let mut profiled = Vec::new();
    for subject in &SUBJECTS {
        eprintln!("== {} ({operations} operations)", subject.label);
        profiled.push(profile(&workspace, subject, &wrapper, &out_dir)?);
    }
    let table = render(operations, &profiled);
    print!("{table}");
    let path = out_dir.join("macro-profile.md");
    std::fs::write(&path, &table).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("Wrote {}", path.display());
    Ok(())
}

/// A `RUSTC_WRAPPER` that sets `RUSTC_BOOTSTRAP=1` for the crate named in
/// `CALLBACKS_BENCH_PROFILED` only.
fn write_wrapper(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("rustc-wrapper.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\n\
         # Written by `bench macro-profile`: the nightly flags of rustc for the\n\
         # profiled crate alone, so that no dependency is rebuilt.\n\
         case \" $* \" in\n\
         *\" --crate-name $CALLBACKS_BENCH_PROFILED \"*) export RUSTC_BOOTSTRAP=1 ;;\n\
         esac\n\
         exec \"$@\"\n",
    )
    .map_err(|e| format!("writing {}: {e}", path.display()))?;
    let status = Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .map_err(|e| format!("chmod: {e}"))?;
    if !status.success() {
        return Err(format!("chmod +x {} failed", path.display()));
    }
    Ok(path)
}

fn profile(
    workspace: &Workspace,
    subject: &Subject,
    wrapper: &Path,
    out_dir: &Path,
) -> Result<Profiled, String> {
    eprintln!(
        "    cargo build -p {} (dependencies included)",
        subject.package
    );
    workspace.build(subject.package, Profile::Dev)?;
    let profile_dir = out_dir.join(subject.crate_name);
    let _ = std::fs::remove_dir_all(&profile_dir);
    std::fs::create_dir_all(&profile_dir)
        .map_err(|e| format!("creating {}: {e}", profile_dir.display()))?;
    let profile_flag = format!("-Zself-profile={}", profile_dir.display());
    let flags = [
        profile_flag.as_str(),
        "-Zself-profile-events=generic-activity,function-args",
        "-Ztime-passes",
        "-Zmacro-stats",
    ];
    workspace.clean(subject.package, Profile::Dev)?;
    eprintln!("    clean build under the profilers");
    let clean_log = rustc(workspace, subject, wrapper, &flags, None)?;
    let events = read_profile(&profile_dir)?;
    let stats = passes::macro_stats(&clean_log);
    let mut builds = vec![("clean", passes::time_passes(&clean_log))];
    let ops = workspace.ops_file(subject.package);
    let main = workspace.main_file(subject.package);
    let ops_source = read(&ops)?;
    let main_source = read(&main)?;
    eprintln!("    a string changed in one handler");
    write(
        &ops,
        &generate::edit(&ops_source, 1).ok_or("no edit marker")?,
    )?;
    let log = rustc(workspace, subject, wrapper, &flags[2..], None)?;
    builds.push(("a string changed in one handler", passes::time_passes(&log)));
    eprintln!("    a comment appended to main.rs");
    write(&main, &generate::append_comment(&main_source, 1))?;
    let log = rustc(workspace, subject, wrapper, &flags[2..], None)?;
    builds.push(("a comment appended to main.rs", passes::time_passes(&log)));
    write(&main, &main_source)?;

    eprintln!("    expanded tokens: the crate, then without each kind of macro");
    let expanded = |source: &str| -> Result<usize, String> {
        write(&ops, source)?;
        let text = rustc(
            workspace,
            subject,
            wrapper,
            &["-Zunpretty=expanded"],
            Some(&out_dir.join("expanded.rs")),
        )?;
        Ok(passes::count_tokens(&text))
    };
    let full = expanded(&ops_source);
    let mut without = Vec::new();
    if full.is_ok() {
        for &kind in subject.kinds {
            without.push((kind, expanded(&leave_out(&ops_source, kind))));
        }
    }
    write(&ops, &ops_source)?;
    let full = full?;

    let mut kinds = Vec::new();
    let mut all = subject.kinds.to_vec();
    all.push(Kind::Other);
    for kind in all {
        let expansions: Vec<&profdata::Event> = events
            .iter()
            .filter(|e| e.label == "expand_proc_macro")
            .filter(|e| e.arguments.first().is_some_and(|a| Kind::of(a) == kind))
            .collect();
        let mine: Vec<&passes::MacroStat> =
            stats.iter().filter(|s| Kind::of(&s.name) == kind).collect();
        let tokens_added = without
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, tokens)| tokens.as_ref().ok())
            .map(|&tokens| full as i64 - tokens as i64);
        kinds.push(KindRow {
            kind,
            seconds: expansions.iter().map(|e| e.nanos()).sum::<u64>() as f64 / 1e9,
            invocations: expansions.len(),
            uses: mine.iter().map(|s| s.uses).sum(),
            lines: mine.iter().map(|s| s.lines).sum(),
            bytes: mine.iter().map(|s| s.bytes).sum(),
            tokens_added,
        });
    }
    for (kind, tokens) in &without {
        if let Err(e) = tokens {
            eprintln!("    without {}: {e}", kind.name());
        }
    }
    Ok(Profiled {
        label: subject.label,
        kinds,
        builds,
        expanded_tokens: full,
    })
}

/// `cargo rustc -p CRATE --bin CRATE -- FLAGS` through the wrapper; its
/// stderr (where the profilers print) is returned, or its stdout when
/// `stdout` names a file to keep it in.
fn rustc(
    workspace: &Workspace,
    subject: &Subject,
    wrapper: &Path,
    flags: &[&str],
    stdout: Option<&Path>,
) -> Result<String, String> {
    let mut args = vec![
        "rustc",
        "-p",
        subject.package,
        "--bin",
        subject.package,
        "--",
    ];
    args.extend_from_slice(flags);
    let out = match stdout {
        Some(path) => Some(
            std::fs::File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let mut out = out;
    workspace.cargo_with(&args, Some(&workspace.target), &mut |command| {
        command
            .env("RUSTC_WRAPPER", wrapper)
            .env("CALLBACKS_BENCH_PROFILED", subject.crate_name);
        if let Some(file) = out.take() {
            command.stdout(file);
        }
    })?;
    read(
        stdout
            .map_or_else(|| workspace.log(), Path::to_path_buf)
            .as_path(),
    )
}

/// The events of the one profile in `dir`.
fn read_profile(dir: &Path) -> Result<Vec<profdata::Event>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = entries
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "mm_profdata"))
        .ok_or_else(|| format!("no .mm_profdata in {}", dir.display()))?;
    let bytes = std::fs::read(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    profdata::read(&bytes).map_err(|e| format!("{}: {e}", file.display()))
}

/// The generated `ops.rs` without the macros of `kind`: derives taken out
/// of their lists (a list left empty goes), attribute macros' lines
/// removed, `#[callbacks]` modules removed whole with the routes'
/// `callbacks = …` that name them (the route's expansion refers to the
/// group's items).
fn leave_out(source: &str, kind: Kind) -> String {
    let derives: &[&str] = match kind {
        Kind::JsonSchema => &["JsonSchema"],
        Kind::Serde => &["Serialize", "Deserialize"],
        Kind::UtoipaSchema => &["ToSchema", "IntoParams"],
        _ => &[],
    };
    let mut out = String::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(list) = line
            .strip_prefix("#[derive(")
            .and_then(|rest| rest.strip_suffix(")]"))
        {
            let kept: Vec<&str> = list
                .split(", ")
                .filter(|name| !derives.contains(name))
                .collect();
            if !kept.is_empty() {
                let _ = writeln!(out, "#[derive({})]", kept.join(", "));
            }
            continue;
        }
        let drop = match kind {
            Kind::Route => {
                line.starts_with("#[post(\"/items") || line.starts_with("#[actix_web::post(")
            }
            Kind::UtoipaSchema => line.starts_with("#[into_params("),
            Kind::UtoipaPath if line.starts_with("#[utoipa::path(") => {
                for next in lines.by_ref() {
                    if next == ")]" {
                        break;
                    }
                }
                true
            }
            Kind::Callbacks if line.starts_with("/// The requests operation") => {
                // The doc line, `#[callbacks]`, the module, up to its `}`.
                for next in lines.by_ref() {
                    if next == "}" {
                        break;
                    }
                }
                true
            }
            _ => false,
        };
        if drop {
            continue;
        }
        match line.find(", callbacks = ") {
            Some(at) if kind == Kind::Callbacks => {
                out.push_str(&line[..at]);
                out.push_str(")]\n");
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn render(operations: usize, profiled: &[Profiled]) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# Where the build time goes, per macro\n\n\
         The generated crates of the build-time benchmark, {operations} operations each, dev \
         profile, rustc's profilers (`-Z self-profile`, `-Z macro-stats`, `-Z time-passes`, \
         `-Z unpretty=expanded`) enabled with `RUSTC_BOOTSTRAP=1` on the crate alone. \
         Expansion: the time of the macro kind's proc-macro calls in the clean build (what \
         rustc's self-profile records as `expand_proc_macro`). Lines and bytes: what its uses \
         produced, pretty-printed (`-Z macro-stats`). Tokens added: the tokens of the \
         expanded crate (`-Z unpretty=expanded`; each punctuation character one token) minus \
         those of the crate written without that kind of macro; per operation, divided by \
         {operations}.\n"
    );
    for p in profiled {
        let _ = writeln!(
            w,
            "## {}\n\n{} tokens once expanded, {:.0} per operation.\n\n\
             | Macro | Calls | Expansion (s) | Expansion per operation (ms) | Lines per operation | Bytes per operation | Tokens added per operation |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            p.label,
            crate::format::thousands(p.expanded_tokens as f64),
            p.expanded_tokens as f64 / operations as f64
        );
        let per = |value: f64| value / operations as f64;
        for row in &p.kinds {
            let _ = writeln!(
                w,
                "| {} | {} | {:.3} | {:.2} | {:.1} | {:.0} | {} |",
                row.kind.name(),
                row.invocations.max(row.uses as usize),
                row.seconds,
                per(row.seconds * 1000.0),
                per(row.lines as f64),
                per(row.bytes as f64),
                row.tokens_added
                    .map_or_else(|| "–".to_owned(), |t| format!("{:.0}", per(t as f64)))
            );
        }
        let _ = writeln!(w);
        let _ = write!(w, "| Pass (s) |");
        for (build, _) in &p.builds {
            let _ = write!(w, " {build} |");
        }
        let _ = write!(w, "\n| --- |");
        for _ in &p.builds {
            let _ = write!(w, " ---: |");
        }
        let _ = writeln!(w);
        for (name, names) in PASSES {
            let _ = write!(w, "| {name} |");
            for (_, passes) in &p.builds {
                let seconds: Vec<f64> = names
                    .iter()
                    .filter_map(|pass| passes::pass_seconds(passes, pass))
                    .collect();
                match (!seconds.is_empty()).then(|| seconds.iter().sum::<f64>()) {
                    Some(s) => {
                        let _ = write!(w, " {s:.3} |");
                    }
                    None => {
                        let _ = write!(w, " – |");
                    }
                }
            }
            let _ = writeln!(w);
        }
        let _ = writeln!(w);
    }
    out
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{operations, Flavor};

    #[test]
    fn macros_are_sorted_into_kinds_by_their_names() {
        assert_eq!(Kind::of("derive macro `JsonSchema`"), Kind::JsonSchema);
        assert_eq!(Kind::of("#[derive(Serialize)]"), Kind::Serde);
        assert_eq!(Kind::of("derive macro `Deserialize`"), Kind::Serde);
        assert_eq!(Kind::of("attribute macro `post`"), Kind::Route);
        assert_eq!(Kind::of("#[actix_web::post]"), Kind::Route);
        assert_eq!(Kind::of("#[callbacks]"), Kind::Callbacks);
        assert_eq!(Kind::of("#[utoipa::path]"), Kind::UtoipaPath);
        assert_eq!(Kind::of("#[derive(IntoParams)]"), Kind::UtoipaSchema);
        assert_eq!(Kind::of("#[actix_web::main]"), Kind::Other);
        assert_eq!(Kind::of("println!"), Kind::Other);
    }

    #[test]
    fn each_kind_is_left_out_and_nothing_else() {
        let ours = operations(Flavor::Ours, 2);
        let no_schema = leave_out(&ours, Kind::JsonSchema);
        assert!(!no_schema.contains("JsonSchema)]") && !no_schema.contains("JsonSchema,"));
        assert!(no_schema.contains("#[derive(Serialize, Deserialize)]"));
        assert!(no_schema.contains("#[callbacks]"));
        let no_callbacks = leave_out(&ours, Kind::Callbacks);
        assert!(!no_callbacks.contains("#[callbacks]") && !no_callbacks.contains("fn notify"));
        assert!(!no_callbacks.contains("callbacks = "));
        assert!(no_callbacks.contains("#[post(\"/items1/\")]"));
        assert!(no_callbacks.contains("pub async fn create1("));
        let no_routes = leave_out(&ours, Kind::Route);
        assert!(!no_routes.contains("#[post(\"/items"));
        assert!(no_routes.contains("#[post(\"{$request.query.callback_url}/items1/"));

        let utoipa = operations(Flavor::Utoipa, 2);
        let no_path = leave_out(&utoipa, Kind::UtoipaPath);
        assert!(!no_path.contains("utoipa::path") && !no_path.contains("request_body"));
        assert!(no_path.contains("#[post(\"/items1/\")]"));
        let no_schema = leave_out(&utoipa, Kind::UtoipaSchema);
        assert!(!no_schema.contains("ToSchema)]") && !no_schema.contains("into_params"));
        assert!(no_schema.contains("#[derive(Deserialize)]"));
        let plain = operations(Flavor::Plain, 2);
        let no_serde = leave_out(&plain, Kind::Serde);
        assert!(!no_serde.contains("#[derive("));
        assert_eq!(
            leave_out(&plain, Kind::Route)
                .matches("actix_web::post")
                .count(),
            0
        );
    }

    #[test]
    fn the_report_has_a_row_per_kind_and_pass() {
        let profiled = Profiled {
            label: "ours",
            kinds: vec![KindRow {
                kind: Kind::Callbacks,
                seconds: 0.5,
                invocations: 100,
                uses: 100,
                lines: 9_000,
                bytes: 400_000,
                tokens_added: Some(120_000),
            }],
            builds: vec![
                (
                    "clean",
                    vec![
                        ("expand_crate".to_owned(), 2.0),
                        ("serialize_dep_graph".to_owned(), 0.25),
                        ("incr_comp_persist_result_cache".to_owned(), 0.5),
                    ],
                ),
                (
                    "a comment appended to main.rs",
                    vec![("total".to_owned(), 4.0)],
                ),
            ],
            expanded_tokens: 500_000,
        };
        let text = render(100, &[profiled]);
        assert!(text.contains(
            "(and the route's `callbacks = …`) | 100 | 0.500 | 5.00 | 90.0 | 4000 | 1200 |"
        ));
        assert!(text.contains("| expansion | 2.000 | – |"));
        assert!(text.contains("| saving the incremental state | 0.750 | – |"));
        assert!(text.contains("| total | – | 4.000 |"));
        assert!(text.contains("500,000 tokens once expanded, 5000 per operation."));
    }
}
