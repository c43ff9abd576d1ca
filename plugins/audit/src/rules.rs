//! The YAML rules of `audit rotate --config`, with pi-manage's semantics:
//! a rule matches when every non-`rotate` key's Python regex is found (`re.search`) in
//! `str(entry.<key>)`; a rule with only `rotate` never matches; the first matching rule decides,
//! even when the entry is too young to delete; a matching entry is deleted when its `date` is
//! before `now - rotate days` (local time).

use crate::columns::{kind_of, Kind};
use crate::pyre::PyRegex;
use crate::pystr::{str_repr, yaml_repr};
use mfactl_plugin_api::Timestamp;

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Python `str()` of the rule dict, as pi-manage prints it.
    pub repr: String,
    /// `rotate`, in days.
    pub rotate_days: i64,
    /// (index into [`RuleSet::columns`], column name, pattern).
    pub conds: Vec<(usize, String, PyRegex)>,
}

/// The parsed rule file.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The rules in file order.
    pub rules: Vec<Rule>,
    /// The columns the rules read, in first-use order, with their kinds.
    pub columns: Vec<(String, Kind)>,
}

/// What a rule set decided for one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Delete, because of rule `n` (0-based).
    Delete(usize),
    /// Keep (no rule matched, or the first matching rule found it too young).
    Keep,
}

fn rule_label(index: usize, repr: &str) -> String {
    format!("rule {} {}", index + 1, repr)
}

/// Parses and checks the YAML text. Every error names the rule; nothing is evaluated yet.
pub fn parse(text: &str) -> Result<RuleSet, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let serde_yaml::Value::Sequence(items) = doc else {
        return Err(
            "the file must hold a YAML list of rules (mappings with a 'rotate' key)".into(),
        );
    };
    let mut rules = Vec::new();
    let mut columns: Vec<(String, Kind)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let repr = yaml_repr(item);
        let label = rule_label(index, &repr);
        let serde_yaml::Value::Mapping(map) = item else {
            return Err(format!("{label}: a rule must be a mapping"));
        };
        let mut rotate = None;
        let mut conds = Vec::new();
        for (k, v) in map {
            let Some(key) = k.as_str() else {
                return Err(format!("{label}: the key {} is not a string", yaml_repr(k)));
            };
            if key == "rotate" {
                let days = match v {
                    serde_yaml::Value::Number(n) => {
                        n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64))
                    }
                    serde_yaml::Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                };
                match days {
                    Some(d) => rotate = Some(d),
                    None => {
                        return Err(format!(
                            "{label}: 'rotate' must be a number of days, not {}",
                            yaml_repr(v)
                        ))
                    }
                }
                continue;
            }
            let Some(kind) = kind_of(key) else {
                return Err(format!(
                    "{label}: unknown column '{key}' (use the model's names: action, user, realm, \
                     serial, success, loglevel, token_type, privacyidea_server, info, client, …)"
                ));
            };
            let pattern = match v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Number(n) => n.to_string(),
                _ => {
                    return Err(format!(
                        "{label}: the value of '{key}' must be a regular expression, not {}",
                        yaml_repr(v)
                    ))
                }
            };
            let re = PyRegex::new(&pattern).map_err(|e| {
                format!(
                    "{label}: cannot use the regular expression {} for '{key}': {e}",
                    str_repr(&pattern)
                )
            })?;
            let col = match columns.iter().position(|(n, _)| n == key) {
                Some(i) => i,
                None => {
                    columns.push((key.to_string(), kind));
                    columns.len() - 1
                }
            };
            conds.push((col, key.to_string(), re));
        }
        let Some(rotate_days) = rotate else {
            return Err(format!(
                "{label}: the rule has no 'rotate' key (days to keep)"
            ));
        };
        rules.push(Rule {
            repr,
            rotate_days,
            conds,
        });
    }
    Ok(RuleSet { rules, columns })
}

impl RuleSet {
    /// The cutoff of each rule: `now - rotate days`.
    pub fn cutoffs(&self, now: Timestamp) -> Vec<i64> {
        self.rules
            .iter()
            .map(|r| {
                now.micros
                    .saturating_sub(r.rotate_days.saturating_mul(86_400_000_000))
            })
            .collect()
    }

