//! Parsing the arguments of a route attribute:
//! `#[post("/invoices/", callbacks = invoice_callbacks, tags = ["invoices"])]`.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, LitBool, LitInt, LitStr, Path, Token, Type};

mod kw {
    syn::custom_keyword!(callbacks);
    syn::custom_keyword!(operation_id);
    syn::custom_keyword!(tags);
    syn::custom_keyword!(summary);
    syn::custom_keyword!(description);
    syn::custom_keyword!(deprecated);
    syn::custom_keyword!(hidden);
    syn::custom_keyword!(status);
    syn::custom_keyword!(responses);
    syn::custom_keyword!(name);
    syn::custom_keyword!(security);
    syn::custom_keyword!(body);
    syn::custom_keyword!(headers);
}

/// The parsed arguments of a route attribute.
pub struct RouteArgs {
    pub path: LitStr,
    pub callbacks: Vec<Path>,
    pub operation_id: Option<LitStr>,
    pub tags: Vec<LitStr>,
    pub summary: Option<LitStr>,
    pub description: Option<LitStr>,
    pub deprecated: bool,
    pub hidden: bool,
    pub status: Option<LitInt>,
    pub responses: Vec<ResponseArg>,
    pub name: Option<LitStr>,
    /// `security(…)`: `None` when not given, empty for `security()`.
    pub security: Option<Vec<SecurityArg>>,
    /// Each key given, with its span, in order.
    pub keys: Seen,
}

/// One entry of `responses(...)`: `404 => NotFound`, `204`, or the long
/// form `(status = 404, body = NotFound, description = "…", headers("X-Id" = "…"))`.
pub struct ResponseArg {
    pub status: LitInt,
    pub body: Option<Type>,
    pub description: Option<LitStr>,
    pub headers: Vec<(LitStr, Option<LitStr>)>,
}

/// One alternative of `security(…)`: `"bearer"` or `"oauth" = ["scope"]`.
pub struct SecurityArg {
    pub scheme: LitStr,
    pub scopes: Vec<LitStr>,
}

impl RouteArgs {
    /// The arguments of `#[post("path")]` with no keys.
    pub fn new(path: LitStr) -> Self {
        RouteArgs {
            path,
            callbacks: Vec::new(),
            operation_id: None,
            tags: Vec::new(),
            summary: None,
            description: None,
            deprecated: false,
            hidden: false,
            status: None,
            responses: Vec::new(),
            name: None,
            security: None,
            keys: Seen::default(),
        }
    }
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the route's path as a string literal, e.g. `#[post(\"/invoices/\")]`",
            )
        })?;
        let mut args = RouteArgs::new(path);
        let mut seen = Seen::default();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::callbacks) {
                let key: kw::callbacks = input.parse()?;
                seen.once("callbacks", key.span)?;
                input.parse::<Token![=]>()?;
                args.callbacks = if input.peek(syn::token::Bracket) {
                    let content;
                    bracketed!(content in input);
                    Punctuated::<Path, Token![,]>::parse_terminated(&content)?
                        .into_iter()
                        .collect()
                } else {
                    vec![input.parse()?]
                };
            } else if lookahead.peek(kw::operation_id) {
                let key: kw::operation_id = input.parse()?;
                seen.once("operation_id", key.span)?;
                args.operation_id = Some(value(input)?);
            } else if lookahead.peek(kw::tags) {
                let key: kw::tags = input.parse()?;
                seen.once("tags", key.span)?;
                input.parse::<Token![=]>()?;
                let content;
                bracketed!(content in input);
                args.tags = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
                    .into_iter()
                    .collect();
            } else if lookahead.peek(kw::summary) {
                let key: kw::summary = input.parse()?;
                seen.once("summary", key.span)?;
                args.summary = Some(value(input)?);
            } else if lookahead.peek(kw::description) {
                let key: kw::description = input.parse()?;
                seen.once("description", key.span)?;
                args.description = Some(value(input)?);
            } else if lookahead.peek(kw::deprecated) {
                let key: kw::deprecated = input.parse()?;
                seen.once("deprecated", key.span)?;
                args.deprecated = flag(input)?;
            } else if lookahead.peek(kw::hidden) {
                let key: kw::hidden = input.parse()?;
                seen.once("hidden", key.span)?;
                args.hidden = flag(input)?;
            } else if lookahead.peek(kw::status) {
                let key: kw::status = input.parse()?;
                seen.once("status", key.span)?;
                let status: LitInt = value(input)?;
                check_status(&status)?;
                args.status = Some(status);
            } else if lookahead.peek(kw::responses) {
                let key: kw::responses = input.parse()?;
                seen.once("responses", key.span)?;
                let content;
                parenthesized!(content in input);
                args.responses = Punctuated::<ResponseArg, Token![,]>::parse_terminated(&content)?
                    .into_iter()
                    .collect();
            } else if lookahead.peek(kw::security) {
                let key: kw::security = input.parse()?;
                seen.once("security", key.span)?;
                let content;
                parenthesized!(content in input);
                args.security = Some(
                    Punctuated::<SecurityArg, Token![,]>::parse_terminated(&content)?
                        .into_iter()
                        .collect(),
                );
            } else if lookahead.peek(kw::name) {
                let key: kw::name = input.parse()?;
                seen.once("name", key.span)?;
                args.name = Some(value(input)?);
            } else {
                return Err(lookahead.error());
            }
        }
        args.keys = seen;
        Ok(args)
    }
}

