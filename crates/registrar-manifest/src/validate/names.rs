//! Lexical rules for names and identifiers: GUIDs, namespaces, application keys, permission
//! values, Key Vault names, federated credential names and ARM scopes.
//!
//! Each function is pure and answers for one string; the callers turn answers into located
//! diagnostics.

use registrar_model::Guid;

/// Whether `text` looks like an attempt at a GUID (hex digits and hyphens, at least 8 long), so
/// a malformed one is reported as a bad GUID rather than an unknown name.
pub(crate) fn looks_like_guid(text: &str) -> bool {
    text.len() >= 8 && text.contains('-') && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

pub(crate) use registrar_model::names::{is_app_key, is_namespace, slug};

/// Why `value` cannot be an appRole or scope value (Graph: at most 120 characters of
/// `0-9 A-Z a-z` and ``: ! # $ % & ' ( ) * + , - . / ; < = > ? @ [ ] ^ _ ` { | } ~``, no spaces).
pub(crate) fn permission_value_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is empty".to_owned());
    }
    if value.chars().count() > 120 {
        return Some("is longer than 120 characters".to_owned());
    }
    if value.contains(char::is_whitespace) {
        return Some("contains a space".to_owned());
    }
    const ALLOWED_PUNCTUATION: &str = ":!#$%&'()*+,-./;<=>?@[]^_`{|}~";
    value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ALLOWED_PUNCTUATION.contains(*c)))
        .map(|c| format!("contains `{c}`, which Graph does not allow"))
}

/// Why `name` cannot be a Key Vault name (3-24 characters, letters, digits and hyphens, starts
/// with a letter, ends with a letter or digit, no `--`).
pub(crate) fn key_vault_name_problem(name: &str) -> Option<&'static str> {
    if !(3..=24).contains(&name.len()) {
        return Some("must be 3 to 24 characters long");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Some("may contain only letters, digits and hyphens");
    }
    if !name.as_bytes()[0].is_ascii_alphabetic() {
        return Some("must start with a letter");
    }
    if !name.as_bytes()[name.len() - 1].is_ascii_alphanumeric() {
        return Some("must end with a letter or digit");
    }
    if name.contains("--") {
        return Some("may not contain consecutive hyphens");
    }
    None
}

/// `^[0-9a-zA-Z-]{1,127}$`.
pub(crate) fn is_key_vault_secret_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether a federated credential name is URL-safe (RFC 3986 unreserved characters) and at most
/// 120 characters.
pub(crate) fn federated_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.chars().count() > 120 {
        return Some("is longer than 120 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    {
        return Some("is not URL-safe (use letters, digits, `-`, `.`, `_` and `~`)");
    }
    None
}

