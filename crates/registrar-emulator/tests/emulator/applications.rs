//! `/v1.0/applications`, service principals and the recycle bin.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn applications_post_matches_documented_defaults() {
    let harness = Harness::new().await;
    let body = fixture("application-post.request.json");
    let reply = harness
        .graph(Method::POST, "/applications", Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let expected = fixture("application-post.json");
    assert_shape(&reply.body, &expected);
    for field in [
        "signInAudience",
        "isFallbackPublicClient",
        "identifierUris",
        "tags",
        "optionalClaims",
        "groupMembershipClaims",
        "publisherDomain",
    ] {
        assert_eq!(reply.body[field], expected[field], "{field}");
    }
    assert_eq!(reply.body["api"], expected["api"]);
    assert_eq!(
        reply.body["web"]["implicitGrantSettings"],
        expected["web"]["implicitGrantSettings"]
    );
    assert!(
        reply.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#applications/$entity")
    );
    assert!(uuid::Uuid::parse_str(reply.body["appId"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn applications_post_rejects_what_graph_rejects() {
    let harness = Harness::new().await;
    let missing_name = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"signInAudience": "AzureADMyOrg"})),
        )
        .await;
    assert_graph_error(&missing_name, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let with_password = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"displayName": "x", "passwordCredentials": []})),
        )
        .await;
    assert_graph_error(
        &with_password,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
    );
    let bad_audience = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"displayName": "x", "signInAudience": "Everyone"})),
        )
        .await;
    assert_graph_error(&bad_audience, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let misspelt = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"displayName": "x", "signinAudience": "AzureADMyOrg"})),
        )
        .await;
    assert_graph_error(&misspelt, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let http_uri = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"displayName": "x", "identifierUris": ["http://contoso.com/api"]})),
        )
        .await;
    assert_graph_error(&http_uri, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let unverified = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"displayName": "x", "identifierUris": ["https://example.org/api"]})),
        )
        .await;
    assert_graph_error(&unverified, StatusCode::BAD_REQUEST, "Request_BadRequest");
    // SDKs send @odata.type annotations; they are accepted.
    let annotated = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"@odata.type": "#microsoft.graph.application", "displayName": "x"})),
        )
        .await;
    assert_eq!(annotated.status, StatusCode::CREATED);
}

