//! The tenant's state: every stored object, the seed of a fresh tenant, and the state file.
//!
//! The first-party service principals (Microsoft Graph and the other catalog APIs) are rebuilt
//! from `registrar-catalog` at every start and are written to the state file only once they
//! were changed, which keeps the file small (Graph alone has 1,500+ permissions).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use registrar_catalog::{Api, PermissionKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::EmulatorError;
use crate::objects::{self, MICROSOFT_TENANT_ID, ServicePrincipalSeed};
use crate::util::{graph_time, hex, now, seeded_guid, sha256_hex};

/// The version of the state file's layout.
pub(crate) const SCHEMA_VERSION: u32 = 1;
/// The local tenant's id.
pub(crate) const TENANT_ID: &str = "5f3c2a1e-7b4d-4c8e-9a6f-0d1e2f3a4b5c";
/// The default (initial) domain.
pub(crate) const DEFAULT_DOMAIN: &str = "contoso.onmicrosoft.com";
/// The verified domains of the tenant.
pub(crate) const VERIFIED_DOMAINS: [&str; 2] = ["contoso.onmicrosoft.com", "contoso.com"];
/// The well-known client id of the seeded automation client.
pub(crate) const AUTOMATION_CLIENT_ID: &str = "7d3c2a1b-0e9f-4a8b-8c7d-6e5f4a3b2c1d";
/// The well-known secret of the seeded automation client (local use only, like Azurite's key).
pub(crate) const AUTOMATION_CLIENT_SECRET: &str = "Loc8Q~RegistrarLocalAutomationSecret0001";
/// The display name of the automation client.
pub(crate) const AUTOMATION_DISPLAY_NAME: &str = "Registrar local automation";

/// One stored directory object with the data Graph keeps beside it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Record {
    /// The Graph JSON of the object (without `@odata.context`).
    pub(crate) object: Value,
    /// Replication lag: the object is invisible before this time (ms since epoch).
    #[serde(default)]
    pub(crate) visible_at_ms: i64,
    /// Object ids of the owners.
    #[serde(default)]
    pub(crate) owners: Vec<String>,
    /// Federated identity credentials (applications only).
    #[serde(default)]
    pub(crate) federated_identity_credentials: Vec<Value>,
    /// keyId -> SHA-256 (hex) of the password's secretText; the text itself is never stored.
    #[serde(default)]
    pub(crate) secret_hashes: BTreeMap<String, String>,
}

impl Record {
    /// A record visible from `visible_at_ms`.
    pub(crate) fn new(object: Value, visible_at_ms: i64) -> Self {
        Self {
            object,
            visible_at_ms,
            ..Self::default()
        }
    }

    /// The object's `id`.
    pub(crate) fn id(&self) -> &str {
        self.str_field("id").unwrap_or_default()
    }

    /// A string field of the object.
    pub(crate) fn str_field(&self, name: &str) -> Option<&str> {
        self.object.get(name).and_then(Value::as_str)
    }

    /// Whether replication has made the object visible at `now_ms`.
    pub(crate) fn visible(&self, now_ms: i64) -> bool {
        self.visible_at_ms <= now_ms
    }
}

/// One version of a Key Vault secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SecretVersion {
    pub(crate) version: String,
    pub(crate) value: String,
    pub(crate) content_type: Option<String>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
    pub(crate) enabled: bool,
    pub(crate) nbf: Option<i64>,
    pub(crate) exp: Option<i64>,
    pub(crate) created: i64,
    pub(crate) updated: i64,
}

/// A Key Vault secret: its name as first written and its versions, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Secret {
    pub(crate) name: String,
    pub(crate) versions: Vec<SecretVersion>,
}

/// A soft-deleted secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeletedSecret {
    pub(crate) secret: Secret,
    pub(crate) deleted_date: i64,
    pub(crate) scheduled_purge_date: i64,
}

/// A vault: secrets by lower-cased name (Key Vault names are case-insensitive).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Vault {
    pub(crate) secrets: BTreeMap<String, Secret>,
    pub(crate) deleted: BTreeMap<String, DeletedSecret>,
}

