//! The fields of the span every request is answered in
//! (`crate::http::middleware::request_span`: `request{method=… route=…
//! request_id=…}`). tracing-subscriber's fmt layer would format them through
//! `fmt::Debug` when the span opens, 0.3 µs of a 4 µs profile read; this
//! layer writes the same text from the three strings first, and the fmt
//! layer keeps what it finds (it formats a span's fields only if the span
//! has none yet). A test holds the two to the same bytes.

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::DefaultFields;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::access::push_field;

/// The request span's name and fields.
const NAME: &str = "request";
const FIELDS: [&str; 3] = ["method", "route", "request_id"];

/// Writes the fields of request spans, `ansi` as the fmt layer does.
pub(super) struct RequestSpanFields {
    pub ansi: bool,
}

impl<S> Layer<S> for RequestSpanFields
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let metadata = attrs.metadata();
        if metadata.name() != NAME || !metadata.fields().iter().map(|field| field.name()).eq(FIELDS) {
            return;
        }
        let mut fields = Fields { text: Vec::with_capacity(96), ansi: self.ansi, strings: 0, other: false };
        attrs.record(&mut fields);
        // Anything but the three strings: left to the fmt layer.
        if fields.other || fields.strings != FIELDS.len() {
            return;
        }
        let text = String::from_utf8(fields.text).expect("the fields are strings, the styles ASCII");
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(FormattedFields::<DefaultFields>::new(text));
        }
    }
}

/// The span's fields, written as they are recorded: in their declared order.
struct Fields {
    text: Vec<u8>,
    ansi: bool,
    strings: usize,
    other: bool,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.strings > 0 {
            self.text.push(b' ');
        }
        push_field(&mut self.text, self.ansi, field.name(), value);
        self.strings += 1;
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {
        self.other = true;
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::logging::Written;

    /// What an event logged inside `open()`'s span looks like, with this layer or without it.
    fn logged(ansi: bool, with_layer: bool, open: impl FnOnce() -> tracing::Span) -> String {
        let written = Written::default();
        let sink = written.clone();
        let fmt = tracing_subscriber::fmt::layer().with_writer(move || sink.clone()).with_ansi(ansi).without_time();
        let layer = with_layer.then_some(RequestSpanFields { ansi });
        let subscriber = tracing_subscriber::registry().with(layer).with(fmt);
        tracing::subscriber::with_default(subscriber, || {
            open().in_scope(|| tracing::warn!(target: "playerbase::test", player_id = 7, "could not answer"))
        });
        String::from_utf8(written.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_request_spans_fields_read_as_the_fmt_layer_writes_displayed_fields() {
        let (method, route, request_id) = ("GET", "/api/v1/players/{id}", "4b3e9c1a-0f5d-4e52-9d1e-2a8f6b7c3d10");
        for ansi in [false, true] {
            let ours = logged(ansi, true, || crate::http::middleware::request_span(method, route, request_id));
            let fmt_layers_own = logged(
                ansi,
                false,
                || tracing::info_span!("request", method = %method, route = %route, request_id = %request_id),
            );
            assert_eq!(ours, fmt_layers_own, "ansi: {ansi}");
        }
        let plain = logged(false, true, || crate::http::middleware::request_span(method, route, request_id));
        assert_eq!(
            plain,
            format!(
                " WARN request{{method=GET route=/api/v1/players/{{id}} request_id={request_id}}}: \
                 playerbase::test: could not answer player_id=7\n"
            )
        );
    }

    #[test]
    fn other_spans_are_left_to_the_fmt_layer() {
        let other = || tracing::info_span!("request", method = "GET", route = 7);
        assert_eq!(logged(false, true, other), logged(false, false, other));
        assert!(logged(false, true, other).contains("request{method=\"GET\" route=7}"));
    }
}
