//! Reading and writing the `policy`, `policycondition` and `description` tables, and the
//! `__timestamp__` config row (spec §3.3, §3.6, §3.9).

use crate::model::{Condition, Policy};
use crate::node::python_float_repr;
use crate::spec::Known;
use mfactl_plugin_api::{DbTarget, Dialect, Error, Host, Result, Timestamp, Value};
use std::collections::{HashMap, HashSet};

const DB: DbTarget = DbTarget::Main;
/// Rows per multi-row INSERT.
const BATCH: usize = 200;
/// The advisory lock every writing command takes.
pub const LOCK_NAME: &str = "mfactl-policy";
const LOCK_TIMEOUT_MS: u64 = 30_000;

/// The database and its dialect.
#[derive(Clone, Copy)]
pub struct Store<'h> {
    /// The host.
    pub host: &'h Host,
    /// The dialect of the main database.
    pub dialect: Dialect,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(
            other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_text()),
        ),
    }
}

impl<'h> Store<'h> {
    /// Connects to the main database.
    pub fn open(host: &'h Host) -> Result<Self> {
        let dialect = host.dialect(DB)?;
        Ok(Store { host, dialect })
    }

    fn q(&self, ident: &str) -> String {
        self.dialect.quote(ident)
    }

    fn ph(&self, n: usize) -> String {
        self.dialect.placeholder(n)
    }

    /// Every policy with its conditions and description, in the order privacyIDEA 3.14 loads
    /// them: its own query (policies LEFT JOIN conditions ORDER BY condition id) run on this
    /// database, each policy at its first row. Sorting by priority (stable) then gives
    /// pi-manage's list and export order on every engine (spec §0 point 2).
    pub fn load_all(&self) -> Result<Vec<Policy>> {
        let (user, key, value) = (self.q("user"), self.q("Key"), self.q("Value"));
        // The text is SQLAlchemy's compiled `select(Policy)` with the joined eager load.
        let sql = format!(
            "SELECT policy.id, policy.active, policy.check_all_resolvers, policy.name, \
             policy.user_case_insensitive, policy.scope, policy.action, policy.realm, \
             policy.adminrealm, policy.adminuser, policy.resolver, policy.pinode, policy.{user}, \
             policy.client, policy.time, policy.user_agents, policy.priority, \
             policycondition_1.id AS id_1, policycondition_1.policy_id, policycondition_1.section, \
             policycondition_1.{key}, policycondition_1.comparator, policycondition_1.{value}, \
             policycondition_1.active AS active_1, policycondition_1.handle_missing_data \
             \nFROM policy LEFT OUTER JOIN policycondition AS policycondition_1 ON policy.id = \
             policycondition_1.policy_id ORDER BY policycondition_1.id"
        );
        let rows = self.host.query(DB, &sql, vec![])?;
        let mut order: Vec<Policy> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        for r in rows.rows.iter() {
            let id = r[0]
                .as_i64()
                .ok_or_else(|| Error::internal("policy.id is not an integer"))?;
            let slot = match index.get(&id) {
                Some(i) => *i,
                None => {
                    order.push(Policy {
                        id,
                        active: r[1].as_bool(),
                        check_all_resolvers: r[2].as_bool(),
                        name: text(&r[3]).unwrap_or_default(),
                        user_case_insensitive: r[4].as_bool(),
                        scope: text(&r[5]).unwrap_or_default(),
                        action: text(&r[6]),
                        realm: text(&r[7]),
                        adminrealm: text(&r[8]),
                        adminuser: text(&r[9]),
                        resolver: text(&r[10]),
                        pinode: text(&r[11]),
                        user: text(&r[12]),
                        client: text(&r[13]),
                        time: text(&r[14]),
                        user_agents: text(&r[15]),
                        priority: r[16].as_i64().unwrap_or(1),
                        ..Default::default()
                    });
                    index.insert(id, order.len() - 1);
                    order.len() - 1
                }
            };
            if !r[17].is_null() {
                order[slot].conditions.push(Condition {
                    section: text(&r[19]).unwrap_or_default(),
                    key: text(&r[20]).unwrap_or_default(),
                    comparator: text(&r[21]).unwrap_or_default(),
                    value: text(&r[22]).unwrap_or_default(),
                    active: r[23].as_bool().unwrap_or(false),
                    handle_missing_data: text(&r[24]),
                });
            }
        }
        if !order.is_empty() {
            let rows = self.host.query(
                DB,
                "SELECT id, object_id, description FROM description ORDER BY id",
                vec![],
            )?;
            let mut seen: HashSet<i64> = HashSet::new();
            for r in rows.rows.iter() {
                let Some(oid) = r[1].as_i64() else { continue };
                if !seen.insert(oid) {
                    continue;
                }
                if let Some(i) = index.get(&oid) {
                    order[*i].description = text(&r[2]);
                    order[*i].has_description_row = true;
                }
            }
        }
        Ok(order)
    }

