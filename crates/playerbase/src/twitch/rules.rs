//! `[[twitch.rules]]`, compiled once against the stat catalog: which event
//! awards which stat how much. A rule that could never apply is an error
//! at start, naming the rule, not a silent no-op at the first event.

use crate::config::RuleSpec;
use crate::domain::StatCatalog;
use crate::twitch::eventsub::message::{CHAT_MESSAGE, CHEER, FOLLOW, RAID, REDEMPTION, SUBSCRIBE};

/// Events a rule may name, with what each takes besides `stat`.
const EVENTS: [(&str, &str); 6] = [
    (FOLLOW, "amount"),
    (SUBSCRIBE, "amount, optional tier"),
    (CHEER, "per_bit or amount"),
    (REDEMPTION, "reward and amount"),
    (RAID, "amount and/or per_viewer"),
    (CHAT_MESSAGE, "amount, optional cooldown_seconds"),
];

const TIERS: [&str; 3] = ["1000", "2000", "3000"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Follow,
    /// Only this tier, when given.
    Subscribe {
        tier: Option<String>,
    },
    Cheer,
    /// The reward's title or id.
    Redemption {
        reward: String,
    },
    Raid,
    /// At most one award per chatter per this many seconds (0: every message).
    Chat {
        cooldown_seconds: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub trigger: Trigger,
    pub stat: String,
    pub amount: Option<i64>,
    pub per_bit: Option<i64>,
    pub per_viewer: Option<i64>,
}

/// What an event earns its viewer under one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earned {
    pub stat: String,
    pub amount: i64,
    /// `(rule key, seconds)`: the award is skipped if the viewer earned from
    /// the same rule less than `seconds` before.
    pub cooldown: Option<(String, i64)>,
}

/// An event as the rules see it.
#[derive(Debug, Clone, Copy)]
pub enum Occurrence<'a> {
    Follow,
    Subscribe { tier: Option<&'a str> },
    Cheer { bits: i64 },
    Redemption { reward_id: &'a str, reward_title: &'a str },
    Raid { viewers: i64 },
    Chat,
}

#[derive(Debug, Clone, Default)]
pub struct Rules(Vec<Rule>);

impl Rules {
    /// Checks every rule; the error names the first wrong one (1-based, as in the file).
    pub fn compile(specs: &[RuleSpec], catalog: &StatCatalog) -> Result<Self, String> {
        let rules = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| compile_one(spec, catalog).map_err(|why| format!("twitch.rules entry {}: {why}", i + 1)))
            .collect::<Result<_, _>>()?;
        Ok(Self(rules))
    }

    /// Every award `occurrence` earns, in rule order.
    pub fn earned(&self, occurrence: Occurrence<'_>) -> Vec<Earned> {
        self.0.iter().filter_map(|rule| rule.earned(occurrence)).collect()
    }
}

impl Rule {
    fn earned(&self, occurrence: Occurrence<'_>) -> Option<Earned> {
        let amount = match (&self.trigger, occurrence) {
            (Trigger::Follow, Occurrence::Follow) | (Trigger::Chat { .. }, Occurrence::Chat) => self.amount?,
            (Trigger::Subscribe { tier: wanted }, Occurrence::Subscribe { tier }) => {
                if wanted.as_deref().is_some_and(|wanted| Some(wanted) != tier) {
                    return None;
                }
                self.amount?
            }
            (Trigger::Cheer, Occurrence::Cheer { bits }) => match self.per_bit {
                Some(per_bit) => per_bit.checked_mul(bits)?,
                None => self.amount?,
            },
            (Trigger::Redemption { reward }, Occurrence::Redemption { reward_id, reward_title }) => {
                // The title as the streamer remembers it: "hydrate" is their "Hydrate" reward.
                if reward != reward_id && reward.to_lowercase() != reward_title.to_lowercase() {
                    return None;
                }
                self.amount?
            }
            (Trigger::Raid, Occurrence::Raid { viewers }) => {
                let per_viewer = self.per_viewer.unwrap_or(0).checked_mul(viewers.max(0))?;
                self.amount.unwrap_or(0).checked_add(per_viewer)?
            }
            _ => return None,
        };
        let cooldown = match self.trigger {
            // Each rule its own, named by what it does, not where it stands in
            // the file: two chat rules on one stat must not hold each other back,
            // and reordering the rules must not move cooldowns between them.
            Trigger::Chat { cooldown_seconds } if cooldown_seconds > 0 => Some((
                format!("{CHAT_MESSAGE}:{}:{}/{cooldown_seconds}s", self.stat, self.amount.unwrap_or(0)),
                cooldown_seconds,
            )),
            _ => None,
        };
        Some(Earned { stat: self.stat.clone(), amount, cooldown })
    }
}

