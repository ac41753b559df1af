//! Command-line commands other than `serve`.

pub mod api_key;
pub mod backup;
pub mod import_flask;
pub mod migrate_database;
pub mod twitch_subscribe;