    /// Realm, resolver and node names a policy may reference.
    pub fn load_known(&self) -> Result<Known> {
        let names = |sql: &str| -> Result<HashSet<String>> {
            Ok(self
                .host
                .query(DB, sql, vec![])?
                .rows
                .iter()
                .filter_map(|r| r.first().and_then(text))
                .collect())
        };
        Ok(Known {
            realms: names("SELECT name FROM realm")?,
            resolvers: names("SELECT name FROM resolver")?,
            nodes: names("SELECT name FROM nodename")?,
        })
    }

    /// The id of the policy called `name`.
    pub fn id_of(&self, name: &str) -> Result<Option<i64>> {
        let rows = self.host.query(
            DB,
            &format!("SELECT id FROM policy WHERE name = {}", self.ph(1)),
            vec![Value::text(name)],
        )?;
        Ok(rows.scalar().and_then(Value::as_i64))
    }

    /// Takes the advisory lock of policy writers.
    pub fn lock(&self) -> Result<()> {
        self.host.lock(DB, LOCK_NAME, LOCK_TIMEOUT_MS)
    }

    /// Sets `active` of one policy.
    pub fn set_active(&self, id: i64, active: bool) -> Result<()> {
        self.host.execute(
            DB,
            &format!(
                "UPDATE policy SET active = {} WHERE id = {}",
                self.ph(1),
                self.ph(2)
            ),
            vec![Value::Bool(active), Value::Int(id)],
        )?;
        Ok(())
    }

    /// Deletes a policy with its conditions and description rows.
    pub fn delete(&self, id: i64) -> Result<()> {
        self.delete_many(&[id])
    }

    /// Deletes policies with their conditions and description rows.
    pub fn delete_many(&self, ids: &[i64]) -> Result<()> {
        for chunk in ids.chunks(BATCH) {
            let list = self.dialect.placeholders(1, chunk.len());
            let params: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
            for sql in [
                format!("DELETE FROM policycondition WHERE policy_id IN ({list})"),
                format!("DELETE FROM description WHERE object_id IN ({list})"),
                format!("DELETE FROM policy WHERE id IN ({list})"),
            ] {
                self.host.execute(DB, &sql, params.clone())?;
            }
        }
        Ok(())
    }

    const POLICY_COLS: [&'static str; 16] = [
        "active",
        "check_all_resolvers",
        "name",
        "user_case_insensitive",
        "scope",
        "action",
        "realm",
        "adminrealm",
        "adminuser",
        "resolver",
        "pinode",
        "user",
        "client",
        "time",
        "user_agents",
        "priority",
    ];

