//! `docs/diagnostics.md` documents every code, and its examples are real: each example,
//! loaded as a project and with its tests run, reports its section's code and nothing else.
//!
//! A section is `## CODE name`, then a `Severity:` line, an explanation, and one or more
//! fenced `tree` blocks. Several blocks in one section are several files of one project; a
//! block whose first line is `# file: NAME` gets that file name.
//!
//! Two things exist for examples that cannot be shown whole. Lines between `# repeat N
//! times:` and `# end repeat` stand for N copies, with `{n}` replaced by 0, 1, 2... and
//! `{n+1}` by the number after it. A line `Also reported: CODE, CODE.` names codes the
//! example may report besides its own (a chain of 10,000 nodes is always a large tree too).
//!
//! A fenced `po` block is a translation file of the example (name it with `# file:
//! NAME.LOCALE.po`); in it, `\xHH` stands for the byte HH, so an example can hold bytes that
//! are not UTF-8.
//!
//! The files are written to a temporary folder and loaded as every host loads them (the host
//! kit's `load_trees`), so the examples of `use` problems are real too.

use calltree_engine::Project;
use calltree_tests::repo_root;

struct Section {
    line: usize,
    code: String,
    name: String,
    severity: Option<String>,
    also: Vec<String>,
    files: Vec<(String, String)>,
}

/// A block's text with its `# repeat` parts written out.
fn expand(text: &str) -> String {
    let mut out = String::new();
    let mut repeated: Option<(usize, String)> = None;
    for line in text.lines() {
        if let Some((times, body)) = &mut repeated {
            if line.trim_end() == "# end repeat" {
                for n in 0..*times {
                    out.push_str(
                        &body
                            .replace("{n+1}", &(n + 1).to_string())
                            .replace("{n}", &n.to_string()),
                    );
                }
                repeated = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
            continue;
        }
        let times = line
            .strip_prefix("# repeat ")
            .and_then(|rest| rest.strip_suffix(" times:"))
            .and_then(|n| n.parse().ok());
        match times {
            Some(times) => repeated = Some((times, String::new())),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn sections(markdown: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut block: Option<String> = None;
    let mut block_kind = "tree";
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
                            || format!("example_{}.{block_kind}", section.files.len() + 1),
                            str::to_owned,
                        );
                    section.files.push((name, expand(&text)));
                }
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        if let Some(kind @ ("tree" | "po")) = line.trim_end().strip_prefix("```") {
            block = Some(String::new());
            block_kind = kind;
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
                    also: Vec::new(),
                    files: Vec::new(),
                });
            }
        } else if let Some(severity) = line.strip_prefix("Severity: ")
            && let Some(section) = sections.last_mut()
        {
            section.severity = Some(severity.trim().trim_end_matches('.').to_owned());
        } else if let Some(codes) = line.strip_prefix("Also reported: ")
            && let Some(section) = sections.last_mut()
        {
            section.also = codes
                .trim_end_matches('.')
                .split(',')
                .map(|code| code.trim().to_owned())
                .collect();
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
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<std::path::PathBuf> = section
            .files
            .iter()
            .filter_map(|(name, text)| {
                let path = dir.path().join(name);
                if name.ends_with(".po") {
                    std::fs::write(&path, with_bytes(text)).unwrap();
                    None
                } else {
                    std::fs::write(&path, text).unwrap();
                    Some(path)
                }
            })
            .collect();
        let loaded = calltree_calls::load_trees(&paths, calltree_files_limit()).unwrap();
        let project: Project = loaded.into_project();
        let reported: Vec<String> = project
            .diagnostics_with_tests()
            .into_iter()
            .flatten()
            .chain(
                project
                    .translation_files()
                    .iter()
                    .flat_map(|t| t.diagnostics.clone()),
            )
            .map(|d| format!("{} {}", d.code.id, d.message))
            .collect();
        let own = reported
            .iter()
            .filter(|r| r.starts_with(&section.code))
            .count();
        let others: Vec<&String> = reported
            .iter()
            .filter(|r| {
                !r.starts_with(&section.code) && !section.also.iter().any(|c| r.starts_with(c))
            })
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

/// A `po` block's text as bytes, each `\xHH` written as the byte it stands for.
fn with_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\x") {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let hex = rest.get(at + 2..at + 4).unwrap_or("");
        match u8::from_str_radix(hex, 16) {
            Ok(byte) => {
                out.push(byte);
                rest = &rest[at + 4..];
            }
            Err(_) => {
                out.extend_from_slice(b"\\x");
                rest = &rest[at + 2..];
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// The size limit the hosts use unless told otherwise.
fn calltree_files_limit() -> u64 {
    64 * 1024 * 1024
}
