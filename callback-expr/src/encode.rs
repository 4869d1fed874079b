//! Percent-encoding (RFC 3986 section 2.1) of a value by where it lands in a
//! URL.

/// Where a value lands in a URL; decides which characters it must encode.
///
/// A value is data, so wherever it lands, every character that could be read
/// as a delimiter there is encoded; a character that RFC 3986 allows and that
/// has no structural meaning in that place is kept, so URLs stay readable.
/// Unreserved characters (`A-Z a-z 0-9 - . _ ~`) are kept everywhere;
/// non-ASCII characters are encoded everywhere, as their UTF-8 bytes with
/// upper-case hex digits, and so are controls, space and
/// ``" < > \ ^ ` { | }``. Beyond that:
///
/// - [`Component::Url`] keeps every character RFC 3986 allows in a URI:
///   `: / ? # [ ] @ ! $ & ' ( ) * + , ; =`, and `%` when two hex digits
///   follow it (an escape already made). A `%` that starts no escape becomes
///   `%25`.
/// - [`Component::PathSegment`] keeps `! $ & ' ( ) * + , = : @` and encodes
///   `/ ? # % ; [ ]`.
/// - [`Component::QueryValue`] keeps `! $ ' ( ) * , : @ / ?` and encodes
///   `& = + # % ; [ ]`.
///
/// Two choices go beyond the letter of RFC 3986: `;` is encoded in a path
/// segment although RFC 3986 allows it there, because widely deployed
/// servers (Java servlet containers among them) cut a segment at `;` to read
/// "path parameters"; and `;` is encoded in a query value because older form
/// parsers split pairs on it as well as on `&`. Encoding a character that
/// needed none never changes the value a server decodes.
///
/// ```
/// use callback_expr::Component;
///
/// let mut url = String::from("https://example.com/files/");
/// Component::PathSegment.encode_into("a/b c", &mut url);
/// url.push_str("?q=");
/// Component::QueryValue.encode_into("x&y=1+1", &mut url);
/// assert_eq!(url, "https://example.com/files/a%2Fb%20c?q=x%26y%3D1%2B1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// A whole URL, or the start of one: the value is a URL and keeps its
    /// structure. Only what RFC 3986 never allows in a URI is encoded, so a
    /// valid URL is copied byte for byte.
    Url,
    /// One path segment: `/`, `?`, `#` and `%` in the value are data.
    PathSegment,
    /// A query value (also used after `#`): `&`, `=`, `+` and `#` are data.
    QueryValue,
}

const URL: u8 = 1;
const PATH: u8 = 2;
const QUERY: u8 = 4;

/// For each byte, the components that keep it as is.
static KEEP: [u8; 256] = keep_table();

const fn keep_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            table[b] = URL | PATH | QUERY;
        }
        b += 1;
    }
    let mut i = 0;
    let url_only = b":/?#[]@!$&'()*+,;=";
    while i < url_only.len() {
        table[url_only[i] as usize] |= URL;
        i += 1;
    }
    let path = b"!$&'()*+,=:@";
    i = 0;
    while i < path.len() {
        table[path[i] as usize] |= PATH;
        i += 1;
    }
    let query = b"!$'()*,:@/?";
    i = 0;
    while i < query.len() {
        table[query[i] as usize] |= QUERY;
        i += 1;
    }
    table
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Where encoded text goes: a string, or a counter that measures it first so
/// the string can be allocated once at its final size.
pub(crate) trait Sink {
    fn push(&mut self, text: &str);
}

impl Sink for String {
    fn push(&mut self, text: &str) {
        self.push_str(text);
    }
}

/// Counts the bytes that would be written.
#[derive(Default)]
pub(crate) struct Length(pub(crate) usize);

impl Sink for Length {
    fn push(&mut self, text: &str) {
        self.0 += text.len();
    }
}

impl Component {
    fn bit(self) -> u8 {
        match self {
            Component::Url => URL,
            Component::PathSegment => PATH,
            Component::QueryValue => QUERY,
        }
    }

    /// True when `byte` is copied as is in this component (for
    /// [`Component::Url`], `%` also needs two hex digits after it; see
    /// [`Component::encode_into`]).
    ///
    /// ```
    /// use callback_expr::Component;
    /// assert!(Component::PathSegment.keeps(b'='));
    /// assert!(!Component::QueryValue.keeps(b'='));
    /// assert!(!Component::PathSegment.keeps(b'/'));
    /// ```
    pub fn keeps(self, byte: u8) -> bool {
        KEEP[usize::from(byte)] & self.bit() != 0
    }

