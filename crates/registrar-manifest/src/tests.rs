//! Tests of the whole load, through one helper: [`check`] loads YAML and compares the printed
//! diagnostics (or `ok` and the warnings) with an expectation. Update expectations with
//! `UPDATE_EXPECT=1 cargo test -p registrar-manifest`, then review the diff.

use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};

use crate::{Loaded, load, load_str};

fn env(name: &str) -> Option<String> {
    match name {
        "TENANT" => Some("contoso.onmicrosoft.com".to_owned()),
        "VAULT" => Some("kv-platform".to_owned()),
        "PUBLIC" => Some("true".to_owned()),
        _ => None,
    }
}

fn render(result: Result<Loaded, crate::Diagnostics>) -> String {
    match result {
        Ok(loaded) => {
            let mut out = "ok".to_owned();
            for warning in &loaded.warnings {
                out.push('\n');
                out.push_str(&warning.to_string());
            }
            out
        }
        Err(diagnostics) => diagnostics.to_string(),
    }
}

/// Loads `yaml` as `apps.yaml` and compares what a user would see.
#[track_caller]
fn check(yaml: &str, expect: Expect) {
    expect.assert_eq(&render(load_str(Path::new("apps.yaml"), yaml, &env)));
}

/// One application `a` whose body is `body` (indented by the caller as under `  a:`), starting
/// at line 5 (`version`, `namespace`, `applications`, `a` are lines 1-4).
#[track_caller]
fn check_app(body: &str, expect: Expect) {
    let mut yaml = "version: 1\nnamespace: test\napplications:\n  a:\n".to_owned();
    for line in body.lines() {
        yaml.push_str("    ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    check(&yaml, expect);
}

fn loaded(yaml: &str) -> Loaded {
    match load_str(Path::new("apps.yaml"), yaml, &env) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("manifest does not load:\n{diagnostics}"),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ---------------------------------------------------------------------------------------------
// parsing into DesiredState

const FULL: &str = r#"
version: 1
namespace: platform
tenant: ${TENANT}
defaults:
  owners: [alice@contoso.com]
  secretLifetime: 90d
  tags: [team:platform]
applications:
  dicom-client:
    displayName: DICOM client
    description: Reads and writes DICOM studies
    notes: |
      Owned by the imaging platform team.
    signInAudience: AzureADMultipleOrgs
    identifierUris:
      - api://{appId}
    tags: [imaging]
    owners: [bob@contoso.com, Alice@contoso.com]
    web:
      homePageUrl: https://dicom.contoso.com
      logoutUrl: https://dicom.contoso.com/logout
      redirectUris: [https://dicom.contoso.com/auth, http://localhost:5000/auth]
      implicitGrant: { accessTokens: false, idTokens: true }
    spa:
      redirectUris: [http://localhost:3000]
    publicClient:
      redirectUris: [myapp://auth]
    allowPublicClientFlows: ${PUBLIC}
    groupMembershipClaims: SecurityGroup
    serviceManagementReference: INC-1234
    info:
      marketingUrl: https://contoso.com/dicom
      privacyStatementUrl: https://contoso.com/privacy
      supportUrl: https://contoso.com/support
      termsOfServiceUrl: https://contoso.com/terms
    optionalClaims:
      idToken: [{ name: email, essential: false }]
      accessToken: [{ name: upn, source: user, essential: true, additionalProperties: [include_externally_authenticated_upn] }]
    api:
      requestedAccessTokenVersion: 2
      knownClientApplications: [dicom-viewer]
      preAuthorizedApplications:
        - app: dicom-viewer
          scopes: [Dicom.ReadWrite]
      scopes:
        Dicom.ReadWrite:
          type: User
          adminConsentDisplayName: Read and write DICOM data
          adminConsentDescription: Allows the app to read and write DICOM data.
          userConsentDisplayName: Read and write your DICOM data
          userConsentDescription: Allows the app to read and write your DICOM data.
        Dicom.Admin: {}
    appRoles:
      Studies.Read.All:
        displayName: Read all studies
        allowedMemberTypes: [Application]
    requiredResourceAccess:
      - resource: Microsoft Graph
        scopes: [User.Read]
        roles: [Directory.Read.All]
        adminConsent: true
      - resource: 0b07f429-9f4b-4714-9392-cc5e8e80c8b0
        scopes: [Read.Write]
    secrets:
      ci:
        rotateBefore: 2w
        overlap: PT12H
        store:
          keyVault: { vault: "${VAULT}", name: dicom-client-ci }
    federatedCredentials:
      github-main:
        issuer: https://token.actions.githubusercontent.com
        subject: repo:contoso/dicom:ref:refs/heads/main
        description: Deploys from main
    servicePrincipal:
      appRoleAssignmentRequired: true
      tags: [WindowsAzureActiveDirectoryIntegratedApp]
    roleAssignments:
      - role: Reader
        scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001
        description: Read monitoring data
  dicom-viewer:
    servicePrincipal: false
    requiredResourceAccess:
      - resource: dicom-client
        scopes: [Dicom.ReadWrite]
"#;

#[test]
fn load_full_manifest_into_desired_state() {
    let loaded = loaded(FULL);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let json = serde_json::to_string_pretty(&loaded.desired).expect("serializes");
    expect![[r#"
        {
          "namespace": "platform",
          "tenant": "contoso.onmicrosoft.com",
          "applications": [
            {
              "key": "dicom-client",
              "origin": {
                "file": "apps.yaml",
                "line": 10,
                "column": 3
              },
              "app_id": null,
              "display_name": "DICOM client",
              "description": "Reads and writes DICOM studies",
              "notes": "Owned by the imaging platform team.\n",
              "sign_in_audience": "AzureADMultipleOrgs",
              "identifier_uris": [
                "api://{appId}"
              ],
              "tags": [
                "team:platform",
                "imaging"
              ],
              "web": {
                "home_page_url": "https://dicom.contoso.com",
                "logout_url": "https://dicom.contoso.com/logout",
                "redirect_uris": [
                  "https://dicom.contoso.com/auth",
                  "http://localhost:5000/auth"
                ],
                "implicit_grant_access_tokens": false,
                "implicit_grant_id_tokens": true
              },
              "spa_redirect_uris": [
                "http://localhost:3000"
              ],
              "public_client_redirect_uris": [
                "myapp://auth"
              ],
              "is_fallback_public_client": true,
              "group_membership_claims": "SecurityGroup",
              "service_management_reference": "INC-1234",
              "info": {
                "marketing_url": "https://contoso.com/dicom",
                "privacy_statement_url": "https://contoso.com/privacy",
                "support_url": "https://contoso.com/support",
                "terms_of_service_url": "https://contoso.com/terms"
              },
              "optional_claims": {
                "id_token": [
                  {
                    "name": "email",
                    "source": null,
                    "essential": false,
                    "additional_properties": []
                  }
                ],
                "access_token": [
                  {
                    "name": "upn",
                    "source": "user",
                    "essential": true,
                    "additional_properties": [
                      "include_externally_authenticated_upn"
                    ]
                  }
                ],
                "saml2_token": []
              },
              "owners": [
                {
                  "value": "alice@contoso.com",
                  "origin": {
                    "file": "apps.yaml",
                    "line": 6,
                    "column": 12
                  }
                },
                {
                  "value": "bob@contoso.com",
                  "origin": {
                    "file": "apps.yaml",
                    "line": 19,
                    "column": 14
                  }
                }
              ],
              "api": {
                "requested_access_token_version": 2,
                "known_client_applications": [
                  {
                    "value": "dicom-viewer",
                    "origin": {
                      "file": "apps.yaml",
                      "line": 42,
                      "column": 33
                    }
                  }
                ],
                "pre_authorized_applications": [
                  {
                    "app": {
                      "value": "dicom-viewer",
                      "origin": {
                        "file": "apps.yaml",
                        "line": 44,
                        "column": 16
                      }
                    },
                    "scopes": [
                      "Dicom.ReadWrite"
                    ]
                  }
                ],
                "scopes": [
                  {
                    "value": "Dicom.ReadWrite",
                    "scope_type": "User",
                    "admin_consent_display_name": "Read and write DICOM data",
                    "admin_consent_description": "Allows the app to read and write DICOM data.",
                    "user_consent_display_name": "Read and write your DICOM data",
                    "user_consent_description": "Allows the app to read and write your DICOM data.",
                    "enabled": true
                  },
                  {
                    "value": "Dicom.Admin",
                    "scope_type": "Admin",
                    "admin_consent_display_name": null,
                    "admin_consent_description": null,
                    "user_consent_display_name": null,
                    "user_consent_description": null,
                    "enabled": true
                  }
                ]
              },
              "app_roles": [
                {
                  "value": "Studies.Read.All",
                  "display_name": "Read all studies",
                  "description": "Read all studies",
                  "allowed_member_types": [
                    "Application"
                  ],
                  "enabled": true
                }
              ],
              "required_resource_access": [
                {
                  "resource": {
                    "value": "Microsoft Graph",
                    "origin": {
                      "file": "apps.yaml",
                      "line": 59,
                      "column": 19
                    }
                  },
                  "scopes": [
                    {
                      "value": "User.Read",
                      "origin": {
                        "file": "apps.yaml",
                        "line": 60,
                        "column": 18
                      }
                    }
                  ],
                  "roles": [
                    {
                      "value": "Directory.Read.All",
                      "origin": {
                        "file": "apps.yaml",
                        "line": 61,
                        "column": 17
                      }
                    }
                  ],
                  "admin_consent": true
                },
                {
                  "resource": {
                    "value": "0b07f429-9f4b-4714-9392-cc5e8e80c8b0",
                    "origin": {
                      "file": "apps.yaml",
                      "line": 63,
                      "column": 19
                    }
                  },
                  "scopes": [
                    {
                      "value": "Read.Write",
                      "origin": {
                        "file": "apps.yaml",
                        "line": 64,
                        "column": 18
                      }
                    }
                  ],
                  "roles": [],
                  "admin_consent": false
                }
              ],
              "secrets": [
                {
                  "name": "ci",
                  "origin": {
                    "file": "apps.yaml",
                    "line": 66,
                    "column": 7
                  },
                  "lifetime": [
                    7776000,
                    0
                  ],
                  "rotate_before": [
                    1209600,
                    0
                  ],
                  "overlap": [
                    43200,
                    0
                  ],
                  "store": {
                    "KeyVault": {
                      "vault": "kv-platform",
                      "name": "dicom-client-ci"
                    }
                  }
                }
              ],
              "certificates": [],
              "federated_credentials": [
                {
                  "name": "github-main",
                  "origin": {
                    "file": "apps.yaml",
                    "line": 72,
                    "column": 7
                  },
                  "issuer": "https://token.actions.githubusercontent.com",
                  "subject": "repo:contoso/dicom:ref:refs/heads/main",
                  "audiences": [
                    "api://AzureADTokenExchange"
                  ],
                  "description": "Deploys from main"
                }
              ],
              "service_principal": {
                "app_role_assignment_required": true,
                "tags": [
                  "WindowsAzureActiveDirectoryIntegratedApp"
                ],
                "notes": null
              },
              "role_assignments": [
                {
                  "role": {
                    "value": "Reader",
                    "origin": {
                      "file": "apps.yaml",
                      "line": 80,
                      "column": 15
                    }
                  },
                  "scope": {
                    "value": "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001",
                    "origin": {
                      "file": "apps.yaml",
                      "line": 81,
                      "column": 16
                    }
                  },
                  "description": "Read monitoring data"
                }
              ]
            },
            {
              "key": "dicom-viewer",
              "origin": {
                "file": "apps.yaml",
                "line": 83,
                "column": 3
              },
              "app_id": null,
              "display_name": "dicom-viewer",
              "description": null,
              "notes": null,
              "sign_in_audience": "AzureADMyOrg",
              "identifier_uris": [],
              "tags": [
                "team:platform"
              ],
              "web": {
                "home_page_url": null,
                "logout_url": null,
                "redirect_uris": [],
                "implicit_grant_access_tokens": false,
                "implicit_grant_id_tokens": false
              },
              "spa_redirect_uris": [],
              "public_client_redirect_uris": [],
              "is_fallback_public_client": false,
              "group_membership_claims": null,
              "service_management_reference": null,
              "info": {
                "marketing_url": null,
                "privacy_statement_url": null,
                "support_url": null,
                "terms_of_service_url": null
              },
              "optional_claims": {
                "id_token": [],
                "access_token": [],
                "saml2_token": []
              },
              "owners": [
                {
                  "value": "alice@contoso.com",
                  "origin": {
                    "file": "apps.yaml",
                    "line": 6,
                    "column": 12
                  }
                }
              ],
              "api": {
                "requested_access_token_version": null,
                "known_client_applications": [],
                "pre_authorized_applications": [],
                "scopes": []
              },
              "app_roles": [],
              "required_resource_access": [
                {
                  "resource": {
                    "value": "dicom-client",
                    "origin": {
                      "file": "apps.yaml",
                      "line": 86,
                      "column": 19
                    }
                  },
                  "scopes": [
                    {
                      "value": "Dicom.ReadWrite",
                      "origin": {
                        "file": "apps.yaml",
                        "line": 87,
                        "column": 18
                      }
                    }
                  ],
                  "roles": [],
                  "admin_consent": false
                }
              ],
              "secrets": [],
              "certificates": [],
              "federated_credentials": [],
              "service_principal": null,
              "role_assignments": []
            }
          ]
        }"#]].assert_eq(&json);
}

#[test]
fn load_applies_builtin_defaults() {
    let loaded = loaded(
        "version: 1\nnamespace: t\napplications:\n  a:\n    secrets:\n      s: { store: { file: { path: s.json } } }\n    api:\n      scopes: { X.Read: {} }\n",
    );
    let app = &loaded.desired.applications[0];
    assert_eq!(app.plain.display_name, "a");
    assert_eq!(app.plain.sign_in_audience, "AzureADMyOrg");
    assert_eq!(app.secrets[0].lifetime, time::Duration::days(180));
    assert_eq!(app.secrets[0].rotate_before, time::Duration::days(30));
    assert_eq!(app.secrets[0].overlap, None);
    assert_eq!(app.api.scopes[0].scope_type, "Admin");
    assert!(app.api.scopes[0].enabled);
    assert!(app.service_principal.is_some());
    let registrar_model::SecretStoreLocation::File { path, format } = &app.secrets[0].store else {
        panic!("file store")
    };
    assert!(Path::new(path).is_absolute(), "{path}");
    assert_eq!(
        Path::new(path),
        std::env::current_dir().expect("cwd").join("s.json")
    );
    assert_eq!(*format, registrar_model::FileFormat::Json);
}

#[test]
fn load_personal_accounts_default_to_v2_tokens() {
    let loaded = loaded(
        "version: 1\nnamespace: t\napplications:\n  a:\n    signInAudience: AzureADandPersonalMicrosoftAccount\n",
    );
    assert_eq!(
        loaded.desired.applications[0]
            .api
            .requested_access_token_version,
        Some(2)
    );
}

// ---------------------------------------------------------------------------------------------
// one failing manifest per rule

#[test]
fn rule_version_is_one() {
    check(
        "version: 2\nnamespace: test\n",
        expect![[r#"
            error: apps.yaml:1:10: unsupported manifest version `2`
              hint: this Registrar reads `version: 1`

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_namespace_pattern() {
    check(
        "version: 1\nnamespace: Platform_Team\n",
        expect![[r#"
        error: apps.yaml:2:12: namespace `Platform_Team` must be 1-32 of `a-z`, `0-9` and `-`
          hint: e.g. `platform-team`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_required_keys() {
    check(
        "namespace: test\n",
        expect![[r#"
        error: apps.yaml:1:1: missing required key `version`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_application_key_pattern() {
    check(
        "version: 1\nnamespace: test\napplications:\n  Dicom_Client: {}\n",
        expect![[r#"
        error: apps.yaml:4:3: application key `Dicom_Client` must match `[a-z0-9][a-z0-9-]{0,63}`
          hint: e.g. `dicom-client`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_duplicate_keys_in_a_file() {
    check(
        "version: 1\nnamespace: test\napplications:\n  a: {}\n  a: {}\n",
        expect![[r#"
        error: apps.yaml:5:3: duplicate key `a`
          hint: it is first defined at 4:3

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_unknown_keys_with_hints() {
    check_app(
        "web:\n  redirectUri: [https://a.contoso.com]\nsignInAudiance: AzureADMyOrg\n",
        expect![[r#"
        error: apps.yaml:6:7: unknown key `redirectUri`
          hint: did you mean `redirectUris`?
        error: apps.yaml:7:5: unknown key `signInAudiance`
          hint: did you mean `signInAudience`?

        2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_type_mismatch() {
    check_app(
        "identifierUris: api://a\n",
        expect![[r#"
        error: apps.yaml:5:21: expected a list, found the string `api://a`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_sign_in_audience_enum() {
    check_app(
        "signInAudience: AzureADMyOrganization\n",
        expect![[r#"
        error: apps.yaml:5:21: `AzureADMyOrganization` is not one of `AzureADMyOrg`, `AzureADMultipleOrgs`, `AzureADandPersonalMicrosoftAccount` or `PersonalMicrosoftAccount`
          hint: did you mean `AzureADMyOrg`?

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_group_membership_claims_enum() {
    check_app(
        "groupMembershipClaims: Security\n",
        expect![[r#"
        error: apps.yaml:5:28: `Security` is not one of `None`, `SecurityGroup`, `DirectoryRole`, `ApplicationGroup` or `All`
          hint: did you mean `SecurityGroup`?

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_app_id_is_a_guid() {
    check_app(
        "appId: 1234-5678\n",
        expect![[r#"
        error: apps.yaml:5:12: appId `1234-5678` is not a GUID
          hint: an appId looks like `00000000-0000-0000-0000-000000000000`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_identifier_uris() {
    check_app(
        "identifierUris:\n  - urn:dicom\n  - https://x/{appId}\n  - dicom\n  - api://{appId}\n",
        expect![[r#"
        error: apps.yaml:6:9: identifier URI `urn:dicom` must start with `api://` or `https://`
          hint: write `api://{appId}` or `api://<name>`
        error: apps.yaml:7:9: identifier URI `https://x/{appId}` uses `{appId}` out of place
          hint: `{appId}` may appear only as `api://{appId}`
        error: apps.yaml:8:9: identifier URI `dicom` is not an absolute URI
          hint: write `api://{appId}` or `api://<name>`

        3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_braces_in_flow_lists_get_a_hint() {
    check_app(
        "identifierUris: [api://{appId}]\n",
        expect![[r#"
        error: apps.yaml:5:28: invalid YAML: while parsing a flow sequence, expected ',' or ']'
          hint: inside `[…]`, quote values that contain `{` or `}`, e.g. `["api://{appId}"]`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_identifier_uris_unique_in_the_manifest() {
    check(
        "version: 1\nnamespace: t\napplications:\n  a: { identifierUris: [api://x] }\n  b: { identifierUris: [api://x] }\n",
        expect![[r#"
            error: apps.yaml:5:25: identifier URI `api://x` is also used by `a`
              hint: identifier URIs are unique in a tenant; the other is at apps.yaml:4:25

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_web_redirect_uris() {
    check_app(
        "web:\n  redirectUris:\n    - http://app.contoso.com/auth\n    - https://app.contoso.com/#frag\n    - myapp://auth\n    - /signin\n    - http://localhost:5000/ok\n    - http://127.0.0.1/ok\n",
        expect![[r#"
            error: apps.yaml:7:11: web redirect URI `http://app.contoso.com/auth` must use https
              hint: `http` is allowed only for `localhost` and `127.0.0.1`
            error: apps.yaml:8:11: web redirect URI `https://app.contoso.com/#frag` has a fragment (`#…`), which Entra ID does not allow
            error: apps.yaml:9:11: web redirect URI `myapp://auth` must use https
              hint: custom schemes belong under `publicClient.redirectUris`
            error: apps.yaml:10:11: web redirect URI `/signin` is not an absolute URI
              hint: write the scheme and host, e.g. `https://app.contoso.com/auth`

            4 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_spa_and_public_client_redirect_uris() {
    check_app(
        "spa:\n  redirectUris: [http://spa.contoso.com, http://localhost:3000]\npublicClient:\n  redirectUris: [myapp://auth, ms-appx-web://microsoft.aad.brokerplugin/x, http://localhost, not a uri]\n",
        expect![[r#"
            error: apps.yaml:6:22: single-page application redirect URI `http://spa.contoso.com` must use https
              hint: `http` is allowed only for `localhost` and `127.0.0.1`
            error: apps.yaml:8:98: public client redirect URI `not a uri` is not an absolute URI
              hint: write the scheme and host, e.g. `https://app.contoso.com/auth`

            2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_links_are_absolute_http() {
    check_app(
        "web:\n  homePageUrl: contoso.com\n  logoutUrl: ftp://contoso.com/logout\ninfo:\n  supportUrl: https://contoso.com/support\n  privacyStatementUrl: /privacy\n",
        expect![[r#"
        error: apps.yaml:6:20: homePageUrl `contoso.com` is not an absolute URI
          hint: write the scheme and host, e.g. `https://app.contoso.com/auth`
        error: apps.yaml:7:18: logoutUrl `ftp://contoso.com/logout` must be an http or https URL
        error: apps.yaml:10:28: privacyStatementUrl `/privacy` is not an absolute URI
          hint: write the scheme and host, e.g. `https://app.contoso.com/auth`

        3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_scope_and_role_values() {
    check_app(
        "api:\n  scopes:\n    Read All: {}\n    Dicom.Read: {}\nappRoles:\n    Dicom.Read:\n      allowedMemberTypes: [Application]\n    Role.Ünicode:\n      allowedMemberTypes: []\n",
        expect![[r#"
            error: apps.yaml:7:9: scope value `Read All` contains a space
            error: apps.yaml:10:9: `Dicom.Read` is both a scope and an app role of `a`
              hint: scopes and app roles share one set of values; rename one (the scope is at 8:9)
            error: apps.yaml:12:9: app role value `Role.Ünicode` contains `Ü`, which Graph does not allow
            error: apps.yaml:12:9: app role `Role.Ünicode` has no `allowedMemberTypes`
              hint: write `[Application]`, `[User]` or both

            4 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_scope_value_length() {
    check_app(
        &format!("api:\n  scopes:\n    {}: {{}}\n", "a".repeat(121)),
        expect![[r#"
        error: apps.yaml:7:9: scope value `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` is longer than 120 characters

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_scope_type_and_member_types() {
    check_app(
        "api:\n  scopes:\n    X.Read: { type: Users }\nappRoles:\n  Y.Read:\n    allowedMemberTypes: [App]\n",
        expect![[r#"
        error: apps.yaml:7:25: `Users` is not one of `User` or `Admin`
          hint: did you mean `User`?
        error: apps.yaml:10:30: `App` is not one of `User` or `Application`

        2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_requested_access_token_version() {
    check_app(
        "api:\n  requestedAccessTokenVersion: 3\n",
        expect![[r#"
        error: apps.yaml:6:36: `requestedAccessTokenVersion` is `3`; it must be 1 or 2
          hint: 2 is the current token format

        1 error in 1 file; nothing was changed"#]],
    );
    check_app(
        "signInAudience: PersonalMicrosoftAccount\napi:\n  requestedAccessTokenVersion: 1\n",
        expect![[r#"
            error: apps.yaml:7:36: `requestedAccessTokenVersion` must be 2 when `signInAudience` is `PersonalMicrosoftAccount`
              hint: personal Microsoft accounts only get v2 access tokens

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_pre_authorized_and_known_clients() {
    check_app(
        "api:\n  knownClientApplications: [viewer, 00000000-0000-0000-0000-000000000001]\n  preAuthorizedApplications:\n    - app: viewr\n      scopes: [Dicom.Read]\n    - app: a\n      scopes: [Dicom.Raed]\n  scopes:\n    Dicom.Read: {}\n",
        expect![[r#"
            error: apps.yaml:6:33: known client application `viewer` is neither an application of this manifest nor an appId
              hint: name an application key of this manifest or an appId GUID
            error: apps.yaml:8:16: pre-authorized application `viewr` is neither an application of this manifest nor an appId
              hint: name an application key of this manifest or an appId GUID
            error: apps.yaml:11:20: `Dicom.Raed` is not a scope `a` exposes
              hint: did you mean `Dicom.Read`?

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_permission_kinds_on_catalog_apis() {
    check_app(
        "requiredResourceAccess:\n  - resource: Microsoft Graph\n    scopes: [Application.ReadWrite.OwnedBy, user.read, User.Read]\n    roles: [User.Read, Directory.Read.All, Sites.Raed.All]\n",
        expect![[r#"
            error: apps.yaml:7:18: `Application.ReadWrite.OwnedBy` is an application permission of Microsoft Graph, not a delegated permission
              hint: move it to `roles`
            error: apps.yaml:7:49: `user.read` is not a delegated permission of Microsoft Graph
              hint: did you mean `User.Read`?
            error: apps.yaml:7:60: `User.Read` is requested twice on `Microsoft Graph`
            error: apps.yaml:8:17: `User.Read` is a delegated permission of Microsoft Graph, not an application permission
              hint: move it to `scopes`, or use the application permission `User.Read.All`
            error: apps.yaml:8:48: `Sites.Raed.All` is not an application permission of Microsoft Graph
              hint: did you mean `Sites.Read.All`?

            5 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_permission_guids_on_catalog_apis() {
    check_app(
        "requiredResourceAccess:\n  - resource: 00000003-0000-0000-c000-000000000000\n    scopes: [e1fe6dd8-ba31-4d61-89e7-88639da4683d, 7ab1d382-f21e-4acd-a863-ba3e13f7da61, e1fe6dd8-ba31-4d61-89e7]\n    roles: [11111111-2222-3333-4444-555555555555]\n",
        expect![[r#"
            error: apps.yaml:7:56: `7ab1d382-f21e-4acd-a863-ba3e13f7da61` (`Directory.Read.All`) is an application permission of Microsoft Graph, not a delegated permission
              hint: move it to `roles`
            error: apps.yaml:7:94: permission `e1fe6dd8-ba31-4d61-89e7` is not a valid GUID

            2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_resources_resolve_and_appear_once() {
    check_app(
        "requiredResourceAccess:\n  - resource: Microsoft Graph\n    scopes: [User.Read]\n  - resource: 00000003-0000-0000-c000-000000000000\n    scopes: [Mail.Read]\n  - resource: Microsoft Grahp\n    scopes: [X]\n  - resource: 12345678-aaaa-bbbb-cccc-1234567890ab\n    scopes: [Anything.Goes]\n  - resource: Azure Resource Manager\n    scopes: [user_impersonation]\n  - resource: Azure Key Vault\n",
        expect![[r#"
            error: apps.yaml:8:19: resource `00000003-0000-0000-c000-000000000000` is listed twice
              hint: it is first listed at 6:19; merge the two entries
            error: apps.yaml:10:19: unknown resource `Microsoft Grahp`
              hint: did you mean `Microsoft Graph`?
            warning: apps.yaml:16:19: no permissions are requested on `Azure Key Vault`

            2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_permissions_on_manifest_applications() {
    check(
        "version: 1\nnamespace: t\napplications:\n  api:\n    api:\n      scopes: { Data.Read: {} }\n    appRoles:\n      Data.Write: { allowedMemberTypes: [User] }\n      Data.All: { allowedMemberTypes: [Application] }\n  client:\n    requiredResourceAccess:\n      - resource: api\n        scopes: [Data.Read, Data.All, Data.Raed]\n        roles: [Data.Write, Data.Read, Data.All, Nope]\n",
        expect![[r#"
            error: apps.yaml:13:29: `Data.All` is an app role of `api`, not a scope
              hint: move it to `roles`
            error: apps.yaml:13:39: `api` does not expose a scope `Data.Raed`
              hint: did you mean `Data.Read`?
            error: apps.yaml:14:17: app role `Data.Write` of `api` cannot be assigned to applications
              hint: add `Application` to its `allowedMemberTypes` in `api`
            error: apps.yaml:14:29: `Data.Read` is a scope of `api`, not an app role
              hint: move it to `scopes`
            error: apps.yaml:14:50: `api` does not define an app role `Nope`
              hint: `api` declares its roles under `appRoles`

            5 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_required_resource_access_limits() {
    let mut body = "requiredResourceAccess:\n".to_owned();
    for index in 0..51 {
        body.push_str(&format!(
            "  - resource: 00000000-0000-0000-0000-{index:012}\n    scopes:\n"
        ));
        for permission in 0..8 {
            body.push_str(&format!("      - P{permission}\n"));
        }
    }
    let result = render(load_str(
        Path::new("apps.yaml"),
        &format!(
            "version: 1\nnamespace: test\napplications:\n  a:\n{}",
            body.lines()
                .map(|line| format!("    {line}\n"))
                .collect::<String>()
        ),
        &env,
    ));
    expect![[r#"
        error: apps.yaml:506:19: `a` requests permissions on more than 50 resources
          hint: Graph allows at most 50 resources in `requiredResourceAccess`
        error: apps.yaml:508:13: `a` requests more than 400 permissions
          hint: Graph allows at most 400 permissions in `requiredResourceAccess`

        2 errors in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn rule_secret_durations() {
    check_app(
        "secrets:\n  a:\n    lifetime: 6mo\n    store: { keyVault: { vault: kv-a, name: a } }\n  b:\n    lifetime: 30d\n    rotateBefore: 30d\n    overlap: 31d\n    store: { keyVault: { vault: kv-a, name: b } }\n  c:\n    lifetime: 90m\n    rotateBefore: 1m\n    store: { keyVault: { vault: kv-a, name: c } }\n  d:\n    lifetime: 0d\n    store: { keyVault: { vault: kv-a, name: d } }\n",
        expect![[r#"
            error: apps.yaml:7:19: `6mo` is not a duration
              hint: years and months vary in length; write days, e.g. `365d` or `P365D`
            error: apps.yaml:11:23: secret `b` rotates 30d before expiry, which is not less than its lifetime of 30d
              hint: `rotateBefore` must be shorter than `lifetime`, or every run would rotate
            error: apps.yaml:12:18: secret `b` overlaps 31d, which is not less than its lifetime of 30d
            warning: apps.yaml:15:19: `90m` for `lifetime` means 90 minutes
              hint: `m` is minutes; write days as `d`, e.g. `180d`
            warning: apps.yaml:16:23: `1m` for `rotateBefore` means 1 minute
              hint: `m` is minutes; write days as `d`, e.g. `180d`
            error: apps.yaml:19:19: secret `d` has a zero lifetime

            4 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_default_durations() {
    check(
        "version: 1\nnamespace: t\ndefaults:\n  secretLifetime: 20d\n  rotateBefore: 1y\napplications:\n  a:\n    secrets:\n      s: { store: { keyVault: { vault: kv-a, name: s } } }\n",
        expect![[r#"
            error: apps.yaml:5:17: `1y` is not a duration
              hint: years and months vary in length; write days, e.g. `365d` or `P365D`

            1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\ndefaults:\n  secretLifetime: 20d\napplications:\n  a:\n    secrets:\n      s: { store: { keyVault: { vault: kv-a, name: s } } }\n",
        expect![[r#"
            error: apps.yaml:8:7: secret `s` rotates 30d before expiry, which is not less than its lifetime of 20d
              hint: `rotateBefore` must be shorter than `lifetime`, or every run would rotate

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_secret_stores() {
    check_app(
        "secrets:\n  none:\n    store: {}\n  both:\n    store:\n      keyVault: { vault: kv-a, name: both }\n      file: { path: both.json }\n  vault:\n    store: { keyVault: { vault: 1kv--x, name: dicom_client } }\n  empty:\n    store: { file: { path: '' } }\n  format:\n    store: { file: { path: x.env, format: dotenv } }\n  same-a:\n    store: { keyVault: { vault: kv-a, name: shared } }\n  same-b:\n    store: { keyVault: { vault: KV-A, name: Shared } }\n",
        expect![[r#"
            error: apps.yaml:7:16: secret `none` has no store
              hint: add `keyVault: { vault: …, name: … }` or `file: { path: … }`
            error: apps.yaml:10:11: secret `both` has more than one store
              hint: keep exactly one of `keyVault` and `file`
            error: apps.yaml:13:37: Key Vault name `1kv--x` must start with a letter
            error: apps.yaml:13:51: Key Vault secret name `dicom_client` must be 1-127 letters, digits and hyphens
              hint: e.g. `dicom-client`
            error: apps.yaml:15:32: secret `empty` has an empty file path
            error: apps.yaml:17:47: `dotenv` is not one of `json`, `env` or `raw`
            error: apps.yaml:21:16: secret `same-b` of `a` is delivered to the same store as secret `same-a` of `a`
              hint: secret `same-a` of `a` is at apps.yaml:19:16; give each secret its own store

            7 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_certificates() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("key.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("junk.der"), b"\x30\x03\x02\x01\x01").expect("write");
    std::fs::copy(
        workspace_root().join("examples/directory-export/certs/directory-export.pem"),
        dir.path().join("ok.pem"),
    )
    .expect("copy");
    let manifest = dir.path().join("apps.yaml");
    std::fs::write(
        &manifest,
        "version: 1\nnamespace: t\napplications:\n  a:\n    certificates:\n      missing: { file: certs/missing.pem }\n      key: { file: key.pem }\n      junk: { file: junk.der }\n      ok: { file: ok.pem }\n",
    )
    .expect("write");
    let shown = manifest.display().to_string();
    let result = render(load(std::slice::from_ref(&manifest), &env)).replace(&shown, "apps.yaml");
    expect![[r#"
        error: apps.yaml:6:24: certificate `missing`: cannot read `certs/missing.pem`: no such file
        error: apps.yaml:7:20: certificate `key`: `key.pem` holds a private key
          hint: keep only the public certificate in the repository, e.g. `openssl x509 -in key.pem -out cert.pem`
        error: apps.yaml:8:21: certificate `junk`: `junk.der` is not an X.509 certificate (PEM or DER)

        3 errors in 1 file; nothing was changed"#]].assert_eq(&result);
}

#[test]
fn certificate_is_read_into_desired_state() {
    let manifest = workspace_root().join("examples/directory-export/manifest.yaml");
    let loaded = load(&[manifest], &env).expect("loads");
    let certificate = &loaded.desired.applications[0].certificates[0];
    assert_eq!(certificate.file, "certs/directory-export.pem");
    // The loader says which files it read, certificates included (saved plans hash them).
    assert_eq!(loaded.files.len(), 1);
    assert_eq!(loaded.certificate_files.len(), 1);
    assert!(
        loaded.certificate_files[0]
            .ends_with("examples/directory-export/certs/directory-export.pem"),
        "{:?}",
        loaded.certificate_files
    );
    assert!(certificate.not_before < certificate.not_after);
    let der = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &certificate.der_base64,
    )
    .expect("base64");
    let thumbprint = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &certificate.thumbprint_base64,
    )
    .expect("base64");
    assert_eq!(thumbprint.len(), 20);
    assert_eq!(
        thumbprint,
        <sha1::Sha1 as sha1::Digest>::digest(&der).to_vec()
    );
}

#[test]
fn rule_federated_credentials() {
    check_app(
        "federatedCredentials:\n  github/main:\n    issuer: http://token.actions.githubusercontent.com\n    subject: repo:contoso/x:ref:refs/heads/main\n    audiences: [api://AzureADTokenExchange, api://other]\n  copy:\n    issuer: http://token.actions.githubusercontent.com\n    subject: repo:contoso/x:ref:refs/heads/main\n",
        expect![[r#"
            error: apps.yaml:6:7: federated credential name `github/main` is not URL-safe (use letters, digits, `-`, `.`, `_` and `~`)
            error: apps.yaml:7:17: federated credential issuer `http://token.actions.githubusercontent.com` must be an https URL
              hint: e.g. `https://token.actions.githubusercontent.com`
            error: apps.yaml:9:20: federated credential `github/main` has 2 audiences; Graph takes exactly one
              hint: use `[api://AzureADTokenExchange]`, the default, unless the issuer says otherwise
            error: apps.yaml:10:7: federated credential `copy` has the same issuer and subject as `github/main`
              hint: Graph requires each (issuer, subject) pair once per application
            error: apps.yaml:11:17: federated credential issuer `http://token.actions.githubusercontent.com` must be an https URL
              hint: e.g. `https://token.actions.githubusercontent.com`

            5 errors in 1 file; nothing was changed"#]],
    );
    check_app(
        &format!(
            "federatedCredentials:\n  long:\n    issuer: https://issuer.example.com\n    subject: {}\n",
            "s".repeat(601)
        ),
        expect![[r#"
            error: apps.yaml:8:18: federated credential subject is 601 characters long; Graph allows at most 600

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_federated_credentials_limit() {
    let mut body = "federatedCredentials:\n".to_owned();
    for index in 0..21 {
        body.push_str(&format!(
            "  c{index}:\n    issuer: https://issuer.example.com\n    subject: s{index}\n"
        ));
    }
    check_app(
        &body,
        expect![[r#"
        error: apps.yaml:66:7: `a` has more than 20 federated credentials
          hint: Graph allows at most 20 per application

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_role_assignments() {
    check_app(
        "roleAssignments:\n  - role: Reeder\n    scope: /subscription/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001\n  - role: Platform Custom Deployer\n    scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg.\n  - role: acdd72a7-3385-48ef-bd42-f606fba81ae7\n    scope: /providers/Microsoft.Management/managementGroups/mg-1\n  - role: reader\n    scope: /providers/Microsoft.Management/managementGroups/mg-1\n",
        expect![[r#"
            error: apps.yaml:6:15: `Reeder` is not a built-in role
              hint: did you mean `Reader`?
            error: apps.yaml:7:16: role assignment scope `/subscription/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001` is not an ARM resource id
              hint: did you mean `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001`?
            error: apps.yaml:9:16: role assignment scope `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg.` is not an ARM resource id
              hint: resource group name `rg.` is not valid (1-90 letters, digits, `-_.()`, not ending with `.`)

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_owners_and_tags() {
    check(
        "version: 1\nnamespace: t\ndefaults:\n  owners: [alice]\n  tags: [registrar:mine]\napplications:\n  a:\n    owners: [00000000-0000-0000-0000-00000000000x, bob@contoso.com]\n    tags: [ok]\n",
        expect![[r#"
            error: apps.yaml:4:12: owner `alice` is neither a user principal name nor an object id
              hint: write a UPN like `alice@contoso.com` or an object id GUID
            error: apps.yaml:5:10: tag `registrar:mine` uses the reserved prefix `registrar:`
              hint: Registrar adds its marker tag `registrar:<namespace>` itself
            error: apps.yaml:8:14: owner `00000000-0000-0000-0000-00000000000x` is neither a user principal name nor an object id
              hint: write a UPN like `alice@contoso.com` or an object id GUID

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_service_principal_needed() {
    check_app(
        "servicePrincipal: false\nrequiredResourceAccess:\n  - resource: Microsoft Graph\n    roles: [User.Read.All]\n    adminConsent: true\nroleAssignments:\n  - role: Reader\n    scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e\n",
        expect![[r#"
            error: apps.yaml:7:19: `a` asks for admin consent but has no service principal
              hint: consent is granted to the service principal; remove `servicePrincipal: false` (at apps.yaml:5:23)
            error: apps.yaml:11:15: `a` has role assignments but no service principal
              hint: role assignments are granted to the service principal; remove `servicePrincipal: false` (at apps.yaml:5:23)

            2 errors in 1 file; nothing was changed"#]],
    );
    check_app(
        "servicePrincipal: [x]\n",
        expect![[r#"
        error: apps.yaml:5:23: expected a mapping, found a list

        1 error in 1 file; nothing was changed"#]],
    );
    check_app(
        "servicePrincipal: { appRoleAssignmentRequired: true, tagz: [] }\n",
        expect![[r#"
        error: apps.yaml:5:58: unknown key `tagz`
          hint: did you mean `tags`?

        1 error in 1 file; nothing was changed"#]],
    );
}

// ---------------------------------------------------------------------------------------------
// interpolation

#[test]
fn interpolation_in_string_values() {
    let loaded = loaded(
        "version: 1\nnamespace: t\ntenant: ${TENANT}\napplications:\n  a:\n    displayName: ${NAME:-Default name}\n    notes: costs $$5 and $${NOT_A_VAR}\n    allowPublicClientFlows: ${PUBLIC}\n",
    );
    assert_eq!(
        loaded.desired.tenant.as_deref(),
        Some("contoso.onmicrosoft.com")
    );
    let app = &loaded.desired.applications[0];
    assert_eq!(app.plain.display_name, "Default name");
    assert_eq!(
        app.plain.notes.as_deref(),
        Some("costs $$5 and ${NOT_A_VAR}")
    );
    assert!(app.plain.is_fallback_public_client);
}

#[test]
fn interpolation_errors_are_located() {
    check(
        "version: 1\nnamespace: t\ntenant: ${TENANT_ID}\napplications:\n  a:\n    displayName: \"App ${UNSET_NAME}\"\n    notes: ${broken\n",
        expect![[r#"
            error: apps.yaml:3:9: environment variable `TENANT_ID` is not set
              hint: set it, or give a default: `${TENANT_ID:-value}`
            error: apps.yaml:6:23: environment variable `UNSET_NAME` is not set
              hint: set it, or give a default: `${UNSET_NAME:-value}`
            error: apps.yaml:7:12: unterminated `${` (no closing `}`)
              hint: write `$${` for a literal `${`

            3 errors in 1 file; nothing was changed"#]],
    );
}

// ---------------------------------------------------------------------------------------------
// directories

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn render_dir(dir: &Path) -> String {
    let shown = dir.display().to_string();
    render(load(&[dir.to_path_buf()], &env)).replace(&shown, "dir")
}

#[test]
fn directory_files_are_merged_in_name_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "b.yml",
        "version: 1\nnamespace: t\napplications:\n  b-app: {}\n",
    );
    write(
        dir.path(),
        "a.yaml",
        "version: 1\nnamespace: t\ntenant: contoso.onmicrosoft.com\ndefaults: { owners: [alice@contoso.com] }\napplications:\n  a-app: {}\n",
    );
    write(dir.path(), "notes.txt", "not a manifest");
    let loaded = load(&[dir.path().to_path_buf()], &env).expect("loads");
    let names: Vec<String> = loaded
        .files
        .iter()
        .map(|file| {
            file.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a.yaml", "b.yml"]);
    let keys: Vec<&str> = loaded
        .desired
        .applications
        .iter()
        .map(|app| app.key.as_str())
        .collect();
    assert_eq!(keys, ["a-app", "b-app"]);
    assert_eq!(
        loaded.desired.tenant.as_deref(),
        Some("contoso.onmicrosoft.com")
    );
    // defaults apply to the applications of their own file only
    assert_eq!(loaded.desired.applications[0].owners.len(), 1);
    assert!(loaded.desired.applications[1].owners.is_empty());
}

#[test]
fn directory_duplicate_key_and_disagreeing_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a.yaml",
        "version: 1\nnamespace: t\ntenant: contoso.onmicrosoft.com\napplications:\n  shared: {}\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "version: 1\nnamespace: other\ntenant: fabrikam.onmicrosoft.com\napplications:\n  shared: {}\n",
    );
    expect![[r#"
        error: dir/b.yaml:2:12: namespace `other` differs from `t` in dir/a.yaml
          hint: all files of a manifest must agree on `namespace`
        error: dir/b.yaml:3:9: tenant `fabrikam.onmicrosoft.com` differs from `contoso.onmicrosoft.com` in dir/a.yaml
          hint: all files of a manifest must agree on `tenant`
        error: dir/b.yaml:5:3: application `shared` is defined twice
          hint: it is first defined at dir/a.yaml:5:3

        3 errors in 1 file; nothing was changed"#]].assert_eq(&render_dir(dir.path()));
}

#[test]
fn directory_without_manifests_and_missing_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    expect![[r#"
        error: dir: the directory holds no `*.yaml` or `*.yml` files

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&render_dir(dir.path()));
    expect![[r#"
        error: /nonexistent/registrar/apps.yaml: cannot read: no such file or directory

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&render(load(
        &[PathBuf::from("/nonexistent/registrar/apps.yaml")],
        &env,
    )));
    expect![[r#"
        error: no manifest given
          hint: pass a manifest file or a directory of them

        1 error; nothing was changed"#]]
    .assert_eq(&render(load(&[], &env)));
}

// ---------------------------------------------------------------------------------------------
// everything in one run

#[test]
fn all_errors_in_one_run() {
    check_app(
        "appId: not-a-guid\nredirectUri: https://a.contoso.com\nsecrets:\n  ci:\n    lifetime: 180 days\n    store: { keyVault: { vault: kv-a, name: ci } }\n",
        expect![[r#"
            error: apps.yaml:5:12: appId `not-a-guid` is not a GUID
              hint: an appId looks like `00000000-0000-0000-0000-000000000000`
            error: apps.yaml:6:5: unknown key `redirectUri`
            error: apps.yaml:9:19: `180 days` is not a duration
              hint: write a whole number and a unit: `180d`, `12h`, `2w`, `90m`, or ISO-8601 like `P180D`, `PT12H`

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn a_type_error_in_one_application_does_not_hide_others() {
    check(
        "version: 1\nnamespace: t\nextra: 1\napplications:\n  a:\n    web: []\n    tagz: []\n  b:\n    appId: nope\n",
        expect![[r#"
            error: apps.yaml:3:1: unknown key `extra`
              hint: the keys allowed here are `version`, `namespace`, `tenant`, `defaults` or `applications`
            error: apps.yaml:6:10: expected a mapping, found a list
            error: apps.yaml:7:5: unknown key `tagz`
              hint: did you mean `tags`?
            error: apps.yaml:9:12: appId `nope` is not a GUID
              hint: an appId looks like `00000000-0000-0000-0000-000000000000`

            4 errors in 1 file; nothing was changed"#]],
    );
}

// ---------------------------------------------------------------------------------------------
// hostile and broken input: bounded, located, never a panic

#[test]
fn robustness_billion_laughs() {
    let mut yaml = "version: 1\nnamespace: t\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n".to_owned();
    let mut previous = 'a';
    for name in 'b'..='i' {
        yaml.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
        previous = name;
    }
    let result = render(load_str(Path::new("apps.yaml"), &yaml, &env));
    expect![[r#"
        error: apps.yaml:8:11: the YAML uses too many aliases (`*name`) for a manifest; is it an alias bomb?

        1 error in 1 file; nothing was changed"#]].assert_eq(&result);
}

#[test]
fn robustness_deep_nesting() {
    let depth = 10_000;
    let yaml = format!(
        "version: 1\nnamespace: t\nx: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let result = render(load_str(Path::new("apps.yaml"), &yaml, &env));
    expect![[r#"
        error: apps.yaml:3:36: the YAML is nested deeper than 32 levels

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
    // block sequences nested on one line: `- - - … x`
    let block = format!("version: 1\nnamespace: t\nx:\n  {}x\n", "- ".repeat(depth));
    let result = render(load_str(Path::new("apps.yaml"), &block, &env));
    expect![[r#"
        error: apps.yaml:4:65: the YAML is nested deeper than 32 levels

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn robustness_huge_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.yaml");
    let mut text = "version: 1\nnamespace: t\nnotes: ".to_owned();
    text.push_str(&"x".repeat(20 * 1024 * 1024));
    std::fs::write(&path, text).expect("write");
    let result = render(load(&[path], &env)).replace(&dir.path().display().to_string(), "dir");
    expect![[r#"
        error: dir/huge.yaml: the file is larger than 8 MiB, the limit for a manifest
          hint: split the manifest into several files in one directory

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn robustness_invalid_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, b"version: 1\nnamespace: t\nnotes: caf\xE9\n").expect("write");
    let result = render(load(&[path], &env)).replace(&dir.path().display().to_string(), "dir");
    expect![[r#"
        error: dir/bad.yaml:3:11: the file is not valid UTF-8
          hint: save the manifest as UTF-8

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn robustness_empty_list_and_scalar_documents() {
    check(
        "",
        expect![[r#"
        error: apps.yaml: the file is empty
          hint: a manifest declares at least `version: 1`, `namespace` and `applications`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "# only a comment\n",
        expect![[r#"
        error: apps.yaml: the file is empty
          hint: a manifest declares at least `version: 1`, `namespace` and `applications`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "- version: 1\n- namespace: t\n",
        expect![[r#"
        error: apps.yaml:1:1: expected a mapping at the top of the manifest, found a list
          hint: a manifest starts with `version: 1`, `namespace: …` and `applications:`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "just a string\n",
        expect![[r#"
        error: apps.yaml:1:1: expected a mapping at the top of the manifest, found the string `just a string`
          hint: a manifest starts with `version: 1`, `namespace: …` and `applications:`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\n---\nversion: 1\n",
        expect![[r#"
        error: apps.yaml:3:1: a manifest file holds one YAML document, and this one has more (`---`)

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\napplications: [a, b]\n",
        expect![[r#"
        error: apps.yaml:3:15: expected a mapping of applications by key, found a list
          hint: write `applications:` then each application's key, e.g. `  my-api:`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: [t\n",
        expect![[r#"
        error: apps.yaml:2:12: invalid YAML: unclosed bracket '['

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\n\tapplications: {}\n",
        expect![[r#"
        error: apps.yaml:2:12: invalid YAML: while scanning a plain scalar, found a tab

        1 error in 1 file; nothing was changed"#]],
    );
}

// ---------------------------------------------------------------------------------------------
// examples and schema

fn example_manifests() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut paths = vec![root.join("manifests/quickstart.yaml")];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples/")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("manifest.yaml"))
        .filter(|path| path.is_file())
        .collect();
    examples.sort();
    paths.extend(examples);
    paths
}

#[test]
fn examples_load() {
    let paths = example_manifests();
    assert!(paths.len() >= 6, "{paths:?}");
    for path in paths {
        match load(std::slice::from_ref(&path), &env) {
            Ok(loaded) => assert!(
                loaded.warnings.is_empty(),
                "{}: {:?}",
                path.display(),
                loaded.warnings
            ),
            Err(diagnostics) => panic!("{} does not load:\n{diagnostics}", path.display()),
        }
        let first_line = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            first_line.starts_with("# yaml-language-server: $schema="),
            "{}: {first_line}",
            path.display()
        );
    }
}

/// The examples as JSON, as an editor sees them (no interpolation, plain YAML).
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read");
    serde_saphyr::from_str::<serde_json::Value>(&text).expect("yaml")
}

#[test]
fn schema_accepts_every_example_and_rejects_unknown_keys() {
    let schema = crate::json_schema();
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    for path in example_manifests() {
        let document = as_json(&path);
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    let full = serde_saphyr::from_str::<serde_json::Value>(&FULL.replace("${PUBLIC}", "true"))
        .expect("yaml");
    let errors: Vec<String> = validator
        .iter_errors(&full)
        .map(|error| error.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let bad = serde_json::json!({"version": 1, "namespace": "t", "applications": {"a": {"web": {"redirectUri": []}}}});
    assert!(!validator.is_valid(&bad));
    let bad_version = serde_json::json!({"version": 2, "namespace": "t"});
    assert!(!validator.is_valid(&bad_version));
    let no_sp = serde_json::json!({"version": 1, "namespace": "t", "applications": {"a": {"servicePrincipal": false}}});
    assert!(validator.is_valid(&no_sp));
}

#[test]
fn schema_has_descriptions_and_is_draft_07() {
    let schema = crate::json_schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["title"], "Registrar manifest");
    let application = &schema["definitions"]["Application"];
    let description = application["properties"]["allowPublicClientFlows"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        description.contains("isFallbackPublicClient"),
        "{description}"
    );
    let tenant = schema["properties"]["tenant"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(!tenant.contains('\n'), "{tenant}");
}

/// Quadratic checks would make this take minutes; it must stay a fraction of a second (not
/// asserted: performance belongs to benchmarks, a hang shows as a stuck test).
#[test]
fn robustness_wide_documents() {
    let mut yaml = "version: 1\nnamespace: t\nx:\n".to_owned();
    for index in 0..60_000 {
        yaml.push_str(&format!("  k{index}: v\n"));
    }
    yaml.push_str("applications:\n  a:\n    web:\n      redirectUris:\n");
    for index in 0..60_000 {
        yaml.push_str(&format!(
            "        - https://app.contoso.com/{}\n",
            index % 30_000
        ));
    }
    let result = render(load_str(Path::new("apps.yaml"), &yaml, &env));
    assert!(
        result.starts_with("error: apps.yaml:3:1: unknown key `x`"),
        "{}",
        &result[..200.min(result.len())]
    );
    assert!(
        result.ends_with("30001 errors in 1 file; nothing was changed"),
        "{}",
        &result[result.len().saturating_sub(200)..]
    );
}
