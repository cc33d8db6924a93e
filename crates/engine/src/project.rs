//! A project: the trees of a set of files, lowered, checked and fingerprinted.

use std::borrow::Cow;
use std::collections::HashMap;

use calltree_syntax::{Diagnostic, LineCache, SourceFile};
use petgraph::graph::{DiGraph, NodeIndex};
use sha2::{Digest, Sha256};

use crate::damage::Damage;
use crate::lower::{self, ProjectFile};
use crate::model::{Exit, FileId, Node, NodeId, Slot, Tree, TreeId, Variable};
use crate::translation::{self, TranslationFile, TranslationInput};
use crate::{flow, validate};

/// The text of one `.tree` file and the name to report it under (usually its path).
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub name: String,
    pub text: String,
    /// Problems the host found while loading the file (a `use` line whose file could not be
    /// loaded): the engine does no I/O, so it only adds them to the file's diagnostics.
    pub found: Vec<Diagnostic>,
}

impl SourceInput {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceInput {
            name: name.into(),
            text: text.into(),
            found: Vec::new(),
        }
    }
}

/// A parsed file on its way into [`Project::build`].
type Parsed<'a> = (
    SourceInput,
    Cow<'a, SourceFile>,
    Vec<Diagnostic>,
    Option<String>,
);

/// What [`Project::load_cached`] remembers between loads: one [`LineCache`] per file name,
/// holding that file's last parse (its text, its syntax tree, and each block's part of the
/// behaviour text the fingerprint is made from), so the next load parses and formats only
/// the blocks an edit touched and lowers from the kept tree without copying it.
///
/// It holds the files of the last load and nothing else; a file that is no longer loaded is
/// forgotten.
#[derive(Debug, Clone, Default)]
pub struct ParseCache {
    files: HashMap<String, LineCache>,
}

/// The trees of a folder of `.tree` files, lowered into one graph and checked.
///
/// Loading never fails: every problem is a diagnostic on the file it is in, and everything
/// that could be understood is usable.
#[derive(Debug, Clone)]
pub struct Project {
    files: Vec<ProjectFile>,
    pub(crate) trees: Vec<Tree>,
    pub(crate) nodes: Vec<Node>,
    tree_names: HashMap<String, TreeId>,
    slot_names: Vec<String>,
    slots: HashMap<String, Slot>,
    pub(crate) node_names: Vec<HashMap<String, NodeId>>,
    /// One graph for the whole project; node index `i` is `NodeId(i)`.
    pub(crate) graph: DiGraph<(), ()>,
    diagnostics: Vec<Vec<Diagnostic>>,
    hash: String,
    /// The version each tree's sessions pin: the tree and every sub-tree it may call.
    session_hashes: Vec<String>,
    /// Per tree, the `given` fields a call of it cannot start without (see
    /// [`Project::required_given`]): each as its tree and its place in that tree's variables.
    /// Worked out at load, so starting a session does not walk the trees it may call.
    required_given: Vec<Vec<(TreeId, usize)>>,
    /// The fewest steps from each node to its tree's end, worked out on first use.
    remaining: std::sync::OnceLock<Vec<u32>>,
    /// What did not parse or resolve, so its echoes are held back (see `damage`).
    pub(crate) damage: Damage,
    /// The translation files the host added, read and checked.
    translations: Vec<TranslationFile>,
}

impl Project {
    /// Reads and checks translation files of the project's trees (hosts find and read the
    /// files; see [`TranslationInput`]). Their problems are kept with each file:
    /// [`Project::translation_files`].
    pub fn add_translations(&mut self, inputs: Vec<TranslationInput>) {
        for input in inputs {
            let file = translation::read(self, input);
            self.translations.push(file);
        }
    }

