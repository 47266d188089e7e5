//! The manifest's text, for errors at their `file:line:col`.

use std::{ops::Range, path::Path};

use crate::Error;

/// The manifest's path and text: turns byte spans into `file:line:col` errors.
pub(super) struct ManifestText<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl ManifestText<'_> {
    /// An error at `span` of the manifest.
    pub(super) fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        let before = &self.text[..span.start.min(self.text.len())];
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let line = self.line(span.start);
        Error::Manifest { path: self.path.into(), line, col, message: message.into() }
    }

    /// `file:line:col` of a span, for errors found later (on the node).
    pub(super) fn location(&self, span: Range<usize>) -> String {
        match self.err(span, "") {
            Error::Manifest { path, line, col, .. } => format!("{}:{line}:{col}", path.display()),
            _ => unreachable!("ManifestText::err makes manifest errors"),
        }
    }

    /// The 1-based line of a byte offset.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }
}
