//! Reading only the values of a JSON body that a set of pointers reaches.
//!
//! Capturing `$request.body#/id` needs one value of the body. Parsing the
//! whole body into a `serde_json::Value` builds every string, number, array
//! and object of it, most of which the callbacks never read; [`BodyPaths`]
//! walks the body once, keeps the values at its pointers, and skips the
//! rest without building anything.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::JsonPointer;

/// The paths into a JSON body that a list of pointers reaches, as a tree.
///
/// ```
/// use callback_expr::{BodyPaths, JsonPointer};
/// use serde_json::json;
///
/// let pointers = ["/id", "/customer/email", "/lines/1/sku", "/missing"].map(|p| JsonPointer::parse(p).unwrap());
/// let paths = BodyPaths::new(&pointers);
/// let body = br#"{"id": 7, "note": "a long text", "customer": {"email": "a@b.c", "name": "Ada"},
///                 "lines": [{"sku": "tea"}, {"sku": "cake", "qty": 2}, {"sku": "jam"}]}"#;
/// let values = paths.extract(body).unwrap();
/// assert_eq!(values, [Some(json!(7)), Some(json!("a@b.c")), Some(json!("cake")), None]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyPaths {
    root: Option<Node>,
    pointers: Vec<JsonPointer>,
}

/// One level of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Pointer number `.0` ends here: keep the whole value.
    Whole(usize),
    /// Go on into these members (or elements, by index), nothing else.
    Children(Vec<(String, Node)>),
}

impl BodyPaths {
    /// The paths of `pointers`, in order. A pointer under another one is
    /// looked up in its ancestor's value.
    pub fn new<'p>(pointers: impl IntoIterator<Item = &'p JsonPointer>) -> Self {
        let pointers: Vec<JsonPointer> = pointers.into_iter().cloned().collect();
        let mut root: Option<Node> = None;
        for (slot, pointer) in pointers.iter().enumerate() {
            let node = root.get_or_insert_with(|| Node::Children(Vec::new()));
            insert(node, pointer.tokens(), slot);
        }
        BodyPaths { root, pointers }
    }

    /// The pointers, in the order [`BodyPaths::extract`] returns their
    /// values.
    pub fn pointers(&self) -> &[JsonPointer] {
        &self.pointers
    }

    /// True when no pointer reads the body.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Parses `bytes` as JSON and returns the value at each pointer (`None`
    /// where the body has nothing there). Malformed JSON is an error, as
    /// with a full parse.
    pub fn extract(&self, bytes: &[u8]) -> Result<Vec<Option<Value>>, serde_json::Error> {
        let mut values = vec![None; self.pointers.len()];
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        match &self.root {
            Some(root) => Seed {
                node: root,
                values: &mut values,
            }
            .deserialize(&mut deserializer)?,
            None => {
                IgnoredAny::deserialize(&mut deserializer)?;
            }
        }
        deserializer.end()?;
        // A pointer under another one reads its ancestor's value.
        for (slot, pointer) in self.pointers.iter().enumerate() {
            if values[slot].is_some() {
                continue;
            }
            let ancestor = self
                .pointers
                .iter()
                .enumerate()
                .find(|(other, p)| *other != slot && pointer.tokens().starts_with(p.tokens()));
            if let Some((other, p)) = ancestor {
                values[slot] = values[other]
                    .as_ref()
                    .and_then(|v| {
                        crate::pointer::lookup_tokens(&pointer.tokens()[p.tokens().len()..], v)
                    })
                    .cloned();
            }
        }
        Ok(values)
    }
}

fn insert(node: &mut Node, tokens: &[String], slot: usize) {
    let Some((first, rest)) = tokens.split_first() else {
        if matches!(node, Node::Children(_)) {
            *node = Node::Whole(slot);
        }
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
    insert(&mut children[index].1, rest, slot);
}

/// An array index as a JSON pointer writes it (no leading zeros).
fn index(token: &str) -> Option<usize> {
    if token.len() > 1 && token.starts_with('0') {
        return None;
    }
    token.parse().ok()
}

struct Seed<'n, 'v> {
    node: &'n Node,
    values: &'v mut [Option<Value>],
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.node {
            Node::Whole(slot) => {
                self.values[*slot] = Some(Value::deserialize(deserializer)?);
                Ok(())
            }
            Node::Children(children) => deserializer.deserialize_any(Pruning {
                children,
                values: self.values,
            }),
        }
    }
}

