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
}
