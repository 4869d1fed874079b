//! Attach callback groups to their operations: resolve FastAPI shorthands,
//! check every expression against the operation, and place each callback
//! inline (group used by one operation) or in `components/callbacks`
//! (group shared by several).

use std::collections::{BTreeMap, HashMap};

use callback_expr::{Expression, Source, Template};
use schemars::SchemaGenerator;
use serde_json::Value;

use super::{schema_pointer, Mounted};
use crate::describe::{CallbackGroup, CallbackSpec, OperationBuilder};
use crate::openapi::{Callback, Components, Operation, ParameterIn, RefOr, Response};

type Described<'m> = (String, &'m Mounted, Operation);

pub(super) fn attach(
    generator: &mut SchemaGenerator,
    operations: &mut [Described<'_>],
    components: &mut Components,
    problems: &mut Vec<String>,
) {
    let mut uses: HashMap<(&str, &str), usize> = HashMap::new();
    for (_, m, _) in operations.iter() {
        for group in m.spec.callbacks {
            *uses.entry(group_key(group)).or_default() += 1;
        }
    }
    for (path, m, operation) in operations.iter_mut() {
        let parent = format!(
            "operation `{}` (`{} {path}`)",
            m.spec.handler,
            m.spec.method.as_str().to_uppercase()
        );
        for group in m.spec.callbacks {
            let shared = uses[&group_key(group)] > 1;
            for spec in group.callbacks {
                let context = Context {
                    parent: &parent,
                    group,
                    spec,
                };
                let Some(callback) = describe_callback(generator, operation, &context, problems)
                else {
                    continue;
                };
                let entry = if shared {
                    share(components, spec.name, callback, &context, problems)
                } else {
                    RefOr::Item(callback)
                };
                if operation
                    .callbacks
                    .insert(spec.name.to_owned(), entry)
                    .is_some()
                {
                    problems.push(format!(
                        "{parent} has two callbacks named `{}`; rename one of them",
                        spec.name
                    ));
                }
            }
        }
    }
}

fn group_key(group: &CallbackGroup) -> (&'static str, &'static str) {
    (group.module_path, group.name)
}

struct Context<'a> {
    parent: &'a str,
    group: &'static CallbackGroup,
    spec: &'static CallbackSpec,
}

impl Context<'_> {
    fn problem(&self, expression: &Expression, what: impl std::fmt::Display) -> String {
        format!(
            "callback `{}` of group `{}`, attached to {}: `{{{expression}}}` {what}",
            self.spec.name, self.group.name, self.parent
        )
    }
}

/// The callback object (`{url: {method: operation}}`) for one operation.
fn describe_callback(
    generator: &mut SchemaGenerator,
    parent: &Operation,
    cx: &Context<'_>,
    problems: &mut Vec<String>,
) -> Option<Callback> {
    let template = match Template::parse_with(cx.spec.url, true) {
        Ok(template) => template,
        Err(e) => {
            problems.push(format!(
                "callback `{}` of group `{}`: {e}",
                cx.spec.name, cx.group.name
            ));
            return None;
        }
    };
    let before = problems.len();
    let resolved = template
        .try_map(|expr| {
            check(generator, parent, expr, cx).map_err(|problem| problems.push(problem))
        })
        .ok()?;
    if problems.len() > before {
        return None;
    }

    let mut builder = OperationBuilder::new(generator, Vec::new());
    (cx.spec.describe)(&mut builder);
    let mut responses = std::mem::take(&mut builder.responses);
    if responses.is_empty() {
        responses.insert("200".into(), Response::empty("Successful Response"));
    }
    let operation = Operation {
        summary: cx.spec.summary.map(str::to_owned),
        description: cx.spec.description.map(str::to_owned),
        operation_id: cx.spec.operation_id.unwrap_or(cx.spec.name).to_owned(),
        request_body: builder.request_body.take(),
        responses,
        deprecated: cx.spec.deprecated,
        ..Operation::default()
    };
    Some(BTreeMap::from([(
        resolved.to_string(),
        BTreeMap::from([(cx.spec.method.as_str(), operation)]),
    )]))
}

