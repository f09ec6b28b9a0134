//! The plan as data: [`Plan`], [`ResourceChange`], [`Action`], [`ActionReason`] and [`Address`].
//!
//! Nothing here knows how a plan is worded or serialized; the renderers in [`crate::render`] do.
//! `Plan` deliberately has no serde derives: the versioned wire shape is
//! [`crate::render::json::PlanDocument`], converted by hand.

use std::fmt;

use registrar_model::{Operation, SecretStoreLocation};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// The outcome of planning: every change, sorted by address, and notes for the reader.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The resource changes, sorted by [`Address`].
    pub changes: Vec<ResourceChange>,
    /// Notes that change nothing but need attention (an unreadable secret store, a previous
    /// credential kept during its overlap), sorted and without duplicates. Worded by
    /// [`crate::render::warning_text`].
    pub warnings: Vec<PlanWarning>,
    /// The `now` the plan was made at (the JSON plan's `timestamp`).
    pub planned_at: OffsetDateTime,
}

impl Default for Plan {
    /// An empty plan made at the Unix epoch.
    fn default() -> Self {
        Self {
            changes: Vec::new(),
            warnings: Vec::new(),
            planned_at: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

impl Plan {
    /// The plan's [`Tally`]: what applying it would add, change and destroy.
    pub fn summary(&self) -> Tally {
        self.changes.iter().map(|change| change.action).collect()
    }

    /// Whether applying the plan would change anything (any change other than a no-op or a
    /// read). Warnings and "not in the manifest" notes do not count.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|change| change.action.is_change())
    }
}

/// Actions counted in terraform's way: a replace is one add and one destroy, a rotation is one
/// change, a restore is one add; reads and no-ops count nothing. The one count behind both the
/// plan's summary line (`Plan: 1 to add, 2 to change, 0 to destroy.`) and the apply report's
/// (`Resources: 1 added, 2 changed, 0 destroyed.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Creates, restores, and the create half of replaces.
    pub add: usize,
    /// In-place updates and rotations.
    pub change: usize,
    /// Deletes, and the delete half of replaces.
    pub destroy: usize,
}

impl Tally {
    /// Counts one action.
    pub fn count(&mut self, action: Action) {
        match action {
            Action::Create | Action::Restore => self.add += 1,
            Action::Update | Action::Rotate => self.change += 1,
            Action::Delete => self.destroy += 1,
            Action::Replace => {
                self.add += 1;
                self.destroy += 1;
            }
            Action::NoOp | Action::Read => {}
        }
    }
}

impl FromIterator<Action> for Tally {
    fn from_iter<I: IntoIterator<Item = Action>>(actions: I) -> Self {
        let mut tally = Self::default();
        for action in actions {
            tally.count(action);
        }
        tally
    }
}

/// A note that changes nothing but needs the reader's attention. Data only: the renderers word
/// it ([`crate::render::warning_text`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlanWarning {
    /// A declared secret's previous credential stays until its overlap after a rotation ends.
    PreviousCredentialKept {
        /// The secret's address (without an instance).
        secret: Address,
        /// The previous credential's keyId.
        key_id: String,
        /// When the previous credential expires, if it does.
        end: Option<OffsetDateTime>,
        /// When its overlap ends (the current credential's start plus the overlap).
        until: OffsetDateTime,
        /// The declared overlap.
        overlap: Duration,
    },
    /// A secret's store could not be read, so the secret is not rotated: a new value could not
    /// be delivered.
    SecretStoreUnreadable {
        /// The secret's address (without an instance).
        secret: Address,
        /// The store the manifest names.
        store: SecretStoreLocation,
        /// Why, as the snapshot reported it; `None` when the snapshot did not read the store.
        reason: Option<String>,
        /// Time left until the current credential's end, when a rotation is due (negative when
        /// it has already expired).
        rotation_due: Option<Duration>,
    },
    /// The manifest's owners leave out the principal this run is signed in as, which owns the
    /// application: it is kept, since removing it would lock the run out of an application it
    /// may change only as an owner (`Application.ReadWrite.OwnedBy`).
    SignedInOwnerKept {
        /// The owner's address (`application.<key>.owner.<name>`).
        owner: Address,
        /// The signed-in principal's object id.
        object_id: String,
        /// Its display name, when known.
        display_name: Option<String>,
    },
    /// The signed-in principal owns the service principal but the manifest does not list it:
    /// it is kept, since removing it could lock this run's client out of the objects it
    /// manages (`Application.ReadWrite.OwnedBy`).
    SignedInServicePrincipalOwnerKept {
        /// The owner's address (`application.<key>.service_principal.owner["<id>"]`).
        owner: Address,
        /// The signed-in principal's object id.
        object_id: String,
    },
}

