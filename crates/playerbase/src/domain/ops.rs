//! How an award changes a stat, and a period's value for it.

use super::stats::{Op, StatDef};

/// Why an award cannot be applied: it would overflow or leave the bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfBounds(pub String);

impl StatDef {
    /// Whether `candidate` beats `incumbent`: lower for `min` stats, higher otherwise.
    pub fn better(&self, candidate: i64, incumbent: i64) -> bool {
        match self.op {
            Op::Min => candidate < incumbent,
            _ => candidate > incumbent,
        }
    }

    /// The value after awarding `amount` to `current` (none if never awarded).
    ///
    /// `add` adds to the shown value (the default before the first award) and
    /// must stay within `min`/`max`; `max`, `min` and `set` take an amount
    /// that is itself within the bounds, so their result always is.
    pub fn apply(&self, current: Option<i64>, amount: i64) -> Result<i64, OutOfBounds> {
        let key = &self.key;
        let next = match (self.op, current) {
            (Op::Add, current) => current
                .unwrap_or(self.default)
                .checked_add(amount)
                .ok_or_else(|| OutOfBounds(format!("{key}: adding {amount} would overflow a 64-bit value")))?,
            (Op::Set, _) | (Op::Max | Op::Min, None) => amount,
            (Op::Max | Op::Min, Some(current)) => {
                if self.better(amount, current) {
                    amount
                } else {
                    current
                }
            }
        };
        if let Some(min) = self.min.filter(|&min| next < min) {
            return Err(OutOfBounds(format!("{key}: the result {next} would be below its min {min}")));
        }
        if let Some(max) = self.max.filter(|&max| next > max) {
            return Err(OutOfBounds(format!("{key}: the result {next} would be above its max {max}")));
        }
        if self.op != Op::Add {
            self.check_amount(amount)?;
        }
        Ok(next)
    }

    fn check_amount(&self, amount: i64) -> Result<(), OutOfBounds> {
        let outside = self.min.is_some_and(|min| amount < min) || self.max.is_some_and(|max| amount > max);
        if outside {
            return Err(OutOfBounds(format!("{}: {amount} is outside its bounds", self.key)));
        }
        Ok(())
    }

    /// A period's value after this award: the sum for `add`, the best award
    /// for `max`/`min`, the last for `set`.
    pub fn period_value(&self, current: Option<i64>, amount: i64) -> Result<i64, OutOfBounds> {
        match (self.op, current) {
            (_, None) | (Op::Set, _) => Ok(amount),
            (Op::Add, Some(sum)) => sum
                .checked_add(amount)
                .ok_or_else(|| OutOfBounds(format!("{}: the period's sum would overflow", self.key))),
            (Op::Max | Op::Min, Some(best)) => Ok(if self.better(amount, best) { amount } else { best }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::{StatDef, StatSpec};

    fn stat(op: Op, min: Option<i64>, max: Option<i64>, default: Option<i64>) -> StatDef {
        StatDef::from_spec(&StatSpec { key: "s".into(), label: None, op, min, max, default, levels: None }).unwrap()
    }

    #[test]
    fn add_adds_to_the_shown_value_and_guards_overflow() {
        let add = stat(Op::Add, None, None, Some(100));
        assert_eq!(add.apply(None, 5), Ok(105));
        assert_eq!(add.apply(Some(7), -10), Ok(-3));
        assert!(add.apply(Some(i64::MAX), 1).is_err());
        assert!(add.apply(Some(i64::MIN), -1).is_err());
    }

    #[test]
    fn add_stays_within_bounds() {
        let xp = stat(Op::Add, Some(0), Some(1000), None);
        assert_eq!(xp.apply(Some(990), 10), Ok(1000));
        assert!(xp.apply(Some(990), 11).unwrap_err().0.contains("above its max 1000"));
        assert!(xp.apply(Some(5), -6).unwrap_err().0.contains("below its min 0"));
        assert_eq!(xp.apply(Some(5), -5), Ok(0));
    }

    #[test]
    fn max_and_min_keep_the_better_and_take_the_first_as_it_is() {
        let best = stat(Op::Max, None, None, Some(50));
        assert_eq!(best.apply(None, 3), Ok(3), "first award as it is, not against the default");
        assert_eq!(best.apply(Some(3), 9), Ok(9));
        assert_eq!(best.apply(Some(9), 4), Ok(9));
        let fastest = stat(Op::Min, None, None, None);
        assert_eq!(fastest.apply(None, 90), Ok(90));
        assert_eq!(fastest.apply(Some(90), 80), Ok(80));
        assert_eq!(fastest.apply(Some(80), 85), Ok(80));
    }

    #[test]
    fn set_replaces_and_amounts_outside_bounds_are_refused() {
        let level = stat(Op::Set, Some(1), Some(10), Some(1));
        assert_eq!(level.apply(Some(8), 2), Ok(2));
        assert!(level.apply(Some(8), 11).is_err());
        assert!(level.apply(Some(8), 0).is_err());
        let capped = stat(Op::Max, Some(0), Some(100), None);
        assert!(capped.apply(Some(50), 101).is_err());
        assert!(capped.apply(Some(50), -1).is_err(), "an amount below min is refused even if it would not win");
    }

    #[test]
    fn period_values_sum_keep_the_best_or_the_last() {
        assert_eq!(stat(Op::Add, None, None, Some(100)).period_value(None, 5), Ok(5), "periods start from nothing");
        assert_eq!(stat(Op::Add, None, None, None).period_value(Some(5), 5), Ok(10));
        assert_eq!(stat(Op::Max, None, None, None).period_value(Some(5), 3), Ok(5));
        assert_eq!(stat(Op::Min, None, None, None).period_value(Some(5), 3), Ok(3));
        assert_eq!(stat(Op::Set, None, None, None).period_value(Some(5), 3), Ok(3));
        assert!(stat(Op::Add, None, None, None).period_value(Some(i64::MAX), 1).is_err());
    }
}
