//! Bar charts as inline SVG: no script, no fonts or images from elsewhere;
//! text in SVG `<text>` elements, escaped like any other.

use maud::{html, Markup};

use crate::stats::Share;

/// Rows of a chart.
const ROW: u32 = 26;
/// Where the bars start and how wide the longest is (viewBox units).
const LABEL: u32 = 260;
const BAR: u32 = 170;
const WIDTH: u32 = LABEL + BAR + 100;

/// One bar.
pub(crate) struct Bar {
    pub label: String,
    pub value: u64,
    /// CSS class of the bar (its colour).
    pub class: &'static str,
}

/// Horizontal bars, the longest for the largest value; each labelled
/// with its value and share of `total`.
pub(crate) fn bars(id: &str, title: &str, bars: &[Bar], total: u64) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = ROW * bars.len().max(1) as u32 + 4;
    html! {
        figure.chart id=(id) {
            figcaption { (title) }
            @if bars.is_empty() {
                p.none { "nothing to show" }
            } @else {
                svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox=(format!("0 0 {WIDTH} {height}")) {
                    title { (title) }
                    @for (i, b) in bars.iter().enumerate() {
                        @let y = i as u32 * ROW + 2;
                        @let w = (b.value * u64::from(BAR)).div_ceil(max) as u32;
                        @let pct = if total == 0 { 0.0 } else { b.value as f64 * 100.0 / total as f64 };
                        g {
                            text x=(LABEL - 8) y=(y + 17) text-anchor="end" { (short(&b.label)) }
                            rect class=(b.class) x=(LABEL) y=(y + 3) width=(w.max(1)) height=(ROW - 8) rx="2" {}
                            text x=(LABEL + w + 6) y=(y + 17) { (b.value) " (" (format!("{pct:.0}")) "%)" }
                        }
                    }
                }
            }
        }
    }
}

/// Percentages against a full track: the STARTTLS and TLS 1.3 shares.
pub(crate) fn shares(id: &str, title: &str, shares: &[(&str, &Share)]) -> Markup {
    let height = ROW * shares.len().max(1) as u32 + 4;
    html! {
        figure.chart id=(id) {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox=(format!("0 0 {WIDTH} {height}")) {
                title { (title) }
                @for (i, (label, s)) in shares.iter().enumerate() {
                    @let y = i as u32 * ROW + 2;
                    @let w = (s.percent.clamp(0.0, 100.0) * f64::from(BAR) / 100.0).round() as u32;
                    g {
                        text x=(LABEL - 8) y=(y + 17) text-anchor="end" { (label) }
                        rect.track x=(LABEL) y=(y + 3) width=(BAR) height=(ROW - 8) rx="2" {}
                        rect.good x=(LABEL) y=(y + 3) width=(w) height=(ROW - 8) rx="2" {}
                        text x=(LABEL + BAR + 6) y=(y + 17) { (format!("{:.1}", s.percent)) "% (" (s.count) "/" (s.of) ")" }
                    }
                }
            }
        }
    }
}

/// Labels longer than the label column are cut with an ellipsis.
fn short(label: &str) -> String {
    const MAX: usize = 34;
    if label.chars().count() <= MAX {
        return label.to_owned();
    }
    let mut s: String = label.chars().take(MAX - 1).collect();
    s.push('…');
    s
}
