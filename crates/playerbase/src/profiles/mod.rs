//! The profile directory: every player's public profile (name, creation
//! time, Twitch account, all-time stats) in memory, so that
//! `GET /api/v1/players/{id}` answers without a database round trip.
//!
//! It is kept only where this server is the database's one writer (SQLite):
//! the award writer applies each commit's all-time values after the commit,
//! and [`crate::accounts`] forgets a player it deletes. Any new way of
//! changing a player's name or Twitch account must also call
//! [`Profiles::forget`]. Where several instances share the database
//! (PostgreSQL), names change elsewhere with no announcement,
//! so there is no directory and reads go to the store. As with the
//! leaderboards, a SQLite file changed behind the server's back (by hand, by
//! another process) shows in profiles only after a restart.
//!
//! Players created after start are read from the store on their first read
//! and kept from then on. A fill races with the writer and with deletions:
//! each of those bumps a generation, and a fill read before the bump is
//! dropped rather than stored.

mod directory;
mod record;

use std::sync::RwLock;

use directory::Directory;
pub use record::Profile;

use crate::domain::{Period, StatCatalog};
use crate::leaderboards::Change;
use crate::store::{PlayerRecord, PublicProfileRow, Store, StoreResult};

pub struct Profiles {
    catalog: StatCatalog,
    /// None where there is no directory, or it outgrew itself.
    state: RwLock<Option<State>>,
}

struct State {
    directory: Directory,
    /// Bumped by every change; see the module's note on fills.
    generation: u64,
}

/// What the directory knows of a player.
pub enum Lookup {
    /// The profile, as an encoded record (decode with [`Profiles::decode`]).
    Found(Vec<u8>),
    /// Not here: read the store, then offer the answer to [`Profiles::fill`].
    Unknown(Generation),
}

/// When a lookup missed; a fill from that read is kept only if nothing changed since.
#[derive(Debug, Clone, Copy)]
pub struct Generation(Option<u64>);

impl Profiles {
    /// No directory: every lookup goes to the store.
    pub fn off(catalog: StatCatalog) -> Self {
        Self { catalog, state: RwLock::new(None) }
    }

    /// Reads every player's profile from `store`, if the store offers them
    /// (it is this server's alone); otherwise [`Profiles::off`].
    pub async fn load(store: &dyn Store, catalog: StatCatalog) -> StoreResult<Self> {
        let mut directory = empty_directory(&catalog);
        let mut full = false;
        let mut bytes = Vec::new();
        let offered = store
            .public_profiles(&mut |row| {
                if full {
                    return;
                }
                bytes.clear();
                record::encode(&profile_of_row(&catalog, &row), &mut bytes);
                full = directory.put(row.id, &bytes).is_err();
            })
            .await?;
        if !offered {
            return Ok(Self::off(catalog));
        }
        if full {
            tracing::warn!("too many players for the profile directory; profiles are read from the database");
            return Ok(Self::off(catalog));
        }
        directory.shrink_to_fit();
        tracing::info!(players = directory.len(), mib = directory.heap_bytes() >> 20, "profile directory loaded");
        Ok(Self::on(catalog, directory))
    }

    fn on(catalog: StatCatalog, directory: Directory) -> Self {
        Self { catalog, state: RwLock::new(Some(State { directory, generation: 0 })) }
    }

    pub fn lookup(&self, id: i64) -> Lookup {
        let state = self.state.read().expect("profiles lock");
        match state.as_ref() {
            Some(state) => match state.directory.get(id) {
                Some(bytes) => Lookup::Found(bytes[..self.record_len(bytes)].to_vec()),
                None => Lookup::Unknown(Generation(Some(state.generation))),
            },
            None => Lookup::Unknown(Generation(None)),
        }
    }

    pub fn decode<'a>(&self, record: &'a [u8]) -> Profile<'a> {
        record::decode(record, self.catalog.len()).0
    }

    fn record_len(&self, bytes: &[u8]) -> usize {
        record::len(bytes, self.catalog.len())
    }

    /// Keeps `player`, read from the store after a lookup missed at `since`,
    /// unless the directory changed in between (the read may be stale).
    pub fn fill(&self, since: Generation, player: &PlayerRecord) {
        let Generation(Some(since)) = since else { return };
        let mut record = Vec::new();
        record::encode(&profile_of_record(&self.catalog, player), &mut record);
        // Not a change: it stores what the database holds, so it bumps nothing.
        let mut guard = self.state.write().expect("profiles lock");
        let Some(state) = guard.as_mut() else { return };
        if state.generation == since && state.directory.put(player.id, &record).is_err() {
            tracing::warn!("the profile directory is full; profiles are read from the database from now on");
            *guard = None;
        }
    }

    /// Applies the all-time values of committed awards (other periods are not on profiles).
    pub fn apply(&self, changes: &[Change]) {
        let all_time: Vec<_> = changes.iter().filter(|change| change.period.period == Period::All).collect();
        if all_time.is_empty() {
            return;
        }
        let stats = self.catalog.len();
        let mut record = Vec::new();
        self.change(|state| {
            for change in &all_time {
                let Some(index) = self.catalog.index_of(&change.stat) else { continue };
                let Some(bytes) = state.directory.get(change.player_id) else { continue };
                let (mut profile, _) = record::decode(bytes, stats);
                profile.stats[index] = change.new;
                record.clear();
                record::encode(&profile, &mut record);
                state.directory.put(change.player_id, &record)?;
            }
            Ok(())
        });
    }

    /// Drops a player (deleted, or public fields changed); the next read goes to the store.
    pub fn forget(&self, id: i64) {
        self.change(|state| {
            state.directory.remove(id);
            Ok(())
        });
    }

    /// Runs `edit` under the write lock and bumps the generation; a full
    /// directory turns itself off rather than answer with stale profiles.
    fn change(&self, edit: impl FnOnce(&mut State) -> Result<(), directory::Full>) {
        let mut guard = self.state.write().expect("profiles lock");
        let Some(state) = guard.as_mut() else { return };
        state.generation += 1;
        if edit(state).is_err() {
            tracing::warn!("the profile directory is full; profiles are read from the database from now on");
            *guard = None;
            return;
        }
        if state.directory.wants_compaction() {
            state.directory.compact();
        }
    }
}

