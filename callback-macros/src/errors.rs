//! The one sink for the errors of a macro invocation.
//!
//! Every stage pushes the problems it finds here instead of returning at
//! the first, so that one compile reports every mistake of an attribute
//! (and of the item under it) at once. The sink must be emptied with
//! [`Errors::check`] or [`Errors::finish`]: dropping it with errors still
//! in it is a bug of this crate, caught in tests.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// The problems found so far, in the order they were found.
pub struct Errors {
    /// `None` once taken by `check` or `finish`.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Default for Errors {
    fn default() -> Self {
        Errors {
            errors: RefCell::new(Some(Vec::new())),
        }
    }
}

impl Errors {
    pub fn new() -> Self {
        Errors::default()
    }

    /// Adds `error` (which may already hold several).
    pub fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("errors pushed after the sink was checked")
            .push(error);
    }

    /// Adds the error `message` at `span`.
    pub fn error(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Adds the error `message` spanning `tokens`.
    pub fn spanned(&self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// The value of `result`, or `None` with its error added.
    pub fn ok<T>(&self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// Whether a problem was found.
    pub fn any(&self) -> bool {
        self.errors.borrow().as_ref().is_some_and(|e| !e.is_empty())
    }

    /// Every problem found, combined into one error, if there was any.
    pub fn finish(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        match errors.into_iter().reduce(|mut all, e| {
            all.combine(e);
            all
        }) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// `model`, when it was built and no problem was found; every problem
    /// otherwise. A stage returns no model only after adding the reason.
    pub fn check<T>(self, model: Option<T>) -> syn::Result<T> {
        self.finish()?;
        model.ok_or_else(|| {
            syn::Error::new(
                Span::call_site(),
                "internal error in callback-macros: a stage failed without a message",
            )
        })
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            debug_assert!(
                self.errors.borrow().as_ref().is_none_or(Vec::is_empty),
                "errors dropped without being reported"
            );
        }
    }
}