/// An Azure RBAC role assignment (`Microsoft.Authorization/roleAssignments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoleAssignment {
    /// The assignment's name (a GUID) as first written.
    pub(crate) name: String,
    /// The scope as first written (`/subscriptions/…`, `/` for the tenant root).
    pub(crate) scope: String,
    /// The role definition's GUID (lower-case).
    pub(crate) role_definition: String,
    pub(crate) principal_id: String,
    pub(crate) principal_type: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) condition: Option<String>,
    #[serde(default)]
    pub(crate) condition_version: Option<String>,
    #[serde(default)]
    pub(crate) delegated_managed_identity_resource_id: Option<String>,
    pub(crate) created_on: String,
    pub(crate) updated_on: String,
    #[serde(default)]
    pub(crate) created_by: Option<String>,
    #[serde(default)]
    pub(crate) updated_by: Option<String>,
}

/// The whole tenant; serialized as the state file.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Tenant {
    pub(crate) schema_version: u32,
    pub(crate) tenant_id: String,
    /// Hex key that signs the emulator's tokens, kept so tokens survive a restart.
    pub(crate) signing_key: String,
    pub(crate) applications: BTreeMap<String, Record>,
    pub(crate) deleted_applications: BTreeMap<String, Record>,
    /// Service principals created in the tenant, and first-party ones that were changed.
    pub(crate) service_principals: BTreeMap<String, Record>,
    /// First-party service principals that were deleted.
    #[serde(default)]
    pub(crate) removed_builtin_service_principals: BTreeSet<String>,
    pub(crate) users: BTreeMap<String, Value>,
    pub(crate) vaults: BTreeMap<String, Vault>,
    /// App role assignments (application permissions, admin consent) by their opaque,
    /// case-sensitive id. Absent from files written before they existed (then empty).
    #[serde(default)]
    pub(crate) app_role_assignments: BTreeMap<String, Record>,
    /// Delegated permission grants (`oauth2PermissionGrant`) by their opaque, case-sensitive id.
    /// Absent from files written before they existed (then empty).
    #[serde(default)]
    pub(crate) oauth2_permission_grants: BTreeMap<String, Record>,
    /// Azure RBAC role assignments by lower-cased name (names are unique tenant-wide). They are
    /// not removed with their principal ("Identity not found" in Azure). Absent from files
    /// written before they existed (then empty).
    #[serde(default)]
    pub(crate) role_assignments: BTreeMap<String, RoleAssignment>,
    /// App management policies and their assignments (`graph/policies`). Absent from files
    /// written before they existed (then the seeded, disabled default policy).
    #[serde(default)]
    pub(crate) app_management: crate::graph::policies::AppManagementStore,
    /// First-party service principals rebuilt from the catalog (never serialized).
    #[serde(skip)]
    pub(crate) builtin_service_principals: BTreeMap<String, Record>,
}

impl Tenant {
    /// A freshly seeded tenant.
    pub(crate) fn seed(vaults: &[String]) -> Self {
        let created = graph_time(now());
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        let mut tenant = Self {
            schema_version: SCHEMA_VERSION,
            tenant_id: TENANT_ID.to_owned(),
            signing_key: hex(&key),
            applications: BTreeMap::new(),
            deleted_applications: BTreeMap::new(),
            service_principals: BTreeMap::new(),
            removed_builtin_service_principals: BTreeSet::new(),
            users: BTreeMap::new(),
            vaults: BTreeMap::new(),
            app_role_assignments: BTreeMap::new(),
            oauth2_permission_grants: BTreeMap::new(),
            role_assignments: BTreeMap::new(),
            app_management: Default::default(),
            builtin_service_principals: BTreeMap::new(),
        };
        for (upn, display, given, surname) in [
            (
                "admin@contoso.onmicrosoft.com",
                "Registrar Admin",
                "Registrar",
                "Admin",
            ),
            (
                "adele@contoso.onmicrosoft.com",
                "Adele Vance",
                "Adele",
                "Vance",
            ),
            (
                "megan@contoso.onmicrosoft.com",
                "Megan Bowen",
                "Megan",
                "Bowen",
            ),
            ("alice@contoso.com", "Alice Anderson", "Alice", "Anderson"),
            ("bob@contoso.com", "Bob Brown", "Bob", "Brown"),
            ("carol@contoso.com", "Carol Clark", "Carol", "Clark"),
        ] {
            let id = seeded_guid(&format!("user:{upn}"));
            tenant
                .users
                .insert(id.clone(), objects::user(&id, upn, display, given, surname));
        }
        // The automation client: an application and its service principal.
        let app_object_id = seeded_guid("automation:application");
        let mut app = objects::new_application(
            &app_object_id,
            AUTOMATION_CLIENT_ID,
            &created,
            DEFAULT_DOMAIN,
        );
        app["displayName"] = json!(AUTOMATION_DISPLAY_NAME);
        app["signInAudience"] = json!("AzureADMyOrg");
        let key_id = seeded_guid("automation:password");
        app["passwordCredentials"] = json!([{
            "customKeyIdentifier": null,
            "displayName": "well-known local secret",
            "endDateTime": "2299-12-31T00:00:00Z",
            "hint": &AUTOMATION_CLIENT_SECRET[..3],
            "keyId": key_id,
            "secretText": null,
            "startDateTime": created,
        }]);
        let mut app_record = Record::new(app, 0);
        app_record
            .secret_hashes
            .insert(key_id, sha256_hex(AUTOMATION_CLIENT_SECRET.as_bytes()));
        tenant.applications.insert(app_object_id, app_record);
        let sp_id = seeded_guid("automation:servicePrincipal");
        let sp = objects::service_principal(ServicePrincipalSeed {
            id: &sp_id,
            app_id: AUTOMATION_CLIENT_ID,
            display_name: AUTOMATION_DISPLAY_NAME,
            owner_organization: TENANT_ID,
            service_principal_names: vec![AUTOMATION_CLIENT_ID.to_owned()],
            app_roles: Vec::new(),
            scopes: Vec::new(),
            sign_in_audience: json!("AzureADMyOrg"),
            publisher_name: json!("Contoso"),
            created: &created,
        });
        tenant.service_principals.insert(sp_id, Record::new(sp, 0));
        for vault in vaults {
            tenant.vaults.entry(vault.to_ascii_lowercase()).or_default();
        }
        tenant.rebuild_builtins();
        tenant
    }

