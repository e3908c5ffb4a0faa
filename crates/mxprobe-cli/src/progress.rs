//! The progress bar on standard error: domains done of total, addresses
//! probed, failures, rate and ETA. It only shows; it never holds results.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use mxprobe::model::{DomainReport, DomainStatus, ProbeStatus};

pub struct Progress {
    bar: Option<ProgressBar>,
    addresses: u64,
    failures: u64,
}

impl Progress {
    /// A bar when `show` (stderr is a terminal and not -q); `total` when
    /// known.
    pub fn new(show: bool, total: Option<u64>) -> Self {
        Self::counting(show, total, "domains")
    }

    /// A bar counting `unit` (domains, addresses).
    pub fn counting(show: bool, total: Option<u64>, unit: &str) -> Self {
        let bar = show.then(|| {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            };
            let template = if total.is_some() {
                format!("{{spinner}} {{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {unit}  {{per_sec}}  ETA {{eta}}  {{msg}}")
            } else {
                format!("{{spinner}} {{elapsed_precise}} {{pos}} {unit}  {{per_sec}}  {{msg}}")
            };
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            addresses: 0,
            failures: 0,
        }
    }

    /// Count one finished domain.
    pub fn done(&mut self, r: &DomainReport) {
        let addresses: Vec<ProbeStatus> =
            r.mx.iter()
                .flat_map(|m| m.addresses.iter().map(|a| a.status))
                .collect();
        self.addresses += addresses.len() as u64;
        let failed = r.status != DomainStatus::Ok && r.status != DomainStatus::NullMx
            || addresses.iter().any(|s| *s != ProbeStatus::Ok);
        self.failures += u64::from(failed);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "{} addresses, {} domains failing",
                self.addresses, self.failures
            ));
        }
    }

    /// Count one item done, with a message beside the bar.
    pub fn inc(&self, message: impl FnOnce() -> String) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(message());
        }
    }

    /// Print a line without tearing the bar.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
