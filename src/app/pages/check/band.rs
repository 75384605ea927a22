//! The geometry of the band bar: where the band and the exact rate stand on the programme's scale.

/// The band on a 0–`scale` bar: (x, width, exact mark x), in percent of the bar.
pub fn band_bar(
    min: Option<f64>,
    max: Option<f64>,
    exact: Option<f64>,
    scale: f64,
) -> (f64, f64, Option<f64>) {
    let pos = |p: f64| (p / scale * 100.0).clamp(0.0, 100.0);
    let lo = pos(min.unwrap_or(0.0));
    let hi = pos(max.unwrap_or(scale));
    (
        lo,
        (hi - lo).max(0.8),
        exact.map(|x| (pos(x) - 0.4).max(0.0)),
    )
}
