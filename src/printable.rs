//! Text from the network or from files, made safe to print.

use std::borrow::Cow;

/// `text` with control characters other than tab replaced by U+FFFD, so
/// that no report replays a terminal escape sequence it was handed.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\t';
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if bad(c) {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_replaced_and_clean_text_borrowed() {
        assert!(matches!(
            printable("mx.example.org\tok"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            printable("a\u{1b}[31mb\r\n"),
            "a\u{fffd}[31mb\u{fffd}\u{fffd}"
        );
    }
}
