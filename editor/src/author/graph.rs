//! The graph view: the current tree drawn as boxes and labelled arrows, coloured by kind and
//! outcome, with problems marked. Drag to pan, scroll to zoom, click a node to jump to its
//! text. Each visible node is also a focusable, labelled widget, so the keyboard and screen
//! readers reach it too.
//!
//! A big tree stays quick: the layout is made once per version of what the tree shows and of
//! what is shown of it (its placement kept while only texts change), for the whole tree on
//! the checker thread with each check, so no frame waits for it; each frame draws only what
//! is on screen, and zoomed out the arrows are straight lines and the boxes too small to
//! click are not widgets. The author can fold a node's branch away and focus on the neighbourhood of one node; which
//! nodes that hides is the engine's rule (`Project::folded_under`, `Project::neighbourhood`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;

use calltree_engine::{Look, NodeId, Project, TreeId};
use calltree_syntax::Severity;
use egui::{Align2, Color32, FontId, Key, Pos2, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::layout;

const NODE_SIZE: Vec2 = vec2(190.0, 58.0);
const GAP: Vec2 = vec2(50.0, 80.0);
/// Below this zoom node text is too small to read, so "Fit" does not go further.
const READABLE_ZOOM: f32 = 0.45;
/// Below this zoom there is no text, and arrows are drawn straight: a curve costs many
/// segments, and thousands of them at once cost a frame.
const DETAIL_ZOOM: f32 = 0.3;
/// A box narrower than this (in points) is not a widget: too small to aim at, and thousands
/// of widgets cost a frame.
const CLICKABLE_WIDTH: f32 = 24.0;
/// How many steps around the selected node the focus mode shows at first.
pub const FOCUS_DEPTH: u32 = 2;

/// A node as drawn.
pub struct DrawnNode {
    pub id: NodeId,
    pub name: String,
    title: String,
    detail: String,
    look: Look,
    /// Where the node's centre is, before panning and zooming.
    centre: Pos2,
    pub problem: Option<Severity>,
    /// How many nodes are folded away under it (0: not folded).
    pub folded: usize,
}

struct DrawnEdge {
    from: usize,
    to: usize,
    label: String,
}

/// What of a tree the author chose to see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Shown {
    /// Nodes whose branches are folded away, by name (names outlive a re-check).
    folded: BTreeSet<String>,
    /// Only the nodes within this many steps of this node.
    focus: Option<(String, u32)>,
}

/// One tree laid out, kept until the project, the tree or what is shown of it changes.
pub struct Drawing {
    key: (u64, TreeId, Shown),
    pub nodes: Vec<DrawnNode>,
    edges: Vec<DrawnEdge>,
    bounds: Rect,
    /// Where the start node is, for views of trees too big to show whole.
    start: Pos2,
}

/// What the author asked for in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphAction {
    /// Show this node's text.
    Jump(NodeId),
    /// Rename this node.
    Rename(NodeId),
}

/// The view's state: the drawing, and where the author has panned and zoomed to.
pub struct GraphView {
    pub zoom: f32,
    pub pan: Vec2,
    /// Shared with the check it came from when the checker thread made it.
    pub drawing: Option<Arc<Drawing>>,
    fit: bool,
    /// Fills by node name instead of by kind (the Insights view's traffic heat map).
    pub heat: Option<HashMap<String, Color32>>,
    /// What the author typed in "Go to node".
    pub find: String,
    /// The node "Go to node" found last, ringed until the search changes.
    pub found: Option<NodeId>,
    /// Set by Ctrl+G: the search box takes the keyboard next frame.
    pub focus_find: bool,
    /// The node the author last clicked, found or focused, by name: what "Focus" centres on.
    pub selected: Option<String>,
    /// Nodes whose branches are folded away, by name.
    pub folded: BTreeSet<String>,
    /// Focus mode: only the nodes within this many steps of the selected one are drawn.
    pub focus: Option<u32>,
    /// A node "Go to node" found hidden: shown again, and centred once it is laid out.
    centre_on: Option<String>,
    /// The last placement and the shape it was made for: an edit that changes only texts
    /// (most keystrokes) keeps every box where it was.
    placement: Option<(u64, layout::Placement)>,
    /// How many drawings this view laid out itself, on the UI thread; the others came ready
    /// from the checker thread.
    pub laid_out_here: usize,
    /// The whole tree drawn elsewhere (by the checker thread), offered for the next frame:
    /// taken when it is of the version and the tree that frame draws.
    pub ready: Option<Arc<Drawing>>,
}

