//! The constructs issue 14 added to the language, each stated as the rules a call follows:
//! what it does when played, what `Back` takes back, and what the checks say about it.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use calltree_engine::{Event, Project, Session, Value};
use calltree_syntax::Audience;

fn codes(project: &Project) -> Vec<String> {
    project
        .diagnostics_with_tests()
        .into_iter()
        .flatten()
        .map(|d| format!("{} {}", d.code.id, d.message))
        .collect()
}

fn clean(name: &str, text: &str) -> Project {
    let project = Project::single(name, text);
    assert_eq!(codes(&project), Vec::<String>::new());
    project
}

fn start<'p>(project: &'p Project, tree: &str) -> Session<&'p Project> {
    Session::start(
        project,
        project.tree_by_name(tree).unwrap(),
        Audience::Agent,
        0,
    )
    .unwrap()
}

fn value(session: &Session<&Project>, field: &str) -> Value {
    let slot = session.project().slot_by_name(field).unwrap();
    session.state().values[slot.index()].clone()
}

fn choose(session: &mut Session<&Project>, label: &str, at: i64) {
    session
        .apply(Event::Chose {
            option: session
                .view()
                .options
                .iter()
                .position(|o| o.label == label)
                .and_then(|i| u16::try_from(i).ok())
                .unwrap(),
            label: label.into(),
            at,
        })
        .unwrap();
}

const EFFECTS: &str = r#"tree effects "Effects"
  start: check

field attempts: number "Attempts" = 0
flag reset_done

node check "Check the light"
  say "Is the light on?"
  note "Attempts so far: {attempts}"
  option "Done" -> check set reset_done, attempts = attempts + 1
  option "Give up" -> stop when attempts > 0

node stop "Stop"
  say "Reset done: {reset_done}, after {attempts}."
  end resolved

test "two attempts then stop"
  choose "Done"
  choose "Done"
  expect field attempts = 2
  expect field reset_done = yes
  choose "Give up"
  expect end resolved
"#;

/// Item 4: an option's effects apply when it is chosen, before the notes written on leaving;
/// `Back` takes them back with the choice; the tree's own tests see them.
#[test]
fn option_effects_apply_when_chosen_and_back_takes_them_back() {
    let project = clean("effects.tree", EFFECTS);
    let mut session = start(&project, "effects");
    assert_eq!(value(&session, "attempts"), Value::Number(0.0));
    choose(&mut session, "Done", 1);
    assert_eq!(value(&session, "attempts"), Value::Number(1.0));
    assert_eq!(value(&session, "reset_done"), Value::Bool(true));
    assert_eq!(session.state().notes[0].text, "Attempts so far: 1");
    choose(&mut session, "Done", 2);
    assert_eq!(value(&session, "attempts"), Value::Number(2.0));
    session.apply(Event::Back { at: 3 }).unwrap();
    assert_eq!(value(&session, "attempts"), Value::Number(1.0));
    session.apply(Event::Back { at: 4 }).unwrap();
    assert_eq!(value(&session, "attempts"), Value::Number(0.0));
    assert_eq!(value(&session, "reset_done"), Value::Bool(false));
    // Folding the log again gives the same state as going back step by step.
    let again = Session::resume(&project, session.log().to_vec()).unwrap();
    assert_eq!(again.state(), session.state());
}

/// Item 4: effects are type-checked like `set`, name declared variables, and a bare name
/// means yes only for yes/no.
#[test]
fn option_effects_are_type_checked() {
    let project = Project::single(
        "bad.tree",
        "tree bad \"Bad\"\n  start: a\n\nfield n: number \"N\" = 0\nflag f\n\n\
         node a\n  say \"Go\"\n  option \"One\" -> b set n = \"many\"\n  \
         option \"Two\" -> b set n\n  option \"Three\" -> b set missing = 1, f = 2\n\n\
         node b\n  say \"{n} {f}\"\n  end resolved\n",
    );
    let found = codes(&project);
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("E208") && c.contains("cannot be set to")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("E208") && c.contains("`set n` on its own means yes")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("E207") && c.contains("missing")),
        "{found:?}"
    );
    assert_eq!(
        found.iter().filter(|c| c.starts_with("E208")).count(),
        3,
        "{found:?}"
    );
}

