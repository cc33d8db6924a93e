//! Agent mode's keys, in one place: what each does and how its button names it. They are
//! taken from the frame's input before any widget sees them, so a text box never swallows
//! a command and a command never types into a box.
//!
//! | keys | what |
//! |---|---|
//! | `1`–`9` | choose an option (outside a text box), or a choice in a focused choice field |
//! | `Alt+1`–`Alt+9` | choose an option, even while typing |
//! | `Enter` | next field; Continue from the last one; confirm a dialog; new call when finished |
//! | `Shift+Enter` | a new line in a note or a comment |
//! | `Alt+Left`, or `Backspace` outside a text box | back one step |
//! | `Ctrl+N` / `Ctrl+K` / `Ctrl+E` | note / skip the step / escalate |
//! | `Esc` | close a dialog; otherwise end the call |
//! | `Ctrl+C` | copy the summary (finished call) |

use egui::{Event, Key, Modifiers};

/// The keys pressed this frame that mean something in agent mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Pressed {
    pub enter: bool,
    /// `1`–`9` pressed outside a text box.
    pub digit: Option<u8>,
    /// `Alt+1`–`Alt+9`, anywhere.
    pub alt_digit: Option<u8>,
    pub back: bool,
    pub note: bool,
    pub skip: bool,
    pub escalate: bool,
    pub escape: bool,
    pub copy: bool,
    pub left: bool,
    pub right: bool,
}

/// Labels for the buttons, so each shows its key.
pub(super) const BACK: &str = "Alt+Left";
pub(super) const NOTE: &str = "Ctrl+N";
pub(super) const SKIP: &str = "Ctrl+K";
pub(super) const ESCALATE: &str = "Ctrl+E";
pub(super) const END: &str = "Esc";
pub(super) const CONTINUE: &str = "Enter";
pub(super) const COPY: &str = "Ctrl+C";

const DIGITS: [Key; 9] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
];

/// Whether `pressed` is exactly these modifiers (`command` is Ctrl, or Cmd on a Mac).
fn exactly(pressed: Modifiers, alt: bool, command: bool, shift: bool) -> bool {
    pressed.alt == alt && pressed.command == command && pressed.shift == shift
}

/// Takes agent mode's keys out of this frame's input. `typing` says a text box has the
/// keyboard: then plain digits and Backspace are the box's, and Enter is taken only when
/// `take_enter`.
pub(super) fn take(ui: &egui::Ui, typing: bool, take_enter: bool) -> Pressed {
    let mut pressed = Pressed::default();
    ui.input_mut(|input| {
        input.events.retain(|event| {
            let Event::Key {
                key,
                pressed: true,
                modifiers,
                ..
            } = event
            else {
                return true;
            };
            let m = *modifiers;
            let digit = DIGITS
                .iter()
                .position(|d| d == key)
                .and_then(|i| u8::try_from(i + 1).ok());
            let taken = match key {
                Key::Enter if exactly(m, false, false, false) && (!typing || take_enter) => {
                    pressed.enter = true;
                    true
                }
                _ if digit.is_some() && exactly(m, true, false, false) => {
                    pressed.alt_digit = digit;
                    true
                }
                _ if digit.is_some() && exactly(m, false, false, false) && !typing => {
                    pressed.digit = digit;
                    true
                }
                Key::ArrowLeft if exactly(m, true, false, false) => {
                    pressed.back = true;
                    true
                }
                Key::Backspace if exactly(m, false, false, false) && !typing => {
                    pressed.back = true;
                    true
                }
                Key::ArrowLeft if exactly(m, false, false, false) && !typing => {
                    pressed.left = true;
                    true
                }
                Key::ArrowRight if exactly(m, false, false, false) && !typing => {
                    pressed.right = true;
                    true
                }
                Key::N if exactly(m, false, true, false) => {
                    pressed.note = true;
                    true
                }
                Key::K if exactly(m, false, true, false) => {
                    pressed.skip = true;
                    true
                }
                Key::E if exactly(m, false, true, false) => {
                    pressed.escalate = true;
                    true
                }
                Key::Escape if exactly(m, false, false, false) => {
                    pressed.escape = true;
                    true
                }
                Key::C if exactly(m, false, true, false) && !typing => {
                    pressed.copy = true;
                    true
                }
                _ => false,
            };
            !taken
        });
        // Ctrl+C arrives as a copy command, not as a key.
        if !typing {
            input.events.retain(|event| {
                let copy = matches!(event, Event::Copy);
                pressed.copy |= copy;
                !copy
            });
        }
    });
    pressed
}