    fn policy_values(p: &Policy) -> Vec<Value> {
        let b = |v: Option<bool>| v.map(Value::Bool).unwrap_or(Value::Null);
        let t = |v: &Option<String>| Value::opt_text(v.clone());
        vec![
            b(p.active),
            b(p.check_all_resolvers),
            Value::text(&p.name),
            b(p.user_case_insensitive),
            Value::text(&p.scope),
            t(&p.action),
            t(&p.realm),
            t(&p.adminrealm),
            t(&p.adminuser),
            t(&p.resolver),
            t(&p.pinode),
            t(&p.user),
            t(&p.client),
            t(&p.time),
            t(&p.user_agents),
            Value::Int(p.priority),
        ]
    }

    /// Rewrites the columns of an existing policy (by `p.id`).
    pub fn update_policy(&self, p: &Policy) -> Result<()> {
        let sets: Vec<String> = Self::POLICY_COLS
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = {}", self.q(c), self.ph(i + 1)))
            .collect();
        let mut params = Self::policy_values(p);
        params.push(Value::Int(p.id));
        self.host.execute(
            DB,
            &format!(
                "UPDATE policy SET {} WHERE id = {}",
                sets.join(", "),
                self.ph(Self::POLICY_COLS.len() + 1)
            ),
            params,
        )?;
        Ok(())
    }

    /// Replaces the conditions of existing policies.
    pub fn replace_conditions(&self, policies: &[&Policy]) -> Result<()> {
        let ids: Vec<i64> = policies.iter().map(|p| p.id).collect();
        for chunk in ids.chunks(BATCH) {
            let list = self.dialect.placeholders(1, chunk.len());
            self.host.execute(
                DB,
                &format!("DELETE FROM policycondition WHERE policy_id IN ({list})"),
                chunk.iter().map(|i| Value::Int(*i)).collect(),
            )?;
        }
        let rows: Vec<(i64, &Condition)> = policies
            .iter()
            .flat_map(|p| p.conditions.iter().map(move |c| (p.id, c)))
            .collect();
        self.insert_conditions(&rows)
    }

    /// Sets the description of existing policies (updating their first row, or adding one).
    pub fn set_descriptions(&self, policies: &[&Policy]) -> Result<()> {
        let mut first_row: HashMap<i64, i64> = HashMap::new();
        for chunk in policies.chunks(BATCH) {
            let rows = self.host.query(
                DB,
                &format!(
                    "SELECT object_id, MIN(id) FROM description WHERE object_type = 'policy' AND object_id IN ({}) GROUP BY object_id",
                    self.dialect.placeholders(1, chunk.len())
                ),
                chunk.iter().map(|p| Value::Int(p.id)).collect(),
            )?;
            for r in rows.rows.iter() {
                if let (Some(oid), Some(id)) = (r[0].as_i64(), r[1].as_i64()) {
                    first_row.insert(oid, id);
                }
            }
        }
        let mut missing: Vec<(i64, Option<String>)> = Vec::new();
        for p in policies {
            match first_row.get(&p.id) {
                Some(row) => {
                    self.host.execute(
                        DB,
                        &format!(
                            "UPDATE description SET description = {} WHERE id = {}",
                            self.ph(1),
                            self.ph(2)
                        ),
                        vec![Value::opt_text(p.description.clone()), Value::Int(*row)],
                    )?;
                }
                None => missing.push((p.id, p.description.clone())),
            }
        }
        self.insert_descriptions(&missing)
    }

