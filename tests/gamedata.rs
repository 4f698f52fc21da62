//! Game data: the shipped sheets build, every validation error is located, diffs name
//! what changed, and reloads swap versions atomically while requests go on.

#[macro_use]
mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::sheets::{
    build_with, edit, sheets_copy, shipped_sheets, shipped_version, shipped_version_line, write_version,
};
use common::{TestServer, logged_in};
use futures_util::future::join_all;
use summoner_actors::ManualClock;
use summoner_gdata::commands::changes;
use summoner_gdata::{Compiled, Problem, compile, files};
use summoner_proto::api::{ErrorCode, ExploreReq, request::Payload, response};

fn problems_after(sheet: &str, from: &str, to: &str) -> Vec<Problem> {
    let dir = sheets_copy();
    edit(dir.path(), sheet, from, to);
    match compile(dir.path()) {
        Ok(_) => panic!("{sheet}: {from:?} -> {to:?} was accepted"),
        Err(problems) => problems,
    }
}

#[track_caller]
fn assert_located(problems: &[Problem], sheet: &str, row: usize, column: &str, words: &str) {
    let found = problems.iter().any(|p| {
        p.sheet == sheet && p.row == Some(row) && p.column.as_deref() == Some(column) && p.message.contains(words)
    });
    assert!(found, "no problem at {sheet} row {row} column {column} mentioning {words:?} in {problems:#?}");
}

/// The shipped content builds, is as large as promised, and the committed compiled files
/// are exactly what the sheets build to.
#[test]
fn shipped_sheets_build_and_match_the_committed_files() {
    let compiled = compile(&shipped_sheets()).expect("shipped sheets build");
    let data = &compiled.data;
    assert!(data.monsters.len() >= 60);
    let elements: std::collections::HashSet<_> = data.monsters.iter().map(|m| &m.element).collect();
    assert!(elements.len() >= 5);
    assert!(data.summon_pools.len() >= 3);
    assert!(data.stages.len() >= 30);
    assert!(data.stages.iter().all(|s| s.normal.is_some() && s.hard.is_some() && s.hell.is_some()));
    assert!(data.quests.len() >= 20);
    assert!(!data.shop_items.is_empty() && !data.levels.is_empty());
    let languages: Vec<_> = compiled.strings.iter().map(|s| s.language.as_str()).collect();
    assert_eq!(languages, ["en", "ko"]);

    let committed = files::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("gamedata/compiled")).unwrap();
    assert_eq!(committed, compiled, "gamedata/compiled is stale: run `summoner-gdata build`");
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("gamedata/archive");
    let archived = files::read(&files::archived(&archive, compiled.data.version)).unwrap();
    assert_eq!(archived, compiled, "the archive lacks this version: run `summoner-gdata build`");
}

