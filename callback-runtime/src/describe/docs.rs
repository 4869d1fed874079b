//! Summary and description from a doc comment, split at start-up.
//!
//! The macros pass the doc comment as one string (`concat!` of every
//! `#[doc = …]`, so `include_str!` and other forms work too); the first
//! paragraph is the summary, the rest the description, Markdown kept.

/// `(summary, description)` of a doc comment, explicit values first.
pub(crate) fn summary_and_description(
    docs: &str,
    summary: Option<&str>,
    description: Option<&str>,
) -> (Option<String>, Option<String>) {
    let (doc_summary, doc_description) = split(docs);
    (
        summary.map(str::to_owned).or(doc_summary),
        description.map(str::to_owned).or(doc_description),
    )
}

fn split(docs: &str) -> (Option<String>, Option<String>) {
    let lines: Vec<&str> = docs.split('\n').collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let text: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                l[indent..].trim_end()
            }
        })
        .collect();
    let text = text.join("\n");
    let text = text.trim();
    if text.is_empty() {
        return (None, None);
    }
    let (first, rest) = match text.find("\n\n") {
        Some(i) => (&text[..i], text[i..].trim()),
        None => (text, ""),
    };
    let summary = first
        .split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    (Some(summary), (!rest.is_empty()).then(|| rest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_paragraph_is_the_summary() {
        let docs =
            " Create an invoice.\n\n The API user creates an\n invoice:\n\n     indented code";
        assert_eq!(
            split(docs),
            (
                Some("Create an invoice.".to_owned()),
                Some("The API user creates an\ninvoice:\n\n    indented code".to_owned())
            )
        );
    }

    #[test]
    fn multi_line_summary_is_joined() {
        assert_eq!(split(" One\n two"), (Some("One two".to_owned()), None));
    }

    #[test]
    fn explicit_values_win() {
        assert_eq!(
            summary_and_description(" Doc.\n\n More.", Some("S"), None),
            (Some("S".to_owned()), Some("More.".to_owned()))
        );
        assert_eq!(split("  \n "), (None, None));
    }
}
