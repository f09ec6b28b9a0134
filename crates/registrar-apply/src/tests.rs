//! Executor tests against an in-memory [`TenantWriter`] that records calls and fails on demand.

use std::sync::Mutex;

use registrar_model::{ApplicationRef, FileFormat, PlainSettings, ServicePrincipalRef};
use registrar_plan::{Action, Address, Component};

use super::*;

#[derive(Default)]
struct FakeTenant {
    calls: Mutex<Vec<String>>,
    fail_on: Vec<&'static str>,
    next_key: Mutex<u32>,
    /// The client secrets `add_password` created and `remove_password` has not removed.
    passwords: Mutex<Vec<PasswordCredential>>,
    /// How many `add_password` calls commit the credential and then lose the answer.
    commit_then_drop: Mutex<u32>,
    /// How many `list_passwords` calls still miss the newest credential (read lag).
    lagging_reads: Mutex<u32>,
    /// Whether creates carry owners and certificates themselves, as Graph's do.
    binds_extras: bool,
}

/// The error of an `add_password` whose answer was lost after the credential was created.
const LOST_ANSWER: &str = "connection reset after the request was sent";

#[derive(Debug)]
struct FakeError(&'static str);

impl std::fmt::Display for FakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for FakeError {}

impl FakeTenant {
    fn failing(fail_on: Vec<&'static str>) -> Self {
        Self {
            fail_on,
            ..Self::default()
        }
    }

    fn record(&self, call: String) -> Result<(), WriteError> {
        let verb = call.split(' ').next().unwrap_or_default().to_owned();
        self.calls.lock().unwrap().push(call);
        if self.fail_on.iter().any(|fail| *fail == verb) {
            return Err(Box::new(FakeError("injected failure")));
        }
        Ok(())
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl TenantWriter for FakeTenant {
    fn tenant_id(&self) -> String {
        "tenant".to_owned()
    }
    async fn upsert_application(
        &self,
        unique_name: &str,
        _settings: &ApplicationSettings,
    ) -> Result<(String, String), WriteError> {
        self.record(format!("upsert_application {unique_name}"))?;
        Ok((format!("id-{unique_name}"), format!("appid-{unique_name}")))
    }
    async fn create_application(
        &self,
        unique_name: &str,
        settings: &ApplicationSettings,
        extras: &CreateExtras,
    ) -> Result<(String, String, bool), WriteError> {
        if !self.binds_extras {
            let (id, app_id) = self.upsert_application(unique_name, settings).await?;
            return Ok((id, app_id, false));
        }
        self.record(format!(
            "create_application {unique_name} owners={:?} certificates={}",
            extras.owners,
            extras.certificates.as_ref().map_or(0, Vec::len)
        ))?;
        Ok((
            format!("id-{unique_name}"),
            format!("appid-{unique_name}"),
            true,
        ))
    }
    async fn create_service_principal_with_owners(
        &self,
        app_id: &str,
        settings: &ServicePrincipalSettings,
        owners: &[String],
    ) -> Result<(String, bool), WriteError> {
        if !self.binds_extras {
            let id = self.create_service_principal(app_id, settings).await?;
            return Ok((id, false));
        }
        self.record(format!(
            "create_service_principal {app_id} owners={owners:?}"
        ))?;
        Ok((format!("sp-{app_id}"), true))
    }
    async fn restore_application(&self, id: &str) -> Result<(), WriteError> {
        self.record(format!("restore_application {id}"))
    }
    async fn update_application(
        &self,
        id: &str,
        settings: &ApplicationSettings,
        changed_fields: &[ApplicationField],
    ) -> Result<(), WriteError> {
        self.record(format!(
            "update_application {id} {} {:?}",
            changed_fields
                .iter()
                .map(|field| field.name())
                .collect::<Vec<_>>()
                .join(","),
            settings.plain.identifier_uris
        ))
    }
    async fn delete_application(&self, id: &str) -> Result<(), WriteError> {
        self.record(format!("delete_application {id}"))
    }
    async fn create_service_principal(
        &self,
        app_id: &str,
        _settings: &ServicePrincipalSettings,
    ) -> Result<String, WriteError> {
        self.record(format!("create_service_principal {app_id}"))?;
        Ok(format!("sp-{app_id}"))
    }
    async fn update_service_principal(
        &self,
        id: &str,
        _settings: &ServicePrincipalSettings,
    ) -> Result<(), WriteError> {
        self.record(format!("update_service_principal {id}"))
    }
    async fn delete_service_principal(&self, id: &str) -> Result<(), WriteError> {
        self.record(format!("delete_service_principal {id}"))
    }
    async fn add_owner(&self, application_id: &str, owner_id: &str) -> Result<(), WriteError> {
        self.record(format!("add_owner {application_id} {owner_id}"))
    }
    async fn remove_owner(&self, application_id: &str, owner_id: &str) -> Result<(), WriteError> {
        self.record(format!("remove_owner {application_id} {owner_id}"))
    }
    async fn add_password(
        &self,
        application_id: &str,
        display_name: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<(PasswordCredential, SecretValue), WriteError> {
        self.record(format!("add_password {application_id} {display_name}"))?;
        let mut next = self.next_key.lock().unwrap();
        *next += 1;
        let credential = PasswordCredential {
            key_id: format!("key-{next}"),
            display_name: Some(display_name.to_owned()),
            hint: Some("abc".to_owned()),
            start: Some(start),
            end: Some(end),
        };
        self.passwords.lock().unwrap().push(credential.clone());
        let mut drops = self.commit_then_drop.lock().unwrap();
        if *drops > 0 {
            *drops -= 1;
            return Err(Box::new(FakeError(LOST_ANSWER)));
        }
        Ok((
            credential,
            SecretValue::new("abc-the-secret-value".to_owned()),
        ))
    }
    async fn list_passwords(
        &self,
        application_id: &str,
    ) -> Result<Vec<PasswordCredential>, WriteError> {
        self.record(format!("list_passwords {application_id}"))?;
        let mut passwords = self.passwords.lock().unwrap().clone();
        let mut lagging = self.lagging_reads.lock().unwrap();
        if *lagging > 0 {
            *lagging -= 1;
            passwords.pop();
        }
        Ok(passwords)
    }
    fn may_have_been_applied(&self, error: &WriteError) -> bool {
        error.to_string() == LOST_ANSWER
    }
    async fn remove_password(&self, application_id: &str, key_id: &str) -> Result<(), WriteError> {
        self.record(format!("remove_password {application_id} {key_id}"))?;
        self.passwords
            .lock()
            .unwrap()
            .retain(|credential| credential.key_id != key_id);
        Ok(())
    }
    async fn deliver_secret(
        &self,
        store: &SecretStoreLocation,
        secret: &DeliveredSecret,
    ) -> Result<(), WriteError> {
        assert_eq!(secret.value.expose_secret(), "abc-the-secret-value");
        assert_eq!(secret.client_id, "appid-ns.api");
        self.record(format!(
            "deliver_secret {} {}",
            describe_store(store),
            secret.key_id
        ))
    }
    async fn set_certificates(
        &self,
        application_id: &str,
        certificates: &[KeyCredential],
    ) -> Result<(), WriteError> {
        self.record(format!(
            "set_certificates {application_id} {}",
            certificates.len()
        ))
    }
    async fn upsert_federated_credential(
        &self,
        application_id: &str,
        credential: &FederatedCredential,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "upsert_federated_credential {application_id} {}",
            credential.name
        ))
    }
    async fn delete_federated_credential(
        &self,
        application_id: &str,
        name: &str,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "delete_federated_credential {application_id} {name}"
        ))
    }
    async fn grant_app_role(
        &self,
        client_id: &str,
        resource_id: &str,
        app_role_id: &str,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "grant_app_role {client_id} {resource_id} {app_role_id}"
        ))
    }
    async fn revoke_app_role(
        &self,
        resource_id: &str,
        assignment_id: &str,
    ) -> Result<(), WriteError> {
        self.record(format!("revoke_app_role {resource_id} {assignment_id}"))
    }
    async fn grant_scopes(
        &self,
        client_id: &str,
        resource_id: &str,
        scope: &str,
    ) -> Result<(), WriteError> {
        self.record(format!("grant_scopes {client_id} {resource_id} {scope}"))
    }
    async fn update_granted_scopes(&self, grant_id: &str, scope: &str) -> Result<(), WriteError> {
        self.record(format!("update_granted_scopes {grant_id} {scope}"))
    }
    async fn revoke_grant(&self, grant_id: &str) -> Result<(), WriteError> {
        self.record(format!("revoke_grant {grant_id}"))
    }
    async fn create_role_assignment(
        &self,
        scope: &str,
        name: &str,
        role_definition_id: &str,
        principal_id: &str,
        description: Option<&str>,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "create_role_assignment {scope} {name} {role_definition_id} {principal_id} {description:?}"
        ))
    }
    async fn delete_role_assignment(&self, id: &str) -> Result<(), WriteError> {
        self.record(format!("delete_role_assignment {id}"))
    }
    async fn remove_service_principal_password(
        &self,
        service_principal_id: &str,
        key_id: &str,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "remove_service_principal_password {service_principal_id} {key_id}"
        ))
    }
    async fn remove_service_principal_key(
        &self,
        service_principal_id: &str,
        key_id: &str,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "remove_service_principal_key {service_principal_id} {key_id}"
        ))
    }
    async fn add_service_principal_owner(
        &self,
        service_principal_id: &str,
        owner_id: &str,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "add_service_principal_owner {service_principal_id} {owner_id}"
        ))
    }
    async fn remove_service_principal_owner(
        &self,
        service_principal_id: &str,
        owner_id: &str,
    ) -> Result<(), WriteError> {
        self.record(format!(
            "remove_service_principal_owner {service_principal_id} {owner_id}"
        ))
    }
}

