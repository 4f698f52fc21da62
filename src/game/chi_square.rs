//! Pearson's chi-square goodness-of-fit test: do observed counts follow given probabilities?

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// The outcome of a test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub degrees_of_freedom: usize,
    /// The chance of a deviation at least this large if the counts follow the probabilities.
    pub p_value: f64,
}

/// Tests `observed` counts against `probabilities` (same order, summing to 1). Categories
/// whose expected count is below 5 are pooled into one, as the test needs. None when fewer
/// than two categories remain or nothing was observed.
pub fn chi_square(observed: &[u64], probabilities: &[f64]) -> Option<ChiSquare> {
    let total: u64 = observed.iter().sum();
    if total == 0 || observed.len() != probabilities.len() {
        return None;
    }
    let n = total as f64;
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let mut pooled = (0.0, 0.0);
    for (&o, &p) in observed.iter().zip(probabilities) {
        let expected = p * n;
        if expected < 5.0 {
            pooled = (pooled.0 + o as f64, pooled.1 + expected);
        } else {
            cells.push((o as f64, expected));
        }
    }
    if pooled.1 > 0.0 || pooled.0 > 0.0 {
        cells.push(pooled);
    }
    if cells.len() < 2 {
        return None;
    }
    let statistic: f64 = cells
        .iter()
        .map(|&(o, e)| {
            if e > 0.0 {
                (o - e).powi(2) / e
            } else if o > 0.0 {
                f64::INFINITY
            } else {
                0.0
            }
        })
        .sum();
    let degrees_of_freedom = cells.len() - 1;
    let p_value = ChiSquared::new(degrees_of_freedom as f64).map_or(0.0, |d| d.sf(statistic));
    Some(ChiSquare { statistic, degrees_of_freedom, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_that_follow_the_probabilities_pass_and_skewed_ones_fail() {
        let fair = chi_square(&[2_510, 2_490, 5_000], &[0.25, 0.25, 0.5]).expect("testable");
        assert_eq!(fair.degrees_of_freedom, 2);
        assert!(fair.p_value > 0.5, "{fair:?}");
        let skewed = chi_square(&[3_000, 2_000, 5_000], &[0.25, 0.25, 0.5]).expect("testable");
        assert!(skewed.p_value < 1e-6, "{skewed:?}");
        // A known value: statistic 3.841 with one degree of freedom is p = 0.05.
        let edge = chi_square(&[5_098, 4_902], &[0.5, 0.5]).expect("testable");
        assert!((edge.statistic - 3.8416).abs() < 1e-3 && (edge.p_value - 0.05).abs() < 1e-3, "{edge:?}");
    }

    #[test]
    fn rare_categories_are_pooled() {
        let result = chi_square(&[996, 2, 2], &[0.996, 0.002, 0.002]).expect("testable");
        assert_eq!(result.degrees_of_freedom, 1, "the two rare cells are one");
        assert!(chi_square(&[0, 0], &[0.5, 0.5]).is_none());
    }
}
