//! Sentences that name a value some roles may not see, written once and read by many.
//!
//! A change's sentence ("Moved Ada's expiration on HQ from 10 Apr 2027 to 11 Apr 2027") is
//! stored in the audit log and in job rows, and read later by people whose roles hide
//! different fields. The value is therefore kept in the sentence with what to say instead,
//! and each reader gets the sentence as their role may read it ([`Reader::render`]): the
//! hidden value is replaced when it is read, never when it is written.
//!
//! A marked part is `OPEN field[!] SEP shown SEP instead CLOSE`, with three characters of
//! Unicode's private use area. `!` marks a value the person who made the change gave
//! themselves (the address they typed): they read it back whatever their role hides.
//! Parts nest. Text from outside (names, reasons) is passed through [`plain`] first, so it
//! cannot forge a mark.

use std::borrow::Cow;

use roster_api::Field;

const OPEN: char = '\u{E000}';
const SEP: char = '\u{E001}';
const CLOSE: char = '\u{E002}';

/// What a reader gets for a sentence whose marks cannot be read (a bug, never data).
/// What an address in someone's free text reads as to a role that does not see addresses.
pub const HIDDEN_ADDRESS: &str = "[address hidden by your role]";

const UNREADABLE: &str = "(This text cannot be shown.)";

/// `text` with the mark characters removed: names, reasons and addresses that come from
/// people or from Slack go through this before they are put in a sentence.
pub fn plain(text: &str) -> Cow<'_, str> {
    if text.contains([OPEN, SEP, CLOSE]) {
        text.replace([OPEN, SEP, CLOSE], "").into()
    } else {
        text.into()
    }
}

fn mark(field: Field, given: bool, shown: &str, instead: &str) -> String {
    format!(
        "{OPEN}{}{}{SEP}{shown}{SEP}{instead}{CLOSE}",
        field.as_str(),
        if given { "!" } else { "" }
    )
}

/// `shown` names a value of `field`; a reader whose role hides it reads `instead`.
pub fn private(field: Field, shown: &str, instead: &str) -> String {
    mark(field, false, shown, instead)
}

/// Like [`private`], for a value the person making the change gave themselves: they read it
/// back; other readers whose role hides `field` read `instead`.
pub fn given(field: Field, shown: &str, instead: &str) -> String {
    mark(field, true, shown, instead)
}

/// Who reads a stored sentence.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    /// Whether the reader's role hides a field.
    pub hides: &'a dyn Fn(Field) -> bool,
    /// The reader made the change the sentence describes.
    pub is_actor: bool,
}

impl Reader<'_> {
    /// The sentence as this reader may read it.
    pub fn render(&self, text: &str) -> String {
        if !text.contains([OPEN, SEP, CLOSE]) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        match self.part(&mut chars, &mut out, None) {
            Some(None) => out,
            _ => UNREADABLE.to_string(),
        }
    }

    /// Renders until `end` (or the end of the text when `None`) into `out`. Returns what
    /// ended the part (`Some(None)`: the text's end), or `None` when the marks do not pair.
    fn part(
        &self,
        chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
        out: &mut String,
        end: Option<&[char]>,
    ) -> Option<Option<char>> {
        while let Some(c) = chars.next() {
            match c {
                OPEN => {
                    let mut header = String::new();
                    loop {
                        match chars.next()? {
                            SEP => break,
                            OPEN | CLOSE => return None,
                            h => header.push(h),
                        }
                    }
                    let (name, given) = match header.strip_suffix('!') {
                        Some(name) => (name, true),
                        None => (header.as_str(), false),
                    };
                    let field = Field::ALL.into_iter().find(|f| f.as_str() == name)?;
                    let visible = !(self.hides)(field) || (given && self.is_actor);
                    let mut shown = String::new();
                    if self.part(chars, &mut shown, Some(&[SEP]))? != Some(SEP) {
                        return None;
                    }
                    let mut instead = String::new();
                    if self.part(chars, &mut instead, Some(&[CLOSE]))? != Some(CLOSE) {
                        return None;
                    }
                    out.push_str(if visible { &shown } else { &instead });
                }
                SEP | CLOSE => {
                    return end.filter(|e| e.contains(&c)).map(|_| Some(c));
                }
                c => out.push(c),
            }
        }
        // The text ended: fine at the top, unpaired inside a mark.
        end.is_none().then_some(None)
    }
}

