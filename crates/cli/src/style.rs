//! ANSI styles for the few things molt emphasises, applied only where `--color` allows it (see
//! [`crate::opts::GlobalOpts::color_stdout`] and [`crate::opts::GlobalOpts::color_stderr`]).

/// An ANSI style.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style(&'static str);

/// Bold: warnings in the data on stdout.
pub(crate) const BOLD: Style = Style("1");
/// Bold red: `error:`.
pub(crate) const ERROR: Style = Style("1;31");
/// Bold cyan: `hint:` and the marks of progress lines.
pub(crate) const ACCENT: Style = Style("1;36");

impl Style {
    /// `text` in this style when `on`, as it is otherwise.
    pub(crate) fn paint(self, on: bool, text: &str) -> String {
        if on { format!("\x1b[{}m{text}\x1b[0m", self.0) } else { text.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::BOLD;

    #[test]
    fn paints_only_when_on() {
        assert_eq!(BOLD.paint(true, "x"), "\x1b[1mx\x1b[0m");
        assert_eq!(BOLD.paint(false, "x"), "x");
    }
}
