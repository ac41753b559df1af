//! Level curves: a level is the number of thresholds at or below the value, at least 1.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// The classic 1–99 curve: level 2 at 83 XP, level 99 at 13,034,431.
static RUNESCAPE: LazyLock<Vec<i64>> = LazyLock::new(|| {
    let mut thresholds = vec![0];
    let mut points = 0.0_f64;
    for level in 1..99 {
        points += (f64::from(level) + 300.0 * 2f64.powf(f64::from(level) / 7.0)).floor();
        thresholds.push((points / 4.0).floor() as i64);
    }
    thresholds
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Levels {
    Runescape,
    Thresholds(Vec<i64>),
}

/// How a curve is written in the configuration file and shown by the API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum LevelsSpec {
    Named(String),
    Thresholds(Vec<i64>),
}

impl Levels {
    pub fn from_spec(spec: &LevelsSpec) -> Result<Self, Invalid> {
        match spec {
            LevelsSpec::Named(name) if name == "runescape" => Ok(Self::Runescape),
            LevelsSpec::Named(name) => {
                Err(Invalid(format!("unknown level curve {name:?}: use \"runescape\" or a list of thresholds")))
            }
            LevelsSpec::Thresholds(list) if list.is_empty() => {
                Err(Invalid("a list of level thresholds must not be empty".into()))
            }
            LevelsSpec::Thresholds(list) if list.windows(2).any(|w| w[0] >= w[1]) => {
                Err(Invalid("level thresholds must be strictly increasing".into()))
            }
            LevelsSpec::Thresholds(list) => Ok(Self::Thresholds(list.clone())),
        }
    }

    pub fn spec(&self) -> LevelsSpec {
        match self {
            Self::Runescape => LevelsSpec::Named("runescape".into()),
            Self::Thresholds(list) => LevelsSpec::Thresholds(list.clone()),
        }
    }

    fn thresholds(&self) -> &[i64] {
        match self {
            Self::Runescape => &RUNESCAPE,
            Self::Thresholds(list) => list,
        }
    }

    /// The highest level the curve reaches (99 for `runescape`).
    pub fn max_level(&self) -> i64 {
        (self.thresholds().len() as i64).max(1)
    }

    pub fn level(&self, value: i64) -> i64 {
        let reached = self.thresholds().partition_point(|&threshold| threshold <= value);
        (reached as i64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runescape_known_points() {
        let curve = Levels::Runescape;
        assert_eq!(curve.level(0), 1);
        assert_eq!(curve.level(82), 1);
        assert_eq!(curve.level(83), 2);
        assert_eq!(curve.level(173), 2);
        assert_eq!(curve.level(174), 3);
        assert_eq!(curve.level(13_034_430), 98);
        assert_eq!(curve.level(13_034_431), 99);
        assert_eq!(curve.level(i64::MAX), 99);
        assert_eq!(curve.level(-5), 1);
    }

    #[test]
    fn threshold_lists_count_what_is_reached() {
        let curve = Levels::from_spec(&LevelsSpec::Thresholds(vec![0, 100, 300])).unwrap();
        assert_eq!(curve.level(0), 1);
        assert_eq!(curve.level(99), 1);
        assert_eq!(curve.level(100), 2);
        assert_eq!(curve.level(1000), 3);
        let from_ten = Levels::from_spec(&LevelsSpec::Thresholds(vec![10, 20])).unwrap();
        assert_eq!(from_ten.level(0), 1, "at least 1");
        assert_eq!(from_ten.level(20), 2);
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(Levels::from_spec(&LevelsSpec::Named("fibonacci".into())).is_err());
        assert!(Levels::from_spec(&LevelsSpec::Thresholds(vec![])).is_err());
        assert!(Levels::from_spec(&LevelsSpec::Thresholds(vec![0, 10, 10])).is_err());
    }
}
