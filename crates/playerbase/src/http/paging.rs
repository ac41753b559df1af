//! Paging rules shared by every listing: `limit` is 1–1000, and `next` is
//! the id to continue from, null on the last page.

use crate::error::{AppError, AppResult};

pub const MAX_PAGE: u32 = 1000;

/// The `limit` asked for, or `default`; 400 outside 1–1000.
pub fn limit(asked: Option<u32>, default: u32) -> AppResult<u32> {
    let limit = asked.unwrap_or(default);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::bad_request("invalid_limit", format!("limit must be between 1 and {MAX_PAGE}")));
    }
    Ok(limit)
}

/// Cuts `rows`, fetched as `limit + 1`, to `limit`, and names where the next page starts.
pub fn split_next<T>(mut rows: Vec<T>, limit: u32, id_of: impl Fn(&T) -> i64) -> (Vec<T>, Option<i64>) {
    if rows.len() <= limit as usize {
        return (rows, None);
    }
    rows.truncate(limit as usize);
    let next = rows.last().map(id_of);
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_names_the_next_only_when_more_rows_exist() {
        assert_eq!(split_next(vec![1, 2, 3], 2, |n| *n), (vec![1, 2], Some(2)));
        assert_eq!(split_next(vec![1, 2], 2, |n| *n), (vec![1, 2], None));
        assert_eq!(limit(None, 50).unwrap(), 50);
        assert!(limit(Some(0), 50).is_err());
        assert!(limit(Some(1001), 50).is_err());
    }
}