fn empty_directory(catalog: &StatCatalog) -> Directory {
    let stats = catalog.len();
    Directory::new(move |bytes| record::len(bytes, stats))
}

fn stat_values<'a>(catalog: &StatCatalog, stored: impl Iterator<Item = (&'a str, i64)>) -> Vec<i64> {
    let mut values: Vec<i64> = catalog.iter().map(|def| def.default).collect();
    for (stat, value) in stored {
        if let Some(index) = catalog.index_of(stat) {
            values[index] = value;
        }
    }
    values
}

fn profile_of_row<'a>(catalog: &StatCatalog, row: &PublicProfileRow<'a>) -> Profile<'a> {
    Profile {
        username: row.username,
        created_at: row.created_at,
        twitch_user_id: row.twitch_user_id,
        twitch_login: row.twitch_login,
        stats: stat_values(catalog, row.stats.iter().copied()),
    }
}

fn profile_of_record<'a>(catalog: &StatCatalog, player: &'a PlayerRecord) -> Profile<'a> {
    Profile {
        username: &player.username,
        created_at: player.created_at,
        twitch_user_id: player.twitch_user_id.as_deref(),
        twitch_login: player.twitch_login.as_deref(),
        stats: stat_values(catalog, player.stats.iter().map(|(stat, value)| (stat.as_str(), *value))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::PeriodKey;

    fn profiles() -> Profiles {
        let catalog = crate::Config::default().stat_catalog().unwrap();
        Profiles::on(catalog.clone(), empty_directory(&catalog))
    }

    fn player(id: i64, melee: i64) -> PlayerRecord {
        PlayerRecord {
            id,
            username: format!("p{id}"),
            email: Some("private@example.com".into()),
            password_hash: None,
            twitch_user_id: None,
            twitch_login: None,
            created_at: 1_796_412_602,
            stats: HashMap::from([("meleeAtkXp".to_owned(), melee)]),
        }
    }

    fn melee(profiles: &Profiles, id: i64) -> Option<i64> {
        match profiles.lookup(id) {
            Lookup::Found(record) => Some(profiles.decode(&record).stats[0]),
            Lookup::Unknown(_) => None,
        }
    }

    fn award(player_id: i64, period: PeriodKey, new: i64) -> Change {
        Change { stat: "meleeAtkXp".into(), period, player_id, old: None, new }
    }

    #[test]
    fn a_fill_is_kept_only_if_nothing_changed_since_the_lookup() {
        let profiles = profiles();
        let Lookup::Unknown(before) = profiles.lookup(1) else { panic!("empty directory") };
        // The writer commits and applies while the store read is under way.
        profiles.apply(&[award(2, PeriodKey::ALL_TIME, 9)]);
        profiles.fill(before, &player(1, 5));
        assert_eq!(melee(&profiles, 1), None, "a read from before the change may be stale");

        let Lookup::Unknown(now) = profiles.lookup(1) else { panic!("not kept") };
        profiles.fill(now, &player(1, 5));
        assert_eq!(melee(&profiles, 1), Some(5));
    }

    #[test]
    fn all_time_changes_apply_and_a_forgotten_player_is_read_again() {
        let profiles = profiles();
        let Lookup::Unknown(now) = profiles.lookup(1) else { panic!("empty directory") };
        profiles.fill(now, &player(1, 5));
        let day = PeriodKey { period: Period::Day, starts_at: 0 };
        profiles.apply(&[award(1, day, 1_000), award(1, PeriodKey::ALL_TIME, 300)]);
        assert_eq!(melee(&profiles, 1), Some(300), "only all-time values are on profiles");
        // Past a varint boundary: the record moves and still reads back.
        profiles.apply(&[award(1, PeriodKey::ALL_TIME, 1 << 40)]);
        assert_eq!(melee(&profiles, 1), Some(1 << 40));
        profiles.forget(1);
        assert_eq!(melee(&profiles, 1), None);
    }

    #[test]
    fn off_never_keeps_anything() {
        let profiles = Profiles::off(crate::Config::default().stat_catalog().unwrap());
        let Lookup::Unknown(now) = profiles.lookup(1) else { panic!("off") };
        profiles.fill(now, &player(1, 5));
        assert_eq!(melee(&profiles, 1), None);
    }
}