/// Every kind of mistake is caught with its sheet, row and column.
#[test]
fn validation_errors_name_sheet_row_and_column() {
    // Row numbers count the header as row 1, as a spreadsheet does.
    let p = problems_after("stages.csv", "mon.slime.tree.1*55", "mon.nobody.tree.1*55");
    assert_located(&p, "stages.csv", 2, "drops", "unknown monster \"mon.nobody.tree.1\"");
    let p = problems_after("stages.csv", "mon.slime.tree.1*55", "mon.slime.tree.1*0");
    assert_located(&p, "stages.csv", 2, "drops", "must be > 0");
    let p = problems_after("summon_pools.csv", "mon.slime.water.1,60", "mon.slime.water.1,-3");
    assert_located(&p, "summon_pools.csv", 2, "weight", "out of range");
    let p = problems_after("monsters.csv", "mon.squir.water.1,", "mon.slime.water.1,");
    assert_located(&p, "monsters.csv", 7, "uid", "duplicate id \"mon.slime.water.1\" (first on row 2)");
    let p = problems_after("stages.csv", ",stage.01.01:normal,", ",stage.01.01:hell,");
    assert_located(&p, "stages.csv", 3, "unlock_after", "unreachable");
    let p = problems_after("stages.csv", ",stage.01.01:normal,", ",stage.09.09:normal,");
    assert_located(&p, "stages.csv", 3, "unlock_after", "unknown stage");
    let p = problems_after("quests.csv", ",explore,,5,", ",dance,,5,");
    assert_located(&p, "quests.csv", 3, "condition", "no event can satisfy \"dance\"");
    let p = problems_after("quests.csv", "stage.01.05:hard", "stage.07.05:hard");
    assert_located(&p, "quests.csv", 9, "param", "no stage");
    let p = problems_after("quests.csv", "level_reached,50,", "level_reached,51,");
    assert_located(&p, "quests.csv", 14, "param", "not a level from 2 to 50");
    let p = problems_after("quests.csv", "summon,5,", "summon,6,");
    assert_located(&p, "quests.csv", 20, "param", "no summon pool yields rarity 6");
    let p = problems_after("strings.csv", ",물,Water\n", ",물,\n");
    assert_located(&p, "strings.csv", 2, "en", "no en text");
    assert_located(&p, "elements.csv", 2, "name_key", "no en string for \"name.elem.water\"");
    let p = problems_after("monsters.csv", "growth_defense", "growth_def");
    assert_located(&p, "monsters.csv", 1, "growth_defense", "missing column");
    let p = problems_after("starter_box.csv", "mon.slime.fire.1,2", "mon.slime.nobody.1,2");
    assert_located(&p, "starter_box.csv", 3, "monster", "unknown monster");
    let p = problems_after("starter_box.csv", "mon.slime.fire.1,2", "mon.slime.water.1,2");
    assert_located(&p, "starter_box.csv", 3, "monster", "listed twice");
    let p = problems_after("starter_box.csv", "mon.slime.fire.1,2", "mon.slime.fire.1,0");
    assert_located(&p, "starter_box.csv", 3, "count", "out of range");
    let p = problems_after("starter_box.csv", "mon.slime.fire.1,2", "mon.slime.fire.1,30");
    assert!(p.iter().any(|p| p.sheet == "starter_box.csv" && p.message.contains("at most 32")), "{p:#?}");
    let p = problems_after("skills.csv", "mon.slime.fire.1,2,130,front", "mon.slime.nobody.1,2,130,front");
    assert_located(&p, "skills.csv", 3, "monster", "unknown monster");
    assert!(p.iter().any(|p| p.sheet == "skills.csv" && p.message.contains("mon.slime.fire.1 has no skill")), "{p:#?}");
    let p = problems_after("skills.csv", "mon.slime.fire.1,2,130,front", "mon.slime.water.1,2,130,front");
    assert_located(&p, "skills.csv", 3, "monster", "has a skill already");
    let p = problems_after("skills.csv", "mon.slime.fire.1,2,130,front", "mon.slime.fire.1,0,130,front");
    assert_located(&p, "skills.csv", 3, "cooldown", "out of range");
    let p = problems_after("skills.csv", "mon.slime.fire.1,2,130,front", "mon.slime.fire.1,2,5,front");
    assert_located(&p, "skills.csv", 3, "multiplier_pct", "out of range");
    let p = problems_after("skills.csv", "mon.slime.fire.1,2,130,front", "mon.slime.fire.1,2,130,behind");
    assert_located(&p, "skills.csv", 3, "target", "is not one of");
}

/// A failed build writes nothing, not even part of a set.
#[test]
fn a_failed_build_writes_nothing() {
    let dir = sheets_copy();
    edit(dir.path(), "monsters.csv", "elem.water", "elem.steam");
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("compiled");
    let archive = out.path().join("archive");
    let code = summoner_gdata::commands::build(dir.path(), &target, &archive, false);
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert!(!target.exists() && !archive.exists());
}

/// A build is kept in the archive by version; another build under the same version is
/// refused, so a version never means two sets of tables.
#[test]
fn a_version_is_archived_once() {
    let dir = sheets_copy();
    let out = tempfile::tempdir().unwrap();
    let (target, archive) = (out.path().join("compiled"), out.path().join("archive"));
    let build = |replace| summoner_gdata::commands::build(dir.path(), &target, &archive, replace);
    assert_eq!(build(false), std::process::ExitCode::SUCCESS);
    assert!(archive.join(format!("v{}", shipped_version())).join("gamedata.pb").is_file());
    assert_eq!(build(false), std::process::ExitCode::SUCCESS, "the same content again is fine");
    edit(dir.path(), "rules.csv", "new_user_gold,1000", "new_user_gold,1001");
    assert_eq!(build(false), std::process::ExitCode::FAILURE, "other content under version 2 is refused");
    assert_eq!(build(true), std::process::ExitCode::SUCCESS);
}

fn change_lines(old: &Compiled, new: &Compiled) -> Vec<String> {
    changes(old, new).iter().map(ToString::to_string).collect()
}

