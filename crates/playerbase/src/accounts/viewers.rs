//! Twitch viewers become players on their first event: keyed by their
//! Twitch user id, named after their login (numbered when a player already
//! holds that name, as "Log in with Twitch" does), and renamed when their
//! login changes. Runs in
//! the award writer's transaction, so a message's viewers and its awards
//! commit together, and a burst of thousands of new viewers costs a few
//! statements, not a transaction each.

use std::collections::{HashMap, HashSet};

use crate::accounts::twitch::candidate_usernames;
use crate::domain::{TwitchUserId, Username};
use crate::store::StoreResult;
use crate::store::awards::WriteTx;
use crate::store::twitch::{NewViewer, ViewerRename};

/// A Twitch user as an event names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub twitch_user_id: String,
    /// Lower case, as Twitch's logins are.
    pub login: String,
}

/// Makes every viewer a player (or keeps an existing one's login current).
/// The last login given for an id wins. Returns the players whose public
/// fields (login, maybe username) changed.
pub async fn ensure(tx: &mut dyn WriteTx, viewers: &[Viewer], now: i64) -> StoreResult<Vec<i64>> {
    let mut latest: HashMap<&str, &Viewer> = HashMap::with_capacity(viewers.len());
    let mut order = Vec::with_capacity(viewers.len());
    for viewer in viewers {
        if latest.insert(&viewer.twitch_user_id, viewer).is_none() {
            order.push(viewer.twitch_user_id.clone());
        }
    }
    let existing = tx.viewers(&order).await?;
    let renamed = follow_renames(tx, &existing, &latest).await?;

    let known: HashSet<&str> = existing.iter().map(|row| row.twitch_user_id.as_str()).collect();
    // Each missing viewer with the names it may take, in order of preference.
    let mut missing: Vec<(&Viewer, Vec<Username>)> = order
        .iter()
        .filter(|id| !known.contains(id.as_str()))
        .filter_map(|id| {
            let viewer = latest[id.as_str()];
            let Ok(user_id) = TwitchUserId::parse(&viewer.twitch_user_id) else {
                tracing::warn!(twitch_user_id = %viewer.twitch_user_id, "an event named a malformed Twitch user id");
                return None;
            };
            Some((viewer, candidate_usernames(&viewer.login, &user_id).collect()))
        })
        .collect();
    let mut round = 0;
    // One query per round for the whole batch: nearly everyone gets the first name.
    while !missing.is_empty() {
        let before = missing.len();
        missing.retain(|(_, names)| round < names.len());
        if missing.len() < before {
            tracing::warn!(
                viewers = before - missing.len(),
                "no free username for some viewers; their awards are skipped"
            );
        }
        if missing.is_empty() {
            break;
        }
        let names: Vec<&Username> = missing.iter().map(|(_, names)| &names[round]).collect();
        let keys: Vec<String> = names.iter().map(|n| n.key()).collect();
        let taken = tx.taken_usernames(&keys).await?;
        let mut claimed = HashSet::new();
        let rows: Vec<NewViewer> = missing
            .iter()
            .zip(names.iter().zip(keys))
            .filter(|(_, (_, key))| !taken.contains(key) && claimed.insert(key.clone()))
            .map(|((viewer, _), (username, username_key))| NewViewer {
                username: username.as_str().to_owned(),
                username_key,
                twitch_user_id: viewer.twitch_user_id.clone(),
                twitch_login: viewer.login.clone(),
                created_at: now,
            })
            .collect();
        tx.insert_viewers(&rows).await?;
        let ids: Vec<String> = missing.iter().map(|(v, _)| v.twitch_user_id.clone()).collect();
        let created: HashSet<String> = tx.viewers(&ids).await?.into_iter().map(|row| row.twitch_user_id).collect();
        missing.retain(|(v, _)| !created.contains(&v.twitch_user_id));
        round += 1;
    }
    Ok(renamed)
}

/// A changed login is recorded; the username follows it when it was taken
/// from the old login and the new one is free.
async fn follow_renames(
    tx: &mut dyn WriteTx,
    existing: &[crate::store::twitch::ViewerRow],
    latest: &HashMap<&str, &Viewer>,
) -> StoreResult<Vec<i64>> {
    let changed: Vec<_> = existing
        .iter()
        .filter_map(|row| {
            let viewer = latest.get(row.twitch_user_id.as_str())?;
            let differs = !viewer.login.is_empty() && row.twitch_login.as_deref() != Some(viewer.login.as_str());
            differs.then_some((row, viewer.login.as_str()))
        })
        .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<String> = changed
        .iter()
        .filter(|(row, login)| row.username_from_twitch != 0 && Username::parse(login).is_ok())
        .map(|(_, login)| login.to_ascii_lowercase())
        .collect();
    let taken = tx.taken_usernames(&wanted).await?;
    let mut claimed = HashSet::new();
    let renames: Vec<ViewerRename> = changed
        .into_iter()
        .map(|(row, login)| {
            let key = login.to_ascii_lowercase();
            let own = row.username.to_ascii_lowercase() == key;
            let follows = row.username_from_twitch != 0
                && Username::parse(login).is_ok()
                && (own || !taken.contains(&key))
                && claimed.insert(key.clone());
            ViewerRename {
                player_id: row.id,
                twitch_login: login.to_owned(),
                username: follows.then(|| (login.to_owned(), key)),
            }
        })
        .collect();
    tx.rename_viewers(&renames).await?;
    Ok(renames.iter().map(|rename| rename.player_id).collect())
}
