//! The one check of an expression that reads a parameter (`{$name}`,
//! `$request.path.x`, `$request.query.x`, `$request.header.x`) against the
//! parameters of the operation it is attached to, and the one wording of its
//! problems.
//!
//! Both sides use it: the `#[callbacks]` macro renders each read's message
//! at expansion time into a table ([`ParameterRead`]) that a route's `const`
//! block walks with [`first_problem`], knowing the path parameters and
//! whether the operation may have query or header parameters; document
//! assembly calls [`find_parameter`] at start-up with the operation's real
//! parameters and reports the same [`ParameterProblem`].
//!
//! The functions are `const` so that the compile-time walk can run in a
//! `const` item.

use std::fmt;

use crate::{Expression, Source};

/// Where an expression reads a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterSource {
    /// `{$name}`: a parameter of that name in the path, query or headers.
    Shorthand,
    /// `$request.path.name`.
    Path,
    /// `$request.query.name`.
    Query,
    /// `$request.header.name` (names compare ignoring ASCII case).
    Header,
}

impl ParameterSource {
    /// The parameter an expression reads, if it reads one.
    ///
    /// ```
    /// use callback_expr::{Expression, ParameterSource};
    ///
    /// let expr = Expression::parse("$request.query.callback_url").unwrap();
    /// assert_eq!(ParameterSource::of(&expr), Some((ParameterSource::Query, "callback_url")));
    /// assert_eq!(ParameterSource::of(&Expression::parse("$request.body#/id").unwrap()), None);
    /// ```
    pub fn of(expr: &Expression) -> Option<(ParameterSource, &str)> {
        match expr {
            Expression::Shorthand(name) => Some((ParameterSource::Shorthand, name)),
            Expression::Request(Source::Path(name)) => Some((ParameterSource::Path, name)),
            Expression::Request(Source::Query(name)) => Some((ParameterSource::Query, name)),
            Expression::Request(Source::Header(name)) => Some((ParameterSource::Header, name)),
            _ => None,
        }
    }

    /// The expression as written, without braces: `$name`,
    /// `$request.query.name`, …
    fn expression(self, name: &str) -> String {
        match self {
            ParameterSource::Shorthand => format!("${name}"),
            ParameterSource::Path => format!("$request.path.{name}"),
            ParameterSource::Query => format!("$request.query.{name}"),
            ParameterSource::Header => format!("$request.header.{name}"),
        }
    }
}

/// The parameters of an operation, as far as they are known. `None` means
/// "not known": an input whose parameters the macros cannot see may add
/// some, so a read from there is not checked.
#[derive(Debug, Clone, Copy)]
pub struct KnownParameters<'a> {
    /// The path parameters (always known: the route's path names them).
    pub path: &'a [&'a str],
    /// The query parameters.
    pub query: Option<&'a [&'a str]>,
    /// The header parameters.
    pub header: Option<&'a [&'a str]>,
}

impl<'a> KnownParameters<'a> {
    /// What a route macro knows: the path's parameters, and either that
    /// the operation has no query or header parameter (`opaque == false`)
    /// or that some input may add ones it cannot see.
    pub const fn from_path(path: &'a [&'a str], opaque: bool) -> Self {
        let others: Option<&'a [&'a str]> = if opaque { None } else { Some(&[]) };
        KnownParameters {
            path,
            query: others,
            header: others,
        }
    }
}

/// Where [`find_parameter`] found a parameter: in which list of
/// [`KnownParameters`] (never [`ParameterSource::Shorthand`]), at which
/// index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundParameter {
    /// `Path`, `Query` or `Header`.
    pub source: ParameterSource,
    /// The index in that list.
    pub index: usize,
}

/// Why an expression's parameter read does not fit the operation. Its
/// `Display` is the one wording of the problem, at compile time and at
/// start-up.
///
/// ```
/// use callback_expr::{ParameterProblem, ParameterSource};
///
/// let problem = ParameterProblem::Missing { source: ParameterSource::Query, name: "callback_url" };
/// assert_eq!(
///     problem.to_string(),
///     "`{$request.query.callback_url}` reads the query parameter `callback_url`, \
///      which the operation does not declare"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterProblem<'a> {
    /// The operation has no such parameter.
    Missing {
        /// Where the expression reads.
        source: ParameterSource,
        /// The parameter's name.
        name: &'a str,
    },
    /// A shorthand whose name several parameters have.
    Ambiguous {
        /// The parameter's name.
        name: &'a str,
    },
}

