//! One row per measurement: the figure, its target, and whether it was met. Printed as a
//! table and written as JSON, so runs can be compared between commits.

use serde::Serialize;

/// What a row measures against: a value that must not be exceeded.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What was measured, e.g. "wasm + JS, brotli".
    pub what: String,
    /// The measured figure, in `unit`.
    pub value: f64,
    pub unit: &'static str,
    /// The target: `value` must be at most this.
    pub target: f64,
    /// How many samples the figure comes from.
    pub samples: usize,
    /// Other figures from the same run, in words (raw size, p50 beside p95, …).
    pub detail: String,
}

impl Row {
    pub fn new(what: impl Into<String>, value: f64, unit: &'static str, target: f64) -> Row {
        Row {
            what: what.into(),
            value,
            unit,
            target,
            samples: 1,
            detail: String::new(),
        }
    }

    pub fn samples(mut self, n: usize) -> Row {
        self.samples = n;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Row {
        self.detail = detail.into();
        self
    }

    pub fn pass(&self) -> bool {
        self.value <= self.target
    }
}

/// `value` with its unit, as the table shows it.
fn show(value: f64, unit: &str) -> String {
    match unit {
        "KB" | "MB" | "ms" | "s" => format!("{value:.1} {unit}"),
        "×" => format!("{value:.3}×"),
        "" => format!("{value:.0}"),
        _ => format!("{value:.2} {unit}"),
    }
}

/// The table, as Markdown (it reads well in a terminal and pastes into the README).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| what | measured | target | result | samples | detail |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | ≤ {} | {} | {} | {} |\n",
            r.what,
            show(r.value, r.unit),
            show(r.target, r.unit),
            if r.pass() { "pass" } else { "**MISS**" },
            r.samples,
            r.detail
        ));
    }
    out
}

/// The `p`-th quantile (0–1) of `values`, nearest rank. Sorts `values`.
pub fn quantile(values: &mut [f64], p: f64) -> f64 {
    assert!(!values.is_empty(), "a quantile of no samples");
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).rev().collect();
        assert_eq!(quantile(&mut v, 0.5), 51.0);
        assert_eq!(quantile(&mut v, 0.95), 95.0);
        assert_eq!(quantile(&mut v, 1.0), 100.0);
    }

    #[test]
    fn a_missed_target_is_marked() {
        let rows = [
            Row::new("a", 1.0, "ms", 2.0),
            Row::new("b", 3.0, "ms", 2.0).samples(10),
        ];
        let t = table(&rows);
        assert!(t.contains("| a | 1.0 ms | ≤ 2.0 ms | pass | 1 |"), "{t}");
        assert!(
            t.contains("| b | 3.0 ms | ≤ 2.0 ms | **MISS** | 10 |"),
            "{t}"
        );
    }
}
