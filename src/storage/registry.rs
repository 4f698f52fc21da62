//! The shard registry (the `shards` table of the common database, the truth for which
//! shards exist) and the placement policy for new accounts.
//!
//! Seeding: the configured shard URLs fill the registry where it has no row for that kind
//! and number yet, so appending a URL to the configuration adds a shard; rows already in
//! the registry are never changed by configuration. An operator takes a shard out of
//! placement with `UPDATE shards SET in_use = false WHERE ...` (its users stay on it).
//!
//! Placement policy: **fewest users**. A new account goes to the in-use game shard with
//! the fewest accounts (ties: the lowest shard number), and likewise for log shards. The
//! counts are read once at start-up and kept up to date by this node's registrations.
//! Adding a shard moves no existing user: new accounts fill it first until it catches up.

use std::collections::BTreeMap;
use std::sync::Mutex;

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;

use crate::storage::db::{Db, DbKind};
use crate::storage::schema::{accounts, shards};
use crate::storage::{StoreError, StoreResult};
use crate::with_conn;

/// One row of the registry.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable)]
pub struct ShardRow {
    pub shard_idx: i32,
    pub kind: String,
    pub shard_no: i16,
    pub location: String,
    pub world: i16,
    pub in_use: bool,
    pub created_at_ms: i64,
}

/// Reads the registry, first adding a row for every configured shard it lacks.
pub async fn load_or_seed(common: &Db, game: &[String], log: &[String], now_ms: i64) -> StoreResult<Vec<ShardRow>> {
    let existing = read(common).await?;
    let mut next_idx = existing.iter().map(|r| r.shard_idx).max().unwrap_or(0) + 1;
    for (kind, urls) in [(DbKind::Game, game), (DbKind::Log, log)] {
        for (i, url) in urls.iter().enumerate() {
            let shard_no =
                i16::try_from(i + 1).map_err(|_| StoreError::Database("seed shards".into(), "too many".into()))?;
            if let Some(row) = existing.iter().find(|r| r.kind == kind.as_str() && r.shard_no == shard_no) {
                if &row.location != url {
                    tracing::warn!(
                        kind = kind.as_str(),
                        shard.no = shard_no,
                        "configured shard URL differs from the registry; the registry wins"
                    );
                }
                continue;
            }
            let (idx, location) = (next_idx, url.clone());
            with_conn!(common, "seed the shard registry", |conn| {
                diesel::insert_into(shards::table)
                    .values((
                        shards::shard_idx.eq(idx),
                        shards::kind.eq(kind.as_str()),
                        shards::shard_no.eq(shard_no),
                        shards::location.eq(&location),
                        shards::world.eq(1i16),
                        shards::in_use.eq(true),
                        shards::created_at_ms.eq(now_ms),
                    ))
                    .execute(conn)
                    .await
                    .map_err(|e| StoreError::Database("seed the shard registry".into(), e.to_string()))
            })?;
            tracing::info!(kind = kind.as_str(), shard.no = shard_no, "shard registered");
            next_idx += 1;
        }
    }
    read(common).await
}

pub async fn read(common: &Db) -> StoreResult<Vec<ShardRow>> {
    with_conn!(common, "read the shard registry", |conn| {
        shards::table
            .order((shards::kind, shards::shard_no))
            .load::<ShardRow>(conn)
            .await
            .map_err(|e| StoreError::Database("read the shard registry".into(), e.to_string()))
    })
}

/// Where new accounts go.
#[derive(Debug)]
pub struct Placement {
    /// (kind, shard_no) → accounts placed there, for in-use shards only.
    counts: Mutex<BTreeMap<(DbKind, i16), u64>>,
}

impl Placement {
    /// The policy over the in-use shards of `rows`, with account counts read from `common`.
    pub async fn new(common: &Db, rows: &[ShardRow]) -> StoreResult<Self> {
        let what = "count accounts per shard";
        type Counts = Vec<(i16, i64)>;
        let (game, log): (Counts, Counts) = with_conn!(common, what, |conn| {
            let game = accounts::table
                .group_by(accounts::gamedb_shard_no)
                .select((accounts::gamedb_shard_no, diesel::dsl::count_star()))
                .load::<(i16, i64)>(conn)
                .await;
            let log = accounts::table
                .group_by(accounts::logdb_shard_no)
                .select((accounts::logdb_shard_no, diesel::dsl::count_star()))
                .load::<(i16, i64)>(conn)
                .await;
            match (game, log) {
                (Ok(g), Ok(l)) => Ok((g, l)),
                (Err(e), _) | (_, Err(e)) => Err(StoreError::Database(what.into(), e.to_string())),
            }
        })?;
        let mut counts = BTreeMap::new();
        for row in rows.iter().filter(|r| r.in_use) {
            let (kind, placed) = match row.kind.as_str() {
                "game" => (DbKind::Game, &game),
                "log" => (DbKind::Log, &log),
                _ => continue,
            };
            let n = placed.iter().find(|(no, _)| *no == row.shard_no).map_or(0, |(_, n)| *n as u64);
            counts.insert((kind, row.shard_no), n);
        }
        Ok(Self { counts: Mutex::new(counts) })
    }

    /// Picks the shard of `kind` for a new account and counts the account there.
    pub fn place(&self, kind: DbKind) -> StoreResult<i16> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let chosen = counts
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .min_by_key(|((_, no), n)| (**n, *no))
            .map(|((_, no), _)| *no)
            .ok_or_else(|| {
                StoreError::Database("place a new account".into(), format!("no {} shard is in use", kind.as_str()))
            })?;
        *counts.entry((kind, chosen)).or_default() += 1;
        Ok(chosen)
    }

    /// Takes back a placement whose registration failed.
    pub fn unplace(&self, kind: DbKind, shard_no: i16) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&(kind, shard_no)) {
            *n = n.saturating_sub(1);
        }
    }
}