/// Item 4: an option's effects give a value on the way to its own target only, and their
/// values are read after the node's questions are answered.
#[test]
fn option_effects_take_part_in_read_before_set() {
    let text = "tree flow \"Flow\"\n  start: a\n\nfield reason: text \"Reason\"\nfield count: number \"Count\"\n\n\
                node a\n  say \"Why?\"\n  ask count\n  option \"Known\" -> b set reason = \"known\", count = count + 1\n  \
                option \"Unknown\" -> c\n\n\
                node b\n  say \"Because {reason}\"\n  -> c\n\n\
                node c\n  say \"So: {reason}\"\n  end resolved\n";
    let project = Project::single("flow.tree", text);
    let found = codes(&project);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("E209") && found[0].contains("a → c"),
        "only `c`, reached by the option that sets nothing, reads too early: {found:?}"
    );

    // Reading a variable in an effect before anything gives it a value is reported too.
    let early = Project::single(
        "early.tree",
        "tree early \"Early\"\n  start: a\n\nfield n: number \"N\"\n\n\
         node a\n  say \"Go\"\n  option \"Go\" -> b set n = n + 1\n\n\
         node b\n  say \"{n}\"\n  end resolved\n",
    );
    let found = codes(&early);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("E209"), "{found:?}");
}

const SKIPS: &str = r#"tree skips "Entry skips"
  start: check

flag reset_done "Factory reset done"

node check "Check the light"
  say "Is the light green?"
  option "Green" -> fixed
  option "Still red" -> reset

node reset "Factory reset"
  if reset_done -> replace
  say "Hold the reset button for ten seconds."
  option "Done" -> check set reset_done

node replace "Replace the router"
  say "We'll send a new router."
  -> fixed

node fixed "Fixed"
  say "Great."
  end resolved

test "a second red light goes straight to the replacement"
  choose "Still red"
  expect node reset
  choose "Done"
  choose "Still red"
  expect node replace
  expect text contains "new router"
"#;

/// Item 5: on arrival the first entry skip that holds passes the node over: nothing of it is
/// shown or run, the summary says why, Back returns to the step before, and the breadcrumb
/// leaves the passed node out.
#[test]
fn an_entry_skip_passes_a_step_over_on_arrival() {
    let project = clean("skips.tree", SKIPS);
    let mut session = start(&project, "skips");
    choose(&mut session, "Still red", 1);
    assert_eq!(session.view().title, "Factory reset");
    choose(&mut session, "Done", 2);
    choose(&mut session, "Still red", 3);
    assert_eq!(session.view().title, "Replace the router");
    let summary = session.summary();
    assert_eq!(
        summary.passed,
        [("Factory reset".to_owned(), "Factory reset done".to_owned())]
    );
    let crumbs: Vec<&str> = summary.path.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        crumbs,
        [
            "Check the light",
            "Factory reset",
            "Check the light",
            "Replace the router"
        ]
    );
    assert!(
        summary
            .to_plain_text()
            .contains("- Factory reset — passed over because Factory reset done\n"),
        "{}",
        summary.to_plain_text()
    );
    session.apply(Event::Back { at: 4 }).unwrap();
    assert_eq!(session.view().title, "Check the light");
    assert!(session.summary().passed.is_empty());
    let again = Session::resume(&project, session.log().to_vec()).unwrap();
    assert_eq!(again.state(), session.state());
}

/// Item 5: the checks see entry skips: loops of skips, a skip that always holds, an `if`
/// written after the node's content, and values read by a skip or after one.
#[test]
fn entry_skips_are_validated() {
    let looped = Project::single(
        "looped.tree",
        "tree looped \"Looped\"\n  start: a\n\nflag f\n\n\
         node a\n  if f -> b\n  say \"A\"\n  option \"On\" -> b set f\n\n\
         node b\n  if f -> a\n  say \"B\"\n  option \"Stop\" -> c\n\n\
         node c\n  say \"C\"\n  end resolved\n",
    );
    let found = codes(&looped);
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("E224") && c.contains("entry skips")),
        "{found:?}"
    );

    let always = Project::single(
        "always.tree",
        "tree always \"Always\"\n  start: a\n\n\
         node a\n  if yes -> c\n  say \"A\"\n  -> c\n\n\
         node c\n  say \"C\"\n  end resolved\n",
    );
    let found = codes(&always);
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("W251") && c.contains("always holds")),
        "{found:?}"
    );

    let late = Project::single(
        "late.tree",
        "tree late \"Late\"\n  start: a\n\nflag f\n\n\
         node a\n  say \"A\"\n  option \"Go\" -> c\n  if f -> c\n\n\
         node c\n  say \"C\"\n  end resolved\n",
    );
    let late_diagnostics: Vec<_> = late
        .diagnostics_with_tests()
        .into_iter()
        .flatten()
        .collect();
    assert!(
        late_diagnostics.iter().any(|d| d.code.id == "E213"
            && d.hints
                .iter()
                .any(|h| h.contains("put its `if ... ->` lines first"))),
        "{late_diagnostics:?}"
    );

    // Passed over, `a` asks nothing: `c` may be reached without `name`.
    let unread = Project::single(
        "unread.tree",
        "tree unread \"Unread\"\n  start: a\n\nfield name: text \"Name\"\nfield known: yesno \"Known\" = no\n\n\
         node a\n  if known -> c\n  ask name\n  -> c\n\n\
         node c\n  say \"Hello {name}\"\n  end resolved\n",
    );
    let found = codes(&unread);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("E209"), "{found:?}");
}

