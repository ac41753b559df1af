//! Pure types and rules, no I/O. Once a value has one of these types it is valid.

pub mod email;
pub mod levels;
pub mod ops;
pub mod password;
pub mod periods;
pub mod scope;
pub mod stats;
pub mod twitch;
pub mod username;

pub use email::Email;
pub use password::PasswordRules;
pub use periods::{Period, PeriodKey};
pub use scope::Scope;
pub use stats::{Op, StatCatalog, StatDef};
pub use twitch::TwitchUserId;
pub use username::{MAX_USERNAME_LEN, Username};

/// A map for the award writer's keys (player ids, stat names, periods),
/// hashed several times per award: SipHash, the standard map's, was 5 % of
/// a batch's CPU. foldhash is seeded per process too, so a caller still
/// cannot pick keys that collide.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Why a piece of input was refused; the text is shown to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);
