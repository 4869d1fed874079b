//! What rustc prints with `-Z time-passes` and `-Z macro-stats` (on
//! stderr, forwarded by cargo), and the token count of `-Z
//! unpretty=expanded` output.

/// `(pass, seconds)` of every `time:` line, in order.
pub fn time_passes(log: &str) -> Vec<(String, f64)> {
    log.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("time:")?;
            let seconds: f64 = rest.split(';').next()?.trim().parse().ok()?;
            let pass = rest.split_whitespace().last()?;
            Some((pass.to_owned(), seconds))
        })
        .collect()
}

/// The seconds of the first `time:` line of `pass`.
pub fn pass_seconds(passes: &[(String, f64)], pass: &str) -> Option<f64> {
    passes.iter().find(|(p, _)| p == pass).map(|(_, s)| *s)
}

/// A row of `-Z macro-stats`: one macro's uses and the size of what its
/// uses produced, pretty-printed.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroStat {
    pub name: String,
    pub uses: u64,
    pub lines: u64,
    pub bytes: u64,
}

/// The rows of every `-Z macro-stats` table in `log`.
pub fn macro_stats(log: &str) -> Vec<MacroStat> {
    log.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("macro-stats")?.trim();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.len() < 6 {
                return None;
            }
            let number = |field: &str| field.replace('_', "").parse::<f64>().ok();
            let numbers: Vec<f64> = fields[fields.len() - 5..]
                .iter()
                .map(|f| number(f))
                .collect::<Option<_>>()?;
            Some(MacroStat {
                name: fields[..fields.len() - 5].join(" "),
                uses: numbers[0] as u64,
                lines: numbers[1] as u64,
                bytes: numbers[3] as u64,
            })
        })
        .collect()
}

/// The tokens of Rust source as rustc's lexer splits it, with each
/// punctuation or delimiter character counted apart (as `proc_macro` sees
/// them: `::` is two): identifiers, keywords, lifetimes and literals count
/// one each; whitespace and comments none.
pub fn count_tokens(source: &str) -> usize {
    let chars: Vec<char> = source.chars().collect();
    let mut count = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        count += 1;
        // Raw strings: r"…", r#"…"#, br#"…"#.
        let raw_start = match (c, chars.get(i + 1)) {
            ('r', Some('"' | '#')) => Some(i + 1),
            ('b' | 'c', Some('r')) if matches!(chars.get(i + 2), Some('"' | '#')) => Some(i + 2),
            _ => None,
        };
        if let Some(mut j) = raw_start {
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                j += 1;
                loop {
                    match chars.get(j) {
                        None => break,
                        Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                            j += 1 + hashes;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                i = j;
                continue;
            }
            // `r#ident`: a raw identifier.
        }
        if c == '"' || ((c == 'b' || c == 'c') && chars.get(i + 1) == Some(&'"')) {
            let mut j = if c == '"' { i + 1 } else { i + 2 };
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            i = j + 1;
            continue;
        }
        if c == '\'' || (c == 'b' && chars.get(i + 1) == Some(&'\'')) {
            let j = if c == '\'' { i + 1 } else { i + 2 };
            // A char literal closes within a few characters; a lifetime
            // does not close.
            let close = if chars.get(j) == Some(&'\\') {
                (j + 2..chars.len().min(j + 12)).find(|&k| chars[k] == '\'')
            } else {
                (chars.get(j + 1) == Some(&'\'')).then_some(j + 1)
            };
            match close {
                Some(k) => i = k + 1,
                None => {
                    i = j;
                    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                        i += 1;
                    }
                }
            }
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            if c == 'r' && chars.get(i + 1) == Some(&'#') {
                i += 2;
            }
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_digit() {
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                let fraction = d == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit);
                if d.is_alphanumeric() || d == '_' || fraction {
                    i += 1;
                } else {
                    break;
                }
            }
            continue;
        }
        // One punctuation or delimiter character.
        i += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_passes_lines_are_read() {
        let log = "   Compiling ours v0.0.0 (/x)\n\
                   time:   0.012; rss:   34MB ->   36MB (   +1MB)\tparse_crate\n\
                   time:   1.121; rss:   41MB ->   53MB (  +13MB)\texpand_crate\n\
                   warning: unused\n\
                   time:   0.150; rss:   80MB ->   81MB (   +1MB)\tlink\n\
                   time:   9.000; rss:   80MB ->   81MB (   +1MB)\tlink\n";
        let passes = time_passes(log);
        assert_eq!(passes.len(), 4);
        assert_eq!(pass_seconds(&passes, "expand_crate"), Some(1.121));
        assert_eq!(pass_seconds(&passes, "link"), Some(0.15));
        assert_eq!(pass_seconds(&passes, "typeck"), None);
    }

    #[test]
    fn macro_stats_rows_are_read() {
        let log = "macro-stats ============================================\n\
                   macro-stats MACRO EXPANSION STATS: ours\n\
                   macro-stats Macro Name                         Uses      Lines  Avg Lines      Bytes  Avg Bytes\n\
                   macro-stats --------------------------------------------\n\
                   macro-stats #[derive(JsonSchema)]               400     12_345       30.9  1_234_567    3_086.4\n\
                   macro-stats #[callbacks]                        100      9_000       90.0    400_000    4_000.0\n\
                   macro-stats ============================================\n";
        let stats = macro_stats(log);
        assert_eq!(
            stats,
            vec![
                MacroStat {
                    name: "#[derive(JsonSchema)]".to_owned(),
                    uses: 400,
                    lines: 12_345,
                    bytes: 1_234_567,
                },
                MacroStat {
                    name: "#[callbacks]".to_owned(),
                    uses: 100,
                    lines: 9_000,
                    bytes: 400_000,
                },
            ]
        );
    }

    #[test]
    fn tokens_are_counted_as_the_lexer_splits_them() {
        // fn, main, (, ), {, let, x, :, &, 'a, str, =, "a \" b", ;, }
        assert_eq!(
            count_tokens("fn main() { let x: &'a str = \"a \\\" b\"; }"),
            15
        );
        // Comments and whitespace count nothing; `::` is two.
        assert_eq!(
            count_tokens("// note\n::core /* a /* nested */ b */ ::x"),
            6
        );
        // Raw strings, chars, byte strings, numbers, a raw identifier.
        assert_eq!(
            count_tokens(r###"r#"a "quoted" b"# 'c' '\n' b"x" 1.5e3 0x1F r#type"###),
            7
        );
        // A range is a number, two dots and a number.
        assert_eq!(count_tokens("0..10"), 4);
        assert_eq!(count_tokens("#[doc = \" A comment.\"]"), 6);
    }
}
