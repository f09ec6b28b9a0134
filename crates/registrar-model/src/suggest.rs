//! "Did you mean": the one rule for suggesting a known name in place of a mistyped one, used
//! by manifest validation and by the planner alike.
//!
//! Names are compared case-insensitively. A candidate is close enough to suggest when its
//! Levenshtein distance from the input is at most a third of the input's length (at least 1,
//! at most 4), or when their Jaro-Winkler similarity is 0.9 or more (which catches long names
//! with a shared prefix). Of the close candidates the one with the smallest distance wins, then
//! the highest similarity, then the first in byte order, so the answer never depends on the
//! order the candidates come in.

use std::cmp::Ordering;

/// How close a candidate is to the input. Orders best first: `a < b` when `a` is the better
/// suggestion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Closeness {
    /// Levenshtein distance, case-insensitive.
    pub distance: usize,
    /// Jaro-Winkler similarity, case-insensitive (1.0 is identical).
    pub similarity: f64,
}

impl Closeness {
    /// How close `candidate` is to `input`, if close enough to suggest.
    pub fn of(input: &str, candidate: &str) -> Option<Closeness> {
        let input_lower = input.to_lowercase();
        let candidate_lower = candidate.to_lowercase();
        let max_distance = (input.chars().count() / 3).clamp(1, 4);
        let distance = strsim::levenshtein(&input_lower, &candidate_lower);
        let similarity = strsim::jaro_winkler(&input_lower, &candidate_lower);
        (distance <= max_distance || similarity >= 0.9).then_some(Closeness {
            distance,
            similarity,
        })
    }

    /// Better first: smaller distance, then higher similarity.
    pub fn rank(&self, other: &Closeness) -> Ordering {
        self.distance
            .cmp(&other.distance)
            .then_with(|| other.similarity.total_cmp(&self.similarity))
    }
}

/// The closest candidate and how close it is, if any is close enough.
pub fn closest_with_closeness<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<(&'c str, Closeness)> {
    let mut best: Option<(&'c str, Closeness)> = None;
    for candidate in candidates {
        let Some(closeness) = Closeness::of(input, candidate) else {
            continue;
        };
        let better = best.is_none_or(|(best_candidate, best_closeness)| {
            closeness
                .rank(&best_closeness)
                .then_with(|| candidate.cmp(best_candidate))
                == Ordering::Less
        });
        if better {
            best = Some((candidate, closeness));
        }
    }
    best
}

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn closest<'c>(input: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    closest_with_closeness(input, candidates).map(|(candidate, _)| candidate)
}

/// ``did you mean `x`?`` for the closest candidate, if any.
pub fn did_you_mean<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    closest(input, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_only() {
        assert_eq!(
            closest("redirectUri", ["redirectUris", "homePageUrl"]),
            Some("redirectUris")
        );
        assert_eq!(
            closest("user.read", ["User.Read", "User.ReadWrite"]),
            Some("User.Read")
        );
        assert_eq!(closest("zzz", ["redirectUris"]), None);
        assert_eq!(closest("nobody", ["api", "dicom-viewer"]), None);
    }

    #[test]
    fn does_not_depend_on_candidate_order() {
        assert_eq!(closest("ab", ["ac", "aa"]), Some("aa"));
        assert_eq!(closest("ab", ["aa", "ac"]), Some("aa"));
    }

    #[test]
    fn did_you_mean_words_the_hint() {
        assert_eq!(
            did_you_mean("Platform Deployr", ["Reader", "Platform Deployer"]),
            Some("did you mean `Platform Deployer`?".to_owned())
        );
    }
}
