//! Audits of summons, for operators and regulators: replay one logged draw from the user's
//! seed, the stream position before it and the game-data version it was drawn with; and
//! compare the draws of every log shard with the published rates.
//!
//! Both read the `summon` rows of the action log (`crate::game::handlers::summon`), the
//! user's seed from the profile, and old game-data versions from the catalog's archive. The
//! CLI (`summoner-audit`, through [`Reader`]) and the admin endpoint (`GET /admin/audit/summon`) call these.
//!
//! Log rows reach the log shards from each game shard's outbox a moment after their commit
//! (`crate::storage::shipper`), so both first flush the store: in the server, a draw just
//! made is then found. The CLI's reader store ships nothing; there a draw of the last
//! fraction of a second may not be found yet.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::game::chi_square::{ChiSquare, chi_square};
use crate::game::gacha::Draw;
use crate::game::handlers::summon::{SUMMON_LOG, SummonRecord};
use crate::game::odds::Odds;
use crate::game::profile::Profile;
use crate::service::catalog::Catalog;
use crate::storage::{LoggedAction, Store, StoreError};

/// What an audit outside the server reads: the configured databases, read-only (no
/// migrations, no writers beside a running server's), and the configured game data with its
/// archive.
pub struct Reader {
    pub store: crate::storage::db_store::DbStore,
    pub catalog: Catalog,
}

impl Reader {
    /// Opens what `config` names.
    pub async fn open(config: &crate::config::Config) -> Result<Self, String> {
        let catalog = crate::service::open::open_catalog(config).map_err(|e| format!("game data: {e}"))?;
        let settings = crate::service::open::store_config(config);
        let store =
            crate::storage::db_store::DbStore::open_reader(&settings).await.map_err(|e| format!("storage: {e}"))?;
        Ok(Self { store, catalog })
    }
}

/// Rows read per page of the action log.
const PAGE: usize = 5_000;

/// A draw as its log row records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedDraw {
    pub log_id: u64,
    pub user_id: u64,
    #[serde(flatten)]
    pub record: SummonRecord,
}

/// Why an audit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("user {0} has no logged draw that gave monster {1}")]
    NoSuchDraw(u64, u64),
    #[error("user {0} does not exist")]
    NoSuchUser(u64),
    #[error("game-data version {0} is not available: {1}")]
    Version(u32, String),
    #[error("pool {pool} is not in game-data version {version}")]
    NoSuchPool { pool: String, version: u32 },
    #[error("log row {0} does not read: {1} is missing or wrong")]
    Unreadable(u64, String),
    #[error("user {0} has no logged battle with token {1}, started and finished")]
    NoSuchBattle(u64, u64),
    #[error("battle {1} of user {0} started before battles were simulated: it has nothing to replay")]
    NotSimulated(u64, u64),
}

impl AuditError {
    /// A storage error while reading `user`'s logs: a user the store does not know is no
    /// such user (404 to operators), not a storage failure.
    pub fn reading(user: u64) -> impl Fn(StoreError) -> Self {
        move |e| match e {
            StoreError::NotFound(_) => Self::NoSuchUser(user),
            e => Self::Store(e),
        }
    }
}

impl LoggedDraw {
    /// Reads a `summon` log row.
    pub fn parse(row: &LoggedAction) -> Result<Self, AuditError> {
        let record =
            SummonRecord::parse(&row.params, &row.result).map_err(|field| AuditError::Unreadable(row.log_id, field))?;
        Ok(Self { log_id: row.log_id, user_id: row.user_id, record })
    }
}

/// A replayed draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replay {
    pub logged: LoggedDraw,
    pub replayed_monster: String,
    pub replayed_rarity: u32,
    pub replayed_by_pity: bool,
    pub matches: bool,
}

/// Redraws `logged` for `profile`'s user, on the version it was drawn with, from the stream
/// the row says it was drawn from: the user's key's, or (a draw before keys, or by a node of an
/// older version) their seed's.
pub fn redraw(catalog: &Catalog, profile: &Profile, logged: &LoggedDraw) -> Result<Draw, AuditError> {
    let logged = &logged.record;
    let data = catalog.version(logged.version).map_err(|e| AuditError::Version(logged.version, e.to_string()))?;
    let pool = data
        .pool(&logged.pool)
        .ok_or_else(|| AuditError::NoSuchPool { pool: logged.pool.clone(), version: logged.version })?;
    let key = if logged.keyed { profile.rng_key.clone() } else { String::new() };
    let mut rng = crate::game::dispatch::rng_for(&Profile { rng_word_pos: 0, rng_key: key, ..profile.clone() });
    rng.set_word_pos(logged.position);
    Ok(pool.draw(&mut rng, logged.pity))
}

/// Finds the draw of `user` that gave monster `draw` and replays it.
pub async fn replay_summon(store: &dyn Store, catalog: &Catalog, user: u64, draw: u64) -> Result<Replay, AuditError> {
    store.flush().await?;
    let mut after = 0;
    let logged = loop {
        let page =
            store.scan_logs(SUMMON_LOG.to_owned(), Some(user), after, PAGE).await.map_err(AuditError::reading(user))?;
        let Some(last) = page.last() else { return Err(AuditError::NoSuchDraw(user, draw)) };
        after = last.log_id;
        if let Some(found) =
            page.iter().map(LoggedDraw::parse).find(|d| d.as_ref().is_ok_and(|d| d.record.monster_id == draw))
        {
            break found?;
        }
    };
    let profiles = store.load_profiles(vec![user]).await?;
    let profile = profiles
        .iter()
        .find_map(|p| Profile::from_row(&p.row).ok().filter(|p| p.user_id == user))
        .ok_or(AuditError::NoSuchUser(user))?;
    let drawn = redraw(catalog, &profile, &logged)?;
    let r = &logged.record;
    let matches = drawn.monster == r.monster && drawn.rarity == r.rarity && drawn.by_pity == r.by_pity;
    // The seed itself is not answered: with it and a position, anyone could foresee the
    // user's next draws.
    Ok(Replay {
        replayed_monster: drawn.monster,
        replayed_rarity: drawn.rarity,
        replayed_by_pity: drawn.by_pity,
        matches,
        logged,
    })
}

