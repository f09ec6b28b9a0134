//! GUIDs as Graph and ARM write them: the one definition of what a GUID looks like and how two
//! compare.
//!
//! Graph and ARM treat GUIDs case-insensitively (`00000003-0000-0000-C000-000000000000` is
//! Microsoft Graph's appId as much as the lowercase form), while the text a user or the tenant
//! wrote is what a plan shows. So a [`Guid`] keeps the text as written, displays it as written,
//! and compares, orders and hashes it ASCII-case-insensitively. [`Guid::same`] is that
//! comparison for ids still held as text.
//!
//! What it does not do: accept the other spellings `uuid` parses (braces, `urn:uuid:`, 32 bare
//! hex digits). Graph only writes and accepts the hyphenated 8-4-4-4-12 form, so a manifest
//! value in another form is not taken for a GUID.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

/// A GUID in Graph's `8-4-4-4-12` hex form, as written. Equality, order and hash ignore ASCII
/// case; [`Display`](fmt::Display) shows the text as written ([`Guid::to_lowercase`] gives the
/// form Registrar sends when it builds an id itself).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Guid(String);

impl Guid {
    /// The GUID `text` spells, if it is in the `8-4-4-4-12` hex form (either case, no braces,
    /// no surrounding space).
    pub fn parse(text: &str) -> Option<Guid> {
        const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
        let mut groups = text.split('-');
        for length in GROUPS {
            let group = groups.next()?;
            if group.len() != length || !group.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return None;
            }
        }
        if groups.next().is_some() {
            return None;
        }
        Some(Guid(text.to_owned()))
    }

    /// Whether two ids name the same object, as Graph compares GUIDs: ignoring ASCII case.
    /// Ids read from the tenant are compared this way without being validated first (a
    /// malformed id simply matches nothing but itself).
    pub fn same(a: &str, b: &str) -> bool {
        a.eq_ignore_ascii_case(b)
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercase form.
    pub fn to_lowercase(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    fn folded(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.bytes().map(|byte| byte.to_ascii_lowercase())
    }
}

impl PartialEq for Guid {
    fn eq(&self, other: &Self) -> bool {
        Self::same(&self.0, &other.0)
    }
}

impl Eq for Guid {}

impl PartialEq<str> for Guid {
    fn eq(&self, other: &str) -> bool {
        Self::same(&self.0, other)
    }
}

impl PartialEq<&str> for Guid {
    fn eq(&self, other: &&str) -> bool {
        Self::same(&self.0, other)
    }
}

impl Ord for Guid {
    fn cmp(&self, other: &Self) -> Ordering {
        self.folded().cmp(other.folded())
    }
}

impl PartialOrd for Guid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Guid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for byte in self.folded() {
            state.write_u8(byte);
        }
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Guid {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Guid::parse(&text).ok_or_else(|| format!("`{text}` is not a GUID"))
    }
}

impl From<Guid> for String {
    fn from(guid: Guid) -> String {
        guid.0
    }
}

impl AsRef<str> for Guid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

    #[test]
    fn parses_the_hyphenated_form_only() {
        assert!(Guid::parse(GRAPH).is_some());
        assert!(Guid::parse("ACDD72A7-3385-48EF-BD42-F606FBA81AE7").is_some());
        for not_graph_form in [
            "",
            "{00000003-0000-0000-c000-000000000000}",
            "urn:uuid:00000003-0000-0000-c000-000000000000",
            "0000000300000000c000000000000000",
            "00000003000000000c000000000000000000",
            " 00000003-0000-0000-c000-000000000000",
            "00000003-0000-0000-c000-00000000000g",
            "00000003-0000-0000-c000-000000000000-0",
            "00000003-0000-0000-c0000-00000000000",
            "Microsoft Graph",
        ] {
            assert!(Guid::parse(not_graph_form).is_none(), "{not_graph_form}");
        }
    }

    #[test]
    fn compares_orders_and_hashes_without_case() {
        let lower = Guid::parse(GRAPH).unwrap();
        let upper = Guid::parse(&GRAPH.to_uppercase()).unwrap();
        assert_eq!(lower, upper);
        assert_eq!(lower.cmp(&upper), Ordering::Equal);
        assert_eq!(HashSet::from([lower.clone(), upper.clone()]).len(), 1);
        assert_eq!(upper.to_string(), GRAPH.to_uppercase());
        assert_eq!(upper.to_lowercase(), GRAPH);
        assert!(upper == GRAPH);
        assert!(Guid::same("ABC", "abc"));
        assert!(!Guid::same("abc", "abd"));
    }

    #[test]
    fn serializes_as_written_and_rejects_non_guids() {
        let upper = GRAPH.to_uppercase();
        let guid: Result<Guid, _> = serde_json::from_value(serde_json::json!(upper));
        assert_eq!(
            guid.ok().map(|guid| serde_json::to_value(guid).ok()),
            Some(Some(serde_json::json!(upper)))
        );
        assert!(serde_json::from_value::<Guid>(serde_json::json!("nope")).is_err());
    }
}
