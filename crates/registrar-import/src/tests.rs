//! Unit tests of the reverse mapping: the YAML written loads as a manifest and says what it
//! should.

use std::path::Path;

use registrar_model::{
    AppRole, AppRoleAssignment, ApplicationSettings, DirectoryObject, DirectoryObjectKind,
    FederatedCredential, KeyCredential, LiveApplication, LiveServicePrincipal, LiveTenant,
    PasswordCredential, PermissionKind, RequiredResourceAccess, ResourceAccess,
    ResourceServicePrincipal, RoleAssignment,
};

use super::*;

const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
const USER_READ: &str = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";
const DIRECTORY_READ_ALL: &str = "7ab1d382-f21e-4acd-a863-ba3e13f7da61";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

fn app(display_name: &str, tags: &[&str]) -> LiveApplication {
    let mut settings = ApplicationSettings::default();
    settings.plain.display_name = display_name.to_owned();
    settings.plain.sign_in_audience = "AzureADMyOrg".to_owned();
    settings.plain.tags = tags.iter().map(|tag| (*tag).to_owned()).collect();
    LiveApplication {
        id: "11111111-1111-1111-1111-111111111111".to_owned(),
        app_id: "22222222-2222-2222-2222-222222222222".to_owned(),
        settings,
        ..LiveApplication::default()
    }
}

fn tenant(applications: Vec<LiveApplication>) -> LiveTenant {
    LiveTenant {
        applications,
        ..LiveTenant::default()
    }
}

fn loads(text: &str) -> registrar_manifest::Loaded {
    match registrar_manifest::load_str(Path::new("imported.yaml"), text, &|_| None) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("the import does not load:\n{diagnostics}\n{text}"),
    }
}

#[test]
fn a_minimal_application_round_trips_through_the_manifest_loader() {
    let live = tenant(vec![app("My App", &[])]);
    let manifest = import(&live, &ImportOptions::default()).unwrap();
    assert_eq!(manifest.namespace, DEFAULT_NAMESPACE);
    assert_eq!(manifest.applications[0].key, "my-app");
    let loaded = loads(&manifest.document());
    let declared = &loaded.desired.applications[0];
    assert_eq!(declared.key, "my-app");
    assert_eq!(
        declared.app_id.as_deref(),
        Some("22222222-2222-2222-2222-222222222222")
    );
    assert_eq!(declared.plain.display_name, "My App");
    assert!(declared.service_principal.is_none());
}

#[test]
fn the_marker_names_the_namespace_and_the_unique_name_the_key() {
    let mut found = app("Whatever", &["registrar:platform", "team:x"]);
    found.unique_name = Some("platform.api".to_owned());
    let manifest = import(&tenant(vec![found]), &ImportOptions::default()).unwrap();
    assert_eq!(manifest.namespace, "platform");
    assert_eq!(manifest.applications[0].key, "api");
    let text = manifest.document();
    assert!(text.contains("tags: [\"team:x\"]"), "{text}");
    assert!(!text.contains("registrar:platform"), "{text}");
}

#[test]
fn the_protect_tag_is_no_namespace_and_imports_as_protect() {
    let mut found = app(
        "Vault reader",
        &["registrar:platform", "registrar:platform:protect", "team:x"],
    );
    found.unique_name = Some("platform.reader".to_owned());
    let manifest = import(&tenant(vec![found]), &ImportOptions::default()).unwrap();
    assert_eq!(manifest.namespace, "platform");
    let text = manifest.document();
    assert!(text.contains("tags: [\"team:x\"]"), "{text}");
    assert!(!text.contains("registrar:platform"), "{text}");
    assert!(loads(&text).desired.applications[0].protect, "{text}");
}

#[test]
fn another_namespace_is_refused_unless_forced() {
    let live = tenant(vec![app("Theirs", &["registrar:other"])]);
    let options = ImportOptions {
        namespace: Some("mine".to_owned()),
        ..ImportOptions::default()
    };
    let refused = import(&live, &options).unwrap_err();
    assert!(
        refused[0]
            .to_string()
            .contains("managed by namespace `other`")
    );
    let forced = ImportOptions {
        force: true,
        ..options
    };
    let manifest = import(&live, &forced).unwrap();
    // The other marker stays a tag, so plan does not remove it.
    assert!(manifest.document().contains("\"registrar:other\""));
}

