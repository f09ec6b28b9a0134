//! The wire shapes against Graph's documented examples and the writer's field-by-field bodies.
use super::*;

fn sample_settings() -> ApplicationSettings {
    ApplicationSettings {
        plain: PlainSettings {
            display_name: "API".into(),
            description: Some("d".into()),
            notes: None,
            sign_in_audience: "AzureADMyOrg".into(),
            identifier_uris: vec!["api://x".into()],
            tags: vec!["registrar:p".into()],
            web: WebSettings {
                home_page_url: Some("https://h".into()),
                logout_url: None,
                redirect_uris: vec!["https://a/cb".into()],
                implicit_grant_access_tokens: false,
                implicit_grant_id_tokens: true,
            },
            spa_redirect_uris: vec!["https://spa".into()],
            public_client_redirect_uris: vec![],
            is_fallback_public_client: true,
            group_membership_claims: Some("SecurityGroup".into()),
            service_management_reference: None,
            info: InformationalUrls {
                support_url: Some("https://s".into()),
                ..Default::default()
            },
            optional_claims: OptionalClaims {
                id_token: vec![OptionalClaim {
                    name: "email".into(),
                    source: None,
                    essential: true,
                    additional_properties: vec!["x".into()],
                }],
                access_token: vec![],
                saml2_token: vec![],
            },
        },
        api: ApiSettings {
            requested_access_token_version: Some(2),
            known_client_applications: vec!["k".into()],
            pre_authorized_applications: vec![PreAuthorizedApplication {
                app_id: "c".into(),
                delegated_permission_ids: vec!["s1".into()],
            }],
            oauth2_permission_scopes: vec![PermissionScope {
                id: "s1".into(),
                value: "read".into(),
                scope_type: "User".into(),
                is_enabled: true,
                admin_consent_display_name: Some("Read".into()),
                admin_consent_description: None,
                user_consent_display_name: None,
                user_consent_description: None,
            }],
        },
        app_roles: vec![AppRole {
            id: "r1".into(),
            value: "Admin".into(),
            display_name: "Admins".into(),
            description: "all".into(),
            allowed_member_types: vec!["User".into(), "Application".into()],
            is_enabled: false,
        }],
        required_resource_access: vec![RequiredResourceAccess {
            resource_app_id: "00000003-0000-0000-c000-000000000000".into(),
            resource_access: vec![ResourceAccess {
                id: "g".into(),
                access_type: PermissionKind::Application,
            }],
        }],
        service_principal_lock: Some(registrar_model::ServicePrincipalLock {
            is_enabled: true,
            all_properties: true,
            ..Default::default()
        }),
    }
}

#[test]
fn settings_json_round_trip_full() {
    let settings = sample_settings();
    let json = settings_to_json(&settings);
    assert_eq!(settings_from_json(&json).ok(), Some(settings));
}

#[test]
fn settings_nulls_read_as_defaults() {
    let body = json!({
        "displayName": "x",
        "isFallbackPublicClient": null,
        "identifierUris": null,
        "api": {"requestedAccessTokenVersion": null, "oauth2PermissionScopes": null},
        "web": {"implicitGrantSettings": null},
        "optionalClaims": null,
    });
    let settings = settings_from_json(&body).unwrap_or_default();
    assert!(!settings.plain.is_fallback_public_client);
    assert_eq!(settings.api.requested_access_token_version, None);
    assert!(!settings.plain.web.implicit_grant_id_tokens);
    assert_eq!(settings.plain.optional_claims, OptionalClaims::default());
    let written = settings_to_json(&settings);
    assert_eq!(written["api"]["requestedAccessTokenVersion"], Value::Null);
    assert_eq!(written["isFallbackPublicClient"], json!(false));
}

#[test]
fn patch_body_sends_changed_fields_whole() {
    let settings = sample_settings();
    let body = settings_to_json_fields(
        &settings,
        &[ApplicationField::Web, ApplicationField::AppRoles],
    );
    let object = body.as_object().cloned().unwrap_or_default();
    assert_eq!(object.keys().collect::<Vec<_>>(), vec!["web", "appRoles"]);
    assert_eq!(
        body["web"]["implicitGrantSettings"]["enableIdTokenIssuance"],
        json!(true)
    );
    assert_eq!(body["web"]["logoutUrl"], Value::Null);
    assert!(body["appRoles"][0].get("origin").is_none());
}

#[test]
fn every_field_has_its_own_graph_property() {
    let settings = sample_settings();
    let mut names: Vec<&str> = ApplicationField::ALL
        .iter()
        .map(|field| field_to_json(&settings, *field).0)
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ApplicationField::ALL.len());
}