impl Default for GraphView {
    fn default() -> Self {
        GraphView {
            zoom: 1.0,
            pan: Vec2::ZERO,
            drawing: None,
            fit: true,
            heat: None,
            find: String::new(),
            found: None,
            focus_find: false,
            selected: None,
            folded: BTreeSet::new(),
            focus: None,
            centre_on: None,
            placement: None,
            laid_out_here: 0,
            ready: None,
        }
    }
}

/// The nodes of a tree to draw, and for each folded one how many it puts away.
fn shown_nodes(
    project: &Project,
    tree: TreeId,
    shown: &Shown,
) -> (Vec<NodeId>, HashMap<NodeId, usize>) {
    let all = &project.tree(tree).nodes;
    let mut nodes = match &shown.focus {
        Some((name, depth)) => match project.node_by_name(tree, name) {
            Some(centre) => project.neighbourhood(tree, centre, *depth),
            None => all.clone(),
        },
        None => all.clone(),
    };
    let mut hidden: HashSet<NodeId> = HashSet::new();
    let mut counts = HashMap::new();
    for name in &shown.folded {
        let Some(node) = project.node_by_name(tree, name) else {
            continue;
        };
        let under = project.folded_under(tree, node);
        let visible: HashSet<NodeId> = nodes.iter().copied().collect();
        counts.insert(node, under.iter().filter(|n| visible.contains(n)).count());
        hidden.extend(under);
    }
    nodes.retain(|n| !hidden.contains(n));
    (nodes, counts)
}

/// A number that changes when the boxes or arrows of a drawing do, and not when only texts do.
fn shape_key(project: &Project, tree: TreeId, nodes: &[NodeId], pairs: &[(usize, usize)]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    tree.index().hash(&mut hasher);
    for &node in nodes {
        project.node(node).name.hash(&mut hasher);
    }
    pairs.hash(&mut hasher);
    project
        .tree(tree)
        .start
        .map(|s| s.index())
        .hash(&mut hasher);
    hasher.finish()
}