/// One change to one addressed object.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    /// What is changed.
    pub address: Address,
    /// How.
    pub action: Action,
    /// Why, for the reader. UI only: apply never branches on it.
    pub reason: Option<ActionReason>,
    /// The attributes before (snake_case names; dotted for nested ones, e.g.
    /// `web.redirect_uris`). For updates only the changed attributes, plus context where a
    /// renderer needs it.
    pub before: Option<Value>,
    /// The attributes after, in the same shape; attributes only known after apply are absent
    /// here and listed in `after_unknown`.
    pub after: Option<Value>,
    /// Attribute names whose value is known only after apply (e.g. `app_id`).
    pub after_unknown: Vec<String>,
    /// The whole object before (every attribute), when `before` shows only part of it (an
    /// update shows the changed attributes, a delete of an application a few); `None` when
    /// `before` is already the whole object. The JSON plan shows [`Self::whole_before`].
    pub full_before: Option<Value>,
    /// The whole object after, as for `full_before` (unknown attributes absent).
    pub full_after: Option<Value>,
    /// Changes that must succeed before this one runs.
    pub depends_on: Vec<Address>,
    /// What apply does, in order.
    pub operations: Vec<Operation>,
}

impl ResourceChange {
    /// A change with no attributes, dependencies or operations yet; the constructors below fill
    /// in what their action has.
    fn new(address: Address, action: Action) -> Self {
        Self {
            address,
            action,
            reason: None,
            before: None,
            after: None,
            after_unknown: Vec::new(),
            full_before: None,
            full_after: None,
            depends_on: Vec::new(),
            operations: Vec::new(),
        }
    }

    /// Every attribute of the object before: [`Self::full_before`], else [`Self::before`].
    pub fn whole_before(&self) -> Option<&Value> {
        self.full_before.as_ref().or(self.before.as_ref())
    }

    /// Every attribute of the object after: [`Self::full_after`], else [`Self::after`].
    pub fn whole_after(&self) -> Option<&Value> {
        self.full_after.as_ref().or(self.after.as_ref())
    }

    /// A new object with these attributes.
    pub fn create(address: Address, after: impl Into<Value>, operations: Vec<Operation>) -> Self {
        Self {
            after: Some(after.into()),
            operations,
            ..Self::new(address, Action::Create)
        }
    }

    /// An object changed in place: the changed attributes before and after.
    pub fn update(
        address: Address,
        before: impl Into<Value>,
        after: impl Into<Value>,
        operations: Vec<Operation>,
    ) -> Self {
        Self::with_both(address, Action::Update, before, after, operations)
    }

    /// An object removed and re-added.
    pub fn replace(
        address: Address,
        before: impl Into<Value>,
        after: impl Into<Value>,
        operations: Vec<Operation>,
    ) -> Self {
        Self::with_both(address, Action::Replace, before, after, operations)
    }

    /// A secret's credential replaced by a fresh one.
    pub fn rotate(
        address: Address,
        before: impl Into<Value>,
        after: impl Into<Value>,
        operations: Vec<Operation>,
    ) -> Self {
        Self::with_both(address, Action::Rotate, before, after, operations)
    }

    /// An object brought back from deleted items.
    pub fn restore(
        address: Address,
        before: impl Into<Value>,
        after: impl Into<Value>,
        operations: Vec<Operation>,
    ) -> Self {
        Self::with_both(address, Action::Restore, before, after, operations)
    }