#[derive(Default)]
struct Events(Mutex<Vec<String>>);

impl Reporter for Events {
    fn started(&self, _change: &ResourceChange) {}
    fn succeeded(&self, change: &ResourceChange, _elapsed: Duration) {
        self.0
            .lock()
            .unwrap()
            .push(format!("ok {}", change.address));
    }
    fn failed(&self, change: &ResourceChange, error: &ApplyError) {
        self.0
            .lock()
            .unwrap()
            .push(format!("failed {}: {error}", change.address));
    }
    fn skipped(&self, change: &ResourceChange, because_of: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("skipped {} ({because_of})", change.address));
    }
}

fn change(
    address: Address,
    action: Action,
    depends_on: Vec<Address>,
    operations: Vec<Operation>,
) -> ResourceChange {
    ResourceChange {
        address,
        action,
        reason: None,
        before: None,
        after: None,
        after_unknown: Vec::new(),
        full_before: None,
        full_after: None,
        depends_on,
        operations,
    }
}

fn planned(key: &str) -> ApplicationRef {
    ApplicationRef::Planned {
        key: key.to_owned(),
    }
}

fn file_store() -> SecretStoreLocation {
    SecretStoreLocation::File {
        path: "/tmp/x.json".to_owned(),
        format: FileFormat::Json,
    }
}

