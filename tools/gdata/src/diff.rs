//! `summoner-gdata diff`: what changed between two builds, entry by entry, with paths a
//! designer can read: `modified stages[uid=stage.01.02].hell.display_mons[0]: a -> b`.
//!
//! Lists of entries with a `uid` (or `key`, or `level`) are matched by that id, so
//! reordering rows changes nothing; other lists are compared position by position.

use serde_json::Value;

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Removed { path: String, old: String },
    Added { path: String, new: String },
    Modified { path: String, old: String, new: String },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Removed { path, old } => write!(f, "removed {path}: {old}"),
            Change::Added { path, new } => write!(f, "added {path}: {new}"),
            Change::Modified { path, old, new } => write!(f, "modified {path}: {old} -> {new}"),
        }
    }
}

/// Fields that identify an entry of a list.
const ID_FIELDS: [&str; 3] = ["uid", "key", "level"];
/// Fields that always differ between builds and say nothing about content.
const IGNORED: [&str; 2] = ["version", "content_hash"];

fn short(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => {
            let text = value.to_string();
            if text.len() > 120 {
                format!("{}…", &text[..text.char_indices().nth(117).map_or(text.len(), |(i, _)| i)])
            } else {
                text
            }
        }
        other => other.to_string(),
    }
}

fn id_of(value: &Value) -> Option<(&'static str, String)> {
    let object = value.as_object()?;
    ID_FIELDS.iter().find_map(|field| object.get(*field).map(|v| (*field, short(v))))
}

/// Differences between two values of the same schema, in document order.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (field, value) in a {
                if path.is_empty() && IGNORED.contains(&field.as_str()) {
                    continue;
                }
                match b.get(field) {
                    Some(other) => walk(&join(path, field), value, other, out),
                    None => out.push(Change::Removed { path: join(path, field), old: short(value) }),
                }
            }
            for (field, value) in b {
                if !a.contains_key(field) {
                    out.push(Change::Added { path: join(path, field), new: short(value) });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.iter().chain(b).all(|v| id_of(v).is_some()) => {
            let key = |v: &Value| id_of(v).map(|(field, id)| format!("[{field}={id}]"));
            for item in a {
                let k = key(item).unwrap_or_default();
                match b.iter().find(|other| key(other).as_deref() == Some(k.as_str())) {
                    Some(other) => walk(&format!("{path}{k}"), item, other, out),
                    None => out.push(Change::Removed { path: format!("{path}{k}"), old: short(item) }),
                }
            }
            for item in b {
                let k = key(item).unwrap_or_default();
                if !a.iter().any(|other| key(other).as_deref() == Some(k.as_str())) {
                    out.push(Change::Added { path: format!("{path}{k}"), new: short(item) });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, item) in a.iter().enumerate() {
                match b.get(i) {
                    Some(other) => walk(&format!("{path}[{i}]"), item, other, out),
                    None => out.push(Change::Removed { path: format!("{path}[{i}]"), old: short(item) }),
                }
            }
            for (i, item) in b.iter().enumerate().skip(a.len()) {
                out.push(Change::Added { path: format!("{path}[{i}]"), new: short(item) });
            }
        }
        (a, b) if a != b => out.push(Change::Modified { path: path.to_owned(), old: short(a), new: short(b) }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lines(old: Value, new: Value) -> Vec<String> {
        diff(&old, &new).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn identical_values_have_no_changes() {
        let v = json!({"monsters": [{"uid": "a", "rarity": 1}]});
        assert!(diff(&v, &v).is_empty());
    }

    #[test]
    fn version_and_hash_are_not_content() {
        assert!(
            lines(json!({"version": 1, "content_hash": "x"}), json!({"version": 2, "content_hash": "y"})).is_empty()
        );
    }

    #[test]
    fn keyed_entries_are_matched_by_id_so_reordering_is_no_change() {
        let old = json!({"monsters": [{"uid": "a", "rarity": 1}, {"uid": "b", "rarity": 2}]});
        let new = json!({"monsters": [{"uid": "b", "rarity": 2}, {"uid": "a", "rarity": 1}]});
        assert!(diff(&old, &new).is_empty());
    }

    #[test]
    fn added_removed_and_modified_entries_are_named_by_path() {
        let old = json!({"stages": [{"uid": "stage.01.02", "hell": {"display_mons": ["mon.jackolittle.dark.3", "x"]}}, {"uid": "gone"}]});
        let new = json!({"stages": [{"uid": "stage.01.02", "hell": {"display_mons": ["mon.slimeb.water.3", "x", "y"]}}, {"uid": "new"}]});
        assert_eq!(
            lines(old, new),
            vec![
                "modified stages[uid=stage.01.02].hell.display_mons[0]: mon.jackolittle.dark.3 -> mon.slimeb.water.3",
                "added stages[uid=stage.01.02].hell.display_mons[2]: y",
                "removed stages[uid=gone]: {\"uid\":\"gone\"}",
                "added stages[uid=new]: {\"uid\":\"new\"}",
            ]
        );
    }

    #[test]
    fn unkeyed_lists_compare_by_position() {
        assert_eq!(
            lines(json!({"l": [1, 2, 3]}), json!({"l": [1, 3]})),
            vec!["modified l[1]: 2 -> 3", "removed l[2]: 3",]
        );
    }
}
