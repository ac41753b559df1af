//! Ranking: an ordered index per stat and period, in memory, rebuilt from
//! the store at start and updated by the award writer after each commit.

mod load;
mod ranked;
mod removals;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

pub use load::load;
pub use ranked::{Entry, Ranked};
use removals::Removals;

use crate::domain::{Op, PeriodKey, StatCatalog};

/// One value change on one board, as the writer committed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub stat: String,
    pub period: PeriodKey,
    pub player_id: i64,
    pub old: Option<i64>,
    pub new: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub rank: u64,
    pub player_id: i64,
    pub value: i64,
}

type Board = Arc<RwLock<Ranked>>;

pub struct Leaderboards {
    /// Per stat: whether lower values rank first (`min` stats).
    lower_is_better: HashMap<String, bool>,
    boards: RwLock<HashMap<(String, PeriodKey), Board>>,
    /// Taken by every change to the boards' players, so that a deletion and
    /// the commits still on their way are applied one after the other.
    removals: Mutex<Removals>,
}

impl Leaderboards {
    pub fn new(catalog: &StatCatalog) -> Self {
        let lower_is_better = catalog.iter().map(|def| (def.key.clone(), def.op == Op::Min)).collect();
        Self { lower_is_better, boards: RwLock::default(), removals: Mutex::default() }
    }

    /// Smaller sort keys rank first; `!value` reverses the order without overflow.
    fn sort_key(&self, stat: &str, value: i64) -> i64 {
        if self.lower_is_better.get(stat).copied().unwrap_or(false) { value } else { !value }
    }

    fn value_of(&self, stat: &str, key: i64) -> i64 {
        // `!` is its own inverse.
        self.sort_key(stat, key)
    }

    fn board(&self, stat: &str, period: PeriodKey) -> Option<Board> {
        self.boards.read().expect("boards lock").get(&(stat.to_owned(), period)).cloned()
    }

    fn board_or_new(&self, stat: &str, period: PeriodKey) -> Board {
        if let Some(board) = self.board(stat, period) {
            return board;
        }
        self.boards.write().expect("boards lock").entry((stat.to_owned(), period)).or_default().clone()
    }

    /// Replaces a board with `values` (`(player_id, value)`), as read from the store.
    pub fn load(&self, stat: &str, period: PeriodKey, values: impl IntoIterator<Item = (i64, i64)>) {
        let entries = values.into_iter().map(|(player_id, value)| Entry { key: self.sort_key(stat, value), player_id });
        let board = Arc::new(RwLock::new(Ranked::from_unsorted(entries.collect())));
        self.boards.write().expect("boards lock").insert((stat.to_owned(), period), board);
    }

    /// Applies committed changes, a board at a time, so readers of other
    /// boards never wait and readers of this one wait only briefly.
    pub fn apply(&self, changes: &[Change]) {
        let mut removals = self.removals.lock().expect("removals lock");
        self.apply_with(changes, &mut removals);
    }

    fn apply_with(&self, changes: &[Change], removals: &mut Removals) {
        let mut by_board: HashMap<(&str, PeriodKey), Vec<&Change>> = HashMap::new();
        for change in changes {
            by_board.entry((change.stat.as_str(), change.period)).or_default().push(change);
        }
        for ((stat, period), changes) in by_board {
            let board = self.board_or_new(stat, period);
            for chunk in changes.chunks(256) {
                let mut ranked = board.write().expect("board lock");
                for change in chunk {
                    if let Some(old) = change.old {
                        ranked.remove(&Entry { key: self.sort_key(stat, old), player_id: change.player_id });
                    }
                    if removals.is_empty() || removals.lets_through(change) {
                        ranked.insert(Entry { key: self.sort_key(stat, change.new), player_id: change.player_id });
                    }
                }
            }
        }
    }

    /// A player is about to be deleted: from now on its changes only take
    /// its entries off. Then [`Leaderboards::remove_player`], or
    /// [`Leaderboards::release_player`] if the deletion fails.
    pub fn hold_player(&self, player_id: i64) {
        self.removals.lock().expect("removals lock").hold(player_id);
    }

    /// The held player is deleted: takes off its entries, `(stat, period,
    /// value)` as read after [`Leaderboards::hold_player`], for good.
    pub fn remove_player(&self, player_id: i64, entries: &[(String, PeriodKey, i64)]) {
        let mut removals = self.removals.lock().expect("removals lock");
        removals.finish(player_id);
        for (stat, period, value) in entries {
            if let Some(board) = self.board(stat, *period) {
                board.write().expect("board lock").remove(&Entry { key: self.sort_key(stat, *value), player_id });
            }
        }
    }

    /// The held player's deletion failed: shows the changes held back.
    pub fn release_player(&self, player_id: i64) {
        let mut removals = self.removals.lock().expect("removals lock");
        let held = removals.cancel(player_id);
        self.apply_with(&held, &mut removals);
    }

    /// Forgets boards of periods that have ended.
    pub fn retain_periods(&self, current: &[PeriodKey]) {
        self.boards.write().expect("boards lock").retain(|(_, period), _| current.contains(period));
    }

