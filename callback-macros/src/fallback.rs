//! What a macro emits when its input has problems: the user's item, so
//! that its name still resolves (for the rest of the crate and for
//! rust-analyzer), followed by every error, and for a group stubs of the
//! items it would have defined, so that the routes naming a broken group
//! add no errors of their own.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, ItemMod};

use crate::ast::method_of;
use crate::attr::{CratePath, GroupAttr};
use crate::expand::{group_items, Kind};

/// The handler as written, and the errors.
pub fn route(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#item #error)
}

/// The module without its declarations (and without the method attributes
/// of any other function, which would report errors of their own), with
/// the group's stubs, and the errors.
pub fn group<A: Kind>(args: TokenStream, item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    let item = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Mod(module)) => {
            // The stubs name the runtime as the group would have, when its
            // attribute can be read.
            let krate =
                syn::parse2::<GroupAttr>(args).map_or_else(|_| CratePath::default(), |a| a.krate());
            let module = without_declarations::<A>(module, &krate);
            quote!(#module)
        }
        // A trait given to `#[callbacks]` by mistake.
        Ok(Item::Trait(mut t)) => {
            for trait_item in &mut t.items {
                if let syn::TraitItem::Fn(f) = trait_item {
                    f.attrs.retain(|a| method_of(a).is_none());
                }
            }
            quote!(#t)
        }
        _ => item,
    };
    quote!(#item #error)
}

fn without_declarations<A: Kind>(mut module: ItemMod, krate: &CratePath) -> ItemMod {
    // What the declarations used (`use super::*`) would only add warnings.
    module.attrs.push(syn::parse_quote!(#[allow(unused)]));
    if let Some((brace, items)) = module.content.take() {
        let items = items
            .into_iter()
            .filter(|item| !matches!(item, Item::Verbatim(_)))
            .map(|mut item| {
                if let Item::Fn(f) = &mut item {
                    f.attrs.retain(|a| method_of(a).is_none());
                }
                item
            });
        let stubs = group_items::<A>(
            krate,
            &module.ident.to_string(),
            TokenStream::new(),
            TokenStream::new(),
            TokenStream::new(),
        );
        let stubs = syn::parse2::<syn::File>(stubs).map_or_else(|_| Vec::new(), |f| f.items);
        module.content = Some((brace, items.chain(stubs).collect()));
    }
    module
}
