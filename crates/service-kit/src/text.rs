//! One rule for every piece of text a person writes that another person reads: names,
//! profiles, reviews, and every later service's posts and notes.
//!
//! Text is NFC-normalised (so "é" typed two ways is one string, compares equal and counts as one
//! character), trimmed, bounded in characters (not bytes), and refused if it holds characters
//! that make it display as something other than what it is:
//! - control characters (Unicode Cc), except a newline in multi-line text;
//! - format characters (Cf): bidirectional overrides and isolates (U+202A–202E, U+2066–2069)
//!   that reverse what a reader sees, zero-width spaces and joiners' look-alikes, the BOM, tag
//!   characters — except ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER (U+200C, U+200D), which
//!   Persian, Indic scripts and emoji sequences need;
//! - line and paragraph separators (U+2028, U+2029), which some renderers break lines on;
//! - private-use characters (Co), which mean nothing to anyone else.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// How one field's text is bounded.
#[derive(Debug, Clone, Copy)]
pub struct TextRule {
    pub min_chars: usize,
    pub max_chars: usize,
    /// Newlines allowed (`\r\n` and `\r` become `\n`).
    pub multiline: bool,
}

impl TextRule {
    pub const fn line(min_chars: usize, max_chars: usize) -> Self {
        TextRule {
            min_chars,
            max_chars,
            multiline: false,
        }
    }

    pub const fn paragraphs(min_chars: usize, max_chars: usize) -> Self {
        TextRule {
            min_chars,
            max_chars,
            multiline: true,
        }
    }

    /// The text as it should be stored, or what is wrong with it (a message for the field).
    pub fn clean(&self, raw: &str) -> Result<String, String> {
        let unified;
        let raw = if self.multiline && raw.contains('\r') {
            unified = raw.replace("\r\n", "\n").replace('\r', "\n");
            unified.as_str()
        } else {
            raw
        };
        let text: String = raw.trim().nfc().collect();
        let n = text.chars().count();
        if n < self.min_chars {
            return Err(if self.min_chars == 1 {
                "is required".into()
            } else {
                format!("must be at least {} characters", self.min_chars)
            });
        }
        if n > self.max_chars {
            return Err(format!("must be at most {} characters", self.max_chars));
        }
        if let Some(c) = text.chars().find(|c| !self.allowed(*c)) {
            return Err(format!(
                "must not contain the invisible or control character U+{:04X}",
                c as u32
            ));
        }
        Ok(text)
    }

    fn allowed(&self, c: char) -> bool {
        match c {
            '\n' => self.multiline,
            '\u{200C}' | '\u{200D}' => true,
            '\u{2028}' | '\u{2029}' => false,
            _ => !matches!(
                c.general_category(),
                GeneralCategory::Control | GeneralCategory::Format | GeneralCategory::PrivateUse
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: TextRule = TextRule::line(1, 20);
    const BODY: TextRule = TextRule::paragraphs(0, 50);

    #[test]
    fn normalises_trims_and_counts_characters() {
        // "é" as e + combining acute is one character after NFC.
        assert_eq!(NAME.clean("  Re\u{301}ne ").unwrap(), "R\u{e9}ne");
        assert_eq!(NAME.clean("ééééééééé\u{301}").unwrap().chars().count(), 10);
        assert!(NAME.clean("   ").is_err());
        assert!(NAME.clean("abcdefghijklmnopqrstu").is_err());
    }

    #[test]
    fn refuses_text_that_displays_as_something_else() {
        for bad in [
            "abc\u{202E}gpj.exe", // right-to-left override
            "a\u{2066}b",         // left-to-right isolate
            "zero\u{200B}width",  // zero width space
            "\u{FEFF}bom",        // byte order mark
            "tag\u{E0041}",       // tag character
            "bell\u{7}",          // control
            "two\nlines",         // newline in a one-line field
            "sep\u{2028}x",       // line separator
            "pua\u{E000}",        // private use
        ] {
            let e = NAME.clean(bad).unwrap_err();
            assert!(e.contains("U+"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn keeps_what_real_names_and_text_need() {
        assert_eq!(NAME.clean("می\u{200C}خواهم").unwrap(), "می\u{200C}خواهم");
        assert!(NAME.clean("👩\u{200D}⚕️").is_ok());
        assert_eq!(BODY.clean("one\r\ntwo\rthree").unwrap(), "one\ntwo\nthree");
        assert!(BODY.clean("").is_ok());
        assert!(BODY.clean("tab\there").is_err());
    }
}
