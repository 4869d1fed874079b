//! Attach callback groups to their operations: resolve FastAPI shorthands,
//! check every expression against the operation, and write each callback's
//! request inline (group used by one operation) or once in
//! `components/pathItems` (group shared by several), referred to from each
//! operation's callback. Also builds the document's `webhooks`. The
//! requests the API sends itself (callbacks of its operations, webhooks)
//! document how they are signed; nested callbacks, sent by the receivers,
//! do not.

use std::collections::{BTreeMap, HashMap};

use callback_expr::{
    find_parameter, Expression, KnownParameters, ParameterProblem, ParameterSource, Source,
    Template,
};
use indexmap::IndexMap;
use schemars::SchemaGenerator;
use serde_json::Value;

use super::{schema_pointer, security_requirements, Mounted};
use crate::describe::{
    summary_and_description, CallbackGroup, CallbackSpec, OperationBuilder, WebhookGroup,
};
use crate::openapi::{
    Callback, Components, Operation, Parameter, ParameterIn, PathItem, RefOr, StandardWebhooks,
    OPTIONAL_EXPRESSIONS, STANDARD_WEBHOOKS,
};

type Described<'m> = (String, &'m Mounted, Operation);

/// How deep callbacks of callbacks may nest. A group cannot reach itself
/// (its `__GROUP` constant would refer to itself, which rustc rejects), so
/// this only bounds the recursion defensively.
const MAX_NESTING: usize = 8;

