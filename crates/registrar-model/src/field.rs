//! The application's Graph properties as [`ApplicationSettings`](crate::ApplicationSettings)
//! holds them: the unit a PATCH sends whole, and the key of the planner's attributes.
//!
//! Every crate that touches a property matches [`ApplicationField`] exhaustively (the wire
//! writer in `registrar-azure`, the planner's attributes in `registrar-plan`), so a new property
//! is a compile error everywhere it is not yet handled.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares [`ApplicationField`] and its [`ApplicationField::ALL`] from one list, so the full
/// list cannot miss a variant.
macro_rules! application_fields {
    ($($(#[$doc:meta])* $variant:ident,)*) => {
        /// One top-level property of [`ApplicationSettings`](crate::ApplicationSettings).
        /// Complex objects and collections are one field each: Graph replaces them whole.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ApplicationField {
            $($(#[$doc])* $variant,)*
        }

        impl ApplicationField {
            /// Every field, in the order of [`ApplicationSettings`](crate::ApplicationSettings)
            /// (the order of a create body and of the plan's attributes).
            pub const ALL: &'static [ApplicationField] = &[$(Self::$variant,)*];
        }
    };
}

application_fields! {
    /// `displayName`.
    DisplayName,
    /// `description`.
    Description,
    /// `notes`.
    Notes,
    /// `signInAudience`.
    SignInAudience,
    /// `identifierUris`.
    IdentifierUris,
    /// `tags`.
    Tags,
    /// `web`.
    Web,
    /// `spa` (its `redirectUris`).
    SpaRedirectUris,
    /// `publicClient` (its `redirectUris`).
    PublicClientRedirectUris,
    /// `isFallbackPublicClient` (the manifest's `allowPublicClientFlows`).
    IsFallbackPublicClient,
    /// `groupMembershipClaims`.
    GroupMembershipClaims,
    /// `serviceManagementReference`.
    ServiceManagementReference,
    /// `info`.
    Info,
    /// `optionalClaims`.
    OptionalClaims,
    /// `api`.
    Api,
    /// `appRoles`.
    AppRoles,
    /// `requiredResourceAccess`.
    RequiredResourceAccess,
    /// `servicePrincipalLockConfiguration` (the manifest's `instanceLock`).
    ServicePrincipalLock,
}

impl ApplicationField {
    /// The Rust name of the settings field, e.g. `spa_redirect_uris` (what `changed_fields`
    /// serializes as and logs show).
    pub fn name(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Description => "description",
            Self::Notes => "notes",
            Self::SignInAudience => "sign_in_audience",
            Self::IdentifierUris => "identifier_uris",
            Self::Tags => "tags",
            Self::Web => "web",
            Self::SpaRedirectUris => "spa_redirect_uris",
            Self::PublicClientRedirectUris => "public_client_redirect_uris",
            Self::IsFallbackPublicClient => "is_fallback_public_client",
            Self::GroupMembershipClaims => "group_membership_claims",
            Self::ServiceManagementReference => "service_management_reference",
            Self::Info => "info",
            Self::OptionalClaims => "optional_claims",
            Self::Api => "api",
            Self::AppRoles => "app_roles",
            Self::RequiredResourceAccess => "required_resource_access",
            Self::ServicePrincipalLock => "service_principal_lock",
        }
    }

    /// The name a plan shows for this field, in the manifest's terms: `allow_public_client_flows`
    /// for `isFallbackPublicClient`, `spa.redirect_uris` for the SPA's redirect URIs. Fields
    /// shown as several attributes (`web`, `info`, `optional_claims`, `api`) are the prefix of
    /// their attributes' names (`web.home_page_url`).
    pub fn attribute_name(self) -> &'static str {
        match self {
            Self::SpaRedirectUris => "spa.redirect_uris",
            Self::PublicClientRedirectUris => "public_client.redirect_uris",
            Self::IsFallbackPublicClient => "allow_public_client_flows",
            Self::ServicePrincipalLock => "instance_lock",
            other => other.name(),
        }
    }

    /// The field with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|field| field.name() == name)
    }
}

impl fmt::Display for ApplicationField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for &field in ApplicationField::ALL {
            assert_eq!(ApplicationField::from_name(field.name()), Some(field));
            let json = serde_json::to_value(field).unwrap_or_default();
            assert_eq!(json, serde_json::Value::String(field.name().to_owned()));
        }
        let mut names: Vec<&str> = ApplicationField::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ApplicationField::ALL.len());
        assert_eq!(ApplicationField::from_name("nope"), None);
    }
}