    /// An object removed; `before` is what it was.
    pub fn delete(address: Address, before: impl Into<Value>, operations: Vec<Operation>) -> Self {
        Self {
            before: Some(before.into()),
            operations,
            ..Self::new(address, Action::Delete)
        }
    }

    /// An object only looked at: nothing is done to it.
    pub fn read(address: Address, before: impl Into<Value>) -> Self {
        Self {
            before: Some(before.into()),
            ..Self::new(address, Action::Read)
        }
    }

    /// A change that shows nothing but carries operations (see [`Component::References`]).
    pub fn no_op(address: Address, operations: Vec<Operation>) -> Self {
        Self {
            operations,
            ..Self::new(address, Action::NoOp)
        }
    }

    fn with_both(
        address: Address,
        action: Action,
        before: impl Into<Value>,
        after: impl Into<Value>,
        operations: Vec<Operation>,
    ) -> Self {
        Self {
            before: Some(before.into()),
            after: Some(after.into()),
            operations,
            ..Self::new(address, action)
        }
    }

    /// The same change, with why it is planned (for the reader).
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<Option<ActionReason>>) -> Self {
        self.reason = reason.into();
        self
    }

    /// The same change, waiting for these changes.
    #[must_use]
    pub fn with_depends_on(mut self, depends_on: Vec<Address>) -> Self {
        self.depends_on = depends_on;
        self
    }

    /// The same change, with the whole objects where `before` and `after` show only part of
    /// them.
    #[must_use]
    pub fn with_whole_objects(
        mut self,
        before: impl Into<Option<Value>>,
        after: impl Into<Option<Value>>,
    ) -> Self {
        self.full_before = before.into();
        self.full_after = after.into();
        self
    }

    /// The same change, with these attributes known only after apply.
    #[must_use]
    pub fn with_after_unknown(mut self, after_unknown: Vec<String>) -> Self {
        self.after_unknown = after_unknown;
        self
    }
}

/// What happens to an addressed object.
///
/// Text glyphs: `+` create and restore, `~` update, `-` delete, `-/+` replace (the old one goes
/// in the same write that brings the new one), `+/-` rotate (the new credential is added and
/// delivered before the old one is removed, like terraform's create-before-destroy), `<=` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Nothing changes.
    NoOp,
    /// A new object.
    Create,
    /// Changed in place.
    Update,
    /// Removed and re-added (a certificate whose file changed).
    Replace,
    /// A secret's credential is replaced by a fresh one (new first, then the old one goes).
    Rotate,
    /// Removed.
    Delete,
    /// Brought back from deleted items.
    Restore,
    /// Only looked at: an application that carries the marker but is not in the manifest.
    Read,
}

impl Action {
    /// The glyph used in text plans.
    pub fn glyph(self) -> &'static str {
        match self {
            Self::NoOp => " ",
            Self::Create | Self::Restore => "+",
            Self::Update => "~",
            Self::Replace => "-/+",
            Self::Rotate => "+/-",
            Self::Delete => "-",
            Self::Read => "<=",
        }
    }

    /// Whether this action changes the tenant.
    pub fn is_change(self) -> bool {
        !matches!(self, Self::NoOp | Self::Read)
    }
}

/// Why a change is planned. UI only: renderers word it, apply never branches on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionReason {
    /// A secret rotates because it expires within its `rotateBefore` window (negative when it
    /// has already expired).
    Expiring {
        /// Time left until the credential's end.
        remaining: Duration,
    },
    /// A secret rotates because its store holds no value.
    StoreMissing,
    /// A secret rotates because its store holds a different credential.
    StoreMismatch {
        /// Whether the store is a Key Vault (worded "vault") or a file.
        key_vault: bool,
    },
    /// An application comes back from deleted items because it still holds the unique name.
    RestoreFromDeletedItems,
    /// An application carries the marker tag but the manifest does not declare it.
    NotInManifest,
    /// An application that is not in the manifest is deleted because of `--prune`.
    Pruned,
    /// An object inside a managed application is not in the manifest (a secret, certificate,
    /// federated credential, owner or role assignment: the change's address says which).
    Undeclared {
        /// Its name (display name or owner), if it has one.
        name: Option<String>,
        /// A secret's hint (first characters of the value).
        hint: Option<String>,
        /// When it expires.
        end: Option<OffsetDateTime>,
    },
    /// A previous credential of a declared secret is removed because its overlap ended (or no
    /// overlap was declared).
    PreviousCredential {
        /// The declared overlap.
        overlap: Option<Duration>,
    },
    /// A certificate is replaced because its file holds a different certificate.
    CertificateChanged,
    /// The manifest says `servicePrincipal: false`.
    ServicePrincipalNotWanted,
    /// Enabled scopes or app roles are removed: apply disables them first, then removes them.
    DisableBeforeRemove {
        /// The values being removed.
        values: Vec<String>,
    },
    /// Admin consent that the application's service principal holds but the manifest does not
    /// ask for (no `adminConsent: true` entry requests that permission).
    ConsentNotDeclared,
}

