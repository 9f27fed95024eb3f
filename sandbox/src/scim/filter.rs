//! SCIM list filters (`filter=userName eq "ada"`), as Slack's SCIM API reads them:
//! attribute names and operators are case-insensitive, literals are JSON strings (or
//! single-quoted, as in Slack's own `restricted eq '1'`), `and` binds tighter than `or`,
//! parentheses group, and tokens are separated by exactly one space.

use super::ScimError;
use crate::org::{GuestKind, User};

/// What a filter can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    /// `userName` (and `nickName`, the same field in Slack).
    UserName,
    /// `email`, `emails` or `emails.value`: the primary or the secondary address.
    Email,
    Active,
    /// A multi-channel guest.
    Restricted,
    /// A single-channel guest.
    UltraRestricted,
    Id,
    DisplayName,
    GivenName,
    FamilyName,
    Title,
}

impl Attr {
    fn parse(name: &str) -> Option<Attr> {
        let lower = name.to_ascii_lowercase();
        let bare = [
            "urn:ietf:params:scim:schemas:core:2.0:user:",
            "urn:scim:schemas:core:1.0:",
        ]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
        Some(match bare {
            "username" | "nickname" => Attr::UserName,
            "email" | "emails" | "emails.value" => Attr::Email,
            "active" => Attr::Active,
            "restricted" => Attr::Restricted,
            "ultra_restricted" => Attr::UltraRestricted,
            "id" => Attr::Id,
            "displayname" => Attr::DisplayName,
            "name.givenname" => Attr::GivenName,
            "name.familyname" => Attr::FamilyName,
            "title" => Attr::Title,
            _ => return None,
        })
    }

    fn is_flag(self) -> bool {
        matches!(
            self,
            Attr::Active | Attr::Restricted | Attr::UltraRestricted
        )
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// A string attribute compared with a string.
    Text(Attr, Op, String),
    /// A flag (`active`, `restricted`, `ultra_restricted`) compared with true or false.
    Flag(Attr, Op, bool),
    /// `attr pr`: the attribute has a value.
    Present(Attr),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    /// A quoted literal.
    Text(String),
    /// Anything else: an attribute, an operator, `and`/`or`, true/false/a number.
    Word(String),
}

fn err(code: &'static str) -> ScimError {
    ScimError::new(400, code)
}

fn tokens(filter: &str) -> Result<Vec<Token>, ScimError> {
    // Slack wants exactly one space between tokens.
    if filter.starts_with(' ') || filter.ends_with(' ') || filter.contains("  ") {
        return Err(err("incomplete_filter"));
    }
    let chars: Vec<char> = filter.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            ' ' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '"' => {
                // A JSON string: find its closing quote, skipping escapes.
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                if i >= chars.len() {
                    return Err(err("invalid_query"));
                }
                i += 1;
                let raw: String = chars[start..i].iter().collect();
                let text: String = serde_json::from_str(&raw).map_err(|_| err("invalid_query"))?;
                out.push(Token::Text(text));
            }
            '\'' => {
                let start = i + 1;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(err("invalid_query"));
                }
                out.push(Token::Text(chars[start..i].iter().collect()));
                i += 1;
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '(' | ')') {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

/// Parses a filter; errors carry Slack's codes: `no_filters` (nothing to compare),
/// `incomplete_filter` (a comparison without its value, or spacing other than single
/// spaces), `invalid_filter_group` (unbalanced parentheses), `invalid_query` (an unknown
/// attribute or operator, or a value of the wrong kind).
pub fn parse(filter: &str) -> Result<Filter, ScimError> {
    let tokens = tokens(filter)?;
    if tokens.is_empty() || (tokens.len() == 1 && matches!(tokens[0], Token::Word(_))) {
        return Err(err("no_filters"));
    }
    let opens = tokens.iter().filter(|t| **t == Token::Open).count();
    let closes = tokens.iter().filter(|t| **t == Token::Close).count();
    if opens != closes {
        return Err(err("invalid_filter_group"));
    }
    let mut parser = Parser { tokens, at: 0 };
    let filter = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(err(if parser.tokens[parser.at] == Token::Close {
            "invalid_filter_group"
        } else {
            "invalid_query"
        }));
    }
    Ok(filter)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.factor()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Filter, ScimError> {
        match self.tokens.get(self.at).cloned() {
            None => Err(err("incomplete_filter")),
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or()?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return Err(err("invalid_filter_group"));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Close | Token::Text(_)) => Err(err("invalid_query")),
            Some(Token::Word(name)) => {
                self.at += 1;
                let attr = Attr::parse(&name).ok_or_else(|| err("invalid_query"))?;
                let Some(Token::Word(op)) = self.tokens.get(self.at).cloned() else {
                    return Err(err("incomplete_filter"));
                };
                self.at += 1;
                if op.eq_ignore_ascii_case("pr") {
                    return Ok(Filter::Present(attr));
                }
                let op = Op::parse(&op).ok_or_else(|| err("invalid_query"))?;
                let value = self
                    .tokens
                    .get(self.at)
                    .cloned()
                    .ok_or_else(|| err("incomplete_filter"))?;
                self.at += 1;
                comparison(attr, op, value)
            }
        }
    }
}