impl fmt::Display for ParameterProblem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParameterProblem::Missing {
                source: ParameterSource::Shorthand,
                name,
            } => write!(
                f,
                "`{{${name}}}` names no parameter of the operation; declare a query, path or header \
                 parameter `{name}`, or write the spec form, e.g. `{{$request.query.{name}}}`"
            ),
            ParameterProblem::Missing {
                source: ParameterSource::Path,
                name,
            } => write!(
                f,
                "`{{$request.path.{name}}}` reads the path parameter `{name}`, which is not a `{{…}}` \
                 segment of the operation's path"
            ),
            ParameterProblem::Missing { source, name } => {
                let kind = if source == ParameterSource::Query {
                    "query"
                } else {
                    "header"
                };
                write!(
                    f,
                    "`{{{}}}` reads the {kind} parameter `{name}`, which the operation does not declare",
                    source.expression(name)
                )
            }
            ParameterProblem::Ambiguous { name } => write!(
                f,
                "`{{${name}}}` is ambiguous: several parameters of the operation are named `{name}`; \
                 write the spec form, e.g. `{{$request.query.{name}}}`"
            ),
        }
    }
}

/// Finds the parameter an expression reads (`source`, `name`) among the
/// `known` ones: `Ok(Some(_))` where it is, `Ok(None)` when the list it
/// would be in is not known, or the problem.
///
/// A shorthand is looked up in the path, query and header parameters; it is
/// missing only when no list that could hold it is unknown.
///
/// ```
/// use callback_expr::{find_parameter, KnownParameters, ParameterProblem, ParameterSource};
///
/// let known = KnownParameters { path: &["id"], query: Some(&["page"]), header: None };
/// assert!(matches!(find_parameter(ParameterSource::Shorthand, "page", &known), Ok(Some(_))));
/// assert_eq!(find_parameter(ParameterSource::Header, "x-token", &known), Ok(None));
/// assert_eq!(
///     find_parameter(ParameterSource::Path, "invoice", &known),
///     Err(ParameterProblem::Missing { source: ParameterSource::Path, name: "invoice" })
/// );
/// ```
pub const fn find_parameter<'n>(
    source: ParameterSource,
    name: &'n str,
    known: &KnownParameters<'_>,
) -> Result<Option<FoundParameter>, ParameterProblem<'n>> {
    let missing = ParameterProblem::Missing { source, name };
    let (lists, unknown): (&[ParameterSource], bool) = match source {
        ParameterSource::Path => (&[ParameterSource::Path], false),
        ParameterSource::Query => (&[ParameterSource::Query], known.query.is_none()),
        ParameterSource::Header => (&[ParameterSource::Header], known.header.is_none()),
        ParameterSource::Shorthand => (
            &[
                ParameterSource::Path,
                ParameterSource::Query,
                ParameterSource::Header,
            ],
            known.query.is_none() || known.header.is_none(),
        ),
    };
    let mut found: Option<FoundParameter> = None;
    let mut l = 0;
    while l < lists.len() {
        let list = lists[l];
        let (names, ignore_case) = match list {
            ParameterSource::Path => (Some(known.path), false),
            ParameterSource::Query => (known.query, false),
            _ => (known.header, true),
        };
        if let Some(names) = names {
            let mut i = 0;
            while i < names.len() {
                if str_eq(names[i], name, ignore_case) {
                    if found.is_some() {
                        return Err(ParameterProblem::Ambiguous { name });
                    }
                    found = Some(FoundParameter {
                        source: list,
                        index: i,
                    });
                }
                i += 1;
            }
        }
        l += 1;
    }
    match found {
        Some(found) => Ok(Some(found)),
        None if unknown => Ok(None),
        None => Err(missing),
    }
}

/// One parameter read of a callback's URL template, with the message a
/// compile error gives when the operation does not have it (the
/// [`ParameterProblem`] wording, rendered by the `#[callbacks]` macro).
#[derive(Debug, Clone, Copy)]
pub struct ParameterRead<'a> {
    /// Where the expression reads.
    pub source: ParameterSource,
    /// The parameter's name.
    pub name: &'a str,
    /// The compile error's message.
    pub message: &'a str,
}

impl<'a> ParameterRead<'a> {
    /// A shorthand `{$name}`.
    pub const fn shorthand(name: &'a str, message: &'a str) -> Self {
        ParameterRead {
            source: ParameterSource::Shorthand,
            name,
            message,
        }
    }