/// The address of a planned object: `application.<key>` and what lies inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    /// The application's manifest key (for an application not in the manifest, the key part of
    /// its unique name, or its appId).
    pub application: String,
    /// The part of the application, if not the application itself.
    pub component: Component,
}

/// The part of an application an [`Address`] names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    /// The application registration itself.
    Application,
    /// Its service principal.
    ServicePrincipal,
    /// An owner, by the name the manifest uses (UPN or object id).
    Owner(String),
    /// A client secret, by name; `instance` (a keyId) names one of several credentials that
    /// share the name, e.g. the previous one after a rotation.
    Secret {
        /// The secret's name (the credential's displayName).
        name: String,
        /// A keyId, when the name alone is ambiguous.
        instance: Option<String>,
    },
    /// A certificate, by name; `instance` (a keyId) as for secrets.
    Certificate {
        /// The certificate's name (the credential's displayName).
        name: String,
        /// A keyId, when the name alone is ambiguous.
        instance: Option<String>,
    },
    /// A federated identity credential, by name.
    FederatedCredential(String),
    /// Admin consent for one application permission: an app role assignment of the application's
    /// service principal. Shown as `consent["<resource>/<permission>"]`.
    Consent {
        /// The API: the manifest key of an application of this manifest, else the display name
        /// of the API's service principal (its object id when it is not known).
        resource: String,
        /// The permission's value, e.g. `Directory.Read.All` (its id when it is not known).
        permission: String,
    },
    /// Admin consent for the delegated permissions on one API: the tenant-wide
    /// (`AllPrincipals`) OAuth2 permission grant of the application's service principal. Shown
    /// as `delegated_consent["<resource>"]`.
    DelegatedConsent {
        /// The API, named as for [`Component::Consent`].
        resource: String,
    },
    /// An Azure RBAC role assignment of the application's service principal, by role name and
    /// scope. Shown as `role_assignment.<key>["<role> @ <scope>"]` (design.md), outside the
    /// `application.` tree because it lives in ARM, not in the application registration.
    RoleAssignment {
        /// The role's name (built-in or custom); its GUID when the name is not known.
        role: String,
        /// The ARM scope, as the manifest (or, for an undeclared assignment, ARM) spells it.
        scope: String,
    },
    /// The references of a new application to other applications created in the same apply
    /// (known clients, pre-authorized clients, required resource access). Sent by a follow-up
    /// update once all of them exist; a [`Action::NoOp`] change that carries operations, since
    /// the application's create already shows these attributes as known after apply.
    References,
    /// An owner of the application's service principal, by the name the manifest uses (UPN or
    /// object id). Shown as `application.<key>.service_principal.owner["<name>"]`.
    ServicePrincipalOwner(String),
    /// A client secret on the service principal itself (never declared: always drift), by its
    /// display name; `instance` (a keyId) when the name alone is ambiguous or empty. Shown as
    /// `application.<key>.service_principal.secret.<name>`.
    ServicePrincipalSecret {
        /// The credential's displayName.
        name: String,
        /// A keyId, when the name alone is ambiguous.
        instance: Option<String>,
    },
    /// A certificate on the service principal itself (never declared: always drift), as for
    /// [`Component::ServicePrincipalSecret`].
    ServicePrincipalCertificate {
        /// The credential's displayName.
        name: String,
        /// A keyId, when the name alone is ambiguous.
        instance: Option<String>,
    },
}

