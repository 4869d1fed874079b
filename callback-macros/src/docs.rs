//! Summary and description from doc comments.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The doc comment of an item, split as OpenAPI wants it: the first
/// paragraph is the summary, the rest the description. Markdown is kept.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DocText {
    pub summary: Option<String>,
    pub description: Option<String>,
}

pub fn doc_text(attrs: &[Attribute]) -> DocText {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|s| s.split('\n').map(str::to_owned).collect::<Vec<_>>())
        .collect();
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
        return DocText::default();
    }
    let (first, rest) = match text.find("\n\n") {
        Some(i) => (&text[..i], text[i..].trim()),
        None => (text, ""),
    };
    DocText {
        summary: Some(
            first
                .split('\n')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        description: (!rest.is_empty()).then(|| rest.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_paragraph_is_the_summary() {
        let attrs: Vec<Attribute> = vec![
            syn::parse_quote!(#[doc = " Create an invoice."]),
            syn::parse_quote!(#[doc = ""]),
            syn::parse_quote!(#[doc = " This will (let's imagine) let the API user (some external developer) create an"]),
            syn::parse_quote!(#[doc = "     indented code"]),
        ];
        let doc = doc_text(&attrs);
        assert_eq!(doc.summary.as_deref(), Some("Create an invoice."));
        assert_eq!(
            doc.description.as_deref(),
            Some("This will (let's imagine) let the API user (some external developer) create an\n    indented code")
        );
    }

    #[test]
    fn no_docs() {
        assert_eq!(doc_text(&[]), DocText::default());
    }
}
