//! The closed vocabularies Graph spells as strings, as enums: the kind of a permission, the
//! consent type of a delegated grant, the kind of a directory object.
//!
//! Each knows its Graph spelling (the wire names stay words here so that the reader in
//! `registrar-azure` and the planner agree on one definition) and the words a plan shows.

use serde::{Deserialize, Serialize};

/// Whether a permission is delegated (an `oauth2PermissionScope`, requested as `Scope`) or an
/// application permission (an `appRole`, requested as `Role`). The catalog's files spell them
/// `delegated` and `application`, which is also how this serializes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionKind {
    /// An application permission: an app role with `allowedMemberTypes: [Application]`.
    Application,
    /// A delegated permission: an OAuth2 permission scope.
    Delegated,
}

impl PermissionKind {
    /// The other kind, used in "is an application permission; move it to roles" hints.
    pub fn other(self) -> Self {
        match self {
            Self::Application => Self::Delegated,
            Self::Delegated => Self::Application,
        }
    }

    /// Graph's `resourceAccess.type` for this kind: `Role` or `Scope`.
    pub fn resource_access_type(self) -> &'static str {
        match self {
            Self::Application => "Role",
            Self::Delegated => "Scope",
        }
    }

    /// The kind of a Graph `resourceAccess.type` (`Role` or `Scope`, compared without case).
    pub fn from_resource_access_type(text: &str) -> Option<Self> {
        [Self::Application, Self::Delegated]
            .into_iter()
            .find(|kind| kind.resource_access_type().eq_ignore_ascii_case(text))
    }
}

/// The `consentType` of an `oauth2PermissionGrant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConsentType {
    /// `AllPrincipals`: granted tenant-wide by an administrator (what Registrar manages).
    AllPrincipals,
    /// `Principal`: granted by or for one user.
    Principal,
}

impl ConsentType {
    /// Graph's spelling.
    pub fn as_graph(self) -> &'static str {
        match self {
            Self::AllPrincipals => "AllPrincipals",
            Self::Principal => "Principal",
        }
    }

    /// The consent type Graph spells `text` (compared without case).
    pub fn from_graph(text: &str) -> Option<Self> {
        [Self::AllPrincipals, Self::Principal]
            .into_iter()
            .find(|kind| kind.as_graph().eq_ignore_ascii_case(text))
    }
}

/// What kind of directory object an id or UPN names (Graph's `@odata.type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum DirectoryObjectKind {
    /// `#microsoft.graph.user`.
    User,
    /// `#microsoft.graph.servicePrincipal`.
    ServicePrincipal,
    /// `#microsoft.graph.group`.
    Group,
    /// `#microsoft.graph.application`.
    Application,
    /// Any other type, or none given.
    #[default]
    Other,
}

impl DirectoryObjectKind {
    /// Graph's `@odata.type` for this kind (`None` for [`DirectoryObjectKind::Other`]).
    pub fn odata_type(self) -> Option<&'static str> {
        match self {
            Self::User => Some("#microsoft.graph.user"),
            Self::ServicePrincipal => Some("#microsoft.graph.servicePrincipal"),
            Self::Group => Some("#microsoft.graph.group"),
            Self::Application => Some("#microsoft.graph.application"),
            Self::Other => None,
        }
    }

    /// The kind of a Graph `@odata.type` (with or without its `#microsoft.graph.` prefix).
    pub fn from_odata_type(odata_type: &str) -> Self {
        let name = odata_type.trim_start_matches("#microsoft.graph.");
        [
            Self::User,
            Self::ServicePrincipal,
            Self::Group,
            Self::Application,
        ]
        .into_iter()
        .find(|kind| {
            kind.odata_type()
                .is_some_and(|known| known.trim_start_matches("#microsoft.graph.") == name)
        })
        .unwrap_or(Self::Other)
    }

    /// How a plan names the kind: `user`, `service_principal`, `group`, `application`,
    /// `directory_object`.
    pub fn plan_name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ServicePrincipal => "service_principal",
            Self::Group => "group",
            Self::Application => "application",
            Self::Other => "directory_object",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_spellings_round_trip() {
        for kind in [PermissionKind::Application, PermissionKind::Delegated] {
            assert_eq!(
                PermissionKind::from_resource_access_type(kind.resource_access_type()),
                Some(kind)
            );
        }
        assert_eq!(
            PermissionKind::from_resource_access_type("scope"),
            Some(PermissionKind::Delegated)
        );
        assert_eq!(PermissionKind::from_resource_access_type("Both"), None);
        assert_eq!(
            ConsentType::from_graph("allprincipals"),
            Some(ConsentType::AllPrincipals)
        );
        assert_eq!(
            ConsentType::from_graph("Principal"),
            Some(ConsentType::Principal)
        );
        assert_eq!(ConsentType::from_graph(""), None);
        for kind in [
            DirectoryObjectKind::User,
            DirectoryObjectKind::ServicePrincipal,
            DirectoryObjectKind::Group,
            DirectoryObjectKind::Application,
        ] {
            let odata_type = kind.odata_type().unwrap_or_default();
            assert_eq!(DirectoryObjectKind::from_odata_type(odata_type), kind);
        }
        assert_eq!(
            DirectoryObjectKind::from_odata_type("#microsoft.graph.device"),
            DirectoryObjectKind::Other
        );
        assert_eq!(
            DirectoryObjectKind::from_odata_type("servicePrincipal").plan_name(),
            "service_principal"
        );
        assert_eq!(
            DirectoryObjectKind::from_odata_type("").plan_name(),
            "directory_object"
        );
    }
}
