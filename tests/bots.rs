//! The bot swarm against an in-process server: a short run plays every behaviour with no
//! error and the consistency check is clean; a store that loses one acknowledged write
//! makes the check fail, naming the write.

mod common;

use std::sync::Arc;
use std::time::Duration;

use summoner::server::{self, RunningServer};
use summoner::storage::Store;
use summoner_actors::SystemClock;
use summoner_bots::mix::{Behaviour, Mix};
use summoner_bots::stats::Snapshot;
use summoner_bots::{Consistency, Pacing, SwarmOptions, play};

use common::lossy_store::LossyStore;
use common::sheets::quick_play;

struct Run {
    figures: Snapshot,
    failed_to_start: usize,
    consistency: Consistency,
}

/// Starts a server (on `store`, or SQLite in a temporary folder), lets `bots` bots play
/// for `secs`, passivates every actor so the check reads storage, and checks.
async fn swarm(store: Option<Arc<dyn Store>>, bots: usize, secs: u64, mix: Mix) -> Run {
    swarm_with(store, bots, secs, mix, |_| {}).await
}

/// One swarm at a time: each test judges what its bots managed in a few seconds, which a
/// second swarm on the same two cores would take from it.
static ONE_SWARM: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// [`swarm`], with its options changed by `tune`.
async fn swarm_with(
    store: Option<Arc<dyn Store>>,
    bots: usize,
    secs: u64,
    mix: Mix,
    tune: impl FnOnce(&mut SwarmOptions),
) -> Run {
    let _alone = ONE_SWARM.lock().await;
    let data_dir = tempfile::tempdir().unwrap();
    let gamedata_dir = tempfile::tempdir().unwrap();
    let data = quick_play(gamedata_dir.path());
    let mut config = common::config(data_dir.path());
    config.gamedata.dir = gamedata_dir.path().to_path_buf();
    summoner::telemetry::init(&config.log);
    // The system clock: battles are judged on the time that really passed.
    let clock = Arc::new(SystemClock);
    let running: RunningServer = match store {
        Some(store) => server::start_with_store(config, clock, store).await,
        None => server::start_with_clock(config, clock).await,
    }
    .expect("server starts");
    let mut options = SwarmOptions {
        urls: vec![format!("http://{}/api", running.addr)],
        bots,
        duration: Duration::from_secs(secs),
        ramp_up: Duration::from_millis(500),
        pacing: Pacing::Rate(10.0),
        seed: 7,
        mix,
        game_data: Some(data),
        ..SwarmOptions::default()
    };
    tune(&mut options);
    let mut played = play(&options, |_| {}).await.expect("the swarm runs");
    played.settle().await;
    let passivated = running.passivate_all().await;
    assert!(passivated > 0, "the bots' actors were live before the check");
    let consistency = played.check().await;
    running.stop().await.expect("the server stops");
    Run { figures: played.figures.clone(), failed_to_start: played.failed_to_start, consistency }
}

#[actix_web::test]
async fn a_short_run_plays_every_behaviour_and_the_server_kept_every_acknowledged_write() {
    let run = swarm(None, 16, 10, Mix::default_mix()).await;
    assert_eq!(run.failed_to_start, 0);
    let ops = &run.figures.operations;
    let errors: u64 = ops.values().map(|o| o.errors).sum();
    assert_eq!(
        errors, 0,
        "errors by status {:?}, by code {:?}",
        run.figures.errors_by_status, run.figures.errors_by_code
    );
    for behaviour in Behaviour::ALL {
        for op in behaviour.operations() {
            let ok = ops.get(*op).map_or(0, |o| o.ok);
            let played: Vec<_> =
                ops.iter().map(|(name, o)| format!("{name}: {} ok, {} refused", o.ok, o.refused)).collect();
            assert!(ok > 0, "{}: no {op} succeeded; played: {played:?}", behaviour.name());
        }
    }
    let c = &run.consistency;
    assert_eq!(c.bots_checked, 16);
    assert!(c.is_clean(), "differences {:?}, unverifiable {:?}", c.differences, c.unverifiable);
    assert!(c.deliveries_received > 0, "the bots played with one another");
}

#[actix_web::test]
async fn macros_on_their_script_and_people_at_a_human_pace_play_and_keep_the_check_clean() {
    let run = swarm_with(None, 8, 6, Mix::default_mix(), |o| {
        o.pacing = Pacing::Human;
        o.macro_bots = 4;
        o.macro_period = Duration::from_millis(250);
    })
    .await;
    assert_eq!(run.failed_to_start, 0);
    let ops = &run.figures.operations;
    let errors: u64 = ops.values().map(|o| o.errors).sum();
    assert_eq!(errors, 0, "errors by status {:?}", run.figures.errors_by_status);
    // The macros' script: battles, summons, enhancements (a battle's finish comes when due).
    for op in ["start_battle", "summon", "enhance_monster"] {
        assert!(ops.get(op).is_some_and(|o| o.ok > 0), "the macros played {op}: {:?}", ops.keys().collect::<Vec<_>>());
    }
    let c = &run.consistency;
    assert_eq!(c.bots_checked, 8);
    assert!(c.is_clean(), "differences {:?}, unverifiable {:?}", c.differences, c.unverifiable);
}

#[actix_web::test]
async fn the_check_catches_a_write_the_store_lost() {
    // The third monster a request made alone (a summon, a drop): while the bots play, not
    // in the starter boxes the ledgers start from.
    let store = Arc::new(LossyStore::losing_single_monster(3));
    // No enhancing: feeding the lost monster to another would make the loss invisible.
    let mix = Mix::parse(&include_str!("../tools/bots/src/default_mix.toml").replace("enhance = 5", "enhance = 0"))
        .expect("the edited mix parses");
    let run = swarm(Some(store.clone() as Arc<dyn Store>), 6, 3, mix).await;
    let lost_for = store.hook.lost_for.lock().unwrap().expect("a monster row was dropped");
    let c = &run.consistency;
    assert!(!c.is_clean());
    assert!(
        c.differences.iter().any(|d| d.user_id == lost_for && d.kind == "lost" && d.part == "monsters"),
        "the lost monster of user {lost_for} is reported: {:?}",
        c.differences
    );
}
