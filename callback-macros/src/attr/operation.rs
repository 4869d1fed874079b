//! The keys every operation takes, a route's as a callback's or a
//! webhook's: `operation_id`, `summary`, `responses(…)`, `security(…)`, …

use proc_macro2::Span;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, LitInt, LitStr, Path, Token, Type};

use super::{eq_value, flag, keys, parse_keys, status_code};
use crate::errors::Errors;

keys! {
    /// The keys of every operation.
    pub enum OperationKey {
        Callbacks = callbacks,
        OperationId = operation_id,
        Summary = summary,
        Description = description,
        Deprecated = deprecated,
        Status = status,
        Responses = responses,
        Security = security,
    }
}

/// The values of an operation's keys, each with the span of its key.
#[derive(Default)]
pub struct OperationKeys {
    /// `callbacks = group` or `callbacks = [a, b]`.
    pub callbacks: Option<(Span, Vec<Path>)>,
    pub operation_id: Option<(Span, LitStr)>,
    pub summary: Option<(Span, LitStr)>,
    pub description: Option<(Span, LitStr)>,
    /// `deprecated` or `deprecated = true|false`.
    pub deprecated: Option<(Span, bool)>,
    /// `status = 201`: the status of the declared response type.
    pub status: Option<(Span, LitInt)>,
    pub responses: Option<(Span, Vec<ResponseArg>)>,
    /// `security(…)`; `security()` requires nothing.
    pub security: Option<(Span, Vec<SecurityArg>)>,
}

impl OperationKeys {
    /// Reads the value of `key` (given at `span`) from `input`.
    pub fn parse_value(
        &mut self,
        key: OperationKey,
        span: Span,
        input: ParseStream<'_>,
    ) -> syn::Result<()> {
        match key {
            OperationKey::Callbacks => self.callbacks = Some((span, groups(input)?)),
            OperationKey::OperationId => self.operation_id = Some((span, eq_value(input)?)),
            OperationKey::Summary => self.summary = Some((span, eq_value(input)?)),
            OperationKey::Description => self.description = Some((span, eq_value(input)?)),
            OperationKey::Deprecated => self.deprecated = Some((span, flag(input)?)),
            OperationKey::Status => {
                input.parse::<Token![=]>()?;
                self.status = Some((span, status_code(input)?));
            }
            OperationKey::Responses => self.responses = Some((span, parenthesized_list(input)?)),
            OperationKey::Security => self.security = Some((span, parenthesized_list(input)?)),
        }
        Ok(())
    }

    /// The callback groups, in order.
    pub fn callbacks(&self) -> &[Path] {
        self.callbacks.as_ref().map_or(&[], |(_, groups)| groups)
    }

    pub fn operation_id(&self) -> Option<&LitStr> {
        self.operation_id.as_ref().map(|(_, id)| id)
    }

    pub fn summary(&self) -> Option<&LitStr> {
        self.summary.as_ref().map(|(_, text)| text)
    }

    pub fn description(&self) -> Option<&LitStr> {
        self.description.as_ref().map(|(_, text)| text)
    }

    pub fn deprecated(&self) -> bool {
        self.deprecated.as_ref().is_some_and(|(_, on)| *on)
    }

    pub fn status(&self) -> Option<&LitInt> {
        self.status.as_ref().map(|(_, status)| status)
    }

    pub fn responses(&self) -> &[ResponseArg] {
        self.responses.as_ref().map_or(&[], |(_, r)| r)
    }

    /// `None` when not given, empty for `security()`.
    pub fn security(&self) -> Option<&[SecurityArg]> {
        self.security.as_ref().map(|(_, s)| s.as_slice())
    }
}

/// `= group` or `= [a, b]`; a group named twice is an error at the second.
fn groups(input: ParseStream<'_>) -> syn::Result<Vec<Path>> {
    input.parse::<Token![=]>()?;
    let groups: Vec<Path> = if input.peek(syn::token::Bracket) {
        let content;
        bracketed!(content in input);
        Punctuated::<Path, Token![,]>::parse_terminated(&content)?
            .into_iter()
            .collect()
    } else {
        vec![input.parse()?]
    };
    let errors = Errors::new();
    for (i, group) in groups.iter().enumerate() {
        let text = path_text(group);
        if groups[..i].iter().any(|g| path_text(g) == text) {
            errors.spanned(
                group,
                format!("the callback group `{text}` is attached twice"),
            );
        }
    }
    errors.finish()?;
    Ok(groups)
}

/// `(a, b, …)`
fn parenthesized_list<T: Parse>(input: ParseStream<'_>) -> syn::Result<Vec<T>> {
    let content;
    parenthesized!(content in input);
    Ok(Punctuated::<T, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

/// A path as the user wrote it, without the token printer's spaces.
pub fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// One entry of `responses(…)`: `404 => NotFound`, `204`, or the long
/// form `(status = 404, body = NotFound, description = "…", headers("X-Id" = "…"))`.
pub struct ResponseArg {
    pub status: LitInt,
    pub body: Option<Type>,
    pub description: Option<LitStr>,
    pub headers: Vec<(LitStr, Option<LitStr>)>,
}

keys! {
    /// The keys of a response in the long form.
    enum ResponseKey {
        Status = status,
        Body = body,
        Description = description,
        Headers = headers,
    }
}

impl Parse for ResponseArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            return ResponseArg::parse_long(&content);
        }
        let status = status_code(input)?;
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
        let errors = Errors::new();
        let (mut status, mut body, mut description, mut headers) = (None, None, None, Vec::new());
        parse_keys(
            input,
            &errors,
            |_| None,
            |key, _, input| {
                match key {
                    ResponseKey::Status => {
                        input.parse::<Token![=]>()?;
                        status = Some(status_code(input)?);
                    }
                    ResponseKey::Body => body = Some(eq_value(input)?),
                    ResponseKey::Description => description = Some(eq_value(input)?),
                    ResponseKey::Headers => headers = response_headers(input)?,
                }
                Ok(())
            },
        );
        if status.is_none() {
            errors.error(input.span(), "a response needs its `status = …`");
        }
        Ok(ResponseArg {
            status: errors.check(status)?,
            body,
            description,
            headers,
        })
    }
}

/// `("ETag" = "Version of the order", "X-Id")`
fn response_headers(input: ParseStream<'_>) -> syn::Result<Vec<(LitStr, Option<LitStr>)>> {
    let content;
    parenthesized!(content in input);
    let mut headers = Vec::new();
    while !content.is_empty() {
        let name: LitStr = content.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a header name as a string, e.g. `headers(\"ETag\" = \"Version of the order\")`",
            )
        })?;
        let text = if content.peek(Token![=]) {
            Some(eq_value(&content)?)
        } else {
            None
        };
        headers.push((name, text));
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(headers)
}

/// One alternative of `security(…)`: `"bearer"` or `"oauth" = ["scope"]`.
pub struct SecurityArg {
    pub scheme: LitStr,
    pub scopes: Vec<LitStr>,
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
