//! Parsing the arguments of a route attribute:
//! `#[post("/invoices/", callbacks = invoice_callbacks, tags = ["invoices"])]`.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, Ident, LitBool, LitInt, LitStr, Path, Token, Type};

/// Parses the value of one key (from just after the key) into `T`.
type Setter<T> = fn(&mut T, ParseStream<'_>) -> syn::Result<()>;

/// The keys of a route attribute, in the order the "expected one of" list
/// gives them.
const ROUTE_KEYS: &[(&str, Setter<RouteArgs>)] = &[
    ("callbacks", |args, input| {
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
        Ok(())
    }),
    ("operation_id", |args, input| {
        args.operation_id = Some(value(input)?);
        Ok(())
    }),
    ("tags", |args, input| {
        input.parse::<Token![=]>()?;
        let content;
        bracketed!(content in input);
        args.tags = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
            .into_iter()
            .collect();
        Ok(())
    }),
    ("summary", |args, input| {
        args.summary = Some(value(input)?);
        Ok(())
    }),
    ("description", |args, input| {
        args.description = Some(value(input)?);
        Ok(())
    }),
    ("deprecated", |args, input| {
        args.deprecated = flag(input)?;
        Ok(())
    }),
    ("hidden", |args, input| {
        args.hidden = flag(input)?;
        Ok(())
    }),
    ("status", |args, input| {
        args.status = Some(status(input)?);
        Ok(())
    }),
    ("responses", |args, input| {
        let content;
        parenthesized!(content in input);
        args.responses = Punctuated::<ResponseArg, Token![,]>::parse_terminated(&content)?
            .into_iter()
            .collect();
        Ok(())
    }),
    ("security", |args, input| {
        let content;
        parenthesized!(content in input);
        args.security = Some(
            Punctuated::<SecurityArg, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect(),
        );
        Ok(())
    }),
    ("name", |args, input| {
        args.name = Some(value(input)?);
        Ok(())
    }),
];

/// A response in the long form, while its keys are read.
#[derive(Default)]
struct LongResponse {
    status: Option<LitInt>,
    body: Option<Type>,
    description: Option<LitStr>,
    headers: Vec<(LitStr, Option<LitStr>)>,
}

/// The keys of a response in the long form, `(status = 404, …)`.
const RESPONSE_KEYS: &[(&str, Setter<LongResponse>)] = &[
    ("status", |response, input| {
        response.status = Some(status(input)?);
        Ok(())
    }),
    ("body", |response, input| {
        response.body = Some(value(input)?);
        Ok(())
    }),
    ("description", |response, input| {
        response.description = Some(value(input)?);
        Ok(())
    }),
    ("headers", |response, input| {
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
            response.headers.push((name, text));
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        Ok(())
    }),
];

/// Reads one `key …` of `table` into `target`: the key must be in the
/// table and not given before.
fn key<T>(
    input: ParseStream<'_>,
    table: &[(&'static str, Setter<T>)],
    target: &mut T,
    seen: &mut Seen,
) -> syn::Result<()> {
    let expected = || {
        let names: Vec<String> = table.iter().map(|(name, _)| format!("`{name}`")).collect();
        format!("expected one of: {}", names.join(", "))
    };
    let ident = input
        .call(Ident::parse_any)
        .map_err(|e| syn::Error::new(e.span(), expected()))?;
    let name = ident.to_string();
    let Some((key, set)) = table.iter().find(|(key, _)| *key == name) else {
        let names: Vec<&'static str> = table.iter().map(|(key, _)| *key).collect();
        let hint = callback_expr::suggest(&name, &names)
            .map_or_else(String::new, |key| format!("did you mean `{key}`? "));
        return Err(syn::Error::new(
            ident.span(),
            format!("unknown key `{name}`: {hint}{}", expected()),
        ));
    };
    seen.once(key, ident.span())?;
    set(target, input)
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
            key(input, ROUTE_KEYS, &mut args, &mut seen)?;
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
        let mut response = LongResponse::default();
        let mut seen = Seen::default();
        while !input.is_empty() {
            key(input, RESPONSE_KEYS, &mut response, &mut seen)?;
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let status = response
            .status
            .ok_or_else(|| syn::Error::new(input.span(), "a response needs its `status = …`"))?;
        Ok(ResponseArg {
            status,
            body: response.body,
            description: response.description,
            headers: response.headers,
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

/// `= 201`, a status code.
fn status(input: ParseStream<'_>) -> syn::Result<LitInt> {
    let status: LitInt = value(input)?;
    check_status(&status)?;
    Ok(status)
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
