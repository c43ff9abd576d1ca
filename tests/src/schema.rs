//! A normalized, comparable description of a database schema, read from the catalog.
//!
//! [`TestEnv::schema_snapshot`] returns one line per fact, sorted, so two schemas on the same
//! engine compare with [`SchemaSnapshot::diff`] independently of creation order:
//!
//! * `table <t>` (MariaDB: `table <t> engine=InnoDB collation=utf8mb4_general_ci`)
//! * `columns <t>: a,b,c` (the column order)
//! * `column <t>.<c> <type> [NOT NULL] [default=<expr>] [identity|auto_increment] [collate=<c>]`
//! * `pk <t> (a,b)`
//! * `index <t> <name> (a,b) [unique]` — named indexes; unique *constraints* as
//!   `unique <t> (a,b)` (their names are engine-made on SQLite)
//! * `fk <t> (a) -> <t2> (b) [on delete …]`
//! * `sequence <s> start=… increment=… min=… max=… cache=… [cycle]` (PostgreSQL: only
//!   stand-alone sequences; identity columns show as `identity` on the column)
//!
//! Types are the engine's own spelling (`character varying(120)`, `varchar(120)`,
//! `VARCHAR(120)`); compare schemas of the same engine.
use std::collections::BTreeSet;

use crate::servers::Engine;
use crate::TestEnv;

/// See the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaSnapshot {
    pub engine: Engine,
    pub lines: BTreeSet<String>,
}

impl SchemaSnapshot {
    /// Lines only in `self` (prefixed `- `) and only in `other` (prefixed `+ `).
    pub fn diff(&self, other: &SchemaSnapshot) -> Vec<String> {
        let mut out: Vec<String> = self
            .lines
            .difference(&other.lines)
            .map(|l| format!("- {l}"))
            .collect();
        out.extend(
            other
                .lines
                .difference(&self.lines)
                .map(|l| format!("+ {l}")),
        );
        out
    }

    /// Panics with the differences (`-` only in `self`, `+` only in `expected`) unless equal.
    #[track_caller]
    pub fn assert_same(&self, expected: &SchemaSnapshot) {
        let d = self.diff(expected);
        assert!(
            d.is_empty(),
            "{}: schemas differ ({} lines; `-` actual only, `+` expected only):\n{}",
            self.engine,
            d.len(),
            d.join("\n")
        );
    }

    /// Lines starting with `prefix` (e.g. `"sequence "`, `"index "`).
    pub fn lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|l| l.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }
}

/// (id, from columns, referenced table, referenced columns, on delete)
type SqliteFk = (String, Vec<String>, String, Vec<String>, String);
/// ((table, name, referenced table, delete rule, update rule), from columns, to columns)
type MariaFk = (
    (String, String, String, String, String),
    Vec<String>,
    Vec<String>,
);

fn group(rows: &[Vec<String>], key: usize, col: usize) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some((k, cols)) if *k == r[key] => cols.push(r[col].clone()),
            _ => out.push((r[key].clone(), vec![r[col].clone()])),
        }
    }
    out
}

impl TestEnv {
    /// The schema of the main database as a [`SchemaSnapshot`].
    pub fn schema_snapshot(&self) -> SchemaSnapshot {
        let mut lines = BTreeSet::new();
        match self.engine() {
            Engine::Sqlite => self.snapshot_sqlite(&mut lines),
            Engine::Postgres => self.snapshot_pg(&mut lines),
            Engine::Mariadb => self.snapshot_mariadb(&mut lines),
        }
        SchemaSnapshot {
            engine: self.engine(),
            lines,
        }
    }

