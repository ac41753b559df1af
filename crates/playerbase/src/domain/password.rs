use super::Invalid;

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
}