/// A new application with a self-referencing identifier URI, its service principal, an owner
/// and a secret.
fn create_plan() -> Plan {
    let app = Address::application("api");
    let settings = ApplicationSettings {
        plain: PlainSettings {
            identifier_uris: vec!["api://{appId}".to_owned()],
            ..Default::default()
        },
        ..ApplicationSettings::default()
    };
    Plan {
        changes: vec![
            change(
                app.clone(),
                Action::Create,
                vec![],
                vec![
                    Operation::CreateApplication {
                        key: "api".to_owned(),
                        unique_name: "ns.api".to_owned(),
                        settings: ApplicationSettings::default(),
                    },
                    Operation::UpdateApplication {
                        application: planned("api"),
                        settings,
                        changed_fields: vec![ApplicationField::IdentifierUris],
                    },
                ],
            ),
            change(
                Address::component("api", Component::ServicePrincipal),
                Action::Create,
                vec![app.clone()],
                vec![Operation::CreateServicePrincipal {
                    key: "api".to_owned(),
                    application: planned("api"),
                    settings: ServicePrincipalSettings::default(),
                }],
            ),
            change(
                Address::component("api", Component::Owner("alice@contoso.com".to_owned())),
                Action::Create,
                vec![app.clone()],
                vec![Operation::AddOwner {
                    application: planned("api"),
                    owner_id: "alice-id".to_owned(),
                }],
            ),
            change(
                Address::component(
                    "api",
                    Component::Secret {
                        name: "ci".to_owned(),
                        instance: None,
                    },
                ),
                Action::Create,
                vec![app],
                vec![Operation::AddSecret {
                    application: planned("api"),
                    display_name: "ci".to_owned(),
                    start: OffsetDateTime::UNIX_EPOCH,
                    end: OffsetDateTime::UNIX_EPOCH,
                    store: file_store(),
                }],
            ),
        ],
        warnings: Vec::new(),
        ..Plan::default()
    }
}

