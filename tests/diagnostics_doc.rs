//! `docs/diagnostics.md` documents every code, and its examples are real: each example,
//! loaded as a project and with its tests run, reports its section's code and nothing else.
//!
//! A section is `## CODE name`, then a `Severity:` line, an explanation, and one or more
//! fenced `tree` blocks. Several blocks in one section are several files of one project; a
//! block whose first line is `# file: NAME` gets that file name.

use calltree_engine::{Project, SourceInput};
use calltree_tests::repo_root;

struct Section {
    line: usize,
    code: String,
    name: String,
    severity: Option<String>,
    files: Vec<(String, String)>,
}

fn sections(markdown: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut block: Option<String> = None;
    for (index, line) in markdown.lines().enumerate() {
        if let Some(text) = &mut block {
            if line.trim_end() == "```" {
                let text = std::mem::take(text);
                block = None;
                if let Some(section) = sections.last_mut() {
                    let name = text
                        .lines()
                        .next()
                        .and_then(|l| l.strip_prefix("# file: "))
                        .map_or_else(
                            || format!("example_{}.tree", section.files.len() + 1),
                            str::to_owned,
                        );
                    section.files.push((name, text));
                }
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        if line.trim_end() == "```tree" {
            block = Some(String::new());
        } else if let Some(heading) = line.strip_prefix("## ") {
            let mut words = heading.split_whitespace();
            if let (Some(code), Some(name)) = (words.next(), words.next())
                && code.len() == 4
                && code.starts_with(['E', 'W'])
            {
                sections.push(Section {
                    line: index + 1,
                    code: code.to_owned(),
                    name: name.to_owned(),
                    severity: None,
                    files: Vec::new(),
                });
            }
        } else if let Some(severity) = line.strip_prefix("Severity: ")
            && let Some(section) = sections.last_mut()
        {
            section.severity = Some(severity.trim().trim_end_matches('.').to_owned());
        }
    }
    sections
}

#[test]
fn every_code_is_documented_with_its_name_and_severity() {
    let markdown = std::fs::read_to_string(repo_root().join("docs/diagnostics.md")).unwrap();
    let documented = sections(&markdown);
    let mut problems = Vec::new();
    for code in calltree_syntax::codes::ALL
        .iter()
        .chain(calltree_engine::codes::ALL)
    {
        match documented.iter().find(|s| s.code == code.id) {
            None => problems.push(format!("{} ({}) has no section", code.id, code.name)),
            Some(section) => {
                if section.name != code.name {
                    problems.push(format!(
                        "{}: documented as `{}`, named `{}`",
                        code.id, section.name, code.name
                    ));
                }
                let severity = format!("{:?}", code.severity).to_lowercase();
                if section.severity.as_deref() != Some(severity.as_str()) {
                    problems.push(format!(
                        "{}: needs the line `Severity: {severity}.`",
                        code.id
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_example_reports_its_code_and_nothing_else() {
    let markdown = std::fs::read_to_string(repo_root().join("docs/diagnostics.md")).unwrap();
    let mut problems = Vec::new();
    for section in sections(&markdown) {
        if section.files.is_empty() {
            problems.push(format!(
                "docs/diagnostics.md:{}: {} has no example",
                section.line, section.code
            ));
            continue;
        }
        let inputs = section
            .files
            .iter()
            .map(|(name, text)| SourceInput::new(name.clone(), text.clone()))
            .collect();
        let project = Project::load(inputs);
        let reported: Vec<String> = project
            .diagnostics_with_tests()
            .into_iter()
            .flatten()
            .map(|d| format!("{} {}", d.code.id, d.message))
            .collect();
        let own = reported
            .iter()
            .filter(|r| r.starts_with(&section.code))
            .count();
        let others: Vec<&String> = reported
            .iter()
            .filter(|r| !r.starts_with(&section.code))
            .collect();
        if own == 0 || !others.is_empty() {
            problems.push(format!(
                "docs/diagnostics.md:{}: the {} example reports {:?}",
                section.line, section.code, reported
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
