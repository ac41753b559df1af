//! Twitch: the client of its OAuth server and Helix API.

pub mod client;

pub use client::{SentMessage, SubscriptionOutcome, TwitchClient, TwitchError, TwitchUser, UserToken};
