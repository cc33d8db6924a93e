//! Renaming a field or flag: the new name is written everywhere its group of trees uses it.
//!
//! Fields and flags are shared by value between trees joined by a `call`, so a rename covers
//! that whole group (see [`SymbolIndex`]): declarations, `ask`, `set`, conditions (but not a
//! choice value of the same spelling), `{placeholders}` in any text, feedback questions and
//! the tests' `answer` and `expect field`. Another tree that is not joined to it keeps its own
//! field of that name. As with nodes, only those spans change, so layout and comments stay.

use calltree_syntax::{self as syntax, Diagnostic, SourceFile};

use crate::error::RenameError;
use crate::rename::{line_of, replace};
use crate::symbols::{Symbol, SymbolIndex};

/// Renames field or flag `old`, as tree `tree` and the trees joined to it by calls know it,
/// to `new`, in the texts of a project's files.
///
/// Returns, for each file (same order), its new text, or `None` when it does not change.
/// Nothing changes, and an error comes back, when `new` cannot be a field name, the tree is
/// unknown, the group declares no `old` or already uses `new`, or a file of the group has
/// syntax errors (a line that cannot be read might hold a reference that would be missed).
pub fn rename_field(
    files: &[&str],
    tree: &str,
    old: &str,
    new: &str,
) -> Result<Vec<Option<String>>, RenameError> {
    if !is_field_name(new) {
        return Err(RenameError::InvalidFieldName {
            name: new.to_owned(),
        });
    }
    let parsed: Vec<(SourceFile, Vec<Diagnostic>)> =
        files.iter().map(|text| syntax::parse(text)).collect();
    let syntax: Vec<&SourceFile> = parsed.iter().map(|(file, _)| file).collect();
    let Some(owner) = syntax.iter().position(|file| {
        file.tree()
            .is_some_and(|(head, _)| head.name.as_str() == tree)
    }) else {
        return Err(RenameError::UnknownTree(tree.to_owned()));
    };
    let index = SymbolIndex::new(&syntax);
    let scope = index.scope(owner).to_owned();
    let in_group: Vec<usize> = (0..files.len())
        .filter(|&file| syntax[file].tree_name().is_some() && index.scope(file) == scope)
        .collect();
    for &file in &in_group {
        if let Some(error) = parsed[file].1.iter().find(|d| d.is_error()) {
            return Err(RenameError::BlockedBySyntax {
                tree: tree.to_owned(),
                file,
                line: line_of(files[file], error.span),
            });
        }
    }
    let symbol = |name: &str| Symbol::Variable {
        scope: scope.clone(),
        name: name.to_owned(),
    };
    if index.declarations(&symbol(old)).is_empty() {
        return Err(RenameError::UnknownField {
            tree: tree.to_owned(),
            name: old.to_owned(),
        });
    }
    let mut renamed = vec![None; files.len()];
    if old == new {
        return Ok(renamed);
    }
    if !index.references(&symbol(new)).is_empty() {
        return Err(RenameError::FieldExists {
            tree: tree.to_owned(),
            name: new.to_owned(),
        });
    }
    let mut spans = vec![Vec::new(); files.len()];
    for (file, span) in index.references(&symbol(old)) {
        spans[file].push(span);
    }
    for (file, mut spans) in spans.into_iter().enumerate() {
        if spans.is_empty() {
            continue;
        }
        let text = files[file];
        let edited =
            replace(text, &mut spans, old, new).map_err(|span| RenameError::WouldBreak {
                file,
                line: line_of(text, span),
            })?;
        let (_, diagnostics) = syntax::parse(&edited);
        if let Some(error) = diagnostics.iter().find(|d| d.is_error()) {
            return Err(RenameError::WouldBreak {
                file,
                line: line_of(&edited, error.span),
            });
        }
        renamed[file] = Some(edited);
    }
    Ok(renamed)
}

