//! restic's retention rules (`forget --keep-last/-daily/-weekly/-monthly`), as a pure function.
//!
//! Snapshots are ordered newest first. For each rule with a count n > 0, walking that order,
//! a snapshot is kept when its bucket (itself, its day, ISO week or month) differs from the
//! previous kept bucket of that rule, until n buckets have been kept. A snapshot is kept when
//! any rule keeps it.

use chrono::{Datelike, NaiveDateTime};

/// The `--keep-*` counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Most recent snapshots.
    pub last: u32,
    /// Last n days that have snapshots, newest of each.
    pub daily: u32,
    /// Last n ISO weeks.
    pub weekly: u32,
    /// Last n months.
    pub monthly: u32,
}

impl Policy {
    /// No rule given.
    pub fn is_empty(&self) -> bool {
        self.last == 0 && self.daily == 0 && self.weekly == 0 && self.monthly == 0
    }
}

/// For each snapshot time (any order), the reasons it is kept (empty = remove).
pub fn select(times: &[NaiveDateTime], p: &Policy) -> Vec<Vec<&'static str>> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[b].cmp(&times[a]).then(b.cmp(&a)));
    let mut reasons = vec![Vec::new(); times.len()];
    type Bucket = fn(usize, &NaiveDateTime) -> (i64, i64);
    let rules: [(&'static str, u32, Bucket); 4] = [
        ("last", p.last, |i, _| (i as i64, 0)),
        ("daily", p.daily, |_, t| {
            (i64::from(t.year()), i64::from(t.ordinal()))
        }),
        ("weekly", p.weekly, |_, t| {
            let w = t.iso_week();
            (i64::from(w.year()), i64::from(w.week()))
        }),
        ("monthly", p.monthly, |_, t| {
            (i64::from(t.year()), i64::from(t.month()))
        }),
    ];
    for (name, count, bucket) in rules {
        let mut left = count;
        let mut prev: Option<(i64, i64)> = None;
        for &i in &order {
            if left == 0 {
                break;
            }
            let b = bucket(i, &times[i]);
            if prev != Some(b) {
                reasons[i].push(name);
                prev = Some(b);
                left -= 1;
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn restic_semantics() {
        let times = vec![
            t("2026-11-22 10:00"),
            t("2026-11-22 09:00"),
            t("2026-11-21 23:00"),
            t("2026-11-20 08:00"),
            t("2026-11-15 08:00"), // Sunday, ISO week 46
            t("2026-10-31 08:00"),
            t("2026-09-01 08:00"),
        ];
        let p = Policy {
            last: 1,
            daily: 2,
            weekly: 0,
            monthly: 0,
        };
        let r = select(&times, &p);
        let kept: Vec<bool> = r.iter().map(|x| !x.is_empty()).collect();
        assert_eq!(kept, vec![true, false, true, false, false, false, false]);
        assert_eq!(r[0], vec!["last", "daily"]);

        let p = Policy {
            last: 0,
            daily: 0,
            weekly: 2,
            monthly: 3,
        };
        let kept: Vec<bool> = select(&times, &p).iter().map(|x| !x.is_empty()).collect();
        // weekly: newest of week 47 (11-22), newest of week 46 (11-15)
        // monthly: newest of Nov (11-22), Oct (10-31), Sep (09-01)
        assert_eq!(kept, vec![true, false, false, false, true, true, true]);
    }

    #[test]
    fn empty_policy_keeps_nothing() {
        let times = vec![t("2026-11-22 10:00")];
        assert!(select(&times, &Policy::default())[0].is_empty());
        assert!(Policy::default().is_empty());
    }
}
