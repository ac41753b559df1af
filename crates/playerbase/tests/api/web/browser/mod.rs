//! The website in a real headless Chromium (Debian's `chromium`), driven
//! over the DevTools protocol (`cdp.rs`) against the app on a real socket.
//! Without Chromium these tests say so and pass, except under `CI=true`,
//! where a missing browser fails them. They also write the screenshots the
//! README shows (`docs/screenshots/`).

mod cdp;

use std::path::PathBuf;

use axum::http::{Method, StatusCode};
use cdp::Browser;
use playerbase::domain::Scope;
use serde_json::json;
use tokio::net::TcpListener;

use super::app_with_players_in;
use crate::support::{TestApp, bearer};
use crate::v1_accounts::api_key;

/// Chromium, or `None` (with a message) where it is absent and that is allowed.
fn chromium() -> Option<PathBuf> {
    let found = cdp::find_chromium();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no Chromium: install Debian's chromium (or set PLAYERBASE_CHROMIUM)"
        );
        eprintln!("skipping a browser test: no chromium on the PATH (apt-get install chromium)");
    }
    found
}

/// Serves `t`'s app on a free local port until the test ends; its base URL.
async fn serve(t: &TestApp) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let max_connections = t.state.config.limits.max_connections;
    tokio::spawn(playerbase::serve(
        listener,
        max_connections,
        std::time::Duration::from_secs(30),
        t.app.clone(),
        std::future::pending(),
    ));
    base
}

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots").join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_log_in_change_the_password_and_log_in_again_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let t = TestApp::new().await;
    let base = serve(&t).await;
    let mut browser = Browser::launch(&chromium).await;
    browser.set_width(1280, 900).await;

    // Sign up: lands on the new profile, logged in.
    browser.goto(&format!("{base}/register")).await;
    let fields =
        [("username", "kicksent"), ("email", "kick@example.com"), ("password", "python3x"), ("confirm", "python3x")];
    browser.submit("form[action='/register']", &fields).await;
    assert_eq!(browser.url().await, format!("{base}/players/kicksent"));
    assert_eq!(browser.text("h1").await, "kicksent");
    assert_eq!(browser.eval("document.querySelectorAll('table.stats tbody tr').length").await, json!(10));

    // Log out, then in again: back on the profile.
    browser.submit("form[action='/logout']", &[]).await;
    assert_eq!(browser.url().await, format!("{base}/"));
    assert!(browser.text("header.site nav").await.contains("Log in"));
    browser.goto(&format!("{base}/login")).await;
    browser.submit("form[action='/login']", &[("username", "kicksent"), ("password", "python3x")]).await;
    assert_eq!(browser.url().await, format!("{base}/players/kicksent"));
    assert!(browser.text("header.site nav").await.contains("kicksent"));
    // The session cookie is out of the page's reach.
    assert_eq!(browser.eval("document.cookie.includes('pb_session')").await, json!(false));

    // Change the password from the account page.
    let api = t.post("/api/v1/auth/login", json!({"username": "kicksent", "password": "python3x"})).await;
    let api_token = api.body["access_token"].as_str().unwrap().to_owned();
    browser.goto(&format!("{base}/account")).await;
    let change = [("current_password", "python3x"), ("new_password", "n3w-secret"), ("confirm", "n3w-secret")];
    browser.submit("form[action='/account/password']", &change).await;
    assert_eq!(browser.url().await, format!("{base}/account?done=password"));
    assert!(browser.text(".notice").await.starts_with("Your password is changed."));
    assert_eq!(
        t.get_as("/api/v1/me", &bearer(&api_token)).await.status,
        StatusCode::UNAUTHORIZED,
        "other sessions end"
    );

    // Log out; the old password no longer works, the new one does.
    browser.submit("form[action='/logout']", &[]).await;
    browser.goto(&format!("{base}/login")).await;
    browser.submit("form[action='/login']", &[("username", "kicksent"), ("password", "python3x")]).await;
    assert_eq!(browser.url().await, format!("{base}/login"));
    assert_eq!(browser.text(".error").await, "Wrong username or password.");
    browser.submit("form[action='/login']", &[("username", "kicksent"), ("password", "n3w-secret")]).await;
    assert_eq!(browser.url().await, format!("{base}/players/kicksent"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboards_page_fit_phones_and_desktops_and_update_live_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let mut config = playerbase::Config::default();
    let best_lap = json!({"key": "bestLap", "label": "Best lap", "op": "max"});
    config.stats.push(serde_json::from_value(best_lap).unwrap());
    let t = app_with_players_in(60, config).await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    let base = serve(&t).await;
    let mut browser = Browser::launch(&chromium).await;

    // Paging: 25 a page, by rank, through the pager's links.
    browser.set_width(1280, 900).await;
    browser.goto(&format!("{base}/leaderboards/meleeAtkXp")).await;
    assert_eq!(browser.eval("document.querySelectorAll('table.board tbody tr').length").await, json!(25));
    assert_eq!(browser.text("table.board tbody tr td:nth-child(2)").await, "p60");
    browser.and_wait("document.querySelector('a[rel=next]').click()").await;
    assert_eq!(browser.url().await, format!("{base}/leaderboards/meleeAtkXp?page=2"));
    assert_eq!(browser.text("table.board tbody tr td.rank").await, "26");
    assert_eq!(browser.text(".pager span").await, "Page 2 of 3");
    browser.and_wait("document.querySelector('a[rel=next]').click()").await;
    assert_eq!(browser.eval("document.querySelectorAll('table.board tbody tr').length").await, json!(10));
    assert_eq!(browser.eval("document.querySelector('a[rel=next]') === null").await, json!(true));
    browser.and_wait("document.querySelector('a[rel=prev]').click()").await;
    assert_eq!(browser.text(".pager span").await, "Page 2 of 3");

    // A profile worth a screenshot: the leader has some of every stat.
    let stats = json!({"mageAtkXp": 20_000, "rangeAtkXp": 150_000, "healthXp": 1_200_000, "shieldXp": 4_000,
        "evasionXp": 90_000, "sizeXp": 500, "blockXp": 30_000, "ResistXp": 13_034_431, "speedXp": 2_500});
    let award = json!({"stats": stats}).to_string().into_bytes();
    let reply = t.send(Method::POST, "/api/v1/players/60/awards", Some(&bearer(&key)), Some(award)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // The longest name there can be, on the boards, once with a 19-digit value.
    let long_name = "abcdefghijklmnopqrstuvwxyz_01234";
    let long = t.register(long_name, "python3x").await;
    let award = json!({"stats": {"meleeAtkXp": 5, "shieldXp": 9_000_000_000_000_000_000i64}}).to_string().into_bytes();
    let reply = t.send(Method::POST, &format!("/api/v1/players/{long}/awards"), Some(&bearer(&key)), Some(award)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // No sideways scrolling on a 360 px phone nor at 1280 px, on every page;
    // every column of a board in view (but a 25-character number on a phone
    // may scroll in its box); no number broken over two lines.
    let long_profile = format!("/players/{long_name}");
    let pages = [
        "/",
        "/leaderboards/meleeAtkXp",
        "/leaderboards/shieldXp",
        "/players/p60",
        &long_profile,
        "/login",
        "/register",
        "/no-such-page",
    ];
    for width in [360, 1280] {
        browser.set_width(width, 800).await;
        for page in pages {
            browser.goto(&format!("{base}{page}")).await;
            let (fits, widths) = browser.fits_width().await;
            assert!(fits, "{page} scrolls sideways at {width} px: [scrollWidth, innerWidth] = {widths}");
            let hidden = browser
                .eval("[...document.querySelectorAll('.scroll')].filter(s => s.scrollWidth > s.clientWidth).length")
                .await;
            let shows_the_huge_value = page == "/leaderboards/shieldXp" || page == long_profile;
            if !(width == 360 && shows_the_huge_value) {
                assert_eq!(hidden, json!(0), "{page} at {width} px: a table wider than its box hides its last columns");
            }
            let broken = browser
                .eval("[...document.querySelectorAll('ol.top .value')].filter(v => v.getBoundingClientRect().height > 1.5 * v.parentElement.querySelector('.rank').getBoundingClientRect().height).length")
                .await;
            assert_eq!(broken, json!(0), "{page} at {width} px: a number breaks over two lines");
        }
        browser.goto(&format!("{base}/players/p60")).await;
        browser.screenshot(width, &screenshot_path(&format!("profile-{width}.png"))).await;
        browser.goto(&format!("{base}/leaderboards/meleeAtkXp")).await;
        browser.screenshot(width, &screenshot_path(&format!("leaderboard-{width}.png"))).await;
    }

    // A profile follows awards as they happen.
    browser.set_width(1280, 900).await;
    browser.goto(&format!("{base}/players/p60")).await;
    browser.wait_for("!document.querySelector('.live-note').hidden").await;
    // Give the event stream a moment to connect before awarding.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let award = json!({"stats": {"meleeAtkXp": 1000}}).to_string().into_bytes();
    let reply = t.send(Method::POST, "/api/v1/players/60/awards", Some(&bearer(&key)), Some(award)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    browser.wait_for("document.querySelector('tr[data-stat=meleeAtkXp] td').textContent === '1,600'").await;

    // The awards overlay shows each award as it comes.
    browser.goto(&format!("{base}/overlay/awards?seconds=0")).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let award = json!({"stats": {"speedXp": 25}}).to_string().into_bytes();
    t.send(Method::POST, "/api/v1/players/7/awards", Some(&bearer(&key)), Some(award)).await;
    browser.wait_for("document.querySelector('#ticker li')?.textContent === 'p7 +25 Speed XP'").await;
    // Past 2^53, as sent: a JavaScript number would show ...992.
    let award = json!({"stats": {"blockXp": 9_007_199_254_740_993i64}}).to_string().into_bytes();
    t.send(Method::POST, "/api/v1/players/7/awards", Some(&bearer(&key)), Some(award)).await;
    browser
        .wait_for("document.querySelector('#ticker li')?.textContent === 'p7 +9,007,199,254,740,993 Block XP'")
        .await;
    // A max stat: an award that does not beat the best shows where it stands, not "+amount".
    for lap in [300, 200] {
        let award = json!({"stats": {"bestLap": lap}}).to_string().into_bytes();
        t.send(Method::POST, "/api/v1/players/7/awards", Some(&bearer(&key)), Some(award)).await;
    }
    browser.wait_for("document.querySelectorAll('#ticker li').length === 4").await;
    assert_eq!(browser.text("#ticker li").await, "p7 Best lap 300");
    assert_eq!(browser.eval("getComputedStyle(document.body).backgroundColor").await, json!("rgba(0, 0, 0, 0)"));

    // The leaderboard overlay redraws when its stat changes.
    browser.goto(&format!("{base}/overlay/leaderboard/speedXp?limit=3")).await;
    assert_eq!(browser.text("#board li .name").await, "p60");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let award = json!({"stats": {"speedXp": 5_000}}).to_string().into_bytes();
    t.send(Method::POST, "/api/v1/players/5/awards", Some(&bearer(&key)), Some(award)).await;
    browser.wait_for("document.querySelector('#board li .name').textContent === 'p5'").await;
    assert_eq!(browser.eval("getComputedStyle(document.body).backgroundColor").await, json!("rgba(0, 0, 0, 0)"));
    browser.close().await;
}

/// `/api/docs` renders the OpenAPI document in Chromium from the embedded
/// Swagger UI, under the security headers' Content-Security-Policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_docs_render_every_operation_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let t = TestApp::new().await;
    let base = serve(&t).await;
    let documented = t.get("/api/openapi.json").await.body["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum::<usize>();
    let mut browser = Browser::launch(&chromium).await;
    browser.set_width(1280, 900).await;
    browser.goto(&format!("{base}/api/docs")).await;
    assert_eq!(browser.url().await, format!("{base}/api/docs/index.html"));
    browser.wait_for(&format!("document.querySelectorAll('.opblock').length === {documented}")).await;
    assert!(browser.text(".info .title").await.contains("playerbase"));
    browser.close().await;
}
