//! In-source suppressions: `# registrar:allow RULE reason`, read from the file's text since the
//! YAML parser drops comments.
//!
//! A comment after a value covers findings on its own line; a comment on a line of its own
//! covers findings on the next line that is neither blank nor a comment. `RULE` is an id
//! (`RL012`) or a name (`privileged-application-permission`), several separated by commas; the
//! reason is the rest of the line and must not be empty. A comment that names no known rule or
//! gives no reason suppresses nothing and is itself a finding (`RL000`).

use registrar_model::Origin;

use crate::finding::{Detail, Finding, Suppression, SuppressionProblem};
use crate::rules::Rule;

/// The marker that starts a suppression inside a comment.
const MARKER: &str = "registrar:allow";

/// One parsed suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allow {
    /// The rules it names.
    pub(crate) rules: Vec<Rule>,
    /// The reason.
    pub(crate) reason: String,
    /// Where the comment is.
    pub(crate) origin: Origin,
    /// The 1-based line it covers.
    pub(crate) covers: usize,
}

/// The suppressions of one file, and findings for the comments that are refused.
pub(crate) fn parse(text: &str, file: &str) -> (Vec<Allow>, Vec<Finding>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut allows = Vec::new();
    let mut refused = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((column, comment)) = comment_of(line) else {
            continue;
        };
        let Some(rest) = comment
            .trim_start_matches('#')
            .trim_start()
            .strip_prefix(MARKER)
        else {
            continue;
        };
        let origin = Origin {
            file: file.to_owned(),
            line: index + 1,
            column,
        };
        let own_line = line[..column - 1].trim().is_empty();
        let covers = if own_line {
            next_content_line(&lines, index + 1)
        } else {
            index + 1
        };
        let rest = rest.trim();
        let (names, reason) = rest
            .split_once(char::is_whitespace)
            .map_or((rest, ""), |(names, reason)| (names, reason.trim()));
        let mut rules = Vec::new();
        let mut problem = None;
        for name in names.split(',').filter(|name| !name.is_empty()) {
            match Rule::parse(name) {
                Some(rule) => rules.push(rule),
                None => problem = Some(SuppressionProblem::UnknownRule(name.to_owned())),
            }
        }
        if rules.is_empty() && problem.is_none() {
            problem = Some(SuppressionProblem::NoRule);
        }
        if problem.is_none() && reason.is_empty() {
            problem = Some(SuppressionProblem::NoReason);
        }
        match problem {
            Some(problem) => refused.push(Finding {
                rule: Rule::InvalidSuppression,
                severity: Rule::InvalidSuppression.default_severity(),
                origin,
                application: String::new(),
                detail: Detail::InvalidSuppression(problem),
                suppression: None,
            }),
            None => allows.push(Allow {
                rules,
                reason: reason.to_owned(),
                origin,
                covers,
            }),
        }
    }
    (allows, refused)
}

/// The 1-based line after `from` (0-based index) that holds content; past the end when none.
fn next_content_line(lines: &[&str], from: usize) -> usize {
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, line)| {
            let trimmed = line.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })
        .map_or(lines.len() + 1, |(index, _)| index + 1)
}

/// Where a line's comment starts (1-based column of the `#`) and the comment: a `#` at the start
/// or after whitespace, outside quotes.
fn comment_of(line: &str) -> Option<(usize, &str)> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (offset, character) in line.char_indices() {
        match quote {
            Some(open) if character == open => quote = None,
            Some(_) => {}
            None if character == '"' || character == '\'' => quote = Some(character),
            None if character == '#' && previous.is_whitespace() => {
                let column = line[..offset].chars().count() + 1;
                return Some((column, &line[offset..]));
            }
            None => {}
        }
        previous = character;
    }
    None
}

/// Attaches to each finding the first suppression of its file that covers its line and names
/// its rule.
pub(crate) fn apply(findings: &mut [Finding], allows: &[Allow]) {
    for finding in findings {
        if finding.rule == Rule::InvalidSuppression {
            continue;
        }
        finding.suppression = allows
            .iter()
            .find(|allow| {
                allow.origin.file == finding.origin.file
                    && allow.covers == finding.origin.line
                    && allow.rules.contains(&finding.rule)
            })
            .map(|allow| Suppression {
                origin: allow.origin.clone(),
                reason: allow.reason.clone(),
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_and_own_line_comments_cover_the_right_lines() {
        let text = "a: 1 # registrar:allow RL001 we need it\n# registrar:allow too-few-owners,RL012 two reasons here\n\n# another comment\nb: 2\nc: \"# registrar:allow RL001 in a string\"\n";
        let (allows, refused) = parse(text, "m.yaml");
        assert!(refused.is_empty());
        assert_eq!(allows.len(), 2);
        assert_eq!(allows[0].covers, 1);
        assert_eq!(allows[0].rules, vec![Rule::ImplicitGrant]);
        assert_eq!(allows[0].reason, "we need it");
        assert_eq!(allows[0].origin.column, 6);
        assert_eq!(allows[1].covers, 5);
        assert_eq!(
            allows[1].rules,
            vec![Rule::TooFewOwners, Rule::PrivilegedApplicationPermission]
        );
    }

    #[test]
    fn unknown_rules_and_missing_reasons_are_findings() {
        let text = "a: 1 # registrar:allow RL999 because\nb: 2 # registrar:allow RL001\nc: 3 # registrar:allow\n";
        let (allows, refused) = parse(text, "m.yaml");
        assert!(allows.is_empty());
        let problems: Vec<&Detail> = refused.iter().map(|finding| &finding.detail).collect();
        assert_eq!(
            problems,
            vec![
                &Detail::InvalidSuppression(SuppressionProblem::UnknownRule("RL999".into())),
                &Detail::InvalidSuppression(SuppressionProblem::NoReason),
                &Detail::InvalidSuppression(SuppressionProblem::NoRule),
            ]
        );
    }
}