/// Why `scope` is not an ARM scope Registrar accepts, as a hint; `None` when it is one.
///
/// Accepted: `/subscriptions/{guid}`, `…/resourceGroups/{name}`, and below either
/// `/providers/{Namespace}/{type}/{name}[/{type}/{name}…]`; or
/// `/providers/Microsoft.Management/managementGroups/{name}`. Segment names compare
/// case-insensitively, as ARM does. Refused besides: a trailing `/`, empty segments (`//`),
/// `.` or `..` segments, and `%`, `\`, `?`, `#` or white space anywhere.
pub(crate) fn arm_scope_problem(scope: &str) -> Option<String> {
    const EXAMPLE: &str = "a scope looks like `/subscriptions/{id}/resourceGroups/{name}` or `/providers/Microsoft.Management/managementGroups/{name}`";
    if !scope.starts_with('/') {
        let lower = scope.to_ascii_lowercase();
        if lower.starts_with("subscriptions/") || lower.starts_with("providers/") {
            return Some(format!("did you mean `/{scope}`?"));
        }
        return Some(EXAMPLE.to_owned());
    }
    let segments: Vec<&str> = scope[1..].split('/').collect();
    // ARM resolves a scope as a URL path: `.`, `..` and escapes would make the scope written
    // (and shown in the plan) differ from the one the role is assigned at.
    if segments
        .iter()
        .any(|segment| *segment == "." || *segment == "..")
    {
        return Some(
            "remove the `.` and `..` segments: a scope is an ARM resource id, not a path, and is used as written"
                .to_owned(),
        );
    }
    if let Some(c) = scope
        .chars()
        .find(|c| "%\\?#".contains(*c) || c.is_whitespace() || c.is_control())
    {
        return Some(format!(
            "remove the `{}`: a scope holds no escapes, queries, fragments or spaces",
            c.escape_default()
        ));
    }
    if segments.iter().any(|segment| segment.is_empty()) {
        return Some(if scope.ends_with('/') {
            format!("remove the trailing `/`: `{}`", scope.trim_end_matches('/'))
        } else {
            "remove the empty segment (`//`)".to_owned()
        });
    }
    let first = segments[0].to_ascii_lowercase();
    if first == "providers" {
        return management_group_problem(&segments);
    }
    if first != "subscriptions" {
        if strsim::levenshtein(&first, "subscriptions") <= 3 {
            let mut fixed = segments.clone();
            fixed[0] = "subscriptions";
            return Some(format!("did you mean `/{}`?", fixed.join("/")));
        }
        return Some(EXAMPLE.to_owned());
    }
    let Some(subscription) = segments.get(1) else {
        return Some("add the subscription id: `/subscriptions/{id}`".to_owned());
    };
    if Guid::parse(subscription).is_none() {
        return Some(format!(
            "the subscription id `{subscription}` is not a GUID"
        ));
    }
    let rest = &segments[2..];
    if rest.is_empty() {
        return None;
    }
    let next = rest[0].to_ascii_lowercase();
    if next == "providers" {
        return resource_problem(&rest[1..]);
    }
    if next != "resourcegroups" {
        if strsim::levenshtein(&next, "resourcegroups") <= 3 {
            let mut fixed = segments.clone();
            fixed[2] = "resourceGroups";
            return Some(format!("did you mean `/{}`?", fixed.join("/")));
        }
        return Some(EXAMPLE.to_owned());
    }
    let Some(group) = rest.get(1) else {
        return Some("add the resource group name: `…/resourceGroups/{name}`".to_owned());
    };
    if let Some(problem) = resource_group_problem(group) {
        return Some(problem);
    }
    let rest = &rest[2..];
    if rest.is_empty() {
        return None;
    }
    if !rest[0].eq_ignore_ascii_case("providers") {
        return Some(
            "below a resource group comes `/providers/{Namespace}/{type}/{name}`".to_owned(),
        );
    }
    resource_problem(&rest[1..])
}

fn management_group_problem(segments: &[&str]) -> Option<String> {
    let hint =
        "a management group scope is `/providers/Microsoft.Management/managementGroups/{name}`";
    if segments.len() != 4
        || !segments[1].eq_ignore_ascii_case("Microsoft.Management")
        || !segments[2].eq_ignore_ascii_case("managementGroups")
    {
        return Some(hint.to_owned());
    }
    let name = segments[3];
    let valid = (1..=90).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_().".contains(&b))
        && !name.ends_with('.');
    (!valid).then(|| format!("management group name `{name}` is not valid (1-90 letters, digits, `-_().`, not ending with `.`)"))
}

fn resource_group_problem(name: &str) -> Option<String> {
    let valid = (1..=90).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.()".contains(c))
        && !name.ends_with('.');
    (!valid).then(|| format!("resource group name `{name}` is not valid (1-90 letters, digits, `-_.()`, not ending with `.`)"))
}

