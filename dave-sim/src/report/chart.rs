//! Shared chart styling: canvas size, the embedded font, colours, axes, legend, the footer with
//! scenario name and seed, and the "no data" note (docs/simulator.md §"Charts": each chart has a
//! title, labelled axes with units, a legend, and a footer with the scenario name and seed).
//!
//! Text is drawn with DejaVu Sans from the `dejavu` crate, registered with plotters' `ab_glyph`
//! font table, so charts render identically on machines without any system font (CI has none).

use std::error::Error;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ReportError;

/// Width of every chart in pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart in pixels.
pub const HEIGHT: u32 = 800;

/// Font family name under which the embedded DejaVu Sans is registered. Plotters looks fonts up by
/// this name; using the generic "sans-serif" keeps every plotters default pointing at our font.
pub(crate) const FONT: &str = "sans-serif";

/// Height of the footer strip that carries the scenario name and seed.
const FOOTER_HEIGHT: u32 = 30;

/// What every chart says about the run it comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartMeta {
    /// Scenario name (the `name` field of the scenario file).
    pub scenario: String,
    /// Root seed of the run.
    pub seed: u64,
}

impl ChartMeta {
    /// The footer text naming the run.
    pub fn footer(&self) -> String {
        format!("scenario: {}   seed: {}", self.scenario, self.seed)
    }
}

/// Colour-blind-safe palette (Okabe & Ito, plus brown for an eighth series), in the order
/// series take colours.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(140, 86, 75),   // brown
];

/// Colour of dashed theory reference lines: distinct from every palette entry.
pub(crate) const THEORY: RGBColor = RGBColor(120, 120, 120);

/// Colour of series `i`, cycling through [`PALETTE`].
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The drawing area of one PNG chart.
pub(crate) type Root<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// A cartesian chart with floating-point axes on a bitmap.
pub(crate) type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// Result of drawing code: plotters' error types are generic, so they are boxed here and turned
/// into [`ReportError::Draw`] (naming the file) by [`render_png`].
pub(crate) type DrawResult = Result<(), Box<dyn Error + Send + Sync>>;

/// Registers DejaVu Sans (regular and bold) once per process.
fn register_fonts() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok { Ok(()) } else { Err(ReportError::Font) }
}

/// Renders one chart into `path`: white canvas of [`WIDTH`]×[`HEIGHT`], `title` on top, a footer
/// naming the run (scenario and seed, [`ChartMeta::footer`]), and `draw` filling the body between them.
pub(crate) fn render_png(
    path: &Path,
    footer: &str,
    title: &str,
    draw: impl FnOnce(&Root) -> DrawResult,
) -> Result<(), ReportError> {
    register_fonts()?;
    let result = (|| -> DrawResult {
        let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let (main, footer_area) = root.split_vertically(HEIGHT - FOOTER_HEIGHT);
        let footer_style = TextStyle::from((FONT, 17).into_font())
            .color(&RGBColor(90, 90, 90))
            .pos(Pos::new(HPos::Right, VPos::Center));
        footer_area.draw(&Text::new(
            footer.to_owned(),
            (WIDTH as i32 - 30, FOOTER_HEIGHT as i32 / 2),
            footer_style,
        ))?;
        let body = main.titled(title, (FONT, 30).into_font().style(FontStyle::Bold))?;
        draw(&body)?;
        root.present()?;
        Ok(())
    })();
    result.map_err(|e| ReportError::Draw {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Builds a cartesian chart on `area` with the project's axis styling and labelled axes.
/// `caption` is a panel sub-title for charts with several panels.
pub(crate) fn cartesian<'a, 'b>(
    area: &'a Root<'b>,
    caption: Option<&str>,
    x: Range<f64>,
    y: Range<f64>,
    x_desc: &str,
    y_desc: &str,
) -> Result<Chart<'a, 'b>, Box<dyn Error + Send + Sync>> {
    cartesian_with_x_labels(area, caption, x, y, x_desc, y_desc, 10, &|v| tick(*v))
}

/// [`cartesian`] with a chosen number of x labels and x label text, for axes whose positions
/// stand for categories (e.g. non-numeric sweep values at 0, 1, 2, …).
#[allow(clippy::too_many_arguments)]
pub(crate) fn cartesian_with_x_labels<'a, 'b>(
    area: &'a Root<'b>,
    caption: Option<&str>,
    x: Range<f64>,
    y: Range<f64>,
    x_desc: &str,
    y_desc: &str,
    x_labels: usize,
    x_label: &dyn Fn(&f64) -> String,
) -> Result<Chart<'a, 'b>, Box<dyn Error + Send + Sync>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(10)
        .margin_left(16)
        .margin_right(36)
        .margin_bottom(6)
        .x_label_area_size(62)
        .y_label_area_size(96);
    if let Some(caption) = caption {
        builder.caption(caption, (FONT, 22));
    }
    let mut chart = builder.build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 21))
        .label_style((FONT, 17))
        .x_labels(x_labels)
        .y_labels(8)
        .x_label_formatter(x_label)
        .y_label_formatter(&|v| tick(*v))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(242, 242, 242))
        .draw()?;
    Ok(chart)
}