const NOTES: &str = r#"tree notes "Notes and steps"
  start: details

field account: text "Account number" required
field reference: text "Ticket reference"
field online: yesno "Can the customer get online?"

node details "Details"
  ask account, reference
  note "Account {account}"
  note "Ticket {reference}" when answered(reference)
  -> online

node online "Online?"
  ask online
  note "Still offline" when not online
  option "Book an engineer" -> booked
  option "Done" -> done

node booked "Engineer booked"
  say "An engineer will come tomorrow."
  end resolved

node done "Done"
  say "Glad it works."
  end resolved
"#;

/// Item 9: a note with `when` is written only if its condition holds when the call leaves the
/// step; `when answered(x)` lets it show `{x}` without a read-before-set error.
#[test]
fn a_conditional_note_is_written_only_when_its_condition_holds() {
    let project = clean("notes.tree", NOTES);
    let mut session = start(&project, "notes");
    for (field, value) in [("account", "12345678"), ("reference", "")] {
        session
            .apply(Event::Answered {
                field: field.into(),
                value: value.into(),
                at: 1,
            })
            .unwrap();
    }
    session.apply(Event::Continued { at: 2 }).unwrap();
    session
        .apply(Event::Answered {
            field: "online".into(),
            value: "no".into(),
            at: 3,
        })
        .unwrap();
    choose(&mut session, "Book an engineer", 4);
    let notes: Vec<&str> = session
        .state()
        .notes
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(notes, ["Account 12345678", "Still offline"]);

    // Without `answered(...)` the template may read a blank.
    let unguarded = Project::single(
        "unguarded.tree",
        "tree unguarded \"U\"\n  start: a\n\nfield n: number \"N\"\n\n\
         node a\n  say \"Go\"\n  note \"N is {n}\" when yes\n  -> b\n\n\
         node b\n  say \"B\"\n  end resolved\n",
    );
    let found = codes(&unguarded);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("E209"), "{found:?}");
}

/// Item 9: the summary lists every step with the answers given there and the option chosen,
/// and Back takes the step's line back with it.
#[test]
fn the_summary_lists_each_step_with_its_answers_and_choice() {
    let project = clean("notes.tree", NOTES);
    let mut session = start(&project, "notes");
    session
        .apply(Event::Answered {
            field: "account".into(),
            value: "11111111".into(),
            at: 1,
        })
        .unwrap();
    session
        .apply(Event::Answered {
            field: "account".into(),
            value: "12345678".into(),
            at: 2,
        })
        .unwrap();
    session.apply(Event::Continued { at: 3 }).unwrap();
    session
        .apply(Event::Answered {
            field: "online".into(),
            value: "no".into(),
            at: 4,
        })
        .unwrap();
    choose(&mut session, "Done", 5);
    session.apply(Event::Back { at: 6 }).unwrap();
    let lines: Vec<String> = session
        .summary()
        .steps
        .iter()
        .map(|s| s.to_line())
        .collect();
    assert_eq!(
        lines,
        [
            "Details — Account number: 12345678",
            "Online? — Can the customer get online?: no"
        ]
    );
    choose(&mut session, "Book an engineer", 7);
    let summary = session.summary();
    let lines: Vec<String> = summary.steps.iter().map(|s| s.to_line()).collect();
    assert_eq!(
        lines,
        [
            "Details — Account number: 12345678",
            "Online? — Can the customer get online?: no — chose Book an engineer",
            "Engineer booked"
        ]
    );
    assert!(
        summary.to_plain_text().contains(
            "\nSteps:\n- Details — Account number: 12345678\n- Online? — Can the customer get online?: no — chose Book an engineer\n- Engineer booked\n"
        ),
        "{}",
        summary.to_plain_text()
    );
    let again = Session::resume(&project, session.log().to_vec()).unwrap();
    assert_eq!(again.state(), session.state());
}