/// `{Namespace}/{type}/{name}[/{type}/{name}…]` after `providers/`.
fn resource_problem(segments: &[&str]) -> Option<String> {
    let hint = "below `providers` comes `{Namespace}/{type}/{name}`, e.g. `Microsoft.Storage/storageAccounts/stdata`";
    let Some(namespace) = segments.first() else {
        return Some(hint.to_owned());
    };
    if !namespace.contains('.') {
        return Some(format!(
            "`{namespace}` is not a resource provider namespace; {hint}"
        ));
    }
    let types_and_names = &segments[1..];
    if types_and_names.is_empty() || !types_and_names.len().is_multiple_of(2) {
        return Some(hint.to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        // What a GUID is: `registrar_model::Guid::parse` (tested there).
        assert!(looks_like_guid("00000003-0000-0000-c000-00000000000"));
        assert!(!looks_like_guid("Microsoft Graph"));
    }

    #[test]
    fn permission_values() {
        assert_eq!(permission_value_problem("Dicom.ReadWrite"), None);
        assert_eq!(permission_value_problem("a:b/c@d"), None);
        assert_eq!(
            permission_value_problem("Read All").as_deref(),
            Some("contains a space")
        );
        assert_eq!(
            permission_value_problem("Lé").as_deref(),
            Some("contains `é`, which Graph does not allow")
        );
        assert!(permission_value_problem(&"a".repeat(121)).is_some());
    }

    #[test]
    fn vault_names() {
        assert_eq!(key_vault_name_problem("kv-platform"), None);
        assert!(key_vault_name_problem("kv").is_some());
        assert!(key_vault_name_problem("1kv").is_some());
        assert!(key_vault_name_problem("kv--a").is_some());
        assert!(key_vault_name_problem("kv-a-").is_some());
        assert!(key_vault_name_problem("kv_a").is_some());
        assert!(is_key_vault_secret_name("dicom-client-ci"));
        assert!(!is_key_vault_secret_name("dicom_client"));
    }

    #[test]
    fn arm_scopes() {
        let sub = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e";
        assert_eq!(arm_scope_problem(sub), None);
        assert_eq!(
            arm_scope_problem(&format!("{sub}/resourceGroups/rg-001")),
            None
        );
        assert_eq!(
            arm_scope_problem(&format!("{sub}/resourcegroups/rg-001")),
            None
        );
        assert_eq!(
            arm_scope_problem(&format!(
                "{sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
            )),
            None
        );
        assert_eq!(
            arm_scope_problem(&format!(
                "{sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default"
            )),
            None
        );
        assert_eq!(
            arm_scope_problem("/providers/Microsoft.Management/managementGroups/mg-1"),
            None
        );
        assert_eq!(
            arm_scope_problem("/subscription/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e").as_deref(),
            Some("did you mean `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e`?")
        );
        assert_eq!(
            arm_scope_problem("subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e").as_deref(),
            Some("did you mean `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e`?")
        );
        assert!(arm_scope_problem("/subscriptions/not-a-guid").is_some());
        // Path tricks: shown as one scope, resolved by ARM as another.
        for tricky in [
            format!(
                "{sub}/providers/Microsoft.X/a/b/../../../../subscriptions/bbbb0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
            ),
            format!("{sub}/resourceGroups/rg/providers/Microsoft.X/a/./b/c"),
            format!("{sub}/resourceGroups/rg/providers/Microsoft.X/a/%2e%2e"),
            format!("{sub}/resourceGroups/rg/providers/Microsoft.X/a/b?x=1"),
            format!("{sub}/resourceGroups/rg\\..\\x"),
            format!("{sub}//resourceGroups/rg"),
            format!("{sub}/resourceGroups/rg/"),
        ] {
            assert!(arm_scope_problem(&tricky).is_some(), "{tricky}");
        }
        assert!(arm_scope_problem(&format!("{sub}/")).is_some());
        assert!(arm_scope_problem(&format!("{sub}/resourceGroup/rg")).is_some());
        assert!(
            arm_scope_problem(&format!(
                "{sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts"
            ))
            .is_some()
        );
        assert!(arm_scope_problem("/providers/Microsoft.Management/managementGroup/mg").is_some());
    }
}