    /// `$request.path.name`.
    pub const fn path(name: &'a str, message: &'a str) -> Self {
        ParameterRead {
            source: ParameterSource::Path,
            name,
            message,
        }
    }

    /// `$request.query.name`.
    pub const fn query(name: &'a str, message: &'a str) -> Self {
        ParameterRead {
            source: ParameterSource::Query,
            name,
            message,
        }
    }

    /// `$request.header.name`.
    pub const fn header(name: &'a str, message: &'a str) -> Self {
        ParameterRead {
            source: ParameterSource::Header,
            name,
            message,
        }
    }
}

/// The message of the first read in `reads` that does not fit the `known`
/// parameters.
///
/// ```
/// use callback_expr::{first_problem, KnownParameters, ParameterRead, ParameterSource};
///
/// let reads = [
///     ParameterRead::path("id", "no `id`"),
///     ParameterRead { source: ParameterSource::Query, name: "callback_url", message: "no `callback_url`" },
/// ];
/// assert_eq!(first_problem(&reads, &KnownParameters::from_path(&["id"], false)), Some("no `callback_url`"));
/// assert_eq!(first_problem(&reads, &KnownParameters::from_path(&["id"], true)), None);
/// ```
pub const fn first_problem<'m>(
    reads: &[ParameterRead<'m>],
    known: &KnownParameters<'_>,
) -> Option<&'m str> {
    let mut i = 0;
    while i < reads.len() {
        if find_parameter(reads[i].source, reads[i].name, known).is_err() {
            return Some(reads[i].message);
        }
        i += 1;
    }
    None
}