    fn snapshot_sqlite(&self, lines: &mut BTreeSet<String>) {
        for t in self.table_names() {
            lines.insert(format!("table {t}"));
            let cols = self.query_rows(&format!(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{t}') ORDER BY cid"
            ));
            let names: Vec<&str> = cols.iter().map(|c| c[0].as_str()).collect();
            lines.insert(format!("columns {t}: {}", names.join(",")));
            let mut pk: Vec<(i64, String)> = vec![];
            for c in &cols {
                let mut l = format!("column {t}.{} {}", c[0], c[1]);
                if c[2] == "1" {
                    l.push_str(" NOT NULL");
                }
                if c[3] != "NULL" {
                    l.push_str(&format!(" default={}", c[3]));
                }
                lines.insert(l);
                let n: i64 = c[4].parse().unwrap_or(0);
                if n > 0 {
                    pk.push((n, c[0].clone()));
                }
            }
            pk.sort();
            if !pk.is_empty() {
                let pk: Vec<String> = pk.into_iter().map(|p| p.1).collect();
                lines.insert(format!("pk {t} ({})", pk.join(",")));
            }
            for idx in self.query_rows(&format!(
                "SELECT name, \"unique\", origin FROM pragma_index_list('{t}')"
            )) {
                let cols: Vec<String> = self
                    .query_rows(&format!(
                        "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
                        idx[0]
                    ))
                    .into_iter()
                    .map(|mut r| r.remove(0))
                    .collect();
                match idx[2].as_str() {
                    "pk" => {}
                    "u" => {
                        lines.insert(format!("unique {t} ({})", cols.join(",")));
                    }
                    _ => {
                        let u = if idx[1] == "1" { " unique" } else { "" };
                        lines.insert(format!("index {t} {} ({}){u}", idx[0], cols.join(",")));
                    }
                }
            }
            let fks = self.query_rows(&format!(
                "SELECT id, seq, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{t}') ORDER BY id, seq"
            ));
            let mut fk_lines: Vec<SqliteFk> = vec![];
            for f in fks {
                if f[1] == "0" {
                    fk_lines.push((f[0].clone(), vec![], f[2].clone(), vec![], f[5].clone()));
                }
                if let Some(last) = fk_lines.last_mut() {
                    last.1.push(f[3].clone());
                    last.3.push(f[4].clone());
                }
            }
            for (_, from, to_t, to, on_delete) in fk_lines {
                let od = if on_delete == "NO ACTION" {
                    String::new()
                } else {
                    format!(" on delete {on_delete}")
                };
                lines.insert(format!(
                    "fk {t} ({}) -> {to_t} ({}){od}",
                    from.join(","),
                    to.join(",")
                ));
            }
        }
    }