impl Address {
    /// `application.<key>`.
    pub fn application(key: &str) -> Self {
        Self {
            application: key.to_owned(),
            component: Component::Application,
        }
    }

    /// `application.<key>.<component>`.
    pub fn component(key: &str, component: Component) -> Self {
        Self {
            application: key.to_owned(),
            component,
        }
    }

    /// The object type, as in text plans: `application`, `service_principal`, `owner`, `secret`,
    /// `certificate`, `federated_credential`, `consent`, `delegated_consent`, `role_assignment`.
    pub fn kind(&self) -> &'static str {
        match self.component {
            Component::Application => "application",
            Component::ServicePrincipal => "service_principal",
            Component::Owner(_) => "owner",
            Component::Secret { .. } => "secret",
            Component::Certificate { .. } => "certificate",
            Component::FederatedCredential(_) => "federated_credential",
            Component::Consent { .. } => "consent",
            Component::DelegatedConsent { .. } => "delegated_consent",
            Component::RoleAssignment { .. } => "role_assignment",
            Component::References => "references",
            Component::ServicePrincipalOwner(_) => "service_principal_owner",
            Component::ServicePrincipalSecret { .. } => "service_principal_secret",
            Component::ServicePrincipalCertificate { .. } => "service_principal_certificate",
        }
    }

    /// The object's own name: the application key, the owner, the secret's name, the consent's
    /// `<resource>/<permission>` or the delegated consent's resource, ...
    pub fn name(&self) -> String {
        match &self.component {
            Component::Application | Component::ServicePrincipal | Component::References => {
                self.application.clone()
            }
            Component::Owner(name)
            | Component::Secret { name, .. }
            | Component::Certificate { name, .. }
            | Component::FederatedCredential(name)
            | Component::DelegatedConsent { resource: name }
            | Component::ServicePrincipalOwner(name)
            | Component::ServicePrincipalSecret { name, .. }
            | Component::ServicePrincipalCertificate { name, .. } => name.clone(),
            Component::Consent {
                resource,
                permission,
            } => format!("{resource}/{permission}"),
            Component::RoleAssignment { role, scope } => format!("{role} @ {scope}"),
        }
    }

    /// The instance key, if any: the owner's name, a credential's keyId, the consent's
    /// `<resource>/<permission>`, the delegated consent's resource or the role assignment's
    /// `<role> @ <scope>`.
    pub fn index(&self) -> Option<String> {
        match &self.component {
            Component::Owner(name)
            | Component::DelegatedConsent { resource: name }
            | Component::ServicePrincipalOwner(name) => Some(name.clone()),
            Component::Consent { .. } | Component::RoleAssignment { .. } => Some(self.name()),
            Component::Secret { instance, .. }
            | Component::Certificate { instance, .. }
            | Component::ServicePrincipalSecret { instance, .. }
            | Component::ServicePrincipalCertificate { instance, .. } => instance.clone(),
            _ => None,
        }
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|character| {
            character.is_ascii_alphanumeric() || character == '-' || character == '_'
        })
}

fn write_name(f: &mut fmt::Formatter<'_>, kind: &str, name: &str) -> fmt::Result {
    if is_plain_name(name) {
        write!(f, ".{kind}.{name}")
    } else {
        write!(f, ".{kind}[{}]", quoted(name))
    }
}

