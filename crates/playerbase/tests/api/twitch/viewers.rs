//! Viewers become players on their first event, keyed by Twitch user id and
//! named after their login; names are numbered to be unique, as "Log in
//! with Twitch" does; renames are followed.

use axum::http::StatusCode;
use playerbase::domain::Scope;
use serde_json::json;

use super::{app, by_viewer, chat, notify, settle, viewer};
use crate::support::bearer;
use crate::v1_accounts::api_key;

#[tokio::test]
async fn a_viewer_becomes_a_player_named_after_the_login() {
    let t = app().await;
    notify(&t, "channel.follow", by_viewer("801", "KickSent", json!({}))).await;
    settle(&t).await;
    let player = viewer(&t, "801").await;
    assert_eq!(player["username"], "kicksent", "the login, in Twitch's lower case");
    assert_eq!(player["twitch"], json!({"user_id": "801", "login": "kicksent"}));
    let by_name = t.get("/api/v1/players/by-name/kicksent").await;
    assert_eq!(by_name.body["id"], player["id"]);
}

#[tokio::test]
async fn a_name_held_by_another_player_gets_a_suffix() {
    let t = app().await;
    t.register("Kicksent", "python3x").await;
    t.register("kicksent_2", "python3x").await;
    t.register("a2345678901234567890abcde", "python3x").await;
    notify(&t, "channel.follow", by_viewer("811", "kicksent", json!({}))).await;
    notify(&t, "channel.follow", by_viewer("812", "a2345678901234567890abcde", json!({}))).await;
    settle(&t).await;
    assert_eq!(viewer(&t, "811").await["username"], "kicksent_3");
    assert_eq!(viewer(&t, "811").await["twitch"]["login"], "kicksent");
    assert_eq!(viewer(&t, "812").await["username"], "a2345678901234567890abcde_2", "25 + 2 characters fit");
}

#[tokio::test]
async fn two_new_viewers_wanting_one_name_in_one_batch_both_get_players() {
    let t = app().await;
    // Logins are unique on Twitch at any moment, but one may be freed and
    // taken by someone else while the first owner's events are still waiting.
    notify(&t, "channel.follow", by_viewer("821", "popular", json!({}))).await;
    notify(&t, "channel.follow", by_viewer("822", "popular", json!({}))).await;
    settle(&t).await;
    let mut names = vec![viewer(&t, "821").await["username"].clone(), viewer(&t, "822").await["username"].clone()];
    names.sort_by_key(|n| n.to_string());
    assert_eq!(names, [json!("popular"), json!("popular_2")]);
}

#[tokio::test]
async fn a_login_rename_is_followed_when_the_name_was_the_login_and_is_free() {
    let t = app().await;
    notify(&t, "channel.chat.message", chat("831", "oldname", "hi")).await;
    settle(&t).await;
    let id = viewer(&t, "831").await["id"].clone();
    let by_id = format!("/api/v1/players/{id}");
    assert_eq!(t.get(&by_id).await.body["username"], "oldname", "read once, so a kept profile would be stale");
    notify(&t, "channel.follow", by_viewer("831", "newname", json!({}))).await;
    settle(&t).await;
    let player = viewer(&t, "831").await;
    assert_eq!((player["id"].clone(), player["username"].clone()), (id, json!("newname")));
    assert_eq!(player["twitch"]["login"], "newname");
    let read_by_id = t.get(&by_id).await.body;
    assert_eq!(
        (read_by_id["username"].clone(), read_by_id["twitch"]["login"].clone()),
        (json!("newname"), json!("newname"))
    );
    assert_eq!(t.get("/api/v1/players/by-name/oldname").await.status, StatusCode::NOT_FOUND, "the old name is free");

    // The next new name is taken: the login follows, the username stays.
    t.register("Taken_Name", "python3x").await;
    notify(&t, "channel.follow", by_viewer("831", "taken_name", json!({}))).await;
    settle(&t).await;
    let player = viewer(&t, "831").await;
    assert_eq!(
        (player["username"].clone(), player["twitch"]["login"].clone()),
        (json!("newname"), json!("taken_name"))
    );
}

#[tokio::test]
async fn a_player_who_chose_a_name_keeps_it_and_gets_the_login_recorded() {
    let t = app().await;
    let key = bearer(&api_key(&t, "bot", &[Scope::PlayersWrite]).await);
    let body = json!({"username": "ChosenName", "twitch_user_id": "841"}).to_string().into_bytes();
    let created = t.send(axum::http::Method::POST, "/api/v1/players", Some(&key), Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    notify(&t, "channel.follow", by_viewer("841", "somelogin", json!({}))).await;
    settle(&t).await;
    let player = viewer(&t, "841").await;
    assert_eq!(player["id"], created.body["id"]);
    assert_eq!(player["username"], "ChosenName");
    assert_eq!(player["stats"]["shieldXp"], 10, "the linked player is the one awarded");
    assert_eq!(player["twitch"], json!({"user_id": "841", "login": "somelogin"}));
}
