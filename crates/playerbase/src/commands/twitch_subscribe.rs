//! `playerbase twitch subscribe`: creates the EventSub webhook
//! subscriptions the configuration needs, with an app access token.

use std::io::Write;

use anyhow::bail;

use crate::config::Config;
use crate::twitch::client::TwitchError;
use crate::twitch::subscriptions::{self, Wanted};
use crate::twitch::{SubscriptionOutcome, TwitchClient};

/// What happened to each subscription, in the order they were asked for.
#[derive(Debug)]
pub struct Report {
    pub created: Vec<&'static str>,
    pub existing: Vec<&'static str>,
}

/// Where Twitch delivers the events: the EventSub receiver under `public_url`.
pub fn callback_url(config: &Config) -> String {
    format!("{}/api/v1/twitch/eventsub", config.public_url.trim_end_matches('/'))
}

/// Refuses a configuration that cannot create subscriptions, naming the key to set.
pub fn check(config: &Config) -> anyhow::Result<()> {
    let twitch = &config.twitch;
    let missing = [
        ("twitch.client_id", twitch.client_id.is_empty()),
        ("twitch.client_secret", twitch.client_secret.is_empty()),
        ("twitch.eventsub_secret", twitch.eventsub_secret.is_empty()),
        ("twitch.broadcaster_user_id", twitch.broadcaster_user_id.is_empty()),
    ];
    let missing: Vec<&str> = missing.iter().filter(|(_, empty)| *empty).map(|(key, _)| *key).collect();
    if !missing.is_empty() {
        bail!("set {} first (in the configuration file or as PLAYERBASE_TWITCH__… variables)", missing.join(", "));
    }
    // The secret's length and the ids' form: what the configuration's own check refuses.
    twitch.validate(&config.stat_catalog()?).map_err(anyhow::Error::msg)
}

/// Creates every subscription [`subscriptions::wanted`] lists, writing a
/// line per subscription to `out`. One Twitch already holds is reported as
/// existing, not as a failure; the command fails if any other one failed.
pub async fn run(config: &Config, out: &mut impl Write) -> anyhow::Result<Report> {
    check(config)?;
    let wanted = subscriptions::wanted(&config.twitch).map_err(anyhow::Error::msg)?;
    let callback = callback_url(config);
    if !callback.starts_with("https://") {
        tracing::warn!(callback, "Twitch delivers EventSub webhooks only to https:// callbacks on port 443");
    }
    let client = TwitchClient::new(&config.twitch)?;
    // One clear error for wrong credentials, rather than one per subscription.
    client.app_token().await.map_err(|err| {
        let hint = match err {
            TwitchError::Unreachable(_) => "is Twitch (twitch.oauth_url) reachable from here?",
            _ => "check twitch.client_id and client_secret",
        };
        anyhow::anyhow!("cannot get an app access token ({hint}): {err}")
    })?;
    let mut report = Report { created: Vec::new(), existing: Vec::new() };
    let mut failed = Vec::new();
    for Wanted { kind, version, condition } in wanted {
        let outcome = client
            .create_eventsub_subscription(kind, version, &condition, &callback, &config.twitch.eventsub_secret)
            .await;
        match outcome {
            Ok(SubscriptionOutcome::Created { id, status }) => {
                writeln!(out, "created  {kind} v{version}  {id}  {status}")?;
                report.created.push(kind);
            }
            Ok(SubscriptionOutcome::AlreadyExists) => {
                writeln!(out, "exists   {kind} v{version}")?;
                report.existing.push(kind);
            }
            Err(err) => {
                writeln!(out, "failed   {kind} v{version}  {err}")?;
                failed.push(kind);
            }
        }
    }
    if !failed.is_empty() {
        bail!("could not create {} subscription(s): {}", failed.len(), failed.join(", "));
    }
    writeln!(out, "events go to {callback}")?;
    Ok(report)
}