    pub fn total(&self, stat: &str, period: PeriodKey) -> usize {
        self.board(stat, period).map_or(0, |board| board.read().expect("board lock").len())
    }

    /// `limit` standings from `offset`, and how many players the board has.
    pub fn page(&self, stat: &str, period: PeriodKey, offset: usize, limit: usize) -> (usize, Vec<Standing>) {
        let Some(board) = self.board(stat, period) else { return (0, Vec::new()) };
        let ranked = board.read().expect("board lock");
        let entries = ranked.slice(offset, limit);
        (ranked.len(), self.standings(stat, &ranked, &entries))
    }

    /// The rank of `value` for `player_id`, and up to `radius` standings each side.
    pub fn around(
        &self,
        stat: &str,
        period: PeriodKey,
        player_id: i64,
        value: i64,
        radius: usize,
    ) -> (u64, Vec<Standing>) {
        let me = Entry { key: self.sort_key(stat, value), player_id };
        let Some(board) = self.board(stat, period) else { return (1, Vec::new()) };
        let ranked = board.read().expect("board lock");
        let at = ranked.position(&me);
        let start = at.saturating_sub(radius);
        let mut entries = ranked.slice(start, at - start);
        entries.push(me);
        let after = ranked.slice(at, radius + 1);
        entries.extend(after.into_iter().filter(|e| *e != me).take(radius));
        let rank = ranked.count_below(me.key) as u64 + 1;
        (rank, self.standings(stat, &ranked, &entries))
    }

    /// Ranks for consecutive entries: 1 + how many have a strictly better value.
    fn standings(&self, stat: &str, ranked: &Ranked, entries: &[Entry]) -> Vec<Standing> {
        let mut rank_of_key: Option<(i64, u64)> = None;
        entries
            .iter()
            .map(|entry| {
                let rank = match rank_of_key {
                    Some((key, rank)) if key == entry.key => rank,
                    _ => ranked.count_below(entry.key) as u64 + 1,
                };
                rank_of_key = Some((entry.key, rank));
                Standing { rank, player_id: entry.player_id, value: self.value_of(stat, entry.key) }
            })
            .collect()
    }