    /// Decides for one entry. `values[i]` is `str()` of `columns[i]`. `debug` receives
    /// pi-manage's `--debug` lines when given.
    pub fn decide(
        &self,
        id: i64,
        date: Option<Timestamp>,
        values: &[String],
        cutoffs: &[i64],
        mut debug: Option<&mut dyn FnMut(String)>,
    ) -> Result<Decision, String> {
        if let Some(d) = debug.as_mut() {
            d(format!("investigating log entry {id}"));
        }
        for (ri, rule) in self.rules.iter().enumerate() {
            if rule.conds.is_empty() {
                continue;
            }
            let mut all = true;
            for (col, key, re) in &rule.conds {
                let value = values.get(*col).map(String::as_str).unwrap_or("");
                if let Some(d) = debug.as_mut() {
                    d(format!(" + searching for '{}' in Audit.{key}", re.source));
                }
                let found = re.search(value).map_err(|e| {
                    format!(
                        "{}: the regular expression for '{key}' failed on entry {id}: {e}",
                        rule_label(ri, &rule.repr)
                    )
                })?;
                if found {
                    if let Some(d) = debug.as_mut() {
                        d(format!(" + -- found '{value}'"));
                    }
                } else {
                    if let Some(d) = debug.as_mut() {
                        d(" + NO MATCH - SKIPPING rest of conditions!".to_string());
                    }
                    all = false;
                    break;
                }
            }
            if all {
                let old = date.is_some_and(|t| t.micros < cutoffs[ri]);
                if old {
                    if let Some(d) = debug.as_mut() {
                        d(format!(" + Deleting {id} due to rule {}", rule.repr));
                    }
                    return Ok(Decision::Delete(ri));
                }
                return Ok(Decision::Keep);
            }
        }
        Ok(Decision::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "- rotate: 10\n  user: nils\n  action: .*/validate/check.*\n\
                       - rotate: 30\n  action: ^GET /token\n\
                       - rotate: 3650\n  action: POST /token/init\n\
                       - rotate: 180\n  action: .*\n";

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("ts")
    }

    #[test]
    fn parses_the_documented_example() {
        let rs = parse(DOC).expect("parse");
        assert_eq!(rs.rules.len(), 4);
        assert_eq!(
            rs.rules[0].repr,
            "{'rotate': 10, 'user': 'nils', 'action': '.*/validate/check.*'}"
        );
        let names: Vec<&str> = rs.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["user", "action"]);
    }

    #[test]
    fn first_match_wins_even_when_young() {
        let rs = parse(DOC).expect("parse");
        let now = ts("2026-06-01 00:00:00");
        let cut = rs.cutoffs(now);
        // 100 days old token init: rule 3 (3650 days) matches first and keeps it, although the
        // catch-all (180 days) would not delete it either; 200 days old: still kept by rule 3.
        let vals = ["alice".to_string(), "POST /token/init".to_string()];
        let d = rs
            .decide(1, Some(ts("2025-11-13 00:00:00")), &vals, &cut, None)
            .expect("d");
        assert_eq!(d, Decision::Keep);
        // nils /validate/check 20 days old: rule 1 deletes
        let vals = ["nils".to_string(), "POST /validate/check".to_string()];
        let d = rs
            .decide(2, Some(ts("2026-05-12 00:00:00")), &vals, &cut, None)
            .expect("d");
        assert_eq!(d, Decision::Delete(0));
        // nils /validate/check 5 days old: rule 1 matches and keeps; the catch-all is not tried
        let d = rs
            .decide(3, Some(ts("2026-05-27 00:00:00")), &vals, &cut, None)
            .expect("d");
        assert_eq!(d, Decision::Keep);
        // bob validate 200 days: catch-all deletes
        let vals = ["bob".to_string(), "POST /validate/check".to_string()];
        let d = rs
            .decide(4, Some(ts("2025-11-01 00:00:00")), &vals, &cut, None)
            .expect("d");
        assert_eq!(d, Decision::Delete(3));
    }

    #[test]
    fn rotate_only_never_matches_and_none_is_a_string() {
        let rs = parse("- rotate: 0\n- rotate: 0\n  user: ^None$\n").expect("parse");
        let cut = rs.cutoffs(ts("2026-06-01 00:00:00"));
        let d = rs
            .decide(
                1,
                Some(ts("2020-01-01 00:00:00")),
                &["None".into()],
                &cut,
                None,
            )
            .expect("d");
        assert_eq!(d, Decision::Delete(1));
        let d = rs
            .decide(
                1,
                Some(ts("2020-01-01 00:00:00")),
                &["x".into()],
                &cut,
                None,
            )
            .expect("d");
        assert_eq!(d, Decision::Keep);
    }

    #[test]
    fn debug_lines() {
        let rs = parse("- rotate: 1\n  user: nils\n  action: check\n").expect("parse");
        let cut = rs.cutoffs(ts("2026-06-01 00:00:00"));
        let mut lines = Vec::new();
        let mut sink = |l: String| lines.push(l);
        rs.decide(
            7,
            Some(ts("2020-01-01 00:00:00")),
            &["nils".into(), "POST /validate/check".into()],
            &cut,
            Some(&mut sink),
        )
        .expect("d");
        assert_eq!(
            lines,
            [
                "investigating log entry 7",
                " + searching for 'nils' in Audit.user",
                " + -- found 'nils'",
                " + searching for 'check' in Audit.action",
                " + -- found 'POST /validate/check'",
                " + Deleting 7 due to rule {'rotate': 1, 'user': 'nils', 'action': 'check'}",
            ]
        );
    }

    #[test]
    fn errors_name_the_rule() {
        let e = parse("- rotate: 1\n  action: '(?a)x'\n").expect_err("bad regex");
        assert!(
            e.starts_with("rule 1 {'rotate': 1, 'action': '(?a)x'}"),
            "{e}"
        );
        let e = parse("- rotate: 1\n  action: x\n- action: y\n").expect_err("no rotate");
        assert!(e.contains("rule 2") && e.contains("no 'rotate'"), "{e}");
        let e = parse("- rotate: 1\n  log_level: x\n").expect_err("unknown column");
        assert!(e.contains("unknown column 'log_level'"), "{e}");
        assert!(parse("rotate: 1\n").is_err());
        assert!(parse("- rotate: [\n").is_err());
        let e = parse("- rotate: 1\n  action: '(x'\n").expect_err("bad regex");
        assert!(e.contains("rule 1"), "{e}");
    }
}