#[tokio::test]
async fn applications_reject_references_that_are_not_guids() {
    let harness = Harness::new().await;
    for body in [
        json!({"displayName": "x", "requiredResourceAccess": [{"resourceAppId": "{appId:api}", "resourceAccess": []}]}),
        json!({"displayName": "x", "api": {"knownClientApplications": ["not-a-guid"]}}),
        json!({"displayName": "x", "api": {"preAuthorizedApplications": [{"appId": "web", "delegatedPermissionIds": []}]}}),
    ] {
        let reply = harness
            .graph(Method::POST, "/applications", Some(body.clone()))
            .await;
        assert_graph_error(&reply, StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
}

#[tokio::test]
async fn applications_get_by_id_app_id_and_select() {
    let harness = Harness::new().await;
    let created = harness.create_app(app_body("Getter")).await;
    let id = created["id"].as_str().unwrap();
    let app_id = created["appId"].as_str().unwrap();
    let by_id = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_shape(&by_id.body, &fixture("application-get.json"));
    let by_app_id = harness
        .graph(
            Method::GET,
            &format!("/applications(appId='{app_id}')"),
            None,
        )
        .await;
    assert_eq!(by_app_id.body["id"], created["id"]);
    let selected = harness
        .graph(Method::GET, &format!("/applications(appId='{app_id}')?$select=id,appId,displayName,requiredResourceAccess"), None)
        .await;
    assert_eq!(selected.status, StatusCode::OK);
    let expected = fixture("application-get-by-appid-select.json");
    assert_shape(&selected.body, &expected);
    let keys: Vec<&String> = selected.body.as_object().unwrap().keys().collect();
    let expected_keys: Vec<&String> = expected.as_object().unwrap().keys().collect();
    assert_eq!(keys, expected_keys);
    assert!(
        selected.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#applications(id,appId,displayName,requiredResourceAccess)/$entity")
    );
    let missing = harness
        .graph(
            Method::GET,
            "/applications/00000000-0000-0000-0000-000000000001",
            None,
        )
        .await;
    assert_graph_error(&missing, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let bad_select = harness
        .graph(
            Method::GET,
            &format!("/applications/{id}?$select=nope"),
            None,
        )
        .await;
    assert_graph_error(&bad_select, StatusCode::BAD_REQUEST, "Request_BadRequest");
}

#[tokio::test]
async fn applications_list_filters_pages_and_counts() {
    let harness = Harness::new().await;
    for index in 0..5 {
        let mut body = app_body(&format!("listed-{index}"));
        body["tags"] = json!([format!("tag-{}", index % 2)]);
        body["identifierUris"] = json!([format!("api://listed-{index}")]);
        harness.create_app(body).await;
    }
    let all = harness.graph(Method::GET, "/applications", None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_shape(&all.body, &fixture("application-list.json"));
    assert_eq!(
        all.body["value"].as_array().unwrap().len(),
        6,
        "5 created + the automation client"
    );

    let filtered = harness
        .graph(
            Method::GET,
            "/applications?$filter=tags/any(t:t%20eq%20'tag-1')",
            None,
        )
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 2);
    let by_uri = harness
        .graph(Method::GET, "/applications?$filter=identifierUris/any(x:x%20eq%20'api://listed-3')%20and%20startswith(displayName,'listed')", None)
        .await;
    assert_eq!(by_uri.body["value"][0]["displayName"], "listed-3");
    let selected = harness
        .graph(
            Method::GET,
            "/applications?$select=id,appId&$filter=displayName%20eq%20'listed-0'",
            None,
        )
        .await;
    assert!(
        selected.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#applications(id,appId)")
    );
    assert_eq!(selected.body["value"][0].as_object().unwrap().len(), 2);

    // Paging: follow @odata.nextLink as-is.
    let mut seen = Vec::new();
    let mut next = Some("/v1.0/applications?$top=2&$select=id".to_owned());
    let mut pages = 0;
    while let Some(link) = next {
        let path = link
            .strip_prefix("https://localhost")
            .unwrap_or(&link)
            .to_owned();
        let page = harness
            .call(Method::GET, &path, Some(&harness.graph_token), &[], None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        seen.extend(
            page.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|app| app["id"].clone()),
        );
        next = page.body["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            // Graph writes OData's `$` literally: `…?$top=2&$select=id&$skiptoken=…`.
            assert!(
                link.starts_with(
                    "https://localhost/v1.0/applications?$top=2&$select=id&$skiptoken="
                ),
                "{link}"
            );
        }
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 6);

    // $count=true needs ConsistencyLevel: eventual, and is silently ignored without it.
    let counted = harness
        .graph_with(
            Method::GET,
            "/applications?$filter=startswith(displayName,'listed')&$count=true&$top=1",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_shape(
        &counted.body,
        &fixture("application-list-filter-count.json"),
    );
    assert_eq!(counted.body["@odata.count"], 5);
    let uncounted = harness
        .graph(Method::GET, "/applications?$count=true", None)
        .await;
    assert!(uncounted.body.get("@odata.count").is_none());

    let advanced = harness
        .graph(
            Method::GET,
            "/applications?$filter=endswith(displayName,'-1')",
            None,
        )
        .await;
    assert_graph_error(
        &advanced,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
    );
    assert_shape(&advanced.body, &fixture("error-unsupported-query.json"));
    assert_eq!(advanced.body["error"]["message"], "Unsupported Query.");
    let advanced_ok = harness
        .graph_with(
            Method::GET,
            "/applications?$filter=endswith(displayName,'-1')&$count=true",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!(advanced_ok.body["@odata.count"], 1);
    let search = harness
        .graph(
            Method::GET,
            "/applications?$search=%22displayName:x%22",
            None,
        )
        .await;
    assert_shape(
        &search.body,
        &fixture("error-search-without-consistencylevel.json"),
    );
    assert_eq!(search.error_code(), "Request_UnsupportedQuery");
    let too_big = harness
        .graph(Method::GET, "/applications?$top=1000", None)
        .await;
    assert_graph_error(
        &too_big,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
    );
    let unknown_property = harness
        .graph(Method::GET, "/applications?$filter=notes%20eq%20'x'", None)
        .await;
    assert_graph_error(
        &unknown_property,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
    );
    let count_segment = harness
        .graph(Method::GET, "/applications/$count", None)
        .await;
    assert_shape(
        &count_segment.body,
        &fixture("error-count-without-consistencylevel.json"),
    );
    assert_eq!(count_segment.error_code(), "Request_BadRequest");
    let count_text = harness
        .graph_with(
            Method::GET,
            "/applications/$count",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!(count_text.text, "6");
}

#[tokio::test]
async fn applications_patch_round_trips_managed_properties() {
    let harness = Harness::new().await;
    let created = harness.create_app(app_body("Round trip")).await;
    let id = created["id"].as_str().unwrap();
    let app_id = created["appId"].as_str().unwrap();
    let role_id = "8fe5b3a1-1c7e-4c55-a7d4-3f1b0c2d9e01";
    let scope_id = "2c6a7d1e-4f3b-4a8c-9d0e-1f2a3b4c5d6e";
    let manifest = json!({
        "displayName": "Round trip 2",
        "description": "desc",
        "notes": "notes",
        "signInAudience": "AzureADMultipleOrgs",
        "identifierUris": [format!("api://{app_id}"), "https://api.contoso.com/rt"],
        "web": {
            "homePageUrl": "https://rt.contoso.com",
            "logoutUrl": "https://rt.contoso.com/logout",
            "redirectUris": ["https://rt.contoso.com/signin"],
            "implicitGrantSettings": {"enableIdTokenIssuance": true, "enableAccessTokenIssuance": false}
        },
        "spa": {"redirectUris": ["https://rt.contoso.com/spa"]},
        "publicClient": {"redirectUris": ["http://localhost:8400"]},
        "isFallbackPublicClient": true,
        "groupMembershipClaims": "SecurityGroup",
        "serviceManagementReference": "svc-123",
        "info": {"marketingUrl": "https://contoso.com/m", "privacyStatementUrl": "https://contoso.com/p", "supportUrl": null, "termsOfServiceUrl": null},
        "optionalClaims": {"idToken": [{"name": "email", "source": null, "essential": false, "additionalProperties": []}], "accessToken": [], "saml2Token": []},
        "api": {
            "requestedAccessTokenVersion": 2,
            "acceptMappedClaims": null,
            "knownClientApplications": [],
            "preAuthorizedApplications": [],
            "oauth2PermissionScopes": [{
                "id": scope_id, "value": "Data.Read", "type": "User", "isEnabled": true,
                "adminConsentDisplayName": "Read data", "adminConsentDescription": "Read data",
                "userConsentDisplayName": "Read your data", "userConsentDescription": "Read your data"
            }]
        },
        "appRoles": [{"id": role_id, "value": "Data.Write.All", "displayName": "Write", "description": "Write", "allowedMemberTypes": ["Application"], "isEnabled": true}],
        "requiredResourceAccess": [{"resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": [{"id": "df021288-bdef-4463-88db-98f22de89214", "type": "Role"}]}],
        "tags": ["registrar", "HideApp"]
    });
    let patched = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(manifest.clone()),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.body);
    assert!(patched.text.is_empty());
    let read = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await
        .body;
    for field in [
        "displayName",
        "description",
        "notes",
        "signInAudience",
        "identifierUris",
        "spa",
        "publicClient",
        "isFallbackPublicClient",
        "groupMembershipClaims",
        "serviceManagementReference",
        "optionalClaims",
        "api",
        "requiredResourceAccess",
        "tags",
    ] {
        assert_eq!(read[field], manifest[field], "{field}");
    }
    assert_eq!(read["web"]["redirectUris"], manifest["web"]["redirectUris"]);
    assert_eq!(
        read["web"]["implicitGrantSettings"],
        manifest["web"]["implicitGrantSettings"]
    );
    assert_eq!(
        read["web"]["redirectUriSettings"][0]["uri"],
        "https://rt.contoso.com/signin"
    );
    assert_eq!(read["info"]["marketingUrl"], "https://contoso.com/m");
    assert_eq!(read["appRoles"][0]["origin"], "Application");
    assert_eq!(read["appRoles"][0]["value"], "Data.Write.All");

    // Collections are replaced whole.
    let tags = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({"tags": ["only"]})),
        )
        .await;
    assert_eq!(tags.status, StatusCode::NO_CONTENT);
    let read = harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await
        .body;
    assert_eq!(read["tags"], json!(["only"]));
    assert_eq!(
        read["description"], "desc",
        "properties left out keep their values"
    );

    // An enabled role cannot be removed in one step: disable, then remove.
    let removed = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({"appRoles": []})),
        )
        .await;
    assert_graph_error(
        &removed,
        StatusCode::BAD_REQUEST,
        "CannotDeleteOrUpdateEnabledEntitlement",
    );
    let mut disabled = manifest["appRoles"].clone();
    disabled[0]["isEnabled"] = json!(false);
    assert_eq!(
        harness
            .graph(
                Method::PATCH,
                &format!("/applications/{id}"),
                Some(json!({"appRoles": disabled}))
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness
            .graph(
                Method::PATCH,
                &format!("/applications/{id}"),
                Some(json!({"appRoles": []}))
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let scopes_removed = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({"api": {"oauth2PermissionScopes": []}})),
        )
        .await;
    assert_graph_error(
        &scopes_removed,
        StatusCode::BAD_REQUEST,
        "CannotDeleteOrUpdateEnabledEntitlement",
    );

    let personal = harness
        .graph(Method::PATCH, &format!("/applications/{id}"), Some(json!({"signInAudience": "AzureADandPersonalMicrosoftAccount", "api": {"requestedAccessTokenVersion": 1}})))
        .await;
    assert_graph_error(&personal, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let read_only = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{id}"),
            Some(json!({"appId": "x"})),
        )
        .await;
    assert_graph_error(&read_only, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let bad_role = harness
        .graph(Method::PATCH, &format!("/applications/{id}"), Some(json!({"appRoles": [{"id": role_id, "value": "has space", "allowedMemberTypes": ["User"], "isEnabled": true}]})))
        .await;
    assert_graph_error(&bad_role, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let duplicate_uri = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"displayName": "dup", "identifierUris": ["https://api.contoso.com/rt"]})),
        )
        .await;
    assert_graph_error(
        &duplicate_uri,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
    );
    assert_eq!(
        duplicate_uri.body["error"]["details"][0]["code"],
        "ObjectConflict"
    );
}

