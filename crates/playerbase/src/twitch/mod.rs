//! Twitch: the client of its OAuth server and Helix, and "Log in with Twitch".

pub mod client;
pub mod login;

pub use client::{SentMessage, SubscriptionOutcome, TwitchClient, TwitchError, TwitchUser, UserToken};
