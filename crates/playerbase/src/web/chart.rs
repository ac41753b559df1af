//! The profile's chart: one bar per stat, drawn as SVG on the server so it
//! needs no script. The geometry is worked out here; the template only
//! places it (`templates/pages/chart.svg.html`).

/// The drawing's width in SVG units; it scales to the page.
pub const WIDTH: u32 = 400;
/// Height of one stat's row: a line of text, the bar, and a gap.
const ROW: u32 = 46;
const TEXT_BASELINE: u32 = 18;
const BAR_TOP: u32 = 26;
pub const BAR_HEIGHT: u32 = 12;

/// One stat's bar.
pub struct Bar {
    pub label: String,
    /// What the bar stands for, at the right end of the label line ("Level 12").
    pub text: String,
    pub text_y: u32,
    pub bar_y: u32,
    /// The filled part, in SVG units out of [`WIDTH`].
    pub filled: u32,
}

pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bar_height: u32,
    pub bars: Vec<Bar>,
}

/// What to draw for one stat: `filled` is how full its bar is, 0 to 1.
pub struct Measure {
    pub label: String,
    pub text: String,
    pub filled: f64,
}

pub fn draw(measures: impl IntoIterator<Item = Measure>) -> Chart {
    let bars: Vec<Bar> = measures
        .into_iter()
        .enumerate()
        .map(|(row, measure)| {
            let top = row as u32 * ROW;
            let filled = if measure.filled.is_finite() { measure.filled.clamp(0.0, 1.0) } else { 0.0 };
            Bar {
                label: measure.label,
                text: measure.text,
                text_y: top + TEXT_BASELINE,
                bar_y: top + BAR_TOP,
                filled: (filled * f64::from(WIDTH)).round() as u32,
            }
        })
        .collect();
    Chart { width: WIDTH, height: (bars.len() as u32 * ROW).max(ROW), bar_height: BAR_HEIGHT, bars }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(filled: f64) -> Measure {
        Measure { label: "Melee".into(), text: "Level 50".into(), filled }
    }

    #[test]
    fn bars_stack_in_rows_and_fill_in_proportion() {
        let chart = draw([measure(0.5), measure(1.0), measure(0.0)]);
        assert_eq!(chart.height, 3 * ROW);
        let filled: Vec<u32> = chart.bars.iter().map(|bar| bar.filled).collect();
        assert_eq!(filled, [WIDTH / 2, WIDTH, 0]);
        assert_eq!(chart.bars[1].bar_y - chart.bars[0].bar_y, ROW);
    }

    #[test]
    fn nonsense_fractions_stay_inside_the_drawing() {
        let chart = draw([measure(7.0), measure(-1.0), measure(f64::NAN)]);
        let filled: Vec<u32> = chart.bars.iter().map(|bar| bar.filled).collect();
        assert_eq!(filled, [WIDTH, 0, 0]);
    }
}
