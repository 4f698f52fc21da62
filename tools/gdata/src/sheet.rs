//! Reading one CSV sheet into rows whose cells are read by column name, each read
//! reporting a located [`Problem`](crate::problem::Problem) when the value is bad.
//!
//! Cell conventions: lists are separated by `|`; weighted lists are `uid*weight|uid*weight`.

use std::path::Path;

use crate::problem::Problems;

/// A sheet: its header and data rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row number as a spreadsheet shows it (header = 1).
    pub line: usize,
    cells: Vec<String>,
}

/// A row of a sheet, for reading cells with located errors.
pub struct Cells<'a> {
    sheet: &'a Sheet,
    row: &'a Row,
}

impl Sheet {
    /// Reads `dir/name`, checking that it has every column in `columns`.
    /// Returns None (with the problem recorded) when it cannot be used at all.
    pub fn read(dir: &Path, name: &str, columns: &[&str], problems: &mut Problems) -> Option<Sheet> {
        let path = dir.join(name);
        let mut reader = match csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(&path) {
            Ok(r) => r,
            Err(e) => {
                problems.sheet(name, format!("cannot be read: {e}"));
                return None;
            }
        };
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_owned).collect(),
            Err(e) => {
                problems.sheet(name, format!("has no header row: {e}"));
                return None;
            }
        };
        let mut usable = true;
        for column in columns {
            if !headers.iter().any(|h| h == column) {
                problems.at(name, 1, column, "missing column");
                usable = false;
            }
        }
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            match record {
                Ok(r) => {
                    if r.iter().all(str::is_empty) {
                        continue;
                    }
                    rows.push(Row { line, cells: r.iter().map(str::to_owned).collect() });
                }
                Err(e) => {
                    problems.0.push(crate::problem::Problem {
                        sheet: name.to_owned(),
                        row: Some(line),
                        column: None,
                        message: format!("unreadable row: {e}"),
                    });
                    usable = false;
                }
            }
        }
        usable.then(|| Sheet { name: name.to_owned(), headers, rows })
    }

    /// The header names.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Cells of each row, in order.
    pub fn each(&self) -> impl Iterator<Item = Cells<'_>> {
        self.rows.iter().map(move |row| Cells { sheet: self, row })
    }
}

impl<'a> Cells<'a> {
    /// The row number.
    pub fn line(&self) -> usize {
        self.row.line
    }

    /// The sheet name.
    pub fn sheet(&self) -> &'a str {
        &self.sheet.name
    }

    /// The text of `column` (empty if the row is short).
    pub fn str(&self, column: &str) -> &'a str {
        let index = self.sheet.headers.iter().position(|h| h == column);
        index.and_then(|i| self.row.cells.get(i)).map_or("", String::as_str)
    }

    /// Records a problem at `column` of this row.
    pub fn problem(&self, problems: &mut Problems, column: &str, message: impl Into<String>) {
        problems.at(&self.sheet.name, self.row.line, column, message);
    }

    /// A required, non-empty text.
    pub fn text(&self, column: &str, problems: &mut Problems) -> Option<String> {
        let value = self.str(column);
        if value.is_empty() {
            self.problem(problems, column, "must not be empty");
            return None;
        }
        Some(value.to_owned())
    }

    /// A whole number in `min..=max`.
    pub fn number(&self, column: &str, min: i64, max: i64, problems: &mut Problems) -> Option<i64> {
        let value = self.str(column);
        match value.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            Ok(n) => {
                self.problem(problems, column, format!("{n} is out of range {min}..={max}"));
                None
            }
            Err(_) => {
                self.problem(problems, column, format!("{value:?} is not a whole number"));
                None
            }
        }
    }

    /// A `u32` at least `min`.
    pub fn u32(&self, column: &str, min: u32, problems: &mut Problems) -> Option<u32> {
        self.number(column, i64::from(min), i64::from(u32::MAX), problems).map(|n| n as u32)
    }

    /// A `|`-separated list (empty cell: empty list).
    pub fn list(&self, column: &str) -> Vec<String> {
        let value = self.str(column);
        if value.is_empty() {
            return Vec::new();
        }
        value.split('|').map(|s| s.trim().to_owned()).collect()
    }

    /// A `uid*weight|...` list; weights must be positive whole numbers.
    pub fn weighted(&self, column: &str, problems: &mut Problems) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for item in self.list(column) {
            let Some((uid, weight)) = item.split_once('*') else {
                self.problem(problems, column, format!("{item:?} is not uid*weight"));
                continue;
            };
            match weight.trim().parse::<i64>() {
                Ok(w) if w > 0 && w <= i64::from(u32::MAX) => out.push((uid.trim().to_owned(), w as u32)),
                Ok(w) => self.problem(problems, column, format!("weight of {} must be > 0, not {w}", uid.trim())),
                Err(_) => self.problem(problems, column, format!("weight of {} is not a whole number", uid.trim())),
            }
        }
        out
    }
}
