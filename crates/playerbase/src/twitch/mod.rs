//! Twitch: the client of its OAuth server and Helix, "Log in with Twitch",
//! the EventSub subscriptions the configuration needs, the EventSub webhook
//! receiver and what it applies — rules that turn stream events into
//! awards, viewers as players, stream periods — and chat commands answered
//! by the bot.

pub mod chat;
pub mod client;
pub mod eventsub;
pub mod login;
pub mod rules;
pub mod subscriptions;

pub use client::{SentMessage, SubscriptionOutcome, TwitchClient, TwitchError, TwitchUser, UserToken};
