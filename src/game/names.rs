//! The rule every name a player chooses follows (nicknames, clan names, a clan search's
//! prefix): what characters may appear, so that no name hides behind invisible or
//! direction-changing characters and every name shows something.

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

/// Why a name's characters are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// A control, format (zero-width, direction overrides and marks, soft hyphen, BOM),
    /// private-use, surrogate, unassigned, line or paragraph separator character.
    #[error("it contains the invisible or unassigned character U+{0:04X}")]
    Hidden(u32),
    /// Only spaces and marks: nothing a player would see.
    #[error("it has no visible character")]
    Invisible,
}

/// Checks the characters of `name` (already trimmed; lengths are the caller's rule).
pub fn check(name: &str) -> Result<(), NameProblem> {
    let categories = CodePointMapData::<GeneralCategory>::new();
    let mut visible = false;
    for c in name.chars() {
        match categories.get(c) {
            GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator => return Err(NameProblem::Hidden(u32::from(c))),
            // Spaces and combining marks show nothing on their own; nor do the Hangul fillers
            // and the blank Braille pattern, filed as letters and symbols (a usual trick for
            // an invisible name).
            _ if matches!(c, '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' | '\u{2800}') => {}
            GeneralCategory::SpaceSeparator
            | GeneralCategory::NonspacingMark
            | GeneralCategory::EnclosingMark
            | GeneralCategory::SpacingMark => {}
            _ => visible = true,
        }
    }
    if visible { Ok(()) } else { Err(NameProblem::Invisible) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_script_pass() {
        for name in ["Tourist", "관리자", "ゆうしゃ", "Zoë", "Ελένη", "المحارب", "a b", "x_1", "🐉 Dragon", "e\u{301}"]
        {
            assert_eq!(check(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn hidden_characters_are_refused_by_code_point() {
        for (name, c) in [
            ("abc\u{202e}def", 0x202e),  // right-to-left override
            ("a\u{200b}b", 0x200b),      // zero-width space
            ("a\u{200d}b", 0x200d),      // zero-width joiner
            ("\u{feff}name", 0xfeff),    // byte-order mark
            ("soft\u{ad}hyphen", 0xad),  // soft hyphen
            ("tab\tname", 0x9),          // control
            ("priv\u{e000}", 0xe000),    // private use
            ("new\u{378}", 0x378),       // unassigned
            ("line\u{2028}sep", 0x2028), // line separator
            ("iso\u{2066}late", 0x2066), // direction isolate
        ] {
            assert_eq!(check(name), Err(NameProblem::Hidden(c)), "{name:?}");
        }
    }

    #[test]
    fn a_name_must_show_something() {
        for name in ["", " ", "\u{3000}", "\u{301}\u{301}", "\u{20dd}", "\u{3164}", "\u{2800}\u{ffa0}"] {
            assert_eq!(check(name), Err(NameProblem::Invisible), "{name:?}");
        }
    }
}
