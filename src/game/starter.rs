//! The starter box: the monsters of `starter_box.csv` that every player finds in their box,
//! given by the player's first request (any operation), so registration stays one row.

use crate::game::context::HandlerCtx;
use crate::game::monsters;
use crate::game::wallet;

/// The counter that records the box was given (it never resets).
pub const STARTER_COUNTER: &str = "starter_box";

/// Gives the starter box if this user has not had it, in the request's draft: it commits
/// with the request if the request goes through (a refusal changes nothing of the player's
/// own state, so the box waits for the next request). A player who registered before the
/// game data had a box gets it at their next request. The box stops at the box limit.
pub fn give_once(ctx: &mut HandlerCtx) {
    let box_contents = &ctx.data.content.data.starter_box;
    if box_contents.is_empty() || wallet::counter(ctx, STARTER_COUNTER) != 0 {
        return;
    }
    let templates: Vec<String> =
        box_contents.iter().flat_map(|m| std::iter::repeat_n(m.monster.clone(), m.count as usize)).collect();
    let mut given = Vec::new();
    for template in templates {
        if ctx.user.owned.monsters.len() >= ctx.data.box_rules.limit {
            break;
        }
        given.push(monsters::mint(ctx, &template).id);
    }
    wallet::set_counter(ctx, STARTER_COUNTER, 1, 0);
    let ids: Vec<String> = given.iter().map(u64::to_string).collect();
    ctx.log("starter_box", format!("count={}", given.len()), format!("monsters={}", ids.join("|")));
}
