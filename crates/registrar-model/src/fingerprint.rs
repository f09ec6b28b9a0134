//! Fingerprints of the live objects a plan read: one SHA-256 digest per object of a
//! [`LiveTenant`], so a saved plan can tell at apply time whether any of them changed since.
//!
//! [`fingerprints`] is a pure function of the snapshot's values. It does not depend on the order
//! of the snapshot's lists (they are keyed, and lists that Graph treats as sets are sorted before
//! hashing), and never on anything that differs between two reads of the same tenant (request
//! ids, the reason text of an unreadable store). Lists that are part of an object's settings
//! (redirect URIs, app roles) are hashed in Graph's order, as the planner compares them.
//!
//! It does not say how a changed object is worded for a user: that is the saved plan's job
//! (`registrar-plan`), which has the names.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::live::{
    ExposedPermission, LiveTenant, SecretStoreContents, SecretStoreLocation, SecretStoreState,
};

/// Which live object a fingerprint is of. Application-level objects are keyed by the
/// application's appId (lowercase), so a key stays the same across reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectKey {
    /// An application's registration: its object id, unique name and settings.
    ApplicationSettings {
        /// The application's appId.
        app_id: String,
    },
    /// One owner of an application.
    Owner {
        /// The application's appId.
        app_id: String,
        /// The owner's object id.
        owner_id: String,
    },
    /// One client secret (metadata only).
    PasswordCredential {
        /// The application's appId.
        app_id: String,
        /// The credential's keyId.
        key_id: String,
    },
    /// One certificate.
    KeyCredential {
        /// The application's appId.
        app_id: String,
        /// The credential's keyId.
        key_id: String,
    },
    /// One federated identity credential.
    FederatedCredential {
        /// The application's appId.
        app_id: String,
        /// The credential's name (unique per application).
        name: String,
    },
    /// The application's service principal and its settings.
    ServicePrincipal {
        /// The application's appId.
        app_id: String,
    },
    /// One app role assignment of the application's service principal (application
    /// permission consent).
    AppRoleAssignment {
        /// The application's appId.
        app_id: String,
        /// The assignment's id.
        id: String,
    },
    /// One OAuth2 permission grant of the application's service principal.
    PermissionGrant {
        /// The application's appId.
        app_id: String,
        /// The grant's id.
        id: String,
    },
    /// One Azure role assignment held by the application's service principal.
    RoleAssignment {
        /// The application's appId.
        app_id: String,
        /// The assignment's full ARM id (lowercase).
        id: String,
    },
    /// A soft-deleted application holding one of the namespace's unique names.
    DeletedApplication {
        /// Its object id.
        id: String,
    },
    /// A directory object named as an owner.
    DirectoryObject {
        /// Its object id.
        id: String,
    },
    /// The service principal of an API that permissions are requested on.
    ResourceServicePrincipal {
        /// The API's appId.
        app_id: String,
    },
    /// A custom role definition looked up by name at a scope.
    RoleDefinition {
        /// The definition's GUID.
        id: String,
        /// The scope it was looked up at (lowercase).
        scope: String,
    },
    /// What one secret store holds.
    SecretStore {
        /// The store.
        location: SecretStoreLocation,
    },
    /// One owner of an application's service principal.
    ServicePrincipalOwner {
        /// The application's appId.
        app_id: String,
        /// The owner's object id.
        owner_id: String,
    },
    /// One client secret on an application's service principal (metadata only).
    ServicePrincipalPasswordCredential {
        /// The application's appId.
        app_id: String,
        /// The credential's keyId.
        key_id: String,
    },
    /// One certificate on an application's service principal.
    ServicePrincipalKeyCredential {
        /// The application's appId.
        app_id: String,
        /// The credential's keyId.
        key_id: String,
    },
}

/// A SHA-256 digest, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Digest(pub String);