#[test]
fn permissions_roles_and_consent_are_written_by_name() {
    let mut found = app("Reader", &[]);
    found.settings.required_resource_access = vec![RequiredResourceAccess {
        resource_app_id: GRAPH.to_owned(),
        resource_access: vec![
            ResourceAccess {
                id: USER_READ.to_owned(),
                access_type: PermissionKind::Delegated,
            },
            ResourceAccess {
                id: DIRECTORY_READ_ALL.to_owned(),
                access_type: PermissionKind::Application,
            },
            ResourceAccess {
                id: "99999999-9999-9999-9999-999999999999".to_owned(),
                access_type: PermissionKind::Application,
            },
        ],
    }];
    found.owners = vec!["33333333-3333-3333-3333-333333333333".to_owned()];
    found.service_principal = Some(LiveServicePrincipal {
        id: "44444444-4444-4444-4444-444444444444".to_owned(),
        app_id: found.app_id.clone(),
        role_assignments: vec![RoleAssignment {
            id: "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/r".to_owned(),
            name: "r".to_owned(),
            scope: "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e".to_owned(),
            role_definition_id: READER.to_owned(),
            principal_id: "44444444-4444-4444-4444-444444444444".to_owned(),
            description: None,
        }],
        app_role_assignments: vec![AppRoleAssignment {
            id: "x".to_owned(),
            resource_id: "55555555-5555-5555-5555-555555555555".to_owned(),
            app_role_id: DIRECTORY_READ_ALL.to_owned(),
        }],
        owners: vec![
            "33333333-3333-3333-3333-333333333333".to_owned(),
            "66666666-6666-6666-6666-666666666666".to_owned(),
        ],
        ..LiveServicePrincipal::default()
    });
    let mut live = tenant(vec![found]);
    live.resource_service_principals = vec![ResourceServicePrincipal {
        id: "55555555-5555-5555-5555-555555555555".to_owned(),
        app_id: GRAPH.to_owned(),
        display_name: "Microsoft Graph".to_owned(),
        ..ResourceServicePrincipal::default()
    }];
    live.directory_objects = vec![DirectoryObject {
        id: "33333333-3333-3333-3333-333333333333".to_owned(),
        kind: DirectoryObjectKind::User,
        user_principal_name: Some("alice@contoso.com".to_owned()),
        display_name: None,
    }];
    let text = import(&live, &ImportOptions::default()).unwrap().document();
    assert!(text.contains("- resource: \"Microsoft Graph\""), "{text}");
    assert!(text.contains("scopes: [\"User.Read\"]"), "{text}");
    assert!(
        text.contains("roles: [\"Directory.Read.All\", \"99999999-9999-9999-9999-999999999999\"]"),
        "{text}"
    );
    assert!(
        text.contains("# 99999999-9999-9999-9999-999999999999: no name"),
        "{text}"
    );
    // Only part of the consent is granted (the scope has no grant).
    assert!(
        !text.lines().any(|line| line.trim() == "adminConsent: true"),
        "{text}"
    );
    assert!(text.contains("partly granted"), "{text}");
    assert!(text.contains("owners: [\"alice@contoso.com\"]"), "{text}");
    // The service principal's owners, by UPN where the directory gave one.
    assert!(
        text.contains(
            "    owners: [\"alice@contoso.com\", \"66666666-6666-6666-6666-666666666666\"]"
        ),
        "{text}"
    );
    assert!(text.contains("- role: \"Reader\""), "{text}");
}

#[test]
fn secrets_are_commented_out_and_certificates_become_files() {
    let mut found = app("Creds", &[]);
    found.password_credentials = vec![PasswordCredential {
        key_id: "k1".to_owned(),
        display_name: Some("ci".to_owned()),
        hint: Some("abc".to_owned()),
        start: None,
        end: None,
    }];
    found.key_credentials = vec![
        KeyCredential {
            key_id: "k2".to_owned(),
            display_name: Some("signing".to_owned()),
            key_type: "AsymmetricX509Cert".to_owned(),
            usage: "Verify".to_owned(),
            custom_key_identifier: None,
            start: None,
            end: None,
            key: Some("QUJD".to_owned()),
        },
        KeyCredential {
            key_id: "k3".to_owned(),
            display_name: Some("old".to_owned()),
            key_type: "AsymmetricX509Cert".to_owned(),
            usage: "Verify".to_owned(),
            custom_key_identifier: None,
            start: None,
            end: None,
            key: None,
        },
    ];
    found.federated_credentials = vec![FederatedCredential {
        id: "f".to_owned(),
        name: "github-main".to_owned(),
        issuer: "https://token.actions.githubusercontent.com".to_owned(),
        subject: "repo:contoso/x:ref:refs/heads/main".to_owned(),
        audiences: vec!["api://AzureADTokenExchange".to_owned()],
        description: Some("costs ${NOT_A_VARIABLE}".to_owned()),
    }];
    found.settings.app_roles = vec![AppRole {
        id: "r".to_owned(),
        value: "Studies.Read".to_owned(),
        display_name: "Read".to_owned(),
        description: "Read studies".to_owned(),
        allowed_member_types: vec!["Application".to_owned()],
        is_enabled: true,
    }];
    let manifest = import(&tenant(vec![found]), &ImportOptions::default()).unwrap();
    let text = manifest.document();
    assert!(
        text.contains("#   \"ci\":   # expires unknown, hint abc"),
        "{text}"
    );
    assert!(text.contains("cannot be read back"), "{text}");
    assert!(
        text.contains("\"signing\": { file: \"certs/creds-signing.pem\" }"),
        "{text}"
    );
    assert!(
        text.contains("Graph did not return its public key"),
        "{text}"
    );
    assert_eq!(manifest.certificates.len(), 1);
    assert!(
        manifest.certificates[0]
            .pem
            .starts_with("-----BEGIN CERTIFICATE-----\nQUJD\n")
    );
    assert!(text.contains("$${NOT_A_VARIABLE}"), "{text}");
    assert_eq!(manifest.notes.len(), 1);
}

#[test]
fn keys_are_unique_and_valid() {
    let mut second = app("My App", &[]);
    second.id = "other".to_owned();
    let third = app("!!!", &[]);
    let manifest = import(
        &tenant(vec![app("My App", &[]), second, third]),
        &ImportOptions::default(),
    )
    .unwrap();
    let keys: Vec<&str> = manifest
        .applications
        .iter()
        .map(|app| app.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "my-app",
            "my-app-2",
            "app-22222222-2222-2222-2222-222222222222"
        ]
    );
    assert_eq!(manifest.files()[1].0, "my-app-2.yaml");
}
