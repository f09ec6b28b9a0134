//! The shapes of the manifest's own names, shared by the validator (which checks them and
//! suggests a fix) and the importer (which makes them from display names): a namespace, an
//! application key, and [`slug`], the one way to turn any text into a key.

/// The longest application key.
pub const MAX_APP_KEY_LEN: usize = 64;

/// Whether `text` is a namespace: `[a-z0-9-]{1,32}`.
pub fn is_namespace(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `text` is an application key: `[a-z0-9][a-z0-9-]{0,63}`.
pub fn is_app_key(text: &str) -> bool {
    let bytes = text.as_bytes();
    (1..=MAX_APP_KEY_LEN).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// `text` as a key: ASCII letters and digits lower-cased, every other run of characters one
/// `-` (none at either end), at most [`MAX_APP_KEY_LEN`] long. Empty when `text` has no ASCII
/// letter or digit.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(MAX_APP_KEY_LEN).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_namespaces() {
        assert!(is_namespace("platform-1"));
        assert!(!is_namespace("Platform"));
        assert!(!is_namespace(&"a".repeat(33)));
        assert!(is_app_key("dicom-client"));
        assert!(!is_app_key("-dicom"));
        assert!(!is_app_key("Dicom_Client"));
        assert!(!is_app_key(&"a".repeat(65)));
    }

    #[test]
    fn slugs_are_keys() {
        assert_eq!(slug("Dicom_Client"), "dicom-client");
        assert_eq!(slug("  My App (prod)  "), "my-app-prod");
        assert_eq!(slug("Ärzte"), "rzte");
        assert_eq!(slug("日本"), "");
        let long = format!("{}-x", "a".repeat(63));
        assert_eq!(slug(&long), "a".repeat(63));
        assert!(is_app_key(&slug(&"Word ".repeat(40))));
    }
}
