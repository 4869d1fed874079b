//! The chart shown in the README, as hand-written SVG: every criterion that
//! is a ratio (requests, builds, delivery, memory) against its target on
//! the left, `Api::build()` time against the number of operations (log-log)
//! on the right.

use std::fmt::Write as _;

use crate::results::{Bar, Results, ASSEMBLY_TARGET_MS};

const WIDTH: f64 = 980.0;
/// The height of one bar's row.
const ROW: f64 = 32.0;
/// Above the first bar: the title and its note.
const TOP: f64 = 60.0;
const GOOD: &str = "#2e7d32";
const BAD: &str = "#c62828";
const NEUTRAL: &str = "#757575";
const FONT: &str = "font-family=\"Helvetica, Arial, sans-serif\"";

/// Every criterion that is a unitless ratio, in the order of the verdicts
/// table: requests, builds, delivery, memory.
pub fn render(results: &Results) -> String {
    let bars: Vec<Bar> = results
        .verdicts()
        .into_iter()
        .filter_map(|v| v.bar)
        .collect();
    let height = (TOP + ROW * bars.len() as f64 + 60.0).max(520.0);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" {FONT} font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
    );
    ratios_panel(&mut svg, &bars);
    assembly_panel(&mut svg, results);
    if results.smoke {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"16\" fill=\"{BAD}\">\
             Smoke run: tiny numbers, not benchmark figures</text>",
            WIDTH / 2.0,
            height - 10.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn ratios_panel(svg: &mut String, bars: &[Bar]) {
    let (left, right, top) = (250.0, 540.0, TOP);
    let row = ROW;
    let max = bars
        .iter()
        .filter_map(|bar| bar.value)
        .chain(bars.iter().map(|bar| bar.bound.limit()))
        .fold(1.5_f64, f64::max)
        .min(10.0)
        * 1.1;
    let x = |value: f64| left + (right - left) * value.clamp(0.0, max) / max;
    let _ = writeln!(
        svg,
        "<text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Each criterion: measured ratio and target</text>\n\
         <text x=\"20\" y=\"46\" fill=\"{NEUTRAL}\">green: target met, red: missed; | marks the target (see BENCHMARKS.md)</text>"
    );
    let bottom = top + row * bars.len() as f64;
    for tick in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0] {
        if tick > max {
            break;
        }
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{bottom}\" stroke=\"#e0e0e0\"/>\n\
             <text x=\"{0:.1}\" y=\"{1}\" text-anchor=\"middle\" fill=\"{NEUTRAL}\">{tick}</text>",
            x(tick),
            bottom + 16.0
        );
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{bottom}\" stroke=\"#9e9e9e\"/>",
        x(1.0)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = top + row * i as f64 + 10.0;
        let height = 18.0;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + 14.0,
            escape(bar.label)
        );
        let target = bar.bound.limit();
        match bar.value {
            Some(value) => {
                let color = if bar.bound.met(value) { GOOD } else { BAD };
                let _ = writeln!(
                    svg,
                    "<rect x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"{height}\" fill=\"{color}\"/>\n\
                     <text x=\"{:.1}\" y=\"{}\">{value:.3}</text>",
                    x(value) - left,
                    x(value).max(x(target)) + 6.0,
                    y + 14.0
                );
            }
            None => {
                let _ = writeln!(
                    svg,
                    "<text x=\"{}\" y=\"{}\" fill=\"{NEUTRAL}\">not measured</text>",
                    left + 6.0,
                    y + 14.0
                );
            }
        }
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"black\" stroke-width=\"2\"/>\n\
             <text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{NEUTRAL}\">{4}</text>",
            x(target),
            y - 3.0,
            y + height + 3.0,
            y - 4.0,
            escape(&bar.bound.describe())
        );
    }
}