const TRIAGE: &str = r#"tree triage "Chest pain triage"
  start: pain

field severe: yesno "Severe pain?" required

node pain "Pain"
  ask severe
  option "Assess" -> sort
  option "Advice only" -> advice

node sort
  if severe -> urgent
  else -> routine

node urgent "Urgent"
  say "An ambulance is on its way."
  end escalated "Ambulance" result "Emergency (red)" code "T1"

node advice "Advice"
  say "Rest, and call back if it gets worse."
  end resolved result "Self-care (green)"

node routine "Routine"
  say "Please see your own GP this week."
  end referred "Own GP" result "Delayed (yellow)" code "T3"

test "mild pain goes to the GP"
  answer severe no
  choose "Assess"
  expect end referred "Own GP" result "Delayed (yellow)" code "T3"
"#;

/// Item 8: an ending's author-named result and the referred outcome reach the summary, the
/// diagram's colours, the tests and the report.
#[test]
fn an_author_named_result_is_shown_drawn_tested_and_counted() {
    use calltree_engine::{Hue, Look, Report, ReportFilter};

    let project = clean("triage.tree", TRIAGE);
    let tree = project.tree_by_name("triage").unwrap();
    let mut session = start(&project, "triage");
    session
        .apply(Event::Answered {
            field: "severe".into(),
            value: "no".into(),
            at: 1,
        })
        .unwrap();
    choose(&mut session, "Assess", 2);
    let summary = session.summary();
    let text = summary.to_plain_text();
    assert!(
        text.contains("Outcome: referred to Own GP (code T3)\nResult: Delayed (yellow)\n"),
        "{text}"
    );
    let urgent = project.node_by_name(tree, "urgent").unwrap();
    let routine = project.node_by_name(tree, "routine").unwrap();
    assert_eq!(project.look(tree, urgent), Look::Result(Hue::Red));
    assert_eq!(project.look(tree, routine), Look::Result(Hue::Yellow));
    assert!(
        project
            .caption(routine)
            .contains("end referred to Own GP: Delayed (yellow) [T3]")
    );

    // A test that expects another result fails.
    let wrong = Project::single(
        "wrong.tree",
        TRIAGE.replace(
            "expect end referred \"Own GP\" result \"Delayed (yellow)\"",
            "expect end referred \"Own GP\" result \"Routine (green)\"",
        ),
    );
    assert!(
        codes(&wrong).iter().any(|c| c.starts_with("E304")),
        "{:?}",
        codes(&wrong)
    );

    let mut report = Report::new(ReportFilter::default());
    report.add_session(Some(&project), session.log());
    let data = report.finish();
    let outcomes = &data.trees["triage"].total.outcomes;
    assert_eq!(outcomes.referred, 1);
    assert_eq!(outcomes.referred_to.get("Own GP"), Some(&1));
    assert_eq!(outcomes.results.get("Delayed (yellow)"), Some(&1));
}

const PLACEHOLDERS: &str = r#"tree placeholders "Placeholders"
  start: restart

field restarts: number "Restarts" = 0
field plan: choice(basic "Basic plan", pro "Pro plan") "Plan" = pro

node restart "Restart {restarts + 1}"
  say "This is restart {restarts + 1} of 2 on the {plan} ({plan == pro}); visits: {count(restart)}."
  option "Again" -> restart set restarts = restarts + 1
  option "Stop" -> done

node done
  say "Done"
  end resolved
"#;

