//! The build sections: the generated crate's clean and incremental builds
//! against plain and utoipa, and the cold build of a one-endpoint app.

use std::fmt::Write as _;

use crate::measure::build_time::{Build, BuildTimes};
use crate::measure::cold_build::{self, ColdBuilds};
use crate::results::{BUILD_TARGET, BUILD_UTOIPA_BOUND, COLD_BUILD_BOUND};
use crate::stats;
use crate::workspace::ColdApp;

pub(super) fn build_section(w: &mut String, build: Option<&BuildTimes>) {
    let _ = writeln!(w, "### Build time\n");
    let Some(b) = build else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "{} operations, {} profile, {} rounds; seconds. Criteria: ours / plain ≤ \
         {BUILD_TARGET} and ours / utoipa {} in every row.\n\n\
         | Build | Ours (median) | Plain (median) | utoipa (median) | Ours / plain | utoipa / plain | Ours / utoipa | Ours (rounds) | Plain (rounds) | utoipa (rounds) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
        b.operations,
        b.profile,
        b.clean.ours.len(),
        BUILD_UTOIPA_BOUND.describe()
    );
    for kind in Build::ALL {
        let series = b.series(kind);
        let (o, p, u) = (
            stats::median(&series.ours),
            stats::median(&series.plain),
            stats::median(&series.utoipa),
        );
        let list = |xs: &Vec<f64>| {
            xs.iter()
                .map(|x| format!("{x:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            w,
            "| {} | {o:.2} | {p:.2} | {u:.2} | **{:.2}** | {:.2} | **{:.2}** | {} | {} | {} |",
            kind.name(),
            o / p,
            u / p,
            o / u,
            list(&series.ours),
            list(&series.plain),
            list(&series.utoipa)
        );
    }
    let _ = writeln!(w);
}

pub(super) fn cold_build_section(w: &mut String, cold: Option<&ColdBuilds>) {
    let _ = writeln!(w, "### Cold build\n");
    let Some(c) = cold else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "A one-endpoint app from an empty target folder, {} profile, {} cores, {} round(s); \
         seconds. Criterion: ours docs-only / utoipa {}.\n\n\
         | App | Serves | Median | Range | CPU-seconds (median) | Crates compiled | / utoipa (median) | / utoipa (rounds) | / utoipa, CPU-seconds |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
        c.profile,
        c.cores,
        c.rounds.len(),
        COLD_BUILD_BOUND.describe()
    );
    for &app in &c.apps {
        let seconds = c.seconds(app);
        if seconds.is_empty() {
            continue;
        }
        let (lo, hi) = stats::range(&seconds);
        let cpu = c.cpu_seconds(app);
        let over = c
            .ratio(app, ColdApp::Utoipa)
            .map_or_else(|| "–".to_owned(), |r| format!("**{r:.3}**"));
        let rounds = c.round_ratios(app, ColdApp::Utoipa);
        let cpu_over = c
            .cpu_ratio(app, ColdApp::Utoipa)
            .map_or_else(|| "–".to_owned(), |r| format!("{r:.3}"));
        let _ = writeln!(
            w,
            "| {} | {} | {:.1} | {lo:.1} – {hi:.1} | {} | {} | {over} | {} | {cpu_over} |",
            cold_build::label(app),
            cold_build::serves(app),
            stats::median(&seconds),
            if cpu.is_empty() {
                "?".to_owned()
            } else {
                format!("{:.0}", stats::median(&cpu))
            },
            c.crates(app)
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            if rounds.is_empty() {
                "–".to_owned()
            } else {
                rounds
                    .iter()
                    .map(|r| format!("{r:.3}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    let _ = writeln!(w, "\n| Round | Order |\n| ---: | --- |");
    for (i, round) in c.rounds.iter().enumerate() {
        let _ = writeln!(
            w,
            "| {} | {} |",
            i + 1,
            round
                .order
                .iter()
                .map(|app| cold_build::label(*app))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(w);
}
