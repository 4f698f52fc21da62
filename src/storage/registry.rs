//! The shard registry (the `shards` table of the common database, the truth for which
//! shards exist) and the placement policy for new accounts.
//!
//! Seeding: the configured shard URLs fill the registry where it has no row for that kind
//! and number yet, so appending a URL to the configuration adds a shard; rows already in
//! the registry are never changed by configuration. An operator takes a shard out of
//! placement with `UPDATE shards SET in_use = false WHERE ...` (its users stay on it).
//!
//! Credentials: registry rows never hold a database password (a row written with one by an
//! earlier version has it removed at start-up). A shard's password comes from the
//! configuration by the shard's name (`storage.shard_passwords.game_2`), else from the
//! password in the configured URL of that shard; changing it there takes effect at the next
//! start.
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

/// `url` without the password of its user info, and that password.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return (url.to_owned(), None) };
    let authority_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    let Some(at) = url[scheme_end..authority_end].rfind('@').map(|i| scheme_end + i) else {
        return (url.to_owned(), None);
    };
    let Some(colon) = url[scheme_end..at].find(':').map(|i| scheme_end + i) else { return (url.to_owned(), None) };
    (format!("{}{}", &url[..colon], &url[at..]), Some(url[colon + 1..at].to_owned()))
}

/// `url` (without a password) with `password` put in its user info.
pub fn with_password(url: &str, password: &str) -> String {
    let (bare, _) = split_password(url);
    let Some(scheme_end) = bare.find("://").map(|i| i + 3) else { return bare };
    let authority_end = bare[scheme_end..].find('/').map_or(bare.len(), |i| scheme_end + i);
    match bare[scheme_end..authority_end].rfind('@').map(|i| scheme_end + i) {
        Some(at) => format!("{}:{password}{}", &bare[..at], &bare[at..]),
        // No user named: the password alone means nothing to the drivers.
        None => bare,
    }
}

/// `text` percent-encoded for a URL's user info, so a password holding `@`, `:`, `/` or `%`
/// stays one password.
fn encode_userinfo(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, crate::urls::NOT_UNRESERVED).to_string()
}

/// Where a registered shard's password comes from.
#[derive(Debug, Clone, Default)]
pub struct ShardCredentials {
    /// By shard name (`game_1`, `log_2`).
    pub by_name: BTreeMap<String, String>,
    /// The configured shard URLs, in shard-number order.
    pub game_urls: Vec<String>,
    pub log_urls: Vec<String>,
}

impl ShardCredentials {
    /// The URL to connect to `row` with: its location and the configured password.
    pub fn url_of(&self, row: &ShardRow) -> String {
        let name = format!("{}_{}", row.kind, row.shard_no);
        let configured = if row.kind == "game" { &self.game_urls } else { &self.log_urls };
        let from_url = usize::try_from(row.shard_no - 1)
            .ok()
            .and_then(|i| configured.get(i))
            .and_then(|url| split_password(url).1);
        // A password given by name is the password itself; one inside a URL is encoded already.
        let by_name = self.by_name.get(&name).map(|password| encode_userinfo(password));
        match by_name.or(from_url) {
            Some(password) => with_password(&row.location, &password),
            None => row.location.clone(),
        }
    }
}

/// Reads the registry, first adding a row for every configured shard it lacks (without its
/// password) and removing the password from rows an earlier version stored with one, once
/// the configuration supplies that shard's password (until then the row keeps the only copy:
/// a warning says to configure it).
pub async fn load_or_seed(common: &Db, credentials: &ShardCredentials, now_ms: i64) -> StoreResult<Vec<ShardRow>> {
    let (game, log) = (&credentials.game_urls, &credentials.log_urls);
    for row in read(common).await? {
        let (bare, password) = split_password(&row.location);
        if password.is_none() {
            continue;
        }
        let stripped = ShardRow { location: bare.clone(), ..row.clone() };
        if split_password(&credentials.url_of(&stripped)).1.is_none() {
            tracing::warn!(
                kind = %row.kind,
                shard.no = row.shard_no,
                "shard registry row holds a password the configuration does not supply: kept until \
                 storage.shard_passwords.{}_{} (or the shard's URL) gives it",
                row.kind,
                row.shard_no
            );
            continue;
        }
        with_conn!(common, "remove a password from the shard registry", |conn| {
            diesel::update(shards::table.filter(shards::shard_idx.eq(row.shard_idx)))
                .set(shards::location.eq(&bare))
                .execute(conn)
                .await
                .map_err(|e| StoreError::Database("remove a password from the shard registry".into(), e.to_string()))
        })?;
        tracing::info!(kind = %row.kind, shard.no = row.shard_no, "shard registry row: password removed (the configuration supplies it)");
    }
    let existing = read(common).await?;
    let mut next_idx = existing.iter().map(|r| r.shard_idx).max().unwrap_or(0) + 1;
    for (kind, urls) in [(DbKind::Game, game), (DbKind::Log, log)] {
        for (i, url) in urls.iter().enumerate() {
            let shard_no =
                i16::try_from(i + 1).map_err(|_| StoreError::Database("seed shards".into(), "too many".into()))?;
            let url = &split_password(url).0;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_cut_out_of_urls_and_put_back() {
        let (bare, password) = split_password("postgres://app:s3cr%40t@db.internal:5432/game");
        assert_eq!((bare.as_str(), password.as_deref()), ("postgres://app@db.internal:5432/game", Some("s3cr%40t")));
        assert_eq!(split_password("postgres://app@db/game"), ("postgres://app@db/game".into(), None));
        assert_eq!(split_password("sqlite://data/game-1.sqlite"), ("sqlite://data/game-1.sqlite".into(), None));
        assert_eq!(with_password("postgres://app@db/game", "new"), "postgres://app:new@db/game");
        assert_eq!(with_password("postgres://app:old@db/game", "new"), "postgres://app:new@db/game");
        assert_eq!(with_password("postgres://db/game", "new"), "postgres://db/game");
    }

    #[test]
    fn a_shard_password_comes_from_its_name_then_its_configured_url() {
        let row = |kind: &str, no: i16| ShardRow {
            shard_idx: 1,
            kind: kind.into(),
            shard_no: no,
            location: "postgres://app@db/x".into(),
            world: 1,
            in_use: true,
            created_at_ms: 0,
        };
        let credentials = ShardCredentials {
            by_name: [("game_2".to_string(), "rotated".to_string())].into(),
            game_urls: vec!["postgres://app:one@db/x".into(), "postgres://app:two@db/x".into()],
            log_urls: vec!["postgres://app@db/x".into()],
        };
        assert_eq!(credentials.url_of(&row("game", 1)), "postgres://app:one@db/x");
        assert_eq!(credentials.url_of(&row("game", 2)), "postgres://app:rotated@db/x");
        assert_eq!(credentials.url_of(&row("log", 1)), "postgres://app@db/x");
        assert_eq!(credentials.url_of(&row("log", 3)), "postgres://app@db/x");
        let odd = ShardCredentials { by_name: [("log_1".to_string(), "p@ss:w/rd%".to_string())].into(), ..credentials };
        assert_eq!(odd.url_of(&row("log", 1)), "postgres://app:p%40ss%3Aw%2Frd%25@db/x", "encoded, still one password");
    }
}
