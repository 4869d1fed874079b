//! The deliveries page: one HTML file with its style and script inline,
//! compiled into the binary, which calls the view's JSON routes by relative
//! URL. It loads nothing from anywhere else (no CDN, no build step), and
//! its `Content-Security-Policy` holds it to that.

use std::sync::{Arc, OnceLock};

use actix_web::{HttpRequest, HttpResponse, Responder};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{check_access, ViewError};
use crate::describe::validation::HttpValidationError;
use crate::describe::{ApiOutput, OperationBuilder};
use crate::get;

/// The page's source.
const HTML: &str = include_str!("page.html");

/// An HTML page served from the binary, with a `Content-Security-Policy`
/// that lets it run only its own inline `<script>` and `<style>` (by their
/// SHA-256 hashes) and connect only to the origin that served it.
#[derive(Debug, Clone)]
pub struct Page {
    html: &'static str,
    policy: Arc<str>,
}

impl Page {
    /// The page `html`, with the policy made for its inline `<script>` and
    /// `<style>` elements (the first of each).
    pub fn new(html: &'static str) -> Page {
        let hash = |tag: &str| {
            inline(html, tag).map_or_else(
                || "'none'".to_owned(),
                |text| {
                    let digest = Sha256::digest(text.as_bytes());
                    let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
                    format!("'sha256-{encoded}'")
                },
            )
        };
        let policy = format!(
            "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; \
             img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            hash("script"),
            hash("style"),
        );
        Page {
            html,
            policy: policy.into(),
        }
    }

    /// The HTML.
    pub fn html(&self) -> &'static str {
        self.html
    }

    /// The `Content-Security-Policy` it is served with.
    pub fn policy(&self) -> &str {
        &self.policy
    }
}

/// The text of the first `<tag>` element of `html`.
fn inline<'h>(html: &'h str, tag: &str) -> Option<&'h str> {
    let open = format!("<{tag}>");
    let start = html.find(&open)? + open.len();
    let end = start + html[start..].find(&format!("</{tag}>"))?;
    Some(&html[start..end])
}

impl Responder for Page {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("content-security-policy", &*self.policy))
            .body(self.html)
    }
}

impl ApiOutput for Page {
    fn describe(operation: &mut OperationBuilder<'_>, status: u16) {
        operation
            .content_response(
                status,
                "text/html",
                serde_json::json!({"type": "string"}),
                Some("The page"),
            )
            .response_header(
                status,
                "Content-Security-Policy",
                Some(
                    "Runs only the page's own script and style, and connects only to this \
                     server.",
                ),
            );
    }
}

/// The deliveries page.
///
/// Counts by state, the list with its filters, each delivery's attempt
/// log, and buttons to retry or cancel it: an HTML page served from the
/// binary, which calls this view's JSON routes and loads nothing from
/// anywhere else.
#[get(
    "/deliveries/ui",
    crate = "crate",
    tags = ["deliveries"],
    responses(403 => HttpValidationError)
)]
pub async fn deliveries_page(request: HttpRequest) -> Result<Page, ViewError> {
    static PAGE: OnceLock<Page> = OnceLock::new();
    check_access(&request)?;
    Ok(PAGE.get_or_init(|| Page::new(HTML)).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_hashes_of_the_inline_script_and_style() {
        let page = Page::new("<style>a{}</style><p>x</p><script>go()</script>");
        // `printf 'go()' | openssl dgst -sha256 -binary | base64`, and the same of `a{}`.
        assert!(page
            .policy()
            .contains("script-src 'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='"));
        assert!(page
            .policy()
            .contains("style-src 'sha256-X1RutGBrXCt9KkSaXMK7tHftWiRscFHOhxsS8tv8hBk='"));
        let bare = Page::new("<p>no script</p>");
        assert!(bare
            .policy()
            .contains("script-src 'none'; style-src 'none'"));
        let served = Page::new(HTML);
        assert!(inline(HTML, "script").is_some_and(|s| s.contains("fetch(")));
        assert!(
            !served.policy().contains("'none'; style-src"),
            "{}",
            served.policy()
        );
    }
}
