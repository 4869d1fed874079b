//! `crate = "…"`: the path the generated code names the runtime by, for an
//! app whose Cargo.toml renames the dependency (as serde's `crate = "…"`).

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::ParseStream;
use syn::{LitStr, Path, Token};

const EXPECTED: &str =
    "expected the path of the runtime crate as a string, e.g. `crate = \"callback_runtime\"`";

/// The runtime crate, as the generated code names it: `::callback_runtime`
/// unless `crate = "…"` says otherwise.
#[derive(Clone)]
pub struct CratePath(Path);

impl Default for CratePath {
    fn default() -> Self {
        CratePath(syn::parse_quote!(::callback_runtime))
    }
}

impl CratePath {
    /// `= "cbr"`: a name alone is a crate's and becomes `::cbr`, as the
    /// default `::callback_runtime` is written, so that no item of the same
    /// name in the user's module can shadow it; a longer path (`crate`,
    /// `self::runtime`, `facade::runtime`) is used as written.
    pub fn parse_value(input: ParseStream<'_>) -> syn::Result<Self> {
        input.parse::<Token![=]>()?;
        let lit: LitStr = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), EXPECTED))?;
        let mut path = lit.parse_with(Path::parse_mod_style).map_err(|_| {
            syn::Error::new(
                lit.span(),
                format!("{:?} is not a path: {EXPECTED}", lit.value()),
            )
        })?;
        let crate_name = match path.get_ident() {
            Some(ident) => !["crate", "self", "super", "Self"]
                .iter()
                .any(|keyword| ident == keyword),
            None => false,
        };
        if crate_name {
            path.leading_colon = Some(Token![::](lit.span()));
        }
        Ok(CratePath(path))
    }
}

impl ToTokens for CratePath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}
