//! An ordered multiset with rank and select in well under a microsecond per
//! thousand entries: sorted blocks of bounded size. At a million entries
//! that is ~1,000 blocks, so finding a position sums ~1,000 lengths and
//! binary-searches one block, and an insert moves at most one block's tail.

/// What a board orders: the sort key (smaller is better) and the player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    pub key: i64,
    pub player_id: i64,
}

const MAX_BLOCK: usize = 2048;
/// Room a full block gains at a time. `Vec` would double it, and awards touch
/// every block of a big board: 16 bytes per entry would become 32 (64 right
/// after a split). Steps of 64, and giving back room beyond two steps as
/// entries leave, keep a board within 2 KiB per block of its entries, at the
/// cost of one copy of a block per 64 inserts into it or removals from it.
const GROWTH: usize = 64;

#[derive(Debug, Default, Clone)]
pub struct Ranked {
    blocks: Vec<Vec<Entry>>,
    len: usize,
}

impl Ranked {
    /// Builds from entries in any order.
    pub fn from_unsorted(mut entries: Vec<Entry>) -> Self {
        entries.sort_unstable();
        entries.dedup();
        let len = entries.len();
        let blocks = entries.chunks(MAX_BLOCK / 2).map(<[Entry]>::to_vec).collect();
        Self { blocks, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The block that holds, or would hold, `entry`.
    fn block_for(&self, entry: &Entry) -> usize {
        let first_not_below = self.blocks.partition_point(|block| block.last().is_some_and(|last| last < entry));
        first_not_below.min(self.blocks.len().saturating_sub(1))
    }

    /// Adds `entry`; false if it was already there.
    pub fn insert(&mut self, entry: Entry) -> bool {
        if self.blocks.is_empty() {
            self.blocks.push(vec![entry]);
            self.len = 1;
            return true;
        }
        let b = self.block_for(&entry);
        let block = &mut self.blocks[b];
        let Err(at) = block.binary_search(&entry) else { return false };
        if block.len() == block.capacity() {
            block.reserve_exact(GROWTH);
        }
        block.insert(at, entry);
        self.len += 1;
        if block.len() > MAX_BLOCK {
            let upper = block.split_off(block.len() / 2);
            block.shrink_to(block.len() + GROWTH);
            self.blocks.insert(b + 1, upper);
        }
        true
    }

    /// Removes `entry`; false if it was not there.
    pub fn remove(&mut self, entry: &Entry) -> bool {
        if self.blocks.is_empty() {
            return false;
        }
        let b = self.block_for(entry);
        let block = &mut self.blocks[b];
        let Ok(at) = block.binary_search(entry) else { return false };
        block.remove(at);
        self.len -= 1;
        if block.is_empty() {
            self.blocks.remove(b);
        } else if block.capacity() - block.len() > 2 * GROWTH {
            block.shrink_to(block.len() + GROWTH);
        }
        true
    }

    /// How many entries sort before `entry`.
    pub fn position(&self, entry: &Entry) -> usize {
        if self.blocks.is_empty() {
            return 0;
        }
        let b = self.block_for(entry);
        let before: usize = self.blocks[..b].iter().map(Vec::len).sum();
        before + self.blocks[b].partition_point(|e| e < entry)
    }

    /// How many entries have a key strictly below `key`.
    pub fn count_below(&self, key: i64) -> usize {
        self.position(&Entry { key, player_id: i64::MIN })
    }

    /// Up to `limit` entries from position `offset` on.
    pub fn slice(&self, offset: usize, limit: usize) -> Vec<Entry> {
        let mut skip = offset;
        let mut out = Vec::with_capacity(limit.min(self.len.saturating_sub(offset)));
        for block in &self.blocks {
            if out.len() == limit {
                break;
            }
            if skip >= block.len() {
                skip -= block.len();
                continue;
            }
            let take = (limit - out.len()).min(block.len() - skip);
            out.extend_from_slice(&block[skip..skip + take]);
            skip = 0;
        }
        out
    }

    /// Bytes held by the entries, for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.capacity() * std::mem::size_of::<Entry>()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Insert(i64, i64),
        Remove(usize),
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        prop::collection::vec(
            prop_oneof![
                3 => (-20i64..20, 0i64..500).prop_map(|(k, p)| Step::Insert(k, p)),
                1 => any::<usize>().prop_map(Step::Remove),
            ],
            0..3000,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every operation agrees with a sorted Vec doing the same.
        #[test]
        fn agrees_with_a_sorted_vec(steps in steps(), probes in prop::collection::vec((-25i64..25, 0i64..500), 20)) {
            let mut ranked = Ranked::default();
            let mut model: Vec<Entry> = Vec::new();
            for step in steps {
                match step {
                    Step::Insert(key, player_id) => {
                        let entry = Entry { key, player_id };
                        let fresh = !model.contains(&entry);
                        if fresh {
                            model.push(entry);
                            model.sort();
                        }
                        prop_assert_eq!(ranked.insert(entry), fresh);
                    }
                    Step::Remove(i) if !model.is_empty() => {
                        let entry = model.remove(i % model.len());
                        prop_assert!(ranked.remove(&entry));
                        prop_assert!(!ranked.remove(&entry));
                    }
                    Step::Remove(_) => {}
                }
            }
            prop_assert_eq!(ranked.len(), model.len());
            prop_assert_eq!(ranked.slice(0, usize::MAX), model.clone());
            for (key, player_id) in probes {
                let probe = Entry { key, player_id };
                prop_assert_eq!(ranked.position(&probe), model.iter().filter(|e| **e < probe).count());
                prop_assert_eq!(ranked.count_below(key), model.iter().filter(|e| e.key < key).count());
            }
            for offset in [0, 1, 7, model.len() / 2, model.len()] {
                let end = (offset + 13).min(model.len());
                prop_assert_eq!(ranked.slice(offset, 13), model[offset.min(end)..end].to_vec());
            }
        }
    }

    /// A board holds at most two growth steps per block beyond 16 bytes per entry.
    fn assert_near_its_entries_size(ranked: &Ranked) {
        let entries_bytes = ranked.len() * std::mem::size_of::<Entry>();
        let slack_allowed = ranked.blocks.len() * 2 * GROWTH * std::mem::size_of::<Entry>();
        let held = ranked.heap_bytes();
        assert!(held <= entries_bytes + slack_allowed, "{held} bytes for {entries_bytes} bytes of entries");
    }

    #[test]
    fn a_loaded_board_stays_near_its_entries_size_as_awards_move_entries() {
        let players = 200_000i64;
        let mut keys: Vec<i64> = (0..players).map(|p| p * 7919 % 1_000_003).collect();
        let mut ranked =
            Ranked::from_unsorted(keys.iter().zip(0..).map(|(&key, player_id)| Entry { key, player_id }).collect());
        for step in 0..400_000i64 {
            let player_id = step * 104_729 % players;
            let old = Entry { key: keys[player_id as usize], player_id };
            let new = Entry { key: old.key + step % 1000 + 1, player_id };
            assert!(ranked.remove(&old));
            assert!(ranked.insert(new));
            keys[player_id as usize] = new.key;
        }
        assert_eq!(ranked.len(), players as usize);
        assert_near_its_entries_size(&ranked);
    }

    #[test]
    fn a_board_grown_from_empty_stays_near_its_entries_size() {
        let mut ranked = Ranked::default();
        for i in 0..200_000i64 {
            ranked.insert(Entry { key: i * 7919 % 1_000_003, player_id: i });
        }
        assert_near_its_entries_size(&ranked);
    }

    #[test]
    fn blocks_split_and_stay_ordered_past_the_block_size() {
        let mut ranked = Ranked::default();
        for i in (0..10_000).rev() {
            ranked.insert(Entry { key: i % 97, player_id: i });
        }
        let all = ranked.slice(0, usize::MAX);
        assert_eq!(all.len(), 10_000);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(ranked.blocks.len() > 5);
        let rebuilt = Ranked::from_unsorted(all.iter().rev().copied().collect());
        assert_eq!(rebuilt.slice(0, usize::MAX), all);
        assert_eq!(rebuilt.position(&all[5000]), 5000);
    }
}
