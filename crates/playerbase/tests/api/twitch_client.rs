//! The Twitch client against the fake Twitch server: the app token's
//! caching and renewal, the code exchange, validation, EventSub
//! subscriptions and chat messages.

use playerbase::config::Secret;
use playerbase::twitch::{SubscriptionOutcome, TwitchClient, TwitchError};
use serde_json::json;

use crate::support::fake_twitch::{self, BROADCASTER_ID, CLIENT_ID, FakeTwitch};

const BOT_ID: &str = "12826";

async fn client() -> (FakeTwitch, TwitchClient) {
    let fake = FakeTwitch::start().await;
    let client = TwitchClient::new(&fake.config()).unwrap();
    (fake, client)
}

#[tokio::test]
async fn twitch_client_sends_chat_messages_with_the_client_id_and_the_app_token() {
    let (fake, client) = client().await;
    let sent = client.send_chat_message(BROADCASTER_ID, BOT_ID, "kicksent: meleeAtkXp level 3").await.unwrap();
    assert!(!sent.message_id.is_empty());
    let posts = fake.requests_to("/helix/chat/messages");
    assert_eq!(posts.len(), 1);
    assert_eq!((posts[0].method.as_str(), posts[0].header("client-id")), ("POST", CLIENT_ID));
    assert!(posts[0].header("authorization").starts_with("Bearer apptoken"), "{:?}", posts[0].headers);
    assert_eq!(
        posts[0].body,
        json!({"broadcaster_id": BROADCASTER_ID, "sender_id": BOT_ID, "message": "kicksent: meleeAtkXp level 3"})
    );
    let token_request = &fake.requests_to("/oauth2/token")[0];
    assert_eq!(token_request.body["grant_type"], "client_credentials");
    assert_eq!(token_request.body["client_secret"], fake_twitch::CLIENT_SECRET);
}

#[tokio::test]
async fn twitch_client_reports_a_dropped_chat_message() {
    let (fake, client) = client().await;
    fake.drop_chat_messages("msg_rejected");
    let err = client.send_chat_message(BROADCASTER_ID, BOT_ID, "hello").await.unwrap_err();
    assert!(matches!(&err, TwitchError::MessageDropped { code, .. } if code == "msg_rejected"), "{err}");
}

#[tokio::test]
async fn twitch_client_caches_the_app_token_and_concurrent_callers_share_one_fetch() {
    let (fake, client) = client().await;
    let calls = (0..10).map(|i| {
        let client = client.clone();
        async move { client.send_chat_message(BROADCASTER_ID, BOT_ID, &format!("message {i}")).await }
    });
    for sent in futures_util::future::join_all(calls).await {
        sent.unwrap();
    }
    client.send_chat_message(BROADCASTER_ID, BOT_ID, "one more").await.unwrap();
    assert_eq!(fake.app_tokens_issued(), 1);
    assert_eq!(fake.requests_to("/helix/chat/messages").len(), 11);
}

#[tokio::test]
async fn twitch_client_renews_an_app_token_close_to_its_expiry() {
    let (fake, client) = client().await;
    // Shorter than the renewal margin: the token is never reused.
    fake.set_app_token_seconds(30);
    client.send_chat_message(BROADCASTER_ID, BOT_ID, "a").await.unwrap();
    client.send_chat_message(BROADCASTER_ID, BOT_ID, "b").await.unwrap();
    assert_eq!(fake.app_tokens_issued(), 2);
}

#[tokio::test]
async fn twitch_client_renews_a_revoked_app_token_once_and_retries() {
    let (fake, client) = client().await;
    client.send_chat_message(BROADCASTER_ID, BOT_ID, "before").await.unwrap();
    fake.revoke_app_tokens();
    client.send_chat_message(BROADCASTER_ID, BOT_ID, "after").await.unwrap();
    assert_eq!(fake.app_tokens_issued(), 2);
    let posts = fake.requests_to("/helix/chat/messages");
    assert_eq!(posts.len(), 3, "the refused call is made once more with the new token");
    assert_ne!(posts[1].header("authorization"), posts[2].header("authorization"));
}

