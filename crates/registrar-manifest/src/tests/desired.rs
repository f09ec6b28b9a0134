//! Loading whole manifests into the desired state, with the built-in defaults.

use super::*;

// ---------------------------------------------------------------------------------------------
// parsing into DesiredState

pub(super) const FULL: &str = r#"
version: 1
namespace: platform
tenant: ${var.TENANT}
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
    allowPublicClientFlows: ${var.PUBLIC}
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
          keyVault: { vault: "${var.VAULT}", name: dicom-client-ci }
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
              ],
              "protect": false,
              "service_principal_owners": [],
              "instance_lock": null
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
              "role_assignments": [],
              "protect": false,
              "service_principal_owners": [],
              "instance_lock": null
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
