//! Azure Resource Manager `Microsoft.Authorization`: role definitions and role assignments.

use axum::http::{Method, StatusCode};
use registrar_emulator::{ArmOptions, Emulator, EmulatorConfig, Faults, RoleDefinitionIdForm};
use serde_json::{Value, json};

use crate::support::*;

const API: &str = "api-version=2022-04-01";
const SUB: &str = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";
const OTHER_SUB: &str = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// Assignable only at `/providers/Microsoft.Capacity`.
const RESERVATIONS_READER: &str = "582fc458-8989-419f-a480-75249bc5db7e";
const PROVIDER: &str = "providers/Microsoft.Authorization";

fn sub_scope() -> String {
    format!("/subscriptions/{SUB}")
}

fn rg_scope(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}")
}

fn assignment_url(scope: &str, name: &str) -> String {
    format!("{scope}/{PROVIDER}/roleAssignments/{name}?{API}")
}

fn list_url(scope: &str, filter: Option<&str>) -> String {
    let mut url = format!("{scope}/{PROVIDER}/roleAssignments?{API}");
    if let Some(filter) = filter {
        url.push_str("&$filter=");
        url.push_str(&filter.replace(' ', "%20").replace('\'', "%27"));
    }
    url
}

fn body(role: &str, principal: &str, principal_type: Option<&str>) -> Value {
    let mut properties = json!({
        "roleDefinitionId": format!("/subscriptions/{SUB}/{PROVIDER}/roleDefinitions/{role}"),
        "principalId": principal,
    });
    if let Some(principal_type) = principal_type {
        properties["principalType"] = json!(principal_type);
    }
    json!({ "properties": properties })
}

fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn assign(harness: &Harness, scope: &str, role: &str, principal: &str) -> String {
    let name = guid();
    let reply = harness
        .arm(
            Method::PUT,
            &assignment_url(scope, &name),
            Some(body(role, principal, Some("ServicePrincipal"))),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    name
}

#[tokio::test]
async fn role_definitions_filter_by_role_name() {
    let harness = Harness::new().await;
    for name in ["Reader", "reader", "READER"] {
        let reply = harness
            .arm(
                Method::GET,
                &format!(
                    "/subscriptions/{SUB}/{PROVIDER}/roleDefinitions?$filter=roleName%20eq%20'{name}'&{API}"
                ),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_shape(&reply.body, &fixture("arm-roledefinitions-list.json"));
        let value = reply.body["value"].as_array().unwrap();
        assert_eq!(value.len(), 1, "{}", reply.body);
        let reader = &value[0];
        assert_eq!(reader["name"], READER);
        assert_eq!(
            reader["id"],
            format!("/subscriptions/{SUB}/{PROVIDER}/roleDefinitions/{READER}")
        );
        assert_eq!(reader["type"], "Microsoft.Authorization/roleDefinitions");
        assert_eq!(reader["properties"]["roleName"], "Reader");
        assert_eq!(reader["properties"]["type"], "BuiltInRole");
        assert_eq!(reader["properties"]["assignableScopes"], json!(["/"]));
        assert!(reply.body.get("nextLink").is_none());
    }
    // A name with ` and ` inside the quotes, combined with `type eq`; `''` escapes a quote.
    let reply = harness
        .arm(
            Method::GET,
            &format!(
                "/subscriptions/{SUB}/resourceGroups/rg/{PROVIDER}/roleDefinitions?$filter=roleName%20eq%20'Azure%20Maps%20Data%20Read%20and%20Batch%20Role'%20and%20type%20eq%20'BuiltInRole'&{API}"
            ),
            None,
        )
        .await;
    assert_eq!(
        reply.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        reply.body
    );
    for filter in ["roleName%20eq%20'Reader''s'", "type%20eq%20'CustomRole'"] {
        let reply = harness
            .arm(
                Method::GET,
                &format!("/subscriptions/{SUB}/{PROVIDER}/roleDefinitions?$filter={filter}&{API}"),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["value"], json!([]));
    }
    let bad = harness
        .arm(
            Method::GET,
            &format!(
                "/subscriptions/{SUB}/{PROVIDER}/roleDefinitions?$filter=roleName%20ne%20'x'&{API}"
            ),
            None,
        )
        .await;
    assert_arm_error(&bad, StatusCode::BAD_REQUEST, "UnsupportedQuery");
}

#[tokio::test]
async fn role_definitions_get_at_scopes_and_tenant_level() {
    let harness = Harness::new().await;
    let at_sub = harness
        .arm(
            Method::GET,
            &format!("/subscriptions/{SUB}/{PROVIDER}/roleDefinitions/{READER}?{API}"),
            None,
        )
        .await;
    assert_eq!(at_sub.status, StatusCode::OK, "{}", at_sub.body);
    assert_shape(&at_sub.body, &fixture("arm-roledefinitions-get.json"));
    for key in ["createdOn", "updatedOn", "createdBy", "updatedBy"] {
        assert!(at_sub.body["properties"].get(key).is_some(), "{key}");
    }
    let permissions = &at_sub.body["properties"]["permissions"][0];
    for key in ["actions", "notActions", "dataActions", "notDataActions"] {
        assert!(permissions[key].is_array(), "{key}");
    }
    let at_rg = harness
        .arm(
            Method::GET,
            &format!(
                "{}/{PROVIDER}/roleDefinitions/{READER}?{API}",
                rg_scope("rg1")
            ),
            None,
        )
        .await;
    assert_eq!(
        at_rg.body["id"], at_sub.body["id"],
        "ids are subscription-qualified"
    );
    // GET /{roleDefinitionId}, tenant level.
    let tenant = harness
        .arm(
            Method::GET,
            &format!("/{PROVIDER}/roleDefinitions/{READER}?{API}"),
            None,
        )
        .await;
    assert_eq!(tenant.status, StatusCode::OK, "{}", tenant.body);
    assert_eq!(
        tenant.body["id"],
        format!("/{PROVIDER}/roleDefinitions/{READER}")
    );
    assert_eq!(
        tenant.header("x-ms-ratelimit-remaining-tenant-reads"),
        Some("249")
    );

    let missing = harness
        .arm(
            Method::GET,
            &format!(
                "/subscriptions/{SUB}/{PROVIDER}/roleDefinitions/{}?{API}",
                guid()
            ),
            None,
        )
        .await;
    assert_arm_error(
        &missing,
        StatusCode::NOT_FOUND,
        "RoleDefinitionDoesNotExist",
    );

    // Tenant-scoped roles: not at a subscription, found at the tenant level.
    let reservations = harness
        .arm(
            Method::GET,
            &format!("/subscriptions/{SUB}/{PROVIDER}/roleDefinitions/{RESERVATIONS_READER}?{API}"),
            None,
        )
        .await;
    assert_arm_error(
        &reservations,
        StatusCode::NOT_FOUND,
        "RoleDefinitionDoesNotExist",
    );
    let reservations = harness
        .arm(
            Method::GET,
            &format!("/{PROVIDER}/roleDefinitions/{RESERVATIONS_READER}?{API}"),
            None,
        )
        .await;
    assert_eq!(reservations.status, StatusCode::OK);
    assert_eq!(
        reservations.body["properties"]["assignableScopes"],
        json!(["/providers/Microsoft.Capacity"])
    );
}

#[tokio::test]
async fn role_definitions_page_through_next_link() {
    let harness = Harness::new().await;
    let mut url = format!("/subscriptions/{SUB}/{PROVIDER}/roleDefinitions?{API}");
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let reply = harness.arm(Method::GET, &url, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        pages += 1;
        all.extend(names(&reply.body));
        match reply.body["nextLink"].as_str() {
            Some(next) => {
                assert!(next.contains("api-version=2022-04-01"), "{next}");
                url = next.strip_prefix("https://localhost").unwrap().to_owned();
            }
            None => break,
        }
    }
    let catalog = registrar_catalog::catalog().roles.len();
    assert_eq!(
        all.len(),
        catalog - 2,
        "all but the two tenant-scoped roles"
    );
    assert!(pages > 1);
    assert!(!all.contains(&RESERVATIONS_READER.to_owned()));
    all.dedup();
    assert_eq!(all.len(), catalog - 2, "no duplicates across pages");
}

#[tokio::test]
async fn role_assignment_lifecycle_matches_the_examples() {
    let harness = Harness::new().await;
    let principal = harness.create_service_principal("rbac").await;
    let scope = rg_scope("testrg");
    let name = "05c5a614-a7d6-4502-b150-c2fb455033ff";
    let mut request = fixture("arm-roleassignments-create.request.json");
    request["properties"]["principalId"] = json!(principal);
    request["properties"]["principalType"] = json!("ServicePrincipal");
    // The example's role GUID is not a built-in role: use Reader.
    request["properties"]["roleDefinitionId"] = json!(format!(
        "/subscriptions/{SUB}/{PROVIDER}/roleDefinitions/{READER}"
    ));

    let created = harness
        .arm(
            Method::PUT,
            &assignment_url(&scope, name),
            Some(request.clone()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_shape(&created.body, &fixture("arm-roleassignments-create.json"));
    assert_eq!(
        created.body["id"],
        format!("{scope}/{PROVIDER}/roleAssignments/{name}")
    );
    assert_eq!(created.body["name"], name);
    assert_eq!(
        created.body["type"],
        "Microsoft.Authorization/roleAssignments"
    );
    let properties = &created.body["properties"];
    assert_eq!(properties["scope"], scope);
    assert_eq!(properties["principalId"], principal);
    assert_eq!(properties["principalType"], "ServicePrincipal");
    // As Azure answers (and the Azure CLI relies on): the subscription form, whatever form was
    // sent.
    assert_eq!(
        properties["roleDefinitionId"],
        format!("/subscriptions/{SUB}/{PROVIDER}/roleDefinitions/{READER}")
    );
    for key in [
        "condition",
        "conditionVersion",
        "description",
        "delegatedManagedIdentityResourceId",
    ] {
        assert!(properties[key].is_null(), "{key}");
    }
    assert_eq!(
        properties["createdBy"],
        harness.emulator.tenant().automation_service_principal_id
    );
    assert!(properties["createdOn"].as_str().unwrap().ends_with('Z'));
    assert!(
        created
            .header("x-ms-ratelimit-remaining-subscription-writes")
            .is_some()
    );
    assert!(created.header("x-ms-request-id").is_some());

    // The identical PUT: 200, same body.
    let again = harness
        .arm(
            Method::PUT,
            &assignment_url(&scope, name),
            Some(request.clone()),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body, created.body);
    // The same assignment with a description: 200, updated.
    let mut described = request.clone();
    described["properties"]["description"] = json!("managed by Registrar");
    let updated = harness
        .arm(Method::PUT, &assignment_url(&scope, name), Some(described))
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(
        updated.body["properties"]["description"],
        "managed by Registrar"
    );

    // GET by scope + name and by id (the same URL).
    let got = harness
        .arm(Method::GET, &assignment_url(&scope, name), None)
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(
        got.body["properties"]["description"],
        "managed by Registrar"
    );
    assert!(
        got.header("x-ms-ratelimit-remaining-subscription-reads")
            .is_some()
    );
    let by_id = harness
        .arm(
            Method::GET,
            &format!("{}?{API}", got.body["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(by_id.body, got.body);
    // Scopes compare case-insensitively.
    let upper = harness
        .arm(
            Method::GET,
            &assignment_url(&scope.to_uppercase(), name),
            None,
        )
        .await;
    assert_eq!(upper.status, StatusCode::OK);
    // Not at another scope.
    let elsewhere = harness
        .arm(Method::GET, &assignment_url(&rg_scope("other"), name), None)
        .await;
    assert_arm_error(&elsewhere, StatusCode::NOT_FOUND, "RoleAssignmentNotFound");

    let list = harness
        .arm(Method::GET, &list_url(&sub_scope(), None), None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_shape(&list.body, &fixture("arm-roleassignments-list.json"));
    assert_eq!(names(&list.body), vec![name.to_owned()]);

    let deleted = harness
        .arm(Method::DELETE, &assignment_url(&scope, name), None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_shape(&deleted.body, &fixture("arm-roleassignments-delete.json"));
    assert_eq!(deleted.body["name"], name);
    assert!(
        deleted
            .header("x-ms-ratelimit-remaining-subscription-deletes")
            .is_some()
    );
    let gone = harness
        .arm(Method::DELETE, &assignment_url(&scope, name), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert!(gone.text.is_empty());
    let missing = harness
        .arm(Method::GET, &assignment_url(&scope, name), None)
        .await;
    assert_arm_error(&missing, StatusCode::NOT_FOUND, "RoleAssignmentNotFound");
}

#[tokio::test]
async fn role_assignment_errors() {
    let harness = Harness::new().await;
    let principal = harness.create_service_principal("rbac-errors").await;
    let scope = rg_scope("rg1");
    let name = assign(&harness, &scope, READER, &principal).await;

    let cases: Vec<(String, Option<Value>, StatusCode, &str)> = vec![
        (
            assignment_url(&scope, "not-a-guid"),
            Some(body(READER, &principal, None)),
            StatusCode::BAD_REQUEST,
            "InvalidRoleAssignmentId",
        ),
        // Same (scope, principal, role) under another name.
        (
            assignment_url(&scope, &guid()),
            Some(body(READER, &principal, Some("ServicePrincipal"))),
            StatusCode::CONFLICT,
            "RoleAssignmentExists",
        ),
        // The name reused with another role, another principal, another scope.
        (
            assignment_url(&scope, &name),
            Some(body(CONTRIBUTOR, &principal, None)),
            StatusCode::BAD_REQUEST,
            "RoleAssignmentUpdateNotPermitted",
        ),
        (
            assignment_url(&scope, &name),
            Some(body(
                READER,
                &harness.emulator.tenant().automation_service_principal_id,
                None,
            )),
            StatusCode::BAD_REQUEST,
            "RoleAssignmentUpdateNotPermitted",
        ),
        (
            assignment_url(&rg_scope("rg2"), &name),
            Some(body(READER, &principal, None)),
            StatusCode::BAD_REQUEST,
            "RoleAssignmentUpdateNotPermitted",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(body(&guid(), &principal, None)),
            StatusCode::BAD_REQUEST,
            "RoleDefinitionDoesNotExist",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(body(RESERVATIONS_READER, &principal, None)),
            StatusCode::BAD_REQUEST,
            "RoleDefinitionDoesNotExist",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(body(READER, &guid(), Some("ServicePrincipal"))),
            StatusCode::BAD_REQUEST,
            "PrincipalNotFound",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(body(READER, "someone", None)),
            StatusCode::BAD_REQUEST,
            "InvalidPrincipalId",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(json!({"properties": {"roleDefinitionId": "Reader", "principalId": principal}})),
            StatusCode::BAD_REQUEST,
            "InvalidRoleDefinitionId",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(body(CONTRIBUTOR, &principal, Some("User"))),
            StatusCode::BAD_REQUEST,
            "UnmatchedPrincipalType",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(body(CONTRIBUTOR, &principal, Some("Robot"))),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
        ),
        (
            assignment_url(&scope, &guid()),
            Some(json!({"roleDefinitionId": READER})),
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
        ),
        (
            assignment_url("", &guid()),
            Some(body(READER, &principal, None)),
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
        ),
        (
            format!("/subscriptions/{SUB}/{PROVIDER}/roleAssignments/{name}"),
            None,
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
        ),
        (
            format!("/subscriptions/{SUB}/{PROVIDER}/roleAssignments?api-version=latest"),
            None,
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
        ),
        (
            format!("/subscriptions/{SUB}/{PROVIDER}/roleAssignments?api-version=2015-07-01"),
            None,
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
        ),
        (
            list_url("/subscriptions/not-a-subscription", None),
            None,
            StatusCode::BAD_REQUEST,
            "InvalidSubscriptionId",
        ),
        (
            list_url("/subscriptions", None),
            None,
            StatusCode::BAD_REQUEST,
            "MissingSubscription",
        ),
        (
            list_url(
                &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web"),
                None,
            ),
            None,
            StatusCode::BAD_REQUEST,
            "InvalidScope",
        ),
        (
            list_url(&scope, Some("displayName eq 'x'")),
            None,
            StatusCode::BAD_REQUEST,
            "UnsupportedQuery",
        ),
        (
            format!("/subscriptions/{SUB}/resourceGroups?{API}"),
            None,
            StatusCode::BAD_REQUEST,
            "InvalidResourceType",
        ),
    ];
    for (url, request, status, code) in cases {
        let method = if request.is_some() {
            Method::PUT
        } else {
            Method::GET
        };
        let reply = harness.arm(method, &url, request).await;
        assert_arm_error(&reply, status, code);
        if code == "RoleAssignmentExists" {
            let message = reply.body["error"]["message"].as_str().unwrap();
            let expected = format!(
                "The role assignment already exists. The ID of the existing role assignment is {}.",
                name.replace('-', "")
            );
            assert_eq!(message, expected);
        }
        if code == "PrincipalNotFound" {
            let message = reply.body["error"]["message"].as_str().unwrap();
            let tenant = harness.emulator.tenant().tenant_id;
            assert!(message.starts_with("Principal "), "{message}");
            assert!(
                message.contains(&format!("does not exist in the directory {tenant}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype")),
                "{message}"
            );
        }
    }
    let post = harness
        .arm(Method::POST, &list_url(&scope, None), Some(json!({})))
        .await;
    assert_arm_error(&post, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed");
    // Non-GUID names are refused on GET and DELETE too.
    let get = harness
        .arm(Method::GET, &assignment_url(&scope, "x"), None)
        .await;
    assert_arm_error(&get, StatusCode::BAD_REQUEST, "InvalidRoleAssignmentId");
    // A user principal works, and its type is filled in when left out.
    let user = harness
        .graph(Method::GET, "/users/alice@contoso.com", None)
        .await;
    let user_id = user.body["id"].as_str().unwrap();
    let reply = harness
        .arm(
            Method::PUT,
            &assignment_url(&scope, &guid()),
            Some(body(READER, user_id, None)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["properties"]["principalType"], "User");
}

#[tokio::test]
async fn arm_needs_an_arm_token() {
    let harness = Harness::new().await;
    let url = list_url(&sub_scope(), None);
    let none = harness.call(Method::GET, &url, None, &[], None).await;
    assert_arm_error(&none, StatusCode::UNAUTHORIZED, "AuthenticationFailed");
    assert!(
        none.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer ")
    );
    let graph = harness
        .call(Method::GET, &url, Some(&harness.graph_token), &[], None)
        .await;
    assert_arm_error(
        &graph,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationTokenAudience",
    );
    assert!(
        graph.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'https://graph.microsoft.com'")
    );
    let vault = harness
        .call(Method::GET, &url, Some(&harness.vault_token), &[], None)
        .await;
    assert_arm_error(
        &vault,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationTokenAudience",
    );
    let garbage = harness
        .call(Method::GET, &url, Some("not.a.token"), &[], None)
        .await;
    assert_arm_error(
        &garbage,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    );
    // And an ARM token is refused by Graph and Key Vault.
    let on_graph = harness
        .call(
            Method::GET,
            "/v1.0/users",
            Some(&harness.arm_token),
            &[],
            None,
        )
        .await;
    assert_graph_error(
        &on_graph,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    );
    let ok = harness.arm(Method::GET, &url, None).await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn role_assignment_lists_follow_the_scope_hierarchy() {
    let harness = Harness::new().await;
    let principal = harness.create_service_principal("rbac-list").await;
    let other = harness.create_service_principal("rbac-other").await;
    let rg = rg_scope("rg1");
    let resource = format!("{rg}/providers/Microsoft.Storage/storageAccounts/sa1");
    let at_sub = assign(&harness, &sub_scope(), READER, &principal).await;
    let at_rg = assign(&harness, &rg, READER, &principal).await;
    let at_resource = assign(&harness, &resource, READER, &principal).await;
    let at_other_rg = assign(&harness, &rg_scope("rg2"), READER, &principal).await;
    let other_sub = assign(
        &harness,
        &format!("/subscriptions/{OTHER_SUB}"),
        READER,
        &principal,
    )
    .await;
    let other_principal = assign(&harness, &rg, READER, &other).await;
    let sorted = |mut names: Vec<String>| {
        names.sort();
        names
    };

    let filter = format!("principalId eq '{principal}'");
    let list = harness
        .arm(Method::GET, &list_url(&rg, Some(&filter)), None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(
        names(&list.body),
        sorted(vec![at_sub.clone(), at_rg.clone(), at_resource.clone()]),
        "at, above and below"
    );
    let assigned_to = harness
        .arm(
            Method::GET,
            &list_url(&rg, Some(&format!("assignedTo('{principal}')"))),
            None,
        )
        .await;
    assert_eq!(names(&assigned_to.body), names(&list.body));
    let at_scope = harness
        .arm(Method::GET, &list_url(&rg, Some("atScope()")), None)
        .await;
    assert_eq!(
        names(&at_scope.body),
        sorted(vec![at_sub.clone(), at_rg.clone(), other_principal.clone()]),
        "at and above"
    );
    let both = harness
        .arm(
            Method::GET,
            &list_url(
                &rg,
                Some(&format!("atScope() and principalId eq '{principal}'")),
            ),
            None,
        )
        .await;
    assert_eq!(
        names(&both.body),
        sorted(vec![at_sub.clone(), at_rg.clone()])
    );
    let everything = harness.arm(Method::GET, &list_url(&rg, None), None).await;
    assert_eq!(
        names(&everything.body),
        sorted(vec![
            at_sub.clone(),
            at_rg.clone(),
            at_resource.clone(),
            other_principal.clone()
        ])
    );
    let subscription = harness
        .arm(Method::GET, &list_url(&sub_scope(), Some(&filter)), None)
        .await;
    assert_eq!(
        names(&subscription.body),
        sorted(vec![
            at_sub.clone(),
            at_rg.clone(),
            at_resource.clone(),
            at_other_rg.clone()
        ])
    );
    let root = harness
        .arm(Method::GET, &list_url("", Some(&filter)), None)
        .await;
    assert_eq!(root.body["value"].as_array().unwrap().len(), 5);
    assert!(names(&root.body).contains(&other_sub));
    // The resource's own scope sees itself and everything above.
    let on_resource = harness
        .arm(Method::GET, &list_url(&resource, Some("atScope()")), None)
        .await;
    assert_eq!(
        names(&on_resource.body),
        sorted(vec![at_sub, at_rg, at_resource, other_principal])
    );
}

#[tokio::test]
async fn principal_not_found_during_replication_lag_then_created() {
    let harness = Harness::new().await;
    let app = harness.create_app(app_body("rbac-lag")).await;
    let older = harness.create_service_principal("rbac-older").await;
    // Created more than the lag (set below) ago.
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    harness.set_faults(Faults {
        replication_lag_ms: 400,
        ..Faults::default()
    });
    // A service principal that was only changed during the lag is still known to ARM.
    let patched = harness
        .graph(
            Method::PATCH,
            &format!("/servicePrincipals/{older}"),
            Some(json!({ "tags": ["changed"] })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.body);
    let changed = harness
        .arm(
            Method::PUT,
            &assignment_url(&rg_scope("rg1"), &guid()),
            Some(body(READER, &older, Some("ServicePrincipal"))),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CREATED, "{}", changed.body);
    let sp = harness
        .graph(
            Method::POST,
            "/servicePrincipals",
            Some(json!({ "appId": app["appId"] })),
        )
        .await;
    assert_eq!(sp.status, StatusCode::CREATED, "{}", sp.body);
    let principal = sp.body["id"].as_str().unwrap().to_owned();
    let name = guid();
    let url = assignment_url(&rg_scope("rg1"), &name);
    let request = body(READER, &principal, Some("ServicePrincipal"));
    let early = harness.arm(Method::PUT, &url, Some(request.clone())).await;
    assert_arm_error(&early, StatusCode::BAD_REQUEST, "PrincipalNotFound");
    assert!(
        early.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&principal.replace('-', ""))
    );
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    let later = harness.arm(Method::PUT, &url, Some(request)).await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.body);
}

#[tokio::test]
async fn assignments_outlive_their_deleted_principal() {
    let harness = Harness::new().await;
    let principal = harness.create_service_principal("rbac-deleted").await;
    let name = assign(&harness, &sub_scope(), READER, &principal).await;
    let deleted = harness
        .graph(
            Method::DELETE,
            &format!("/servicePrincipals/{principal}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let list = harness
        .arm(
            Method::GET,
            &list_url(&sub_scope(), Some(&format!("principalId eq '{principal}'"))),
            None,
        )
        .await;
    assert_eq!(names(&list.body), vec![name.clone()]);
    assert_eq!(
        list.body["value"][0]["properties"]["principalType"],
        "ServicePrincipal"
    );
    // A new assignment for it is refused; deleting the orphan works.
    let again = harness
        .arm(
            Method::PUT,
            &assignment_url(&sub_scope(), &guid()),
            Some(body(CONTRIBUTOR, &principal, None)),
        )
        .await;
    assert_arm_error(&again, StatusCode::BAD_REQUEST, "PrincipalNotFound");
    let removed = harness
        .arm(Method::DELETE, &assignment_url(&sub_scope(), &name), None)
        .await;
    assert_eq!(removed.status, StatusCode::OK);
}

#[tokio::test]
async fn role_assignments_page_through_next_link() {
    let harness = Harness::new().await;
    let principal = harness.create_service_principal("rbac-paging").await;
    let roles: Vec<String> = registrar_catalog::catalog()
        .roles
        .iter()
        .filter(|role| role.assignable_scopes.is_none())
        .take(130)
        .map(|role| role.id.clone())
        .collect();
    let mut created = Vec::new();
    for role in &roles {
        created.push(assign(&harness, &sub_scope(), role, &principal).await);
    }
    created.sort();
    let filter = format!("principalId eq '{principal}'");
    let first = harness
        .arm(Method::GET, &list_url(&sub_scope(), Some(&filter)), None)
        .await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 100);
    let next = first.body["nextLink"].as_str().unwrap();
    assert!(
        next.contains("%24filter=principalId") || next.contains("$filter=principalId"),
        "{next}"
    );
    let second = harness
        .arm(
            Method::GET,
            next.strip_prefix("https://localhost").unwrap(),
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["value"].as_array().unwrap().len(), 30);
    assert!(second.body.get("nextLink").is_none());
    let mut all = names(&first.body);
    all.extend(names(&second.body));
    all.sort();
    assert_eq!(all, created);
}

#[tokio::test]
async fn role_assignment_limits() {
    let harness = Harness::with_config(EmulatorConfig {
        arm: ArmOptions::default().with_limits(2, 1),
        ..EmulatorConfig::default()
    })
    .await;
    let principal = harness.create_service_principal("rbac-limit").await;
    assign(&harness, &sub_scope(), READER, &principal).await;
    assign(&harness, &rg_scope("rg1"), READER, &principal).await;
    let third = harness
        .arm(
            Method::PUT,
            &assignment_url(&rg_scope("rg2"), &guid()),
            Some(body(READER, &principal, None)),
        )
        .await;
    assert_arm_error(
        &third,
        StatusCode::BAD_REQUEST,
        "RoleAssignmentLimitExceeded",
    );
    // Another subscription has its own budget; a management group has its own.
    assign(
        &harness,
        &format!("/subscriptions/{OTHER_SUB}"),
        READER,
        &principal,
    )
    .await;
    let mg = "/providers/Microsoft.Management/managementGroups/mg1";
    assign(&harness, mg, READER, &principal).await;
    let second_mg = harness
        .arm(
            Method::PUT,
            &assignment_url(mg, &guid()),
            Some(body(CONTRIBUTOR, &principal, None)),
        )
        .await;
    assert_arm_error(
        &second_mg,
        StatusCode::BAD_REQUEST,
        "RoleAssignmentLimitExceeded",
    );
}

#[tokio::test]
async fn role_definition_id_form_is_configurable() {
    let harness = Harness::with_config(EmulatorConfig {
        arm: ArmOptions::default().with_role_definition_id_form(RoleDefinitionIdForm::Tenant),
        ..EmulatorConfig::default()
    })
    .await;
    let principal = harness.create_service_principal("rbac-form").await;
    let name = assign(&harness, &rg_scope("rg1"), READER, &principal).await;
    let got = harness
        .arm(Method::GET, &assignment_url(&rg_scope("rg1"), &name), None)
        .await;
    assert_eq!(
        got.body["properties"]["roleDefinitionId"],
        format!("/{PROVIDER}/roleDefinitions/{READER}")
    );
}

#[tokio::test]
async fn arm_faults_headers_and_counters() {
    let harness = Harness::new().await;
    let url = list_url(&sub_scope(), None);
    harness.emulator.reset_request_counts();
    let reply = harness
        .call(
            Method::GET,
            &url,
            Some(&harness.arm_token),
            &[("x-ms-correlation-request-id", "corr-1")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-ms-correlation-request-id"), Some("corr-1"));
    assert!(reply.header("x-ms-request-id").is_some());
    assert!(reply.header("x-ms-routing-request-id").is_some());
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let first: u64 = reply
        .header("x-ms-ratelimit-remaining-subscription-reads")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first, 249);
    let principal = harness.create_service_principal("rbac-faults").await;
    let name = assign(&harness, &sub_scope(), READER, &principal).await;
    harness
        .arm(Method::GET, &assignment_url(&sub_scope(), &name), None)
        .await;
    let counts = harness.emulator.request_counts();
    assert_eq!(
        counts.get("GET /{scope}/providers/Microsoft.Authorization/roleAssignments"),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("PUT /{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("GET /{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        Some(&1),
        "{counts:?}"
    );

    harness.set_faults(Faults {
        throttle_rate: 1.0,
        retry_after_seconds: 3.0,
        ..Faults::default()
    });
    let throttled = harness.arm(Method::GET, &url, None).await;
    assert_arm_error(&throttled, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert_eq!(throttled.header("retry-after"), Some("3"));
    assert!(
        throttled
            .header("x-ms-ratelimit-remaining-subscription-reads")
            .is_some()
    );
    harness.set_faults(Faults {
        unavailable_rate: 1.0,
        retry_after_seconds: 1.0,
        ..Faults::default()
    });
    let unavailable = harness.arm(Method::GET, &url, None).await;
    assert_arm_error(
        &unavailable,
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
    );
    assert_eq!(unavailable.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn role_assignments_are_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("tenant.json");
    let config = || EmulatorConfig {
        state_file: Some(state_file.clone()),
        ..EmulatorConfig::default()
    };
    let name = {
        let harness = Harness::with_config(config()).await;
        let principal = harness.create_service_principal("rbac-persist").await;
        assign(&harness, &rg_scope("rg1"), READER, &principal).await
    };
    let harness = Harness::with_config(config()).await;
    let got = harness
        .arm(Method::GET, &assignment_url(&rg_scope("rg1"), &name), None)
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    drop(harness);

    // A state file from before role assignments existed loads with none.
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    assert!(
        state
            .as_object_mut()
            .unwrap()
            .remove("role_assignments")
            .is_some()
    );
    std::fs::write(&state_file, state.to_string()).unwrap();
    assert!(Emulator::new(config()).is_ok());
    let harness = Harness::with_config(config()).await;
    let list = harness
        .arm(Method::GET, &list_url(&sub_scope(), None), None)
        .await;
    assert_eq!(list.body["value"], json!([]));
}