/// A string in double quotes with JSON escapes, as addresses and text plans show names.
pub(crate) fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Component::RoleAssignment { .. } = &self.component {
            return write!(
                f,
                "role_assignment.{}[{}]",
                self.application,
                quoted(&self.name())
            );
        }
        write!(f, "application.{}", self.application)?;
        match &self.component {
            Component::Application => Ok(()),
            Component::ServicePrincipal => write!(f, ".service_principal"),
            Component::Owner(name) => write!(f, ".owner[{}]", quoted(name)),
            Component::Secret { name, instance } | Component::Certificate { name, instance } => {
                write_name(f, self.kind(), name)?;
                match instance {
                    Some(instance) => write!(f, "[{}]", quoted(instance)),
                    None => Ok(()),
                }
            }
            Component::FederatedCredential(name) => write_name(f, "federated_credential", name),
            Component::Consent { .. } => write!(f, ".consent[{}]", quoted(&self.name())),
            Component::DelegatedConsent { resource } => {
                write!(f, ".delegated_consent[{}]", quoted(resource))
            }
            Component::References => write!(f, ".references"),
            Component::ServicePrincipalOwner(name) => {
                write!(f, ".service_principal.owner[{}]", quoted(name))
            }
            Component::ServicePrincipalSecret { name, instance }
            | Component::ServicePrincipalCertificate { name, instance } => {
                let kind = if matches!(self.component, Component::ServicePrincipalSecret { .. }) {
                    "secret"
                } else {
                    "certificate"
                };
                write!(f, ".service_principal")?;
                write_name(f, kind, name)?;
                match instance {
                    Some(instance) => write!(f, "[{}]", quoted(instance)),
                    None => Ok(()),
                }
            }
            // Written above.
            Component::RoleAssignment { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_a_replace_twice_and_reads_not_at_all() {
        let tally: Tally = [
            Action::Create,
            Action::Restore,
            Action::Update,
            Action::Rotate,
            Action::Replace,
            Action::Delete,
            Action::Read,
            Action::NoOp,
        ]
        .into_iter()
        .collect();
        assert_eq!((tally.add, tally.change, tally.destroy), (3, 2, 2));
    }

    #[test]
    fn addresses_display_like_terraform() {
        let cases = [
            (Address::application("api"), "application.api"),
            (
                Address::component("api", Component::ServicePrincipal),
                "application.api.service_principal",
            ),
            (
                Address::component("api", Component::Owner("alice@contoso.com".into())),
                "application.api.owner[\"alice@contoso.com\"]",
            ),
            (
                Address::component(
                    "api",
                    Component::Secret {
                        name: "ci".into(),
                        instance: None,
                    },
                ),
                "application.api.secret.ci",
            ),
            (
                Address::component(
                    "api",
                    Component::Secret {
                        name: "my secret".into(),
                        instance: Some("k1".into()),
                    },
                ),
                "application.api.secret[\"my secret\"][\"k1\"]",
            ),
            (
                Address::component("api", Component::FederatedCredential("github-main".into())),
                "application.api.federated_credential.github-main",
            ),
            (
                Address::component(
                    "daemon",
                    Component::Consent {
                        resource: "Microsoft Graph".into(),
                        permission: "Directory.Read.All".into(),
                    },
                ),
                "application.daemon.consent[\"Microsoft Graph/Directory.Read.All\"]",
            ),
            (
                Address::component(
                    "daemon",
                    Component::DelegatedConsent {
                        resource: "Microsoft Graph".into(),
                    },
                ),
                "application.daemon.delegated_consent[\"Microsoft Graph\"]",
            ),
            (
                Address::component(
                    "api",
                    Component::RoleAssignment {
                        role: "Reader".into(),
                        scope: "/subscriptions/s1/resourceGroups/rg".into(),
                    },
                ),
                "role_assignment.api[\"Reader @ /subscriptions/s1/resourceGroups/rg\"]",
            ),
            (
                Address::component(
                    "api",
                    Component::ServicePrincipalOwner("bob@contoso.com".into()),
                ),
                "application.api.service_principal.owner[\"bob@contoso.com\"]",
            ),
            (
                Address::component(
                    "api",
                    Component::ServicePrincipalSecret {
                        name: "by-hand".into(),
                        instance: None,
                    },
                ),
                "application.api.service_principal.secret.by-hand",
            ),
            (
                Address::component(
                    "api",
                    Component::ServicePrincipalCertificate {
                        name: String::new(),
                        instance: Some("k9".into()),
                    },
                ),
                "application.api.service_principal.certificate[\"\"][\"k9\"]",
            ),
        ];
        for (address, expected) in cases {
            assert_eq!(address.to_string(), expected);
        }
    }
}
