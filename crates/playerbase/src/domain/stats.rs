//! Stat definitions from the configuration, and the catalog of them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;
use super::levels::{Levels, LevelsSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Add,
    Max,
    Min,
    Set,
}

/// One `[[stats]]` entry as written in the configuration file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatSpec {
    pub key: String,
    pub label: Option<String>,
    #[serde(default = "default_op")]
    pub op: Op,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub default: Option<i64>,
    pub levels: Option<LevelsSpec>,
}

fn default_op() -> Op {
    Op::Add
}

/// The seed's ten XP stats, in the order its API showed them.
pub const SEED_STATS: [(&str, &str); 10] = [
    ("meleeAtkXp", "Melee attack XP"),
    ("mageAtkXp", "Mage attack XP"),
    ("rangeAtkXp", "Range attack XP"),
    ("healthXp", "Health XP"),
    ("shieldXp", "Shield XP"),
    ("evasionXp", "Evasion XP"),
    ("sizeXp", "Size XP"),
    ("blockXp", "Block XP"),
    ("ResistXp", "Resist XP"),
    ("speedXp", "Speed XP"),
];

pub fn seed_stat_specs() -> Vec<StatSpec> {
    SEED_STATS
        .iter()
        .map(|(key, label)| StatSpec {
            key: (*key).into(),
            label: Some((*label).into()),
            op: Op::Add,
            min: Some(0),
            max: None,
            default: None,
            levels: Some(LevelsSpec::Named("runescape".into())),
        })
        .collect()
}

/// A validated stat definition.
#[derive(Debug, Clone)]
pub struct StatDef {
    pub key: String,
    pub label: String,
    pub op: Op,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub default: i64,
    pub levels: Option<Levels>,
}

const MAX_STAT_KEY_LEN: usize = 64;

impl StatDef {
    pub fn from_spec(spec: &StatSpec) -> Result<Self, Invalid> {
        let key = &spec.key;
        let starts_well = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let charset_ok = key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !starts_well || !charset_ok || key.len() > MAX_STAT_KEY_LEN {
            return Err(Invalid(format!(
                "stat key {key:?} must be 1-{MAX_STAT_KEY_LEN} of A-Z a-z 0-9 _, not starting with a digit"
            )));
        }
        if let (Some(min), Some(max)) = (spec.min, spec.max)
            && min > max
        {
            return Err(Invalid(format!("stat {key}: min {min} is above max {max}")));
        }
        let default = spec.default.unwrap_or(0);
        if spec.min.is_some_and(|min| default < min) || spec.max.is_some_and(|max| default > max) {
            return Err(Invalid(format!("stat {key}: default {default} is outside its min and max")));
        }
        let levels = spec
            .levels
            .as_ref()
            .map(Levels::from_spec)
            .transpose()
            .map_err(|Invalid(why)| Invalid(format!("stat {key}: {why}")))?;
        Ok(Self {
            key: key.clone(),
            label: spec.label.clone().unwrap_or_else(|| key.clone()),
            op: spec.op,
            min: spec.min,
            max: spec.max,
            default,
            levels,
        })
    }
}

/// Every configured stat, in configuration order.
#[derive(Debug, Clone)]
pub struct StatCatalog {
    defs: Vec<StatDef>,
}

impl StatCatalog {
    pub fn from_specs(specs: &[StatSpec]) -> Result<Self, Invalid> {
        if specs.is_empty() {
            return Err(Invalid("at least one [[stats]] entry is needed".into()));
        }
        let defs = specs.iter().map(StatDef::from_spec).collect::<Result<Vec<_>, _>>()?;
        let mut seen = HashMap::new();
        for def in &defs {
            if let Some(earlier) = seen.insert(def.key.to_ascii_lowercase(), &def.key) {
                return Err(Invalid(format!("stat keys {earlier:?} and {:?} are the same ignoring case", def.key)));
            }
        }
        Ok(Self { defs })
    }

    pub fn iter(&self) -> impl Iterator<Item = &StatDef> {
        self.defs.iter()
    }

    pub fn get(&self, key: &str) -> Option<&StatDef> {
        self.defs.iter().find(|def| def.key == key)
    }

    /// The position of `key` in configuration order.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.defs.iter().position(|def| def.key == key)
    }

    pub fn by_index(&self, index: usize) -> &StatDef {
        &self.defs[index]
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Every configured stat with the player's value, or its default if never awarded.
    pub fn values(&self, stored: &HashMap<String, i64>) -> serde_json::Map<String, serde_json::Value> {
        self.defs
            .iter()
            .map(|def| (def.key.clone(), stored.get(&def.key).copied().unwrap_or(def.default).into()))
            .collect()
    }

    /// The level of every stat that has a curve.
    pub fn levels(&self, stored: &HashMap<String, i64>) -> serde_json::Map<String, serde_json::Value> {
        self.defs
            .iter()
            .filter_map(|def| {
                let curve = def.levels.as_ref()?;
                let value = stored.get(&def.key).copied().unwrap_or(def.default);
                Some((def.key.clone(), curve.level(value).into()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key: &str) -> StatSpec {
        StatSpec { key: key.into(), label: None, op: Op::Add, min: None, max: None, default: None, levels: None }
    }

    #[test]
    fn seed_catalog_has_the_ten_stats_in_order() {
        let catalog = StatCatalog::from_specs(&seed_stat_specs()).unwrap();
        let keys: Vec<_> = catalog.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, SEED_STATS.map(|(k, _)| k));
        let mut stored = HashMap::new();
        stored.insert("shieldXp".to_owned(), 90);
        let values = catalog.values(&stored);
        assert_eq!(values["shieldXp"], 90);
        assert_eq!(values["healthXp"], 0);
        assert_eq!(catalog.levels(&stored)["shieldXp"], 2);
        assert_eq!(values.keys().next().unwrap(), "meleeAtkXp", "configuration order is kept");
    }

    #[test]
    fn bad_definitions_are_refused_with_the_reason() {
        let cases = [
            (StatSpec { min: Some(5), max: Some(1), ..spec("a") }, "min 5 is above max 1"),
            (StatSpec { min: Some(1), ..spec("a") }, "default 0 is outside"),
            (spec("1abc"), "must be 1-64"),
            (spec("with-dash"), "must be 1-64"),
            (StatSpec { levels: Some(LevelsSpec::Named("x".into())), ..spec("a") }, "unknown level curve"),
        ];
        for (bad, why) in cases {
            let err = StatCatalog::from_specs(&[bad]).unwrap_err();
            assert!(err.0.contains(why), "{err} should say {why}");
        }
        let err = StatCatalog::from_specs(&[spec("xp"), spec("XP")]).unwrap_err();
        assert!(err.0.contains("same ignoring case"));
        assert!(StatCatalog::from_specs(&[]).is_err());
    }

    #[test]
    fn default_shows_before_the_first_award() {
        let catalog = StatCatalog::from_specs(&[StatSpec { default: Some(100), ..spec("hp") }]).unwrap();
        assert_eq!(catalog.values(&HashMap::new())["hp"], 100);
    }
}
