//! privacyIDEA 3.14's schema per dialect: the embedded DDL, split into statements, each owned by
//! the table or sequence it creates or alters, and ordered so foreign keys always point at tables
//! that exist already.

use std::collections::{BTreeMap, BTreeSet};

/// The Alembic revision `pi-manage setup create_tables` of privacyIDEA 3.14 stamps.
pub const ALEMBIC_HEAD: &str = "b7c1e4d2a9f3";

/// The table Alembic keeps its revision in; created only when stamping.
pub const ALEMBIC_TABLE: &str = "alembic_version";

/// The audit table (privacyIDEA's sqlaudit module) and its sequence.
pub const AUDIT_TABLE: &str = "pidea_audit";
/// The sequence of [`AUDIT_TABLE`].
pub const AUDIT_SEQUENCE: &str = "audit_seq";

const SQLITE: &str = include_str!("../schema/sqlite.sql");
const POSTGRES: &str = include_str!("../schema/postgres.sql");
const MYSQL: &str = include_str!("../schema/mysql.sql");
const MARIADB: &str = include_str!("../schema/mariadb.sql");

/// Which DDL file applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL/MariaDB reached through a `mysql://` or `mysql+pymysql://` URI: `DATETIME(6)`.
    Mysql,
    /// MariaDB reached through a `mariadb+pymysql://` URI: plain `DATETIME`.
    MariadbUri,
}

impl Flavor {
    fn ddl(self) -> &'static str {
        match self {
            Flavor::Sqlite => SQLITE,
            Flavor::Postgres => POSTGRES,
            Flavor::Mysql => MYSQL,
            Flavor::MariadbUri => MARIADB,
        }
    }
}

/// What kind of object owns a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A sequence (PostgreSQL, MariaDB).
    Sequence,
    /// A table, with its constraints and indexes.
    Table,
}

/// One DDL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// The SQL text, without the trailing `;`.
    pub sql: String,
    /// What the statement does, for messages and counts.
    pub what: What,
}

/// The effect of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// Creates the owner.
    Create,
    /// Creates an index on the owner.
    Index,
    /// Adds a constraint or identity to the owner.
    Alter,
}

/// A table or sequence and the statements that make it.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Table or sequence.
    pub kind: Kind,
    /// Its name (lower case, unquoted).
    pub name: String,
    /// Its statements in execution order.
    pub stmts: Vec<Stmt>,
    /// Tables it references through foreign keys.
    pub references: BTreeSet<String>,
}

impl Unit {
    /// Number of `CREATE INDEX` statements (PostgreSQL, SQLite; MySQL declares keys inline).
    pub fn index_count(&self) -> usize {
        self.stmts.iter().filter(|s| s.what == What::Index).count()
    }
}

/// The schema of one flavor: units in dependency order (sequences first, then tables so that
/// every table comes after the tables it references), plus `alembic_version` apart.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The flavor the DDL is for.
    pub flavor: Flavor,
    /// Sequences and tables, `alembic_version` excluded, in creation order.
    pub units: Vec<Unit>,
    /// The `alembic_version` table.
    pub alembic: Unit,
}

/// Splits a DDL script into statements at `;` ending a line; blank and `--` lines are dropped.
pub fn split_statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("--") {
            continue;
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(line.trim_end());
        if t.ends_with(';') {
            let s = cur.trim_end().trim_end_matches(';').trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            cur.clear();
        }
    }
    let rest = cur.trim();
    if !rest.is_empty() {
        out.push(rest.trim_end_matches(';').to_string());
    }
    out
}

/// An identifier as written (`` `x` ``, `"x"`, `x(`…), unquoted and lower-cased.
fn ident(tok: &str) -> String {
    let t = tok.split('(').next().unwrap_or(tok);
    let t = t.strip_prefix("public.").unwrap_or(t);
    t.trim_matches(|c| c == '`' || c == '"')
        .to_ascii_lowercase()
}

/// The owner and effect of one statement, `None` when it is not understood.
pub fn classify(sql: &str) -> Option<(Kind, String, What)> {
    let toks: Vec<&str> = sql.split_whitespace().collect();
    let up = |i: usize| toks.get(i).map(|t| t.to_ascii_uppercase());
    match (up(0)?.as_str(), up(1)?.as_str()) {
        ("CREATE", "TABLE") => Some((Kind::Table, ident(toks.get(2)?), What::Create)),
        ("CREATE", "SEQUENCE") => Some((Kind::Sequence, ident(toks.get(2)?), What::Create)),
        ("CREATE", "INDEX") | ("CREATE", "UNIQUE") => {
            let on = toks.iter().position(|t| t.eq_ignore_ascii_case("ON"))?;
            let mut i = on + 1;
            if toks.get(i)?.eq_ignore_ascii_case("ONLY") {
                i += 1;
            }
            Some((Kind::Table, ident(toks.get(i)?), What::Index))
        }
        ("ALTER", "TABLE") => {
            let mut i = 2;
            if toks.get(i)?.eq_ignore_ascii_case("ONLY") {
                i += 1;
            }
            Some((Kind::Table, ident(toks.get(i)?), What::Alter))
        }
        _ => None,
    }
}