/// Observed against published rates for one pool under one game-data version. Draws the pity
/// rule decided are counted apart: the published rates are those of the other draws. Over all
/// draws, forced ones included, each rarity's share is set beside the consolidated odds (the
/// pity counter's chain solved: `crate::game::odds`); no chi-square there, for draws under a
/// pity rule depend on the ones before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolReport {
    pub pool: String,
    pub version: u32,
    pub draws: u64,
    pub pity_draws: u64,
    /// (rarity, observed, published probability)
    pub rarities: Vec<(u32, u64, f64)>,
    /// (monster, observed, published probability)
    pub monsters: Vec<(String, u64, f64)>,
    /// (rarity, observed over all draws, expected share of these draws, consolidated
    /// probability). The expected share weighs the base odds and the forced draw's by how many
    /// draws the log shows forced: players' histories are short (each starts at a count of 0),
    /// so the long-run consolidated share is not what a fair log must match.
    pub consolidated: Vec<(u32, u64, f64, f64)>,
    pub rarity_test: Option<ChiSquareReport>,
    pub monster_test: Option<ChiSquareReport>,
}

/// A chi-square result as reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChiSquareReport {
    pub statistic: f64,
    pub degrees_of_freedom: usize,
    pub p_value: f64,
}

impl From<ChiSquare> for ChiSquareReport {
    fn from(c: ChiSquare) -> Self {
        Self { statistic: c.statistic, degrees_of_freedom: c.degrees_of_freedom, p_value: c.p_value }
    }
}

/// Reads every summon log row of every log shard and reports each pool and version.
pub async fn rates(store: &dyn Store, catalog: &Catalog) -> Result<Vec<PoolReport>, AuditError> {
    store.flush().await?;
    // (pool, version) → (monster → count of draws not decided by pity, monster → pity draws)
    type Counts = (BTreeMap<String, u64>, BTreeMap<String, u64>);
    let mut counts: BTreeMap<(String, u32), Counts> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.scan_logs(SUMMON_LOG.to_owned(), None, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.log_id;
        for row in &page {
            let draw = LoggedDraw::parse(row)?.record;
            let entry = counts.entry((draw.pool, draw.version)).or_default();
            let by_monster = if draw.by_pity { &mut entry.1 } else { &mut entry.0 };
            *by_monster.entry(draw.monster).or_default() += 1;
        }
    }
    let mut reports = Vec::new();
    for ((pool_id, version), (observed, forced)) in counts {
        let pity_draws: u64 = forced.values().sum();
        let data = catalog.version(version).map_err(|e| AuditError::Version(version, e.to_string()))?;
        let pool = data.pool(&pool_id).ok_or_else(|| AuditError::NoSuchPool { pool: pool_id.clone(), version })?;
        let published = pool.rates();
        let monsters: Vec<(String, u64, f64)> = published
            .monsters
            .iter()
            .map(|(uid, _, p)| (uid.clone(), observed.get(uid).copied().unwrap_or(0), *p))
            .collect();
        let rarities: Vec<(u32, u64, f64)> = published
            .rarities
            .iter()
            .map(|&(rarity, p)| {
                let seen = published
                    .monsters
                    .iter()
                    .filter(|(_, r, _)| *r == rarity)
                    .map(|(uid, _, _)| observed.get(uid).copied().unwrap_or(0))
                    .sum();
                (rarity, seen, p)
            })
            .collect();
        let drawn_all = |rarity: u32| -> u64 {
            published
                .monsters
                .iter()
                .filter(|(_, r, _)| *r == rarity)
                .map(|(uid, _, _)| observed.get(uid).copied().unwrap_or(0) + forced.get(uid).copied().unwrap_or(0))
                .sum()
        };
        let draws = observed.values().sum::<u64>() + pity_draws;
        let forced_rates = Odds::forced_draw(pool);
        let forced_share = |rarity: u32| forced_rates.iter().find(|(r, _)| *r == rarity).map_or(0.0, |(_, p)| *p);
        let base_share = |rarity: u32| published.rarities.iter().find(|(r, _)| *r == rarity).map_or(0.0, |(_, p)| *p);
        let expected = |rarity: u32| {
            let unforced = (draws - pity_draws) as f64 * base_share(rarity);
            (unforced + pity_draws as f64 * forced_share(rarity)) / draws.max(1) as f64
        };
        let consolidated = Odds::of(pool)
            .rarities
            .iter()
            .map(|&(rarity, p)| (rarity, drawn_all(rarity), expected(rarity), p))
            .collect();
        let test = |cells: Vec<(u64, f64)>| {
            let (o, p): (Vec<u64>, Vec<f64>) = cells.into_iter().unzip();
            chi_square(&o, &p).map(ChiSquareReport::from)
        };
        reports.push(PoolReport {
            pool: pool_id,
            version,
            draws: observed.values().sum::<u64>() + pity_draws,
            pity_draws,
            rarity_test: test(rarities.iter().map(|r| (r.1, r.2)).collect()),
            monster_test: test(monsters.iter().map(|m| (m.1, m.2)).collect()),
            rarities,
            monsters,
            consolidated,
        });
    }
    Ok(reports)
}
