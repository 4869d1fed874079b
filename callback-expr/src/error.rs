use std::fmt;
use std::ops::Range;

/// Why a template or an expression is malformed, and where.
///
/// `span` is a byte range into the parsed text, so a caller can point at the
/// offending part (the macros turn it into a sub-span of the string literal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte range of the offending part of the input.
    pub span: Range<usize>,
    /// What is wrong and what was expected.
    pub message: String,
    /// How to fix the most common mistakes, when we can tell.
    pub help: Option<String>,
}

impl ParseError {
    pub(crate) fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        ParseError {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Moves the span right by `offset` bytes (for an expression parsed
    /// inside a template).
    pub(crate) fn shifted(mut self, offset: usize) -> Self {
        self.span = self.span.start + offset..self.span.end + offset;
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "; help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}
