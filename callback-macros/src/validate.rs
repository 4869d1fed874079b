//! Checks on string literals: route paths and callback URL templates.
//!
//! Errors point into the literal when the toolchain supports sub-spans and
//! otherwise quote the offending part, so the message alone says where.

use std::ops::Range;

use callback_expr::Template;
use proc_macro2::Span;
use syn::LitStr;

/// The span of `range` (byte offsets into the literal's value), or of the
/// whole literal when a sub-span cannot be made.
pub fn subspan(lit: &LitStr, range: Range<usize>) -> Span {
    let token = lit.token();
    let source = token.to_string();
    // Offsets only map one-to-one for a plain literal without escapes.
    if source.len() == lit.value().len() + 2 && source.starts_with('"') {
        if let Some(span) = token.subspan(range.start + 1..range.end + 1) {
            return span;
        }
    }
    lit.span()
}

/// Parses a callback URL template, reporting every malformed part.
pub fn template(lit: &LitStr) -> syn::Result<Template> {
    let text = lit.value();
    Template::parse_all(&text, true).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                let part = &text[e.span.clone()];
                let part = if part.trim() == part && !part.is_empty() {
                    format!("`{part}`")
                } else {
                    format!("{part:?}")
                };
                let mut message = format!("invalid callback URL: {} (at {part})", e.message);
                if let Some(help) = &e.help {
                    message.push_str("\n  help: ");
                    message.push_str(help);
                }
                syn::Error::new(subspan(lit, e.span), message)
            })
            .reduce(|mut all, e| {
                all.combine(e);
                all
            })
            .expect("at least one error")
    })
}

/// Checks an actix-web path pattern and returns its `{name}`s in order.
pub fn route_path(lit: &LitStr) -> syn::Result<Vec<String>> {
    let text = lit.value();
    if !text.is_empty() && !text.starts_with('/') {
        return Err(syn::Error::new(
            lit.span(),
            format!("a route path starts with `/`: write \"/{text}\""),
        ));
    }
    callback_expr::path_parameters(&text)
        .map(|parameters| parameters.into_iter().map(|p| p.name).collect())
        .map_err(|e| syn::Error::new(subspan(lit, e.span), e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> LitStr {
        LitStr::new(s, Span::call_site())
    }

    #[test]
    fn path_names_and_regexes() {
        assert_eq!(route_path(&lit("/a/{id:\\d{2}}/{x}")).unwrap(), ["id", "x"]);
        assert_eq!(route_path(&lit("")).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn path_errors() {
        for (path, message) in [
            ("/a/{id", "unclosed `{` in the route path"),
            ("/a/}", "unmatched `}` in the route path"),
            (
                "/a/{}",
                "`{}`: a path parameter is a name of letters, digits and `_`",
            ),
            ("/{a}/{a}", "the path parameter `a` appears twice"),
            ("a", "a route path starts with `/`: write \"/a\""),
        ] {
            assert_eq!(
                route_path(&lit(path)).unwrap_err().to_string(),
                message,
                "{path}"
            );
        }
    }

    #[test]
    fn template_errors_quote_the_part() {
        let e = template(&lit("{$request.body.id}")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid callback URL: a body reference is `body#` followed by a JSON pointer (at `.id`)\n  help: write `$request.body#/id`"
        );
    }
}
