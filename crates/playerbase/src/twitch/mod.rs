//! Twitch: the client of its OAuth server and Helix, "Log in with Twitch",
//! and the EventSub subscriptions the configuration needs.

pub mod client;
pub mod login;
pub mod subscriptions;

pub use client::{SentMessage, SubscriptionOutcome, TwitchClient, TwitchError, TwitchUser, UserToken};