impl Digest {
    /// The digest of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let hash = Sha256::digest(bytes);
        Self(hash.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// The digest of a value's JSON serialization (the model's types serialize
    /// deterministically: struct fields in declaration order).
    fn of_value(value: &impl Serialize) -> Self {
        // Serializing the model's plain data types cannot fail; an empty input would still give
        // a digest that differs from any real object's.
        Self::of_bytes(&serde_json::to_vec(value).unwrap_or_default())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn lower(text: &str) -> String {
    text.to_ascii_lowercase()
}

fn sorted_permissions(list: &[ExposedPermission]) -> Vec<&ExposedPermission> {
    let mut list: Vec<&ExposedPermission> = list.iter().collect();
    list.sort_by(|a, b| (&a.id, &a.value).cmp(&(&b.id, &b.value)));
    list
}

/// The fingerprint of every object in `live`, one entry per object (see [`ObjectKey`]).
pub fn fingerprints(live: &LiveTenant) -> BTreeMap<ObjectKey, Digest> {
    let mut map = BTreeMap::new();
    for app in &live.applications {
        let app_id = lower(&app.app_id);
        map.insert(
            ObjectKey::ApplicationSettings {
                app_id: app_id.clone(),
            },
            Digest::of_value(&(&app.id, &app.unique_name, &app.settings)),
        );
        for owner in &app.owners {
            map.insert(
                ObjectKey::Owner {
                    app_id: app_id.clone(),
                    owner_id: lower(owner),
                },
                Digest::of_value(&lower(owner)),
            );
        }
        for credential in &app.password_credentials {
            map.insert(
                ObjectKey::PasswordCredential {
                    app_id: app_id.clone(),
                    key_id: lower(&credential.key_id),
                },
                Digest::of_value(credential),
            );
        }
        for credential in &app.key_credentials {
            map.insert(
                ObjectKey::KeyCredential {
                    app_id: app_id.clone(),
                    key_id: lower(&credential.key_id),
                },
                Digest::of_value(credential),
            );
        }
        for credential in &app.federated_credentials {
            map.insert(
                ObjectKey::FederatedCredential {
                    app_id: app_id.clone(),
                    name: credential.name.clone(),
                },
                Digest::of_value(credential),
            );
        }
        let Some(sp) = &app.service_principal else {
            continue;
        };
        map.insert(
            ObjectKey::ServicePrincipal {
                app_id: app_id.clone(),
            },
            Digest::of_value(&(&sp.id, &sp.app_id, &sp.settings)),
        );
        for assignment in &sp.app_role_assignments {
            map.insert(
                ObjectKey::AppRoleAssignment {
                    app_id: app_id.clone(),
                    id: assignment.id.clone(),
                },
                Digest::of_value(assignment),
            );
        }
        for grant in &sp.permission_grants {
            // Scope values are a set written as one space-separated string.
            let mut scopes: Vec<&str> = grant.scope.split_whitespace().collect();
            scopes.sort_unstable();
            map.insert(
                ObjectKey::PermissionGrant {
                    app_id: app_id.clone(),
                    id: grant.id.clone(),
                },
                Digest::of_value(&(
                    &grant.id,
                    &grant.resource_id,
                    grant.consent_type,
                    &grant.principal_id,
                    scopes,
                )),
            );
        }
        for assignment in &sp.role_assignments {
            map.insert(
                ObjectKey::RoleAssignment {
                    app_id: app_id.clone(),
                    id: lower(&assignment.id),
                },
                Digest::of_value(assignment),
            );
        }
        for owner in &sp.owners {
            map.insert(
                ObjectKey::ServicePrincipalOwner {
                    app_id: app_id.clone(),
                    owner_id: lower(owner),
                },
                Digest::of_value(&lower(owner)),
            );
        }
        for credential in &sp.password_credentials {
            map.insert(
                ObjectKey::ServicePrincipalPasswordCredential {
                    app_id: app_id.clone(),
                    key_id: lower(&credential.key_id),
                },
                Digest::of_value(credential),
            );
        }
        for credential in &sp.key_credentials {
            map.insert(
                ObjectKey::ServicePrincipalKeyCredential {
                    app_id: app_id.clone(),
                    key_id: lower(&credential.key_id),
                },
                Digest::of_value(credential),
            );
        }
    }
    for deleted in &live.deleted_applications {
        map.insert(
            ObjectKey::DeletedApplication {
                id: lower(&deleted.id),
            },
            Digest::of_value(deleted),
        );
    }
    for object in &live.directory_objects {
        map.insert(
            ObjectKey::DirectoryObject {
                id: lower(&object.id),
            },
            Digest::of_value(object),
        );
    }
    for sp in &live.resource_service_principals {
        map.insert(
            ObjectKey::ResourceServicePrincipal {
                app_id: lower(&sp.app_id),
            },
            Digest::of_value(&(
                &sp.id,
                &sp.app_id,
                &sp.display_name,
                sorted_permissions(&sp.app_roles),
                sorted_permissions(&sp.oauth2_permission_scopes),
            )),
        );
    }
    for definition in &live.role_definitions {
        map.insert(
            ObjectKey::RoleDefinition {
                id: lower(&definition.id),
                scope: lower(definition.scope.trim_end_matches('/')),
            },
            Digest::of_value(definition),
        );
    }
    for SecretStoreState { location, contents } in &live.secret_stores {
        // The reason an unreadable store gives is an error message that may differ between
        // reads (request ids); that the store is unreadable is what the plan used.
        let contents = match contents {
            SecretStoreContents::Unreadable { .. } => SecretStoreContents::Unreadable {
                reason: String::new(),
            },
            other => other.clone(),
        };
        map.insert(
            ObjectKey::SecretStore {
                location: location.clone(),
            },
            Digest::of_value(&contents),
        );
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{
        AppRoleAssignment, DirectoryObject, LiveApplication, LiveServicePrincipal,
        PasswordCredential,
    };

    fn tenant() -> LiveTenant {
        let mut app = LiveApplication {
            id: "o1".into(),
            app_id: "A1".into(),
            unique_name: Some("it.api".into()),
            owners: vec!["u1".into(), "u2".into()],
            password_credentials: vec![
                PasswordCredential {
                    key_id: "k1".into(),
                    display_name: Some("ci".into()),
                    hint: Some("abc".into()),
                    start: None,
                    end: None,
                },
                PasswordCredential {
                    key_id: "k2".into(),
                    display_name: Some("ci".into()),
                    hint: Some("def".into()),
                    start: None,
                    end: None,
                },
            ],
            service_principal: Some(LiveServicePrincipal {
                id: "s1".into(),
                app_id: "A1".into(),
                app_role_assignments: vec![
                    AppRoleAssignment {
                        id: "r1".into(),
                        resource_id: "g".into(),
                        app_role_id: "x".into(),
                    },
                    AppRoleAssignment {
                        id: "r2".into(),
                        resource_id: "g".into(),
                        app_role_id: "y".into(),
                    },
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        app.settings.plain.display_name = "API".into();
        LiveTenant {
            tenant_id: "t".into(),
            applications: vec![
                app,
                LiveApplication {
                    id: "o2".into(),
                    app_id: "a2".into(),
                    ..Default::default()
                },
            ],
            directory_objects: vec![
                DirectoryObject {
                    id: "u1".into(),
                    ..Default::default()
                },
                DirectoryObject {
                    id: "u2".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn one_entry_per_object() {
        let keys: Vec<ObjectKey> = fingerprints(&tenant()).into_keys().collect();
        assert!(keys.contains(&ObjectKey::ApplicationSettings {
            app_id: "a1".into()
        }));
        assert!(keys.contains(&ObjectKey::Owner {
            app_id: "a1".into(),
            owner_id: "u2".into()
        }));
        assert!(keys.contains(&ObjectKey::AppRoleAssignment {
            app_id: "a1".into(),
            id: "r2".into()
        }));
        // 2 settings, 2 owners, 2 secrets, 1 service principal, 2 assignments, 2 users.
        assert_eq!(keys.len(), 11, "{keys:#?}");
    }

    #[test]
    fn does_not_depend_on_the_order_of_lists() {
        let before = fingerprints(&tenant());
        let mut shuffled = tenant();
        shuffled.applications.reverse();
        shuffled.directory_objects.reverse();
        let app = &mut shuffled.applications[1];
        app.owners.reverse();
        app.password_credentials.reverse();
        if let Some(sp) = app.service_principal.as_mut() {
            sp.app_role_assignments.reverse();
        }
        assert_eq!(fingerprints(&shuffled), before);
    }

    #[test]
    fn a_changed_value_changes_only_its_digest() {
        let before = fingerprints(&tenant());
        let mut changed = tenant();
        changed.applications[0].settings.plain.notes = Some("by hand".into());
        changed.applications[0].password_credentials[1].end = Some(time::macros::datetime!(
            2027-01-01 0:00 UTC
        ));
        let after = fingerprints(&changed);
        let differing: Vec<&ObjectKey> = before
            .iter()
            .filter(|(key, digest)| after.get(*key) != Some(*digest))
            .map(|(key, _)| key)
            .collect();
        assert_eq!(
            differing,
            vec![
                &ObjectKey::ApplicationSettings {
                    app_id: "a1".into()
                },
                &ObjectKey::PasswordCredential {
                    app_id: "a1".into(),
                    key_id: "k2".into()
                },
            ]
        );
        assert_eq!(before.len(), after.len());
    }

    #[test]
    fn service_principal_credentials_and_owners_have_their_own_digests() {
        let before = fingerprints(&tenant());
        let mut changed = tenant();
        if let Some(sp) = changed.applications[0].service_principal.as_mut() {
            sp.password_credentials.push(PasswordCredential {
                key_id: "SK1".into(),
                display_name: Some("by hand".into()),
                hint: Some("xyz".into()),
                start: None,
                end: None,
            });
            sp.owners.push("U9".into());
        }
        let after = fingerprints(&changed);
        let added: Vec<&ObjectKey> = after
            .keys()
            .filter(|key| !before.contains_key(*key))
            .collect();
        assert_eq!(
            added,
            vec![
                &ObjectKey::ServicePrincipalOwner {
                    app_id: "a1".into(),
                    owner_id: "u9".into()
                },
                &ObjectKey::ServicePrincipalPasswordCredential {
                    app_id: "a1".into(),
                    key_id: "sk1".into()
                },
            ]
        );
    }

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(
            Digest::of_bytes(b"abc").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