    /// Bytes held by every board's entries.
    pub fn heap_bytes(&self) -> usize {
        self.boards.read().expect("boards lock").values().map(|b| b.read().expect("board lock").heap_bytes()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::{StatSpec, seed_stat_specs};
    use proptest::prelude::*;

    fn boards_with(op: Op) -> Leaderboards {
        let mut specs = seed_stat_specs();
        specs.push(StatSpec { key: "s".into(), label: None, op, min: None, max: None, default: None, levels: None });
        Leaderboards::new(&StatCatalog::from_specs(&specs).unwrap())
    }

    /// Brute force: rank is 1 + the number of strictly better values; ties by player id.
    fn model(values: &HashMap<i64, i64>, lower_better: bool) -> Vec<Standing> {
        let better = |a: i64, b: i64| if lower_better { a < b } else { a > b };
        let mut all: Vec<Standing> = values
            .iter()
            .map(|(&player_id, &value)| Standing {
                rank: 1 + values.values().filter(|&&other| better(other, value)).count() as u64,
                player_id,
                value,
            })
            .collect();
        all.sort_by_key(|s| (s.rank, s.player_id));
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Pages and neighbours agree with the brute-force model after random awards.
        #[test]
        fn ranks_and_neighbours_match_a_brute_force_model(
            lower_better in any::<bool>(),
            awards in prop::collection::vec((1i64..60, -30i64..30), 1..400),
            offset in 0usize..70,
            limit in 1usize..30,
            radius in 0usize..6,
        ) {
            let boards = boards_with(if lower_better { Op::Min } else { Op::Set });
            let mut values: HashMap<i64, i64> = HashMap::new();
            for (player_id, value) in awards {
                let old = values.insert(player_id, value);
                boards.apply(&[Change { stat: "s".into(), period: PeriodKey::ALL_TIME, player_id, old, new: value }]);
            }
            let expected = model(&values, lower_better);
            let (total, page) = boards.page("s", PeriodKey::ALL_TIME, offset, limit);
            prop_assert_eq!(total, values.len());
            let end = (offset + limit).min(expected.len());
            prop_assert_eq!(&page[..], &expected[offset.min(end)..end]);

            for (i, me) in expected.iter().enumerate() {
                let (rank, around) = boards.around("s", PeriodKey::ALL_TIME, me.player_id, me.value, radius);
                prop_assert_eq!(rank, me.rank);
                let lo = i.saturating_sub(radius);
                let hi = (i + radius + 1).min(expected.len());
                prop_assert_eq!(&around[..], &expected[lo..hi]);
            }
        }
    }

    #[test]
    fn extreme_values_order_without_overflow() {
        let boards = boards_with(Op::Max);
        for (player_id, value) in [(1, i64::MIN), (2, i64::MAX), (3, 0)] {
            boards.apply(&[Change { stat: "s".into(), period: PeriodKey::ALL_TIME, player_id, old: None, new: value }]);
        }
        let (_, page) = boards.page("s", PeriodKey::ALL_TIME, 0, 10);
        assert_eq!(page.iter().map(|s| s.value).collect::<Vec<_>>(), [i64::MAX, 0, i64::MIN]);
    }

    fn award(player_id: i64, old: Option<i64>, new: i64) -> Change {
        Change { stat: "s".into(), period: PeriodKey::ALL_TIME, player_id, old, new }
    }

    fn players_on(boards: &Leaderboards) -> Vec<(i64, i64)> {
        let (_, page) = boards.page("s", PeriodKey::ALL_TIME, 0, 100);
        page.iter().map(|s| (s.player_id, s.value)).collect()
    }

    /// Player 1 is deleted while its awards 5 -> 9 -> 12 are on their way
    /// to the boards; the deletion reads the value the store has when it
    /// runs. Wherever the hold falls among the showings, the player ends up off.
    #[test]
    fn a_deleted_player_stays_off_whichever_commits_are_shown_after_the_hold() {
        let changes = [award(1, Some(5), 9), award(1, Some(9), 12)];
        for shown_before_hold in 0..=changes.len() {
            for read_after in shown_before_hold..=changes.len() {
                let boards = boards_with(Op::Set);
                boards.apply(&[award(1, None, 5), award(2, None, 7)]);
                boards.apply(&changes[..shown_before_hold]);
                boards.hold_player(1);
                let stored = if read_after == 0 { 5 } else { changes[read_after - 1].new };
                boards.apply(&changes[shown_before_hold..read_after]);
                boards.remove_player(1, &[("s".into(), PeriodKey::ALL_TIME, stored)]);
                boards.apply(&changes[read_after..]);
                assert_eq!(
                    players_on(&boards),
                    [(2, 7)],
                    "shown before the hold {shown_before_hold}, read after {read_after}"
                );
                boards.apply(&[award(1, Some(12), 20)]);
                assert_eq!(players_on(&boards), [(2, 7)], "a late change brought the player back");
            }
        }
    }

    #[test]
    fn a_failed_deletion_shows_what_was_held_back_in_order() {
        let boards = boards_with(Op::Set);
        boards.apply(&[award(1, None, 5), award(2, None, 7)]);
        boards.hold_player(1);
        boards.apply(&[award(1, Some(5), 9)]);
        boards.apply(&[award(1, Some(9), 12)]);
        assert_eq!(players_on(&boards), [(2, 7)]);
        boards.release_player(1);
        assert_eq!(players_on(&boards), [(1, 12), (2, 7)]);
        boards.apply(&[award(1, Some(12), 13)]);
        assert_eq!(players_on(&boards), [(1, 13), (2, 7)]);
    }

    /// A retried DELETE runs beside the first; the retry finds the player
    /// gone and releases its hold, which must not release the first one's.
    #[test]
    fn a_second_deletion_failing_does_not_release_the_first_ones_hold() {
        let boards = boards_with(Op::Set);
        boards.apply(&[award(1, None, 5), award(2, None, 7)]);
        boards.hold_player(1);
        boards.hold_player(1);
        boards.apply(&[award(1, Some(5), 9)]);
        boards.release_player(1);
        assert_eq!(players_on(&boards), [(2, 7)], "still held by the first deletion");
        boards.remove_player(1, &[("s".into(), PeriodKey::ALL_TIME, 9)]);
        boards.release_player(1);
        assert_eq!(players_on(&boards), [(2, 7)], "a release after the removal changes nothing");
    }

    #[test]
    fn ended_periods_are_forgotten_and_missing_boards_are_empty() {
        let boards = boards_with(Op::Add);
        let day = PeriodKey { period: crate::domain::Period::Day, starts_at: 86_400 };
        boards.apply(&[Change { stat: "s".into(), period: day, player_id: 1, old: None, new: 5 }]);
        assert_eq!(boards.total("s", day), 1);
        boards.retain_periods(&[PeriodKey::ALL_TIME]);
        assert_eq!(boards.total("s", day), 0);
        assert_eq!(boards.page("meleeAtkXp", PeriodKey::ALL_TIME, 0, 10), (0, vec![]));
    }

    #[test]
    fn a_day_starting_within_minutes_keeps_its_board_through_the_sweep() {
        use crate::domain::periods::current_and_next;
        let boards = boards_with(Op::Add);
        let two_minutes_to_midnight = 2 * 86_400 - 120;
        let tomorrow = PeriodKey { period: crate::domain::Period::Day, starts_at: 2 * 86_400 };
        // Awarded by an instance whose clock is past midnight already.
        boards.apply(&[Change { stat: "s".into(), period: tomorrow, player_id: 1, old: None, new: 5 }]);
        boards.retain_periods(&current_and_next(two_minutes_to_midnight, None));
        assert_eq!(boards.total("s", tomorrow), 1);
        boards.retain_periods(&current_and_next(two_minutes_to_midnight - 3600, None));
        assert_eq!(boards.total("s", tomorrow), 0, "an hour before, tomorrow is not kept");
    }
}
