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

/// A cell as written: cells a spreadsheet would run as a formula (`= + - @`, tab, return)
/// get a leading `'`.
fn defused(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
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
}