/// What reads as an email address in free text someone wrote (a reason, a job's title),
/// put in `instead`'s words: free text is shown to others as written, but a role that does
/// not see addresses does not read one there either.
pub fn without_addresses(text: &str, instead: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let core = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '"', '\'']);
        let looks_like_address = core
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if looks_like_address {
            let tail = &word[core.len()..];
            out.push_str(instead);
            out.push_str(tail);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '<' | '>' | '(' | '[' | '"' | ',' | ';') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Whether `text` still holds marks (tests: nothing leaves the server unrendered).
pub fn is_marked(text: &str) -> bool {
    text.contains([OPEN, SEP, CLOSE])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, hidden: &[Field], is_actor: bool) -> String {
        let hides = |f: Field| hidden.contains(&f);
        Reader {
            hides: &hides,
            is_actor,
        }
        .render(text)
    }

    #[test]
    fn each_reader_reads_what_their_role_shows() {
        let text = format!(
            "Moved Ada's expiration{} to {}.",
            private(Field::Expires, " from 10 Apr 2027", ""),
            given(
                Field::Expires,
                "11 Apr 2027",
                "a date your role does not show"
            ),
        );
        assert_eq!(
            read(&text, &[], false),
            "Moved Ada's expiration from 10 Apr 2027 to 11 Apr 2027."
        );
        assert_eq!(
            read(&text, &[Field::Expires], true),
            "Moved Ada's expiration to 11 Apr 2027."
        );
        assert_eq!(
            read(&text, &[Field::Expires], false),
            "Moved Ada's expiration to a date your role does not show."
        );
        assert_eq!(
            read(&text, &[Field::Email], false),
            read(&text, &[], false),
            "another field hidden changes nothing"
        );
    }

    #[test]
    fn marks_nest() {
        let inner = private(Field::Email, "pat@example.com", "an address");
        let text = private(Field::Expires, &format!("{inner} until May"), &inner);
        assert_eq!(read(&text, &[], false), "pat@example.com until May");
        assert_eq!(read(&text, &[Field::Expires], false), "pat@example.com");
        assert_eq!(
            read(&text, &[Field::Expires, Field::Email], false),
            "an address"
        );
    }

    #[test]
    fn addresses_in_free_text_can_be_left_out() {
        assert_eq!(
            without_addresses("dup of pat.lee@larkspur.example, until May.", "[address]"),
            "dup of [address], until May."
        );
        assert_eq!(
            without_addresses("(see <ops@x.example>) @channel a@b", "[address]"),
            "(see <[address]>) @channel a@b"
        );
    }

    #[test]
    fn outside_text_cannot_forge_a_mark_and_broken_marks_show_nothing() {
        let forged = format!("{OPEN}email{SEP}x{SEP}");
        assert_eq!(plain(&forged), "emailx");
        let secret = private(Field::Email, "pat@example.com", "an address");
        for broken in [
            format!("{forged}{secret}"),
            format!("{secret}{CLOSE}"),
            format!("{OPEN}nofield{SEP}a{SEP}b{CLOSE}"),
            secret[..secret.len() - 3].to_string(),
        ] {
            let seen = read(&broken, &[Field::Email], false);
            assert!(!seen.contains("pat@"), "{seen}");
            assert!(!is_marked(&seen), "{seen:?}");
        }
        assert_eq!(read("no marks", &[Field::Email], false), "no marks");
    }
}
