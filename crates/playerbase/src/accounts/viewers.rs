//! Twitch viewers become players on their first event: keyed by their
//! Twitch user id, named after their login (with a suffix when a player
//! already holds that name), and renamed when their login changes. Runs in
//! the award writer's transaction, so a message's viewers and its awards
//! commit together, and a burst of thousands of new viewers costs a few
//! statements, not a transaction each.

use std::collections::{HashMap, HashSet};

use crate::domain::{MAX_USERNAME_LEN, Username};
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

/// Names tried for one viewer before giving up (each round is one query for the whole batch).
const NAME_ROUNDS: usize = 25;

/// The username to try for a viewer in `round`: the login, then `login_tw`,
/// `login_tw2`, … cut to fit 32 characters. A login that is not a valid
/// username (it always is, on Twitch today) falls back to `tw_USERID`.
pub fn candidate_name(viewer: &Viewer, round: usize) -> String {
    let base = if Username::parse(&viewer.login).is_ok() {
        viewer.login.clone()
    } else {
        format!("tw_{}", viewer.twitch_user_id)
    };
    let suffix = match round {
        0 => String::new(),
        1 => "_tw".to_owned(),
        n => format!("_tw{n}"),
    };
    let keep = MAX_USERNAME_LEN.saturating_sub(suffix.len()).min(base.len());
    format!("{}{suffix}", &base[..keep])
}

/// Makes every viewer a player (or keeps an existing one's login current).
/// The last login given for an id wins.
pub async fn ensure(tx: &mut dyn WriteTx, viewers: &[Viewer], now: i64) -> StoreResult<()> {
    let mut latest: HashMap<&str, &Viewer> = HashMap::with_capacity(viewers.len());
    let mut order = Vec::with_capacity(viewers.len());
    for viewer in viewers {
        if latest.insert(&viewer.twitch_user_id, viewer).is_none() {
            order.push(viewer.twitch_user_id.clone());
        }
    }
    let existing = tx.viewers(&order).await?;
    follow_renames(tx, &existing, &latest).await?;

    let known: HashSet<&str> = existing.iter().map(|row| row.twitch_user_id.as_str()).collect();
    let mut missing: Vec<&Viewer> =
        order.iter().filter(|id| !known.contains(id.as_str())).map(|id| latest[id.as_str()]).collect();
    for round in 0..NAME_ROUNDS {
        if missing.is_empty() {
            break;
        }
        let names: Vec<String> = missing.iter().map(|v| candidate_name(v, round)).collect();
        let keys: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        let taken = tx.taken_usernames(&keys).await?;
        let mut claimed = HashSet::new();
        let rows: Vec<NewViewer> = missing
            .iter()
            .zip(names.into_iter().zip(keys))
            .filter(|(_, (_, key))| !taken.contains(key) && claimed.insert(key.clone()))
            .map(|(viewer, (username, username_key))| NewViewer {
                username,
                username_key,
                twitch_user_id: viewer.twitch_user_id.clone(),
                twitch_login: viewer.login.clone(),
                created_at: now,
            })
            .collect();
        tx.insert_viewers(&rows).await?;
        let ids: Vec<String> = missing.iter().map(|v| v.twitch_user_id.clone()).collect();
        let created: HashSet<String> = tx.viewers(&ids).await?.into_iter().map(|row| row.twitch_user_id).collect();
        missing.retain(|v| !created.contains(&v.twitch_user_id));
    }
    if !missing.is_empty() {
        tracing::warn!(viewers = missing.len(), "no free username found for some viewers; their awards are skipped");
    }
    Ok(())
}

/// A changed login is recorded; the username follows it when it was taken
/// from the old login and the new one is free.
async fn follow_renames(
    tx: &mut dyn WriteTx,
    existing: &[crate::store::twitch::ViewerRow],
    latest: &HashMap<&str, &Viewer>,
) -> StoreResult<()> {
    let changed: Vec<_> = existing
        .iter()
        .filter_map(|row| {
            let viewer = latest.get(row.twitch_user_id.as_str())?;
            let differs = !viewer.login.is_empty() && row.twitch_login.as_deref() != Some(viewer.login.as_str());
            differs.then_some((row, viewer.login.as_str()))
        })
        .collect();
    if changed.is_empty() {
        return Ok(());
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
    tx.rename_viewers(&renames).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(login: &str) -> Viewer {
        Viewer { twitch_user_id: "44429626".into(), login: login.into() }
    }

    #[test]
    fn names_follow_the_login_then_take_suffixes_within_32_characters() {
        assert_eq!(candidate_name(&viewer("kicksent"), 0), "kicksent");
        assert_eq!(candidate_name(&viewer("kicksent"), 1), "kicksent_tw");
        assert_eq!(candidate_name(&viewer("kicksent"), 2), "kicksent_tw2");
        let long = "a".repeat(25);
        for round in 0..NAME_ROUNDS {
            let name = candidate_name(&viewer(&long), round);
            assert!(Username::parse(&name).is_ok(), "{name}");
        }
        assert_eq!(candidate_name(&viewer(&long), 24), format!("{}_tw24", "a".repeat(25)));
        assert_eq!(candidate_name(&viewer("bad-login"), 0), "tw_44429626");
        assert_eq!(candidate_name(&viewer(""), 1), "tw_44429626_tw");
    }
}