fn run(plan: &Plan, tenant: &FakeTenant) -> (ApplyReport, Vec<String>) {
    let events = Events::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let report = runtime.block_on(apply(plan, tenant, &events, &ApplyOptions::default()));
    let events = events.0.into_inner().unwrap();
    (report, events)
}

#[test]
fn apply_creates_in_dependency_order_with_created_ids() {
    let tenant = FakeTenant::default();
    let (report, _) = run(&create_plan(), &tenant);
    assert!(report.is_success());
    assert_eq!(
        (report.tally.add, report.tally.change, report.tally.destroy),
        (4, 0, 0)
    );
    let calls = tenant.calls();
    assert_eq!(calls[0], "upsert_application ns.api");
    assert_eq!(
        calls[1],
        "update_application id-ns.api identifier_uris [\"api://appid-ns.api\"]"
    );
    let mut rest = calls[2..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        vec![
            "add_owner id-ns.api alice-id",
            "add_password id-ns.api ci",
            "create_service_principal appid-ns.api",
            "deliver_secret file `/tmp/x.json` key-1",
        ]
    );
}

#[test]
fn apply_failure_skips_dependents_only() {
    let mut plan = create_plan();
    plan.changes.push(change(
        Address::application("other"),
        Action::Update,
        vec![],
        vec![Operation::DeleteServicePrincipal {
            id: "sp-other".to_owned(),
        }],
    ));
    let tenant = FakeTenant::failing(vec!["upsert_application"]);
    let (report, events) = run(&plan, &tenant);
    assert!(!report.is_success());
    assert_eq!(report.succeeded(), 1);
    assert_eq!(report.skipped(), 3);
    assert_eq!(report.failures().count(), 1);
    assert!(
        events.contains(&"ok application.other".to_owned()),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|event| event.starts_with("skipped application.api.service_principal")),
        "{events:?}"
    );
    assert_eq!(report.tally.change, 1);
}

#[test]
fn apply_removes_the_credential_when_delivery_fails() {
    let tenant = FakeTenant::failing(vec!["deliver_secret"]);
    let (report, _) = run(&create_plan(), &tenant);
    let (address, error) = report.failures().next().expect("one failure");
    assert_eq!(address, "application.api.secret.ci");
    assert!(
        matches!(error, ApplyError::DeliveryFailed { .. }),
        "{error:?}"
    );
    assert!(
        tenant
            .calls()
            .contains(&"remove_password id-ns.api key-1".to_owned())
    );
    let message = error.to_string();
    assert!(message.contains("was removed again"), "{message}");
    assert!(!message.contains("abc-the-secret-value"));
}

