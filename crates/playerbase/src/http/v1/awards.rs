//! Awards from game servers: one player's stats, or a batch; and the ledger.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::check_stat;
use crate::auth::ApiKey;
use crate::auth::extract::AwardsWrite;
use crate::awards::{Answer, Award, AwardJob, Claim, PlayerRef, Reply, replay};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{Json, JsonBytes, Path, Query};
use crate::http::paging;
use crate::http::v1::claims::{Asked, claim};
use crate::http::views::rfc3339;
use crate::state::AppState;
use crate::store::awards::LedgerRow;

pub use crate::awards::MAX_BATCH;
/// Body limit of the batch route: 10,000 awards fit with room to spare.
pub const BATCH_BODY_LIMIT: usize = 2 * 1024 * 1024;
const MAX_REASON_LEN: usize = 200;
const TAG: &str = "awards";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(award_player, ledger))
        .merge(OpenApiRouter::new().routes(routes!(award_batch)).layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlayerAwards {
    /// Stat key → amount, applied in the order given; each stat once.
    #[schema(value_type = HashMap<String, i64>, example = json!({"meleeAtkXp": 50}))]
    stats: StatAmounts,
    /// Recorded in the ledger; at most 200 characters.
    reason: Option<String>,
}

/// A JSON object's entries in the order given. A stat named twice is
/// refused: JSON parsers keep one of the two, and which is anyone's guess.
struct StatAmounts(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for StatAmounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = StatAmounts;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of stat keys and amounts")
            }

            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<StatAmounts, M::Error> {
                let mut entries = Vec::new();
                let mut seen = std::collections::HashSet::new();
                while let Some((stat, amount)) = map.next_entry::<String, serde_json::Value>()? {
                    if !seen.insert(stat.clone()) {
                        return Err(serde::de::Error::custom(format!("stats names {stat:?} twice")));
                    }
                    entries.push((stat, amount));
                }
                Ok(StatAmounts(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PlayerStatsAfter {
    pub player_id: i64,
    /// Every stat after the awards.
    #[schema(value_type = HashMap<String, i64>)]
    pub stats: serde_json::Map<String, serde_json::Value>,
}

fn check_reason(reason: &Option<String>) -> AppResult<()> {
    if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON_LEN) {
        return Err(AppError::bad_request("invalid_reason", format!("reason is at most {MAX_REASON_LEN} characters")));
    }
    Ok(())
}

/// Charges `count` awards to the key's budget (`limits.awards_per_key`).
/// Over it, a retry of a request already answered still gets its first
/// answer (409 for another body), as the Idempotency-Key promises; anything
/// else is refused with its Retry-After.
async fn over_limit(state: &AppState, key_id: i64, claim: &Option<Claim>, count: usize) -> AppResult<Option<Reply>> {
    let Err(retry_after) = state.limits.awards(key_id, count, state.clock.now()) else { return Ok(None) };
    if let Some(claim) = claim
        && let Some(first) = state.store.stored_reply(&claim.key).await?
    {
        return Ok(Some(replay(&first, claim)));
    }
    Err(retry_after.into())
}

/// Award stats to one player; all or nothing.
#[utoipa::path(post, path = "/api/v1/players/{id}/awards", tag = TAG, request_body = PlayerAwards,
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "retry safely: the same key and body answer the first answer again")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlayerStatsAfter),
        (status = 400, body = ErrorBody, description = "malformed body or Idempotency-Key"),
        (status = 401, body = ErrorBody, description = "no or unknown API key"),
        (status = 403, body = ErrorBody, description = "`missing_scope`: the key lacks awards:write, or a player's token was sent instead of a key"),
        (status = 404, body = ErrorBody, description = "no such player"),
        (status = 409, body = ErrorBody, description = "Idempotency-Key reused with another body"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
        (status = 422, body = ErrorBody, description = "unknown stat, overflow, or outside the stat's bounds; nothing applied"),
        (status = 429, body = ErrorBody, description = "the key is over limits.awards_per_key; see Retry-After (a retry of an answered Idempotency-Key gets its first answer instead)"),
    ))]