#[tokio::test]
async fn twitch_client_retries_a_refused_app_token_only_once() {
    let (fake, client) = client().await;
    fake.refuse_every_app_token();
    let err = client.send_chat_message(BROADCASTER_ID, BOT_ID, "x").await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(fake.requests_to("/helix/chat/messages").len(), 2);
    assert_eq!(fake.app_tokens_issued(), 2);
}

#[tokio::test]
async fn twitch_client_exchanges_a_code_and_validates_the_token() {
    let (fake, client) = client().await;
    let code = fake.consent("141981764", "twitchdev");
    let token = client.exchange_code(&code, "http://127.0.0.1:5000/auth/twitch/callback").await.unwrap();
    let exchange = &fake.requests_to("/oauth2/token")[0];
    assert_eq!(exchange.body["grant_type"], "authorization_code");
    assert_eq!(exchange.body["code"], code.as_str());
    assert_eq!(exchange.body["redirect_uri"], "http://127.0.0.1:5000/auth/twitch/callback");
    let user = client.validate(&token.access_token).await.unwrap();
    assert_eq!((user.user_id.as_str(), user.login.as_str()), ("141981764", "twitchdev"));
    let validate = &fake.requests_to("/oauth2/validate")[0];
    assert_eq!(validate.header("authorization"), format!("OAuth {}", token.access_token.expose()));
    // A code is good once.
    let err = client.exchange_code(&code, "http://127.0.0.1:5000/auth/twitch/callback").await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
}

#[tokio::test]
async fn twitch_client_reports_exchange_and_validation_failures() {
    let (fake, client) = client().await;
    fake.fail_token_exchange();
    let code = fake.consent("141981764", "twitchdev");
    let err = client.exchange_code(&code, "http://x/cb").await.unwrap_err();
    assert!(matches!(&err, TwitchError::Rejected { status: 500, .. }), "{err}");

    let err = client.validate(&Secret::new("not-a-token")).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert!(!err.to_string().contains("not-a-token"), "errors never carry tokens: {err}");

    let (fake, client) = self::client().await;
    let code = fake.consent("141981764", "twitchdev");
    let token = client.exchange_code(&code, "http://x/cb").await.unwrap();
    fake.validate_as_client("someoneelse");
    assert!(matches!(client.validate(&token.access_token).await, Err(TwitchError::WrongClient)));
    fake.fail_validate();
    let err = client.validate(&token.access_token).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
}

#[tokio::test]
async fn twitch_client_creates_subscriptions_and_reports_existing_ones() {
    let (fake, client) = client().await;
    let condition = json!({"broadcaster_user_id": BROADCASTER_ID, "moderator_user_id": BROADCASTER_ID});
    let secret = Secret::new(fake_twitch::EVENTSUB_SECRET);
    let callback = "https://game.example/api/v1/twitch/eventsub";
    let created =
        client.create_eventsub_subscription("channel.follow", "2", &condition, callback, &secret).await.unwrap();
    assert!(matches!(&created, SubscriptionOutcome::Created { status, .. }
        if status == "webhook_callback_verification_pending"));
    let again =
        client.create_eventsub_subscription("channel.follow", "2", &condition, callback, &secret).await.unwrap();
    assert_eq!(again, SubscriptionOutcome::AlreadyExists);
    assert_eq!(
        fake.subscriptions(),
        vec![json!({"type": "channel.follow", "version": "2", "condition": condition,
            "transport": {"method": "webhook", "callback": callback, "secret": fake_twitch::EVENTSUB_SECRET}})]
    );
    let err = client
        .create_eventsub_subscription("channel.cheer", "1", &condition, callback, &Secret::new("short"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
}

#[tokio::test]
async fn twitch_client_reports_an_unreachable_twitch() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let fake = FakeTwitch::start().await;
    let config = playerbase::config::TwitchConfig { oauth_url: format!("{closed}/oauth2"), ..fake.config() };
    let err = TwitchClient::new(&config).unwrap().app_token().await.unwrap_err();
    assert!(matches!(err, TwitchError::Unreachable(_)), "{err}");
    assert!(!err.to_string().contains(fake_twitch::CLIENT_SECRET));
}