impl Parse for ResponseArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            return ResponseArg::parse_long(&content);
        }
        let status: LitInt = input.parse()?;
        check_status(&status)?;
        let body = if input.peek(Token![=>]) {
            input.parse::<Token![=>]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(ResponseArg {
            status,
            body,
            description: None,
            headers: Vec::new(),
        })
    }
}

impl ResponseArg {
    /// `status = 404, body = T, description = "…", headers("X-Id" = "…")`
    fn parse_long(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut status = None;
        let mut body = None;
        let mut description = None;
        let mut headers = Vec::new();
        let mut seen = Seen::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::status) {
                let key: kw::status = input.parse()?;
                seen.once("status", key.span)?;
                let value: LitInt = value(input)?;
                check_status(&value)?;
                status = Some(value);
            } else if lookahead.peek(kw::body) {
                let key: kw::body = input.parse()?;
                seen.once("body", key.span)?;
                body = Some(value(input)?);
            } else if lookahead.peek(kw::description) {
                let key: kw::description = input.parse()?;
                seen.once("description", key.span)?;
                description = Some(value(input)?);
            } else if lookahead.peek(kw::headers) {
                let key: kw::headers = input.parse()?;
                seen.once("headers", key.span)?;
                let content;
                parenthesized!(content in input);
                while !content.is_empty() {
                    let name: LitStr = content.parse().map_err(|e| {
                        syn::Error::new(
                            e.span(),
                            "expected a header name as a string, e.g. `headers(\"ETag\" = \"Version of the order\")`",
                        )
                    })?;
                    let text = if content.peek(Token![=]) {
                        Some(value(&content)?)
                    } else {
                        None
                    };
                    headers.push((name, text));
                    if !content.is_empty() {
                        content.parse::<Token![,]>()?;
                    }
                }
            } else {
                return Err(lookahead.error());
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let status = status
            .ok_or_else(|| syn::Error::new(input.span(), "a response needs its `status = …`"))?;
        Ok(ResponseArg {
            status,
            body,
            description,
            headers,
        })
    }
}

impl Parse for SecurityArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let scheme: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a security scheme's name as a string, e.g. `security(\"bearer\", \"oauth\" = [\"read\"])`",
            )
        })?;
        let scopes = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let content;
            bracketed!(content in input);
            Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        Ok(SecurityArg { scheme, scopes })
    }
}

fn check_status(status: &LitInt) -> syn::Result<()> {
    match status.base10_parse::<u16>() {
        Ok(100..=599) => Ok(()),
        _ => Err(syn::Error::new(
            status.span(),
            "expected an HTTP status code between 100 and 599",
        )),
    }
}

/// `= value`
fn value<T: Parse>(input: ParseStream<'_>) -> syn::Result<T> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// `key` alone or `key = true|false`.
fn flag(input: ParseStream<'_>) -> syn::Result<bool> {
    if input.peek(Token![=]) {
        Ok(value::<LitBool>(input)?.value)
    } else {
        Ok(true)
    }
}

/// The keys already given, to reject a repeated one at its second use.
#[derive(Default)]
pub struct Seen(Vec<(&'static str, proc_macro2::Span)>);

impl Seen {
    pub fn once(&mut self, key: &'static str, span: proc_macro2::Span) -> syn::Result<()> {
        if self.0.iter().any(|(k, _)| *k == key) {
            return Err(syn::Error::new(
                span,
                format!("duplicate `{key}`: each key may be given once"),
            ));
        }
        self.0.push((key, span));
        Ok(())
    }

    /// The span of `key`, if it was given.
    pub fn span_of(&self, key: &str) -> Option<proc_macro2::Span> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
    }
}
