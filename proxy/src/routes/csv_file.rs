//! CSV downloads (the users, audit and job-error exports), written by the `csv` crate.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};

use crate::error::AppError;

/// A CSV file being written: a header row, then records; sent as an attachment.
#[derive(Debug)]
pub struct CsvFile {
    name: String,
    writer: csv::Writer<Vec<u8>>,
}

/// Where a spreadsheet may start a new cell while opening the file: the separators of
/// every locale (`,` and `;`), tab, and line breaks.
const SPLITS: [char; 5] = [',', ';', '\t', '\r', '\n'];
/// What a spreadsheet reads as the start of a formula.
const FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written: every place a spreadsheet could start a cell (the cell's start, and
/// after each separator of any locale, so `;` in Excel's European settings too), when a
/// formula would begin there, gets a `'` first, so it reads as text.
fn defused(cell: &str) -> std::borrow::Cow<'_, str> {
    let starts_formula = |rest: &str| rest.trim_start_matches(' ').starts_with(FORMULA);
    let risky = starts_formula(cell)
        || cell
            .match_indices(SPLITS)
            .any(|(i, s)| starts_formula(&cell[i + s.len()..]));
    if !risky {
        return cell.into();
    }
    let mut out = String::with_capacity(cell.len() + 4);
    let mut at_start = true;
    for (i, c) in cell.char_indices() {
        if at_start && starts_formula(&cell[i..]) {
            out.push('\'');
        }
        out.push(c);
        at_start = SPLITS.contains(&c);
    }
    out.into()
}

impl CsvFile {
    /// A file named `name` whose first row is `header`.
    pub fn new(name: impl Into<String>, header: &[&str]) -> Result<Self, AppError> {
        let mut file = CsvFile {
            name: name.into(),
            writer: csv::Writer::from_writer(Vec::new()),
        };
        file.row(header.iter().copied())?;
        Ok(file)
    }

    /// Appends a record.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| defused(c.as_ref()).into_owned())
            .collect();
        self.writer
            .write_record(&cells)
            .map_err(|e| AppError::Internal(format!("cannot write the CSV: {e}")))
    }
}

impl IntoResponse for CsvFile {
    fn into_response(self) -> Response {
        let name = self.name;
        match self.writer.into_inner() {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => AppError::Internal(format!("cannot write the CSV: {e}")).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(rows: &[&[&str]]) -> String {
        let mut file = CsvFile::new("t.csv", rows[0]).unwrap();
        for row in &rows[1..] {
            file.row(row.iter()).unwrap();
        }
        String::from_utf8(file.writer.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(
            written(&[
                &["a", "b"],
                &["plain", "a,b"],
                &["say \"hi\"", "=HYPERLINK(1)"],
                &["-1", "two\nlines"]
            ]),
            "a,b\nplain,\"a,b\"\n\"say \"\"hi\"\"\",'=HYPERLINK(1)\n'-1,\"two\nlines\"\n"
        );
    }

    #[test]
    fn a_formula_after_any_separator_is_defused() {
        // Excel with `;` as its list separator splits this into three cells.
        assert_eq!(
            defused("Sam;=cmd|' /C calc'!A0;Lee"),
            "Sam;'=cmd|' /C calc'!A0;Lee"
        );
        assert_eq!(defused("a, =1+1"), "a,' =1+1");
        assert_eq!(defused("x\t@SUM(A1)"), "x\t'@SUM(A1)");
        assert_eq!(defused("line\n+1"), "line\n'+1");
        assert_eq!(defused("  =1"), "'  =1");
        for harmless in [
            "Smith-Jones",
            "a;b",
            "pat@example.com",
            "1,5",
            "C'est; la vie",
        ] {
            assert_eq!(defused(harmless), harmless);
        }
    }
}
