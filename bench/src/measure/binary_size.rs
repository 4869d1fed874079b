//! Release binary size of a small app against the docs UIs it embeds: the
//! one-operation API of the build-time benchmark, built with callback-runtime
//! and each set of its docs features (`swagger-ui`, `redoc`, `scalar`).

use std::path::Path;

use serde::Serialize;

use crate::workspace::{Profile, Workspace};

/// A set of docs features, named as its app crate is.
#[derive(Debug, Clone, Copy)]
pub struct FeatureSet {
    pub name: &'static str,
    pub features: &'static [&'static str],
}

/// No docs UI, each one alone, and all three (the default).
pub const ALL_SETS: [FeatureSet; 5] = [
    FeatureSet {
        name: "none",
        features: &[],
    },
    FeatureSet {
        name: "swagger-ui",
        features: &["swagger-ui"],
    },
    FeatureSet {
        name: "redoc",
        features: &["redoc"],
    },
    FeatureSet {
        name: "scalar",
        features: &["scalar"],
    },
    FeatureSet {
        name: "all",
        features: &["swagger-ui", "redoc", "scalar"],
    },
];

#[derive(Debug, Clone, Serialize)]
pub struct Size {
    pub set: &'static str,
    pub features: &'static [&'static str],
    /// The binary's size on disk.
    pub binary: u64,
    /// The vendored files of those UIs (`callback-docs-assets/vendor/<ui>/`),
    /// all of which the binary embeds.
    pub embedded: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    pub profile: &'static str,
    pub sizes: Vec<Size>,
}

impl Sizes {
    /// The binary size of the set without docs UIs, when it was measured.
    pub fn baseline(&self) -> Option<u64> {
        self.sizes
            .iter()
            .find(|s| s.set == "none")
            .map(|s| s.binary)
    }
}

pub fn measure(project: &Path, sets: &[FeatureSet], profile: Profile) -> Result<Sizes, String> {
    let apps: Vec<(String, &[&str])> = sets
        .iter()
        .map(|set| (crate_name(set), set.features))
        .collect();
    let apps: Vec<(&str, &[&str])> = apps.iter().map(|(n, f)| (n.as_str(), *f)).collect();
    let workspace = Workspace::write_sizes(project, &apps)?;
    let mut sizes = Vec::new();
    for set in sets {
        let name = crate_name(set);
        eprintln!(
            "    cargo build -p {name}{}",
            if profile == Profile::Release {
                " --release"
            } else {
                ""
            }
        );
        workspace.build(&name, profile)?;
        let binary = workspace.binary(&name, profile);
        let bytes = std::fs::metadata(&binary)
            .map_err(|e| format!("{}: {e}", binary.display()))?
            .len();
        let mut embedded = 0;
        for ui in set.features {
            embedded += folder_bytes(&project.join("callback-docs-assets/vendor").join(ui))?;
        }
        eprintln!("    {:<10} {bytes:>12} bytes", set.name);
        sizes.push(Size {
            set: set.name,
            features: set.features,
            binary: bytes,
            embedded,
        });
    }
    Ok(Sizes {
        profile: profile.name(),
        sizes,
    })
}

fn crate_name(set: &FeatureSet) -> String {
    format!("size-{}", set.name)
}

fn folder_bytes(dir: &Path) -> Result<u64, String> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        total += entry
            .metadata()
            .map_err(|e| format!("{}: {e}", entry.path().display()))?
            .len();
    }
    Ok(total)
}
