//! One test binary for the HTTP API, so the suite links once.

mod binary;
mod data;
mod database;
mod openapi;
mod seed;
mod support;
mod twitch;
mod v1_accounts;
mod v1_awards;
