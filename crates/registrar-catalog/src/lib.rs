//! The real catalog data Registrar ships with: Microsoft Graph's permissions, the well-known
//! first-party APIs and their permissions, and the Azure built-in roles, all with their real
//! GUIDs (see `catalog/README.md` at the workspace root for where each entry comes from).
//!
//! # Brief overview
//! [`catalog()`] returns the parsed [`Catalog`], built once from JSON embedded at compile time.
//! [`Catalog::api`] finds an [`Api`] by name, alias or appId; [`Api::permission`] finds a
//! [`Permission`] by value and [`PermissionKind`]; [`Catalog::role`] finds a [`BuiltinRole`];
//! [`Catalog::high_privilege`] gives an application permission's [`PrivilegeTier`] (critical or
//! high, `catalog/privilege-tiers.json`), which plans show and call out for review and
//! `registrar lint` flags.
//!
//! ```
//! let catalog = registrar_catalog::catalog();
//! let graph = catalog.api("Microsoft Graph").unwrap();
//! let user_read = graph.permission("User.Read", registrar_catalog::PermissionKind::Delegated).unwrap();
//! assert_eq!(user_read.id, "e1fe6dd8-ba31-4d61-89e7-88639da4683d");
//! assert_eq!(catalog.role("Reader").unwrap().id, "acdd72a7-3385-48ef-bd42-f606fba81ae7");
//! ```
//!
//! # Invariants
//! - Data only: no I/O at run time, no network, no clock. The JSON is embedded with
//!   `include_str!`, so a parse failure is a build-time bug caught by this crate's tests.
//! - GUIDs are never invented here; every id comes from the catalog files.

use std::sync::OnceLock;

use serde::Deserialize;

/// The appId of Microsoft Graph, the same in every tenant.
pub const MICROSOFT_GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

const GRAPH_PERMISSIONS_JSON: &str =
    include_str!("../../../catalog/microsoft-graph-permissions.json");
const FIRST_PARTY_APIS_JSON: &str = include_str!("../../../catalog/first-party-apis.json");
const BUILTIN_ROLES_JSON: &str = include_str!("../../../catalog/azure-builtin-roles.json");
const PRIVILEGE_TIERS_JSON: &str = include_str!("../../../catalog/privilege-tiers.json");

use registrar_model::Guid;
/// The kind of a permission; its home is `registrar-model`, the catalog's files spell it
/// `delegated` / `application`.
pub use registrar_model::PermissionKind;

/// One permission an API exposes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// The value used in tokens and manifests, e.g. `User.Read`.
    pub value: String,
    /// The permission's GUID (an appRole id or an oauth2PermissionScope id).
    pub id: String,
    /// Delegated or application.
    pub kind: PermissionKind,
    /// The display name shown on consent screens, where known.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether a delegated permission needs admin consent (advisory, see the catalog README).
    #[serde(default)]
    pub admin_consent_required: Option<bool>,
}

/// A well-known first-party API (its service principal exists in every tenant).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Api {
    /// The catalog name, e.g. `Microsoft Graph`.
    pub name: String,
    /// The service principal's display name where it differs from `name`.
    #[serde(default)]
    pub service_principal_display_name: Option<String>,
    /// Other names the API is known by.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The API's appId.
    pub app_id: String,
    /// The service principal names (identifier URIs) of the API.
    #[serde(default)]
    pub service_principal_names: Vec<String>,
    /// Every permission the API exposes.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

impl Api {
    /// The display name the API's service principal has in a tenant.
    pub fn display_name(&self) -> &str {
        self.service_principal_display_name
            .as_deref()
            .unwrap_or(&self.name)
    }

    /// Whether `name` names this API: its name, display name or an alias (case-insensitive), or
    /// its appId.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.display_name().eq_ignore_ascii_case(name)
            || Guid::same(&self.app_id, name)
            || self
                .aliases
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(name))
    }

    /// The permission with this value (case-sensitive, as Graph compares them) or GUID.
    pub fn permission(&self, value_or_id: &str, kind: PermissionKind) -> Option<&Permission> {
        self.permissions.iter().find(|permission| {
            permission.kind == kind
                && (permission.value == value_or_id || Guid::same(&permission.id, value_or_id))
        })
    }

    /// The permissions of one kind.
    pub fn permissions_of(&self, kind: PermissionKind) -> impl Iterator<Item = &Permission> {
        self.permissions
            .iter()
            .filter(move |permission| permission.kind == kind)
    }
}

/// An Azure built-in role definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuiltinRole {
    /// The role's name, e.g. `Reader`.
    pub role_name: String,
    /// The role definition's GUID, the same in every subscription.
    pub id: String,
    /// One line on what the role allows.
    #[serde(default)]
    pub description: String,
    /// Where the role can be assigned, if restricted (else `/`).
    #[serde(default)]
    pub assignable_scopes: Option<Vec<String>>,
}

