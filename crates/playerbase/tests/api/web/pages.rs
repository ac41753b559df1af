//! The public pages, the overlays, errors and static files, through the router.

use axum::http::{StatusCode, header};
use playerbase::domain::Scope;
use serde_json::json;

use super::{Visitor, app_with_players};
use crate::support::{TestApp, bearer};
use crate::v1_accounts::api_key;

#[tokio::test]
async fn home_leaderboards_and_profiles_show_ranks_from_the_boards() {
    let t = app_with_players(60).await;
    let mut visitor = Visitor::new(&t);

    let home = visitor.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains("<html lang=\"en\">"));
    let leaders = ["p60", "p59", "p58", "p57", "p56"].map(|name| format!("<a href=\"/players/{name}\">{name}</a>"));
    let at: Vec<usize> = leaders.iter().map(|link| home.html.find(link.as_str()).expect(link)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "best first");
    assert!(!home.html.contains("/players/p55\""), "five a stat");

    let first = visitor.get("/leaderboards/meleeAtkXp").await;
    assert!(first.html.contains("All time: 60 players"));
    assert!(first.html.contains("Page 1 of 3"));
    assert!(first.html.contains("<title>Melee attack XP · All time · playerbase</title>"));
    assert!(first.html.contains("href=\"/leaderboards/meleeAtkXp?page=2\""));
    let second = visitor.get("/leaderboards/meleeAtkXp?page=2").await;
    assert!(
        second
            .html
            .contains("<td class=\"rank\">26</td>\n      <td class=\"player\"><a href=\"/players/p35\">p35</a></td>")
    );
    assert!(second.html.contains("<td class=\"num\">350</td>"));
    assert!(
        second.html.contains("<title>Melee attack XP · All time · page 2 · playerbase</title>"),
        "pages told apart"
    );
    let last = visitor.get("/leaderboards/meleeAtkXp?page=3").await;
    assert_eq!(last.html.matches("<td class=\"rank\">").count(), 10);
    assert!(!last.html.contains("rel=\"next\""));
    let stream = visitor.get("/leaderboards/meleeAtkXp?period=stream").await;
    assert!(stream.html.contains("No stream has started yet"));
    assert!(stream.html.contains("aria-current=\"page\">This stream</a>"));
    let today = visitor.get("/leaderboards/meleeAtkXp?period=day").await;
    assert!(today.html.contains("No one is on this board yet."), "imports count for all time only");
    assert!(!today.html.contains("class=\"pager\""), "nothing to page through");
    assert_eq!(visitor.get("/leaderboards").await.location(), "/leaderboards/meleeAtkXp");

    let profile = visitor.get("/players/P40").await;
    assert_eq!(profile.status, StatusCode::OK, "names ignore case");
    assert!(profile.html.contains("<h1>p40</h1>"));
    let melee = &profile.html[profile.html.find("data-stat=\"meleeAtkXp\"").unwrap()..];
    let row = &melee[..melee.find("</tr>").unwrap()];
    assert!(
        row.contains(">400</td>") && row.contains(">5</td>") && row.contains("21 <span class=\"muted\">of 60"),
        "{row}"
    );
    assert!(profile.html.contains("<svg class=\"chart\""));
    assert!(profile.html.contains("Level 5"), "the chart's bar text: 400 XP is level 5");
}