async fn award_player(
    state: State<AppState>,
    api_key: ApiKey<AwardsWrite>,
    Path(player_id): Path<i64>,
    headers: HeaderMap,
    JsonBytes { value: request, bytes }: JsonBytes<PlayerAwards>,
) -> AppResult<Reply> {
    check_reason(&request.reason)?;
    let StatAmounts(stats) = request.stats;
    if stats.is_empty() {
        return Err(AppError::bad_request("invalid_body", "stats must name at least one stat"));
    }
    let mut awards = Vec::with_capacity(stats.len());
    for (stat, amount) in stats {
        let amount = amount.as_i64().ok_or_else(|| {
            AppError::bad_request("invalid_body", format!("the amount of {stat} must be a 64-bit integer"))
        })?;
        check_stat(&state, &stat)?;
        awards.push(Award { player: PlayerRef::Id(player_id), stat, amount });
    }
    let route = format!("players/{player_id}/awards");
    let reason = request.reason.as_deref();
    let asked = Asked { route: &route, awards: &awards, any_order: true, reason, body: &bytes };
    let claim = claim(&headers, api_key.key.id, asked)?;
    let source = format!("api:{}", api_key.key.name);
    if let Some(first) = over_limit(&state, api_key.key.id, &claim, awards.len()).await? {
        return Ok(first);
    }
    let job = AwardJob {
        awards,
        answer: Answer::PlayerStats(player_id),
        source,
        reason: request.reason,
        claim,
        twitch: None,
    };
    Ok(state.awards.submit(job).await)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchAward {
    /// The player, by id; or give `twitch_user_id`.
    player_id: Option<i64>,
    twitch_user_id: Option<String>,
    stat: String,
    amount: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardBatch {
    /// Up to 10,000 awards, applied in order, all or nothing.
    awards: Vec<BatchAward>,
    reason: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct BatchApplied {
    pub applied: usize,
}

/// Award many stats to many players at once; all or nothing.
#[utoipa::path(post, path = "/api/v1/awards", tag = TAG, request_body = AwardBatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry safely: the same key and body answer the first answer again")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = BatchApplied),
        (status = 400, body = ErrorBody, description = "malformed body, or an award naming no player or two"),
        (status = 401, body = ErrorBody, description = "no or unknown API key"),
        (status = 403, body = ErrorBody, description = "`missing_scope`: the key lacks awards:write, or a player's token was sent instead of a key"),
        (status = 404, body = ErrorBody, description = "an unknown player or Twitch id; nothing applied"),
        (status = 409, body = ErrorBody, description = "Idempotency-Key reused with another body"),
        (status = 413, body = ErrorBody, description = "body over 2 MiB"),
        (status = 422, body = ErrorBody, description = "over 10,000 awards, unknown stat, overflow or bounds; nothing applied"),
        (status = 429, body = ErrorBody, description = "the key is over limits.awards_per_key; see Retry-After (a retry of an answered Idempotency-Key gets its first answer instead)"),
    ))]
async fn award_batch(
    state: State<AppState>,
    api_key: ApiKey<AwardsWrite>,
    headers: HeaderMap,
    JsonBytes { value: request, bytes }: JsonBytes<AwardBatch>,
) -> AppResult<Reply> {
    check_reason(&request.reason)?;
    if request.awards.len() > MAX_BATCH {
        return Err(AppError::Unprocessable {
            code: "too_many_awards",
            message: format!("a batch holds at most {MAX_BATCH} awards, not {}", request.awards.len()),
        });
    }
    let mut awards = Vec::with_capacity(request.awards.len());
    for (n, award) in request.awards.into_iter().enumerate() {
        let player = match (award.player_id, award.twitch_user_id) {
            (Some(id), None) => PlayerRef::Id(id),
            (None, Some(twitch_id)) => PlayerRef::Twitch(twitch_id),
            _ => {
                return Err(AppError::bad_request(
                    "invalid_body",
                    format!("award {n} must name exactly one of player_id and twitch_user_id"),
                ));
            }
        };
        check_stat(&state, &award.stat)?;
        awards.push(Award { player, stat: award.stat, amount: award.amount });
    }
    let reason = request.reason.as_deref();
    let asked = Asked { route: "awards", awards: &awards, any_order: false, reason, body: &bytes };
    let claim = claim(&headers, api_key.key.id, asked)?;
    let source = format!("api:{}", api_key.key.name);
    if let Some(first) = over_limit(&state, api_key.key.id, &claim, awards.len()).await? {
        return Ok(first);
    }
    let job = AwardJob { awards, answer: Answer::Applied, source, reason: request.reason, claim, twitch: None };
    Ok(state.awards.submit(job).await)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LedgerParams {
    /// 1–1000, default 50.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Only rows with an id below this; pass the last page's `next`.
    before: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    pub id: i64,
    pub stat: String,
    /// As asked.
    pub amount: i64,
    pub value_after: i64,
    /// `api:KEYNAME`, `twitch:EVENT_TYPE`, `import` or `admin`.
    pub source: String,
    pub reason: Option<String>,
    /// RFC 3339, UTC.
    pub at: String,
    /// The EventSub message (`Twitch-Eventsub-Message-Id`) an award from Twitch came from; null otherwise.
    pub twitch_message_id: Option<String>,
}

impl From<LedgerRow> for LedgerEntry {
    fn from(row: LedgerRow) -> Self {
        Self {
            id: row.id,
            stat: row.stat,
            amount: row.amount,
            value_after: row.value_after,
            source: row.source,
            reason: row.reason,
            at: rfc3339(row.at),
            twitch_message_id: row.twitch_message_id,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LedgerPage {
    pub awards: Vec<LedgerEntry>,
    /// The `before` of the next page; null on the last.
    pub next: Option<i64>,
}

/// A player's award ledger, newest first.
#[utoipa::path(get, path = "/api/v1/players/{id}/awards", tag = TAG, params(("id" = i64, Path), LedgerParams),
    responses(
        (status = 200, body = LedgerPage),
        (status = 400, body = ErrorBody, description = "limit outside 1–1000"),
        (status = 404, body = ErrorBody, description = "no such player"),
    ))]
async fn ledger(
    state: State<AppState>,
    Path(player_id): Path<i64>,
    Query(params): Query<LedgerParams>,
) -> AppResult<Json<LedgerPage>> {
    let limit = paging::limit(params.limit, 50)?;
    if state.store.player_by_id(player_id).await?.is_none() {
        return Err(AppError::not_found("player_not_found", format!("no player with id {player_id}")));
    }
    let rows = state.store.ledger_page(player_id, params.before, limit + 1).await?;
    let (rows, next) = paging::split_next(rows, limit, |row| row.id);
    let awards = rows.into_iter().map(LedgerEntry::from).collect();
    Ok(Json(LedgerPage { awards, next }))
}