/// Visits a value on a path: goes into the members and elements on the
/// path, skips the others.
struct Pruning<'n, 'v> {
    children: &'n [(String, Node)],
    values: &'v mut [Option<Value>],
}

impl<'de> Visitor<'de> for Pruning<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    // A scalar where the path goes on: nothing there.
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(found) = map.next_key_seed(Key(self.children))? {
            match found {
                Some(node) => map.next_value_seed(Seed {
                    node,
                    values: &mut *self.values,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut position = 0;
        loop {
            let on_path = self
                .children
                .iter()
                .find(|(key, _)| index(key) == Some(position))
                .map(|(_, node)| node);
            let more = match on_path {
                Some(node) => seq.next_element_seed(Seed {
                    node,
                    values: &mut *self.values,
                })?,
                None => seq.next_element::<IgnoredAny>()?.map(drop),
            };
            if more.is_none() {
                return Ok(());
            }
            position += 1;
        }
    }
}

/// Reads an object key and finds it among the children, without keeping
/// keys that are not on a path.
struct Key<'n>(&'n [(String, Node)]);

impl<'de, 'n> DeserializeSeed<'de> for Key<'n> {
    type Value = Option<&'n Node>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 'n> Visitor<'de> for Key<'n> {
    type Value = Option<&'n Node>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, node)| node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn extract(pointers: &[&str], body: &[u8]) -> Vec<Option<Value>> {
        let pointers: Vec<JsonPointer> = pointers
            .iter()
            .map(|p| JsonPointer::parse(p).unwrap())
            .collect();
        let values = BodyPaths::new(&pointers).extract(body).unwrap();
        // The same as looking each pointer up in the whole parsed body.
        let full: Value = serde_json::from_slice(body).unwrap();
        let expected: Vec<Option<Value>> =
            pointers.iter().map(|p| p.lookup(&full).cloned()).collect();
        assert_eq!(values, expected);
        values
    }

    #[test]
    fn keeps_the_values_at_the_pointers() {
        let body = br#"{"a": {"b": [1, {"c": "x", "d": "y"}], "e": true}, "f": "skip \u00e9"}"#;
        assert_eq!(extract(&["/a/b/1/c"], body), [Some(json!("x"))]);
        assert_eq!(
            extract(&["/a", "/a/b/0"], body),
            [
                Some(json!({"b": [1, {"c": "x", "d": "y"}], "e": true})),
                Some(json!(1))
            ]
        );
        assert_eq!(extract(&["/a/b/0", "/a"], body)[0], Some(json!(1)));
        assert_eq!(
            extract(&[""], body)[0],
            Some(serde_json::from_slice(body).unwrap())
        );
        assert_eq!(
            extract(&["/missing", "/f/deeper", "/a/b/01", "/a/b/9"], body),
            [None, None, None, None]
        );
    }

    #[test]
    fn escaped_keys_match_their_unescaped_tokens() {
        let body = br#"{"a/b": {"m~n": 1}, "a\/b2": 2}"#;
        assert_eq!(
            extract(&["/a~1b/m~0n", "/a~1b2"], body),
            [Some(json!(1)), Some(json!(2))]
        );
    }

    #[test]
    fn malformed_json_is_an_error_even_where_nothing_is_kept() {
        let id = [JsonPointer::parse("/id").unwrap()];
        for body in [
            &br#"{"id": 1,}"#[..],
            br#"{"id": 1} trailing"#,
            b"",
            br#"{"x": [1, 2"#,
        ] {
            let text = String::from_utf8_lossy(body);
            assert!(BodyPaths::new(&id).extract(body).is_err(), "{text}");
            assert!(BodyPaths::default().extract(body).is_err(), "{text}");
        }
    }
}
