//! Chat commands, by the words configured in `[twitch.chat]`. A message
//! that is a command earns no chat award: asking for one's stats is not
//! taking part.

use crate::config::ChatConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Become a player, with no other award.
    Join,
    /// The viewer's levels and ranks.
    Stats,
    /// The viewer's rank on one stat's board (the stat as typed; may be empty).
    Rank(String),
}

/// The command a chat message is, if its first word is a command word
/// (ignoring case).
pub fn parse(text: &str, words: &ChatConfig) -> Option<Command> {
    let mut parts = text.split_whitespace();
    let first = parts.next()?;
    let is = |word: &str| !word.is_empty() && first.eq_ignore_ascii_case(word);
    if is(&words.join) {
        Some(Command::Join)
    } else if is(&words.stats) {
        Some(Command::Stats)
    } else if is(&words.rank) {
        Some(Command::Rank(parts.next().unwrap_or_default().to_owned()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_word_decides_ignoring_case() {
        let words = ChatConfig::default();
        assert_eq!(parse("!join", &words), Some(Command::Join));
        assert_eq!(parse("  !JOIN now please", &words), Some(Command::Join));
        assert_eq!(parse("!stats", &words), Some(Command::Stats));
        assert_eq!(parse("!rank meleeAtkXp extra", &words), Some(Command::Rank("meleeAtkXp".into())));
        assert_eq!(parse("!rank", &words), Some(Command::Rank(String::new())));
        assert_eq!(parse("please !join", &words), None);
        assert_eq!(parse("!joined", &words), None);
        assert_eq!(parse("", &words), None);
        let custom = ChatConfig { join: "!play".into(), ..ChatConfig::default() };
        assert_eq!(parse("!play", &custom), Some(Command::Join));
        assert_eq!(parse("!join", &custom), None);
    }
}
