use std::fmt;

use crate::{JsonPointer, ParseError};

/// One runtime expression, such as `$request.query.callback_url`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expression {
    /// `$url`: the full URL of the original request.
    Url,
    /// `$method`: the HTTP method of the original request.
    Method,
    /// `$statusCode`: the status code of the response to the original request.
    StatusCode,
    /// `$request.…`: a part of the original request.
    Request(Source),
    /// `$response.…`: a part of the response to the original request.
    Response(Source),
    /// FastAPI's shorthand `$callback_url`: not a spec form. It stands for a
    /// parameter of the operation the callback is attached to and must be
    /// resolved (see [`Expression::resolve_shorthand`]) before it is written
    /// into a document.
    Shorthand(String),
}

/// The part of a request or response an expression reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// `header.NAME`: a header (names are case-insensitive).
    Header(String),
    /// `query.NAME`: a query parameter (case-sensitive).
    Query(String),
    /// `path.NAME`: a path parameter (case-sensitive).
    Path(String),
    /// `body` or `body#/pointer`: the JSON body, or a value inside it.
    Body(JsonPointer),
}

const KEYWORDS: &[&str] = &["$url", "$method", "$statusCode", "$request.", "$response."];
const SOURCES: &str = "`header.`, `query.`, `path.` or `body`";

impl Expression {
    /// Parses a whole expression in its spec form (no shorthand).
    ///
    /// ```
    /// use callback_expr::{Expression, Source};
    /// assert_eq!(Expression::parse("$method").unwrap(), Expression::Method);
    /// let err = Expression::parse("$request.body.id").unwrap_err();
    /// assert_eq!(err.help.as_deref(), Some("write `$request.body#/id`"));
    /// ```
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_with(text, false)
    }

    /// Parses an expression, accepting FastAPI's `$name` shorthand when
    /// `shorthand` is true.
    pub fn parse_with(text: &str, shorthand: bool) -> Result<Self, ParseError> {
        let Some(rest) = text.strip_prefix('$') else {
            let help = if looks_like_expression(text) {
                format!("write `${text}`")
            } else {
                "expressions are `$url`, `$method`, `$statusCode`, `$request.…` or `$response.…`"
                    .to_owned()
            };
            return Err(ParseError::new(0..text.len(), "an expression starts with `$`").help(help));
        };
        match rest {
            "url" => return Ok(Expression::Url),
            "method" => return Ok(Expression::Method),
            "statusCode" => return Ok(Expression::StatusCode),
            _ => {}
        }
        if let Some(source) = rest.strip_prefix("request.") {
            return parse_source(source, 9).map(Expression::Request);
        }
        if let Some(source) = rest.strip_prefix("response.") {
            return parse_source(source, 10).map(Expression::Response);
        }
        let head = rest.split('.').next().unwrap_or_default();
        if matches!(head, "request" | "response") {
            return Err(ParseError::new(
                0..text.len(),
                format!("expected {SOURCES} after `${head}.`"),
            ));
        }
        if let Some(known) = suggest(
            head,
            &["url", "method", "statusCode", "request", "response"],
        ) {
            let fixed = if text.len() > head.len() + 1 && matches!(known, "request" | "response") {
                format!("${known}{}", &rest[head.len()..])
            } else {
                format!("${known}")
            };
            return Err(ParseError::new(
                0..head.len() + 1,
                format!("unknown expression `${head}`"),
            )
            .help(format!("write `{fixed}`")));
        }
        if shorthand && is_shorthand_name(rest) {
            return Ok(Expression::Shorthand(rest.to_owned()));
        }
        Err(ParseError::new(
            0..text.len(),
            format!(
                "unknown expression `{text}`: expected one of {}",
                list(KEYWORDS)
            ),
        ))
    }

    /// Replaces a shorthand `$name` by the spec form of the parameter it
    /// names, found with `lookup` (which returns the parameter's source).
    /// Other expressions are returned unchanged.
    pub fn resolve_shorthand(&self, lookup: impl FnOnce(&str) -> Option<Source>) -> Option<Self> {
        match self {
            Expression::Shorthand(name) => lookup(name).map(Expression::Request),
            other => Some(other.clone()),
        }
    }
}

