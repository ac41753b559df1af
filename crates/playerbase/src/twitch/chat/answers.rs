//! The bot's answers to `!stats` and `!rank STAT`: the viewer's values,
//! levels and all-time ranks, in one chat message (Twitch takes 500 characters).

use crate::config::ChatConfig;
use crate::domain::{PeriodKey, StatCatalog, StatDef};
use crate::leaderboards::Leaderboards;
use crate::store::PlayerRecord;
use crate::twitch::chat::commands::Command;
use crate::twitch::eventsub::translate::Question;

pub const MAX_CHARS: usize = 500;

pub fn answer(
    question: &Question,
    player: Option<&PlayerRecord>,
    catalog: &StatCatalog,
    boards: &Leaderboards,
    words: &ChatConfig,
) -> String {
    let who = format!("@{}", question.chatter.login);
    let Some(player) = player else {
        if words.join.is_empty() {
            return fit(format!("{who} you are not playing yet"));
        }
        return fit(format!("{who} you are not playing yet: type {} to join", words.join));
    };
    let text = match &question.command {
        Command::Join => format!("{who} you are in"),
        Command::Stats => {
            let shown: Vec<String> = catalog
                .iter()
                .filter_map(|def| {
                    let value = *player.stats.get(&def.key)?;
                    Some(format!("{} {}", def.label, standing(def, player.id, value, boards)))
                })
                .collect();
            if shown.is_empty() { format!("{who} no stats yet") } else { format!("{who} {}", shown.join(", ")) }
        }
        Command::Rank(wanted) => match catalog.iter().find(|def| def.key.eq_ignore_ascii_case(wanted)) {
            None => {
                let keys: Vec<&str> = catalog.iter().map(|def| def.key.as_str()).collect();
                format!("{who} usage: {} STAT, one of {}", words.rank, keys.join(", "))
            }
            Some(def) => match player.stats.get(&def.key) {
                None => format!("{who} not on the {} board yet", def.label),
                Some(&value) => {
                    let total = boards.total(&def.key, PeriodKey::ALL_TIME);
                    format!("{who} {} {} of {total}", def.label, standing(def, player.id, value, boards))
                }
            },
        },
    };
    fit(text)
}

/// `VALUE (level L, #RANK)`: the level only where the stat has a curve.
fn standing(def: &StatDef, player_id: i64, value: i64, boards: &Leaderboards) -> String {
    let (rank, _) = boards.around(&def.key, PeriodKey::ALL_TIME, player_id, value, 0);
    match &def.levels {
        Some(curve) => format!("{value} (level {}, #{rank})", curve.level(value)),
        None => format!("{value} (#{rank})"),
    }
}

/// Cut to what one chat message holds, at a character boundary.
fn fit(text: String) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::seed_stat_specs;
    use crate::twitch::eventsub::message::TwitchUser;

    fn question(command: Command) -> Question {
        Question {
            broadcaster_user_id: "1".into(),
            chatter: TwitchUser { id: "7".into(), login: "kicksent".into() },
            command,
        }
    }

    #[test]
    fn answers_name_values_levels_and_ranks() {
        let catalog = StatCatalog::from_specs(&seed_stat_specs()).unwrap();
        let boards = Leaderboards::new(&catalog);
        boards.load("meleeAtkXp", PeriodKey::ALL_TIME, [(1, 500), (2, 100), (3, 90)]);
        let player = PlayerRecord {
            id: 2,
            username: "kicksent".into(),
            email: None,
            password_hash: None,
            twitch_user_id: Some("7".into()),
            twitch_login: Some("kicksent".into()),
            created_at: 0,
            stats: [("meleeAtkXp".to_owned(), 100)].into(),
        };
        let words = ChatConfig::default();
        let stats = answer(&question(Command::Stats), Some(&player), &catalog, &boards, &words);
        assert_eq!(stats, "@kicksent Melee attack XP 100 (level 2, #2)");
        let rank = answer(&question(Command::Rank("MELEEATKXP".into())), Some(&player), &catalog, &boards, &words);
        assert_eq!(rank, "@kicksent Melee attack XP 100 (level 2, #2) of 3");
        let unknown = answer(&question(Command::Rank("mana".into())), Some(&player), &catalog, &boards, &words);
        assert!(unknown.starts_with("@kicksent usage: !rank STAT, one of meleeAtkXp, mageAtkXp"), "{unknown}");
        let unranked = answer(&question(Command::Rank("speedXp".into())), Some(&player), &catalog, &boards, &words);
        assert_eq!(unranked, "@kicksent not on the Speed XP board yet");
        let stranger = answer(&question(Command::Stats), None, &catalog, &boards, &words);
        assert_eq!(stranger, "@kicksent you are not playing yet: type !join to join");
        let no_join = ChatConfig { join: String::new(), ..ChatConfig::default() };
        let stranger = answer(&question(Command::Stats), None, &catalog, &boards, &no_join);
        assert_eq!(stranger, "@kicksent you are not playing yet", "no word to offer with !join off");
        assert_eq!(fit("x".repeat(600)).chars().count(), MAX_CHARS);
    }
}
