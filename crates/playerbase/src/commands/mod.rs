//! Command-line commands other than `serve`.

pub mod api_key;