/// A number that changes when anything a drawing of `tree` shows does: its nodes (ids, names,
/// captions, looks), its arrows and their labels, its start and the problems marked on it.
/// Worked out on the checker thread with each check, so that a check result that changes
/// nothing drawn (most keystrokes: a line of text the graph does not show) keeps the drawing
/// and costs the frame it arrives in no layout (8 to 10 ms on a 5,000-node tree).
pub fn fingerprint(project: &Project, tree: TreeId, problems: &[(NodeId, Severity)]) -> u64 {
    let mut worst: HashMap<NodeId, Severity> = HashMap::new();
    for &(node, severity) in problems {
        let entry = worst.entry(node).or_insert(severity);
        if matches!(severity, Severity::Error) {
            *entry = severity;
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let data = project.tree(tree);
    tree.index().hash(&mut hasher);
    data.start.map(|s| s.index()).hash(&mut hasher);
    for &node in &data.nodes {
        node.index().hash(&mut hasher);
        project.node(node).name.hash(&mut hasher);
        project.caption(node).hash(&mut hasher);
        project.look(tree, node).hash(&mut hasher);
        worst.get(&node).hash(&mut hasher);
        for (target, label) in project.labelled_edges(node) {
            target.index().hash(&mut hasher);
            label.hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Lays the whole of a tree out, as the graph shows it before anything is folded or focused:
/// what the checker thread does with each check, so that laying a big tree out (20 to 45 ms
/// for 5,000 nodes) never holds up a frame. `version` is the tree's `fingerprint`.
pub fn draw_whole(
    project: &Project,
    tree: TreeId,
    version: u64,
    problems: &[(NodeId, Severity)],
    placement: &mut Option<(u64, layout::Placement)>,
) -> Drawing {
    draw_tree(
        project,
        tree,
        version,
        problems,
        &Shown::default(),
        placement,
    )
}

/// Lays a tree out, or the part of it `shown` asks for. `revision` identifies the project;
/// `problems` are (node, severity) pairs to mark. `placement` is the previous layout, reused
/// when the shape is the same.
fn draw_tree(
    project: &Project,
    tree: TreeId,
    revision: u64,
    problems: &[(NodeId, Severity)],
    shown: &Shown,
    placement: &mut Option<(u64, layout::Placement)>,
) -> Drawing {
    let (nodes, folded) = shown_nodes(project, tree, shown);
    let index: HashMap<NodeId, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut edges = Vec::new();
    for (from, node) in nodes.iter().enumerate() {
        for (target, label) in project.labelled_edges(*node) {
            if let Some(&to) = index.get(&target) {
                edges.push(DrawnEdge {
                    from,
                    to,
                    // One line per label: the condition goes after the option text.
                    label: label.replace('\n', "  "),
                });
            }
        }
    }
    let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e.from, e.to)).collect();
    let centre = shown
        .focus
        .as_ref()
        .and_then(|(name, _)| project.node_by_name(tree, name));
    // From the start when it is drawn; in a focused part without it, from the nodes nothing
    // drawn leads to (where the part is entered), so it reads top to bottom as the tree does.
    let mut roots: Vec<usize> = project
        .tree(tree)
        .start
        .and_then(|s| index.get(&s).copied())
        .into_iter()
        .collect();
    if roots.is_empty() {
        let mut entered = vec![false; nodes.len()];
        for &(from, to) in &pairs {
            if from != to {
                entered[to] = true;
            }
        }
        roots = (0..nodes.len()).filter(|&i| !entered[i]).collect();
    }
    if roots.is_empty() {
        roots.extend(centre.and_then(|c| index.get(&c).copied()));
    }
    let key = shape_key(project, tree, &nodes, &pairs);
    let placed = match placement.take() {
        Some((old, placed)) if old == key => placed,
        _ => layout::place(nodes.len(), &pairs, &roots),
    };
    let mut worst: HashMap<NodeId, Severity> = HashMap::new();
    for &(node, severity) in problems {
        let entry = worst.entry(node).or_insert(severity);
        if matches!(severity, Severity::Error) {
            *entry = severity;
        }
    }
    let step = NODE_SIZE + GAP;
    let mut bounds = Rect::NOTHING;
    let drawn: Vec<DrawnNode> = nodes
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let centre = pos2(placed.across[i] * step.x, placed.layer[i] as f32 * step.y);
            bounds = bounds.union(Rect::from_center_size(centre, NODE_SIZE));
            let caption = project.caption(id);
            let mut lines = caption.lines();
            let title = lines.next().unwrap_or_default().to_owned();
            let name = project.node(id).name.clone();
            let detail = lines.next().map_or_else(|| name.clone(), str::to_owned);
            DrawnNode {
                id,
                name,
                title,
                detail,
                look: project.look(tree, id),
                centre,
                problem: worst.get(&id).copied(),
                folded: folded.get(&id).copied().unwrap_or(0),
            }
        })
        .collect();
    *placement = Some((key, placed));
    let start = roots
        .first()
        .and_then(|&root| drawn.get(root))
        .map_or(bounds.center_top(), |node| node.centre);
    Drawing {
        key: (revision, tree, shown.clone()),
        nodes: drawn,
        edges,
        bounds,
        start,
    }
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(chars.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

fn fill(look: Look) -> Color32 {
    let [r, g, b] = look.fill();
    Color32::from_rgb(r, g, b)
}

impl Drawing {
    /// Whether this is the whole of `tree` drawn at `version`.
    pub(super) fn is_of(&self, version: u64, tree: TreeId) -> bool {
        self.key == (version, tree, Shown::default())
    }
}

impl GraphView {
    /// Drops the drawing when the tree shown changes, so the next one is fitted to the view.
    pub fn show_tree(&mut self, tree: TreeId) {
        if self.drawing.as_ref().is_some_and(|d| d.key.1 != tree) {
            self.drawing = None;
            self.fit = true;
        }
    }

    /// What of the tree is to be drawn now.
    fn shown(&self) -> Shown {
        Shown {
            folded: self.folded.clone(),
            focus: self
                .focus
                .and_then(|depth| self.selected.clone().map(|name| (name, depth))),
        }
    }

    /// Folds a node's branch away, or unfolds it.
    pub fn toggle_fold(&mut self, name: &str) {
        if !self.folded.remove(name) {
            self.folded.insert(name.to_owned());
        }
    }

    /// Shows only the neighbourhood of `name` (or everything again, when it is already
    /// focused on).
    pub fn toggle_focus(&mut self, name: &str) {
        if self.focus.is_some() && self.selected.as_deref() == Some(name) {
            self.focus = None;
        } else {
            self.selected = Some(name.to_owned());
            self.focus = Some(self.focus.unwrap_or(FOCUS_DEPTH));
        }
        self.fit = true;
    }

    /// Finds the node whose name or title holds what was typed in "Go to node" (a name that
    /// matches exactly first, then the first in the tree's order), centres the view on it and
    /// rings it; a second Enter moves on to the next match. A node folded away or outside
    /// the focus is found too: folds and focus are dropped so that it can be shown.
    fn go_to_found(&mut self, ui: &egui::Ui, project: &Project, tree: TreeId) {
        let wanted = self.find.trim().to_lowercase();
        if wanted.is_empty() {
            return;
        }
        let matches: Vec<NodeId> = project
            .tree(tree)
            .nodes
            .iter()
            .copied()
            .filter(|&n| {
                let node = project.node(n);
                node.name.to_lowercase().contains(&wanted)
                    || node.shown_title().to_lowercase().contains(&wanted)
            })
            .collect();
        let exact = matches
            .iter()
            .position(|&n| project.node(n).name.to_lowercase() == wanted);
        let after_last = self
            .found
            .and_then(|found| matches.iter().position(|&n| n == found))
            .map(|i| (i + 1) % matches.len());
        let Some(index) = after_last.or(exact).or((!matches.is_empty()).then_some(0)) else {
            self.found = None;
            return;
        };
        let wanted = matches[index];
        self.found = Some(wanted);
        let drawn = self
            .drawing
            .as_ref()
            .and_then(|d| d.nodes.iter().find(|n| n.id == wanted))
            .map(|n| (n.id, n.name.clone(), n.centre));
        match drawn {
            Some((id, name, centre)) => {
                self.selected = Some(name);
                self.found = Some(id);
                self.zoom = self.zoom.max(0.8);
                self.pan = -centre.to_vec2() * self.zoom;
                self.fit = false;
                ui.ctx().request_repaint();
            }
            None => {
                self.folded.clear();
                self.focus = None;
                self.centre_on = Some(project.node(wanted).name.clone());
                ui.ctx().request_repaint();
            }
        }
    }

    /// Draws the graph; `current` is the node the preview is at, outlined. `version` stands
    /// for what is drawn (the check's `fingerprint` of the tree, or anything that changes
    /// with it): the drawing is made again only when it, the tree or the folds change.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        tree: TreeId,
        version: u64,
        problems: &[(NodeId, Severity)],
        current: Option<NodeId>,
    ) -> Option<GraphAction> {
        self.show_tree(tree);
        let shown = self.shown();
        if self
            .drawing
            .as_ref()
            .is_none_or(|d| d.key.0 != version || d.key.1 != tree || d.key.2 != shown)
        {
            // The checker thread lays the whole tree out with each check: most frames that need
            // a new drawing (the first, and after an edit) find it ready. Folds, a focus and
            // the Insights view still lay out here.
            self.drawing = Some(match self.ready.take() {
                Some(ready) if ready.key == (version, tree, shown.clone()) => ready,
                _ => {
                    self.laid_out_here += 1;
                    Arc::new(draw_tree(
                        project,
                        tree,
                        version,
                        problems,
                        &shown,
                        &mut self.placement,
                    ))
                }
            });
        }
        if let Some(name) = self.centre_on.take() {
            let node = self
                .drawing
                .as_ref()
                .and_then(|d| d.nodes.iter().find(|n| n.name == name))
                .map(|n| (n.id, n.name.clone(), n.centre));
            if let Some((id, name, centre)) = node {
                self.found = Some(id);
                self.selected = Some(name);
                self.zoom = self.zoom.max(0.8);
                self.pan = -centre.to_vec2() * self.zoom;
                self.fit = false;
            }
        }
        let mut action = None;
        let mut fold = None;
        let mut focus = None;
        ui.horizontal(|ui| {
            let find = ui.add(
                egui::TextEdit::singleline(&mut self.find)
                    .hint_text("Go to node (Ctrl+G)")
                    .desired_width(150.0),
            );
            if std::mem::take(&mut self.focus_find) {
                find.request_focus();
            }
            if find.changed() {
                self.found = None;
            }
            if find.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                self.go_to_found(ui, project, tree);
            }
            if ui
                .button("Fit")
                .on_hover_text("show the whole tree")
                .clicked()
            {
                self.fit = true;
            }
            if ui.button("−").on_hover_text("zoom out").clicked() {
                self.zoom = (self.zoom / 1.25).max(0.05);
            }
            ui.label(format!("{:.0}%", self.zoom * 100.0));
            if ui.button("+").on_hover_text("zoom in").clicked() {
                self.zoom = (self.zoom * 1.25).min(3.0);
            }
            ui.separator();
            if self.heat.is_some() {
                // The Insights view draws traffic over the whole tree: no folds there.
                ui.label(
                    egui::RichText::new("pale = few sessions, deep orange = the most").small(),
                );
                return;
            }
            let focused = self.focus.is_some();
            let focus_hint = match &self.selected {
                Some(name) => format!("show only the steps around {name} (F on a node)"),
                None => "click a node first, then show only the steps around it".to_owned(),
            };
            let focus_button = ui
                .add_enabled(
                    self.selected.is_some() || focused,
                    egui::Button::selectable(focused, "Focus"),
                )
                .on_hover_text(focus_hint);
            if focus_button.clicked() {
                if focused {
                    self.focus = None;
                } else {
                    self.focus = Some(FOCUS_DEPTH);
                }
                self.fit = true;
            }
            if let Some(depth) = self.focus.as_mut() {
                ui.add(egui::DragValue::new(depth).range(1..=20).suffix(" steps"))
                    .on_hover_text("how far around the node to show");
            }
            if !self.folded.is_empty()
                && ui
                    .button(format!("Unfold all ({})", self.folded.len()))
                    .on_hover_text("show every folded branch again")
                    .clicked()
            {
                self.folded.clear();
            }
            ui.separator();
            for (look, name) in [
                (Look::Start, "start"),
                (Look::Step, "step"),
                (Look::Routing, "routing"),
                (
                    Look::End(calltree_engine::OutcomeKind::Resolved),
                    "resolved",
                ),
                (
                    Look::End(calltree_engine::OutcomeKind::Escalated),
                    "escalated",
                ),
            ] {
                let (rect, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
                ui.painter().rect_filled(rect, 2.0, fill(look));
                ui.painter().rect_stroke(
                    rect,
                    2.0,
                    Stroke::new(1.0, Color32::GRAY),
                    egui::StrokeKind::Inside,
                );
                ui.label(egui::RichText::new(name).small());
            }
        });
        let Some(drawing) = &self.drawing else {
            return None;
        };
        let (area, background) = ui.allocate_exact_size(ui.available_size(), Sense::drag());
        let painter = ui.painter_at(area);
        painter.rect_filled(area, 0.0, ui.visuals().extreme_bg_color);
        if self.fit && drawing.bounds.is_positive() {
            let size = drawing.bounds.size() + vec2(40.0, 40.0);
            let whole = (area.width() / size.x).min(area.height() / size.y);
            // A big tree is not shrunk past reading: it is shown from its start, at the
            // smallest size whose text is still legible, and panned from there.
            self.zoom = whole.clamp(READABLE_ZOOM, 1.0);
            self.pan = -drawing.bounds.center().to_vec2() * self.zoom;
            if whole < READABLE_ZOOM {
                self.pan = vec2(
                    -drawing.start.x * self.zoom,
                    -(drawing.bounds.top() * self.zoom) - area.height() / 2.0 + 20.0,
                );
            }
            self.fit = false;
        }
        if background.dragged() {
            self.pan += background.drag_delta();
        }
        if background.hovered() || ui.rect_contains_pointer(area) {
            let (scroll, pinch, pointer) = ui.input(|i| {
                (
                    i.smooth_scroll_delta.y,
                    i.zoom_delta(),
                    i.pointer.hover_pos(),
                )
            });
            let factor = pinch * (scroll / 400.0).exp();
            if (factor - 1.0).abs() > f32::EPSILON
                && let Some(pointer) = pointer
            {
                let new_zoom = (self.zoom * factor).clamp(0.05, 3.0);
                // Zoom around the pointer: the point under it stays put.
                let from_centre = pointer - area.center() - self.pan;
                self.pan -= from_centre * (new_zoom / self.zoom - 1.0);
                self.zoom = new_zoom;
            }
        }
        let zoom = self.zoom;
        let origin = area.center() + self.pan;
        let to_screen = |p: Pos2| origin + p.to_vec2() * zoom;
        let text_colour = Color32::from_gray(20);
        let edge_colour = ui.visuals().weak_text_color();
        let show_text = zoom >= DETAIL_ZOOM;
        // Zoomed out further, boxes only: the shape of a big tree is still worth seeing.

        for edge in &drawing.edges {
            let from = &drawing.nodes[edge.from];
            let to = &drawing.nodes[edge.to];
            let start = to_screen(from.centre + vec2(0.0, NODE_SIZE.y / 2.0));
            let end = to_screen(to.centre - vec2(0.0, NODE_SIZE.y / 2.0));
            let span = Rect::from_two_pos(start, end).expand(40.0 * zoom);
            if !area.intersects(span) {
                continue;
            }
            let stroke = Stroke::new(1.2, edge_colour);
            // An arrow with neither end within half a screen of the view only passes through:
            // straight, and without its label. On a big tree hundreds of long arrows (every
            // way to a shared ending) cross the view, and flattening their curves took most of
            // a frame.
            let near = area.expand(area.width().max(area.height()) / 2.0);
            let passing = !near.contains(start) && !near.contains(end);
            if !show_text || passing {
                painter.line_segment([start, end], Stroke::new(1.0, edge_colour));
                continue;
            }
            // So is an arrow longer than the view is wide (hundreds of ways to one ending):
            // straight, with its tip, and no label to lay out.
            let tip = 6.0 * zoom.max(0.5);
            let arrow_tip = |end: Pos2| {
                egui::Shape::convex_polygon(
                    vec![
                        end,
                        end + vec2(-tip / 2.0, -tip),
                        end + vec2(tip / 2.0, -tip),
                    ],
                    edge_colour,
                    Stroke::NONE,
                )
            };
            if (end - start).length() > area.width().max(area.height()) * 1.5 {
                painter.line_segment([start, end], stroke);
                painter.add(arrow_tip(end));
                continue;
            }
            let bend = vec2(0.0, (GAP.y * 0.6 * zoom).max(8.0));
            let (c1, c2) = if end.y > start.y {
                (start + bend, end - bend)
            } else {
                // A loop back up: swing out to the side so it does not cross the boxes.
                let side = vec2((NODE_SIZE.x * 0.8 + GAP.x) * zoom, 0.0);
                (start + bend + side, end - bend + side)
            };
            painter.add(egui::epaint::CubicBezierShape::from_points_stroke(
                [start, c1, c2, end],
                false,
                Color32::TRANSPARENT,
                stroke,
            ));
            painter.add(arrow_tip(end));
            let middle = egui::epaint::CubicBezierShape::from_points_stroke(
                [start, c1, c2, end],
                false,
                Color32::TRANSPARENT,
                stroke,
            )
            .sample(0.5);
            if zoom >= 0.45 && !edge.label.is_empty() && near.contains(middle) {
                let galley = painter.layout_no_wrap(
                    shorten(&edge.label, 34),
                    FontId::proportional(10.5 * zoom),
                    ui.visuals().text_color(),
                );
                let rect = Align2::CENTER_CENTER.anchor_size(middle, galley.size());
                painter.rect_filled(rect.expand(2.0), 3.0, ui.visuals().extreme_bg_color);
                painter.galley(rect.min, galley, ui.visuals().text_color());
            }
        }

        for node in &drawing.nodes {
            let rect = Rect::from_center_size(to_screen(node.centre), NODE_SIZE * zoom);
            if !area.intersects(rect) {
                continue;
            }
            let fill_colour = match &self.heat {
                Some(heat) => heat
                    .get(&node.name)
                    .copied()
                    .unwrap_or(Color32::from_gray(235)),
                None => fill(node.look),
            };
            if rect.width() < CLICKABLE_WIDTH {
                // A speck: its colour and its problem are all that can be seen of it.
                let outline = match node.problem {
                    Some(Severity::Error) => ui.visuals().error_fg_color,
                    Some(_) => ui.visuals().warn_fg_color,
                    None => Color32::from_gray(120),
                };
                painter.rect_filled(rect, 0.0, outline);
                painter.rect_filled(
                    rect.shrink(rect.width().min(rect.height()) / 6.0),
                    0.0,
                    fill_colour,
                );
                continue;
            }
            let response = ui.interact(
                rect,
                ui.scope_id().with(("graph_node", node.id.index())),
                Sense::click(),
            );
            let label = if node.folded > 0 {
                format!(
                    "{} ({}), {} folded away",
                    node.title, node.name, node.folded
                )
            } else {
                format!("{} ({})", node.title, node.name)
            };
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, label.clone()));
            if self.found == Some(node.id) {
                painter.rect_stroke(
                    rect.expand(5.0),
                    8.0 * zoom,
                    Stroke::new(3.0, ui.visuals().selection.bg_fill),
                    egui::StrokeKind::Outside,
                );
            }
            let (width, colour) = match node.problem {
                Some(Severity::Error) => (3.0, ui.visuals().error_fg_color),
                Some(_) => (3.0, ui.visuals().warn_fg_color),
                None if current == Some(node.id) => (3.0, ui.visuals().selection.bg_fill),
                None if response.hovered() || response.has_focus() => {
                    (2.0, ui.visuals().selection.bg_fill)
                }
                None => (1.0, Color32::from_gray(120)),
            };
            let rounding = if matches!(node.look, Look::End(_) | Look::Return) {
                rect.height() / 2.0
            } else {
                6.0 * zoom
            };
            painter.rect_filled(rect, rounding, fill_colour);
            painter.rect_stroke(
                rect,
                rounding,
                Stroke::new(width, colour),
                egui::StrokeKind::Inside,
            );
            if current == Some(node.id) && node.problem.is_some() {
                painter.rect_stroke(
                    rect.expand(3.0),
                    rounding,
                    Stroke::new(2.0, ui.visuals().selection.bg_fill),
                    egui::StrokeKind::Outside,
                );
            }
            if show_text {
                let mut title = shorten(&node.title, 24);
                if node.problem.is_some() {
                    title.insert_str(0, "! ");
                }
                painter.text(
                    rect.center() - vec2(0.0, 9.0 * zoom),
                    Align2::CENTER_CENTER,
                    title,
                    FontId::proportional(13.0 * zoom),
                    text_colour,
                );
                painter.text(
                    rect.center() + vec2(0.0, 11.0 * zoom),
                    Align2::CENTER_CENTER,
                    shorten(&node.detail, 30),
                    FontId::monospace(10.0 * zoom),
                    Color32::from_gray(70),
                );
            }
            if node.folded > 0 {
                // A tab under the box: more hangs here.
                let tab = Rect::from_center_size(
                    rect.center_bottom() + vec2(0.0, 7.0 * zoom),
                    vec2(44.0, 14.0) * zoom,
                );
                painter.rect_filled(tab, 4.0 * zoom, Color32::from_gray(90));
                if show_text {
                    painter.text(
                        tab.center(),
                        Align2::CENTER_CENTER,
                        format!("+{}", node.folded),
                        FontId::proportional(10.0 * zoom),
                        Color32::WHITE,
                    );
                }
            }
            if response.clicked() {
                self.selected = Some(node.name.clone());
                action = Some(GraphAction::Jump(node.id));
            }
            if response.has_focus() {
                let (minus, plus, f) = ui.input(|i| {
                    (
                        i.key_pressed(Key::Minus),
                        i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals),
                        i.key_pressed(Key::F),
                    )
                });
                let is_folded = self.folded.contains(&node.name);
                if (minus && !is_folded) || (plus && is_folded) {
                    fold = Some(node.name.clone());
                }
                if f {
                    focus = Some(node.name.clone());
                }
            }
            response.context_menu(|ui| {
                if ui.button("Show its text").clicked() {
                    action = Some(GraphAction::Jump(node.id));
                    ui.close();
                }
                let folded = self.folded.contains(&node.name);
                let fold_label = if folded {
                    "Unfold its branch (+)"
                } else {
                    "Fold its branch away (-)"
                };
                if ui.button(fold_label).clicked() {
                    fold = Some(node.name.clone());
                    ui.close();
                }
                if ui.button("Focus on it (F)").clicked() {
                    focus = Some(node.name.clone());
                    ui.close();
                }
                if ui.button("Rename node…").clicked() {
                    action = Some(GraphAction::Rename(node.id));
                    ui.close();
                }
            });
        }
        if let Some(name) = fold {
            self.toggle_fold(&name);
            ui.ctx().request_repaint();
        }
        if let Some(name) = focus {
            self.toggle_focus(&name);
            ui.ctx().request_repaint();
        }
        action
    }
}
