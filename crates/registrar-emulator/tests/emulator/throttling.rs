//! The service limits over HTTP: Graph's resource units and write quota (headers, 429s,
//! `Retry-After`, inner `$batch` requests charged one by one), ARM's and Key Vault's buckets,
//! the run-time switch and the usage counters. Buckets are made small through
//! `ThrottleConfig`'s fields, so no test waits for more than a second.

use axum::http::{Method, StatusCode};
use registrar_emulator::{EmulatorConfig, Limit, TenantClass, ThrottleConfig};
use serde_json::{Value, json};

use crate::support::{Harness, app_body, assert_arm_error, assert_shape, fixture};

const ARM_API: &str = "api-version=2022-04-01";
const SUBSCRIPTION: &str = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

async fn throttled_harness(change: impl FnOnce(&mut ThrottleConfig)) -> Harness {
    let mut config = ThrottleConfig::graph_class(TenantClass::S);
    change(&mut config);
    Harness::with_config(EmulatorConfig {
        throttle: Some(config),
        ..EmulatorConfig::default()
    })
    .await
}

async fn usage(harness: &Harness) -> Value {
    let reply = harness
        .call(Method::GET, "/_emulator/usage", None, &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

/// Graph's 429, shaped as the documented example.
fn assert_graph_throttled(reply: &crate::support::Reply) {
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert_shape(&reply.body, &fixture("error-throttled.json"));
    assert_eq!(reply.body["error"]["code"], "TooManyRequests");
}

fn route<'a>(usage: &'a Value, method: &str, path: &str) -> &'a Value {
    usage["routes"]
        .as_array()
        .and_then(|routes| {
            routes
                .iter()
                .find(|entry| entry["method"] == method && entry["route"] == path)
        })
        .unwrap_or_else(|| panic!("no usage of {method} {path} in {usage}"))
}

#[tokio::test]
async fn graph_answers_show_their_cost_and_usage_is_counted_with_throttling_off() {
    let harness = Harness::new().await;
    assert_eq!(harness.emulator.throttle(), None);
    let list = harness.graph(Method::GET, "/applications", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.header("x-ms-resource-unit"), Some("2"));
    assert_eq!(list.header("x-ms-throttle-limit-percentage"), None);
    let cheap = harness
        .graph(Method::GET, "/applications?$select=id&$top=5", None)
        .await;
    assert_eq!(cheap.header("x-ms-resource-unit"), Some("1"));
    let expanded = harness
        .graph(Method::GET, "/applications?$expand=owners", None)
        .await;
    assert_eq!(expanded.header("x-ms-resource-unit"), Some("3"));
    let sps = harness.graph(Method::GET, "/servicePrincipals", None).await;
    assert_eq!(sps.header("x-ms-resource-unit"), Some("1"));
    let created = harness
        .graph(Method::POST, "/applications", Some(app_body("costed")))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.header("x-ms-resource-unit"), Some("1"));
    let id = created.body["id"].as_str().unwrap();
    harness
        .graph(Method::GET, &format!("/applications/{id}"), None)
        .await;

    let usage = usage(&harness).await;
    assert_eq!(
        usage["graph"],
        json!({"requests": 6, "ru": 10, "writes": 1, "throttled": 0})
    );
    assert_eq!(route(&usage, "GET", "/applications")["requests"], 3);
    assert_eq!(route(&usage, "GET", "/applications")["ru"], 6);
    assert_eq!(route(&usage, "GET", "/applications/{id}")["ru"], 2);
    assert_eq!(route(&usage, "POST", "/applications")["writes"], 1);
    assert_eq!(
        route(&usage, "GET", "/servicePrincipals")["service"],
        "graph"
    );

    let reset = harness
        .call(Method::POST, "/_emulator/usage/reset", None, &[], None)
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    let usage = self::usage(&harness).await;
    assert_eq!(usage["graph"]["requests"], 0);
    assert_eq!(usage["routes"], json!([]));
}

