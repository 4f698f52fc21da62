//! The rule every name a player chooses follows (nicknames, clan names, a clan search's
//! prefix): what characters may appear, so that no name hides behind invisible or
//! direction-changing characters and every name shows something; and one form for names that
//! look the same ([`nfc`]), so "Zoë" typed two ways is one name.

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{
    CanonicalCombiningClass, DefaultIgnorableCodePoint, ExtendedPictographic, GeneralCategory, JoiningType,
    UnifiedIdeograph,
};
use icu_properties::{CodePointMapData, CodePointSetData};

/// Why a name's characters are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// A control, format (zero-width, direction overrides and marks, soft hyphen, BOM),
    /// private-use, surrogate, unassigned, line or paragraph separator character, or one meant
    /// to be ignored (a filler, a variation selector) out of the places it does something.
    #[error("it contains the invisible or unassigned character U+{0:04X}")]
    Hidden(u32),
    /// Only spaces and marks: nothing a player would see.
    #[error("it has no visible character")]
    Invisible,
}

const ZWNJ: char = '\u{200c}';
const ZWJ: char = '\u{200d}';

/// `name` in Unicode's composed form (NFC): the form names are stored, compared and searched
/// in.
pub fn nfc(name: &str) -> String {
    ComposingNormalizerBorrowed::new_nfc().normalize(name).into_owned()
}

/// Checks the characters of `name` (already trimmed; lengths are the caller's rule).
///
/// Characters meant to be ignored (zero-width, fillers, variation selectors: Unicode's
/// Default_Ignorable_Code_Point) are refused, for a name with one looks the same as one
/// without, except where they do something a player sees, as IDNA's CONTEXTJ rules allow
/// (RFC 5892): the zero-width joiner or non-joiner after a virama, the non-joiner between
/// letters that join (Arabic, Persian), the joiner between emoji, an emoji's presentation
/// selector, and an ideograph's variation selector.
pub fn check(name: &str) -> Result<(), NameProblem> {
    let categories = CodePointMapData::<GeneralCategory>::new();
    let combining = CodePointMapData::<CanonicalCombiningClass>::new();
    let joining = CodePointMapData::<JoiningType>::new();
    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    let pictographic = CodePointSetData::new::<ExtendedPictographic>();
    let ideograph = CodePointSetData::new::<UnifiedIdeograph>();
    let virama = |c: char| combining.get(c) == CanonicalCombiningClass::Virama;
    let joins_after = |c: char| matches!(joining.get(c), JoiningType::DualJoining | JoiningType::LeftJoining);
    let joins_before = |c: char| matches!(joining.get(c), JoiningType::DualJoining | JoiningType::RightJoining);
    // An emoji, or what may end one before a joiner (a presentation selector, a skin tone).
    let ends_emoji = |c: char| pictographic.contains(c) || c == '\u{fe0f}' || ('\u{1f3fb}'..='\u{1f3ff}').contains(&c);
    let chars: Vec<char> = name.chars().collect();
    let mut visible = false;
    for (i, &c) in chars.iter().enumerate() {
        let (before, after) = (i.checked_sub(1).map(|b| chars[b]), chars.get(i + 1).copied());
        if ignorable.contains(c) {
            let allowed = match c {
                ZWNJ => {
                    // Marks between the letters (a vowel sign) do not break the join.
                    let transparent = |c: &&char| joining.get(**c) == JoiningType::Transparent;
                    let letter_before = chars[..i].iter().rev().find(|c| !transparent(c)).copied();
                    let letter_after = chars[i + 1..].iter().find(|c| !transparent(c)).copied();
                    before.is_some_and(virama)
                        || (letter_before.is_some_and(joins_after) && letter_after.is_some_and(joins_before))
                }
                ZWJ => {
                    before.is_some_and(virama)
                        || (before.is_some_and(ends_emoji) && after.is_some_and(|a| pictographic.contains(a)))
                }
                '\u{fe0e}' | '\u{fe0f}' => before.is_some_and(|b| pictographic.contains(b)),
                '\u{e0100}'..='\u{e01ef}' => before.is_some_and(|b| ideograph.contains(b)),
                _ => false,
            };
            if allowed {
                continue;
            }
            return Err(NameProblem::Hidden(u32::from(c)));
        }
        match categories.get(c) {
            GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator => return Err(NameProblem::Hidden(u32::from(c))),
            // The blank Braille pattern, a symbol, shows nothing (a usual trick for an
            // invisible name); nor do spaces and marks on their own.
            _ if c == '\u{2800}' => {}
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
            ("a\u{200d}", 0x200d),       // a zero-width joiner joining nothing
            ("\u{200c}ab", 0x200c),      // a zero-width non-joiner first
            ("1\u{200d}2", 0x200d),      // between digits
            ("a\u{200d}b", 0x200d),      // between Latin letters: "ab" to the eye
            ("Ki\u{200c}ngs", 0x200c),   // likewise
            ("Kings\u{3164}", 0x3164),   // a Hangul filler after a visible name
            ("a\u{34f}b", 0x34f),        // the combining grapheme joiner
            ("a\u{fe0f}", 0xfe0f),       // a presentation selector after a letter
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
    fn joiners_pass_where_they_join() {
        for name in [
            "\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}", // Persian "mi-khaham": ZWNJ after a letter
            "\u{915}\u{94d}\u{200d}\u{937}",                             // Devanagari: virama, ZWJ, letter
            "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}",               // a family emoji
            "\u{1f3f3}\u{fe0f}\u{200d}\u{1f308}",                        // the rainbow flag
            "\u{2764}\u{fe0f} Love",
            "\u{628}\u{64e}\u{200c}\u{628}", // a vowel mark between the letter and the non-joiner
            "\u{845b}\u{e0100}\u{57ce}",
        ] {
            assert_eq!(check(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn names_that_look_the_same_have_one_form() {
        assert_eq!(nfc("Zoe\u{308}"), "Zo\u{eb}");
        assert_eq!(nfc("Zo\u{eb}"), "Zo\u{eb}");
        assert_eq!(nfc("\u{1100}\u{1161}"), "\u{ac00}", "Hangul jamo compose");
    }

    #[test]
    fn a_name_must_show_something() {
        for name in ["", " ", "\u{3000}", "\u{301}\u{301}", "\u{20dd}", "\u{2800}", "\u{2800} \u{2800}"] {
            assert_eq!(check(name), Err(NameProblem::Invisible), "{name:?}");
        }
        // Fillers alone are refused as hidden characters.
        for (name, c) in [("\u{3164}", 0x3164), ("\u{115f}\u{1160}", 0x115f), ("\u{ffa0}", 0xffa0)] {
            assert_eq!(check(name), Err(NameProblem::Hidden(c)), "{name:?}");
        }
    }
}
