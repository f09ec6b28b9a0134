//! Values that exist only after apply, as the operations of a plan spell them: the
//! application's own appId (`{appId}`, inside identifier URIs such as `api://{appId}`) and the
//! appId of another application created in the same apply (`{appId:<key>}`, a whole value).
//!
//! The planner writes them, the executor replaces them with the ids the creates returned;
//! [`ApplicationSettings::retain_app_id_references`](crate::ApplicationSettings::retain_app_id_references)
//! lists the places that can hold an `{appId:<key>}`.

use std::fmt;

/// Stands for the application's own appId in identifier URIs: `api://{appId}`.
pub const APP_ID_PLACEHOLDER: &str = "{appId}";

/// The appId of an application of this manifest that is created earlier in the same apply, by
/// manifest key: `{appId:<key>}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlannedAppId {
    /// The manifest key of the application.
    pub key: String,
}

impl PlannedAppId {
    /// The placeholder for the application with this manifest key.
    pub fn new(key: impl Into<String>) -> Self {
        Self { key: key.into() }
    }

    /// The placeholder `text` is, if it is one (the whole text, not a part of it).
    pub fn parse(text: &str) -> Option<PlannedAppId> {
        let key = text.strip_prefix("{appId:")?.strip_suffix('}')?;
        Some(Self::new(key))
    }
}

impl fmt::Display for PlannedAppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{appId:{}}}", self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_app_id_round_trips() {
        let placeholder = PlannedAppId::new("dicom-api");
        assert_eq!(placeholder.to_string(), "{appId:dicom-api}");
        assert_eq!(PlannedAppId::parse("{appId:dicom-api}"), Some(placeholder));
        assert_eq!(PlannedAppId::parse(APP_ID_PLACEHOLDER), None);
        assert_eq!(PlannedAppId::parse("x{appId:a}"), None);
        assert_eq!(
            PlannedAppId::parse("00000003-0000-0000-c000-000000000000"),
            None
        );
    }
}
