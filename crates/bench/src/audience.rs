//! Which players the awards go to: every seeded player alike (the worst case
//! for the database's pages), or a stream's audience, a fixed random set of
//! them that all the awards of a run share.

use rand::rngs::SmallRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone)]
pub enum Audience {
    /// Players `1..=n`, each alike.
    Everyone(u64),
    /// These players' ids, each alike.
    Some(Vec<i64>),
}

impl Audience {
    /// `active` players drawn from `1..=players` with `seed`; everyone when `active` is none or not below `players`.
    pub fn new(players: u64, active: Option<u64>, seed: u64) -> Self {
        match active {
            Some(active) if active < players => {
                let mut rng = SmallRng::seed_from_u64(seed ^ 0xA0D1_E1CE);
                let ids = sample(&mut rng, players as usize, active as usize).into_iter().map(|i| i as i64 + 1);
                Self::Some(ids.collect())
            }
            _ => Self::Everyone(players),
        }
    }

    pub fn pick(&self, rng: &mut SmallRng) -> i64 {
        match self {
            Self::Everyone(players) => rng.gen_range(1..=*players as i64),
            Self::Some(ids) => ids[rng.gen_range(0..ids.len())],
        }
    }

    /// For the report: "every player" or "N active players".
    pub fn describe(&self) -> String {
        match self {
            Self::Everyone(_) => "every player alike".to_owned(),
            Self::Some(ids) => format!("{} active players", ids.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audience_picks_only_its_own_distinct_players() {
        let Audience::Some(ids) = Audience::new(1000, Some(10), 7) else { panic!("expected an audience") };
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 10);
        assert!(ids.iter().all(|id| (1..=1000).contains(id)));
        let audience = Audience::Some(ids.clone());
        let mut rng = SmallRng::seed_from_u64(1);
        assert!((0..1000).map(|_| audience.pick(&mut rng)).all(|id| ids.contains(&id)));
    }

    #[test]
    fn everyone_when_the_audience_is_not_smaller() {
        assert!(matches!(Audience::new(1000, None, 7), Audience::Everyone(1000)));
        assert!(matches!(Audience::new(1000, Some(1000), 7), Audience::Everyone(1000)));
        let mut rng = SmallRng::seed_from_u64(1);
        assert!((0..1000).map(|_| Audience::Everyone(5).pick(&mut rng)).all(|id| (1..=5).contains(&id)));
    }
}