#[tokio::test]
async fn unknown_things_get_useful_pages_and_the_api_keeps_json() {
    let t = TestApp::new().await;
    let mut visitor = Visitor::new(&t);
    let player = visitor.get("/players/nobody").await;
    assert_eq!(player.status, StatusCode::NOT_FOUND);
    assert!(player.html.contains("No player is called “nobody”"));
    assert!(player.html.contains("id=\"player-search\""), "a way on");
    assert!(player.html.contains("href=\"/login\""), "a visitor is offered to log in");
    let empty_search = visitor.get("/players?name=+").await;
    assert_eq!(empty_search.status, StatusCode::BAD_REQUEST);
    assert!(empty_search.html.contains("Type a name to find a player."), "not: No player is called “”");
    assert_eq!(visitor.get("/players?name=nobody").await.location(), "/players/nobody");
    let page = visitor.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert_eq!(visitor.get("/leaderboards/nothing").await.status, StatusCode::NOT_FOUND);
    assert_eq!(visitor.get("/leaderboards/meleeAtkXp?page=0").await.status, StatusCode::BAD_REQUEST);
    let no_period = visitor.get("/leaderboards/meleeAtkXp?period=fortnight").await;
    assert_eq!(no_period.status, StatusCode::BAD_REQUEST, "as the API and the overlay answer");
    assert!(no_period.html.contains("There is no such period"), "{}", no_period.html);
    let past_the_end = visitor.get("/leaderboards/meleeAtkXp?page=99").await;
    assert_eq!(past_the_end.status, StatusCode::NOT_FOUND, "not an empty \"Page 99 of 1\"");
    assert!(past_the_end.html.contains("There is no page 99: this board has 1."), "{}", past_the_end.html);
    assert_eq!(visitor.get("/account").await.location(), "/login?next=/account");
    assert_eq!(visitor.post("/account/password", &[]).await.location(), "/login", "a form is not a place to return to");
    let logout = visitor.get("/logout").await;
    assert_eq!(logout.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(logout.html.contains("To log out, use the button"));
    let api = t.get("/api/nothing-here").await;
    assert_eq!((api.status, api.code()), (StatusCode::NOT_FOUND, "no_route"));
}

#[tokio::test]
async fn error_pages_show_who_is_logged_in() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    let mut me = Visitor::new(&t);
    assert_eq!(me.log_in("kicksent", "python3x").await.status, StatusCode::SEE_OTHER);
    let logged_in = "<a href=\"/players/kicksent\">kicksent</a>";
    for (path, status) in [
        ("/players/nobody", StatusCode::NOT_FOUND),
        ("/leaderboards/meleeAtkXp?period=fortnight", StatusCode::BAD_REQUEST),
        ("/no/such/page", StatusCode::NOT_FOUND),
        ("/logout", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let page = me.get(path).await;
        assert_eq!(page.status, status, "{path}");
        assert!(page.html.contains(logged_in) && page.html.contains("Log out"), "{path}: {}", page.html);
        assert!(!page.html.contains("href=\"/login\""), "{path}: not offered to log in again");
    }
    let mut stranger = Visitor::new(&t);
    stranger.set_cookie("pb_session", "pbw_not-a-session");
    for path in ["/players/nobody", "/no/such/page"] {
        let page = stranger.get(path).await;
        assert!(page.html.contains("href=\"/login\"") && !page.html.contains("Log out"), "{path}: {}", page.html);
    }
}

#[tokio::test]
async fn static_files_are_embedded_and_cached_by_version() {
    let t = TestApp::new().await;
    let mut visitor = Visitor::new(&t);
    let home = visitor.get("/").await;
    let at = home.html.find("/static/site.css?v=").unwrap();
    let link = &home.html[at..at + home.html[at..].find('"').unwrap()];
    let css = visitor.get(link).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert_eq!(css.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(css.html.contains("@media"));
    let unversioned = visitor.get("/static/site.css").await;
    assert_eq!(unversioned.headers[header::CACHE_CONTROL], "no-cache");
    let etag = unversioned.headers[header::ETAG].to_str().unwrap().to_owned();
    let request = axum::http::Request::get("/static/site.css").header(header::IF_NONE_MATCH, &etag);
    let response = tower::ServiceExt::oneshot(t.app.clone(), request.body(axum::body::Body::empty()).unwrap()).await;
    assert_eq!(response.unwrap().status(), StatusCode::NOT_MODIFIED);
    for script in ["/static/live.js", "/static/overlay.js"] {
        let js = visitor.get(script).await;
        assert!(js.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"), "{script}");
        assert!(js.html.contains("EventSource"));
    }
    assert!(!home.html.contains("<script>"), "no inline script: the CSP without 'unsafe-inline' holds");
    let policy = home.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(home.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(home.headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn a_periods_board_shows_no_level_of_its_gains() {
    let t = app_with_players(3).await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    let body = json!({"stats": {"meleeAtkXp": 5}}).to_string().into_bytes();
    let reply = t.send(axum::http::Method::POST, "/api/v1/players/3/awards", Some(&bearer(&key)), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut visitor = Visitor::new(&t);
    let all_time = visitor.get("/leaderboards/meleeAtkXp").await;
    assert!(all_time.html.contains("<th scope=\"col\">Level</th>"), "levels of all-time values");
    let today = visitor.get("/leaderboards/meleeAtkXp?period=day").await;
    let row = &today.html[today.html.find("<a href=\"/players/p3\">").expect("p3 is on today's board")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert_eq!(row.matches("<td").count(), 1, "after the name's cell only the value's, no level: {row}");
    assert!(row.contains("<td class=\"num\">5</td>"), "{row}");
    assert!(!today.html.contains(">Level</th>"), "5 XP today is not the player's level");
}

#[tokio::test]
async fn overlays_need_no_login_and_follow_their_query() {
    let t = TestApp::new().await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    for name in ["alice", "bob", "carol", "dave"] {
        let id = t.register(name, "python3x").await;
        let body = json!({"stats": {"speedXp": id * 100}}).to_string().into_bytes();
        let path = format!("/api/v1/players/{id}/awards");
        let reply = t.send(axum::http::Method::POST, &path, Some(&bearer(&key)), Some(body)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let mut obs = Visitor::new(&t);
    let board = obs.get("/overlay/leaderboard/speedXp?limit=3").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.html.contains("overlay.css") && board.html.contains("data-stat=\"speedXp\""));
    assert_eq!(board.html.matches("<li>").count(), 3);
    assert!(board.html.find("dave").unwrap() < board.html.find("carol").unwrap());
    assert!(!board.html.contains("alice"));
    assert!(board.headers.get(header::X_FRAME_OPTIONS).is_none(), "overlays may be framed");
    let week = obs.get("/overlay/leaderboard/speedXp?period=week").await;
    assert!(week.html.contains("Speed XP · This week") && week.html.contains("alice"));
    assert_eq!(obs.get("/overlay/leaderboard/speedXp?limit=0").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(obs.get("/overlay/leaderboard/nothing").await.status, StatusCode::NOT_FOUND);
    let ticker = obs.get("/overlay/awards?limit=3&seconds=0").await;
    assert!(ticker.html.contains("data-limit=\"3\" data-seconds=\"0\""));
    assert!(ticker.html.contains("<li data-key=\"speedXp\" data-adds>Speed XP</li>"));
    assert_eq!(obs.get("/overlay/awards?seconds=-1").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_logged_in_player_sees_where_they_stand_on_every_board() {
    let t = TestApp::new().await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    for (name, xp) in [("alice", 100), ("kicksent", 50)] {
        let id = t.register(name, "python3x").await;
        let body = json!({"stats": {"meleeAtkXp": xp}}).to_string().into_bytes();
        let path = format!("/api/v1/players/{id}/awards");
        t.send(axum::http::Method::POST, &path, Some(&bearer(&key)), Some(body)).await;
    }
    let mut me = Visitor::new(&t);
    assert!(!me.get("/leaderboards/meleeAtkXp").await.html.contains("class=\"you\""), "no one is logged in");
    me.log_in("kicksent", "python3x").await;
    let board = me.get("/leaderboards/meleeAtkXp").await;
    assert!(board.html.contains("are ranked <strong>2</strong> here, with 50."), "{}", board.html);
    let mine = &board.html[board.html.find("<tr class=\"me\">").expect("my row stands out")..];
    let row = &mine[..mine.find("</tr>").unwrap()];
    assert!(row.contains("kicksent"));
    assert!(row.contains("<span class=\"visually-hidden\"> (you)</span>"), "not by colour alone: {row}");
    assert!(me.get("/leaderboards/speedXp").await.html.contains("are not on this board yet."));
}