/// Whether `name` can be written everywhere a field name goes: each place is parsed and must
/// come back as that name.
fn is_field_name(name: &str) -> bool {
    let probe = format!(
        "tree probe\n  start: a\nfield {name}: number \"{{{name}}}\"\nnode a\n  ask {name}\n  \
         set {name} = {name} + 1\n  if answered({name}) -> a\n  else -> a\n\
         test \"t\"\n  answer {name} 1\n  expect field {name} = 1\n"
    );
    let (file, diagnostics) = syntax::parse(&probe);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return false;
    }
    let index = SymbolIndex::new(&[&file]);
    let symbol = Symbol::Variable {
        scope: "probe".to_owned(),
        name: name.to_owned(),
    };
    index.references(&symbol).len() == 8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Project, SourceInput};

    const SUPPORT: &str = "\
tree support \"Support\"
  start: hello
field plan: choice(basic, pro) \"Plan for {account}\"
field account: text \"Account\"  # account number
node hello \"Hi {account}\"
  ask account, plan
  if answered(account) and plan == basic -> hello
  else -> bye
node bye
  call closing -> hello
test \"t\"
  answer account \"1\"
  expect field account = \"1\"
";

    const CLOSING: &str = "tree closing\n  start: bye\nfield account: text\nnode bye\n  say \"Bye {account}\"\n  return\n";
    const OTHER: &str =
        "tree other\n  start: a\nfield account: number\nnode a\n  ask account\n  end resolved\n";
    const TESTS: &str = "tests for support\ntest \"u\"\n  answer account \"2\"\n";

    #[test]
    fn renames_through_the_group_and_nothing_else() {
        let files = [SUPPORT, CLOSING, OTHER, TESTS];
        let renamed = rename_field(&files, "support", "account", "customer_id").unwrap();
        assert_eq!(
            renamed[0].as_deref(),
            Some(
                SUPPORT
                    .replace("account", "customer_id")
                    .replace("# customer_id number", "# account number")
                    .as_str()
            )
        );
        assert_eq!(
            renamed[1].as_deref(),
            Some(CLOSING.replace("account", "customer_id").as_str())
        );
        assert_eq!(renamed[2], None, "an unrelated tree keeps its field");
        assert_eq!(
            renamed[3].as_deref(),
            Some(TESTS.replace("account", "customer_id").as_str())
        );
        let load = |texts: Vec<String>| {
            Project::load(
                texts
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| SourceInput::new(format!("f{i}.tree"), t))
                    .collect(),
            )
        };
        let after: Vec<String> = files
            .iter()
            .zip(&renamed)
            .map(|(t, r)| r.clone().unwrap_or_else(|| (*t).to_owned()))
            .collect();
        let codes = |p: &Project| {
            p.all_diagnostics()
                .map(|(_, d)| d.code.id)
                .collect::<Vec<_>>()
        };
        let before = load(files.iter().map(|t| (*t).to_owned()).collect());
        assert_eq!(codes(&before), codes(&load(after)));
    }

    #[test]
    fn a_choice_value_of_the_same_spelling_stays() {
        let renamed = rename_field(&[SUPPORT], "support", "plan", "tier").unwrap();
        let edited = renamed[0].as_deref().unwrap();
        assert!(edited.contains("field tier: choice(basic, pro)"));
        assert!(edited.contains("tier == basic"));
        assert!(edited.contains("ask account, tier"));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            rename_field(&[SUPPORT], "support", "account", "a b"),
            Err(RenameError::InvalidFieldName { name: "a b".into() })
        );
        for bad in ["", "yes", "2x", "x}", "x\n"] {
            assert!(
                rename_field(&[SUPPORT], "support", "account", bad).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            rename_field(&[SUPPORT], "nope", "account", "x"),
            Err(RenameError::UnknownTree("nope".into()))
        );
        assert_eq!(
            rename_field(&[SUPPORT], "support", "nothing", "x"),
            Err(RenameError::UnknownField {
                tree: "support".into(),
                name: "nothing".into()
            })
        );
        assert_eq!(
            rename_field(&[SUPPORT], "support", "account", "plan"),
            Err(RenameError::FieldExists {
                tree: "support".into(),
                name: "plan".into()
            })
        );
        let broken = format!("{TESTS}  answr x\n");
        assert!(matches!(
            rename_field(&[SUPPORT, &broken], "support", "account", "x"),
            Err(RenameError::BlockedBySyntax { file: 1, .. })
        ));
        assert_eq!(
            rename_field(&[SUPPORT], "support", "account", "account"),
            Ok(vec![None])
        );
    }
}
