//! The write path: awards from game servers and Twitch, applied by
//! one group-committing writer, recorded in the ledger, published live.

pub mod events;
pub mod feed;
pub mod job;
mod plan;
mod room;
mod writer;

pub use events::{AwardEvent, Events};
pub use job::{Answer, Award, AwardJob, Claim, Cooldown, FromTwitch, PlayerRef, Reply};
pub use plan::replay;
pub use writer::{Awards, Writer};

/// Awards one batch (`POST /api/v1/awards`) may hold.
pub const MAX_BATCH: usize = 10_000;