    /// A translation file the host found beside a tree but could not read (no permission,
    /// too large): kept with one diagnostic that says why, at its first line, and none about
    /// its texts (they show in the tree's own words in that language until it reads).
    /// `input.bytes` is not looked at.
    pub fn add_unreadable_translation(&mut self, input: TranslationInput, reason: &str) {
        let file = translation::unreadable(self, input, reason);
        self.translations.push(file);
    }

    /// The translation files added, in the order they were, each with its diagnostics.
    pub fn translation_files(&self) -> &[TranslationFile] {
        &self.translations
    }

    /// The locales some translation file is for, sorted, each once.
    pub fn locales(&self) -> Vec<&str> {
        let mut locales: Vec<&str> = self
            .translations
            .iter()
            .map(|t| t.locale.as_str())
            .collect();
        locales.sort_unstable();
        locales.dedup();
        locales
    }

    /// The locales `tree`'s own file has a translation for, sorted: a call on it can be
    /// offered in these (its sub-trees may have fewer).
    pub fn tree_locales(&self, tree: TreeId) -> Vec<&str> {
        let file = self.tree(tree).file;
        let mut locales: Vec<&str> = self
            .translations
            .iter()
            .filter(|t| t.file == Some(file))
            .map(|t| t.locale.as_str())
            .collect();
        locales.sort_unstable();
        locales.dedup();
        locales
    }

    /// The project with its texts in `locale` (or the nearest locale it has: `fr-CA` takes
    /// `fr`): the same trees, logic and fingerprints, so sessions and their events are the
    /// same in every language, and only the words shown differ. A text without a usable
    /// translation keeps its source words, behind [`translation::UNTRANSLATED_MARK`] when
    /// `mark_missing` (for authors and tests; a customer's page shows the plain source text,
    /// and `check` warns about it).
    pub fn in_locale(&self, locale: &str, mark_missing: bool) -> Project {
        self.translated(locale, mark_missing, false)
    }

    /// The project for an agent serving a customer in `locale`: what the agent says and the
    /// customer sees (say lines, titles, options, field labels) in that language, while the
    /// guidance written for the agent alone (`agent` lines and notes) stays in the tree's
    /// own, the agent's language. Missing translations are marked as by
    /// [`Project::in_locale`] with `mark_missing`, so the agent knows to translate on the fly.
    pub fn in_locale_for_agent(&self, locale: &str) -> Project {
        self.translated(locale, true, true)
    }

    fn translated(&self, locale: &str, mark_missing: bool, keep_guidance: bool) -> Project {
        let mut copy = self.clone();
        let available = self.locales();
        let chosen = translation::best_locale(&available, locale);
        let mut tables = HashMap::new();
        for file in &self.translations {
            if Some(file.locale.as_str()) != chosen {
                continue;
            }
            if let Some(tree_file) = file.file {
                tables.insert(tree_file, translation::usable(self, file));
            }
        }
        translation::apply(&mut copy, &tables, mark_missing, keep_guidance);
        copy
    }

    /// Loads and checks a set of files. The order of `inputs` is the order of `FileId`s.
    pub fn load(inputs: Vec<SourceInput>) -> Project {
        Project::load_parsed(
            inputs
                .into_iter()
                .map(|input| {
                    let (syntax, diagnostics) = calltree_syntax::parse(&input.text);
                    (input, syntax, diagnostics)
                })
                .collect(),
        )
    }

    /// Loads and checks files a host has parsed already, each with what
    /// `calltree_syntax::parse` returned for its text, with the same result as
    /// [`Project::load`]. A host that reads a file's `use` lines to find the files it needs
    /// has the whole parse in hand; giving it here spares parsing every file twice, which
    /// was two fifths of `calltree check` on a large file.
    pub fn load_parsed(inputs: Vec<(SourceInput, SourceFile, Vec<Diagnostic>)>) -> Project {
        let parsed = inputs
            .into_iter()
            .map(|(input, syntax, diagnostics)| (input, Cow::Owned(syntax), diagnostics, None))
            .collect();
        Project::build(parsed)
    }

