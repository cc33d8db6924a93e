//! Synthetic trees of a given size for benchmarks: every node says a line with two
//! placeholders, has two to four options (one with a guard), and every seventh node counts
//! its visits in a field, so stepping exercises guards, `set` and interpolation. Also the one
//! definition of "a step" that the benchmarks and `examples/perf.rs` both measure.

use std::fmt::Write as _;

use calltree_engine::{Event, Exit, Project, Session};

/// One step: choose an option (alternating between the first two), then what a screen needs
/// next: the text with its placeholders filled in, and which options the guards leave enabled.
/// Returns `false` when the call has no options to choose from.
pub fn step(session: &mut Session<&Project>, step: u64, text: &mut String) -> bool {
    let project = session.project();
    let node = project.node(session.state().node);
    let Exit::Options(options) = &node.exit else {
        return false;
    };
    let option = (step % 2) as u16;
    let label = options[usize::from(option)].label.source.clone();
    let at = i64::try_from(step).unwrap_or(i64::MAX);
    if session.apply(Event::Chose { option, label, at }).is_err() {
        return false;
    }
    text.clear();
    session.render_text(text);
    std::hint::black_box(session.enabled_options().count());
    true
}

/// A valid tree of `nodes` steps (plus a final one) and `fields` number fields.
pub fn tree_text(nodes: usize, fields: usize) -> String {
    let nodes = nodes.max(2);
    let fields = fields.max(1);
    let mut text = String::with_capacity(nodes * 220);
    text.push_str("tree generated \"Generated tree\"\n  audience: agent, customer\n  escalation: \"Tier 2\"\n  start: n0\n\n");
    for f in 0..fields {
        let _ = writeln!(
            text,
            "field f{f}: number \"Measure {f}\" range 0..1000000000 = {f}"
        );
    }
    for i in 0..nodes {
        let (a, b) = (i % fields, (i + 1) % fields);
        let _ = write!(
            text,
            "\nnode n{i} \"Step {i}\"\n  say \"Step {i}: reading {{f{a}}} and {{f{b}}}.\"\n  agent \"Check item {i} in the tool.\"\n"
        );
        if i % 7 == 0 {
            let _ = writeln!(text, "  set f{a} = f{a} + 1");
        }
        let width = 2 + i % 3;
        for k in 1..=width {
            let target = (i + k) % nodes;
            let guard = if k == 2 {
                format!(" when f{a} < 1000000000")
            } else {
                String::new()
            };
            let _ = writeln!(text, "  option \"Path {k} from {i}\" -> n{target}{guard}");
        }
        if i % 10 == 0 {
            text.push_str("  option \"Solved\" -> done\n");
        }
    }
    text.push_str("\nnode done \"Done\"\n  say \"All done.\"\n  end resolved code \"GEN-OK\"\n");
    text
}

/// The same tree with one line changed, as an author's edit would.
pub fn edited(text: &str) -> String {
    text.replacen("Step 1: reading", "Step 1: now reading", 1)
}
