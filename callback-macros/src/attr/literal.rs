//! The strings of the attributes, each read by its own grammar: a route's
//! path, a callback's URL template, a webhook's name.
//!
//! Errors point into the literal when the toolchain supports sub-spans and
//! otherwise quote the offending part, so the message alone says where.

use std::ops::Range;

use callback_expr::Template;
use proc_macro2::Span;
use syn::LitStr;

/// A route's path, `"/invoices/{id}"`, with the names of its `{…}`
/// parameters in order.
pub struct RoutePath {
    pub lit: LitStr,
    pub names: Vec<String>,
}

impl RoutePath {
    /// Checks an actix-web path pattern.
    pub fn parse(lit: LitStr) -> syn::Result<Self> {
        let text = lit.value();
        if !text.is_empty() && !text.starts_with('/') {
            return Err(syn::Error::new(
                lit.span(),
                format!("a route path starts with `/`: write \"/{text}\""),
            ));
        }
        let names = callback_expr::path_parameters(&text)
            .map_err(|e| syn::Error::new(subspan(&lit, e.span), e.message))?
            .into_iter()
            .map(|p| p.name)
            .collect();
        Ok(RoutePath { lit, names })
    }
}

/// A callback's URL template, `"{$request.query.callback_url}/invoices"`,
/// parsed.
pub struct UrlTemplate {
    pub lit: LitStr,
    pub template: Template,
}

impl UrlTemplate {
    /// Parses a callback URL template, reporting every malformed part.
    pub fn parse(lit: LitStr) -> syn::Result<Self> {
        let text = lit.value();
        if text.is_empty() {
            return Err(syn::Error::new(
                lit.span(),
                "a callback URL cannot be empty: write e.g. \"{$request.query.callback_url}\"",
            ));
        }
        match Template::parse_all(&text, true) {
            Ok(template) => Ok(UrlTemplate { lit, template }),
            Err(errors) => Err(errors
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
                    syn::Error::new(subspan(&lit, e.span), message)
                })
                .reduce(|mut all, e| {
                    all.combine(e);
                    all
                })
                .unwrap_or_else(|| syn::Error::new(lit.span(), "invalid callback URL"))),
        }
    }
}

/// A webhook's name, its key in the document's `webhooks`: `"newOrder"`.
/// Not a URL: a webhook is sent to each subscriber's own.
pub fn webhook_name(lit: LitStr) -> syn::Result<LitStr> {
    let text = lit.value();
    if text.trim().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "a webhook's name cannot be empty",
        ));
    }
    if text.starts_with('/') || text.contains("://") || text.contains('{') {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "a webhook's attribute gives its name, not a URL: write a name such as \"newOrder\" \
                 (the subscriber's URL is given when sending, to `send::webhook`), or declare {text:?} \
                 as a callback in a `#[callbacks]` group"
            ),
        ));
    }
    Ok(lit)
}

/// The span of `range` (byte offsets into the literal's value), or of the
/// whole literal when a sub-span cannot be made.
fn subspan(lit: &LitStr, range: Range<usize>) -> Span {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> LitStr {
        LitStr::new(s, Span::call_site())
    }

    #[test]
    fn path_names_and_regexes() {
        let path = RoutePath::parse(lit("/a/{id:\\d{2}}/{x}")).unwrap();
        assert_eq!(path.names, ["id", "x"]);
        assert!(RoutePath::parse(lit("")).unwrap().names.is_empty());
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
            let error = RoutePath::parse(lit(path)).err().expect(path);
            assert_eq!(error.to_string(), message, "{path}");
        }
    }

    #[test]
    fn template_errors_quote_the_part() {
        let error = UrlTemplate::parse(lit("{$request.body.id}")).err().unwrap();
        assert_eq!(
            error.to_string(),
            "invalid callback URL: a body reference is `body#` followed by a JSON pointer (at `.id`)\n  help: write `$request.body#/id`"
        );
    }

    #[test]
    fn every_template_error_is_reported() {
        let error = UrlTemplate::parse(lit("{$requset.body#/id}/{}"))
            .err()
            .unwrap();
        assert_eq!(error.into_iter().count(), 2);
    }

    #[test]
    fn webhook_names_are_not_urls() {
        assert!(webhook_name(lit("newOrder")).is_ok());
        assert!(webhook_name(lit("order.created")).is_ok());
        for url in [
            "",
            " ",
            "/orders",
            "https://a.example/x",
            "{$request.body#/url}",
        ] {
            assert!(webhook_name(lit(url)).is_err(), "{url:?}");
        }
    }
}
