use std::fmt;

use crate::ParseError;

/// A JSON pointer (RFC 6901) into a request or response body, as written after
/// `#` in `$request.body#/items/0/id`.
///
/// Tokens are stored unescaped (`~1` is `/`, `~0` is `~`); `Display` escapes
/// them again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct JsonPointer {
    tokens: Vec<String>,
}

impl JsonPointer {
    /// Parses the text after `#`. The empty pointer refers to the whole body.
    ///
    /// ```
    /// let p = callback_expr::JsonPointer::parse("/a~1b/m~0n").unwrap();
    /// assert_eq!(p.tokens(), ["a/b", "m~n"]);
    /// assert_eq!(p.to_string(), "/a~1b/m~0n");
    /// ```
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if text.is_empty() {
            return Ok(JsonPointer::default());
        }
        if !text.starts_with('/') {
            return Err(
                ParseError::new(0..text.len(), "a JSON pointer starts with `/`")
                    .help(format!("write `#/{text}`")),
            );
        }
        let mut tokens = Vec::new();
        let mut offset = 1;
        for raw in text[1..].split('/') {
            tokens.push(unescape(raw).map_err(|e| e.shifted(offset))?);
            offset += raw.len() + 1;
        }
        Ok(JsonPointer { tokens })
    }

    /// The unescaped reference tokens, outermost first.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// True for the pointer to the whole document.
    pub fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }
}

#[cfg(feature = "eval")]
impl JsonPointer {
    /// The value this pointer refers to in `document`, if there is one
    /// (RFC 6901 section 4): an object member by name, an array element by
    /// an index written without leading zeros; `-` and anything else into a
    /// scalar refer to nothing.
    ///
    /// ```
    /// use callback_expr::JsonPointer;
    /// let body = serde_json::json!({"items": [{"id": 7}], "a/b": true});
    /// let id = JsonPointer::parse("/items/0/id").unwrap();
    /// assert_eq!(id.lookup(&body), Some(&serde_json::json!(7)));
    /// assert_eq!(JsonPointer::parse("/a~1b").unwrap().lookup(&body), Some(&serde_json::json!(true)));
    /// assert_eq!(JsonPointer::parse("/items/00").unwrap().lookup(&body), None);
    /// ```
    pub fn lookup<'v>(&self, document: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        lookup_tokens(&self.tokens, document)
    }

    /// True when `self` is `other` or one of its ancestors.
    pub(crate) fn contains(&self, other: &JsonPointer) -> bool {
        other.tokens.starts_with(&self.tokens)
    }

    /// The tokens of `other` below `self` (`self` must contain `other`).
    pub(crate) fn below<'p>(&self, other: &'p JsonPointer) -> &'p [String] {
        &other.tokens[self.tokens.len()..]
    }
}

/// Follows `tokens` from `value`.
#[cfg(feature = "eval")]
pub(crate) fn lookup_tokens<'v>(
    tokens: &[String],
    value: &'v serde_json::Value,
) -> Option<&'v serde_json::Value> {
    use serde_json::Value;
    tokens.iter().try_fold(value, |value, token| match value {
        Value::Object(members) => members.get(token),
        Value::Array(items) => array_index(token).and_then(|i| items.get(i)),
        _ => None,
    })
}

/// RFC 6901 `array-index`: `0`, or digits without a leading zero.
#[cfg(feature = "eval")]
fn array_index(token: &str) -> Option<usize> {
    match token.as_bytes() {
        [b'0'] => Some(0),
        [b'1'..=b'9', rest @ ..] if rest.iter().all(u8::is_ascii_digit) => token.parse().ok(),
        _ => None,
    }
}

fn unescape(raw: &str) -> Result<String, ParseError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '0')) => out.push('~'),
            Some((_, '1')) => out.push('/'),
            other => {
                let end = other.map_or(i + 1, |(j, c)| j + c.len_utf8());
                return Err(ParseError::new(
                    i..end,
                    "`~` in a JSON pointer must be followed by `0` (for `~`) or `1` (for `/`)",
                ));
            }
        }
    }
    Ok(out)
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for token in &self.tokens {
            f.write_str("/")?;
            for c in token.chars() {
                match c {
                    '~' => f.write_str("~0")?,
                    '/' => f.write_str("~1")?,
                    c => write!(f, "{c}")?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let p = JsonPointer::parse("/~01/~10/").unwrap();
        assert_eq!(p.tokens(), ["~1", "/0", ""]);
        assert_eq!(p.to_string(), "/~01/~10/");
    }

    #[test]
    fn bad_escape_is_spanned() {
        let err = JsonPointer::parse("/ab~2").unwrap_err();
        assert_eq!(err.span, 3..5);
    }

    #[test]
    fn missing_slash_suggests_fix() {
        let err = JsonPointer::parse("id").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("write `#/id`"));
    }

    #[cfg(feature = "eval")]
    #[test]
    fn lookup_follows_rfc_6901() {
        use serde_json::json;
        let doc = json!({
            "": 0, "a/b": 1, "m~n": 2, "é": {"ü": 3}, "list": [10, 11], "n": null
        });
        let at = |p: &str| JsonPointer::parse(p).unwrap().lookup(&doc).cloned();
        assert_eq!(at(""), Some(doc.clone()));
        assert_eq!(at("/"), Some(json!(0)));
        assert_eq!(at("/a~1b"), Some(json!(1)));
        assert_eq!(at("/m~0n"), Some(json!(2)));
        assert_eq!(at("/é/ü"), Some(json!(3)));
        assert_eq!(at("/list/1"), Some(json!(11)));
        assert_eq!(at("/n"), Some(json!(null)));
        for missing in [
            "/list/2",
            "/list/-",
            "/list/01",
            "/list/+1",
            "/list/ 1",
            "/list/1/x",
            "/x",
            "/n/x",
            "/list/18446744073709551616",
        ] {
            assert_eq!(at(missing), None, "{missing}");
        }
    }
}