#[test]
fn apply_reports_an_orphan_when_removal_fails_too() {
    let tenant = FakeTenant::failing(vec!["deliver_secret", "remove_password"]);
    let (report, _) = run(&create_plan(), &tenant);
    let (_, error) = report.failures().next().expect("one failure");
    assert!(
        matches!(error, ApplyError::DeliveryFailedOrphan { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("remove it by hand"));
}

#[test]
fn apply_rotation_keeps_the_old_secret_when_the_new_one_fails() {
    let old = ApplicationRef::Existing {
        id: "app".to_owned(),
        app_id: "appid-ns.api".to_owned(),
    };
    let plan = Plan {
        changes: vec![change(
            Address::component(
                "api",
                Component::Secret {
                    name: "ci".to_owned(),
                    instance: None,
                },
            ),
            Action::Rotate,
            vec![],
            vec![
                Operation::AddSecret {
                    application: old.clone(),
                    display_name: "ci".to_owned(),
                    start: OffsetDateTime::UNIX_EPOCH,
                    end: OffsetDateTime::UNIX_EPOCH,
                    store: file_store(),
                },
                Operation::RemoveSecret {
                    application: old,
                    key_id: "old-key".to_owned(),
                },
            ],
        )],
        warnings: Vec::new(),
        ..Plan::default()
    };
    let tenant = FakeTenant::failing(vec!["deliver_secret"]);
    let (report, _) = run(&plan, &tenant);
    assert!(!report.is_success());
    assert!(
        !tenant
            .calls()
            .contains(&"remove_password app old-key".to_owned())
    );
}

fn planned_sp(key: &str) -> ServicePrincipalRef {
    ServicePrincipalRef::Planned {
        key: key.to_owned(),
    }
}

/// [`create_plan`] plus a second new application `worker` whose service principal gets admin
/// consent on Microsoft Graph (an existing service principal) and on `api`'s service principal
/// (created in the same apply), and an existing client whose consent is revoked and updated.
fn consent_plan() -> Plan {
    let mut plan = create_plan();
    let worker = Address::application("worker");
    let worker_sp = Address::component("worker", Component::ServicePrincipal);
    let api_sp = Address::component("api", Component::ServicePrincipal);
    plan.changes.push(change(
        worker.clone(),
        Action::Create,
        vec![],
        vec![Operation::CreateApplication {
            key: "worker".to_owned(),
            unique_name: "ns.worker".to_owned(),
            settings: ApplicationSettings::default(),
        }],
    ));
    plan.changes.push(change(
        worker_sp.clone(),
        Action::Create,
        vec![worker],
        vec![Operation::CreateServicePrincipal {
            key: "worker".to_owned(),
            application: planned("worker"),
            settings: ServicePrincipalSettings::default(),
        }],
    ));
    let graph = ServicePrincipalRef::Existing {
        id: "graph-sp".to_owned(),
    };
    plan.changes.push(change(
        Address::component(
            "worker",
            Component::Consent {
                resource: "Microsoft Graph".to_owned(),
                permission: "Directory.Read.All".to_owned(),
            },
        ),
        Action::Create,
        vec![worker_sp.clone()],
        vec![Operation::GrantAppRole {
            client: planned_sp("worker"),
            resource: graph.clone(),
            app_role_id: "role-directory".to_owned(),
        }],
    ));
    plan.changes.push(change(
        Address::component(
            "worker",
            Component::Consent {
                resource: "api".to_owned(),
                permission: "Data.Read.All".to_owned(),
            },
        ),
        Action::Create,
        vec![worker_sp.clone(), api_sp.clone()],
        vec![Operation::GrantAppRole {
            client: planned_sp("worker"),
            resource: planned_sp("api"),
            app_role_id: "role-data".to_owned(),
        }],
    ));
    plan.changes.push(change(
        Address::component(
            "worker",
            Component::DelegatedConsent {
                resource: "api".to_owned(),
            },
        ),
        Action::Create,
        vec![worker_sp, api_sp],
        vec![Operation::GrantScopes {
            client: planned_sp("worker"),
            resource: planned_sp("api"),
            scope: "Data.Read Data.Write".to_owned(),
        }],
    ));
    plan.changes.push(change(
        Address::component(
            "old",
            Component::Consent {
                resource: "Microsoft Graph".to_owned(),
                permission: "User.Read.All".to_owned(),
            },
        ),
        Action::Delete,
        vec![],
        vec![Operation::RevokeAppRole {
            resource_id: "graph-sp".to_owned(),
            assignment_id: "47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M".to_owned(),
        }],
    ));
    plan.changes.push(change(
        Address::component(
            "old",
            Component::DelegatedConsent {
                resource: "Microsoft Graph".to_owned(),
            },
        ),
        Action::Update,
        vec![],
        vec![
            Operation::UpdateGrantedScopes {
                grant_id: "grant-1".to_owned(),
                scope: "User.Read openid".to_owned(),
            },
            Operation::RevokeGrant {
                grant_id: "grant-2".to_owned(),
            },
        ],
    ));
    plan
}

#[test]
fn apply_grants_consent_with_the_created_service_principal_ids() {
    let tenant = FakeTenant::default();
    let (report, events) = run(&consent_plan(), &tenant);
    assert!(report.is_success(), "{events:?}");
    assert_eq!(
        (report.tally.add, report.tally.change, report.tally.destroy),
        (9, 1, 1)
    );
    let calls = tenant.calls();
    let position = |call: &str| {
        calls
            .iter()
            .position(|made| made == call)
            .unwrap_or_else(|| panic!("no call `{call}` in {calls:?}"))
    };
    let worker_sp = position("create_service_principal appid-ns.worker");
    let api_sp = position("create_service_principal appid-ns.api");
    let graph_role = position("grant_app_role sp-appid-ns.worker graph-sp role-directory");
    let api_role = position("grant_app_role sp-appid-ns.worker sp-appid-ns.api role-data");
    let scopes = position("grant_scopes sp-appid-ns.worker sp-appid-ns.api Data.Read Data.Write");
    assert!(worker_sp < graph_role && worker_sp < api_role && worker_sp < scopes);
    assert!(api_sp < api_role && api_sp < scopes);
    position("revoke_app_role graph-sp 47nZsM8O_UuNq5Jz3QValCxBBiqJea9Drc9CMK4Ru_M");
    let update = position("update_granted_scopes grant-1 User.Read openid");
    let revoke = position("revoke_grant grant-2");
    assert!(update < revoke, "operations of one change run in order");
}

#[test]
fn apply_failed_service_principal_create_skips_its_consent() {
    let tenant = FakeTenant::failing(vec!["create_service_principal"]);
    let (report, events) = run(&consent_plan(), &tenant);
    assert!(!report.is_success());
    let calls = tenant.calls();
    assert!(
        !calls
            .iter()
            .any(|call| call.starts_with("grant_app_role") || call.starts_with("grant_scopes")),
        "{calls:?}"
    );
    for address in [
        "application.worker.consent[\"Microsoft Graph/Directory.Read.All\"]",
        "application.worker.consent[\"api/Data.Read.All\"]",
        "application.worker.delegated_consent[\"api\"]",
    ] {
        assert!(
            matches!(
                report.outcomes.get(address),
                Some(ChangeOutcome::Skipped { because_of }) if because_of.ends_with(".service_principal")
            ),
            "{address}: {events:?}"
        );
    }
    // Consent of an existing service principal does not wait for anything.
    assert!(
        calls.contains(&"revoke_grant grant-2".to_owned()),
        "{calls:?}"
    );
}

#[test]
fn apply_consent_without_its_service_principal_create_fails_clearly() {
    let plan = Plan {
        changes: vec![change(
            Address::component(
                "worker",
                Component::DelegatedConsent {
                    resource: "Microsoft Graph".to_owned(),
                },
            ),
            Action::Create,
            vec![],
            vec![Operation::GrantScopes {
                client: planned_sp("worker"),
                resource: ServicePrincipalRef::Existing {
                    id: "graph-sp".to_owned(),
                },
                scope: "User.Read".to_owned(),
            }],
        )],
        warnings: Vec::new(),
        ..Plan::default()
    };
    let tenant = FakeTenant::default();
    let (report, _) = run(&plan, &tenant);
    let (_, error) = report.failures().next().expect("one failure");
    assert_eq!(
        error.to_string(),
        "the service principal of application `worker` was not created earlier in this apply"
    );
    assert!(tenant.calls().is_empty());
}

const RG: &str = "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

mod rbac;
mod secrets;

mod carry;
