//! Whatever a client sends, the emulator answers with a Graph-shaped status, never a panic or a
//! 500: arbitrary `$filter`, `$select`, `$top` and bodies.

use axum::http::{Method, StatusCode};
use proptest::prelude::*;
use serde_json::Value;

use crate::support::*;

#[allow(clippy::unwrap_used)]
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// RFC 3986 unreserved characters stay, everything else is escaped.
const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, ESCAPED).to_string()
}

fn assert_graph_answer(reply: &Reply) {
    assert!(
        reply.status.is_success() || reply.status.is_client_error(),
        "status {} for a client mistake: {}",
        reply.status,
        reply.text
    );
    if reply.status.is_client_error() {
        assert!(
            !reply.error_code().is_empty(),
            "no error code: {}",
            reply.text
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_query_gets_a_graph_answer(
        filter in "(appId|displayName|tags/any\\(t:t|uniqueName|startswith\\(|eq|ne|and|or|not|in|\\(|\\)|'[a-z]{0,3}'|''|[0-9a-f-]{0,36}| |,|:|/){0,12}",
        select in "[a-zA-Z,]{0,20}",
        top in "[-0-9a-z]{0,5}",
    ) {
        runtime().block_on(async {
            let harness = Harness::new().await;
            for path in [
                format!("/applications?$filter={}", encode(&filter)),
                format!("/servicePrincipals?$filter={}&$select={}", encode(&filter), encode(&select)),
                format!("/applications?$top={}&$select={}", encode(&top), encode(&select)),
            ] {
                let reply = harness.graph(Method::GET, &path, None).await;
                assert_graph_answer(&reply);
            }
        });
    }

    #[test]
    fn any_json_body_gets_a_graph_answer(body in json_value(3)) {
        runtime().block_on(async {
            let harness = Harness::new().await;
            let created = harness.graph(Method::POST, "/applications", Some(body.clone())).await;
            assert_graph_answer(&created);
            let reply = harness.graph(Method::POST, "/servicePrincipals", Some(body.clone())).await;
            assert_graph_answer(&reply);
            let reply = harness.graph(Method::POST, "/$batch", Some(body)).await;
            assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", reply.text);
        });
    }
}

fn json_value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-zA-Z:/.{}-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 24, 4, |inner| {
        let keys = prop_oneof![
            Just("displayName".to_owned()),
            Just("appId".to_owned()),
            Just("web".to_owned()),
            Just("redirectUris".to_owned()),
            Just("api".to_owned()),
            Just("oauth2PermissionScopes".to_owned()),
            Just("appRoles".to_owned()),
            Just("requiredResourceAccess".to_owned()),
            Just("keyCredentials".to_owned()),
            Just("tags".to_owned()),
            Just("requests".to_owned()),
            Just("id".to_owned()),
            Just("method".to_owned()),
            Just("url".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys, inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}
