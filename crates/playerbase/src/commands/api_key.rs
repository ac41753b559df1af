//! `playerbase api-key create|list|revoke`.

use std::io::Write;

use anyhow::{Context, bail};

use crate::auth::token::{self, API_KEY_PREFIX};
use crate::domain::Scope;
use crate::domain::scope::format_scopes;
use crate::http::views::rfc3339;
use crate::store::{Store, StoreError};

const MAX_NAME_LEN: usize = 64;

/// 1–64 of `A–Z a–z 0–9 _ - .`: the name shows in the ledger as `api:NAME`.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let charset_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if name.is_empty() || name.len() > MAX_NAME_LEN || !charset_ok {
        bail!("an API key name is 1-{MAX_NAME_LEN} of A-Z a-z 0-9 _ - .");
    }
    Ok(())
}

/// Creates a key and writes it, alone, to `out`: the only time it is shown.
pub async fn create(
    store: &dyn Store,
    name: &str,
    scopes: &[Scope],
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    check_name(name)?;
    if scopes.is_empty() {
        bail!("give at least one --scope: players:write, awards:write or admin");
    }
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let secret = token::generate(API_KEY_PREFIX);
    match store.create_api_key(name, &secret.hash, &scopes, now).await {
        Ok(_) => {}
        Err(StoreError::Taken(_)) => bail!("a live API key named {name:?} exists; revoke it first"),
        Err(err) => return Err(err).context("cannot store the API key"),
    }
    // The key is live now; written nowhere, nobody has it.
    writeln!(out, "{}", secret.text).and_then(|()| out.flush()).with_context(|| {
        format!("the key {name:?} was created but could not be shown: revoke it (playerbase api-key revoke {name}) and create another")
    })?;
    Ok(())
}

pub async fn list(store: &dyn Store, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(out, "NAME\tSCOPES\tCREATED\tSTATUS")?;
    for key in store.list_api_keys().await? {
        let status = key.revoked_at.map_or_else(|| "live".to_owned(), |at| format!("revoked {}", rfc3339(at)));
        writeln!(out, "{}\t{}\t{}\t{status}", key.name, format_scopes(&key.scopes), rfc3339(key.created_at))?;
    }
    Ok(())
}

pub async fn revoke(store: &dyn Store, name: &str, now: i64) -> anyhow::Result<()> {
    if !store.revoke_api_key(name, now).await? {
        bail!("no live API key named {name:?}");
    }
    Ok(())
}
