//! Prometheus metrics of the model server, without a metrics library: a few
//! atomic counters and a fixed-bucket latency histogram.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Latency histogram bucket bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// Request metrics per (route, status class).
#[derive(Debug, Default)]
pub(super) struct Metrics {
    // route: 0 predict, 1 health/metadata, 2 other; status: 0 2xx, 1 4xx, 2 5xx
    requests: [[AtomicU64; 3]; 3],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    predictions: AtomicU64,
    in_flight: AtomicU64,
}

/// Counts a request as in flight until dropped (also when the request is
/// cancelled, e.g. by the timeout or a closed connection).
#[derive(Debug)]
pub(super) struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

const ROUTES: [&str; 3] = ["predict", "health", "other"];
const CLASSES: [&str; 3] = ["2xx", "4xx", "5xx"];

impl Metrics {
    /// Records one request.
    pub(super) fn record(&self, route: usize, status: u16, seconds: f64) {
        let class = match status {
            200..=399 => 0,
            400..=499 => 1,
            _ => 2,
        };
        self.requests[route.min(2)][class].fetch_add(1, Ordering::Relaxed);
        if route == 0 {
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    self.buckets[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            self.count.fetch_add(1, Ordering::Relaxed);
            self.sum_micros
                .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        }
    }

    /// Marks a request in flight until the returned guard is dropped.
    pub(super) fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// Counts predicted texts.
    pub(super) fn predicted(&self, n: usize) {
        self.predictions.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub(super) fn render(&self, model: &str, ready: bool) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP kpipe_requests_total HTTP requests by route and status class."
        );
        let _ = writeln!(s, "# TYPE kpipe_requests_total counter");
        for (r, route) in ROUTES.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let v = self.requests[r][c].load(Ordering::Relaxed);
                let _ = writeln!(
                    s,
                    "kpipe_requests_total{{route=\"{route}\",status=\"{class}\"}} {v}"
                );
            }
        }
        let _ = writeln!(
            s,
            "# HELP kpipe_predict_latency_seconds Latency of :predict requests."
        );
        let _ = writeln!(s, "# TYPE kpipe_predict_latency_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let v = self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(s, "kpipe_predict_latency_seconds_bucket{{le=\"{b}\"}} {v}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "kpipe_predict_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "kpipe_predict_latency_seconds_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "kpipe_predict_latency_seconds_count {count}");
        let _ = writeln!(s, "# HELP kpipe_predictions_total Texts scored.");
        let _ = writeln!(s, "# TYPE kpipe_predictions_total counter");
        let _ = writeln!(
            s,
            "kpipe_predictions_total {}",
            self.predictions.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP kpipe_requests_in_flight Requests being handled (this one included)."
        );
        let _ = writeln!(s, "# TYPE kpipe_requests_in_flight gauge");
        let _ = writeln!(
            s,
            "kpipe_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(s, "# HELP kpipe_model_ready Whether the model is loaded.");
        let _ = writeln!(s, "# TYPE kpipe_model_ready gauge");
        let _ = writeln!(
            s,
            "kpipe_model_ready{{model=\"{model}\"}} {}",
            u8::from(ready)
        );
        s
    }
}
