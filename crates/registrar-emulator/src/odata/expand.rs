//! `$expand` on directory collections: the one relationship a request expands, with its nested
//! `$select`, and the `in` clause's limit of [`MAX_IN_VALUES`] values, as Graph's known issues
//! describe them.

use super::{Filter, MAX_IN_VALUES};
use crate::api::{ApiResponse, bad_request, unsupported_query};

/// One expanded relationship: `owners` or `owners($select=id,displayName)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expand {
    /// The relationship, as the collection names it.
    pub(crate) property: String,
    /// The nested `$select`.
    pub(crate) select: Option<Vec<String>>,
}

/// Parses `$expand` against the relationships `expandable` names. Graph expands one level, and
/// the emulator one relationship per request; the only nested option is `$select`.
pub(super) fn parse_expand(
    text: &str,
    type_name: &str,
    expandable: &[&str],
) -> Result<Expand, ApiResponse> {
    let text = text.trim();
    let (name, nested) = match text.find('(') {
        Some(open) if text.ends_with(')') => (&text[..open], Some(&text[open + 1..text.len() - 1])),
        Some(_) => return Err(bad_request(&format!("Invalid $expand clause: {text}"))),
        None => (text, None),
    };
    if name.contains(',') {
        return Err(unsupported_query(
            "The local emulator expands one relationship per request.",
        ));
    }
    let Some(property) = expandable
        .iter()
        .find(|allowed| allowed.eq_ignore_ascii_case(name.trim()))
    else {
        return Err(bad_request(&format!(
            "Could not find a property named '{}' on type '{type_name}'.",
            name.trim()
        )));
    };
    let mut select = None;
    for option in nested.into_iter().flat_map(|nested| nested.split(';')) {
        let (key, value) = option.split_once('=').unwrap_or((option, ""));
        match key.trim().to_ascii_lowercase().as_str() {
            "$select" | "select" => {
                select = Some(
                    value
                        .split(',')
                        .map(|field| field.trim().to_owned())
                        .filter(|field| !field.is_empty())
                        .collect(),
                );
            }
            "$expand" | "expand" => {
                return Err(bad_request(
                    "Only one level of $expand is supported on directory objects.",
                ));
            }
            other => {
                return Err(unsupported_query(&format!(
                    "Query option '{other}' is not supported inside $expand."
                )));
            }
        }
    }
    Ok(Expand {
        property: (*property).to_owned(),
        select,
    })
}

/// Whether an `in` clause anywhere in `filter` holds more values than Graph allows.
pub(super) fn too_many_in_values(filter: &Filter) -> Option<usize> {
    match filter {
        Filter::And(left, right) | Filter::Or(left, right) => {
            too_many_in_values(left).or_else(|| too_many_in_values(right))
        }
        Filter::Not(inner) => too_many_in_values(inner),
        Filter::Any { predicate, .. } => too_many_in_values(predicate),
        Filter::In { values, .. } if values.len() > MAX_IN_VALUES => Some(values.len()),
        _ => None,
    }
}
