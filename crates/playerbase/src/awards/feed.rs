//! When several instances share one database, each one's leaderboards and
//! live events follow every instance's award commits and player deletions,
//! in commit order, through the store's announcements (PostgreSQL LISTEN/NOTIFY).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::events::{AwardEvent, Events};
use crate::leaderboards::{Change, Leaderboards};
use crate::store::{BoardValue, Store};

/// What one commit changed, as announced to every instance. It names
/// players by id only: announcements outlive a deletion by up to an hour
/// and must hold nothing personal.
#[derive(Debug, Serialize, Deserialize)]
pub struct Announcement {
    pub changes: Vec<Change>,
    pub awards: Vec<AnnouncedAward>,
    /// Players deleted, with the values they had on the running boards.
    /// Absent from announcements of award commits (and from those of older versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<DeletedPlayer>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeletedPlayer {
    pub player_id: i64,
    pub values: Vec<BoardValue>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AnnouncedAward {
    /// The ledger row's id.
    pub id: i64,
    pub player_id: i64,
    pub stat: String,
    pub amount: i64,
    pub value: i64,
}

impl Announcement {
    pub fn new(changes: Vec<Change>, events: &[AwardEvent]) -> Self {
        let awards = events
            .iter()
            .map(|e| AnnouncedAward {
                id: e.id,
                player_id: e.player_id,
                stat: e.stat.clone(),
                amount: e.amount,
                value: e.value,
            })
            .collect();
        Self { changes, awards, deleted: Vec::new() }
    }

    /// The announcement of a player's deletion, as the store writes it.
    pub fn deletion(player_id: i64, values: &[BoardValue]) -> String {
        let deleted = vec![DeletedPlayer { player_id, values: values.to_vec() }];
        let announcement = Self { changes: Vec::new(), awards: Vec::new(), deleted };
        serde_json::to_string(&announcement).expect("ids, strings and numbers serialise")
    }
}

/// How long a follower waits for a notification before looking anyway, in
/// case one was lost while its connection was down.
const POLL: Duration = Duration::from_secs(1);
const BATCH: u32 = 100;

/// Applies announcements as they come; the receiver tells which id has been
/// applied, so a writer can answer only once its own commit shows.
/// None where the store has no announcements (one server per database).
pub async fn follow(
    store: Arc<dyn Store>,
    boards: Arc<Leaderboards>,
    events: Events,
    after: i64,
) -> anyhow::Result<Option<watch::Receiver<i64>>> {
    let Some(mut signals) = store.listen_announcements().await? else { return Ok(None) };
    let (applied, applied_rx) = watch::channel(after);
    tokio::spawn(async move {
        let mut last = after;
        loop {
            tokio::select! {
                signal = signals.recv() => if signal.is_none() { return },
                () = tokio::time::sleep(POLL) => {}
            }
            loop {
                let batch = match store.announcements_after(last, BATCH).await {
                    Ok(batch) => batch,
                    Err(err) => {
                        tracing::warn!(error = %err, "could not read announcements");
                        break;
                    }
                };
                for (id, body) in &batch {
                    apply(store.as_ref(), &boards, &events, *id, body).await;
                    last = *id;
                }
                applied.send_replace(last);
                if batch.len() < BATCH as usize {
                    break;
                }
            }
        }
    });
    Ok(Some(applied_rx))
}

async fn apply(store: &dyn Store, boards: &Leaderboards, events: &Events, id: i64, body: &str) {
    let announcement = match serde_json::from_str::<Announcement>(body) {
        Ok(announcement) => announcement,
        Err(err) => {
            tracing::error!(id, error = %err, "an unreadable announcement was skipped");
            return;
        }
    };
    boards.apply(&announcement.changes);
    for deleted in &announcement.deleted {
        boards.remove_player(deleted.player_id, &deleted.values);
    }
    let mut ids: Vec<i64> = announcement.awards.iter().map(|a| a.player_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let usernames = match store.usernames(&ids).await {
        Ok(usernames) => usernames,
        Err(err) => {
            tracing::warn!(id, error = %err, "could not name the players of an announcement; its live events are skipped");
            return;
        }
    };
    for award in announcement.awards {
        // A player deleted since has no name to show, and no event.
        if let Some(username) = usernames.get(&award.player_id) {
            events.publish(AwardEvent {
                id: award.id,
                player_id: award.player_id,
                username: username.clone(),
                stat: award.stat,
                amount: award.amount,
                value: award.value,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Period, PeriodKey};

    #[test]
    fn announcements_written_before_deletions_were_announced_still_read() {
        let older = r#"{"changes":[],"awards":[{"id":1,"player_id":2,"stat":"xp","amount":3,"value":3}]}"#;
        let announcement: Announcement = serde_json::from_str(older).unwrap();
        assert_eq!(announcement.awards.len(), 1);
        assert!(announcement.deleted.is_empty());
    }

    #[test]
    fn a_deletion_carries_the_player_and_its_board_values() {
        let day = PeriodKey { period: Period::Day, starts_at: 86_400 };
        let values = vec![("xp".to_owned(), PeriodKey::ALL_TIME, 5), ("xp".to_owned(), day, 2)];
        let announcement: Announcement = serde_json::from_str(&Announcement::deletion(7, &values)).unwrap();
        assert!(announcement.changes.is_empty() && announcement.awards.is_empty());
        assert_eq!(announcement.deleted.len(), 1);
        assert_eq!(announcement.deleted[0].player_id, 7);
        assert_eq!(announcement.deleted[0].values, values);
    }
}