    /// The id `next_id` gives for `table`, or `None` when the database assigns ids.
    fn next_ids(&self, table: &str, n: usize) -> Result<Option<Vec<i64>>> {
        if n == 0 {
            return Ok(Some(Vec::new()));
        }
        let Some(first) = self.host.next_id(DB, table)? else {
            return Ok(None);
        };
        let mut ids = Vec::with_capacity(n);
        ids.push(first);
        if n > 1 {
            // the sequence exists (next_id used it): take the rest in one round trip
            // MariaDB stops recursive CTEs at max_recursive_iterations (1000 by default)
            let mut missing = n - 1;
            while missing > 0 {
                let k = missing.min(1000);
                let sql = match self.dialect {
                    Dialect::Postgres => {
                        format!("SELECT nextval('{table}_seq') FROM generate_series(1, {k})")
                    }
                    Dialect::Mysql => format!(
                        "WITH RECURSIVE r (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {k}) \
                         SELECT NEXTVAL(`{table}_seq`) FROM r"
                    ),
                    Dialect::Sqlite => return Err(Error::internal("SQLite has no sequences")),
                };
                let rows = self.host.query(DB, &sql, vec![])?;
                let before = ids.len();
                ids.extend(
                    rows.rows
                        .iter()
                        .filter_map(|r| r.first().and_then(Value::as_i64)),
                );
                if ids.len() - before != k {
                    break;
                }
                missing -= k;
            }
            let distinct: HashSet<i64> = ids.iter().copied().collect();
            if ids.len() != n || distinct.len() != n {
                return Err(Error::internal(format!(
                    "the sequence {table}_seq gave {} distinct ids instead of {n}",
                    distinct.len()
                )));
            }
        }
        Ok(Some(ids))
    }

    fn insert_rows(
        &self,
        table: &str,
        cols: &[&str],
        ids: Option<&[i64]>,
        rows: Vec<Vec<Value>>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut all_cols: Vec<String> = Vec::new();
        if ids.is_some() {
            all_cols.push("id".to_string());
        }
        all_cols.extend(cols.iter().map(|c| self.q(c)));
        let width = all_cols.len();
        let mut start = 0;
        let mut rows = rows.into_iter();
        loop {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(BATCH).collect();
            if chunk.is_empty() {
                break;
            }
            let mut params = Vec::with_capacity(chunk.len() * width);
            let mut tuples = Vec::with_capacity(chunk.len());
            for (i, row) in chunk.into_iter().enumerate() {
                if let Some(ids) = ids {
                    params.push(Value::Int(ids[start + i]));
                }
                params.extend(row);
                let first = tuples.len() * width + 1;
                tuples.push(format!("({})", self.dialect.placeholders(first, width)));
            }
            start += tuples.len();
            self.host.execute(
                DB,
                &format!(
                    "INSERT INTO {table} ({}) VALUES {}",
                    all_cols.join(", "),
                    tuples.join(", ")
                ),
                params,
            )?;
        }
        Ok(())
    }

    fn insert_conditions(&self, rows: &[(i64, &Condition)]) -> Result<()> {
        let ids = self.next_ids("policycondition", rows.len())?;
        let values = rows
            .iter()
            .map(|(pid, c)| {
                vec![
                    Value::Int(*pid),
                    Value::text(&c.section),
                    Value::text(&c.key),
                    Value::text(&c.comparator),
                    Value::text(&c.value),
                    Value::Bool(c.active),
                    Value::opt_text(c.handle_missing_data.clone()),
                ]
            })
            .collect();
        self.insert_rows(
            "policycondition",
            &[
                "policy_id",
                "section",
                "Key",
                "comparator",
                "Value",
                "active",
                "handle_missing_data",
            ],
            ids.as_deref(),
            values,
        )
    }

    fn insert_descriptions(&self, rows: &[(i64, Option<String>)]) -> Result<()> {
        let ids = self.next_ids("description", rows.len())?;
        let now = Timestamp::now_local();
        let values = rows
            .iter()
            .map(|(pid, d)| {
                vec![
                    Value::Int(*pid),
                    Value::text("policy"),
                    Value::Timestamp(now),
                    Value::opt_text(d.clone()),
                ]
            })
            .collect();
        self.insert_rows(
            "description",
            &["object_id", "object_type", "last_update", "description"],
            ids.as_deref(),
            values,
        )
    }