/// Tables named after `REFERENCES` in a statement.
fn references(sql: &str) -> BTreeSet<String> {
    let toks: Vec<&str> = sql.split_whitespace().collect();
    toks.windows(2)
        .filter(|w| w[0].eq_ignore_ascii_case("REFERENCES"))
        .map(|w| ident(w[1]))
        .collect()
}

impl Schema {
    /// Parses the embedded DDL of `flavor`.
    pub fn load(flavor: Flavor) -> Result<Schema, String> {
        Self::parse(flavor, flavor.ddl())
    }

    /// Parses a DDL script (see [`Schema::load`]).
    pub fn parse(flavor: Flavor, text: &str) -> Result<Schema, String> {
        let mut units: Vec<Unit> = Vec::new();
        let mut index: BTreeMap<(Kind, String), usize> = BTreeMap::new();
        for sql in split_statements(text) {
            let (kind, name, what) = classify(&sql).ok_or_else(|| {
                format!(
                    "unexpected statement in the {flavor:?} schema: {}",
                    sql.lines().next().unwrap_or("")
                )
            })?;
            let i = match index.get(&(kind, name.clone())) {
                Some(&i) => i,
                None => {
                    if what != What::Create {
                        return Err(format!("{name}: statement before its CREATE"));
                    }
                    units.push(Unit {
                        kind,
                        name: name.clone(),
                        stmts: Vec::new(),
                        references: BTreeSet::new(),
                    });
                    index.insert((kind, name.clone()), units.len() - 1);
                    units.len() - 1
                }
            };
            let unit = &mut units[i];
            unit.references.extend(references(&sql));
            unit.references.remove(&name);
            unit.stmts.push(Stmt { sql, what });
        }
        let pos = units
            .iter()
            .position(|u| u.kind == Kind::Table && u.name == ALEMBIC_TABLE)
            .ok_or("the schema has no alembic_version table")?;
        let alembic = units.remove(pos);
        let units = order(units)?;
        Ok(Schema {
            flavor,
            units,
            alembic,
        })
    }

    /// Names of the tables (without `alembic_version`), in creation order.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.units
            .iter()
            .filter(|u| u.kind == Kind::Table)
            .map(|u| u.name.as_str())
    }

    /// Names of the sequences, in creation order.
    pub fn sequences(&self) -> impl Iterator<Item = &str> {
        self.units
            .iter()
            .filter(|u| u.kind == Kind::Sequence)
            .map(|u| u.name.as_str())
    }

    /// The units that do not exist yet, in creation order. Sequences are left out when
    /// `sequences` is false (MySQL); their tables then get `AUTO_INCREMENT` (see
    /// [`auto_increment_fallback`]).
    pub fn missing<'a>(
        &'a self,
        tables: &BTreeSet<String>,
        seqs: &BTreeSet<String>,
        sequences: bool,
    ) -> Vec<&'a Unit> {
        self.units
            .iter()
            .filter(|u| match u.kind {
                Kind::Table => !tables.contains(&u.name),
                Kind::Sequence => sequences && !seqs.contains(&u.name),
            })
            .collect()
    }

    /// Restricts the schema to the audit table and its sequence (for a separate audit database).
    pub fn audit_only(&self) -> Schema {
        Schema {
            flavor: self.flavor,
            units: self
                .units
                .iter()
                .filter(|u| {
                    (u.kind == Kind::Table && u.name == AUDIT_TABLE)
                        || (u.kind == Kind::Sequence && u.name == AUDIT_SEQUENCE)
                })
                .cloned()
                .collect(),
            alembic: self.alembic.clone(),
        }
    }
}

/// Sequences whose name is not `<table>_seq`.
const SEQUENCE_TABLES: &[(&str, &str)] = &[
    ("audit_seq", "pidea_audit"),
    ("caconfig_seq", "caconnectorconfig"),
    ("clientapp_seq", "clientapplication"),
    ("eventhandlercond_seq", "eventhandlercondition"),
    ("eventhandleropt_seq", "eventhandleroption"),
    ("machineresolverconf_seq", "machineresolverconfig"),
    ("machtokenopt_seq", "machinetokenoptions"),
    ("periodictaskopt_seq", "periodictaskoption"),
    ("pwreset_seq", "passwordreset"),
    ("resolverconf_seq", "resolverconfig"),
    ("smsgwoption_seq", "smsgatewayoption"),
];

