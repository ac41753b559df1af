use std::fmt;
use std::str::FromStr;

use super::Invalid;

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    PlayersWrite,
    AwardsWrite,
    /// Everything, including what the other scopes allow.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::PlayersWrite, Scope::AwardsWrite, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlayersWrite => "players:write",
            Self::AwardsWrite => "awards:write",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Scope {
    type Err = Invalid;

    fn from_str(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == raw)
            .ok_or_else(|| Invalid(format!("unknown scope {raw:?}: use players:write, awards:write or admin")))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key's scopes, as stored: space-separated.
pub fn parse_scopes(stored: &str) -> Result<Vec<Scope>, Invalid> {
    stored.split_whitespace().map(Scope::from_str).collect()
}

pub fn format_scopes(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_ones_are_refused() {
        let scopes = vec![Scope::AwardsWrite, Scope::Admin];
        assert_eq!(parse_scopes(&format_scopes(&scopes)).unwrap(), scopes);
        assert!("awards:read".parse::<Scope>().is_err());
        assert_eq!("players:write".parse::<Scope>().unwrap(), Scope::PlayersWrite);
    }
}