/// How much an application permission allows, from the public Microsoft Graph tiering the
/// catalog README names. A permission in neither tier has no [`PrivilegeTier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrivilegeTier {
    /// Tier 0: a known path leads from the permission to Global Administrator.
    Critical,
    /// Tier 1: write access to sensitive data or settings, without a known path to Global
    /// Administrator.
    High,
}

impl PrivilegeTier {
    /// The tier's name as the catalog file and the JSON outputs spell it: `critical`, `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
        }
    }

    /// The tier's number in the source tiering: 0 or 1.
    pub fn number(self) -> u8 {
        match self {
            Self::Critical => 0,
            Self::High => 1,
        }
    }
}

/// An application permission in a privilege tier, so that granting it deserves a second look in
/// review.
#[derive(Debug, Clone)]
pub struct HighPrivilegePermission {
    /// The appId of the API that exposes it (Microsoft Graph for every entry today).
    pub resource_app_id: String,
    /// The permission's value, e.g. `RoleManagement.ReadWrite.Directory`.
    pub value: String,
    /// Its appRole id, the same as in the API's permission list.
    pub id: String,
    /// Its tier.
    pub tier: PrivilegeTier,
}

/// All catalog data.
#[derive(Debug)]
pub struct Catalog {
    /// Microsoft Graph first, then the other first-party APIs.
    pub apis: Vec<Api>,
    /// The Azure built-in roles.
    pub roles: Vec<BuiltinRole>,
    /// The application permissions of the critical and high privilege tiers, critical first.
    pub high_privilege: Vec<HighPrivilegePermission>,
}

impl Catalog {
    /// The API called `name` (name, alias or appId, case-insensitive).
    pub fn api(&self, name: &str) -> Option<&Api> {
        self.apis.iter().find(|api| api.is_named(name))
    }

    /// Microsoft Graph.
    pub fn graph(&self) -> &Api {
        // Parsing guarantees Graph is present: `parse` puts it first.
        &self.apis[0]
    }

    /// The built-in role with this name (case-insensitive) or GUID.
    pub fn role(&self, name_or_id: &str) -> Option<&BuiltinRole> {
        self.roles.iter().find(|role| {
            role.role_name.eq_ignore_ascii_case(name_or_id) || Guid::same(&role.id, name_or_id)
        })
    }

    /// The tier entry for the application permission `value_or_id` (its value, as Graph
    /// compares them, or its appRole id) of the API with appId `resource_app_id`, if the
    /// permission is in a tier. Delegated permissions are never in one.
    pub fn high_privilege(
        &self,
        resource_app_id: &str,
        value_or_id: &str,
    ) -> Option<&HighPrivilegePermission> {
        self.high_privilege.iter().find(|entry| {
            Guid::same(&entry.resource_app_id, resource_app_id)
                && (entry.value == value_or_id || Guid::same(&entry.id, value_or_id))
        })
    }

    /// The tier of an application permission, as [`Self::high_privilege`] finds it.
    pub fn privilege_tier(
        &self,
        resource_app_id: &str,
        value_or_id: &str,
    ) -> Option<PrivilegeTier> {
        self.high_privilege(resource_app_id, value_or_id)
            .map(|entry| entry.tier)
    }
}

#[derive(Deserialize)]
struct GraphPermissionsFile {
    permissions: Vec<Permission>,
}

#[derive(Deserialize)]
struct FirstPartyApisFile {
    apis: Vec<Api>,
}

#[derive(Deserialize)]
struct BuiltinRolesFile {
    roles: Vec<BuiltinRole>,
}

/// `catalog/privilege-tiers.json`: one API's tiers, their entries without the appId.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrivilegeTiersFile {
    resource_app_id: String,
    tiers: Vec<PrivilegeTierEntries>,
}

#[derive(Deserialize)]
struct PrivilegeTierEntries {
    name: PrivilegeTier,
    permissions: Vec<HighPrivilegeEntry>,
}

#[derive(Deserialize)]
struct HighPrivilegeEntry {
    value: String,
    id: String,
}

