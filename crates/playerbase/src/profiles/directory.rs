//! Records by player id in one growing byte arena: a `u32` offset per id,
//! not an allocation per player.

use std::collections::HashMap;

/// Ids up to this far past the players held get a dense slot; larger ones
/// (imported ids with gaps, say) go to a map, so one huge id cannot make
/// the slot table huge.
const DENSE_SLACK: usize = 65_536;
/// The arena is compacted once this share of it is records no longer used.
const GARBAGE_SHARE: usize = 2;

/// Measures the record at the start of a slice (which may go on past it).
type RecordLen = Box<dyn Fn(&[u8]) -> usize + Send + Sync>;

pub struct Directory {
    record_len: RecordLen,
    /// By id: the record's offset + 1; 0 for no record.
    dense: Vec<u32>,
    sparse: HashMap<i64, u32>,
    arena: Vec<u8>,
    /// Bytes of the arena no slot points to (replaced, removed or shrunk records).
    garbage: usize,
    players: usize,
}

/// The arena outgrew `u32` offsets (over 4 GiB of records).
#[derive(Debug)]
pub struct Full;

impl Directory {
    pub fn new(record_len: impl Fn(&[u8]) -> usize + Send + Sync + 'static) -> Self {
        Self {
            record_len: Box::new(record_len),
            dense: Vec::new(),
            sparse: HashMap::new(),
            arena: Vec::new(),
            garbage: 0,
            players: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.players
    }

    /// Heap bytes held, for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.dense.capacity() * 4 + self.sparse.capacity() * 16 + self.arena.capacity()
    }

    /// The bytes from `id`'s record on; the record knows its own length.
    pub fn get(&self, id: i64) -> Option<&[u8]> {
        let at = self.offset(id)?;
        Some(&self.arena[at..])
    }

    fn offset(&self, id: i64) -> Option<usize> {
        let slot = match usize::try_from(id) {
            Ok(index) if index < self.dense.len() => self.dense[index],
            _ => self.sparse.get(&id).copied().unwrap_or(0),
        };
        (slot != 0).then(|| slot as usize - 1)
    }

    /// Stores `record` for `id`, over its old record when it fits there.
    pub fn put(&mut self, id: i64, record: &[u8]) -> Result<(), Full> {
        if let Some(at) = self.offset(id) {
            let old_len = (self.record_len)(&self.arena[at..]);
            if record.len() <= old_len {
                self.arena[at..at + record.len()].copy_from_slice(record);
                self.garbage += old_len - record.len();
                return Ok(());
            }
            self.garbage += old_len;
        } else {
            self.players += 1;
        }
        let slot = u32::try_from(self.arena.len() + 1).map_err(|_| Full)?;
        self.arena.extend_from_slice(record);
        self.set_slot(id, slot);
        Ok(())
    }

    pub fn remove(&mut self, id: i64) {
        if let Some(at) = self.offset(id) {
            let old_len = (self.record_len)(&self.arena[at..]);
            self.set_slot(id, 0);
            self.players -= 1;
            self.garbage += old_len;
        }
    }

    fn set_slot(&mut self, id: i64, slot: u32) {
        match usize::try_from(id) {
            Ok(index) if index < self.dense.len() => self.dense[index] = slot,
            Ok(index) if index < self.players * 2 + DENSE_SLACK && slot != 0 => {
                self.dense.resize(index + 1, 0);
                self.dense[index] = slot;
                self.sparse.remove(&id);
            }
            _ if slot == 0 => {
                self.sparse.remove(&id);
            }
            _ => {
                self.sparse.insert(id, slot);
            }
        }
    }

    /// Whether enough of the arena is garbage to be worth [`Directory::compact`].
    pub fn wants_compaction(&self) -> bool {
        self.garbage > 1 << 20 && self.garbage * GARBAGE_SHARE > self.arena.len()
    }

    /// Copies the live records into a fresh arena.
    pub fn compact(&mut self) {
        let mut arena = Vec::with_capacity(self.arena.len() - self.garbage);
        let old = &self.arena;
        let record_len = &self.record_len;
        let mut move_slot = |slot: &mut u32| {
            if *slot != 0 {
                let at = *slot as usize - 1;
                let len = record_len(&old[at..]);
                // Fits: the new arena is never larger than the old one.
                *slot = (arena.len() + 1) as u32;
                arena.extend_from_slice(&old[at..at + len]);
            }
        };
        self.dense.iter_mut().for_each(&mut move_slot);
        self.sparse.values_mut().for_each(&mut move_slot);
        self.arena = arena;
        self.garbage = 0;
    }

    /// Gives back the spare capacity of the growth during loading.
    pub fn shrink_to_fit(&mut self) {
        self.dense.shrink_to_fit();
        self.sparse.shrink_to_fit();
        self.arena.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test records: a length byte, then that many bytes.
    fn record(fill: u8, len: u8) -> Vec<u8> {
        let mut bytes = vec![len];
        bytes.extend(std::iter::repeat_n(fill, len as usize));
        bytes
    }

    fn len_of(bytes: &[u8]) -> usize {
        bytes[0] as usize + 1
    }

    fn read(directory: &Directory, id: i64) -> Option<Vec<u8>> {
        directory.get(id).map(|bytes| bytes[..len_of(bytes)].to_vec())
    }

    #[test]
    fn records_are_replaced_in_place_or_moved_and_survive_compaction() {
        let mut directory = Directory::new(len_of);
        directory.put(1, &record(1, 10)).unwrap();
        directory.put(2, &record(2, 3)).unwrap();
        directory.put(-5, &record(5, 1)).unwrap();
        directory.put(1 << 40, &record(6, 2)).unwrap();
        assert_eq!(directory.len(), 4);
        // Shorter: in place; longer: moved to the end.
        directory.put(1, &record(11, 4)).unwrap();
        directory.put(2, &record(22, 30)).unwrap();
        directory.remove(-5);
        assert_eq!(directory.len(), 3);
        assert_eq!(directory.garbage, 6 + 4 + 2);
        for _ in 0..2 {
            assert_eq!(read(&directory, 1), Some(record(11, 4)));
            assert_eq!(read(&directory, 2), Some(record(22, 30)));
            assert_eq!(read(&directory, -5), None);
            assert_eq!(read(&directory, 3), None);
            assert_eq!(read(&directory, 1 << 40), Some(record(6, 2)));
            directory.compact();
            assert_eq!(directory.garbage, 0);
            assert_eq!(directory.arena.len(), 5 + 31 + 3);
        }
    }

    #[test]
    fn a_huge_id_does_not_grow_the_dense_table() {
        let mut directory = Directory::new(len_of);
        directory.put(10_000_000_000, &record(1, 1)).unwrap();
        directory.put(3, &record(3, 1)).unwrap();
        assert!(directory.dense.len() <= 4);
        assert_eq!(read(&directory, 10_000_000_000), Some(record(1, 1)));
        assert_eq!(read(&directory, 3), Some(record(3, 1)));
    }

    #[test]
    fn garbage_past_half_the_arena_asks_for_compaction() {
        let big = vec![200u8; 2 << 20];
        let big_len = |bytes: &[u8]| if bytes[0] == 200 { 2 << 20 } else { 1 };
        let mut directory = Directory::new(big_len);
        directory.put(1, &big).unwrap();
        directory.put(2, &[1]).unwrap();
        assert!(!directory.wants_compaction());
        directory.remove(1);
        assert!(directory.wants_compaction());
    }
}
