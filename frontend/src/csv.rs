//! Reading and writing CSV as RFC 4180 has it: quoted fields, doubled quotes inside them,
//! CRLF or LF line ends. Small enough that the `csv` crate would only add weight to the wasm.

/// Why a CSV text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// A quoted field runs to the end of the text.
    #[error("Row {row}: a quoted field has no closing quote (\").")]
    Unclosed { row: usize },
}

/// The records of `text`, each with its row number as a spreadsheet counts it (the first
/// record is row 1; a quoted line break does not start a new row). Blank lines are skipped.
/// The delimiter is a comma, or a semicolon or tab when the first line has those and no
/// comma (spreadsheets in some locales save that way).
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = delimiter(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    // Whether the current field started with a quote (and so is not plain text).
    let mut was_quoted = false;
    let mut row = 1;
    let mut chars = text.chars().peekable();
    let mut end_record = |record: &mut Vec<String>, row: &mut usize| {
        let blank = record.len() == 1 && record[0].is_empty();
        if !blank {
            records.push((*row, std::mem::take(record)));
        }
        record.clear();
        *row += 1;
    };
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            c if c == delimiter => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                record.push(std::mem::take(&mut field));
                was_quoted = false;
                end_record(&mut record, &mut row);
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err(CsvError::Unclosed { row });
    }
    if !field.is_empty() || was_quoted || !record.is_empty() {
        record.push(field);
        end_record(&mut record, &mut row);
    }
    Ok(records)
}

fn delimiter(text: &str) -> char {
    let first = text.lines().next().unwrap_or_default();
    if first.contains(',') {
        ','
    } else if first.contains(';') {
        ';'
    } else if first.contains('\t') {
        '\t'
    } else {
        ','
    }
}

/// One CSV line (with CRLF), quoting the fields that need it.
pub fn write_record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            let f = f.as_ref();
            if f.contains([',', '"', '\r', '\n', ';']) || f.starts_with(' ') || f.ends_with(' ') {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn reads_plain_and_quoted_fields() {
        assert_eq!(
            rows("email,name\r\na@x.io,\"Lee, Ada\"\r\nb@x.io,\"Say \"\"hi\"\"\"\r\n"),
            [
                vec!["email", "name"],
                vec!["a@x.io", "Lee, Ada"],
                vec!["b@x.io", "Say \"hi\""]
            ]
        );
        assert_eq!(rows("a,b\nc,d"), [vec!["a", "b"], vec!["c", "d"]]);
        assert_eq!(rows("a,,\n"), [vec!["a", "", ""]]);
        assert_eq!(rows("\u{feff}x\n\n\ny\n"), [vec!["x"], vec!["y"]]);
        assert_eq!(rows("\"\",\"\"\n\"\"\n"), [vec!["", ""]]);
    }

    #[test]
    fn numbers_rows_as_a_spreadsheet_does() {
        let parsed = parse("h1,h2\n\"multi\nline\",x\nlast,y").unwrap();
        assert_eq!(parsed[1], (2, vec!["multi\nline".into(), "x".into()]));
        assert_eq!(parsed[2].0, 3);
        assert_eq!(
            parse("a\n\"open").unwrap_err(),
            CsvError::Unclosed { row: 2 }
        );
    }

    #[test]
    fn follows_the_delimiter_of_the_header() {
        assert_eq!(
            rows("email;name\na@x.io;Ada"),
            [vec!["email", "name"], vec!["a@x.io", "Ada"]]
        );
        assert_eq!(rows("a\tb\n1\t2"), [vec!["a", "b"], vec!["1", "2"]]);
    }

    #[test]
    fn writes_what_it_reads() {
        let line = write_record(&["plain", "with, comma", "a \"quote\"", "two\nlines"]);
        assert_eq!(
            line,
            "plain,\"with, comma\",\"a \"\"quote\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(
            rows(&line),
            [vec!["plain", "with, comma", "a \"quote\"", "two\nlines"]]
        );
    }
}