#[tokio::test]
async fn applications_upsert_by_unique_name() {
    let harness = Harness::new().await;
    let path = "/applications(uniqueName='app-65278')";
    let without_header = harness
        .graph(
            Method::PATCH,
            path,
            Some(fixture("application-upsert.request.json")),
        )
        .await;
    assert_graph_error(
        &without_header,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
    );
    let prefer = [("Prefer", "create-if-missing")];
    let created = harness
        .graph_with(
            Method::PATCH,
            path,
            &prefer,
            Some(fixture("application-upsert.request.json")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_shape(&created.body, &fixture("application-upsert.json"));
    assert_eq!(created.body["uniqueName"], "app-65278");
    let updated = harness
        .graph_with(
            Method::PATCH,
            path,
            &prefer,
            Some(json!({"displayName": "Renamed"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::NO_CONTENT);
    let read = harness.graph(Method::GET, path, None).await;
    assert_eq!(read.body["displayName"], "Renamed");
    assert_eq!(read.body["id"], created.body["id"]);
    let immutable = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{}", created.body["id"].as_str().unwrap()),
            Some(json!({"uniqueName": "other"})),
        )
        .await;
    assert_graph_error(&immutable, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let duplicate = harness
        .graph(
            Method::POST,
            "/applications",
            Some(json!({"displayName": "d", "uniqueName": "APP-65278"})),
        )
        .await;
    assert_graph_error(&duplicate, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let filtered = harness
        .graph(
            Method::GET,
            "/applications?$filter=uniqueName%20eq%20'app-65278'",
            None,
        )
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn applications_delete_restore_and_purge() {
    let harness = Harness::new().await;
    let prefer = [("Prefer", "create-if-missing")];
    let created = harness
        .graph_with(
            Method::PATCH,
            "/applications(uniqueName='bin')",
            &prefer,
            Some(json!({"displayName": "Binned"})),
        )
        .await
        .body;
    let id = created["id"].as_str().unwrap().to_owned();
    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": created["appId"]})),
        )
        .await;
    assert_eq!(sp.status, StatusCode::CREATED);
    assert_eq!(
        harness
            .graph(Method::DELETE, &format!("/applications/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness
            .graph(Method::GET, &format!("/applications/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let sp_gone = harness
        .graph(
            Method::GET,
            &format!("/servicePrincipals/{}", sp.body["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(
        sp_gone.status,
        StatusCode::NOT_FOUND,
        "the app's service principal is deleted with it"
    );

    let deleted = harness.graph(Method::GET, "/directory/deletedItems/microsoft.graph.application?$filter=displayName%20eq%20'Binned'", None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["value"][0]["id"], id.as_str());
    assert_eq!(
        deleted.body["value"][0]["@odata.type"],
        "#microsoft.graph.application"
    );
    assert!(deleted.body["value"][0]["deletedDateTime"].is_string());
    let one = harness
        .graph(Method::GET, &format!("/directory/deletedItems/{id}"), None)
        .await;
    assert_eq!(one.status, StatusCode::OK);

    // uniqueName stays taken while the app is soft-deleted.
    let taken = harness
        .graph_with(
            Method::PATCH,
            "/applications(uniqueName='bin')",
            &prefer,
            Some(json!({"displayName": "again"})),
        )
        .await;
    assert_graph_error(&taken, StatusCode::BAD_REQUEST, "Request_BadRequest");

    let restored = harness
        .graph(
            Method::POST,
            &format!("/directory/deletedItems/{id}/restore"),
            None,
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK);
    assert_eq!(restored.body["id"], id.as_str());
    assert!(restored.body["deletedDateTime"].is_null());
    assert_eq!(
        harness
            .graph(Method::GET, &format!("/applications/{id}"), None)
            .await
            .status,
        StatusCode::OK
    );

    assert_eq!(
        harness
            .graph(Method::DELETE, &format!("/applications/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness
            .graph(
                Method::DELETE,
                &format!("/directory/deletedItems/{id}"),
                None
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let purged = harness
        .graph(Method::GET, &format!("/directory/deletedItems/{id}"), None)
        .await;
    assert_graph_error(&purged, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let free = harness
        .graph_with(
            Method::PATCH,
            "/applications(uniqueName='bin')",
            &prefer,
            Some(json!({"displayName": "again"})),
        )
        .await;
    assert_eq!(
        free.status,
        StatusCode::CREATED,
        "purge frees the uniqueName"
    );
}

#[tokio::test]
async fn service_principals_create_get_update_delete() {
    let harness = Harness::new().await;
    let app = harness
        .create_app(json!({"displayName": "My App", "signInAudience": "AzureADMyOrg", "identifierUris": ["api://my-app"],
            "appRoles": [{"id": "11111111-2222-4333-8444-555555555555", "value": "Jobs.Run", "displayName": "Run", "description": "Run", "allowedMemberTypes": ["Application"], "isEnabled": true}]}))
        .await;
    let created = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_shape(&created.body, &fixture("serviceprincipal-post.json"));
    assert_eq!(created.body["appDisplayName"], "My App");
    assert_eq!(created.body["appRoles"][0]["value"], "Jobs.Run");
    assert_eq!(
        created.body["servicePrincipalNames"],
        json!([app["appId"], "api://my-app"])
    );
    let sp_id = created.body["id"].as_str().unwrap().to_owned();

    let got = harness
        .graph(Method::GET, &format!("/servicePrincipals/{sp_id}"), None)
        .await;
    assert_shape(&got.body, &fixture("serviceprincipal-get.json"));
    let by_app_id = harness
        .graph(
            Method::GET,
            &format!(
                "/servicePrincipals(appId='{}')",
                app["appId"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(by_app_id.body["id"], sp_id.as_str());

    let second = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({"appId": app["appId"]})),
        )
        .await;
    assert_graph_error(
        &second,
        StatusCode::CONFLICT,
        "Request_MultipleObjectsWithSameKeyValue",
    );
    let orphan = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(fixture("serviceprincipal-post.request.json")),
        )
        .await;
    assert_graph_error(&orphan, StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(
        orphan.body["error"]["details"][0]["code"],
        "NoBackingApplicationObject"
    );

    let patched = harness
        .graph(Method::PATCH, &format!("/servicePrincipals/{sp_id}"), Some(json!({"appRoleAssignmentRequired": true, "tags": ["WindowsAzureActiveDirectoryIntegratedApp"]})))
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let listed = harness
        .graph(Method::GET, "/servicePrincipals?$filter=tags/any(t:t%20eq%20'WindowsAzureActiveDirectoryIntegratedApp')", None)
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["value"][0]["appRoleAssignmentRequired"], true);
    assert_shape(&listed.body, &fixture("serviceprincipal-list-basic.json"));

    // A rename of the application reaches its service principal.
    let renamed = harness
        .graph(
            Method::PATCH,
            &format!("/applications/{}", app["id"].as_str().unwrap()),
            Some(json!({"displayName": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::NO_CONTENT);
    let synced = harness
        .graph(Method::GET, &format!("/servicePrincipals/{sp_id}"), None)
        .await;
    assert_eq!(synced.body["appDisplayName"], "Renamed");

    assert_eq!(
        harness
            .graph(Method::DELETE, &format!("/servicePrincipals/{sp_id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness
            .graph(Method::GET, &format!("/servicePrincipals/{sp_id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn service_principals_seeded_from_the_catalog() {
    let harness = Harness::new().await;
    let graph = harness
        .graph(Method::GET, "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id,appId,displayName,appRoles,oauth2PermissionScopes", None)
        .await;
    assert_eq!(graph.status, StatusCode::OK);
    assert_shape(
        &graph.body,
        &fixture("serviceprincipal-get-msgraph-select.json"),
    );
    assert_eq!(graph.body["displayName"], "Microsoft Graph");
    let roles = graph.body["appRoles"].as_array().unwrap();
    let scopes = graph.body["oauth2PermissionScopes"].as_array().unwrap();
    assert!(
        roles.len() > 300 && scopes.len() > 300,
        "{} roles, {} scopes",
        roles.len(),
        scopes.len()
    );
    let user_read_all = roles
        .iter()
        .find(|role| role["value"] == "User.Read.All")
        .unwrap();
    assert_eq!(user_read_all["id"], "df021288-bdef-4463-88db-98f22de89214");
    assert_eq!(user_read_all["allowedMemberTypes"], json!(["Application"]));
    let delegated = scopes
        .iter()
        .find(|scope| scope["value"] == "User.Read.All")
        .unwrap();
    assert_eq!(delegated["id"], "a154be20-db9c-4678-8ab7-66f6cc099a59");
    assert_eq!(delegated["type"], "Admin");
    let user_read = scopes
        .iter()
        .find(|scope| scope["value"] == "User.Read")
        .unwrap();
    assert_eq!(user_read["type"], "User");

    let by_name = harness.graph(Method::GET, "/servicePrincipals?$filter=displayName%20eq%20'Microsoft%20Graph'&$select=id,displayName,appId,appRoles", None).await;
    assert_shape(&by_name.body, &fixture("serviceprincipal-list.json"));
    let count = registrar_catalog::catalog().apis.len();
    let all = harness
        .graph(
            Method::GET,
            "/servicePrincipals?$select=id,appOwnerOrganizationId",
            None,
        )
        .await;
    let first_party = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|sp| sp["appOwnerOrganizationId"] == "f8cdef31-a31e-4b4a-93e4-5f571e91255a")
        .count();
    assert_eq!(first_party, count);
    let backing = harness
        .graph(
            Method::GET,
            "/applications(appId='00000003-0000-0000-c000-000000000000')",
            None,
        )
        .await;
    assert_eq!(
        backing.status,
        StatusCode::NOT_FOUND,
        "first-party APIs have no application in the tenant"
    );
}

#[tokio::test]
async fn batch_dispatches_inner_requests() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("Batched")).await;
    let id = app["id"].as_str().unwrap();
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/applications/{id}")},
        {"id": "2", "method": "PATCH", "url": format!("/applications/{id}"), "headers": {"Content-Type": "application/json"}, "body": {"notes": "batched"}, "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/applications/00000000-0000-0000-0000-000000000000"},
        {"id": "4", "method": "GET", "url": "/users", "dependsOn": ["3"]},
        {"id": "5", "method": "GET", "url": "users?$select=id,displayName,userPrincipalName&$filter=userPrincipalName%20eq%20'alice@contoso.com'&$count=true", "headers": {"ConsistencyLevel": "eventual"}}
    ]});
    harness.emulator.reset_request_counts();
    let reply = harness.graph(Method::POST, "/$batch", Some(batch)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let by_id = |wanted: &str| {
        reply.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["id"] == wanted)
            .unwrap()
            .clone()
    };
    // The envelope and the inner headers follow batch-response.json; bodies are per resource.
    let mut documented = fixture("batch-response.json")["responses"][0].clone();
    documented["body"] = json!({"@odata.context": documented["body"]["@odata.context"]});
    assert_shape(&by_id("1"), &documented);
    let documented_error = fixture("batch-response.json")["responses"][2].clone();
    assert_shape(&by_id("3"), &documented_error);
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("2")["status"], 204);
    assert_eq!(by_id("3")["status"], 404);
    assert_eq!(
        by_id("3")["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    assert_eq!(by_id("4")["status"], 424);
    assert_eq!(by_id("5")["body"]["@odata.count"], 1);
    assert_eq!(
        harness
            .graph(Method::GET, &format!("/applications/{id}"), None)
            .await
            .body["notes"],
        "batched"
    );
    assert_eq!(harness.emulator.request_counts()["POST /v1.0/$batch"], 1);
    assert_eq!(
        harness.emulator.request_counts()["PATCH /v1.0/applications/{id}"],
        1
    );

    let duplicate = harness
        .graph(Method::POST, "/$batch", Some(json!({"requests": [{"id": "a", "method": "GET", "url": "/users"}, {"id": "A", "method": "GET", "url": "/users"}]})))
        .await;
    assert_graph_error(&duplicate, StatusCode::BAD_REQUEST, "Request_BadRequest");
    let too_many: Vec<Value> = (0..21)
        .map(|index| json!({"id": index.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    let too_many = harness
        .graph(Method::POST, "/$batch", Some(json!({"requests": too_many})))
        .await;
    assert_graph_error(&too_many, StatusCode::BAD_REQUEST, "Request_BadRequest");
}
