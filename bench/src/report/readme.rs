//! The verdicts block of `README.md`'s Benchmarks section: the run line,
//! any failure and the verdicts table of `BENCHMARKS.md`'s generated block,
//! copied as they are, so the README shows the same rows (misses included)
//! and never figures of its own.

use super::{BEGIN, END};

pub const README_BEGIN: &str = "<!-- bench:verdicts:begin (written by the bench crate from \
                                BENCHMARKS.md; edit outside this block) -->";
pub const README_END: &str = "<!-- bench:verdicts:end -->";
const SECTION: &str = "## Benchmarks";
const TABLE_HEADER: &str = "| What | Target | Measured | Met |";

/// The README's block, from the text of `BENCHMARKS.md`; `None` when it
/// has no generated block with a verdicts table.
pub fn block(benchmarks: &str) -> Option<String> {
    let start = benchmarks.find(BEGIN)? + BEGIN.len();
    let end = start + benchmarks[start..].find(END)?;
    let generated = &benchmarks[start..end];
    let mut out = String::new();
    let run = generated
        .lines()
        .find(|line| line.starts_with("Measured with"))?;
    // The run's first sentence: command, date, commit, duration.
    let run = match run.find(" minutes.") {
        Some(at) => &run[..at + " minutes.".len()],
        None => run,
    };
    if generated.contains("**Smoke run**") {
        out.push_str("**Smoke run**: tiny numbers that say nothing about performance.\n\n");
    }
    let run = run.trim_end_matches('.');
    let run = run.replacen("Measured with", "measured with", 1);
    out.push_str(&format!(
        "The verdicts of the last run recorded in [BENCHMARKS.md](BENCHMARKS.md), misses \
         included ({run}); the method, the machine and every figure are there.\n\n"
    ));
    for failure in generated
        .lines()
        .filter(|line| line.starts_with("**Failed in this run**"))
    {
        out.push_str(failure);
        out.push_str("\n\n");
    }
    let table: Vec<&str> = generated
        .lines()
        .skip_while(|line| *line != TABLE_HEADER)
        .take_while(|line| line.starts_with('|'))
        .collect();
    if table.is_empty() {
        return None;
    }
    out.push_str(&table.join("\n"));
    out.push('\n');
    Some(out)
}

/// `readme` with its verdicts block replaced, or inserted under the
/// Benchmarks heading (at the end when there is none).
pub fn update(readme: &str, block: &str) -> String {
    let block = format!("{README_BEGIN}\n{}\n{README_END}", block.trim_end());
    if let (Some(start), Some(end)) = (readme.find(README_BEGIN), readme.find(README_END)) {
        return format!(
            "{}{block}{}",
            &readme[..start],
            &readme[end + README_END.len()..]
        );
    }
    match readme.find(&format!("\n{SECTION}\n")) {
        Some(at) => {
            let after = at + SECTION.len() + 2;
            format!(
                "{}\n{block}\n\n{}",
                &readme[..after],
                &readme[after..].trim_start_matches('\n')
            )
        }
        None => format!("{}\n\n{SECTION}\n\n{block}\n", readme.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BENCHMARKS: &str = "# Benchmarks\n\n\
        <!-- bench:framework:begin (written by the bench crate; edit outside this block) -->\n\
        ## Framework overhead\n\n\
        Measured with `cargo run --release -p bench -- all` on 2026-12-01, commit abc1234, in \
        80.5 minutes. Ratios compare this framework with plain actix-web.\n\n\
        **Failed in this run**: postgres: no database\n\n\
        | What | Target | Measured | Met |\n\
        | --- | --- | --- | --- |\n\
        | Request throughput, ours / plain actix-web | ≥ 0.97 | 0.872 | **no** |\n\
        | Cold build | ≤ 1 | 0.910 | yes |\n\
        \n![chart](bench/chart.svg)\n\n\
        ### Machine\n\n| | |\n| --- | --- |\n\
        <!-- bench:framework:end -->\n\n## Analysis\n\n| Not | a | verdict |\n";

    #[test]
    fn the_block_copies_the_run_the_failures_and_the_verdicts() {
        let block = block(BENCHMARKS).expect("a block");
        assert!(block.contains(
            "(measured with `cargo run --release -p bench -- all` on 2026-12-01, commit \
             abc1234, in 80.5 minutes)"
        ));
        assert!(block.contains("**Failed in this run**: postgres: no database\n"));
        assert!(block.ends_with(
            "| Request throughput, ours / plain actix-web | ≥ 0.97 | 0.872 | **no** |\n\
             | Cold build | ≤ 1 | 0.910 | yes |\n"
        ));
        assert!(!block.contains("Machine") && !block.contains("Not | a"));
        assert!(!block.contains("Smoke run"));
        assert_eq!(super::block("# Benchmarks\n\nno block\n"), None);
    }

    #[test]
    fn the_readme_block_is_inserted_once_then_replaced() {
        let readme =
            "# App\n\n## Benchmarks\n\n![chart](bench/chart.svg)\n\nText.\n\n## Workspace\n";
        let first = update(readme, "old rows\n");
        assert!(first.contains(&format!(
            "## Benchmarks\n\n{README_BEGIN}\nold rows\n{README_END}\n\n![chart]"
        )));
        let second = update(&first, "new rows");
        assert!(second.contains("new rows") && !second.contains("old rows"));
        assert_eq!(second.matches(README_BEGIN).count(), 1);
        assert!(second.ends_with("Text.\n\n## Workspace\n"));
        let without = update("# App\n", "rows");
        assert!(without.ends_with(&format!(
            "## Benchmarks\n\n{README_BEGIN}\nrows\n{README_END}\n"
        )));
    }
}
