//! A problem found in the sheets, located by sheet, row and column so a designer can go
//! straight to the cell.

use std::fmt;

/// One validation error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The sheet's file name, e.g. `monsters.csv`.
    pub sheet: String,
    /// The row as a spreadsheet numbers it (the header is row 1); None for the whole sheet.
    pub row: Option<usize>,
    /// The column's header; None for the whole row.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sheet)?;
        if let Some(row) = self.row {
            write!(f, " row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, " column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Collects problems as the sheets are read and checked.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Records a problem at a cell.
    pub fn at(&mut self, sheet: &str, row: usize, column: &str, message: impl Into<String>) {
        self.0.push(Problem {
            sheet: sheet.to_owned(),
            row: Some(row),
            column: Some(column.to_owned()),
            message: message.into(),
        });
    }

    /// Records a problem with a whole sheet.
    pub fn sheet(&mut self, sheet: &str, message: impl Into<String>) {
        self.0.push(Problem { sheet: sheet.to_owned(), row: None, column: None, message: message.into() });
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