/// Item 7: a placeholder holds any expression, type-checked, shown like a value (a choice by
/// its label, yes/no as words), and renaming a node renames it inside placeholders too.
#[test]
fn placeholders_hold_expressions() {
    let project = clean("placeholders.tree", PLACEHOLDERS);
    let mut session = start(&project, "placeholders");
    choose(&mut session, "Again", 1);
    let view = session.view();
    assert_eq!(view.title, "Restart 2");
    let mut text = String::new();
    session.render_text(&mut text);
    assert!(
        text.contains("This is restart 2 of 2 on the Pro plan (yes); visits: 2."),
        "{text}"
    );

    let bad = Project::single(
        "bad.tree",
        PLACEHOLDERS.replace("{restarts + 1} of 2", "{restarts + plan} of 2"),
    );
    assert!(
        codes(&bad).iter().any(|c| c.starts_with("E208")),
        "{:?}",
        codes(&bad)
    );
    let unknown = Project::single(
        "unknown.tree",
        PLACEHOLDERS.replace("{count(restart)}", "{count(nowhere)}"),
    );
    assert!(!codes(&unknown).is_empty());

    let renamed =
        calltree_engine::rename_node(&[PLACEHOLDERS], "placeholders", "restart", "reboot").unwrap();
    let text = renamed[0].as_deref().unwrap();
    assert!(text.contains("{count(reboot)}"), "{text}");
}

/// Item 7: a text in `set` (any expression) fills in its placeholders, a choice by its label.
#[test]
fn a_set_text_fills_in_its_placeholders() {
    let project = clean(
        "vitals.tree",
        "tree vitals \"Vitals\"\n  start: ask\n\n\
         field hr: number \"Heart rate\"\n\
         field plan: choice(basic \"Basic plan\", pro \"Pro plan\") \"Plan\" = pro\n\
         field summary: text \"Summary\"\n\n\
         node ask \"Heart rate\"\n  ask hr\n  option \"Next\" -> done set summary = \"HR {hr}, {hr + 10} with exercise, {plan}\"\n\n\
         node done\n  say \"Recorded: {summary}\"\n  end resolved\n",
    );
    let mut session = start(&project, "vitals");
    session
        .apply(Event::Answered {
            field: "hr".into(),
            value: "70".into(),
            at: 1,
        })
        .unwrap();
    choose(&mut session, "Next", 2);
    assert_eq!(
        value(&session, "summary"),
        Value::Text("HR 70, 80 with exercise, Pro plan".into())
    );
    // The placeholders of a `set` text are read where it runs: on arrival, before `ask`.
    let early = Project::single(
        "early.tree",
        "tree early \"Early\"\n  start: a\n\nfield hr: number \"HR\"\nfield s: text \"S\"\n\n\
         node a\n  set s = \"HR {hr}\"\n  ask hr\n  -> b\n\nnode b\n  say \"{s}\"\n  end resolved\n",
    );
    let found = codes(&early);
    assert!(
        found.len() == 1 && found[0].starts_with("E209"),
        "{found:?}"
    );
}

/// Item 6 (in part): `count(a, b, c)` of yes/no fields adds up the yeses, so counting the
/// kinds of resource a patient needs takes one expression instead of a node per answer.
#[test]
fn count_adds_up_yes_no_fields() {
    let project = clean(
        "resources.tree",
        "tree resources \"Resources\"\n  start: ask\n\n\
         field labs: yesno \"Lab tests\"\nfield ecg: yesno \"ECG\"\nfield xray: yesno \"X-rays\"\n\n\
         node ask \"Resources\"\n  ask labs, ecg, xray\n  -> sort\n\n\
         node sort\n  if count(labs, ecg, xray) >= 2 -> many\n  else -> few\n\n\
         node many \"Many\"\n  say \"{count(labs, ecg, xray)} kinds of resource\"\n  end resolved result \"Level 3 (yellow)\"\n\n\
         node few \"Few\"\n  say \"At most one\"\n  end resolved result \"Level 4 (green)\"\n",
    );
    let mut session = start(&project, "resources");
    for (field, answer) in [("labs", "yes"), ("ecg", "no"), ("xray", "yes")] {
        session
            .apply(Event::Answered {
                field: field.into(),
                value: answer.into(),
                at: 1,
            })
            .unwrap();
    }
    session.apply(Event::Continued { at: 2 }).unwrap();
    let mut text = String::new();
    session.render_text(&mut text);
    assert!(text.contains("2 kinds of resource"), "{text}");

    let wrong = Project::single(
        "wrong.tree",
        "tree wrong \"W\"\n  start: a\n\nfield n: number \"N\" = 1\n\n\
         node a\n  say \"{count(n, n)}\"\n  end resolved\n",
    );
    assert!(
        codes(&wrong)
            .iter()
            .any(|c| c.starts_with("E219") && c.contains("yes/no fields")),
        "{:?}",
        codes(&wrong)
    );
}