/// Draws the legend of `chart` at `position` with the project's styling.
pub(crate) fn legend<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .draw()?;
    Ok(())
}

/// Legend glyph for a solid line of `style`.
pub(crate) fn line_glyph(
    style: ShapeStyle,
) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> + 'static {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style)
}

/// Legend glyph for a filled band.
pub(crate) fn band_glyph(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], colour.mix(0.25).filled())
}

/// Legend glyph for a bar of a histogram or bar chart (same shade as the bars).
pub(crate) fn bar_glyph(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], bar_style(colour))
}

/// Fill of bars.
pub(crate) fn bar_style(colour: RGBColor) -> ShapeStyle {
    colour.mix(0.75).filled()
}

/// Draws a legend as a column of (colour, label, details) entries in its own area, for charts whose data
/// would otherwise hide under an in-plot legend (several panels sharing one legend).
pub(crate) fn side_legend(
    area: &Root,
    heading: &str,
    entries: &[(RGBColor, String, String)],
) -> DrawResult {
    let name = TextStyle::from((FONT, 18).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let detail = TextStyle::from((FONT, 16).into_font())
        .color(&RGBColor(70, 70, 70))
        .pos(Pos::new(HPos::Left, VPos::Center));
    let top = 80;
    area.draw(&Text::new(heading.to_owned(), (10, top - 36), name.clone()))?;
    // Two lines per entry (name, then details) so long names never run off the canvas.
    for (i, (colour, label, details)) in entries.iter().enumerate() {
        let y = top + i as i32 * 50;
        area.draw(&PathElement::new(
            vec![(10, y), (40, y)],
            colour.stroke_width(3),
        ))?;
        area.draw(&Text::new(label.clone(), (50, y), name.clone()))?;
        area.draw(&Text::new(details.clone(), (50, y + 20), detail.clone()))?;
    }
    Ok(())
}

/// Style of dashed theory reference lines.
pub(crate) fn theory_style() -> ShapeStyle {
    THEORY.stroke_width(3)
}

/// Draws a dashed polyline (theory overlay) through `points`.
pub(crate) fn dashed<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    points: Vec<(f64, f64)>,
    label: &str,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    chart
        .draw_series(DashedLineSeries::new(points, 12, 8, theory_style()))?
        .label(label)
        .legend(|(x, y)| {
            // Two short dashes, matching the line drawn on the plot.
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (8, 0)], theory_style())
                + PathElement::new(vec![(14, 0), (22, 0)], theory_style())
        });
    Ok(())
}

/// Draws the 10–90 % band (filled, translucent) and the median line of `series`, given as
/// `(x, p10, p50, p90)` points sorted by x.
pub(crate) fn band_and_median<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    series: &[(f64, f64, f64, f64)],
    colour: RGBColor,
    label: &str,
) -> DrawResult {
    if series.is_empty() {
        return Ok(());
    }
    let mut outline: Vec<(f64, f64)> = series.iter().map(|p| (p.0, p.3)).collect();
    outline.extend(series.iter().rev().map(|p| (p.0, p.1)));
    chart
        .draw_series(std::iter::once(Polygon::new(
            outline,
            colour.mix(0.22).filled(),
        )))?
        .label(format!("{label}, 10–90 % band"))
        .legend(band_glyph(colour));
    let style = colour.stroke_width(3);
    chart
        .draw_series(LineSeries::new(series.iter().map(|p| (p.0, p.2)), style))?
        .label(format!("{label}, median"))
        .legend(line_glyph(style));
    Ok(())
}

/// Writes a centred grey note over `area`, used when a chart has nothing to plot, so an empty
/// frame is never mistaken for a rendering failure.
pub(crate) fn no_data_note(area: &Root, message: &str) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, 26).into_font())
        .color(&RGBColor(110, 110, 110))
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(
        message.to_owned(),
        (w as i32 / 2, h as i32 / 2),
        style,
    ))?;
    Ok(())
}

/// A short, readable tick label: no float noise like `0.30000000000000004`, thousands as `k`.
pub(crate) fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if a >= 1e6 {
        trim(format!("{:.2}", v / 1e6)) + "M"
    } else if a >= 1e4 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else if a >= 0.01 {
        trim(format!("{v:.3}"))
    } else if a >= 0.0001 {
        trim(format!("{v:.5}"))
    } else {
        format!("{v:.1e}")
    }
}

/// Removes trailing zeros (and a trailing point) from a fixed-point number.
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Upper bound for an axis whose data reach `max`: 5 % headroom, and a positive span even for
/// all-zero data so plotters gets a non-degenerate range.
pub(crate) fn upper(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.05
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(12500.0), "12.5k");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(250.0), "250");
        assert_eq!(tick(3_000_000.0), "3M");
        assert_eq!(tick(0.0077), "0.0077");
        assert_eq!(tick(0.00001), "1.0e-5");
    }

    #[test]
    fn upper_never_degenerates() {
        assert_eq!(upper(0.0), 1.0);
        assert_eq!(upper(f64::NAN), 1.0);
        assert!((upper(10.0) - 10.5).abs() < 1e-12);
    }
}
