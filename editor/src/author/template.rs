//! The template a new tree starts from: small, valid, and showing each thing an author needs
//! first (a question with options, two outcomes, a test), so there is something to change.

use crate::error::EditorError;

/// Refuses ids the language would not accept as a tree id.
pub fn check_id(id: &str) -> Result<(), EditorError> {
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(EditorError::TreeId(id.to_owned()));
    }
    Ok(())
}

/// The text of a new tree.
pub fn new_tree(id: &str, title: &str) -> String {
    let title = title.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        r#"# {title}: what this script is for, and who uses it when.
tree {id} "{title}"
  description: "Say in a sentence what this script helps with"
  version: "0.1"
  audience: agent, customer
  start: welcome

node welcome "Welcome"
  say "Hello! Let's sort this out together. Is the problem solved now?"
  agent "Greet the caller by name and confirm what they are calling about."
  option "Yes, it's solved" -> solved
  option "No, I still need help" -> specialist

node solved "Solved"
  say "Great, I'm glad that's working. Thanks for getting in touch."
  end resolved

node specialist "Pass to a specialist"
  say "I'll pass you to a specialist, with everything you've told me so far."
  end escalated "Tier 2"

test "a problem solved on the first question"
  choose "Yes, it's solved"
  expect end resolved

test "an unsolved problem goes to a specialist"
  choose "No, I still need help"
  expect end escalated "Tier 2"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use calltree_engine::Project;

    #[test]
    fn a_new_tree_is_clean_and_its_tests_pass() {
        let project = Project::single("wifi_help.tree", new_tree("wifi_help", "Wi-Fi \"help\""));
        let problems: Vec<String> = project
            .all_diagnostics()
            .map(|(_, d)| format!("{} {}", d.code.id, d.message))
            .collect();
        assert!(problems.is_empty(), "{problems:?}");
        let reports = project.run_tests();
        assert_eq!(reports.len(), 2);
        assert!(reports.iter().all(|r| r.passed()));
    }

    #[test]
    fn ids_the_language_refuses_are_refused() {
        assert!(check_id("wifi_help2").is_ok());
        for bad in ["", "2fast", "Wifi", "wi-fi", "wifi help", "é"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
