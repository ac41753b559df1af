//! Twitch: the EventSub webhook receiver and what it applies — rules that
//! turn stream events into awards, viewers as players, stream periods —
//! and chat commands answered by the bot.

pub mod chat;
pub mod eventsub;
pub mod rules;
