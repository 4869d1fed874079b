use std::fmt;
use std::ops::Range;

use crate::{Expression, ParseError};

/// Literal text with runtime expressions embedded in braces: the key of a
/// callback (`{$request.query.callback_url}/invoices/{$request.body#/id}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Template {
    parts: Vec<Part>,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    /// Text copied as it is.
    Literal(String),
    /// An expression written in braces; `span` is the byte range of the
    /// expression (without braces) in the parsed text.
    Expression {
        /// The parsed expression.
        expr: Expression,
        /// Where it stands in the parsed text.
        span: Range<usize>,
    },
}

impl Template {
    /// Parses a template in which every expression is in its spec form.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_with(text, false)
    }

    /// Parses a template, also accepting FastAPI's `{$name}` shorthand when
    /// `shorthand` is true. Stops at the first error; see
    /// [`Template::parse_all`] to collect every error.
    pub fn parse_with(text: &str, shorthand: bool) -> Result<Self, ParseError> {
        Self::parse_all(text, shorthand).map_err(|mut errors| errors.remove(0))
    }

    /// Parses a template and reports every malformed part, in order.
    pub fn parse_all(text: &str, shorthand: bool) -> Result<Self, Vec<ParseError>> {
        let mut parts = Vec::new();
        let mut errors = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut at = 0;
        while let Some(i) = rest.find(['{', '}']) {
            literal.push_str(&rest[..i]);
            let open = at + i;
            if rest.as_bytes()[i] == b'}' {
                errors.push(ParseError::new(open..open + 1, "unmatched `}`").help(
                    "expressions are written `{$…}`; a literal `}` cannot appear in a callback URL",
                ));
                rest = &rest[i + 1..];
                at = open + 1;
                continue;
            }
            let inner = &rest[i + 1..];
            let Some(close) = inner.find('}') else {
                errors.push(
                    ParseError::new(
                        open..text.len(),
                        "unclosed `{`: expected `}` after the expression",
                    )
                    .help("close the expression with `}`"),
                );
                rest = "";
                break;
            };
            let start = open + 1;
            let body = &inner[..close];
            if let Some(nested) = body.find('{') {
                errors.push(
                    ParseError::new(
                        start + nested..start + nested + 1,
                        "`{` inside an expression",
                    )
                    .help("expressions cannot be nested; close the previous one with `}`"),
                );
            } else if body.is_empty() {
                errors.push(ParseError::new(open..start + 1, "empty expression `{}`"));
            } else {
                match Expression::parse_with(body, shorthand) {
                    Ok(expr) => {
                        if !literal.is_empty() {
                            parts.push(Part::Literal(std::mem::take(&mut literal)));
                        }
                        parts.push(Part::Expression {
                            expr,
                            span: start..start + body.len(),
                        });
                    }
                    Err(e) => errors.push(e.shifted(start)),
                }
            }
            rest = &inner[close + 1..];
            at = start + close + 1;
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        if errors.is_empty() {
            Ok(Template { parts })
        } else {
            Err(errors)
        }
    }

    /// The literal and expression parts, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The expressions, in order.
    pub fn expressions(&self) -> impl Iterator<Item = &Expression> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expression { expr, .. } => Some(expr),
            Part::Literal(_) => None,
        })
    }

    /// Rewrites every expression with `f` (used to resolve shorthands);
    /// stops at the first `Err` and returns it.
    pub fn try_map<E>(
        &self,
        mut f: impl FnMut(&Expression) -> Result<Expression, E>,
    ) -> Result<Self, E> {
        let parts = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Expression { expr, span } => Ok(Part::Expression {
                    expr: f(expr)?,
                    span: span.clone(),
                }),
                literal => Ok(literal.clone()),
            })
            .collect::<Result<_, E>>()?;
        Ok(Template { parts })
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts.iter().try_for_each(|p| p.fmt(f))
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Literal(text) => f.write_str(text),
            Part::Expression { expr, .. } => write!(f, "{{{expr}}}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;

    fn errors(text: &str) -> Vec<(Range<usize>, String)> {
        Template::parse_all(text, false)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.span, e.message))
            .collect()
    }

    #[test]
    fn invoices_template() {
        let text = "{$request.query.callback_url}/invoices/{$request.body#/id}";
        let t = Template::parse(text).unwrap();
        assert_eq!(t.to_string(), text);
        assert_eq!(t.parts().len(), 3);
        match &t.parts()[2] {
            Part::Expression { span, .. } => assert_eq!(&text[span.clone()], "$request.body#/id"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn literal_only() {
        let t = Template::parse("https://example.com/hook").unwrap();
        assert_eq!(
            t.parts(),
            [Part::Literal("https://example.com/hook".into())]
        );
        assert_eq!(t.expressions().count(), 0);
    }

    #[test]
    fn unclosed_brace() {
        assert_eq!(
            errors("{$url}/a/{$request.body#/id"),
            [(
                9..27,
                "unclosed `{`: expected `}` after the expression".to_owned()
            )]
        );
    }

    #[test]
    fn nested_and_stray_braces() {
        assert_eq!(
            errors("{$url{$method}}/x"),
            [
                (5..6, "`{` inside an expression".to_owned()),
                (14..15, "unmatched `}`".to_owned())
            ]
        );
    }

    #[test]
    fn empty_expression() {
        assert_eq!(errors("a{}b"), [(1..3, "empty expression `{}`".to_owned())]);
    }

    #[test]
    fn error_spans_are_in_template_coordinates() {
        let e = Template::parse("{$url}/x/{$request.body.id}").unwrap_err();
        assert_eq!(e.span, 23..26);
        assert_eq!(e.help.as_deref(), Some("write `$request.body#/id`"));
    }

    #[test]
    fn collects_every_error() {
        assert_eq!(errors("{$a}/{$request.querry.x}").len(), 2);
    }

    #[test]
    fn shorthand_is_resolved() {
        let t = Template::parse_with("{$callback_url}/invoices", true).unwrap();
        let resolved = t
            .try_map(|e| {
                e.resolve_shorthand(|name| Some(Source::Query(name.into())))
                    .ok_or(())
            })
            .unwrap();
        assert_eq!(
            resolved.to_string(),
            "{$request.query.callback_url}/invoices"
        );
    }
}
