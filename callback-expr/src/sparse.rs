//! Reading only the parts of a JSON body that a set of pointers reaches.
//!
//! Capturing `$request.body#/id` needs one value of the body. Parsing the
//! whole body into a `serde_json::Value` builds every string, number, array
//! and object of it, most of which the callbacks never read; [`BodyPaths`]
//! walks the body once and keeps only the values at its pointers (and the
//! objects and arrays on the way to them), skipping the rest without
//! allocating.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::JsonPointer;

/// The paths into a JSON body that a set of pointers reaches, as a tree.
///
/// ```
/// use callback_expr::{BodyPaths, JsonPointer};
/// use serde_json::json;
///
/// let pointers = ["/id", "/customer/email", "/lines/1/sku"].map(|p| JsonPointer::parse(p).unwrap());
/// let paths = BodyPaths::new(&pointers);
/// let body = br#"{"id": 7, "note": "a long text", "customer": {"email": "a@b.c", "name": "Ada"},
///                 "lines": [{"sku": "tea"}, {"sku": "cake", "qty": 2}, {"sku": "jam"}]}"#;
/// let kept = paths.parse(body).unwrap();
/// assert_eq!(kept, json!({"id": 7, "customer": {"email": "a@b.c"}, "lines": [null, {"sku": "cake"}]}));
/// for p in &pointers {
///     let full: serde_json::Value = serde_json::from_slice(body).unwrap();
///     assert_eq!(p.lookup(&kept), p.lookup(&full));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyPaths {
    root: Option<Node>,
}

/// One level of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// A pointer ends here: keep the whole value.
    Whole,
    /// Keep these members (or elements, by index), nothing else.
    Children(Vec<(String, Node)>),
}

impl BodyPaths {
    /// The paths of `pointers`; a pointer under another one adds nothing.
    pub fn new<'p>(pointers: impl IntoIterator<Item = &'p JsonPointer>) -> Self {
        let mut root: Option<Node> = None;
        for pointer in pointers {
            let node = root.get_or_insert_with(|| Node::Children(Vec::new()));
            insert(node, pointer.tokens());
        }
        BodyPaths { root }
    }

    /// True when no pointer reads the body.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Parses `bytes` as JSON, keeping only the values the pointers reach:
    /// objects keep only the members on a path, arrays the elements up to
    /// the last index on a path (`null` before it where no path goes).
    /// Malformed JSON is an error, as with a full parse.
    pub fn parse(&self, bytes: &[u8]) -> Result<Value, serde_json::Error> {
        let Some(root) = &self.root else {
            // Nothing is read: check the syntax only.
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            IgnoredAny::deserialize(&mut deserializer)?;
            deserializer.end()?;
            return Ok(Value::Null);
        };
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let value = Seed(root).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    }
}

fn insert(node: &mut Node, tokens: &[String]) {
    let Some((first, rest)) = tokens.split_first() else {
        *node = Node::Whole;
        return;
    };
    let Node::Children(children) = node else {
        return; // an ancestor is kept whole
    };
    let index = match children.iter().position(|(key, _)| key == first) {
        Some(i) => i,
        None => {
            children.push((first.clone(), Node::Children(Vec::new())));
            children.len() - 1
        }
    };
    insert(&mut children[index].1, rest);
}

/// An array index as a JSON pointer writes it (no leading zeros).
fn index(token: &str) -> Option<usize> {
    if token.len() > 1 && token.starts_with('0') {
        return None;
    }
    token.parse().ok()
}

struct Seed<'n>(&'n Node);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        match self.0 {
            Node::Whole => Value::deserialize(deserializer),
            Node::Children(children) => deserializer.deserialize_any(Pruning(children)),
        }
    }
}

/// Visits a value on a path: recurses into the members and elements on the
/// path, skips the others.
struct Pruning<'n>(&'n [(String, Node)]);

impl<'de> Visitor<'de> for Pruning<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    // A scalar where the path goes on: nothing there to keep.
    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = Map::new();
        while let Some(found) = map.next_key_seed(Key(self.0))? {
            match found {
                Some((key, node)) => {
                    let value = map.next_value_seed(Seed(node))?;
                    kept.insert(key.clone(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(kept))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let last = self.0.iter().filter_map(|(key, _)| index(key)).max();
        let mut kept = Vec::new();
        let mut position = 0;
        loop {
            let on_path = self
                .0
                .iter()
                .find(|(key, _)| index(key) == Some(position))
                .map(|(_, node)| node);
            let more = match on_path {
                Some(node) => seq.next_element_seed(Seed(node))?.map(|v| kept.push(v)),
                None => seq.next_element::<IgnoredAny>()?.map(|_| {
                    if last.is_some_and(|last| position < last) {
                        kept.push(Value::Null);
                    }
                }),
            };
            if more.is_none() {
                break;
            }
            position += 1;
        }
        Ok(Value::Array(kept))
    }
}

/// Reads an object key and finds it among the children, without keeping
/// keys that are not on a path.
struct Key<'n>(&'n [(String, Node)]);

impl<'de, 'n> DeserializeSeed<'de> for Key<'n> {
    type Value = Option<(&'n String, &'n Node)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 'n> Visitor<'de> for Key<'n> {
    type Value = Option<(&'n String, &'n Node)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(name, node)| (name, node)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(pointers: &[&str]) -> BodyPaths {
        let pointers: Vec<JsonPointer> = pointers
            .iter()
            .map(|p| JsonPointer::parse(p).unwrap())
            .collect();
        BodyPaths::new(&pointers)
    }

    #[test]
    fn keeps_only_the_paths() {
        let body = br#"{"a": {"b": [1, {"c": "x", "d": "y"}], "e": true}, "f": "skip \u00e9"}"#;
        assert_eq!(
            paths(&["/a/b/1/c"]).parse(body).unwrap(),
            json!({"a": {"b": [null, {"c": "x"}]}})
        );
        assert_eq!(
            paths(&["/a", "/a/b"]).parse(body).unwrap(),
            json!({"a": {"b": [1, {"c": "x", "d": "y"}], "e": true}})
        );
        assert_eq!(
            paths(&[""]).parse(body).unwrap(),
            serde_json::from_slice::<Value>(body).unwrap()
        );
        assert_eq!(
            paths(&["/missing", "/f/deeper"]).parse(body).unwrap(),
            json!({"f": null})
        );
        assert_eq!(
            paths(&["/a/b/01"]).parse(body).unwrap(),
            json!({"a": {"b": []}})
        );
    }

    #[test]
    fn escaped_keys_match_their_unescaped_tokens() {
        let body = br#"{"a/b": {"m~n": 1}, "a\/b2": 2}"#;
        assert_eq!(
            paths(&["/a~1b/m~0n", "/a~1b2"]).parse(body).unwrap(),
            json!({"a/b": {"m~n": 1}, "a/b2": 2})
        );
    }

    #[test]
    fn malformed_json_is_an_error_even_where_nothing_is_kept() {
        for body in [
            &br#"{"id": 1,}"#[..],
            br#"{"id": 1} trailing"#,
            b"",
            br#"{"x": [1, 2"#,
        ] {
            assert!(
                paths(&["/id"]).parse(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(BodyPaths::default().parse(body).is_err());
        }
    }
}