    /// Appends `text` to `out`, percent-encoding what this component cannot
    /// hold as is.
    ///
    /// ```
    /// use callback_expr::Component;
    /// let mut out = String::new();
    /// Component::Url.encode_into("https://example.com/a b?x=%41&y=100%", &mut out);
    /// assert_eq!(out, "https://example.com/a%20b?x=%41&y=100%25");
    /// ```
    pub fn encode_into(self, text: &str, out: &mut String) {
        self.encode_to(text, out);
    }

    /// The length `text` has once encoded for this component.
    ///
    /// ```
    /// use callback_expr::Component;
    /// assert_eq!(Component::PathSegment.encoded_len("é/"), 9);
    /// ```
    pub fn encoded_len(self, text: &str) -> usize {
        let mut length = Length::default();
        self.encode_to(text, &mut length);
        length.0
    }

    pub(crate) fn encode_to(self, text: &str, sink: &mut impl Sink) {
        let bytes = text.as_bytes();
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if self.keeps(b) || (self == Component::Url && b == b'%' && escape_at(bytes, i)) {
                continue;
            }
            // Kept bytes are ASCII and the bytes of a non-ASCII character
            // are all encoded, so a non-empty `run..i` lies on char
            // boundaries (an empty one may sit inside a character).
            if run < i {
                sink.push(&text[run..i]);
            }
            let escaped = [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]];
            // The three bytes are ASCII.
            sink.push(std::str::from_utf8(&escaped).unwrap_or_default());
            run = i + 1;
        }
        sink.push(&text[run..]);
    }
}

/// True when `bytes[i]` (a `%`) starts an escape: two hex digits follow.
fn escape_at(bytes: &[u8], i: usize) -> bool {
    matches!(bytes.get(i + 1..i + 3), Some([a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(component: Component, text: &str) -> String {
        let mut out = String::new();
        component.encode_into(text, &mut out);
        assert_eq!(component.encoded_len(text), out.len());
        out
    }

    #[test]
    fn path_segment_encodes_structure() {
        assert_eq!(
            encode(Component::PathSegment, "a/b?c#d%e f;g"),
            "a%2Fb%3Fc%23d%25e%20f%3Bg"
        );
        assert_eq!(
            encode(Component::PathSegment, "k=v&x+y:z@w!$'()*,"),
            "k=v&x+y:z@w!$'()*,"
        );
        assert_eq!(encode(Component::PathSegment, "[::1]"), "%5B::1%5D");
    }

    #[test]
    fn query_value_encodes_pair_delimiters() {
        assert_eq!(
            encode(Component::QueryValue, "a&b=c+d#e%f g;h"),
            "a%26b%3Dc%2Bd%23e%25f%20g%3Bh"
        );
        assert_eq!(
            encode(Component::QueryValue, "https://x.org/p?q"),
            "https://x.org/p?q"
        );
    }

    #[test]
    fn url_keeps_reserved_and_escapes() {
        let url = "https://u@[::1]:8080/a;b/c?d=e&f=%2F+g#h!$'()*,";
        assert_eq!(encode(Component::Url, url), url);
        assert_eq!(
            encode(Component::Url, "x y\"<>\\^`{|}\u{7f}\n"),
            "x%20y%22%3C%3E%5C%5E%60%7B%7C%7D%7F%0A"
        );
        assert_eq!(encode(Component::Url, "%zz%4"), "%25zz%254");
    }

    #[test]
    fn non_ascii_is_encoded_as_utf8() {
        for component in [
            Component::Url,
            Component::PathSegment,
            Component::QueryValue,
        ] {
            assert_eq!(encode(component, "é€😀"), "%C3%A9%E2%82%AC%F0%9F%98%80");
        }
    }

    #[test]
    fn unreserved_is_kept_everywhere() {
        let unreserved = "AZaz09-._~";
        for component in [
            Component::Url,
            Component::PathSegment,
            Component::QueryValue,
        ] {
            assert_eq!(encode(component, unreserved), unreserved);
        }
        assert_eq!(encode(Component::PathSegment, ""), "");
    }
}
