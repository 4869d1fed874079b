//! Medians and spreads of a few samples.

/// The median of `samples` (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    assert!(!samples.is_empty(), "the median of no samples");
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}

/// The `p`th percentile of `samples` (0 < `p` ≤ 100) by nearest rank: the
/// smallest sample with at least `p` % of the samples at or below it.
/// `None` for no samples.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    // The epsilon keeps a product such as 99.9 % of 1,000 (999.000…01 in
    // floating point) from rounding up a rank.
    let rank = (p / 100.0 * sorted.len() as f64 - 1e-9).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The smallest and largest of `samples`.
pub fn range(samples: &[f64]) -> (f64, f64) {
    samples
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Element-wise `a[i] / b[i]`: ratios of paired samples.
pub fn paired_ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    assert_eq!(a.len(), b.len(), "paired samples");
    a.iter().zip(b).map(|(a, b)| a / b).collect()
}

/// The slope of `log(y)` against `log(x)` by least squares: 1 for linear
/// growth, 2 for quadratic.
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let logs: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let mean_x = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance: f64 = logs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let variance: f64 = logs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    covariance / variance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50.0), Some(500.0));
        assert_eq!(percentile(&samples, 99.0), Some(990.0));
        assert_eq!(percentile(&samples, 99.9), Some(999.0));
        assert_eq!(percentile(&samples, 100.0), Some(1000.0));
        assert_eq!(percentile(&[7.0], 99.9), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn range_and_ratios() {
        assert_eq!(range(&[2.0, -1.0, 5.0]), (-1.0, 5.0));
        assert_eq!(paired_ratios(&[2.0, 9.0], &[4.0, 3.0]), vec![0.5, 3.0]);
    }

    #[test]
    fn slope_of_linear_and_quadratic_growth() {
        let linear: Vec<_> = [10.0, 100.0, 1000.0]
            .iter()
            .map(|&x| (x, 3.0 * x))
            .collect();
        assert!((log_log_slope(&linear) - 1.0).abs() < 1e-9);
        let quadratic: Vec<_> = [10.0, 100.0, 1000.0].iter().map(|&x| (x, x * x)).collect();
        assert!((log_log_slope(&quadratic) - 2.0).abs() < 1e-9);
    }
}
