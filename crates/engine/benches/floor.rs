//! The floor: the least any loader of a generated tree can do, to measure calltree's load
//! against. It reads the tree's interchange JSON (`calltree export --format json`) with
//! `serde_json` into plain structs, builds a `petgraph` graph with every target and every
//! variable resolved, and runs one DFS from the start for reachability. It checks nothing
//! else, so `calltree load ÷ floor` is the price of the grammar, the model and every check.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;
use serde::Deserialize;

#[derive(Deserialize)]
struct Document {
    tree: Tree,
}

#[derive(Deserialize)]
struct Tree {
    start: Option<String>,
    #[serde(default)]
    fields: Vec<Named>,
    #[serde(default)]
    flags: Vec<Named>,
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    steps: Vec<Step>,
}

/// Every statement as one flat record: only the parts that name something are kept; serde
/// skips the rest.
#[derive(Deserialize)]
struct Step {
    text: Option<String>,
    label: Option<String>,
    to: Option<String>,
    when: Option<String>,
    name: Option<String>,
    value: Option<String>,
}

/// What a floor load found, returned so that nothing can be optimised away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    pub nodes: usize,
    pub edges: usize,
    pub references: usize,
    pub unresolved: usize,
    pub reachable: usize,
}

/// The interchange JSON of a generated tree, as `calltree export --format json` writes it.
pub fn json(text: &str) -> String {
    let (file, _) = calltree_syntax::parse(text);
    let document = calltree_syntax::interchange::Document::from_file(&file).unwrap();
    serde_json::to_string(&document).unwrap()
}

/// Loads `json` as the floor does. `None` when the JSON does not parse.
pub fn load(json: &str) -> Option<Floor> {
    let document: Document = serde_json::from_str(json).ok()?;
    let tree = document.tree;
    let mut graph = DiGraph::<u32, ()>::with_capacity(tree.nodes.len(), tree.nodes.len() * 4);
    let mut by_name = HashMap::with_capacity(tree.nodes.len());
    for (i, node) in tree.nodes.iter().enumerate() {
        by_name.insert(node.id.as_str(), graph.add_node(i as u32));
    }
    let variables: HashMap<&str, usize> = tree
        .fields
        .iter()
        .chain(&tree.flags)
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), i))
        .collect();
    let mut found = Floor {
        nodes: tree.nodes.len(),
        edges: 0,
        references: 0,
        unresolved: 0,
        reachable: 0,
    };
    let resolve = |name: &str, found: &mut Floor| {
        found.references += 1;
        if !variables.contains_key(name) && !by_name.contains_key(name) {
            found.unresolved += 1;
        }
    };
    for (i, node) in tree.nodes.iter().enumerate() {
        let from = NodeIndex::new(i);
        for step in &node.steps {
            if let Some(to) = &step.to {
                match by_name.get(to.as_str()) {
                    Some(&target) => {
                        graph.add_edge(from, target, ());
                        found.edges += 1;
                    }
                    None => found.unresolved += 1,
                }
            }
            if let Some(name) = &step.name {
                resolve(name, &mut found);
            }
            for expression in [&step.when, &step.value].into_iter().flatten() {
                for name in identifiers(expression) {
                    resolve(name, &mut found);
                }
            }
            for text in [&step.text, &step.label].into_iter().flatten() {
                for name in placeholders(text) {
                    resolve(name, &mut found);
                }
            }
        }
    }
    let start = by_name.get(tree.start.as_deref()?)?;
    let mut dfs = Dfs::new(&graph, *start);
    while dfs.next(&graph).is_some() {
        found.reachable += 1;
    }
    Some(found)
}

/// The names in an expression: words that are not numbers or operators.
fn identifiers(expression: &str) -> impl Iterator<Item = &str> {
    expression
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        .filter(|word| !matches!(*word, "and" | "or" | "not" | "yes" | "no"))
}

/// The names inside `{...}` placeholders of a text.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name.trim()))
}
