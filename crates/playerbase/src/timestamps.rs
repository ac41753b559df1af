//! RFC 3339 timestamps in UTC, written from `time`'s calendar fields: its
//! format interpreter cost a profile read as much as the ten stats' JSON,
//! and the access line is written on every request.

use time::OffsetDateTime;

/// `2026-12-05T07:20:03Z`, or with `micros` `2026-12-05T07:20:03.000456Z`
/// (tracing-subscriber's own timestamps). A year outside 0–9999 is the
/// caller's to refuse: it would not fit four digits.
pub fn push_rfc3339(out: &mut Vec<u8>, at: OffsetDateTime, micros: bool) {
    let (year, month, day) = at.to_calendar_date();
    push_number(out, u64::try_from(year).unwrap_or(0), 4);
    out.push(b'-');
    push_number(out, u64::from(u8::from(month)), 2);
    out.push(b'-');
    push_number(out, u64::from(day), 2);
    out.push(b'T');
    push_number(out, u64::from(at.hour()), 2);
    out.push(b':');
    push_number(out, u64::from(at.minute()), 2);
    out.push(b':');
    push_number(out, u64::from(at.second()), 2);
    if micros {
        out.push(b'.');
        push_number(out, u64::from(at.microsecond()), 6);
    }
    out.push(b'Z');
}

/// `number` in decimal, padded with zeros to at least `width` digits.
pub fn push_number(out: &mut Vec<u8>, mut number: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while number > 0 {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
    }
    start = start.min(digits.len() - width);
    out.extend_from_slice(&digits[start..]);
}