/// Diffs of crafted pairs: modified, added, removed, reordered.
#[test]
fn diff_reports_changes_by_path() {
    let base = build_with(&[]);
    let (shipped, next) = (shipped_version_line(), format!("version,{}", shipped_version() + 1));
    let modified = build_with(&[
        ("meta.csv", &shipped, &next),
        (
            "monsters.csv",
            "mon.slime.water.1,name.mon.slime.water.1,elem.water,1,",
            "mon.slime.water.1,name.mon.slime.water.1,elem.water,2,",
        ),
    ]);
    assert_eq!(change_lines(&base, &modified), ["modified monsters[uid=mon.slime.water.1].rarity: 1 -> 2"]);

    let removed_quest = build_with(&[("quests.csv", "quest.ach.explore100,", "quest.ach.explore101,")]);
    let lines = change_lines(&base, &removed_quest);
    assert!(lines.iter().any(|l| l.starts_with("removed quests[uid=quest.ach.explore100]")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("added quests[uid=quest.ach.explore101]")), "{lines:?}");

    // Moving a row changes nothing.
    let dir = sheets_copy();
    let path = dir.path().join("shop.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut rows: Vec<&str> = text.lines().collect();
    rows[1..].reverse();
    fs::write(&path, rows.join("\n") + "\n").unwrap();
    let reordered = compile(dir.path()).unwrap();
    assert!(changes(&base, &reordered).is_empty());
    assert_ne!(reordered.data.shop_items, base.data.shop_items, "the order really changed");
}

async fn admin(server: &TestServer, path: &str, token: Option<&str>) -> (u16, String) {
    let http = reqwest::Client::new();
    let mut req = if path.ends_with("reload") {
        http.post(format!("{}{path}", server.admin_url))
    } else {
        http.get(format!("{}{path}", server.admin_url))
    };
    if let Some(token) = token {
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    let reply = req.send().await.unwrap();
    (reply.status().as_u16(), reply.text().await.unwrap())
}

on_every_backend! {
    /// Reloads swap whole versions while requests run: none fails, and each answer comes from
    /// exactly one version. A bad version is refused and the old one keeps serving.
    async fn reload_swaps_versions_atomically_and_refuses_bad_ones(config) {
        let gamedata_dir = tempfile::tempdir().unwrap();
        write_version(gamedata_dir.path(), 2, 1000, 7);
        let mut config = config.clone();
        config.gamedata.dir = gamedata_dir.path().to_path_buf();
        config.admin.token = "s3cret".into();
        let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
        assert_eq!(admin(&server, "/admin/gamedata/reload", None).await.0, 401);
        assert_eq!(admin(&server, "/admin/gamedata/reload", Some("wrong")).await.0, 401);
        assert!(admin(&server, "/admin/gamedata", Some("s3cret")).await.1.starts_with("version 2 "));

        let running = Arc::new(AtomicBool::new(true));
        let mut players = Vec::new();
        for i in 0..4 {
            let (client, _) = logged_in(&server, &format!("dev-reload-{i}")).await;
            let running = running.clone();
            players.push(async move {
                let mut client = client;
                let mut seen = Vec::new();
                for _ in 0..200 {
                    if !running.load(Ordering::SeqCst) && seen.len() > 5 {
                        break;
                    }
                    let answer = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
                    assert_eq!(answer.status, 200, "{:?}", answer.response);
                    match (answer.code(), answer.response.payload) {
                        (ErrorCode::Ok, Some(response::Payload::Explore(e))) => seen.push((e.gold_gained, e.exp_gained)),
                        (ErrorCode::NotEnoughStamina, _) => {}
                        (code, _) => panic!("unexpected {code:?}"),
                    }
                }
                seen
            });
        }
        let reloader = async {
            for (version, gold, exp) in [(3, 2000, 8), (4, 3000, 9), (5, 4000, 11)] {
                write_version(gamedata_dir.path(), version, gold, exp);
                let (status, body) = admin(&server, "/admin/gamedata/reload", Some("s3cret")).await;
                assert_eq!(status, 200, "{body}");
                assert!(body.contains(&format!("-> {version}")), "{body}");
            }
            running.store(false, Ordering::SeqCst);
        };
        let (seen, ()) = tokio::join!(join_all(players), reloader);
        let versions = [(1000, 7), (2000, 8), (3000, 9), (4000, 11)];
        let all: Vec<_> = seen.into_iter().flatten().collect();
        assert!(all.iter().all(|pair| versions.contains(pair)), "an answer mixed versions: {all:?}");
        assert!(all.contains(&(4000, 11)), "the last version serves");

        // A corrupt build is refused; the old version keeps serving.
        fs::write(gamedata_dir.path().join("gamedata.pb"), b"not game data").unwrap();
        let (status, body) = admin(&server, "/admin/gamedata/reload", Some("s3cret")).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("gamedata.pb"), "{body}");
        // An older version is refused too.
        write_version(gamedata_dir.path(), 4, 1, 1);
        let (status, body) = admin(&server, "/admin/gamedata/reload", Some("s3cret")).await;
        assert_eq!(status, 422);
        assert!(body.contains("older"), "{body}");
        assert!(admin(&server, "/admin/gamedata", Some("s3cret")).await.1.starts_with("version 5 "));
        let (mut client, _) = logged_in(&server, "dev-after").await;
        let answer = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        let Some(response::Payload::Explore(e)) = answer.response.payload else { panic!("no payload") };
        assert_eq!((e.gold_gained, e.exp_gained), (4000, 11));
        server.stop().await;
    }
}
