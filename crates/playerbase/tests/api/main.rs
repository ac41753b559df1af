//! One test binary for the HTTP API, so the suite links once.

mod binary;
mod data;
mod database;
mod faults;
mod limits;
mod openapi;
mod operations;
mod process;
mod seed;
mod support;
mod twitch;
mod twitch_client;
mod twitch_login;
mod twitch_subscribe;
mod unity_client;
mod v1_accounts;
mod v1_awards;
mod web;
