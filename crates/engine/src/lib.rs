//! The calltree engine: a project's trees lowered into a graph, proven sound, and run.
//!
//! `Project::load` takes the text of a set of `.tree` files (hosts do the reading) and returns
//! the checked model with its diagnostics; `Project::load_cached` does the same with a
//! `ParseCache`, re-parsing only the lines that changed since the last load. Nothing here does
//! I/O, reads a clock or draws an unseeded random number: hosts pass text and timestamps in and
//! store events out.

pub mod codes;
mod damage;
mod drawing;
mod error;
mod expr;
mod flow;
mod lower;
mod model;
mod progress;
mod project;
mod rename;
mod rename_field;
mod report;
mod session;
mod show;
mod symbols;
mod synthetic;
mod testing;
pub mod translation;
mod validate;
mod value;
mod view;
mod walk;
mod wording;

pub use drawing::{Hue, Look};
pub use error::{FieldProblem, RenameError, SessionError, StepRefusal};
pub use lower::ProjectFile;
pub use model::{
    Assignment, BranchId, ChoiceValue, EntrySkip, Exit, FileId, Node, NodeId, NodeKind, NodeOption,
    NoteTemplate, OptionId, Outcome, OutcomeKind, Route, Slot, Template, TestCase, TestSetup, Tree,
    TreeId, Variable, VariableKind,
};
pub use project::{ParseCache, Project, SourceInput};
pub use rename::rename_node;
pub use rename_field::rename_field;
pub use report::{
    Comment, ComparedVersion, Counted, DAY, DailyRating, DateRange, Figures, LanguageFigures,
    NodeFigures, OutcomeMix, OutcomeRow, Rate, RatingCount, Report, ReportData, ReportFilter,
    SOURCE_LANGUAGE, SessionCounts, StepChange, StepCounts, StepRow, TimeSummary, TopList,
    TreeReport, VersionComparison, VersionReport, compare_versions,
};
pub use report::{Table, csv_field, drop_off_steps, figure_tables, slowest_steps};
pub use session::{
    ANSWER_NEEDED, Action, AnswerGiven, EVENT_NAMES, EndCause, Ending, Event, Frame, Given, Left,
    MAX_ANSWER_CHARS, MAX_NOTE_CHARS, Millis, Note, Preview, Session, Skip, State, Step,
    Submission, Visit, Visits, folds_on_this_thread,
};
pub use show::{
    LINE_SEPARATOR, customer_outcome, is_hidden_control, show_count, show_duration, show_line,
    show_percent,
};
pub use symbols::{Occurrence, Symbol, SymbolIndex};
pub use synthetic::synthetic_sessions;
pub use testing::TestReport;
pub use value::{Date, Type, Value, format_number};
pub use view::{
    Actions, ChoiceView, Crumb, EndView, FieldView, InputKind, OptionView, Progress, Purpose,
    ShownText, StepLine, Summary, TextRole, View,
};
pub use walk::{Coverage, Rng, StuckWalk, WalkLimits, WalkReport, walk_all, walk_random};
