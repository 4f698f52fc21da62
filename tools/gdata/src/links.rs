//! Checks that follow references between rows and sheets: stage unlock chains (every
//! stage difficulty reachable) and quest conditions (some event can complete each quest).

use std::collections::{HashMap, HashSet, VecDeque};

use summoner_proto::gamedata::Stage;

use crate::compile::DIFFICULTIES;
use crate::problem::Problems;
use crate::sheet::{Cells, Sheet};

/// What quest checks need to know of the rest of the content.
pub struct World<'a> {
    pub stages: &'a [Stage],
    pub max_level: u32,
    pub max_summon_rarity: u32,
}

/// Every stage difficulty must be reachable from an open one through unlock rules.
pub fn check_reachability(
    problems: &mut Problems,
    sheet: &Sheet,
    nodes: &HashMap<String, usize>,
    unlocks: &[(String, String, usize)],
) {
    let mut opens: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut queue = VecDeque::new();
    for (node, after, line) in unlocks {
        if after.is_empty() {
            queue.push_back(node.as_str());
        } else if !nodes.contains_key(after) {
            problems.at(
                &sheet.name,
                *line,
                "unlock_after",
                format!("unknown stage {after:?} (use stage.XX.YY:difficulty)"),
            );
        } else {
            opens.entry(after.as_str()).or_default().push(node.as_str());
        }
    }
    let mut reached: HashSet<&str> = queue.iter().copied().collect();
    while let Some(node) = queue.pop_front() {
        for next in opens.get(node).into_iter().flatten() {
            if reached.insert(next) {
                queue.push_back(next);
            }
        }
    }
    for (node, after, line) in unlocks {
        if !reached.contains(node.as_str()) && nodes.contains_key(after) {
            problems.at(
                &sheet.name,
                *line,
                "unlock_after",
                format!("{node} is unreachable: no chain of unlocks leads to it"),
            );
        }
    }
}

/// A quest's parameter must name something its condition can meet.
pub fn check_quest_param(row: &Cells, condition: &str, param: &str, world: &World, p: &mut Problems) {
    match condition {
        "stage_clear" if !param.is_empty() => {
            let known = param.split_once(':').is_some_and(|(stage, difficulty)| {
                world.stages.iter().any(|s| s.uid == stage) && DIFFICULTIES.contains(&difficulty)
            });
            if !known {
                row.problem(p, "param", format!("no stage {param:?} exists to clear (use stage.XX.YY:difficulty)"));
            }
        }
        "summon" if !param.is_empty() => match param.parse::<u32>() {
            Ok(r) if r <= world.max_summon_rarity => {}
            Ok(r) => row.problem(
                p,
                "param",
                format!("no summon pool yields rarity {r} (highest is {})", world.max_summon_rarity),
            ),
            Err(_) => row.problem(p, "param", format!("{param:?} is not a rarity")),
        },
        "level_reached" => match param.parse::<u32>() {
            Ok(l) if (2..=world.max_level).contains(&l) => {}
            _ => row.problem(p, "param", format!("{param:?} is not a level from 2 to {}", world.max_level)),
        },
        "battle_won" if !param.is_empty() => match param.parse::<u32>() {
            Ok(1..=3) => {}
            _ => row.problem(p, "param", format!("{param:?} is not a number of stars from 1 to 3")),
        },
        "summon" | "stage_clear" | "battle_won" => {}
        _ if !param.is_empty() => {
            row.problem(p, "param", format!("{condition} takes no parameter"));
        }
        _ => {}
    }
}