fn comparison(attr: Attr, op: Op, value: Token) -> Result<Filter, ScimError> {
    if attr.is_flag() {
        if !matches!(op, Op::Eq | Op::Ne) {
            return Err(err("invalid_query"));
        }
        let text = match value {
            Token::Text(t) | Token::Word(t) => t.to_ascii_lowercase(),
            _ => return Err(err("incomplete_filter")),
        };
        let flag = match text.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(err("invalid_query")),
        };
        return Ok(Filter::Flag(attr, op, flag));
    }
    match value {
        Token::Text(t) => Ok(Filter::Text(attr, op, t)),
        Token::Word(_) => Err(err("invalid_query")),
        _ => Err(err("incomplete_filter")),
    }
}

fn text_values(user: &User, attr: Attr) -> Vec<&str> {
    let v = match attr {
        Attr::UserName => vec![user.username.as_str()],
        Attr::Email => vec![user.email.as_str(), user.secondary_email.as_str()],
        Attr::Id => vec![user.id.as_str()],
        Attr::DisplayName => vec![user.display_name.as_str()],
        Attr::GivenName => vec![user.first_name.as_str()],
        Attr::FamilyName => vec![user.last_name.as_str()],
        Attr::Title => vec![user.title.as_str()],
        Attr::Active | Attr::Restricted | Attr::UltraRestricted => vec![],
    };
    v.into_iter().filter(|s| !s.is_empty()).collect()
}

fn flag(user: &User, attr: Attr) -> bool {
    match attr {
        Attr::Active => !user.is_deactivated(),
        Attr::Restricted => user.guest == Some(GuestKind::MultiChannel),
        Attr::UltraRestricted => user.guest == Some(GuestKind::SingleChannel),
        _ => false,
    }
}

impl Filter {
    /// Whether `user` matches. Text compares case-insensitively (IDs exactly).
    pub fn matches(&self, user: &User) -> bool {
        match self {
            Filter::And(a, b) => a.matches(user) && b.matches(user),
            Filter::Or(a, b) => a.matches(user) || b.matches(user),
            Filter::Present(attr) if attr.is_flag() => true,
            Filter::Present(attr) => !text_values(user, *attr).is_empty(),
            Filter::Flag(attr, op, want) => (flag(user, *attr) == *want) == (*op == Op::Eq),
            Filter::Text(attr, op, want) => {
                let fold = |s: &str| {
                    if *attr == Attr::Id {
                        s.to_string()
                    } else {
                        s.to_lowercase()
                    }
                };
                let want = fold(want);
                let values = text_values(user, *attr);
                if *op == Op::Ne {
                    return values.iter().all(|v| fold(v) != want);
                }
                values.iter().any(|v| {
                    let v = fold(v);
                    match op {
                        Op::Eq => v == want,
                        Op::Co => v.contains(&want),
                        Op::Sw => v.starts_with(&want),
                        Op::Ew => v.ends_with(&want),
                        Op::Gt => v > want,
                        Op::Ge => v >= want,
                        Op::Lt => v < want,
                        Op::Le => v <= want,
                        Op::Ne => unreachable!("handled above"),
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(filter: &str) -> &'static str {
        parse(filter).unwrap_err().code
    }

    #[test]
    fn parses_slacks_filters() {
        assert_eq!(
            parse(r#"userName eq "ada""#).unwrap(),
            Filter::Text(Attr::UserName, Op::Eq, "ada".into())
        );
        assert_eq!(
            parse(r#"USERNAME Eq "Ada""#).unwrap(),
            Filter::Text(Attr::UserName, Op::Eq, "Ada".into())
        );
        assert_eq!(
            parse("restricted eq '1'").unwrap(),
            Filter::Flag(Attr::Restricted, Op::Eq, true)
        );
        assert_eq!(
            parse("active eq false").unwrap(),
            Filter::Flag(Attr::Active, Op::Eq, false)
        );
        assert_eq!(
            parse(r#"emails.value eq "a@b.example""#).unwrap(),
            Filter::Text(Attr::Email, Op::Eq, "a@b.example".into())
        );
        let both = parse(r#"(email sw "a" or email sw "b") and active eq true"#).unwrap();
        assert!(matches!(both, Filter::And(_, _)));
        let precedence = parse(r#"id eq "W1" or id eq "W2" and active eq true"#).unwrap();
        assert!(matches!(precedence, Filter::Or(_, _)), "and binds tighter");
        assert_eq!(
            parse(r#"title eq "say \"hi\"""#).unwrap(),
            Filter::Text(Attr::Title, Op::Eq, "say \"hi\"".into())
        );
    }

    #[test]
    fn malformed_filters_get_slacks_codes() {
        assert_eq!(code("foo"), "no_filters");
        assert_eq!(code("userName eq"), "incomplete_filter");
        assert_eq!(code(r#"userName  eq "a""#), "incomplete_filter");
        assert_eq!(code(r#"(userName eq "a""#), "invalid_filter_group");
        assert_eq!(code(r#"userName eq "a")"#), "invalid_filter_group");
        assert_eq!(code(r#"shoeSize eq "9""#), "invalid_query");
        assert_eq!(code(r#"userName is "a""#), "invalid_query");
        assert_eq!(code("active gt true"), "invalid_query");
        assert_eq!(code("userName eq ada"), "invalid_query");
        assert_eq!(code(r#"userName eq "unterminated"#), "invalid_query");
    }
}