    /// Loads and checks a set of files like [`Project::load`], with the same result, but
    /// re-parses only the blocks of each file that changed since the previous load with
    /// `cache`, and lowers from the syntax trees the cache keeps (they are not copied): for a
    /// host that re-checks on every edit. Files are told apart by name; the cache forgets
    /// files that are no longer among `inputs`.
    pub fn load_cached(inputs: Vec<SourceInput>, cache: &mut ParseCache) -> Project {
        cache
            .files
            .retain(|name, _| inputs.iter().any(|input| input.name == *name));
        // Re-parse every file first; the trees are then borrowed from the cache together.
        let mut seen = std::collections::HashSet::new();
        let mut diagnostics = Vec::with_capacity(inputs.len());
        for input in &inputs {
            // A second file of the same name would replace the first one's tree in the
            // cache: it is parsed on its own.
            diagnostics.push(if seen.insert(input.name.as_str()) {
                let file_cache = cache.files.entry(input.name.clone()).or_default();
                Some(file_cache.reparse(&input.text))
            } else {
                None
            });
        }
        let cache = &*cache;
        let parsed = inputs
            .into_iter()
            .zip(diagnostics)
            .map(|(input, diagnostics)| {
                let file_cache = cache.files.get(&input.name);
                match (diagnostics, file_cache.and_then(|c| Some((c, c.parsed()?)))) {
                    (Some(diagnostics), Some((file_cache, syntax))) => {
                        // The cache formatted only the blocks it parsed again.
                        let mut hasher = Sha256::new();
                        file_cache
                            .behaviour()
                            .for_each(|piece| hasher.update(piece));
                        let hash = hex(&hasher.finalize());
                        (input, Cow::Borrowed(syntax), diagnostics, Some(hash))
                    }
                    _ => {
                        let (syntax, diagnostics) = calltree_syntax::parse(&input.text);
                        (input, Cow::Owned(syntax), diagnostics, None)
                    }
                }
            })
            .collect();
        Project::build(parsed)
    }

    /// Lowers and checks parsed files: each with its tree, its parse's diagnostics and, when
    /// a cache had it, the hash of its behaviour text.
    fn build(parsed: Vec<Parsed<'_>>) -> Project {
        let mut found_on_load = Vec::with_capacity(parsed.len());
        let mut inputs = Vec::with_capacity(parsed.len());
        let mut file_hashes: Vec<String> = Vec::with_capacity(parsed.len());
        for (input, syntax, diagnostics, hash) in parsed {
            // Comments, blank lines and tests do not change a call, so they do not change
            // the fingerprint either. Hashed before lowering, which lets go of node blocks.
            let hash = hash.unwrap_or_else(|| {
                let mut hasher = Sha256::new();
                calltree_syntax::behaviour_pieces(&syntax, |piece| hasher.update(piece));
                hex(&hasher.finalize())
            });
            found_on_load.push(input.found);
            inputs.push((input.name, input.text, syntax, diagnostics));
            file_hashes.push(hash);
        }
        let mut lowered = lower::lower(inputs);
        for (list, found) in lowered.diagnostics.iter_mut().zip(found_on_load) {
            list.extend(found);
        }
        drop(std::mem::take(&mut lowered.syntax));
        let syntax_damage = std::mem::take(&mut lowered.syntax_damage);
        let damage = Damage::survey(&lowered, syntax_damage);
        damage.drop_lowering_echoes(&lowered.files, &mut lowered.diagnostics);
        for tree in &mut lowered.trees {
            tree.hash.clone_from(&file_hashes[tree.file.index()]);
        }
        let graph = build_graph(&lowered.nodes);
        let mut project = Project {
            files: lowered.files,
            trees: lowered.trees,
            nodes: lowered.nodes,
            tree_names: lowered.tree_names,
            slot_names: lowered.slot_names,
            slots: lowered.slots,
            node_names: lowered.node_names,
            graph,
            diagnostics: lowered.diagnostics,
            hash: String::new(),
            session_hashes: Vec::new(),
            required_given: Vec::new(),
            remaining: std::sync::OnceLock::new(),
            damage,
            translations: Vec::new(),
        };
        let mut found = Vec::new();
        validate::check(&project, &mut found);
        flow::check(&project, &mut found);
        if !project.damage.is_none() {
            project.damage.hold_back(&project, &mut found);
        }
        for (file, diagnostic) in found {
            project.diagnostics[file.index()].push(diagnostic);
        }
        for list in &mut project.diagnostics {
            list.sort_by_key(|d| (d.span.start, d.code.id));
            list.dedup();
        }
        project.fingerprint();
        project
    }

