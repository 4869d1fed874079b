//! Finding one parameter in a raw query string, decoded as
//! `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte).

/// The decoded value of the first parameter named `name` in `query` (the
/// text after `?`, without it). A parameter written without `=` has the
/// empty value. Names are compared after decoding, case-sensitively; only
/// the value found is allocated. Bytes that do not decode to UTF-8 become
/// U+FFFD.
pub(crate) fn find(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Decoded::new(key).eq(name.bytes()).then(|| decode(value))
        })
}

fn decode(text: &str) -> String {
    if !text.contains(['+', '%']) {
        return text.to_owned();
    }
    let mut bytes = Vec::with_capacity(text.len());
    bytes.extend(Decoded::new(text));
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The bytes of form-urlencoded text, decoded. A `%` not followed by two hex
/// digits stands for itself, as browsers and the URL Standard decode it.
struct Decoded<'a> {
    bytes: &'a [u8],
}

impl<'a> Decoded<'a> {
    fn new(text: &'a str) -> Self {
        Decoded {
            bytes: text.as_bytes(),
        }
    }
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        match first {
            b'+' => Some(b' '),
            b'%' => match rest {
                [hi, lo, tail @ ..] => match (hex(*hi), hex(*lo)) {
                    (Some(hi), Some(lo)) => {
                        self.bytes = tail;
                        Some(hi << 4 | lo)
                    }
                    _ => Some(b'%'),
                },
                _ => Some(b'%'),
            },
            other => Some(other),
        }
    }
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn finds_first_decoded_value() {
        let q = "a=1&callback_url=https%3A%2F%2Fx.org%2Fcb%3Fk%3Dv&a=2";
        assert_eq!(find(q, "a").as_deref(), Some("1"));
        assert_eq!(
            find(q, "callback_url").as_deref(),
            Some("https://x.org/cb?k=v")
        );
        assert_eq!(find(q, "b"), None);
    }

    #[test]
    fn plus_is_space_and_names_are_decoded() {
        let q = "first+name=Ada+Lovelace&x%5B%5D=%E2%82%AC";
        assert_eq!(find(q, "first name").as_deref(), Some("Ada Lovelace"));
        assert_eq!(find(q, "x[]").as_deref(), Some("€"));
    }

    #[test]
    fn names_are_case_sensitive() {
        let q = "Token=A&token=b";
        assert_eq!(find(q, "token").as_deref(), Some("b"));
        assert_eq!(find(q, "TOKEN"), None);
    }

    #[test]
    fn empty_and_bare_parameters() {
        assert_eq!(find("flag&x=", "flag").as_deref(), Some(""));
        assert_eq!(find("flag&x=", "x").as_deref(), Some(""));
        assert_eq!(find("=v", "").as_deref(), Some("v"));
        assert_eq!(find("", ""), None);
        assert_eq!(find("&&", ""), None);
    }

    #[test]
    fn malformed_escapes_stand_for_themselves() {
        assert_eq!(find("a=100%&b=%zz%4", "a").as_deref(), Some("100%"));
        assert_eq!(find("a=100%&b=%zz%4", "b").as_deref(), Some("%zz%4"));
        assert_eq!(find("a=%FF", "a").as_deref(), Some("\u{fffd}"));
        assert_eq!(find("a=b=c", "a").as_deref(), Some("b=c"));
    }
}
