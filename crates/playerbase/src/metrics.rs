//! Prometheus metrics, served at `/metrics`: requests by route and status,
//! latencies by route, awards applied, the award writer's queue, EventSub
//! messages by type and outcome.

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::Duration;

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels are `&'static str`s so that counting a request allocates nothing:
/// the methods are a fixed list, the routes are interned (there are only as many as the router has).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The route's pattern (`/api/v1/players/{id}`), never the raw path, so
    /// the number of series stays bounded.
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventSubLabels {
    r#type: String,
    outcome: String,
}

pub struct Metrics {
    registry: Registry,
    routes: RwLock<HashSet<&'static str>>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    awards_applied: Counter,
    award_queue: Gauge,
    eventsub: Family<EventSubLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.1 ms to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("playerbase");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register("http_request_duration_seconds", "Time to answer, by route", latency.clone());
        let awards_applied = Counter::default();
        registry.register("awards_applied", "Awards committed to the ledger", awards_applied.clone());
        let award_queue = Gauge::default();
        registry.register("award_queue_depth", "Award jobs waiting for the writer", award_queue.clone());
        let eventsub = Family::<EventSubLabels, Counter>::default();
        registry.register("eventsub_messages", "EventSub messages received, by type and outcome", eventsub.clone());
        Self { registry, routes: RwLock::default(), requests, latency, awards_applied, award_queue, eventsub }
    }
}

impl Metrics {
    /// Counts and times an answer under its route's pattern (`None`: no route matched).
    pub fn request(&self, method: &Method, route: Option<&str>, status: u16, latency: Duration) {
        let (method, route) = (method_label(method), route.map_or("unmatched", |route| self.route_label(route)));
        self.latency.get_or_create(&RouteLabels { method, route }).observe(latency.as_secs_f64());
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    fn route_label(&self, route: &str) -> &'static str {
        if let Some(known) = self.routes.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(route) {
            return known;
        }
        let mut routes = self.routes.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        match routes.get(route) {
            Some(known) => known,
            None => {
                // Leaked once per route pattern, a bounded set.
                let interned: &'static str = Box::leak(route.into());
                routes.insert(interned);
                interned
            }
        }
    }

    pub fn awards_applied(&self, count: usize) {
        self.awards_applied.inc_by(count as u64);
    }

    pub fn eventsub_message(&self, message_type: &str, outcome: &str) {
        self.eventsub.get_or_create(&EventSubLabels { r#type: message_type.into(), outcome: outcome.into() }).inc();
    }

    /// The text exposition format, with the queue depth as it is now.
    pub fn render(&self, award_queue_depth: usize) -> String {
        self.award_queue.set(award_queue_depth as i64);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// Any method not in HTTP's own list counts as `other`, so a client cannot add series.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_counted() {
        let metrics = Metrics::default();
        let route = String::from("/api/v1/players/{id}");
        metrics.request(&Method::GET, Some(&route), 200, Duration::from_millis(2));
        metrics.request(&Method::GET, Some("/api/v1/players/{id}"), 200, Duration::from_millis(4));
        metrics.request(&Method::from_bytes(b"BREW").unwrap(), None, 404, Duration::from_millis(1));
        metrics.awards_applied(7);
        metrics.eventsub_message("channel.follow", "applied");
        let text = metrics.render(3);
        for line in [
            "playerbase_http_requests_total{method=\"GET\",route=\"/api/v1/players/{id}\",status=\"200\"} 2",
            "playerbase_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/players/{id}\"} 2",
            "playerbase_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 1",
            "playerbase_awards_applied_total 7",
            "playerbase_award_queue_depth 3",
            "playerbase_eventsub_messages_total{type=\"channel.follow\",outcome=\"applied\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} is missing from\n{text}");
        }
    }

    #[test]
    fn a_route_pattern_is_kept_once_however_often_it_is_counted() {
        let metrics = Metrics::default();
        let first = metrics.route_label(&String::from("/api/v1/players/{id}"));
        let again = metrics.route_label(&String::from("/api/v1/players/{id}"));
        assert!(std::ptr::eq(first, again));
        assert_eq!(metrics.routes.read().unwrap().len(), 1);
    }
}
