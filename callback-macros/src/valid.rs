//! Checks of what depends on several parts of a model at once; each part
//! alone was checked as it was read (`attr`, `ast`).

use syn::Type;

use crate::ast::{Group, Route};
use crate::attr::DeclarationAttr;
use crate::errors::Errors;

/// A `web::Path<(A, B)>` argument extracts as many values as the path has
/// parameters.
pub fn route(route: &Route, errors: &Errors) {
    let path = &route.attr.path;
    for ty in &route.inputs {
        let Some(count) = path_tuple_len(ty) else {
            continue;
        };
        if count != path.names.len() {
            let names = if path.names.is_empty() {
                String::new()
            } else {
                format!(": {}", path.names.join(", "))
            };
            errors.spanned(
                ty,
                format!(
                    "this `Path` extracts {count} value(s) but the path `{}` has {} parameter(s){names}",
                    path.lit.value(),
                    path.names.len(),
                ),
            );
        }
    }
}

/// No two declarations of a group share a name: the second would
/// overwrite the first in the document.
pub fn group<A: DeclarationAttr>(group: &Group<A>, errors: &Errors) {
    for (i, declaration) in group.declarations.iter().enumerate() {
        let name = &declaration.name;
        if group.declarations[..i].iter().any(|d| d.name == *name) {
            errors.error(
                name.span(),
                format!(
                    "two {noun}s named `{name}` in one group: the second would overwrite the first",
                    noun = A::NOUN
                ),
            );
        }
    }
}

/// For `Path<(A, B)>` written as a tuple, the number of values it extracts.
fn path_tuple_len(ty: &Type) -> Option<usize> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Path" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(Type::Tuple(t)) => Some(t.elems.len()),
        _ => None,
    }
}