/// Puts a shared callback in `components/callbacks` and returns a reference
/// to it. Every operation the group is attached to must produce the same
/// callback object.
fn share(
    components: &mut Components,
    name: &str,
    callback: Callback,
    cx: &Context<'_>,
    problems: &mut Vec<String>,
) -> RefOr<Callback> {
    match components.callbacks.get(name) {
        Some(existing) if *existing != callback => problems.push(format!(
            "callback `{name}` of group `{}` differs between the operations it is attached to (at {}): \
             its shorthand expressions resolve differently, or another group has a callback of the same name",
            cx.group.name, cx.parent
        )),
        Some(_) => {}
        None => {
            components.callbacks.insert(name.to_owned(), callback);
        }
    }
    RefOr::Ref {
        reference: format!("#/components/callbacks/{name}"),
    }
}

/// Checks one expression against the parent operation and returns its spec
/// form (shorthands resolved).
fn check(
    generator: &SchemaGenerator,
    parent: &Operation,
    expr: &Expression,
    cx: &Context<'_>,
) -> Result<Expression, String> {
    match expr {
        Expression::Shorthand(name) => {
            let found: Vec<_> = parent
                .parameters
                .iter()
                .filter(|p| parameter_matches(p.location, &p.name, name))
                .collect();
            match found.as_slice() {
                [one] => Ok(Expression::Request(source(one.location, &one.name))),
                [] => Err(cx.problem(
                    expr,
                    format!(
                        "names no parameter of the operation; declare a query, path or header parameter `{name}`, \
                         or write the spec form, e.g. `{{$request.query.{name}}}`"
                    ),
                )),
                _ => Err(cx.problem(
                    expr,
                    "is ambiguous: several parameters have that name; write the spec form, e.g. `{$request.query.NAME}`",
                )),
            }
        }
        Expression::Request(Source::Query(name)) => {
            declared(parent, ParameterIn::Query, name, expr, cx)
        }
        Expression::Request(Source::Path(name)) => {
            declared(parent, ParameterIn::Path, name, expr, cx)
        }
        Expression::Request(Source::Header(name)) => {
            declared(parent, ParameterIn::Header, name, expr, cx)
        }
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
                .map(|()| expr.clone())
                .map_err(|what| cx.problem(expr, what))
        }
        Expression::Response(Source::Body(pointer)) => {
            let schemas: Vec<&Value> = parent
                .responses
                .values()
                .filter_map(|r| r.content.get("application/json"))
                .map(|m| &m.schema)
                .collect();
            if schemas.is_empty() {
                return Err(cx.problem(
                    expr,
                    "reads the response body, but the operation declares no JSON response",
                ));
            }
            let mut last = String::new();
            for schema in schemas {
                match pointer_in(generator, schema, pointer.tokens()) {
                    Ok(()) => return Ok(expr.clone()),
                    Err(what) => last = what,
                }
            }
            Err(cx.problem(expr, last))
        }
        _ => Ok(expr.clone()),
    }
}

fn parameter_matches(location: ParameterIn, declared: &str, wanted: &str) -> bool {
    match location {
        ParameterIn::Header => declared.eq_ignore_ascii_case(wanted),
        _ => declared == wanted,
    }
}

fn source(location: ParameterIn, name: &str) -> Source {
    match location {
        ParameterIn::Query => Source::Query(name.to_owned()),
        ParameterIn::Path => Source::Path(name.to_owned()),
        ParameterIn::Header | ParameterIn::Cookie => Source::Header(name.to_owned()),
    }
}

fn declared(
    parent: &Operation,
    location: ParameterIn,
    name: &str,
    expr: &Expression,
    cx: &Context<'_>,
) -> Result<Expression, String> {
    if parent
        .parameters
        .iter()
        .any(|p| p.location == location && parameter_matches(location, &p.name, name))
    {
        return Ok(expr.clone());
    }
    let declared: Vec<String> = parent
        .parameters
        .iter()
        .filter(|p| p.location == location)
        .map(|p| format!("`{}`", p.name))
        .collect();
    let listing = if declared.is_empty() {
        "none".to_owned()
    } else {
        declared.join(", ")
    };
    Err(cx.problem(
        expr,
        format!(
            "reads the {} parameter `{name}`, which the operation does not declare (its {} parameters: {listing})",
            format!("{location:?}").to_lowercase(),
            format!("{location:?}").to_lowercase()
        ),
    ))
}

fn pointer_in(
    generator: &SchemaGenerator,
    schema: &Value,
    tokens: &[String],
) -> Result<(), String> {
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