pub(super) fn attach(
    generator: &mut SchemaGenerator,
    operations: &mut [Described<'_>],
    components: &mut Components,
    signed: &StandardWebhooks,
    problems: &mut Vec<String>,
) {
    let mut uses: HashMap<(&str, &str), usize> = HashMap::new();
    for (_, m, _) in operations.iter() {
        for group in m.callback_groups() {
            *uses.entry(group_key(group)).or_default() += 1;
        }
    }
    for (path, m, operation) in operations.iter_mut() {
        let parent = m.name(path);
        let groups: Vec<_> = (m.scope.callbacks.iter().map(|g| (*g, FROM_SCOPE)))
            .chain(m.spec.callbacks.iter().map(|g| (*g, OWN)))
            .collect();
        if !names_are_unique(&parent, &groups, problems) {
            continue;
        }
        for group in m.callback_groups() {
            let shared = uses[&group_key(group)] > 1;
            attach_group(
                generator,
                operation,
                &parent,
                group,
                shared,
                Some(&mut *components),
                Some(signed),
                0,
                problems,
            );
        }
    }
}

/// The document's `webhooks`: each webhook of each group, by name.
pub(super) fn webhooks(
    generator: &mut SchemaGenerator,
    groups: &[&'static WebhookGroup],
    signed: &StandardWebhooks,
    problems: &mut Vec<String>,
) -> IndexMap<String, PathItem> {
    let mut webhooks = IndexMap::<String, PathItem>::new();
    for group in groups.iter().map(|group| group.spec()) {
        for spec in group.callbacks() {
            let parent = format!("webhook `{}` of group `{}`", spec.name, group.name());
            let Some(name) = spec.target.webhook_name() else {
                problems.push(format!("{parent} has a URL template, not a name"));
                continue;
            };
            let mut operation = describe(generator, spec);
            sign(&mut operation, signed);
            let nested_groups: Vec<_> = spec.callbacks.iter().map(|g| (*g, OWN)).collect();
            if !names_are_unique(&parent, &nested_groups, problems) {
                continue;
            }
            for nested in spec.callbacks {
                attach_group(
                    generator,
                    &mut operation,
                    &parent,
                    nested,
                    false,
                    None,
                    None,
                    1,
                    problems,
                );
            }
            let item = webhooks.entry(name.to_owned()).or_default();
            if item.insert(spec.method.as_str(), operation).is_some() {
                problems.push(format!(
                    "two webhooks are named `{name}` with the method {}",
                    spec.method.as_str().to_uppercase()
                ));
            }
        }
    }
    webhooks
}

/// Adds every callback of `group` to `operation`, checking its expressions
/// against it; nested callbacks are attached to the callback operations in
/// turn. The requests of shared groups go to `components` when there are
/// components to share them in (top level only). The requests are
/// documented as `signed` when given (top level only: the API sends those,
/// its receivers send the nested ones).
#[allow(clippy::too_many_arguments)]
fn attach_group(
    generator: &mut SchemaGenerator,
    operation: &mut Operation,
    parent: &str,
    group: &'static CallbackGroup,
    shared: bool,
    components: Option<&mut Components>,
    signed: Option<&StandardWebhooks>,
    depth: usize,
    problems: &mut Vec<String>,
) {
    if depth > MAX_NESTING {
        problems.push(format!(
            "the callbacks of {parent} nest more than {MAX_NESTING} levels deep: does group `{}` reach itself?",
            group.name()
        ));
        return;
    }
    let mut components = components;
    for spec in group.callbacks() {
        let cx = Context {
            parent,
            group,
            spec,
        };
        let Some((url, mut callback_operation)) =
            describe_callback(generator, operation, &cx, problems)
        else {
            continue;
        };
        // Before the nested callbacks: they may read the headers.
        if let Some(signed) = signed {
            sign(&mut callback_operation, signed);
        }
        let child = format!("callback `{}` of {parent}", spec.name);
        let nested_groups: Vec<_> = spec.callbacks.iter().map(|g| (*g, OWN)).collect();
        let nested = if names_are_unique(&child, &nested_groups, problems) {
            spec.callbacks
        } else {
            &[]
        };
        for nested in nested {
            attach_group(
                generator,
                &mut callback_operation,
                &child,
                nested,
                false,
                None,
                None,
                depth + 1,
                problems,
            );
        }
        let item: PathItem = BTreeMap::from([(spec.method.as_str(), callback_operation)]);
        let item = match components.as_deref_mut() {
            Some(components) if shared => share(components, spec.name, item, &cx, problems),
            _ => RefOr::Item(item),
        };
        let callback: Callback = BTreeMap::from([(url, item)]);
        if operation
            .callbacks
            .insert(spec.name.to_owned(), callback)
            .is_some()
        {
            problems.push(format!(
                "{parent} has two callbacks named `{}`; rename one of them",
                spec.name
            ));
        }
    }
}

fn group_key(group: &CallbackGroup) -> (&'static str, &'static str) {
    (group.module_path(), group.name())
}

/// Where a group attached to an operation comes from, for the problems of
/// [`names_are_unique`].
const FROM_SCOPE: &str = "from `Api::callbacks` or `ApiScope::callbacks`";
const OWN: &str = "its own `callbacks = …`";

/// Checks that the groups attached to one operation (with where each comes
/// from) give each callback name once, and that no group is attached twice.
///
/// An operation's `callbacks` object is keyed by the callback's name, so
/// two callbacks of one name cannot both be documented; rather than let one
/// silently replace the other, the build names both groups. Returns whether
/// the names are unique.
fn names_are_unique(
    parent: &str,
    groups: &[(&'static CallbackGroup, &str)],
    problems: &mut Vec<String>,
) -> bool {
    let before = problems.len();
    let mut attached: Vec<(&CallbackGroup, &str)> = Vec::new();
    let mut names: HashMap<&str, (&CallbackGroup, &str)> = HashMap::new();
    for &(group, origin) in groups {
        if let Some((_, first)) = attached
            .iter()
            .find(|(g, _)| group_key(g) == group_key(group))
        {
            problems.push(format!(
                "{parent}: group `{}` is attached twice ({first}, and {origin}); attach it once",
                group.name()
            ));
            continue;
        }
        attached.push((group, origin));
        for spec in group.callbacks() {
            match names.get(spec.name) {
                Some((first, first_origin)) => {
                    let (first_name, name) = if first.name() == group.name() {
                        (first.module_path(), group.module_path())
                    } else {
                        (first.name(), group.name())
                    };
                    problems.push(format!(
                        "{parent}: group `{first_name}` ({first_origin}) and group `{name}` ({origin}) \
                         both have a callback named `{}`, and the operation's `callbacks` object holds \
                         one callback per name; rename one of them",
                        spec.name
                    ));
                }
                None => {
                    names.insert(spec.name, (group, origin));
                }
            }
        }
    }
    problems.len() == before
}

struct Context<'a> {
    parent: &'a str,
    group: &'static CallbackGroup,
    spec: &'static CallbackSpec,
}

impl Context<'_> {
    /// A problem of the callback where it is attached.
    fn context(&self, what: impl std::fmt::Display) -> String {
        format!(
            "callback `{}` of group `{}`, attached to {}: {what}",
            self.spec.name,
            self.group.name(),
            self.parent
        )
    }

    /// A problem of one of the callback's expressions.
    fn problem(&self, expression: &Expression, what: impl std::fmt::Display) -> String {
        self.context(format_args!("`{{{expression}}}` {what}"))
    }
}

/// The operation of a callback or webhook request.
fn describe(generator: &mut SchemaGenerator, spec: &CallbackSpec) -> Operation {
    let mut builder = OperationBuilder::new(generator, Vec::new());
    (spec.describe)(&mut builder);
    let (described, _) = builder.into_parts();
    let (summary, description) = summary_and_description(spec.docs, spec.summary, spec.description);
    Operation {
        summary,
        description,
        operation_id: spec.operation_id.unwrap_or(spec.name).to_owned(),
        request_body: described.request_body,
        responses: described.responses,
        deprecated: spec.deprecated,
        security: spec.security.map(security_requirements),
        ..Operation::default()
    }
}

/// The callback's URL in spec form, checked against `parent`, and its
/// operation.
fn describe_callback(
    generator: &mut SchemaGenerator,
    parent: &Operation,
    cx: &Context<'_>,
    problems: &mut Vec<String>,
) -> Option<(String, Operation)> {
    let Some(url) = cx.spec.target.url() else {
        problems.push(cx.context("is a webhook, not a callback"));
        return None;
    };
    let template = match Template::parse_with(url, true) {
        Ok(template) => template,
        Err(e) => {
            problems.push(format!(
                "callback `{}` of group `{}`: {e}",
                cx.spec.name,
                cx.group.name()
            ));
            return None;
        }
    };
    let mut optional = Vec::new();
    let mut failed = false;
    let resolved = template
        .try_map(|expr| match check(generator, parent, expr, cx) {
            Ok((resolved, maybe_missing)) => {
                if maybe_missing {
                    optional.push(Value::String(resolved.to_string()));
                }
                Ok(resolved)
            }
            Err(problem) => {
                problems.push(problem);
                failed = true;
                Err(())
            }
        })
        .ok()?;
    if failed {
        return None;
    }
    let mut operation = describe(generator, cx.spec);
    if !optional.is_empty() {
        operation
            .extensions
            .insert(OPTIONAL_EXPRESSIONS.to_owned(), Value::Array(optional));
    }
    Some((resolved.to_string(), operation))
}

/// Documents `operation` as a request signed the Standard Webhooks way:
/// its three headers, and the extension naming the schemes. Unsigned
/// (no scheme), it is left as it is.
fn sign(operation: &mut Operation, signed: &StandardWebhooks) {
    if signed.schemes.is_empty() {
        return;
    }
    operation.parameters.extend(signed.parameters());
    operation.extensions.insert(
        STANDARD_WEBHOOKS.to_owned(),
        serde_json::to_value(signed).expect("the extension serializes"),
    );
}

/// Puts the request of a shared callback in `components/pathItems` and
/// returns a reference to it. Every operation the group is attached to
/// must produce the same request; the callback's URL, which stays with each
/// operation, may differ (a shorthand read from the query of one operation
/// and from the path of another).
fn share(
    components: &mut Components,
    name: &str,
    item: PathItem,
    cx: &Context<'_>,
    problems: &mut Vec<String>,
) -> RefOr<PathItem> {
    match components.path_items.get(name) {
        Some(existing) if *existing != item => problems.push(format!(
            "callback `{name}` of group `{}` differs between the operations it is attached to (at {}): \
             an expression of its URL may be missing for one operation and not for another \
             (`{OPTIONAL_EXPRESSIONS}`), or another group has a callback of the same name",
            cx.group.name(), cx.parent
        )),
        Some(_) => {}
        None => {
            components.path_items.insert(name.to_owned(), item);
        }
    }
    RefOr::Ref {
        reference: format!("#/components/pathItems/{name}"),
    }
}

/// Checks one expression against the parent operation and returns its spec
/// form (shorthands resolved) and whether its value may be missing.
fn check(
    generator: &SchemaGenerator,
    parent: &Operation,
    expr: &Expression,
    cx: &Context<'_>,
) -> Result<(Expression, bool), String> {
    if let Some((source, name)) = ParameterSource::of(expr) {
        return read_parameter(parent, expr, source, name).map_err(|problem| cx.context(problem));
    }
    match expr {
        Expression::Request(Source::Body(pointer)) => {
            let Some(body) = parent
                .request_body
                .as_ref()
                .and_then(|b| b.content.get("application/json"))
            else {
                return Err(cx.problem(
                    expr,
                    "reads the request body, but the operation takes no JSON body",
                ));
            };
            pointer_in(generator, &body.schema, pointer.tokens())
                .map(|optional| (expr.clone(), optional))
                .map_err(|what| cx.problem(expr, what))
        }
        Expression::Response(Source::Body(pointer)) => {
            // Success responses first: the error names what a client expects.
            let mut schemas: Vec<(&String, &Value)> = parent
                .responses
                .iter()
                .filter_map(|(status, r)| {
                    r.content
                        .get("application/json")
                        .map(|m| (status, &m.schema))
                })
                .collect();
            schemas.sort_by_key(|(status, _)| !status.starts_with('2'));
            if schemas.is_empty() {
                return Err(cx.problem(
                    expr,
                    "reads the response body, but the operation declares no JSON response",
                ));
            }
            let mut first_error = None;
            for (_, schema) in schemas {
                match pointer_in(generator, schema, pointer.tokens()) {
                    // Which response the API gives is not known in advance.
                    Ok(optional) => {
                        return Ok((expr.clone(), optional || parent.responses.len() > 1))
                    }
                    Err(what) => {
                        first_error.get_or_insert(what);
                    }
                }
            }
            Err(cx.problem(expr, first_error.unwrap_or_default()))
        }
        // A response header is not declared by the operation: it may be absent.
        Expression::Response(Source::Header(_)) => Ok((expr.clone(), true)),
        _ => Ok((expr.clone(), false)),
    }
}

/// Checks an expression that reads a parameter against the operation's
/// parameters with the one checker the macros use at compile time
/// ([`find_parameter`]), and returns its spec form (a shorthand resolved to
/// the parameter it names) and whether its value may be missing.
fn read_parameter<'e>(
    parent: &Operation,
    expr: &Expression,
    source: ParameterSource,
    name: &'e str,
) -> Result<(Expression, bool), ParameterProblem<'e>> {
    let declared = |location: ParameterIn| -> Vec<&Parameter> {
        parent
            .parameters
            .iter()
            .filter(|p| p.location == location)
            .collect()
    };
    fn names<'p>(list: &[&'p Parameter]) -> Vec<&'p str> {
        list.iter().map(|p| p.name.as_str()).collect()
    }
    let path = declared(ParameterIn::Path);
    let query = declared(ParameterIn::Query);
    let header = declared(ParameterIn::Header);
    let (path_names, query_names, header_names) = (names(&path), names(&query), names(&header));
    let known = KnownParameters {
        path: &path_names,
        query: Some(&query_names),
        header: Some(&header_names),
    };
    // Every list is known here, so the parameter is found or missing.
    let Some(found) = find_parameter(source, name, &known)? else {
        return Ok((expr.clone(), true));
    };
    let parameter = match found.source {
        ParameterSource::Path => path[found.index],
        ParameterSource::Query => query[found.index],
        _ => header[found.index],
    };
    let expr = match (source, found.source) {
        (ParameterSource::Shorthand, ParameterSource::Path) => {
            Expression::Request(Source::Path(parameter.name.clone()))
        }
        (ParameterSource::Shorthand, ParameterSource::Query) => {
            Expression::Request(Source::Query(parameter.name.clone()))
        }
        (ParameterSource::Shorthand, _) => {
            Expression::Request(Source::Header(parameter.name.clone()))
        }
        _ => expr.clone(),
    };
    Ok((expr, !parameter.required))
}

fn pointer_in(
    generator: &SchemaGenerator,
    schema: &Value,
    tokens: &[String],
) -> Result<bool, String> {
    schema_pointer::resolve(generator.definitions(), schema, tokens).map_err(|u| {
        let in_type = u
            .in_type
            .map_or_else(|| "the body".to_owned(), |t| format!("type `{t}`"));
        let known = if u.known.is_empty() {
            String::new()
        } else {
            format!(" (its properties: {})", u.known.join(", "))
        };
        format!(
            "points at `{}`, which {in_type} does not have{known}",
            u.token
        )
    })
}
