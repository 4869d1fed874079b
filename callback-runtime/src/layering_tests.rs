//! The crate's layers, checked on its sources: each module uses only the
//! layers before it (the order the crate documentation gives), and only
//! the adapter names actix-web.

use std::path::{Path, PathBuf};

/// The layers, bottom first.
const LAYERS: [&str; 6] = ["openapi", "describe", "assembly", "serve", "send", "actix"];

/// The Rust files of a layer: its directory and its `name.rs`, if any.
fn files(layer: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut pending = vec![src.join(layer)];
    let file = src.join(format!("{layer}.rs"));
    if file.is_file() {
        found.push(file);
    }
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable source directory").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found
}

/// The code lines of a file, with `//` comments (and so doc comments and
/// their examples) left out.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).expect("a readable source file");
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let code = match line.find("//") {
                Some(at) => &line[..at],
                None => line,
            };
            (!code.trim().is_empty()).then(|| (i + 1, code.to_owned()))
        })
        .collect()
}

#[test]
fn every_layer_uses_only_the_layers_before_it() {
    let mut problems = Vec::new();
    for (rank, layer) in LAYERS.iter().enumerate() {
        let files = files(layer);
        assert!(!files.is_empty(), "no sources found for layer `{layer}`");
        for path in files {
            for (line, code) in code_lines(&path) {
                let shown = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap_or(&path);
                for later in &LAYERS[rank + 1..] {
                    if code.contains(&format!("crate::{later}")) {
                        problems.push(format!(
                            "{}:{line}: `{layer}` uses `{later}`",
                            shown.display()
                        ));
                    }
                }
                // The root's re-exports come from every layer: a lower one
                // names its dependencies by their module.
                if code.contains("crate::") && rank + 1 < LAYERS.len() {
                    let after = code.split("crate::").skip(1);
                    for rest in after {
                        if rest.starts_with(|c: char| c.is_ascii_uppercase())
                            || rest.starts_with('{')
                        {
                            let name = if rest.starts_with('{') {
                                "{…}"
                            } else {
                                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                                    .next()
                                    .unwrap_or("")
                            };
                            problems.push(format!(
                                "{}:{line}: `{layer}` uses the crate root (`crate::{name}`): name the module",
                                shown.display(),
                            ));
                        }
                    }
                }
                if *layer != "actix" && (code.contains("actix_web") || code.contains("actix-web")) {
                    problems.push(format!(
                        "{}:{line}: `{layer}` names actix-web",
                        shown.display()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering problems:\n{}",
        problems.join("\n")
    );
}

/// The check above sees what it must: a line that uses a later layer, or
/// actix-web, is caught, and a comment is not code.
#[test]
fn the_layering_check_reads_code_not_comments() {
    let dir = std::env::temp_dir().join(format!("layering-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sample.rs");
    std::fs::write(
        &file,
        "use crate::actix::api; // crate::send\n/// [`x`](crate::send::X)\nfn f() {}\n",
    )
    .unwrap();
    let lines = code_lines(&file);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        lines,
        vec![
            (1, "use crate::actix::api; ".to_owned()),
            (3, "fn f() {}".to_owned())
        ]
    );
}
