//! What an import would change: policies to add, to change (field by field) and to delete.

use crate::jsonfmt;
use crate::model::Policy;
use crate::node::Node;

/// One changed field of a policy, in export form.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// Export key.
    pub field: String,
    /// Stored value.
    pub old: Node,
    /// Value after the import.
    pub new: Node,
}

/// The changes of one import.
#[derive(Debug, Default)]
pub struct Plan {
    /// New policies (file order).
    pub add: Vec<Policy>,
    /// Existing policies that change: (stored, new, changed fields).
    pub change: Vec<(Policy, Policy, Vec<FieldChange>)>,
    /// Existing policies to delete.
    pub delete: Vec<Policy>,
    /// Names of policies in the file that are already as given.
    pub unchanged: Vec<String>,
}

/// Equal as privacyIDEA uses them: the action dict's order does not matter (a YAML export has
/// its keys sorted), everything else compares exactly.
fn same(field: &str, a: &Node, b: &Node) -> bool {
    match (field, a, b) {
        ("action", Node::Map(x), Node::Map(y)) => {
            let mut x: Vec<_> = x.iter().collect();
            let mut y: Vec<_> = y.iter().collect();
            x.sort_by(|p, q| p.0.cmp(&q.0));
            y.sort_by(|p, q| p.0.cmp(&q.0));
            x == y
        }
        _ => a == b,
    }
}

/// The fields whose export value differs between `old` and `new`.
pub fn diff(old: &Policy, new: &Policy) -> Vec<FieldChange> {
    if old.same_values(new) {
        return Vec::new();
    }
    let (Node::Map(a), Node::Map(b)) = (old.to_node(), new.to_node()) else {
        return Vec::new();
    };
    a.into_iter()
        .zip(b)
        .filter(|((k, va), (_, vb))| !same(k, va, vb))
        .map(|((k, va), (_, vb))| FieldChange {
            field: k,
            old: va,
            new: vb,
        })
        .collect()
}

impl Plan {
    /// True when the import changes nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.change.is_empty() && self.delete.is_empty()
    }

    /// `N to add, N to change, N to delete, N unchanged`.
    pub fn summary(&self) -> String {
        format!(
            "{} to add, {} to change, {} to delete, {} unchanged",
            self.add.len(),
            self.change.len(),
            self.delete.len(),
            self.unchanged.len()
        )
    }

    /// The plan as text lines: `add NAME`, `change NAME` with `field: old -> new` lines,
    /// `delete NAME`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for p in &self.add {
            out.push_str(&format!(
                "add     {} (scope {}, priority {})\n",
                p.name, p.scope, p.priority
            ));
        }
        for (_, new, fields) in &self.change {
            out.push_str(&format!("change  {}\n", new.name));
            for f in fields {
                out.push_str(&format!(
                    "          {}: {} -> {}\n",
                    f.field,
                    jsonfmt::compact(&f.old),
                    jsonfmt::compact(&f.new)
                ));
            }
        }
        for p in &self.delete {
            out.push_str(&format!("delete  {}\n", p.name));
        }
        out
    }

    /// The plan as a JSON document.
    pub fn to_node(&self) -> Node {
        let names = |v: &[Policy]| Node::List(v.iter().map(|p| Node::str(&p.name)).collect());
        Node::Map(vec![
            ("add".into(), names(&self.add)),
            (
                "change".into(),
                Node::List(
                    self.change
                        .iter()
                        .map(|(_, new, fields)| {
                            Node::Map(vec![
                                ("name".into(), Node::str(&new.name)),
                                (
                                    "fields".into(),
                                    Node::List(
                                        fields
                                            .iter()
                                            .map(|f| {
                                                Node::Map(vec![
                                                    ("field".into(), Node::str(&f.field)),
                                                    ("old".into(), f.old.clone()),
                                                    ("new".into(), f.new.clone()),
                                                ])
                                            })
                                            .collect(),
                                    ),
                                ),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("delete".into(), names(&self.delete)),
            (
                "unchanged".into(),
                Node::List(self.unchanged.iter().map(Node::str).collect()),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_changed_fields_only() {
        let old = Policy {
            name: "p".into(),
            scope: "admin".into(),
            priority: 1,
            realm: Some("corp,partners".into()),
            active: Some(true),
            ..Default::default()
        };
        let mut new = old.clone();
        new.realm = Some("corp, partners".into());
        assert!(diff(&old, &new).is_empty(), "same export, no change");
        new.action = Some("b, a=1".into());
        let mut reordered = new.clone();
        reordered.action = Some("a=1, b".into());
        assert!(
            diff(&new, &reordered).is_empty(),
            "action order does not matter"
        );
        new.action = None;
        new.priority = 3;
        new.action = Some("enable".into());
        let d = diff(&old, &new);
        let fields: Vec<&str> = d.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["priority", "action"]);
        let plan = Plan {
            change: vec![(old.clone(), new.clone(), d)],
            ..Default::default()
        };
        assert_eq!(
            plan.render(),
            "change  p\n          priority: 1 -> 3\n          action: {} -> {\"enable\": true}\n"
        );
    }
}
