//! The website's pages, one file each; the forms' shared pieces in `form.rs`.

mod account;
mod form;
mod home;
mod leaderboard;
mod login;
mod logout;
mod profile;
mod register;
mod standings;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/leaderboards", get(leaderboard::first))
        .route("/leaderboards/{stat}", get(leaderboard::page))
        .route("/players", get(profile::search))
        .route("/players/{username}", get(profile::page))
        .route("/login", get(login::form).post(login::submit))
        .route("/register", get(register::form).post(register::submit))
        .route("/logout", post(logout::submit))
        .route("/account", get(account::page))
        .route("/account/email", post(account::change_email))
        .route("/account/password", post(account::change_password))
        .route("/account/delete", post(account::delete))
}