fn parse_source(text: &str, offset: usize) -> Result<Source, ParseError> {
    let (kind, name) = match text.find(['.', '#']) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let name_offset = offset + kind.len() + 1;
    match (kind, name.chars().next()) {
        ("header", Some('.')) => {
            let token = &name[1..];
            if token.is_empty() {
                return Err(ParseError::new(
                    name_offset - 1..name_offset,
                    "expected a header name after `header.`",
                ));
            }
            if let Some((i, c)) = token.char_indices().find(|&(_, c)| !is_tchar(c)) {
                let at = name_offset + i;
                return Err(ParseError::new(
                    at..at + c.len_utf8(),
                    format!("{c:?} is not allowed in a header name (RFC 9110 token)"),
                ));
            }
            Ok(Source::Header(token.to_owned()))
        }
        ("query", Some('.')) => Ok(Source::Query(name[1..].to_owned())),
        ("path", Some('.')) => Ok(Source::Path(name[1..].to_owned())),
        ("body", None) => Ok(Source::Body(JsonPointer::default())),
        ("body", Some('#')) => JsonPointer::parse(&name[1..])
            .map(Source::Body)
            .map_err(|e| e.shifted(name_offset)),
        ("body", Some('.')) => {
            let fixed = name[1..].replace('.', "/");
            Err(ParseError::new(
                offset + 4..offset + 4 + name.len(),
                "a body reference is `body#` followed by a JSON pointer",
            )
            .help(format!("write `${}body#/{fixed}`", &text_prefix(offset))))
        }
        ("header" | "query" | "path", _) => Err(ParseError::new(
            offset..offset + kind.len() + name.len(),
            format!("expected `.` and a name after `{kind}`"),
        )),
        _ => {
            let mut err = ParseError::new(
                offset..offset + kind.len(),
                format!("unknown source `{kind}`: expected {SOURCES}"),
            );
            if let Some(known) = suggest(kind, &["header", "query", "path", "body"]) {
                err = err.help(format!("did you mean `{known}`?"));
            }
            Err(err)
        }
    }
}

/// `request.` or `response.`, from the offset at which the source starts.
fn text_prefix(offset: usize) -> &'static str {
    if offset == 9 {
        "request."
    } else {
        "response."
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_shorthand_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn looks_like_expression(text: &str) -> bool {
    ["url", "method", "statusCode", "request.", "response."]
        .iter()
        .any(|k| text.starts_with(k))
}

/// The known word closest to `word` (case-insensitive, at most two edits),
/// unless `word` is itself known: what a "did you mean" hint names. The
/// macros use it for attribute keys too.
///
/// ```
/// assert_eq!(callback_expr::suggest("summry", &["summary", "status"]), Some("summary"));
/// assert_eq!(callback_expr::suggest("colour", &["summary", "status"]), None);
/// ```
pub fn suggest(word: &str, known: &[&'static str]) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (k, edit_distance(&lower, &k.to_ascii_lowercase())))
        .filter(|&(k, d)| d <= 2 && (d > 0 || *k != word))
        .min_by_key(|&(_, d)| d)
        .map(|(k, _)| *k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expression::Url => f.write_str("$url"),
            Expression::Method => f.write_str("$method"),
            Expression::StatusCode => f.write_str("$statusCode"),
            Expression::Request(source) => write!(f, "$request.{source}"),
            Expression::Response(source) => write!(f, "$response.{source}"),
            Expression::Shorthand(name) => write!(f, "${name}"),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Header(name) => write!(f, "header.{name}"),
            Source::Query(name) => write!(f, "query.{name}"),
            Source::Path(name) => write!(f, "path.{name}"),
            Source::Body(pointer) if pointer.is_root() => f.write_str("body"),
            Source::Body(pointer) => write!(f, "body#{pointer}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        Expression::parse(text).unwrap_err()
    }

    #[test]
    fn spec_forms_round_trip() {
        for text in [
            "$url",
            "$method",
            "$statusCode",
            "$request.header.accept",
            "$request.query.queryUrl",
            "$request.path.eventType",
            "$request.body",
            "$request.body#/user/uuid",
            "$response.body#/status",
            "$response.header.Server",
            "$request.query.",
        ] {
            assert_eq!(Expression::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn dotted_body_suggests_pointer() {
        let e = err("$request.body.id");
        assert_eq!(e.span, 13..16);
        assert_eq!(e.help.as_deref(), Some("write `$request.body#/id`"));
        let e = err("$response.body.a.b");
        assert_eq!(e.help.as_deref(), Some("write `$response.body#/a/b`"));
    }

    #[test]
    fn misspelt_source_suggests_fix() {
        let e = err("$request.querry.x");
        assert_eq!(e.span, 9..15);
        assert_eq!(
            e.message,
            "unknown source `querry`: expected `header.`, `query.`, `path.` or `body`"
        );
        assert_eq!(e.help.as_deref(), Some("did you mean `query`?"));
    }

    #[test]
    fn missing_dollar_suggests_fix() {
        let e = err("request.query.x");
        assert_eq!(e.help.as_deref(), Some("write `$request.query.x`"));
    }

    #[test]
    fn wrong_case_keyword() {
        let e = err("$statuscode");
        assert_eq!(e.help.as_deref(), Some("write `$statusCode`"));
        assert_eq!(e.span, 0..11);
    }

    #[test]
    fn request_without_source() {
        let e = err("$request");
        assert!(e.message.starts_with("expected `header.`"), "{}", e.message);
    }

    #[test]
    fn header_token_is_checked() {
        let e = err("$request.header.a b");
        assert_eq!(e.span, 17..18);
    }

    #[test]
    fn shorthand_only_when_asked() {
        assert!(Expression::parse("$callback_url").is_err());
        assert_eq!(
            Expression::parse_with("$callback_url", true).unwrap(),
            Expression::Shorthand("callback_url".into())
        );
    }
}
