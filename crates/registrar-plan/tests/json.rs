//! The JSON plan as policy tools read it: whole objects, `resource_drift`, the document's own
//! fields, the schema itself, and the example conftest policy
//! (`examples/policy/deny-secret-delete.rego`) evaluated by regorus against produced plans.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use registrar_model::{DesiredState, LiveTenant, PasswordCredential};
use registrar_plan::{Plan, PlanOptions, plan};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const POLICY: &str = include_str!("../../../examples/policy/deny-secret-delete.rego");

fn planned(desired: &DesiredState, live: &LiveTenant, now: OffsetDateTime) -> Plan {
    plan(desired, live, now, &PlanOptions::default()).unwrap()
}

fn with_secret() -> DesiredState {
    let mut api = app("api");
    api.service_principal = None;
    api.secrets = vec![secret("ci")];
    state(vec![api])
}

fn live_app<'a>(live: &'a mut LiveTenant, key: &str) -> &'a mut registrar_model::LiveApplication {
    let name = format!("platform.{key}");
    live.applications
        .iter_mut()
        .find(|app| app.unique_name.as_deref() == Some(name.as_str()))
        .unwrap()
}

/// The messages the example policy's `deny` rule produces for `document`.
fn denials(document: &Value) -> Vec<String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("deny-secret-delete.rego".to_owned(), POLICY.to_owned())
        .expect("the example policy parses");
    engine.set_input(regorus::Value::from_json_str(&document.to_string()).unwrap());
    let deny = engine
        .eval_rule("data.main.deny".to_owned())
        .expect("the deny rule evaluates");
    let deny: Value = serde_json::from_str(&deny.to_json_str().unwrap()).unwrap();
    deny.as_array()
        .expect("deny is a set")
        .iter()
        .map(|message| message.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn json_schema_is_a_valid_draft_2020_12_schema() {
    let schema = plan_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::meta::validate(&schema).expect("schema/plan.schema.json is a valid JSON Schema");
}

#[test]
fn json_schema_rejects_what_the_document_never_holds() {
    let validator = jsonschema::draft202012::new(&plan_schema()).unwrap();
    let document = valid_json_plan(&planned(&with_secret(), &tenant(), NOW));
    for (pointer, value) in [
        ("/errored", json!(true)),
        ("/format_version", json!("2.0")),
        ("/timestamp", json!("yesterday")),
        ("/resource_changes/0/change/actions", json!(["destroy"])),
        ("/resource_changes/0/type", json!("azuread_application")),
    ] {
        let mut broken = document.clone();
        *broken.pointer_mut(pointer).unwrap() = value;
        assert!(!validator.is_valid(&broken), "{pointer} should be rejected");
    }
    let mut extra = document;
    extra["planned_values"] = json!({});
    assert!(!validator.is_valid(&extra), "an undocumented field");
}

#[test]
fn json_document_says_when_and_by_which_version() {
    let desired = with_secret();
    let document = valid_json_plan(&planned(&desired, &tenant(), NOW));
    assert_eq!(document["format_version"], "1.2");
    assert_eq!(document["registrar_version"], "0.0.0-test");
    assert_eq!(document["timestamp"], "2026-01-01T00:00:00Z");
    assert_eq!(document["applyable"], true);
    assert_eq!(document["complete"], true);
    assert_eq!(document["errored"], false);
    assert_eq!(document["resource_drift"], json!([]));

    let converged = converged(&desired, tenant());
    let later = NOW + Duration::days(1);
    let quiet = valid_json_plan(&planned(&desired, &converged, later));
    assert_eq!(quiet["applyable"], false);
    assert_eq!(quiet["resource_changes"], json!([]));
    assert_eq!(quiet["timestamp"], "2026-01-02T00:00:00Z");
}

#[test]
fn json_update_shows_whole_objects_and_drift_where_the_text_shows_the_change() {
    let mut client = app("monitor-reader");
    client.plain.display_name = "Monitor reader".into();
    client.plain.public_client_redirect_uris = vec!["http://localhost".into()];
    let desired = state(vec![client]);
    let mut live = converged(&desired, tenant());
    let app = live_app(&mut live, "monitor-reader");
    app.settings.plain.public_client_redirect_uris = vec!["http://localhost:8400".into()];
    let app_id = app.app_id.clone();
    let plan = planned(&desired, &live, NOW);

    // The text plan (and the model's `before`/`after`) hold only the changed attribute.
    let change = &plan.changes[0];
    assert_eq!(
        change.before,
        Some(json!({"public_client.redirect_uris": ["http://localhost:8400"]}))
    );

    let document = valid_json_plan(&plan);
    let resource = &document["resource_changes"][0];
    assert_eq!(resource["address"], "application.monitor-reader");
    assert_eq!(resource["change"]["actions"], json!(["update"]));
    let before = &resource["change"]["before"];
    let after = &resource["change"]["after"];
    assert_eq!(before["app_id"], app_id.as_str());
    assert_eq!(before["unique_name"], "platform.monitor-reader");
    for (name, value) in [
        ("display_name", json!("Monitor reader")),
        ("sign_in_audience", json!("AzureADMyOrg")),
    ] {
        assert_eq!(before[name], value, "{name} before");
        assert_eq!(after[name], value, "{name} after");
    }
    assert_eq!(
        before["public_client.redirect_uris"],
        json!(["http://localhost:8400"])
    );
    assert_eq!(
        after["public_client.redirect_uris"],
        json!(["http://localhost"])
    );
    let keys = |object: &Value| {
        object
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(before),
        keys(after),
        "the same attributes on both sides"
    );

    // Drift: the declared object before, the live one after.
    let drift = document["resource_drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0]["address"], "application.monitor-reader");
    assert_eq!(drift[0]["change"]["actions"], json!(["update"]));
    assert_eq!(
        drift[0]["change"]["before"]["public_client.redirect_uris"],
        json!(["http://localhost"])
    );
    assert_eq!(
        drift[0]["change"]["after"]["public_client.redirect_uris"],
        json!(["http://localhost:8400"])
    );
}

fn with_hand_made_secret() -> (DesiredState, LiveTenant) {
    let desired = with_secret();
    let mut live = converged(&desired, tenant());
    live_app(&mut live, "api")
        .password_credentials
        .push(PasswordCredential {
            key_id: "1e6ac700-0000-4000-8000-000000000000".into(),
            display_name: Some("legacy".into()),
            hint: Some("abc".into()),
            start: Some(datetime!(2025-01-01 0:00 UTC)),
            end: Some(datetime!(2027-01-01 0:00 UTC)),
        });
    (desired, live)
}

#[test]
fn json_drift_lists_a_credential_added_by_hand_but_not_a_rotation() {
    let (desired, live) = with_hand_made_secret();
    let document = valid_json_plan(&planned(&desired, &live, NOW));
    let drift = document["resource_drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{document:#}");
    assert_eq!(drift[0]["address"], "application.api.secret.legacy");
    assert_eq!(drift[0]["type"], "registrar_application_secret");
    assert_eq!(drift[0]["change"]["actions"], json!(["create"]));
    assert_eq!(drift[0]["change"]["before"], Value::Null);
    assert_eq!(
        drift[0]["change"]["after"]["key_id"],
        "1e6ac700-0000-4000-8000-000000000000"
    );

    // A rotation is due to time, not to the tenant: not drift.
    let converged = converged(&desired, tenant());
    let rotation = valid_json_plan(&planned(&desired, &converged, NOW + Duration::days(168)));
    assert_eq!(
        rotation["resource_changes"][0]["change"]["actions"],
        json!(["create", "delete"])
    );
    assert_eq!(rotation["resource_drift"], json!([]));
}

#[test]
fn json_policy_denies_a_rotation_or_a_removal_of_a_secret_and_allows_creates() {
    let desired = with_secret();
    let created = valid_json_plan(&planned(&desired, &tenant(), NOW));
    assert_eq!(
        created["summary"],
        json!({"add": 2, "change": 0, "destroy": 0})
    );
    assert_eq!(denials(&created), Vec::<String>::new());

    let converged = converged(&desired, tenant());
    let rotation = valid_json_plan(&planned(&desired, &converged, NOW + Duration::days(168)));
    assert_eq!(
        denials(&rotation),
        [
            r#"application.api.secret.ci: a plan may not delete a client secret (actions ["create", "delete"])"#
        ]
    );

    let (desired, live) = with_hand_made_secret();
    let removal = valid_json_plan(&planned(&desired, &live, NOW));
    assert_eq!(
        denials(&removal),
        [
            r#"application.api.secret.legacy: a plan may not delete a client secret (actions ["delete"])"#
        ]
    );
}
