//! `policy import` (alias `config import -t policy`): merge by name (pi-manage semantics), or
//! replace all with `--replace-all`; `--plan` shows the changes and makes none; everything is
//! one transaction.

use crate::export::PI_VERSION;
use crate::input::{self, InputFormat};
use crate::model::Policy;
use crate::plan::{diff, Plan};
use crate::spec::PolicySpec;
use crate::store::Store;
use crate::{files, jsonfmt};
use mfactl_plugin_api::args::{DryRunArg, FormatArg, OutputFormat, YesArg};
use mfactl_plugin_api::{DbTarget, Error, Host, Result};
use std::collections::HashMap;

#[derive(clap::Args)]
pub struct Args {
    /// Read from FILE instead of stdin ('-' = stdin)
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    input: Option<String>,
    /// The input format; detected when not given (JSON, YAML or a Python literal)
    #[arg(long = "from", value_enum)]
    from: Option<InputFormat>,
    /// Import only the policy NAME from the file
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    name: Option<String>,
    /// Configuration types (pi-manage's `config import -t`); only `policy` is supported
    #[arg(short = 't', long = "types", value_name = "TYPE")]
    types: Vec<String>,
    /// Show what would be added, changed and deleted, change nothing; exit 3 when there are
    /// changes, 0 when there are none
    #[arg(long = "plan")]
    plan: bool,
    /// Also delete the policies that are not in the file (asks unless --yes)
    #[arg(long = "replace-all", conflicts_with = "name")]
    replace_all: bool,
    /// Skip invalid policies (with a warning each) and import the rest; without it one invalid
    /// policy aborts the whole import
    #[arg(long = "skip-invalid")]
    skip_invalid: bool,
    #[command(flatten)]
    format: FormatArg,
    #[command(flatten)]
    dry_run: DryRunArg,
    #[command(flatten)]
    yes: YesArg,
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The specs of the file, checked; invalid ones are errors or (with `skip`) warnings.
fn read_specs(host: &Host, args: &Args, store: &Store) -> Result<(Vec<PolicySpec>, usize)> {
    let (text, source) = files::read_input(args.input.as_deref())?;
    let (node, format) = input::parse(&text, args.from, &source)?;
    host.debug(&format!("{source}: read as {}", format.name()));
    let doc = input::document(node, &source)?;
    match &doc.version {
        None => host
            .warn("the file does not say which privacyIDEA version exported it; check the result"),
        Some(v) if major_minor(v) != PI_VERSION => host.warn(&format!(
            "the file was exported by privacyIDEA {} (this is {PI_VERSION}); check the result",
            major_minor(v)
        )),
        Some(_) => {}
    }
    if !doc.other_types.is_empty() && !args.types.iter().any(|t| t.eq_ignore_ascii_case("policy")) {
        host.warn(&format!(
            "not imported (mfactl imports policies only): {}",
            doc.other_types.join(", ")
        ));
    }
    let known = store.load_known()?;
    let yaml = format == InputFormat::Yaml;
    let mut specs = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    let total = doc.policies.len();
    for (i, node) in doc.policies.iter().enumerate() {
        let label = match node.get("name") {
            Some(crate::node::Node::Str(n)) => format!("policy '{n}'"),
            _ => format!("policy #{}", i + 1),
        };
        if let (Some(want), Some(crate::node::Node::Str(n))) = (&args.name, node.get("name")) {
            if want != n {
                continue;
            }
        }
        match PolicySpec::from_node(node, &known, yaml) {
            Ok(s) => specs.push(s),
            Err(e) => invalid.push(format!("{label}: {e}")),
        }
    }
    if let Some(want) = &args.name {
        if specs.is_empty() && invalid.is_empty() {
            return Err(Error::failed(format!("{source} holds no policy '{want}'")));
        }
    }
    if !invalid.is_empty() {
        if args.skip_invalid {
            for e in &invalid {
                host.warn(&format!("skipped {e}"));
            }
        } else {
            let mut err = Error::failed(format!(
                "{} of {total} policies in {source} are invalid; nothing was imported",
                invalid.len()
            ));
            for e in &invalid {
                err = err.with_cause(e);
            }
            return Err(
                err.with_hint("fix the file, or give --skip-invalid to import the valid policies")
            );
        }
    }
    Ok((specs, invalid.len()))
}

/// The changes the specs make to `existing` (sequentially, as repeated `set_policy` calls).
fn make_plan(existing: Vec<Policy>, specs: &[PolicySpec], replace_all: bool) -> Result<Plan> {
    let by_name: HashMap<String, Policy> = existing
        .iter()
        .map(|p| (p.name.clone(), p.clone()))
        .collect();
    let mut desired: Vec<Policy> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for s in specs {
        let base = match index.get(&s.name) {
            Some(i) => Some(desired[*i].clone()),
            None => by_name.get(&s.name).cloned(),
        };
        let new = s.apply(base.as_ref()).map_err(Error::failed)?;
        match index.get(&s.name) {
            Some(i) => desired[*i] = new,
            None => {
                index.insert(s.name.clone(), desired.len());
                desired.push(new);
            }
        }
    }
    let mut plan = Plan::default();
    for new in desired {
        match by_name.get(&new.name) {
            Some(old) => {
                let fields = diff(old, &new);
                if fields.is_empty() {
                    plan.unchanged.push(new.name.clone());
                } else {
                    plan.change.push((old.clone(), new, fields));
                }
            }
            None => plan.add.push(new),
        }
    }
    if replace_all {
        plan.delete = existing
            .into_iter()
            .filter(|p| !index.contains_key(&p.name))
            .collect();
    }
    Ok(plan)
}

fn apply_plan(store: &Store, plan: &mut Plan) -> Result<()> {
    let ids: Vec<i64> = plan.delete.iter().map(|p| p.id).collect();
    store.delete_many(&ids)?;
    for (_, new, _) in &plan.change {
        store.update_policy(new)?;
    }
    let cond_changed: Vec<&Policy> = plan
        .change
        .iter()
        .filter(|(_, _, f)| f.iter().any(|f| f.field == "conditions"))
        .map(|(_, n, _)| n)
        .collect();
    store.replace_conditions(&cond_changed)?;
    let desc_changed: Vec<&Policy> = plan
        .change
        .iter()
        .filter(|(old, _, f)| {
            !old.has_description_row || f.iter().any(|f| f.field == "description")
        })
        .map(|(_, n, _)| n)
        .collect();
    store.set_descriptions(&desc_changed)?;
    store.insert_policies(&mut plan.add)?;
    store.bump_timestamp()?;
    Ok(())
}

fn print_plan(host: &Host, args: &Args, plan: &Plan) {
    match args.format.get(host) {
        OutputFormat::Json => host.outln(&jsonfmt::dumps(&plan.to_node(), false)),
        OutputFormat::Text => {
            host.out(&plan.render());
            host.outln(&format!("Plan: {}.", plan.summary()));
        }
    }
}

pub fn run(host: &Host, args: Args) -> Result<i32> {
    crate::check_types(&args.types, "import", true)?;
    let store = Store::open(host)?;
    let planning = args.plan || args.dry_run.get(host);
    if !planning {
        store.lock()?;
    }
    let (specs, skipped) = read_specs(host, &args, &store)?;
    let existing = store.load_all()?;
    let mut plan = make_plan(existing, &specs, args.replace_all)?;
    if planning {
        print_plan(host, &args, &plan);
        return Ok(if args.plan && !plan.is_empty() { 3 } else { 0 });
    }
    if plan.is_empty() {
        host.info(&format!("nothing to change: {}", plan.summary()));
        return Ok(0);
    }
    if !plan.delete.is_empty() {
        let q = format!(
            "--replace-all deletes {} policies that are not in the file ({}). Continue?",
            plan.delete.len(),
            plan.delete
                .iter()
                .take(10)
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
                + if plan.delete.len() > 10 { ", …" } else { "" }
        );
        if !args.yes.confirm(host, &q)? {
            return Err(Error::failed("aborted; nothing was changed"));
        }
    }
    host.transaction(DbTarget::Main, || apply_plan(&store, &mut plan))?;
    host.info(&format!(
        "imported: {}{}",
        plan.summary(),
        if skipped > 0 {
            format!(", {skipped} invalid skipped")
        } else {
            String::new()
        }
    ));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyliteral;
    use crate::spec::Known;

    fn spec(t: &str) -> PolicySpec {
        let k = Known {
            realms: ["corp".to_string()].into_iter().collect(),
            ..Default::default()
        };
        PolicySpec::from_node(&pyliteral::parse(t).expect("literal"), &k, false).expect("spec")
    }

    #[test]
    fn merge_and_replace_all() {
        let existing = vec![
            spec("{'name': 'a', 'scope': 'admin', 'action': 'enable'}")
                .apply(None)
                .expect("a"),
            spec("{'name': 'b', 'scope': 'admin', 'action': 'enable'}")
                .apply(None)
                .expect("b"),
        ];
        let specs = vec![
            spec("{'name': 'a', 'scope': 'admin', 'action': 'enable', 'priority': 2}"),
            spec("{'name': 'c', 'scope': 'user', 'action': 'disable', 'realm': 'corp'}"),
            spec("{'name': 'c', 'scope': 'user', 'action': 'delete'}"),
        ];
        let plan = make_plan(existing.clone(), &specs, false).expect("plan");
        assert_eq!(plan.change.len(), 1);
        assert_eq!(plan.change[0].2[0].field, "priority");
        assert_eq!(plan.add.len(), 1);
        assert_eq!(plan.add[0].action.as_deref(), Some("delete"));
        assert_eq!(plan.add[0].realm.as_deref(), Some("corp"));
        assert!(plan.delete.is_empty());
        let plan = make_plan(existing.clone(), &specs, true).expect("plan");
        assert_eq!(plan.delete.len(), 1);
        assert_eq!(plan.delete[0].name, "b");
        let same = vec![spec("{'name': 'a', 'scope': 'admin', 'action': 'enable'}")];
        let plan = make_plan(existing, &same, false).expect("plan");
        assert!(plan.is_empty());
        assert_eq!(plan.unchanged, vec!["a".to_string()]);
    }
}