const CHECKLIST: &str = "tree triage \"Triage\"\n  start: ask\n\n\
     field resources: choices(labs \"Lab tests\", ecg \"ECG\", xray \"X-rays\") \"Resources needed\" required\n\n\
     node ask \"Resources\"\n  ask resources\n  -> sort\n\n\
     node sort\n  if count(resources) >= 2 -> many\n  if resources has ecg -> heart\n  else -> few\n\n\
     node many \"Many\"\n  say \"{count(resources)} kinds: {resources}\"\n  end resolved result \"Level 3\"\n\n\
     node heart \"Heart\"\n  say \"ECG only\"\n  end resolved result \"Level 4\"\n\n\
     node few \"Few\"\n  say \"{resources}\"\n  end resolved result \"Level 5\"\n\n";

/// Item 6: a checklist (`choices(...)`) holds any number of its values; `count` says how many
/// are ticked, `has` asks about one, and text shows the labels in declared order.
#[test]
fn a_checklist_counts_and_shows_its_ticked_values() {
    let project = clean(
        "triage.tree",
        &format!(
            "{CHECKLIST}test \"two\"\n  answer resources \"ecg, labs\"\n  \
             expect field resources = \"labs, ecg\"\n  expect end resolved result \"Level 3\"\n  \
             expect text contains \"2 kinds: Lab tests, ECG\"\n\n\
             test \"heart\"\n  answer resources ecg\n  expect end resolved result \"Level 4\"\n"
        ),
    );
    let mut session = start(&project, "triage");
    // Labels, words, commas and spaces all tick values; repeats tick once.
    session
        .apply(Event::Answered {
            field: "resources".into(),
            value: "X-rays, labs labs".into(),
            at: 1,
        })
        .unwrap();
    assert_eq!(value(&session, "resources"), Value::Checked(vec![0, 2]));
    session.apply(Event::Continued { at: 2 }).unwrap();
    let mut text = String::new();
    session.render_text(&mut text);
    assert!(text.contains("2 kinds: Lab tests, X-rays"), "{text}");

    let mut session = start(&project, "triage");
    let refused = session.apply(Event::Answered {
        field: "resources".into(),
        value: "labs, mri".into(),
        at: 1,
    });
    assert!(refused.is_err(), "{refused:?}");
}

/// `required` on a checklist means at least one value ticked: an empty answer leaves it
/// unanswered, so the step cannot be left.
#[test]
fn a_required_checklist_needs_one_ticked_value() {
    let project = clean("triage.tree", CHECKLIST);
    let mut session = start(&project, "triage");
    let _ = session.apply(Event::Answered {
        field: "resources".into(),
        value: String::new(),
        at: 1,
    });
    assert!(!value(&session, "resources").is_set());
    assert!(session.apply(Event::Continued { at: 2 }).is_err());
}

/// Nothing ticked is what an unasked checklist holds, so `has` and `count` may read it
/// anywhere; showing it in text still needs it asked first (E209).
#[test]
fn an_unasked_checklist_has_nothing_ticked() {
    let project = Project::single(
        "early.tree",
        "tree early \"E\"\n  start: a\n\n\
         field resources: choices(labs, ecg) \"R\"\n\n\
         node a\n  if resources has ecg -> b\n  if count(resources) > 0 -> b\n  else -> c\n\n\
         node b\n  ask resources\n  -> c\n\n\
         node c \"C\"\n  say \"{resources}\"\n  end resolved\n",
    );
    let found = codes(&project);
    assert!(
        found.len() == 1 && found[0].starts_with("E209"),
        "{found:?}"
    );
}

/// `has` takes one of the checklist's own values, and only a checklist has values to look in.
#[test]
fn has_is_checked_against_the_checklist() {
    let project = Project::single(
        "bad.tree",
        "tree bad \"B\"\n  start: a\n\n\
         field resources: choices(labs, ecg) \"R\"\nfield n: number \"N\" = 1\n\n\
         node a\n  ask resources\n  if resources has ekg -> b\n  if n has labs -> b\n  else -> b\n\n\
         node b\n  end resolved\n",
    );
    let found = codes(&project);
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("E208") && c.contains("`ekg` is not one of the values")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|c| c.starts_with("E208") && c.contains("`has` looks in a checklist")),
        "{found:?}"
    );
    let diagnostics = project.diagnostics_with_tests();
    let hint = diagnostics
        .iter()
        .flatten()
        .find(|d| d.message.contains("`ekg`"))
        .map(|d| d.hints.join(" "));
    assert_eq!(hint.as_deref(), Some("did you mean `ecg`?"));
}
