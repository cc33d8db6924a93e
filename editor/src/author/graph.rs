//! The graph view: the current tree drawn as boxes and labelled arrows, coloured by kind and
//! outcome, with problems marked. Drag to pan, scroll to zoom, click a node to jump to its
//! text. Each visible node is also a focusable, labelled widget, so the keyboard and screen
//! readers reach it too.

use calltree_engine::{Look, NodeId, Project, TreeId};
use calltree_syntax::Severity;
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::layout;

const NODE_SIZE: Vec2 = vec2(190.0, 58.0);
const GAP: Vec2 = vec2(50.0, 80.0);
/// Below this zoom node text is too small to read, so "Fit" does not go further.
const READABLE_ZOOM: f32 = 0.45;

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
}

struct DrawnEdge {
    from: usize,
    to: usize,
    label: String,
}

/// One tree laid out, kept until the project or the tree changes.
pub struct Drawing {
    key: (u64, TreeId),
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
    pub drawing: Option<Drawing>,
    fit: bool,
    /// Fills by node name instead of by kind (the Insights view's traffic heat map).
    pub heat: Option<std::collections::HashMap<String, Color32>>,
    /// What the author typed in "Go to node".
    pub find: String,
    /// The node "Go to node" found last, ringed until the search changes.
    pub found: Option<NodeId>,
    /// Set by Ctrl+G: the search box takes the keyboard next frame.
    pub focus_find: bool,
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
        }
    }
}

/// Lays a tree out. `revision` identifies the project, so the layout is redone only when it
/// changes; `problems` are (node, severity) pairs to mark.
pub fn draw_tree(
    project: &Project,
    tree: TreeId,
    revision: u64,
    problems: &[(NodeId, Severity)],
) -> Drawing {
    let nodes = &project.tree(tree).nodes;
    let index: std::collections::HashMap<NodeId, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
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
    let roots: Vec<usize> = project
        .tree(tree)
        .start
        .and_then(|s| index.get(&s).copied())
        .into_iter()
        .collect();
    let placement = layout::place(nodes.len(), &pairs, &roots);
    let step = NODE_SIZE + GAP;
    let mut bounds = Rect::NOTHING;
    let drawn: Vec<DrawnNode> = nodes
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let centre = pos2(
                placement.across[i] * step.x,
                placement.layer[i] as f32 * step.y,
            );
            bounds = bounds.union(Rect::from_center_size(centre, NODE_SIZE));
            let caption = project.caption(id);
            let mut lines = caption.lines();
            let title = lines.next().unwrap_or_default().to_owned();
            let name = project.node(id).name.clone();
            let detail = lines.next().map_or_else(|| name.clone(), str::to_owned);
            let problem = problems
                .iter()
                .filter(|(n, _)| *n == id)
                .map(|(_, s)| *s)
                .max_by_key(|s| matches!(s, Severity::Error));
            DrawnNode {
                id,
                name,
                title,
                detail,
                look: project.look(tree, id),
                centre,
                problem,
            }
        })
        .collect();
    let start = roots
        .first()
        .and_then(|&root| drawn.get(root))
        .map_or(bounds.center_top(), |node| node.centre);
    Drawing {
        key: (revision, tree),
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

impl GraphView {
    /// Drops the drawing when the tree shown changes, so the next one is fitted to the view.
    pub fn show_tree(&mut self, tree: TreeId) {
        if self.drawing.as_ref().is_some_and(|d| d.key.1 != tree) {
            self.drawing = None;
            self.fit = true;
        }
    }

    /// Finds the node whose name or title holds what was typed in "Go to node" (a name that
    /// matches exactly first, then the first in the tree's order), centres the view on it and
    /// rings it; a second Enter moves on to the next match.
    fn go_to_found(&mut self, ui: &egui::Ui) {
        let Some(drawing) = &self.drawing else {
            return;
        };
        let wanted = self.find.trim().to_lowercase();
        if wanted.is_empty() {
            return;
        }
        let matches: Vec<&DrawnNode> = drawing
            .nodes
            .iter()
            .filter(|n| {
                n.name.to_lowercase().contains(&wanted) || n.title.to_lowercase().contains(&wanted)
            })
            .collect();
        let exact = matches.iter().position(|n| n.name.to_lowercase() == wanted);
        let after_last = self
            .found
            .and_then(|found| matches.iter().position(|n| n.id == found))
            .map(|i| (i + 1) % matches.len());
        let Some(index) = after_last.or(exact).or((!matches.is_empty()).then_some(0)) else {
            self.found = None;
            return;
        };
        let node = matches[index];
        self.found = Some(node.id);
        self.zoom = self.zoom.max(0.8);
        self.pan = -node.centre.to_vec2() * self.zoom;
        self.fit = false;
        ui.ctx().request_repaint();
    }

    /// Draws the graph; `current` is the node the preview is at, outlined.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        tree: TreeId,
        revision: u64,
        problems: &[(NodeId, Severity)],
        current: Option<NodeId>,
    ) -> Option<GraphAction> {
        self.show_tree(tree);
        if self
            .drawing
            .as_ref()
            .is_none_or(|d| d.key != (revision, tree))
        {
            self.drawing = Some(draw_tree(project, tree, revision, problems));
        }
        let mut action = None;
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
            if find.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.go_to_found(ui);
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
                ui.label(
                    egui::RichText::new("pale = few sessions, deep orange = the most").small(),
                );
                return;
            }
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
        let show_text = zoom >= 0.3;
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
            let tip = 6.0 * zoom.max(0.5);
            painter.add(egui::Shape::convex_polygon(
                vec![
                    end,
                    end + vec2(-tip / 2.0, -tip),
                    end + vec2(tip / 2.0, -tip),
                ],
                edge_colour,
                Stroke::NONE,
            ));
            if show_text && zoom >= 0.45 && !edge.label.is_empty() {
                let middle = egui::epaint::CubicBezierShape::from_points_stroke(
                    [start, c1, c2, end],
                    false,
                    Color32::TRANSPARENT,
                    stroke,
                )
                .sample(0.5);
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
            let response = ui.interact(
                rect,
                ui.scope_id().with(("graph_node", node.id.index())),
                Sense::click(),
            );
            let label = format!("{} ({})", node.title, node.name);
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
            let fill_colour = match &self.heat {
                Some(heat) => heat
                    .get(&node.name)
                    .copied()
                    .unwrap_or(Color32::from_gray(235)),
                None => fill(node.look),
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
            if response.clicked() {
                action = Some(GraphAction::Jump(node.id));
            }
            response.context_menu(|ui| {
                if ui.button("Show its text").clicked() {
                    action = Some(GraphAction::Jump(node.id));
                    ui.close();
                }
                if ui.button("Rename node…").clicked() {
                    action = Some(GraphAction::Rename(node.id));
                    ui.close();
                }
            });
        }
        action
    }
}
