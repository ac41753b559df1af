//! `Idempotency-Key` on the award routes: the key, and what the request asks
//! for. Requests are compared by their awards, not by their bytes, so that a
//! retry that builds its JSON again (other spacing, other key order) is the
//! same request; a request with other awards under the key is 409.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::awards::{Award, Claim, PlayerRef};
use crate::error::{AppError, AppResult};
use crate::store::awards::IdempotencyKey;

const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// What a request asks for: `route`, `awards` (in the order they apply,
/// unless `any_order`: one player's stats are independent of each other)
/// and `reason`; and its `body` as sent.
pub struct Asked<'a> {
    pub route: &'a str,
    pub awards: &'a [Award],
    pub any_order: bool,
    pub reason: Option<&'a str>,
    pub body: &'a [u8],
}

/// The request's claim on its `Idempotency-Key`, if it sent one.
pub fn claim(headers: &HeaderMap, owner: i64, asked: Asked<'_>) -> AppResult<Option<Claim>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY_LEN && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_idempotency_key",
                format!("Idempotency-Key is 1-{MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
            )
        })?;
    let key = IdempotencyKey { owner, key: key.to_owned() };
    let Asked { route, awards, any_order, reason, body } = asked;
    let mut awards: Vec<&Award> = awards.iter().collect();
    if any_order {
        awards.sort_by(|a, b| a.stat.cmp(&b.stat));
    }
    let request_hash = fingerprint(route, awards, reason);
    let body_hash =
        Sha256::new().chain_update(route.as_bytes()).chain_update([0]).chain_update(body).finalize().to_vec();
    Ok(Some(Claim { key, request_hash, body_hash }))
}

/// SHA-256 over every field, each text preceded by its length, so that no
/// two different requests run together into the same bytes.
fn fingerprint<'a>(route: &str, awards: impl IntoIterator<Item = &'a Award>, reason: Option<&str>) -> Vec<u8> {
    let mut hash = Sha256::new();
    let text = |hash: &mut Sha256, text: &str| {
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(text.as_bytes());
    };
    text(&mut hash, route);
    for award in awards {
        match &award.player {
            PlayerRef::Id(id) => {
                hash.update([0]);
                hash.update(id.to_le_bytes());
            }
            PlayerRef::Twitch(twitch_id) => {
                hash.update([1]);
                text(&mut hash, twitch_id);
            }
        }
        text(&mut hash, &award.stat);
        hash.update(award.amount.to_le_bytes());
    }
    match reason {
        None => hash.update([0]),
        Some(reason) => {
            hash.update([1]);
            text(&mut hash, reason);
        }
    }
    hash.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn award(player: PlayerRef, stat: &str, amount: i64) -> Award {
        Award { player, stat: stat.into(), amount }
    }

    #[test]
    fn requests_asking_for_anything_else_differ() {
        let base = [award(PlayerRef::Id(1), "xp", 5), award(PlayerRef::Twitch("7".into()), "gold", 2)];
        let same = fingerprint("awards", &base, Some("raid"));
        assert_eq!(same, fingerprint("awards", &base.clone(), Some("raid")));
        let mut others = vec![
            fingerprint("players/1/awards", &base, Some("raid")),
            fingerprint("awards", &base, None),
            fingerprint("awards", &base, Some("")),
            fingerprint("awards", &base[..1], Some("raid")),
            fingerprint("awards", &[base[1].clone(), base[0].clone()], Some("raid")),
            fingerprint("awards", &[award(PlayerRef::Id(1), "xp", 6), base[1].clone()], Some("raid")),
            fingerprint("awards", &[award(PlayerRef::Id(2), "xp", 5), base[1].clone()], Some("raid")),
            fingerprint("awards", &[award(PlayerRef::Twitch("1".into()), "xp", 5), base[1].clone()], Some("raid")),
            fingerprint(
                "awards",
                &[award(PlayerRef::Id(1), "xpg", 5), award(PlayerRef::Twitch("7".into()), "old", 2)],
                Some("raid"),
            ),
        ];
        others.push(same);
        let count = others.len();
        others.sort();
        others.dedup();
        assert_eq!(others.len(), count, "every request above has a fingerprint of its own");
    }
}