    /// Inserts new policies with their conditions and descriptions; sets their ids.
    pub fn insert_policies(&self, policies: &mut [Policy]) -> Result<()> {
        if policies.is_empty() {
            return Ok(());
        }
        let ids = self.next_ids("policy", policies.len())?;
        let values = policies.iter().map(Self::policy_values).collect();
        self.insert_rows("policy", &Self::POLICY_COLS, ids.as_deref(), values)?;
        match ids {
            Some(ids) => {
                for (p, id) in policies.iter_mut().zip(ids) {
                    p.id = id;
                }
            }
            None => {
                let mut by_name: HashMap<String, i64> = HashMap::new();
                for chunk in policies.chunks(BATCH) {
                    let rows = self.host.query(
                        DB,
                        &format!(
                            "SELECT id, name FROM policy WHERE name IN ({})",
                            self.dialect.placeholders(1, chunk.len())
                        ),
                        chunk.iter().map(|p| Value::text(&p.name)).collect(),
                    )?;
                    for r in rows.rows.iter() {
                        if let (Some(id), Some(name)) = (r[0].as_i64(), text(&r[1])) {
                            by_name.insert(name, id);
                        }
                    }
                }
                for p in policies.iter_mut() {
                    p.id = *by_name.get(&p.name).ok_or_else(|| {
                        Error::internal(format!(
                            "policy '{}' was not found after inserting it",
                            p.name
                        ))
                    })?;
                }
            }
        }
        let conds: Vec<(i64, &Condition)> = policies
            .iter()
            .flat_map(|p| p.conditions.iter().map(move |c| (p.id, c)))
            .collect();
        self.insert_conditions(&conds)?;
        let descs: Vec<(i64, Option<String>)> = policies
            .iter()
            .map(|p| (p.id, p.description.clone()))
            .collect();
        self.insert_descriptions(&descs)
    }

    /// Writes the `__timestamp__` config row as privacyIDEA's `save_config_timestamp` does
    /// (`str(datetime.now().timestamp())`), so running servers reload their configuration.
    pub fn bump_timestamp(&self) -> Result<String> {
        let value = timestamp_value(chrono::Utc::now());
        let (k, v, t, d) = (
            self.q("Key"),
            self.q("Value"),
            self.q("Type"),
            self.q("Description"),
        );
        let n = self
            .host
            .query(
                DB,
                &format!("SELECT COUNT(*) FROM config WHERE {k} = {}", self.ph(1)),
                vec![Value::text("__timestamp__")],
            )?
            .scalar()
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if n > 0 {
            self.host.execute(
                DB,
                &format!(
                    "UPDATE config SET {v} = {} WHERE {k} = {}",
                    self.ph(1),
                    self.ph(2)
                ),
                vec![Value::text(&value), Value::text("__timestamp__")],
            )?;
        } else {
            self.host.execute(
                DB,
                &format!(
                    "INSERT INTO config ({k}, {v}, {t}, {d}) VALUES ({})",
                    self.dialect.placeholders(1, 4)
                ),
                vec![
                    Value::text("__timestamp__"),
                    Value::text(&value),
                    Value::text(""),
                    Value::text("config timestamp. last changed."),
                ],
            )?;
        }
        Ok(value)
    }
}

/// `str(datetime.now().timestamp())` for the instant `now`: whole seconds plus
/// microseconds / 1e6 as a float, in Python's shortest float notation.
pub fn timestamp_value(now: chrono::DateTime<chrono::Utc>) -> String {
    let secs = now.timestamp() as f64;
    let micros = f64::from(now.timestamp_subsec_micros());
    python_float_repr(secs + micros / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_like_python() {
        let t = chrono::DateTime::from_timestamp(1_795_325_502, 675_269_000).expect("valid");
        assert_eq!(timestamp_value(t), "1795325502.675269");
        let t = chrono::DateTime::from_timestamp(1_795_325_502, 0).expect("valid");
        assert_eq!(timestamp_value(t), "1795325502.0");
        let t = chrono::DateTime::from_timestamp(1_795_325_502, 675_270_000).expect("valid");
        assert_eq!(timestamp_value(t), "1795325502.67527");
    }
}
