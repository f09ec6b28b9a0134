//! Builders for the stored Graph objects (applications, service principals, users), shaped like
//! the documented v1.0 payloads (`application-post.json`, `serviceprincipal-post.json`).

use serde_json::{Map, Value, json};

/// appOwnerOrganizationId of Microsoft's first-party applications.
pub(crate) const MICROSOFT_TENANT_ID: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// A freshly created application with every default a bare `POST /applications` yields.
pub(crate) fn new_application(
    id: &str,
    app_id: &str,
    created: &str,
    publisher_domain: &str,
) -> Value {
    json!({
        "id": id,
        "deletedDateTime": null,
        "appId": app_id,
        "applicationTemplateId": null,
        "disabledByMicrosoftStatus": null,
        "createdDateTime": created,
        "displayName": null,
        "description": null,
        "groupMembershipClaims": null,
        "identifierUris": [],
        "isDeviceOnlyAuthSupported": null,
        "isFallbackPublicClient": null,
        "nativeAuthenticationApisEnabled": null,
        "notes": null,
        "publisherDomain": publisher_domain,
        "serviceManagementReference": null,
        "signInAudience": "AzureADandPersonalMicrosoftAccount",
        "tags": [],
        "tokenEncryptionKeyId": null,
        "servicePrincipalLockConfiguration": null,
        "uniqueName": null,
        "samlMetadataUrl": null,
        "defaultRedirectUri": null,
        "certification": null,
        "optionalClaims": null,
        "requestSignatureVerification": null,
        "addIns": [],
        "api": {
            "acceptMappedClaims": null,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": 2,
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": []
        },
        "appRoles": [],
        "info": {
            "logoUrl": null,
            "marketingUrl": null,
            "privacyStatementUrl": null,
            "supportUrl": null,
            "termsOfServiceUrl": null
        },
        "keyCredentials": [],
        "parentalControlSettings": {
            "countriesBlockedForMinors": [],
            "legalAgeGroupRule": "Allow"
        },
        "passwordCredentials": [],
        "publicClient": { "redirectUris": [] },
        "requiredResourceAccess": [],
        "verifiedPublisher": {
            "displayName": null,
            "verifiedPublisherId": null,
            "addedDateTime": null
        },
        "web": {
            "homePageUrl": null,
            "logoutUrl": null,
            "redirectUris": [],
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": false,
                "enableIdTokenIssuance": false
            },
            "redirectUriSettings": []
        },
        "spa": { "redirectUris": [] },
        "windows": null
    })
}

/// The inputs of a service principal that differ between SPs.
pub(crate) struct ServicePrincipalSeed<'a> {
    pub(crate) id: &'a str,
    pub(crate) app_id: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) owner_organization: &'a str,
    pub(crate) service_principal_names: Vec<String>,
    pub(crate) app_roles: Vec<Value>,
    pub(crate) scopes: Vec<Value>,
    pub(crate) sign_in_audience: Value,
    pub(crate) publisher_name: Value,
    pub(crate) created: &'a str,
}

/// A service principal object (`serviceprincipal-get.json` shape).
pub(crate) fn service_principal(seed: ServicePrincipalSeed<'_>) -> Value {
    json!({
        "id": seed.id,
        "deletedDateTime": null,
        "accountEnabled": true,
        "alternativeNames": [],
        "appDescription": null,
        "appDisplayName": seed.display_name,
        "appId": seed.app_id,
        "applicationTemplateId": null,
        "appOwnerOrganizationId": seed.owner_organization,
        "appRoleAssignmentRequired": false,
        "createdDateTime": seed.created,
        "description": null,
        "disabledByMicrosoftStatus": null,
        "displayName": seed.display_name,
        "homepage": null,
        "loginUrl": null,
        "logoutUrl": null,
        "notes": null,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": null,
        "preferredTokenSigningKeyThumbprint": null,
        "replyUrls": [],
        "servicePrincipalNames": seed.service_principal_names,
        "servicePrincipalType": "Application",
        "signInAudience": seed.sign_in_audience,
        "tags": [],
        "tokenEncryptionKeyId": null,
        "samlSingleSignOnSettings": null,
        "addIns": [],
        "appRoles": seed.app_roles,
        "info": {
            "logoUrl": null,
            "marketingUrl": null,
            "privacyStatementUrl": null,
            "supportUrl": null,
            "termsOfServiceUrl": null
        },
        "keyCredentials": [],
        "oauth2PermissionScopes": seed.scopes,
        "passwordCredentials": [],
        "publisherName": seed.publisher_name,
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {
            "displayName": null,
            "verifiedPublisherId": null,
            "addedDateTime": null
        },
        "endpoints": []
    })
}

/// A seeded user (`GET /users/{id}` shape).
pub(crate) fn user(id: &str, upn: &str, display_name: &str, given: &str, surname: &str) -> Value {
    json!({
        "id": id,
        "businessPhones": [],
        "displayName": display_name,
        "givenName": given,
        "jobTitle": null,
        "mail": upn,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": "en-US",
        "surname": surname,
        "userPrincipalName": upn
    })
}

/// The `@odata.type` of a stored directory object, from its shape.
pub(crate) fn odata_type(object: &Value) -> &'static str {
    if object.get("userPrincipalName").is_some() {
        "#microsoft.graph.user"
    } else if object.get("servicePrincipalType").is_some() {
        "#microsoft.graph.servicePrincipal"
    } else {
        "#microsoft.graph.application"
    }
}

/// Puts `@odata.type` first in a copy of `object`.
pub(crate) fn with_odata_type(object: &Value) -> Value {
    let mut out = Map::new();
    out.insert("@odata.type".to_owned(), Value::from(odata_type(object)));
    if let Value::Object(fields) = object {
        for (key, value) in fields {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}