/// Whether two names are equal (ignoring ASCII case if asked), in `const`
/// code, where `==` on `str` is not available. Also used by the runtime's
/// `const` checks of the macros' output.
#[doc(hidden)]
pub const fn str_eq(a: &str, b: &str, ignore_case: bool) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        let same = if ignore_case {
            a[i].eq_ignore_ascii_case(&b[i])
        } else {
            a[i] == b[i]
        };
        if !same {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParameterSource::{Header, Path, Query, Shorthand};

    const KNOWN: KnownParameters<'static> = KnownParameters {
        path: &["id"],
        query: Some(&["page", "id_list"]),
        header: Some(&["X-Token"]),
    };

    fn at(
        source: ParameterSource,
        index: usize,
    ) -> Result<Option<FoundParameter>, ParameterProblem<'static>> {
        Ok(Some(FoundParameter { source, index }))
    }

    fn missing(
        source: ParameterSource,
        name: &str,
    ) -> Result<Option<FoundParameter>, ParameterProblem<'_>> {
        Err(ParameterProblem::Missing { source, name })
    }

    #[test]
    fn each_source_against_known_and_opaque_parameters() {
        let opaque = KnownParameters::from_path(&["id"], true);
        let closed = KnownParameters::from_path(&["id"], false);
        // (source, name, against the full lists, opaque inputs, no query or header)
        let table = [
            (Path, "id", at(Path, 0), at(Path, 0), at(Path, 0)),
            (
                Path,
                "page",
                missing(Path, "page"),
                missing(Path, "page"),
                missing(Path, "page"),
            ),
            (
                Query,
                "page",
                at(Query, 0),
                Ok(None),
                missing(Query, "page"),
            ),
            (
                Query,
                "id",
                missing(Query, "id"),
                Ok(None),
                missing(Query, "id"),
            ),
            (
                Query,
                "PAGE",
                missing(Query, "PAGE"),
                Ok(None),
                missing(Query, "PAGE"),
            ),
            (
                Header,
                "x-token",
                at(Header, 0),
                Ok(None),
                missing(Header, "x-token"),
            ),
            (
                Header,
                "X-Token",
                at(Header, 0),
                Ok(None),
                missing(Header, "X-Token"),
            ),
            (
                Header,
                "page",
                missing(Header, "page"),
                Ok(None),
                missing(Header, "page"),
            ),
            (Shorthand, "id", at(Path, 0), at(Path, 0), at(Path, 0)),
            (
                Shorthand,
                "page",
                at(Query, 0),
                Ok(None),
                missing(Shorthand, "page"),
            ),
            (
                Shorthand,
                "X-TOKEN",
                at(Header, 0),
                Ok(None),
                missing(Shorthand, "X-TOKEN"),
            ),
            (
                Shorthand,
                "nothing",
                missing(Shorthand, "nothing"),
                Ok(None),
                missing(Shorthand, "nothing"),
            ),
        ];
        for (source, name, full, with_opaque, without) in table {
            assert_eq!(
                find_parameter(source, name, &KNOWN),
                full,
                "{source:?} {name} against all"
            );
            assert_eq!(
                find_parameter(source, name, &opaque),
                with_opaque,
                "{source:?} {name} opaque"
            );
            assert_eq!(
                find_parameter(source, name, &closed),
                without,
                "{source:?} {name} closed"
            );
        }
    }

    #[test]
    fn a_shorthand_several_parameters_answer_is_ambiguous() {
        let known = KnownParameters {
            path: &["id"],
            query: Some(&["id"]),
            header: None,
        };
        let ambiguous = Err(ParameterProblem::Ambiguous { name: "id" });
        assert_eq!(find_parameter(Shorthand, "id", &known), ambiguous);
        let by_case = KnownParameters {
            path: &[],
            query: Some(&["token"]),
            header: Some(&["Token"]),
        };
        assert_eq!(
            find_parameter(Shorthand, "token", &by_case),
            Err(ParameterProblem::Ambiguous { name: "token" })
        );
        // The spec forms name one list: no ambiguity.
        assert_eq!(find_parameter(Query, "id", &known), at(Query, 0));
        assert_eq!(find_parameter(Path, "id", &known), at(Path, 0));
    }

    #[test]
    fn first_problem_walks_the_table_in_order_and_runs_in_const() {
        const READS: &[ParameterRead<'static>] = &[
            ParameterRead {
                source: Shorthand,
                name: "id",
                message: "shorthand id",
            },
            ParameterRead {
                source: Header,
                name: "x-token",
                message: "header x-token",
            },
            ParameterRead {
                source: Path,
                name: "invoice",
                message: "path invoice",
            },
        ];
        const AT_COMPILE_TIME: Option<&str> =
            first_problem(READS, &KnownParameters::from_path(&["id"], false));
        assert_eq!(AT_COMPILE_TIME, Some("header x-token"));
        assert_eq!(
            first_problem(READS, &KnownParameters::from_path(&["id"], true)),
            Some("path invoice")
        );
        assert_eq!(
            first_problem(READS, &KnownParameters::from_path(&["id", "invoice"], true)),
            None
        );
        assert_eq!(first_problem(READS, &KNOWN), Some("path invoice"));
        assert_eq!(first_problem(&[], &KNOWN), None);
    }

    #[test]
    fn the_one_wording() {
        let cases = [
            (
                ParameterProblem::Missing { source: Shorthand, name: "callback_url" },
                "`{$callback_url}` names no parameter of the operation; declare a query, path or header \
                 parameter `callback_url`, or write the spec form, e.g. `{$request.query.callback_url}`",
            ),
            (
                ParameterProblem::Missing { source: Path, name: "id" },
                "`{$request.path.id}` reads the path parameter `id`, which is not a `{…}` segment of the operation's path",
            ),
            (
                ParameterProblem::Missing { source: Query, name: "callback_url" },
                "`{$request.query.callback_url}` reads the query parameter `callback_url`, which the operation does not declare",
            ),
            (
                ParameterProblem::Missing { source: Header, name: "X-Hook" },
                "`{$request.header.X-Hook}` reads the header parameter `X-Hook`, which the operation does not declare",
            ),
            (
                ParameterProblem::Ambiguous { name: "id" },
                "`{$id}` is ambiguous: several parameters of the operation are named `id`; \
                 write the spec form, e.g. `{$request.query.id}`",
            ),
        ];
        for (problem, text) in cases {
            assert_eq!(problem.to_string(), text);
        }
    }

    #[test]
    fn the_source_of_an_expression() {
        let read = |text: &str| {
            let expr = Expression::parse_with(text, true).unwrap();
            ParameterSource::of(&expr).map(|(source, name)| (source, name.to_owned()))
        };
        assert_eq!(
            read("$callback_url"),
            Some((Shorthand, "callback_url".to_owned()))
        );
        assert_eq!(read("$request.path.id"), Some((Path, "id".to_owned())));
        assert_eq!(read("$request.query.q"), Some((Query, "q".to_owned())));
        assert_eq!(
            read("$request.header.X-A"),
            Some((Header, "X-A".to_owned()))
        );
        assert_eq!(read("$request.body#/id"), None);
        assert_eq!(read("$response.header.Location"), None);
        assert_eq!(read("$method"), None);
    }
}
