//! The Markdown table the benchmark prints.

use crate::load::Outcome;

pub struct Report {
    plan: String,
    rows: Vec<[String; 5]>,
    notes: Vec<String>,
}

impl Report {
    pub fn new(plan: &str) -> Self {
        Self { plan: plan.to_owned(), rows: Vec::new(), notes: Vec::new() }
    }

    pub fn row(
        &mut self,
        measure: &str,
        result: impl Into<String>,
        baseline: impl Into<String>,
        target: &str,
        verdict: &str,
    ) {
        self.rows.push([measure.to_owned(), result.into(), baseline.into(), target.to_owned(), verdict.to_owned()]);
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Notes any answer that was not a 200 (status 0: a transport error).
    pub fn failures(&mut self, what: &str, outcome: &Outcome) {
        if !outcome.failed.is_empty() {
            self.note(format!("{what}: not counted, answers other than 200 by status: {:?}", outcome.failed));
        }
    }

    /// Notes whether the database moved by exactly what was acknowledged.
    pub fn check(&mut self, what: &str, awards: u64, check: &Result<(), String>) {
        match check {
            Ok(()) => self.note(format!(
                "{what}: checked — player_stats, period_stats (day, week, month) and the ledger moved by exactly the {awards} acknowledged awards, stat by stat."
            )),
            Err(why) => self.note(format!("{what}: CHECK FAILED — {why}")),
        }
    }

    pub fn render(&self) -> String {
        let mut out = format!("Run: {}\n\n", self.plan);
        out.push_str("| Measure | Result | Baseline (same run) | Target | Met |\n|---|---|---|---|---|\n");
        for row in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                row.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | ")
            ));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out
    }
}

pub fn verdict(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

pub fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn ms(millis: f64) -> String {
    format!("{millis:.2} ms")
}

pub fn pct(ratio: f64) -> String {
    format!("{:.0} %", ratio * 100.0)
}