    /// Loads the state file, or `None` when it does not exist.
    pub(crate) fn load(path: &Path, vaults: &[String]) -> Result<Option<Self>, EmulatorError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(EmulatorError::StateRead {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut tenant: Self =
            serde_json::from_slice(&bytes).map_err(|source| EmulatorError::StateParse {
                path: path.to_owned(),
                source,
            })?;
        if tenant.schema_version != SCHEMA_VERSION {
            return Err(EmulatorError::StateSchema {
                path: path.to_owned(),
                found: tenant.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        for vault in vaults {
            tenant.vaults.entry(vault.to_ascii_lowercase()).or_default();
        }
        tenant.rebuild_builtins();
        Ok(Some(tenant))
    }

    /// Writes the state file atomically with mode 0600 (`registrar_files::write_atomically`).
    pub(crate) fn save(&self, path: &Path) -> Result<(), EmulatorError> {
        let bytes = serde_json::to_vec(self).map_err(|source| EmulatorError::StateParse {
            path: path.to_owned(),
            source,
        })?;
        // The file holds the token signing key and the vault's secret values: owner-only from
        // the moment it exists, never half-written, and a symlink at `path` is replaced.
        registrar_files::write_atomically(path, &bytes, registrar_files::OWNER_ONLY).map_err(
            |source| EmulatorError::StateWrite {
                path: path.to_owned(),
                source,
            },
        )
    }

    /// Rebuilds the first-party service principals from the catalog, skipping those that were
    /// changed (and are therefore stored) or deleted.
    fn rebuild_builtins(&mut self) {
        self.builtin_service_principals.clear();
        for api in &registrar_catalog::catalog().apis {
            let id = builtin_sp_id(&api.app_id);
            if self.service_principals.contains_key(&id)
                || self.removed_builtin_service_principals.contains(&id)
            {
                continue;
            }
            self.builtin_service_principals
                .insert(id.clone(), Record::new(first_party_sp(&id, api), 0));
        }
    }

    /// Every service principal, created and first-party.
    pub(crate) fn all_service_principals(&self) -> impl Iterator<Item = &Record> {
        self.service_principals
            .values()
            .chain(self.builtin_service_principals.values())
    }

    /// A service principal by object id, created or first-party.
    pub(crate) fn service_principal(&self, id: &str) -> Option<&Record> {
        self.service_principals
            .get(id)
            .or_else(|| self.builtin_service_principals.get(id))
    }

    /// A mutable service principal; a first-party one becomes a stored one.
    pub(crate) fn service_principal_mut(&mut self, id: &str) -> Option<&mut Record> {
        if let Some(record) = self.builtin_service_principals.remove(id) {
            self.service_principals.insert(id.to_owned(), record);
        }
        self.service_principals.get_mut(id)
    }

    /// Removes a service principal, created or first-party, with the consent that names it: app
    /// role assignments it holds or grants (as principal or resource) and delegated permission
    /// grants it is the client or the resource of.
    pub(crate) fn remove_service_principal(&mut self, id: &str) -> Option<Record> {
        let removed = if let Some(record) = self.builtin_service_principals.remove(id) {
            self.removed_builtin_service_principals
                .insert(id.to_owned());
            Some(record)
        } else {
            self.service_principals.remove(id)
        };
        if removed.is_some() {
            let names = |record: &Record, fields: &[&str]| {
                fields.iter().any(|field| {
                    record
                        .str_field(field)
                        .is_some_and(|value| value.eq_ignore_ascii_case(id))
                })
            };
            self.app_role_assignments
                .retain(|_, record| !names(record, &["principalId", "resourceId"]));
            self.oauth2_permission_grants
                .retain(|_, record| !names(record, &["clientId", "resourceId"]));
        }
        removed
    }

    /// The values of the app roles that service principal `principal_id` holds (through visible
    /// app role assignments) on the service principal of the API `resource_app_id`: what a
    /// client-credentials token for that API carries in `roles`.
    pub(crate) fn granted_roles(
        &self,
        principal_id: &str,
        resource_app_id: &str,
        now_ms: i64,
    ) -> Vec<String> {
        let Some(resource) = self.all_service_principals().find(|sp| {
            sp.visible(now_ms)
                && sp
                    .str_field("appId")
                    .is_some_and(|app_id| app_id.eq_ignore_ascii_case(resource_app_id))
        }) else {
            return Vec::new();
        };
        let roles = resource.object["appRoles"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut values: Vec<String> = self
            .app_role_assignments
            .values()
            .filter(|assignment| {
                assignment.visible(now_ms)
                    && assignment
                        .str_field("principalId")
                        .is_some_and(|id| id.eq_ignore_ascii_case(principal_id))
                    && assignment
                        .str_field("resourceId")
                        .is_some_and(|id| id.eq_ignore_ascii_case(resource.id()))
            })
            .filter_map(|assignment| {
                let role_id = assignment.str_field("appRoleId")?;
                roles
                    .iter()
                    .find(|role| {
                        role["id"]
                            .as_str()
                            .is_some_and(|id| id.eq_ignore_ascii_case(role_id))
                    })
                    .and_then(|role| role["value"].as_str())
                    .map(str::to_owned)
            })
            .collect();
        values.sort();
        values.dedup();
        values
    }

    /// The object id of the automation client's service principal.
    pub(crate) fn automation_sp_id() -> String {
        seeded_guid("automation:servicePrincipal")
    }
}

/// The deterministic object id of a first-party API's service principal in this tenant.
pub(crate) fn builtin_sp_id(app_id: &str) -> String {
    seeded_guid(&format!("builtin-sp:{}", app_id.to_ascii_lowercase()))
}

/// The service principal of a first-party API, built from its catalog entry.
pub(crate) fn first_party_sp(id: &str, api: &Api) -> Value {
    let app_roles: Vec<Value> = api
        .permissions_of(PermissionKind::Application)
        .map(|permission| {
            let display = permission
                .display_name
                .clone()
                .unwrap_or_else(|| permission.value.clone());
            json!({
                "allowedMemberTypes": ["Application"],
                "description": display,
                "displayName": display,
                "id": permission.id,
                "isEnabled": true,
                "origin": "Application",
                "value": permission.value,
            })
        })
        .collect();
    let scopes: Vec<Value> = api
        .permissions_of(PermissionKind::Delegated)
        .map(|permission| {
            let display = permission
                .display_name
                .clone()
                .unwrap_or_else(|| permission.value.clone());
            let kind = if permission.admin_consent_required == Some(true) {
                "Admin"
            } else {
                "User"
            };
            json!({
                "adminConsentDescription": display,
                "adminConsentDisplayName": display,
                "id": permission.id,
                "isEnabled": true,
                "type": kind,
                "userConsentDescription": display,
                "userConsentDisplayName": display,
                "value": permission.value,
            })
        })
        .collect();
    let mut names = vec![api.app_id.clone()];
    names.extend(api.service_principal_names.iter().cloned());
    objects::service_principal(ServicePrincipalSeed {
        id,
        app_id: &api.app_id,
        display_name: api.display_name(),
        owner_organization: MICROSOFT_TENANT_ID,
        service_principal_names: names,
        app_roles,
        scopes,
        sign_in_audience: json!("AzureADMultipleOrgs"),
        publisher_name: json!("Microsoft Services"),
        created: "2016-01-01T00:00:00Z",
    })
}