#[tokio::test]
async fn a_client_past_its_resource_units_gets_graphs_429_and_the_throttle_headers() {
    // 6 RU per 60 s: three lists of applications (2 RU each), then nothing for a while.
    let harness = throttled_harness(|config| {
        config.graph_resource_units = Limit::per_seconds(6, 60);
    })
    .await;
    let tenant = harness.emulator.tenant();
    let mut percentages = Vec::new();
    for _ in 0..3 {
        let reply = harness.graph(Method::GET, "/applications", None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        percentages.push(
            reply
                .header("x-ms-throttle-limit-percentage")
                .map(str::to_owned),
        );
    }
    assert_eq!(percentages, [None, None, Some("1.00".to_owned())]);

    let refused = harness.graph(Method::GET, "/applications", None).await;
    assert_graph_throttled(&refused);
    assert_eq!(
        refused.body["error"]["message"],
        "Please retry again later."
    );
    // Charged though refused: from -2 RU back to 2 RU at 0.1 RU/s.
    assert_eq!(refused.header("retry-after"), Some("40"));
    assert_eq!(refused.header("x-ms-resource-unit"), Some("2"));
    assert_eq!(
        refused.header("x-ms-throttle-information"),
        Some("ResourceUnitLimitExceeded")
    );
    assert_eq!(
        refused.header("x-ms-throttle-scope"),
        Some(
            format!(
                "Tenant_Application/ReadWrite/{}/{}",
                tenant.client_id, tenant.tenant_id
            )
            .as_str()
        )
    );
    assert_eq!(
        refused.header("x-ms-throttle-limit-percentage"),
        Some("1.33")
    );
    // Retrying at once only waits longer.
    let again = harness.graph(Method::GET, "/applications", None).await;
    assert_eq!(again.header("retry-after"), Some("60"));

    let usage = usage(&harness).await;
    assert_eq!(
        usage["graph"],
        json!({"requests": 5, "ru": 10, "writes": 0, "throttled": 2})
    );
    assert_eq!(route(&usage, "GET", "/applications")["throttled"], 2);
}

#[tokio::test]
async fn writes_past_the_write_quota_are_refused_and_not_carried_out() {
    let harness = throttled_harness(|config| {
        config.graph_writes = Limit::per_seconds(2, 60);
    })
    .await;
    for name in ["first", "second"] {
        let reply = harness
            .graph(Method::POST, "/applications", Some(app_body(name)))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let refused = harness
        .graph(Method::POST, "/applications", Some(app_body("third")))
        .await;
    assert_graph_throttled(&refused);
    assert_eq!(
        refused.header("x-ms-throttle-information"),
        Some("WriteLimitExceeded")
    );
    assert!(
        refused
            .header("x-ms-throttle-scope")
            .is_some_and(|scope| scope.starts_with("Tenant_Application/Write/"))
    );
    // From -1 write back to 1 at 2 writes per minute.
    assert_eq!(refused.header("retry-after"), Some("60"));
    let found = harness
        .graph(
            Method::GET,
            "/applications?$filter=displayName%20eq%20'third'",
            None,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(
        found.body["value"],
        json!([]),
        "the refused write did nothing"
    );
}

#[tokio::test]
async fn inner_batch_requests_are_charged_and_refused_one_by_one() {
    // 5 RU: two of four lists of applications fit.
    let harness = throttled_harness(|config| {
        config.graph_resource_units = Limit::per_seconds(5, 60);
    })
    .await;
    let requests: Vec<Value> = (1..=4)
        .map(|id| json!({"id": id.to_string(), "method": "GET", "url": "/applications"}))
        .collect();
    let reply = harness
        .graph(
            Method::POST,
            "/$batch",
            Some(json!({ "requests": requests })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("x-ms-resource-unit"), Some("8"));
    let responses = reply.body["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 4);
    let mut statuses: Vec<u64> = responses
        .iter()
        .map(|entry| entry["status"].as_u64().unwrap())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429, 429]);
    for entry in responses {
        assert_eq!(entry["headers"]["x-ms-resource-unit"], "2", "{entry}");
        if entry["status"] == 429 {
            assert!(entry["headers"]["Retry-After"].is_string(), "{entry}");
            assert_eq!(
                entry["headers"]["x-ms-throttle-information"],
                "ResourceUnitLimitExceeded"
            );
            assert_eq!(entry["body"]["error"]["code"], "TooManyRequests");
        }
    }

    let usage = usage(&harness).await;
    assert_eq!(
        usage["graph"],
        json!({"requests": 1, "ru": 8, "writes": 0, "throttled": 2})
    );
    let lists = route(&usage, "GET", "/applications");
    assert_eq!(
        (&lists["requests"], &lists["batched"], &lists["ru"]),
        (&json!(4), &json!(4), &json!(8))
    );
    let batch = route(&usage, "POST", "/$batch");
    assert_eq!((&batch["requests"], &batch["ru"]), (&json!(1), &json!(0)));
}

#[tokio::test]
async fn a_client_that_waits_as_told_gets_through() {
    // 4 RU per second: two lists, a refusal, then one second later the next list passes.
    let harness = throttled_harness(|config| {
        config.graph_resource_units = Limit::per_seconds(4, 1);
    })
    .await;
    for _ in 0..2 {
        let reply = harness.graph(Method::GET, "/applications", None).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let refused = harness.graph(Method::GET, "/applications", None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(wait, 1);
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let later = harness.graph(Method::GET, "/applications", None).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.body);
}

#[tokio::test]
async fn throttling_is_switched_at_run_time() {
    let harness = Harness::new().await;
    let control = |body: Value| {
        let harness = &harness;
        async move {
            harness
                .call(Method::POST, "/_emulator/throttle", None, &[], Some(body))
                .await
        }
    };
    let on = control(json!({"class": "M"})).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert_eq!(on.body["class"], "M");
    assert_eq!(
        on.body["graph_resource_units"],
        json!({"capacity": 5000, "window_ms": 10000})
    );
    assert_eq!(
        harness.emulator.throttle(),
        Some(ThrottleConfig::graph_class(TenantClass::M))
    );
    let shown = harness
        .call(Method::GET, "/_emulator/throttle", None, &[], None)
        .await;
    assert_eq!(shown.body, on.body);

    let bad = control(json!({"class": "XL"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        harness.emulator.throttle().map(|config| config.class),
        Some(TenantClass::M)
    );

    let off = control(json!({"class": null})).await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(off.body, json!({"class": null}));
    assert_eq!(harness.emulator.throttle(), None);
}

#[tokio::test]
async fn arm_reads_past_their_bucket_get_arms_429() {
    let harness = throttled_harness(|config| {
        config.arm_reads = Limit::per_seconds(2, 60);
    })
    .await;
    let url = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}?{ARM_API}"
    );
    for remaining in ["1", "0"] {
        let reply = harness.arm(Method::GET, &url, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(
            reply.header("x-ms-ratelimit-remaining-subscription-reads"),
            Some(remaining)
        );
    }
    let refused = harness.arm(Method::GET, &url, None).await;
    assert_arm_error(&refused, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    // One read back at 2 per minute.
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        refused.header("x-ms-ratelimit-remaining-subscription-reads"),
        Some("0")
    );
    // Writes have a bucket of their own.
    let assignments = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/{}?{ARM_API}",
        "9b1c1c43-2a4b-4b8e-a7a0-7b9e8a0f5a01"
    );
    let write = harness.arm(Method::DELETE, &assignments, None).await;
    assert_ne!(
        write.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        write.body
    );
    assert_eq!(
        write.header("x-ms-ratelimit-remaining-subscription-deletes"),
        Some("199")
    );

    let usage = usage(&harness).await;
    assert_eq!(
        usage["arm"],
        json!({"requests": 4, "reads": 3, "writes": 0, "deletes": 1, "throttled": 1})
    );
}

#[tokio::test]
async fn key_vault_limits_secret_sets_per_vault() {
    let harness = throttled_harness(|config| {
        config.vault_secret_sets = Limit::per_seconds(1, 60);
    })
    .await;
    let secret = "/vaults/kv1/secrets/limited?api-version=7.4";
    let set = harness
        .vault(Method::PUT, secret, Some(json!({"value": "one"})))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let refused = harness
        .vault(Method::PUT, secret, Some(json!({"value": "two"})))
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.body["error"]["code"], "Throttled");
    assert_eq!(refused.header("retry-after"), Some("60"));
    // Reads and other vaults are not held back.
    let read = harness.vault(Method::GET, secret, None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["value"], "one");
    let other = harness
        .vault(
            Method::PUT,
            "/vaults/kv2/secrets/limited?api-version=7.4",
            Some(json!({"value": "one"})),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);

    let usage = usage(&harness).await;
    assert_eq!(usage["keyvault"], json!({"requests": 4, "throttled": 1}));
    assert_eq!(
        route(&usage, "PUT", "/vaults/{vault}/secrets/{name}")["throttled"],
        1
    );
}

#[tokio::test]
async fn over_https_the_switch_the_headers_and_the_usage_agree() {
    let emulator = registrar_emulator::Emulator::new(EmulatorConfig::default()).unwrap();
    let running = emulator
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(running.ca_certificate_pem.as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let tenant = emulator.tenant();
    let base = running.base_url.as_str().trim_end_matches('/').to_owned();
    let token: Value = client
        .post(format!("{base}/{}/oauth2/v2.0/token", tenant.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("client_id", &tenant.client_id)
                .append_pair("client_secret", &tenant.client_secret)
                .append_pair("scope", crate::support::GRAPH_SCOPE)
                .finish(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap();
    let switched = client
        .post(format!("{base}/_emulator/throttle"))
        .json(&json!({"class": "S"}))
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 200);
    assert_eq!(
        emulator
            .throttle()
            .map(|config| config.graph_resource_units.capacity),
        Some(3_500)
    );

    let users = client
        .get(format!("{base}/v1.0/users?$top=2&$select=id"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 200);
    // users: 2, $select -1, $top below 20 -1, at least 1.
    assert_eq!(
        users
            .headers()
            .get("x-ms-resource-unit")
            .and_then(|value| value.to_str().ok()),
        Some("1")
    );
    let usage: Value = client
        .get(format!("{base}/_emulator/usage"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        usage["graph"],
        json!({"requests": 1, "ru": 1, "writes": 0, "throttled": 0})
    );
    assert_eq!(
        usage["routes"],
        json!([{"service": "graph", "method": "GET", "route": "/users", "requests": 1,
                "batched": 0, "ru": 1, "writes": 0, "throttled": 0}])
    );
    assert_eq!(emulator.usage().graph.ru, 1);
    running.shutdown().await;
}
