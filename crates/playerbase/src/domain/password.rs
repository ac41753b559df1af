use std::collections::HashSet;
use std::sync::LazyLock;

use super::Invalid;

/// The 10,000 most common passwords of leaked password lists, lower case,
/// most common first (from the MIT-licensed zxcvbn frequency lists). The
/// first guesses of any attacker; refused whatever the length rule says.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

/// The longest password accepted, in characters. Argon2 cost does not grow
/// with length, but a bound keeps request handling predictable.
pub const MAX_PASSWORD_LEN: usize = 256;

#[derive(Debug, Clone, Copy)]
pub struct PasswordRules {
    pub min_length: usize,
}

impl PasswordRules {
    pub fn check(&self, password: &str) -> Result<(), Invalid> {
        let length = password.chars().count();
        if length < self.min_length {
            return Err(Invalid(format!("password must be at least {} characters", self.min_length)));
        }
        if length > MAX_PASSWORD_LEN {
            return Err(Invalid(format!("password must be at most {MAX_PASSWORD_LEN} characters")));
        }
        if is_common(password) {
            return Err(Invalid("that password is one of the most common ones, tried first by attackers".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_both_bounds_in_characters() {
        let rules = PasswordRules { min_length: 8 };
        assert!(rules.check("python3x").is_ok());
        assert!(rules.check("short").is_err());
        assert!(rules.check("ééééééé").is_err(), "7 characters, 14 bytes");
        assert!(rules.check(&"p".repeat(MAX_PASSWORD_LEN)).is_ok());
        assert!(rules.check(&"p".repeat(MAX_PASSWORD_LEN + 1)).is_err());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        let rules = PasswordRules { min_length: 4 };
        for common in ["password", "PASSWORD1", "12345678", "qwerty", "iloveyou", "Dragon"] {
            let err = rules.check(common).unwrap_err();
            assert!(err.0.contains("most common"), "{common}: {}", err.0);
        }
        assert_eq!(COMMON.len(), 10_000);
        assert!(rules.check("python3x").is_ok());
        assert!(rules.check("correct horse battery staple").is_ok());
    }
}
