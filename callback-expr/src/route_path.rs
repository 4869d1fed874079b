//! actix-web route patterns (`/items/{id}`, `/files/{tail:.*}`) and the
//! OpenAPI path templates they document (`/items/{id}`, `/files/{tail}`).

use std::ops::Range;

use crate::ParseError;

/// A `{name}` segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathParameter {
    /// The parameter's name.
    pub name: String,
    /// The byte range of the whole `{…}` segment in the pattern.
    pub span: Range<usize>,
}

/// The `{name}` segments of an actix-web route pattern, in order; a regex
/// after `:` (which may itself contain braces) is skipped.
///
/// ```
/// let names: Vec<String> = callback_expr::path_parameters("/a/{id:\\d{3}}/{x}")
///     .unwrap()
///     .into_iter()
///     .map(|p| p.name)
///     .collect();
/// assert_eq!(names, ["id", "x"]);
/// ```
pub fn path_parameters(pattern: &str) -> Result<Vec<PathParameter>, ParseError> {
    let mut parameters: Vec<PathParameter> = Vec::new();
    let mut i = 0;
    let bytes = pattern.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                let close = matching_brace(&pattern[i..]).ok_or_else(|| {
                    ParseError::new(i..pattern.len(), "unclosed `{` in the route path")
                })?;
                let inner = &pattern[i + 1..i + close];
                let name = inner.split(':').next().unwrap_or_default();
                let span = i..i + close + 1;
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(ParseError::new(
                        span,
                        format!(
                            "`{{{inner}}}`: a path parameter is a name of letters, digits and `_`"
                        ),
                    ));
                }
                if parameters.iter().any(|p| p.name == name) {
                    return Err(ParseError::new(
                        span,
                        format!("the path parameter `{name}` appears twice"),
                    ));
                }
                parameters.push(PathParameter {
                    name: name.to_owned(),
                    span,
                });
                i += close + 1;
            }
            b'}' => return Err(ParseError::new(i..i + 1, "unmatched `}` in the route path")),
            _ => i += 1,
        }
    }
    Ok(parameters)
}

/// The OpenAPI path template of a route pattern: `{id:\d+}` and `{tail}*`
/// become `{id}` and `{tail}`; the empty pattern is `/`.
///
/// ```
/// assert_eq!(callback_expr::openapi_path("/files/{tail:.*}"), "/files/{tail}");
/// ```
pub fn openapi_path(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = matching_brace(&rest[open..]) else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        out.push('{');
        out.push_str(inner.split(':').next().unwrap_or(inner));
        out.push('}');
        rest = &rest[open + close + 1..];
        rest = rest.strip_prefix('*').unwrap_or(rest);
    }
    out.push_str(rest);
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Index of the `}` closing the `{` at the start of `text` (regexes may
/// contain braces, as in `{id:\d{3}}`).
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_from_patterns() {
        assert_eq!(openapi_path("/items/{id:\\d+}/x"), "/items/{id}/x");
        assert_eq!(openapi_path("/files/{tail}*"), "/files/{tail}");
        assert_eq!(openapi_path("/a/{id:\\d{3}}"), "/a/{id}");
        assert_eq!(openapi_path(""), "/");
    }

    #[test]
    fn parameter_errors() {
        for (pattern, message, span) in [
            ("/a/{id", "unclosed `{` in the route path", 3..6),
            ("/a/}", "unmatched `}` in the route path", 3..4),
            (
                "/a/{}",
                "`{}`: a path parameter is a name of letters, digits and `_`",
                3..5,
            ),
            ("/{a}/{a}", "the path parameter `a` appears twice", 5..8),
        ] {
            let e = path_parameters(pattern).unwrap_err();
            assert_eq!((e.message.as_str(), e.span), (message, span), "{pattern}");
        }
        assert_eq!(path_parameters("").unwrap(), []);
    }
}