fn parse() -> Result<Catalog, serde_json::Error> {
    let graph_permissions: GraphPermissionsFile = serde_json::from_str(GRAPH_PERMISSIONS_JSON)?;
    let first_party: FirstPartyApisFile = serde_json::from_str(FIRST_PARTY_APIS_JSON)?;
    let roles: BuiltinRolesFile = serde_json::from_str(BUILTIN_ROLES_JSON)?;
    let tiers: PrivilegeTiersFile = serde_json::from_str(PRIVILEGE_TIERS_JSON)?;
    let mut apis = first_party.apis;
    let graph_index = apis
        .iter()
        .position(|api| api.app_id == MICROSOFT_GRAPH_APP_ID);
    let mut graph = match graph_index {
        Some(index) => apis.remove(index),
        None => Api {
            name: "Microsoft Graph".to_owned(),
            service_principal_display_name: None,
            aliases: Vec::new(),
            app_id: MICROSOFT_GRAPH_APP_ID.to_owned(),
            service_principal_names: vec!["https://graph.microsoft.com".to_owned()],
            permissions: Vec::new(),
        },
    };
    graph.permissions = graph_permissions.permissions;
    apis.insert(0, graph);
    let resource_app_id = tiers.resource_app_id;
    let mut high_privilege: Vec<HighPrivilegePermission> = tiers
        .tiers
        .into_iter()
        .flat_map(|tier| {
            let resource_app_id = resource_app_id.clone();
            tier.permissions
                .into_iter()
                .map(move |entry| HighPrivilegePermission {
                    resource_app_id: resource_app_id.clone(),
                    value: entry.value,
                    id: entry.id,
                    tier: tier.name,
                })
        })
        .collect();
    high_privilege.sort_by_key(|entry| entry.tier);
    Ok(Catalog {
        apis,
        roles: roles.roles,
        high_privilege,
    })
}

/// The catalog, parsed once from the embedded JSON.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match parse() {
        Ok(catalog) => catalog,
        // The JSON is embedded at compile time and checked by the tests below, so this is a
        // build defect, never a user input problem.
        Err(error) => panic!("embedded catalog JSON does not parse: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_with_expected_counts() {
        let catalog = parse().expect("catalog parses");
        assert_eq!(catalog.graph().permissions.len(), 1523);
        assert_eq!(catalog.roles.len(), 930);
        assert_eq!(catalog.apis.len(), 19);
    }

    #[test]
    fn graph_permissions_resolve_by_kind() {
        let graph = catalog().api("microsoft graph").expect("graph");
        let app = graph
            .permission("Directory.Read.All", PermissionKind::Application)
            .expect("app");
        assert_eq!(app.id, "7ab1d382-f21e-4acd-a863-ba3e13f7da61");
        let delegated = graph
            .permission("Directory.Read.All", PermissionKind::Delegated)
            .expect("delegated");
        assert_eq!(delegated.id, "06da0dbc-49e2-44d2-8312-53f166ab848a");
        assert!(
            graph
                .permission("User.Read", PermissionKind::Application)
                .is_none()
        );
    }

    #[test]
    fn apis_resolve_by_alias_and_app_id() {
        let catalog = catalog();
        assert_eq!(
            catalog
                .api("Windows Azure Service Management API")
                .map(|api| api.app_id.as_str()),
            Some("797f4846-ba00-4fd7-ba43-dac1f8f63013")
        );
        assert!(
            catalog
                .api("0b07f429-9f4b-4714-9392-cc5e8e80c8b0")
                .is_some()
        );
        assert!(catalog.api("Not An API").is_none());
    }

    #[test]
    fn high_privilege_tier_uses_the_catalogs_own_ids() {
        let catalog = catalog();
        let count = |tier| {
            catalog
                .high_privilege
                .iter()
                .filter(|entry| entry.tier == tier)
                .count()
        };
        assert_eq!(count(PrivilegeTier::Critical), 26);
        assert_eq!(count(PrivilegeTier::High), 177);
        for entry in &catalog.high_privilege {
            let api = catalog
                .api(&entry.resource_app_id)
                .expect("the tier's API is known");
            let permission = api
                .permission(&entry.value, PermissionKind::Application)
                .unwrap_or_else(|| panic!("{} is an application permission", entry.value));
            assert_eq!(permission.id, entry.id, "{}", entry.value);
        }
        for value in [
            "RoleManagement.ReadWrite.Directory",
            "Application.ReadWrite.All",
            "AppRoleAssignment.ReadWrite.All",
            "Directory.ReadWrite.All",
        ] {
            assert_eq!(
                catalog.privilege_tier(MICROSOFT_GRAPH_APP_ID, value),
                Some(PrivilegeTier::Critical),
                "{value}"
            );
        }
        // By appRole id too (RoleManagement.ReadWrite.Directory), and only on Graph.
        assert!(
            catalog
                .high_privilege(
                    MICROSOFT_GRAPH_APP_ID,
                    "9E3F62CF-CA93-4989-B6CE-BF83C28F9FE8"
                )
                .is_some()
        );
        assert!(
            catalog
                .high_privilege(MICROSOFT_GRAPH_APP_ID, "Directory.Read.All")
                .is_none()
        );
        assert_eq!(
            catalog.privilege_tier(MICROSOFT_GRAPH_APP_ID, "Mail.ReadWrite"),
            Some(PrivilegeTier::High)
        );
        assert!(
            catalog
                .high_privilege(
                    "797f4846-ba00-4fd7-ba43-dac1f8f63013",
                    "Directory.ReadWrite.All"
                )
                .is_none()
        );
    }
}