/// The table whose `id` a sequence feeds.
pub fn sequence_table(seq: &str) -> String {
    SEQUENCE_TABLES
        .iter()
        .find(|(s, _)| *s == seq)
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| seq.strip_suffix("_seq").unwrap_or(seq).to_string())
}

/// Sequences first (file order), then tables so that referenced tables come first (file order
/// among equals). A cycle is an error.
fn order(units: Vec<Unit>) -> Result<Vec<Unit>, String> {
    let (seqs, mut tables): (Vec<Unit>, Vec<Unit>) =
        units.into_iter().partition(|u| u.kind == Kind::Sequence);
    let names: BTreeSet<String> = tables.iter().map(|u| u.name.clone()).collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = seqs;
    while !tables.is_empty() {
        let pos = tables
            .iter()
            .position(|u| {
                u.references
                    .iter()
                    .all(|r| done.contains(r) || !names.contains(r))
            })
            .ok_or_else(|| {
                format!(
                    "foreign-key cycle among {}",
                    tables
                        .iter()
                        .map(|u| u.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let u = tables.remove(pos);
        done.insert(u.name.clone());
        out.push(u);
    }
    Ok(out)
}

/// MySQL servers have no sequences: privacyIDEA (SQLAlchemy) then declares a table's single
/// integer primary key `AUTO_INCREMENT`. Rewrites a MariaDB `CREATE TABLE` accordingly; other
/// statements are returned unchanged.
pub fn auto_increment_fallback(sql: &str) -> String {
    let Some(pk) = single_primary_key(sql) else {
        return sql.to_string();
    };
    if sql.contains(&format!("FOREIGN KEY (`{pk}`)")) {
        return sql.to_string();
    }
    let mut out = Vec::new();
    for line in sql.lines() {
        let t = line.trim_start();
        let is_pk_col =
            t.starts_with(&format!("`{pk}` int(")) || t.starts_with(&format!("`{pk}` bigint("));
        if is_pk_col && t.contains("NOT NULL") && !t.contains("AUTO_INCREMENT") {
            out.push(line.replacen("NOT NULL", "NOT NULL AUTO_INCREMENT", 1));
        } else {
            out.push(line.to_string());
        }
    }
    out.join("\n")
}

fn single_primary_key(sql: &str) -> Option<String> {
    let start = sql.find("PRIMARY KEY (")? + "PRIMARY KEY (".len();
    let rest = &sql[start..];
    let cols = &rest[..rest.find(')')?];
    if cols.contains(',') {
        return None;
    }
    Some(cols.trim().trim_matches('`').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Flavor; 4] = [
        Flavor::Sqlite,
        Flavor::Postgres,
        Flavor::Mysql,
        Flavor::MariadbUri,
    ];

    #[test]
    fn every_flavor_has_67_tables_plus_alembic() {
        for f in ALL {
            let s = Schema::load(f).expect("parse");
            assert_eq!(s.tables().count(), 67, "{f:?}");
            assert_eq!(s.alembic.name, ALEMBIC_TABLE);
            let expected_seqs = if f == Flavor::Sqlite { 0 } else { 45 };
            assert_eq!(s.sequences().count(), expected_seqs, "{f:?}");
        }
    }

    #[test]
    fn same_tables_and_sequences_everywhere() {
        let names = |f| {
            let s = Schema::load(f).expect("parse");
            let mut t: Vec<String> = s.tables().map(String::from).collect();
            t.sort();
            t
        };
        let sqlite = names(Flavor::Sqlite);
        for f in ALL {
            assert_eq!(names(f), sqlite, "{f:?}");
        }
        let seqs = |f| {
            let s = Schema::load(f).expect("parse");
            let mut t: Vec<String> = s.sequences().map(String::from).collect();
            t.sort();
            t
        };
        assert_eq!(seqs(Flavor::Postgres), seqs(Flavor::Mysql));
        assert!(seqs(Flavor::Mysql).contains(&"audit_seq".to_string()));
        assert!(seqs(Flavor::Mysql).contains(&"tokencredentialidhash_seq".to_string()));
    }

    #[test]
    fn referenced_tables_come_first() {
        for f in ALL {
            let s = Schema::load(f).expect("parse");
            let mut seen = BTreeSet::new();
            for u in &s.units {
                for r in &u.references {
                    assert!(seen.contains(r), "{f:?}: {} before {r}", u.name);
                }
                seen.insert(u.name.clone());
            }
            let token = s.units.iter().position(|u| u.name == "token");
            let tokeninfo = s.units.iter().position(|u| u.name == "tokeninfo");
            assert!(token < tokeninfo, "{f:?}");
        }
    }

    #[test]
    fn foreign_keys_counted() {
        for f in ALL {
            let s = Schema::load(f).expect("parse");
            let fks: usize = s
                .units
                .iter()
                .flat_map(|u| &u.stmts)
                .map(|st| st.sql.matches("REFERENCES").count())
                .sum();
            assert_eq!(fks, 42, "{f:?}");
        }
    }

    #[test]
    fn indexes_of_sqlite_and_postgres() {
        let s = Schema::load(Flavor::Sqlite).expect("parse");
        let n: usize = s.units.iter().map(Unit::index_count).sum();
        assert_eq!(n, 65);
        let audit = s
            .units
            .iter()
            .find(|u| u.name == AUDIT_TABLE)
            .expect("audit");
        assert_eq!(audit.index_count(), 2);
        let p = Schema::load(Flavor::Postgres).expect("parse");
        let n: usize = p.units.iter().map(Unit::index_count).sum();
        assert!(n >= 65, "{n}");
    }

    #[test]
    fn datetime_flavors_differ_only_in_fractions() {
        let my = Schema::load(Flavor::Mysql).expect("parse");
        let ma = Schema::load(Flavor::MariadbUri).expect("parse");
        let audit = |s: &Schema| {
            s.units
                .iter()
                .find(|u| u.name == AUDIT_TABLE)
                .expect("audit")
                .stmts[0]
                .sql
                .clone()
        };
        assert!(audit(&my).contains("`date` datetime(6)"));
        assert!(audit(&ma).contains("`date` datetime DEFAULT"));
        let authlog = |s: &Schema| {
            s.units
                .iter()
                .find(|u| u.name == "authentication_log")
                .expect("authlog")
                .stmts[0]
                .sql
                .clone()
        };
        assert!(authlog(&ma).contains("`timestamp` datetime(6) NOT NULL"));
    }

    #[test]
    fn statements_are_clean() {
        for f in ALL {
            for u in Schema::load(f).expect("parse").units {
                for st in &u.stmts {
                    assert!(!st.sql.contains("OWNER TO"), "{}", st.sql);
                    assert!(!st.sql.contains("public."), "{}", st.sql);
                    assert!(!st.sql.starts_with("/*"), "{}", st.sql);
                    assert!(!st.sql.ends_with(';'), "{}", st.sql);
                }
            }
        }
    }

    #[test]
    fn every_sequence_feeds_a_table_with_an_id() {
        for f in [Flavor::Postgres, Flavor::Mysql] {
            let s = Schema::load(f).expect("parse");
            for seq in s.sequences() {
                let t = sequence_table(seq);
                let unit = s
                    .units
                    .iter()
                    .find(|u| u.kind == Kind::Table && u.name == t)
                    .unwrap_or_else(|| panic!("{seq} -> {t}: no such table"));
                let id = if f == Flavor::Mysql { "`id` " } else { "id " };
                assert!(unit.stmts[0].sql.contains(id), "{seq} -> {t} has no id");
            }
        }
    }

    #[test]
    fn classify_forms() {
        assert_eq!(
            classify("CREATE UNIQUE INDEX ix ON ONLY token USING btree (serial)"),
            Some((Kind::Table, "token".into(), What::Index))
        );
        assert_eq!(
            classify("CREATE INDEX ix_pidea_audit_user ON pidea_audit (user)"),
            Some((Kind::Table, "pidea_audit".into(), What::Index))
        );
        assert_eq!(
            classify("ALTER TABLE ONLY admin\n ADD CONSTRAINT admin_pkey PRIMARY KEY (username)"),
            Some((Kind::Table, "admin".into(), What::Alter))
        );
        assert_eq!(
            classify("CREATE TABLE `token` (\n`id` int(11))"),
            Some((Kind::Table, "token".into(), What::Create))
        );
        assert_eq!(classify("DROP TABLE x"), None);
    }

    #[test]
    fn split_handles_comments_and_missing_final_semicolon() {
        let v = split_statements("-- c\nCREATE TABLE a (\n x int\n);\n\nCREATE TABLE b (y int)");
        assert_eq!(
            v,
            vec!["CREATE TABLE a (\n x int\n)", "CREATE TABLE b (y int)"]
        );
    }

    #[test]
    fn mysql_fallback_adds_auto_increment_only_to_single_int_keys() {
        let s = Schema::load(Flavor::Mysql).expect("parse");
        let sql = |n: &str| {
            s.units
                .iter()
                .find(|u| u.name == n && u.kind == Kind::Table)
                .expect(n)
                .stmts[0]
                .sql
                .clone()
        };
        let token = auto_increment_fallback(&sql("token"));
        assert!(
            token.contains("`id` int(11) NOT NULL AUTO_INCREMENT,"),
            "{token}"
        );
        let admin = auto_increment_fallback(&sql("admin"));
        assert_eq!(admin, sql("admin"));
        let authlog = auto_increment_fallback(&sql("authentication_log"));
        assert_eq!(authlog.matches("AUTO_INCREMENT").count(), 1);
    }
}