    /// A project of one file, for tools that work on a single tree.
    pub fn single(name: impl Into<String>, text: impl Into<String>) -> Project {
        Project::load(vec![SourceInput::new(name, text)])
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &ProjectFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId::from_index(i), f))
    }

    pub fn file(&self, id: FileId) -> &ProjectFile {
        &self.files[id.index()]
    }

    /// The diagnostics of one file, in source order.
    pub fn diagnostics(&self, file: FileId) -> &[Diagnostic] {
        &self.diagnostics[file.index()]
    }

    /// Every diagnostic of the project with the file it belongs to.
    pub fn all_diagnostics(&self) -> impl Iterator<Item = (FileId, &Diagnostic)> {
        self.diagnostics
            .iter()
            .enumerate()
            .flat_map(|(i, list)| list.iter().map(move |d| (FileId::from_index(i), d)))
    }

    pub fn has_errors(&self) -> bool {
        self.all_diagnostics().any(|(_, d)| d.is_error())
    }

    pub fn trees(&self) -> impl Iterator<Item = (TreeId, &Tree)> {
        self.trees
            .iter()
            .enumerate()
            .map(|(i, t)| (TreeId::from_index(i), t))
    }

    pub fn tree(&self, id: TreeId) -> &Tree {
        &self.trees[id.index()]
    }

    pub fn tree_by_name(&self, name: &str) -> Option<TreeId> {
        self.tree_names.get(name).copied()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn node_by_name(&self, tree: TreeId, name: &str) -> Option<NodeId> {
        self.node_names[tree.index()].get(name).copied()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The name of a field or flag slot.
    pub fn slot_name(&self, slot: Slot) -> &str {
        &self.slot_names[slot.index()]
    }

    pub fn slot_by_name(&self, name: &str) -> Option<Slot> {
        self.slots.get(name).copied()
    }

    /// How many distinct field and flag names the project has: the size of a session's store.
    pub fn slot_count(&self) -> usize {
        self.slot_names.len()
    }

    /// How a tree, or failing that the first sub-tree it calls that declares it, declares a
    /// slot. A session inside a sub-tree reads the sub-tree's own declaration.
    pub fn declaration(&self, tree: TreeId, slot: Slot) -> Option<&Variable> {
        self.call_closure(tree)
            .into_iter()
            .find_map(|t| self.trees[t.index()].variable(slot))
    }

    /// The nodes a node leads to directly (options, continue, routing, the node after a call).
    pub fn successors(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.graph
            .neighbors(NodeIndex::new(node.index()))
            .map(|n| NodeId::from_index(n.index()))
    }

    /// The fewest steps from `node` to the end of its tree (the ending counts as one), or
    /// `None` when no ending can be reached: for a host's "about N more steps".
    pub fn steps_to_finish(&self, node: NodeId) -> Option<u32> {
        let remaining = self
            .remaining
            .get_or_init(|| crate::progress::steps_to_finish(self));
        remaining
            .get(node.index())
            .copied()
            .filter(|&steps| steps != crate::progress::NEVER)
    }

    /// Whether a tree is a sub-tree: it returns to a tree that calls it (a greeting, an
    /// identity check), rather than ending a call itself. Agents start calls on the others.
    pub fn is_sub_tree(&self, tree: TreeId) -> bool {
        self.trees[tree.index()]
            .nodes
            .iter()
            .any(|node| matches!(self.nodes[node.index()].exit, Exit::Return))
    }

    /// Fingerprint of every tree's behaviour, for reports and caches.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The trees a tree calls, directly or through other sub-trees, itself included.
    pub fn call_closure(&self, tree: TreeId) -> Vec<TreeId> {
        let mut seen = vec![tree];
        // A flag per tree rather than a search of `seen`: a chain of calls through thousands
        // of files would make that cubic over the project's checks.
        let mut listed = vec![false; self.trees.len()];
        listed[tree.index()] = true;
        let mut index = 0;
        while let Some(&current) = seen.get(index) {
            index += 1;
            for &node in &self.trees[current.index()].nodes {
                if let Exit::Call {
                    tree: Some(callee), ..
                } = self.nodes[node.index()].exit
                    && !listed[callee.index()]
                {
                    listed[callee.index()] = true;
                    seen.push(callee);
                }
            }
        }
        seen
    }

    /// The `given` fields a call of `tree` cannot start without: the required ones of the
    /// tree and of every sub-tree it calls, each with the tree that declares it. A sub-tree's
    /// field the root declares without `given` is left out: the root asks or sets it first.
    pub fn required_given(&self, tree: TreeId) -> impl Iterator<Item = (TreeId, &Variable)> {
        self.required_given[tree.index()]
            .iter()
            .map(|&(owner, index)| (owner, &self.trees[owner.index()].variables[index]))
    }

    /// [`Project::required_given`] worked out from `tree`'s call closure.
    fn find_required_given(&self, tree: TreeId, closure: &[TreeId]) -> Vec<(TreeId, usize)> {
        let root = self.tree(tree);
        let mut required: Vec<(TreeId, usize)> = Vec::new();
        for &owner in closure {
            for (index, variable) in self.tree(owner).variables.iter().enumerate() {
                let root_asks = root
                    .variable_named(&variable.name)
                    .is_some_and(|own| !own.given);
                let listed = required
                    .iter()
                    .any(|&(t, i)| self.trees[t.index()].variables[i].slot == variable.slot);
                if variable.given && variable.required && !root_asks && !listed {
                    required.push((owner, index));
                }
            }
        }
        required
    }

    /// The version a session pins: the tree and every sub-tree it may call.
    pub fn session_hash(&self, tree: TreeId) -> String {
        self.session_hashes[tree.index()].clone()
    }

    fn fingerprint(&mut self) {
        // Computed once: every session start and every resume compares against it, and
        // checks the given values it needs.
        let mut session_hashes = Vec::with_capacity(self.trees.len());
        let mut required_given = Vec::with_capacity(self.trees.len());
        for index in 0..self.trees.len() {
            let tree = TreeId::from_index(index);
            let closure = self.call_closure(tree);
            let mut hashes: Vec<&str> = closure
                .iter()
                .map(|t| self.trees[t.index()].hash.as_str())
                .collect();
            // The root first, then the sub-trees in a stable order.
            hashes[1..].sort_unstable();
            session_hashes.push(hex(&Sha256::digest(hashes.join("\n").as_bytes())));
            required_given.push(self.find_required_given(tree, &closure));
        }
        self.session_hashes = session_hashes;
        self.required_given = required_given;
        let mut all: Vec<&str> = self.trees.iter().map(|t| t.hash.as_str()).collect();
        all.sort_unstable();
        self.hash = hex(&Sha256::digest(all.join("\n").as_bytes()));
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn build_graph(nodes: &[Node]) -> DiGraph<(), ()> {
    let mut graph = DiGraph::with_capacity(nodes.len(), nodes.len() * 2);
    for _ in nodes {
        graph.add_node(());
    }
    for (index, node) in nodes.iter().enumerate() {
        let from = NodeIndex::new(index);
        let mut link = |target: Option<NodeId>| {
            if let Some(target) = target {
                graph.add_edge(from, NodeIndex::new(target.index()), ());
            }
        };
        node.entry.iter().for_each(|skip| link(skip.target));
        match &node.exit {
            Exit::Options(options) => options.iter().for_each(|o| link(o.target)),
            Exit::Continue(target) => link(*target),
            Exit::Route {
                routes, otherwise, ..
            } => {
                routes.iter().for_each(|r| link(r.target));
                link(otherwise.flatten());
            }
            Exit::Call { then, .. } => link(*then),
            Exit::None | Exit::End(_) | Exit::Return => {}
        }
    }
    graph
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn bundled() -> Vec<SourceInput> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../trees");
        let mut files: Vec<SourceInput> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "tree"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                SourceInput::new(name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        files
    }

    /// Everything a host reads off a project that a parse could change.
    fn summary(project: &Project) -> (Vec<(FileId, Diagnostic)>, String, usize, Vec<String>) {
        (
            project
                .all_diagnostics()
                .map(|(file, d)| (file, d.clone()))
                .collect(),
            project.hash().to_owned(),
            project.node_count(),
            (0..project.trees.len())
                .map(|t| project.session_hash(TreeId::from_index(t)))
                .collect(),
        )
    }

    #[test]
    fn a_cached_load_is_a_fresh_load_and_forgets_removed_files() {
        let original = bundled();
        assert!(original.len() > 2);
        let mut cache = ParseCache::default();
        let cold = Project::load_cached(original.clone(), &mut cache);
        assert_eq!(summary(&cold), summary(&Project::load(original.clone())));

        // An edit that breaks a line in the middle of one file, and one file dropped.
        let mut edited = original.clone();
        let text = &mut edited[0].text;
        let middle = text.len() / 2;
        let middle = (middle..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap();
        text.insert_str(middle, "\"(");
        let dropped = edited.pop().unwrap();
        let warm = Project::load_cached(edited.clone(), &mut cache);
        assert_eq!(summary(&warm), summary(&Project::load(edited.clone())));
        assert!(warm.has_errors());
        assert_eq!(cache.files.len(), edited.len());
        assert!(!cache.files.contains_key(&dropped.name));

        let back = Project::load_cached(original.clone(), &mut cache);
        assert_eq!(summary(&back), summary(&cold));
        assert_eq!(cache.files.len(), original.len());
    }

    #[test]
    fn a_chain_of_cached_loads_after_edits_is_a_chain_of_fresh_loads() {
        // Each load takes over the blocks the edit left alone from the one before, so a
        // mistake in what it keeps would build up over the chain.
        let mut inputs = bundled();
        let mut cache = ParseCache::default();
        Project::load_cached(inputs.clone(), &mut cache);
        let edits: [(f64, &str, usize); 8] = [
            (0.5, "x", 0),
            (0.2, "", 3),
            (0.8, "\nnode added\n  say \"Added.\"\n  end resolved\n", 0),
            (0.0, "# a comment on top\n", 0),
            (0.6, "\n\n", 0),
            (0.99, "  -> nowhere\n", 0),
            (0.3, "", 40),
            (1.0, "\nnode last\n  end resolved", 0),
        ];
        for (round, (at, insert, delete)) in edits.into_iter().enumerate() {
            let file = &mut inputs[round % 3].text;
            let mut start = ((file.len() as f64) * at) as usize;
            while !file.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + delete).min(file.len());
            while !file.is_char_boundary(end) {
                end += 1;
            }
            file.replace_range(start..end, insert);
            let warm = Project::load_cached(inputs.clone(), &mut cache);
            assert_eq!(
                summary(&warm),
                summary(&Project::load(inputs.clone())),
                "edit {round}"
            );
        }
    }
}
