//! Players leaving the boards because they are being deleted. A deletion
//! races with commits that are still on their way to the boards: one shown
//! after the player was taken off would put it back. So a player is held
//! first, and from then on its changes only take its old entries off:
//! held back while the deletion may still fail, dropped once it is done.

use std::collections::{HashMap, HashSet};

use super::Change;

#[derive(Debug, Default)]
pub struct Removals {
    /// Players being deleted, with the changes held back from the boards
    /// meanwhile, in order. Counted: two deletions of one player at once (a
    /// retried request) each hold it, and one failing must not undo the other's hold.
    held: HashMap<i64, Held>,
    /// Deleted players: ids are never given out again, so their changes can only be late ones.
    gone: HashSet<i64>,
}

#[derive(Debug, Default)]
struct Held {
    holders: u32,
    changes: Vec<Change>,
}

impl Removals {
    pub fn hold(&mut self, player_id: i64) {
        if !self.gone.contains(&player_id) {
            self.held.entry(player_id).or_default().holders += 1;
        }
    }

    /// The player is deleted: what was held back is no longer wanted.
    pub fn finish(&mut self, player_id: i64) {
        self.held.remove(&player_id);
        self.gone.insert(player_id);
    }

    /// A deletion failed: the changes held back, to be shown after all, once
    /// no other deletion holds the player (none while one still does).
    pub fn cancel(&mut self, player_id: i64) -> Vec<Change> {
        let Some(held) = self.held.get_mut(&player_id) else { return Vec::new() };
        held.holders -= 1;
        if held.holders > 0 {
            return Vec::new();
        }
        self.held.remove(&player_id).map(|held| held.changes).unwrap_or_default()
    }

    /// Whether `change` may put its player on a board; a held one is kept for [`Removals::cancel`].
    pub fn lets_through(&mut self, change: &Change) -> bool {
        if self.gone.contains(&change.player_id) {
            return false;
        }
        match self.held.get_mut(&change.player_id) {
            Some(held) => {
                held.changes.push(change.clone());
                false
            }
            None => true,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty() && self.gone.is_empty()
    }
}