fn assembly_panel(svg: &mut String, results: &Results) {
    let (left, right, top, bottom) = (670.0, 955.0, 60.0, 450.0);
    let _ = writeln!(
        svg,
        "<text x=\"630\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Api::build() time</text>\n\
         <text x=\"630\" y=\"46\" fill=\"{NEUTRAL}\">log-log; dashed: linear through the largest size</text>"
    );
    let Some(sizes) = results.assembly.as_ref().filter(|s| !s.is_empty()) else {
        let _ = writeln!(
            svg,
            "<text x=\"{left}\" y=\"{}\" fill=\"{NEUTRAL}\">not measured</text>",
            (top + bottom) / 2.0
        );
        return;
    };
    let points: Vec<(f64, f64)> = sizes
        .iter()
        .map(|a| (a.operations as f64, a.median_ms().max(1e-3)))
        .collect();
    let decade_floor = |v: f64| 10f64.powf(v.log10().floor());
    let decade_ceil = |v: f64| 10f64.powf(v.log10().ceil());
    let x_min = decade_floor(points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min));
    let x_max = decade_ceil(points.iter().map(|p| p.0).fold(0.0, f64::max)).max(x_min * 10.0);
    let y_min = decade_floor(points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min));
    let y_max = decade_ceil(
        points
            .iter()
            .map(|p| p.1)
            .fold(ASSEMBLY_TARGET_MS, f64::max),
    )
    .max(y_min * 10.0);
    let x = |v: f64| left + (right - left) * (v / x_min).log10() / (x_max / x_min).log10();
    let y = |v: f64| bottom - (bottom - top) * (v / y_min).log10() / (y_max / y_min).log10();
    let mut tick = x_min;
    while tick <= x_max * 1.001 {
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{bottom}\" stroke=\"#e0e0e0\"/>\n\
             <text x=\"{0:.1}\" y=\"{1}\" text-anchor=\"middle\" fill=\"{NEUTRAL}\">{2}</text>",
            x(tick),
            bottom + 16.0,
            crate::report::thousands(tick)
        );
        tick *= 10.0;
    }
    let mut tick = y_min;
    while tick <= y_max * 1.001 {
        let label = if tick >= 1000.0 {
            format!("{} s", tick / 1000.0)
        } else {
            format!("{tick} ms")
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{right}\" y2=\"{0:.1}\" stroke=\"#e0e0e0\"/>\n\
             <text x=\"{1}\" y=\"{2:.1}\" text-anchor=\"end\" fill=\"{NEUTRAL}\">{label}</text>",
            y(tick),
            left - 6.0,
            y(tick) + 4.0
        );
        tick *= 10.0;
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">operations</text>",
        (left + right) / 2.0,
        bottom + 34.0
    );
    // The one-second target.
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{right}\" y2=\"{0:.1}\" stroke=\"{BAD}\" stroke-dasharray=\"2 3\"/>\n\
         <text x=\"{right}\" y=\"{1:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"{BAD}\">target: under 1 s</text>",
        y(ASSEMBLY_TARGET_MS),
        y(ASSEMBLY_TARGET_MS) - 4.0
    );
    let &(n_last, t_last) = points.last().expect("not empty");
    let linear = |n: f64| t_last * n / n_last;
    let _ = writeln!(
        svg,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{NEUTRAL}\" stroke-dasharray=\"6 4\"/>",
        x(points[0].0),
        y(linear(points[0].0).max(y_min)),
        x(n_last),
        y(t_last)
    );
    let path: Vec<String> = points
        .iter()
        .map(|&(n, t)| format!("{:.1},{:.1}", x(n), y(t)))
        .collect();
    let _ = writeln!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"/>",
        path.join(" ")
    );
    for (i, &(n, t)) in points.iter().enumerate() {
        let anchor = if i + 1 == points.len() {
            "end"
        } else {
            "start"
        };
        let label = if t >= 10.0 {
            format!("{t:.0} ms")
        } else {
            format!("{t:.2} ms")
        };
        let _ = writeln!(
            svg,
            "<circle cx=\"{0:.1}\" cy=\"{1:.1}\" r=\"4\" fill=\"#1565c0\"/>\n\
             <text x=\"{2:.1}\" y=\"{3:.1}\" font-size=\"11\" text-anchor=\"{anchor}\">{label}</text>",
            x(n),
            y(t),
            if i + 1 == points.len() { x(n) - 8.0 } else { x(n) + 6.0 },
            y(t) - 9.0
        );
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