fn compile_one(spec: &RuleSpec, catalog: &StatCatalog) -> Result<Rule, String> {
    let Some(&(event, takes)) = EVENTS.iter().find(|(name, _)| *name == spec.event) else {
        let known: Vec<_> = EVENTS.iter().map(|(name, _)| *name).collect();
        return Err(format!("unknown event {:?}; rules can name {}", spec.event, known.join(", ")));
    };
    if catalog.get(&spec.stat).is_none() {
        let stats: Vec<_> = catalog.iter().map(|def| def.key.as_str()).collect();
        return Err(format!("unknown stat {:?}; the stats are {}", spec.stat, stats.join(", ")));
    }
    let refuse = |field: &str| format!("{event} does not take {field} (it takes {takes})");
    if spec.per_bit.is_some() && event != CHEER {
        return Err(refuse("per_bit"));
    }
    if spec.per_viewer.is_some() && event != RAID {
        return Err(refuse("per_viewer"));
    }
    if spec.reward.is_some() && event != REDEMPTION {
        return Err(refuse("reward"));
    }
    if spec.tier.is_some() && event != SUBSCRIBE {
        return Err(refuse("tier"));
    }
    if spec.cooldown_seconds.is_some() && event != CHAT_MESSAGE {
        return Err(refuse("cooldown_seconds"));
    }
    let missing = || format!("{event} needs {takes}");
    let trigger = match event {
        FOLLOW => Trigger::Follow,
        SUBSCRIBE => {
            if let Some(tier) = &spec.tier
                && !TIERS.contains(&tier.as_str())
            {
                return Err(format!("tier {tier:?} is not one of {}", TIERS.join(", ")));
            }
            Trigger::Subscribe { tier: spec.tier.clone() }
        }
        CHEER => {
            if spec.per_bit.is_some() == spec.amount.is_some() {
                return Err(format!("{event} needs exactly one of per_bit and amount"));
            }
            Trigger::Cheer
        }
        REDEMPTION => match spec.reward.as_deref() {
            Some(reward) if !reward.is_empty() => Trigger::Redemption { reward: reward.to_owned() },
            _ => return Err(missing()),
        },
        RAID => {
            if spec.amount.is_none() && spec.per_viewer.is_none() {
                return Err(missing());
            }
            Trigger::Raid
        }
        _ => {
            let cooldown_seconds = spec.cooldown_seconds.unwrap_or(0);
            let cooldown_seconds = i64::try_from(cooldown_seconds).map_err(|_| "cooldown_seconds is too large")?;
            Trigger::Chat { cooldown_seconds }
        }
    };
    if spec.amount.is_none() && !matches!(trigger, Trigger::Cheer | Trigger::Raid) {
        return Err(missing());
    }
    Ok(Rule {
        trigger,
        stat: spec.stat.clone(),
        amount: spec.amount,
        per_bit: spec.per_bit,
        per_viewer: spec.per_viewer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::seed_stat_specs;

    fn catalog() -> StatCatalog {
        StatCatalog::from_specs(&seed_stat_specs()).unwrap()
    }

    fn spec(event: &str) -> RuleSpec {
        RuleSpec { event: event.into(), stat: "meleeAtkXp".into(), ..RuleSpec::default() }
    }

    #[test]
    fn mistakes_name_the_rule_and_what_is_wrong() {
        let cases = [
            (spec("channel.hug"), "unknown event \"channel.hug\""),
            (RuleSpec { stat: "manaXp".into(), amount: Some(1), ..spec(FOLLOW) }, "unknown stat \"manaXp\""),
            (spec(FOLLOW), "channel.follow needs amount"),
            (spec(CHEER), "exactly one of per_bit and amount"),
            (RuleSpec { per_bit: Some(1), amount: Some(1), ..spec(CHEER) }, "exactly one"),
            (RuleSpec { amount: Some(1), ..spec(REDEMPTION) }, "needs reward"),
            (spec(RAID), "needs amount and/or per_viewer"),
            (RuleSpec { amount: Some(1), tier: Some("4000".into()), ..spec(SUBSCRIBE) }, "tier \"4000\""),
            (RuleSpec { amount: Some(1), per_bit: Some(1), ..spec(FOLLOW) }, "does not take per_bit"),
            (RuleSpec { amount: Some(1), cooldown_seconds: Some(5), ..spec(FOLLOW) }, "cooldown_seconds"),
            (RuleSpec { amount: Some(1), per_viewer: Some(5), ..spec(CHAT_MESSAGE) }, "per_viewer"),
            (RuleSpec { amount: Some(1), ..spec("stream.online") }, "unknown event"),
        ];
        for (spec, expected) in cases {
            let err = Rules::compile(std::slice::from_ref(&spec), &catalog()).unwrap_err();
            assert!(err.contains(expected) && err.starts_with("twitch.rules entry 1"), "{spec:?} gave {err:?}");
        }
    }

    #[test]
    fn events_earn_by_their_rules() {
        let rules = Rules::compile(
            &[
                RuleSpec { per_bit: Some(2), ..spec(CHEER) },
                RuleSpec { amount: Some(500), tier: Some("3000".into()), ..spec(SUBSCRIBE) },
                RuleSpec { amount: Some(7), reward: Some("Hydrate".into()), ..spec(REDEMPTION) },
                RuleSpec { amount: Some(100), per_viewer: Some(3), ..spec(RAID) },
                RuleSpec { amount: Some(1), cooldown_seconds: Some(60), ..spec(CHAT_MESSAGE) },
            ],
            &catalog(),
        )
        .unwrap();
        let amounts = |o| rules.earned(o).iter().map(|e| e.amount).collect::<Vec<_>>();
        assert_eq!(amounts(Occurrence::Cheer { bits: 50 }), [100]);
        assert_eq!(amounts(Occurrence::Subscribe { tier: Some("1000") }), [0; 0]);
        assert_eq!(amounts(Occurrence::Subscribe { tier: Some("3000") }), [500]);
        assert_eq!(amounts(Occurrence::Redemption { reward_id: "x", reward_title: "Hydrate" }), [7]);
        assert_eq!(amounts(Occurrence::Redemption { reward_id: "x", reward_title: "HYDRATE" }), [7], "any case");
        assert_eq!(amounts(Occurrence::Redemption { reward_id: "hydrate", reward_title: "y" }), [0; 0], "ids exactly");
        assert_eq!(amounts(Occurrence::Redemption { reward_id: "Hydrate", reward_title: "y" }), [7]);
        assert_eq!(amounts(Occurrence::Redemption { reward_id: "x", reward_title: "y" }), [0; 0]);
        assert_eq!(amounts(Occurrence::Raid { viewers: 10 }), [130]);
        assert_eq!(amounts(Occurrence::Follow), [0; 0]);
        let chat = rules.earned(Occurrence::Chat);
        assert_eq!(chat[0].cooldown, Some(("channel.chat.message:meleeAtkXp:1/60s".into(), 60)));
        assert_eq!(amounts(Occurrence::Cheer { bits: i64::MAX }), [0; 0], "an overflowing award is dropped");
    }

    #[test]
    fn chat_rules_on_one_stat_keep_cooldowns_of_their_own() {
        let chat =
            |amount, seconds| RuleSpec { amount: Some(amount), cooldown_seconds: Some(seconds), ..spec(CHAT_MESSAGE) };
        let rules = Rules::compile(&[chat(1, 60), chat(100, 3600)], &catalog()).unwrap();
        let keys: Vec<_> = rules.earned(Occurrence::Chat).into_iter().map(|e| e.cooldown.unwrap().0).collect();
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], keys[1]);
    }
}