    fn snapshot_pg(&self, lines: &mut BTreeSet<String>) {
        let cols = self.query_rows(
            "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                    a.attnotnull, COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text \
             FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY c.relname, a.attnum",
        );
        for (t, names) in group(&cols, 0, 1) {
            lines.insert(format!("table {t}"));
            lines.insert(format!("columns {t}: {}", names.join(",")));
        }
        for c in &cols {
            let mut l = format!("column {}.{} {}", c[0], c[1], c[2]);
            if c[3] == "1" {
                l.push_str(" NOT NULL");
            }
            if !c[4].is_empty() {
                l.push_str(&format!(" default={}", c[4]));
            }
            match c[5].as_str() {
                "d" => l.push_str(" identity"),
                "a" => l.push_str(" identity always"),
                _ => {}
            }
            lines.insert(l);
        }
        // Indexes: primary keys, unique constraints and plain/unique indexes.
        let idx = self.query_rows(
            "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid AND k.contype = 'u'), \
                    array_to_string(ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
                        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',') \
             FROM pg_index ix \
             JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_class t ON t.oid = ix.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public'",
        );
        for r in idx {
            let (t, name, unique, primary, constraint, cols) =
                (&r[0], &r[1], r[2] == "1", r[3] == "1", r[4] == "1", &r[5]);
            let l = if primary {
                format!("pk {t} ({cols})")
            } else if constraint {
                format!("unique {t} ({cols}) {name}")
            } else {
                let u = if unique { " unique" } else { "" };
                format!("index {t} {name} ({cols}){u}")
            };
            lines.insert(l);
        }
        for r in self.query_rows(
            "SELECT k.conrelid::regclass::text, k.conname::text, pg_get_constraintdef(k.oid) \
             FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace \
             WHERE n.nspname = 'public' AND k.contype IN ('f', 'c')",
        ) {
            let def = r[2].replace("public.", "");
            lines.insert(format!("constraint {} {} {def}", r[0], r[1]));
        }
        for r in self.query_rows(
            "SELECT s.sequencename::text, s.start_value::text, s.increment_by::text, s.min_value::text, \
                    s.max_value::text, s.cache_size::text, s.cycle \
             FROM pg_sequences s \
             JOIN pg_class c ON c.relname = s.sequencename \
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname \
             WHERE s.schemaname = 'public' \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')",
        ) {
            let cycle = if r[6] == "1" { " cycle" } else { "" };
            lines.insert(format!(
                "sequence {} start={} increment={} min={} max={} cache={}{cycle}",
                r[0], r[1], r[2], r[3], r[4], r[5]
            ));
        }
    }

    fn snapshot_mariadb(&self, lines: &mut BTreeSet<String>) {
        let tables = self.query_rows(
            "SELECT table_name, table_type, COALESCE(engine, ''), COALESCE(table_collation, '') \
             FROM information_schema.tables WHERE table_schema = DATABASE()",
        );
        let mut sequences = vec![];
        for t in &tables {
            if t[1] == "SEQUENCE" {
                sequences.push(t[0].clone());
            } else {
                lines.insert(format!("table {} engine={} collation={}", t[0], t[2], t[3]));
            }
        }
        let cols = self.query_rows(
            "SELECT c.table_name, c.column_name, c.column_type, c.is_nullable, c.column_default, c.extra, \
                    COALESCE(c.collation_name, ''), t.table_collation \
             FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' \
             ORDER BY c.table_name, c.ordinal_position",
        );
        for (t, names) in group(&cols, 0, 1) {
            lines.insert(format!("columns {t}: {}", names.join(",")));
        }
        for c in &cols {
            let mut l = format!("column {}.{} {}", c[0], c[1], c[2]);
            if c[3] == "NO" {
                l.push_str(" NOT NULL");
            }
            if c[4] != "NULL" {
                l.push_str(&format!(" default={}", c[4]));
            }
            if !c[5].is_empty() {
                l.push_str(&format!(" {}", c[5].to_lowercase()));
            }
            if !c[6].is_empty() && c[6] != c[7] {
                l.push_str(&format!(" collate={}", c[6]));
            }
            lines.insert(l);
        }
        let stats = self.query_rows(
            "SELECT s.table_name, s.index_name, s.non_unique, s.column_name \
             FROM information_schema.statistics s \
             JOIN information_schema.tables t ON t.table_schema = s.table_schema AND t.table_name = s.table_name \
             WHERE s.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' \
             ORDER BY s.table_name, s.index_name, s.seq_in_index",
        );
        let mut keyed: Vec<((String, String, String), Vec<String>)> = vec![];
        for r in stats {
            let k = (r[0].clone(), r[1].clone(), r[2].clone());
            match keyed.last_mut() {
                Some((lk, cols)) if *lk == k => cols.push(r[3].clone()),
                _ => keyed.push((k, vec![r[3].clone()])),
            }
        }
        for ((t, name, non_unique), cols) in keyed {
            let cols = cols.join(",");
            if name == "PRIMARY" {
                lines.insert(format!("pk {t} ({cols})"));
            } else {
                let u = if non_unique == "0" { " unique" } else { "" };
                lines.insert(format!("index {t} {name} ({cols}){u}"));
            }
        }
        let fks = self.query_rows(
            "SELECT k.table_name, k.constraint_name, k.column_name, k.referenced_table_name, \
                    k.referenced_column_name, r.delete_rule, r.update_rule \
             FROM information_schema.key_column_usage k \
             JOIN information_schema.referential_constraints r \
               ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name \
                  AND r.table_name = k.table_name \
             WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL \
             ORDER BY k.table_name, k.constraint_name, k.ordinal_position",
        );
        let mut fk: Vec<MariaFk> = vec![];
        for r in fks {
            let k = (
                r[0].clone(),
                r[1].clone(),
                r[3].clone(),
                r[5].clone(),
                r[6].clone(),
            );
            match fk.last_mut() {
                Some((lk, from, to)) if *lk == k => {
                    from.push(r[2].clone());
                    to.push(r[4].clone());
                }
                _ => fk.push((k, vec![r[2].clone()], vec![r[4].clone()])),
            }
        }
        for ((t, name, to_t, del, upd), from, to) in fk {
            lines.insert(format!(
                "fk {t} {name} ({}) -> {to_t} ({}) on delete {del} on update {upd}",
                from.join(","),
                to.join(",")
            ));
        }
        for s in sequences {
            let r = self.query_rows(&format!(
                "SELECT start_value, increment, minimum_value, maximum_value, cache_size, cycle_option FROM `{s}`"
            ));
            if let Some(r) = r.first() {
                let cycle = if r[5] == "1" { " cycle" } else { "" };
                lines.insert(format!(
                    "sequence {s} start={} increment={} min={} max={} cache={}{cycle}",
                    r[0], r[1], r[2], r[3], r[4]
                ));
            }
        }
    }
}
