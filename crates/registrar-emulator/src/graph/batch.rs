//! `POST /v1.0/$batch`: up to 20 requests, each dispatched through the emulator's own router so
//! authentication, faults, request counting and the service limits apply to every inner request.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::join_all;
use http_body_util::BodyExt as _;
use serde_json::{Map, Value, json};
use tower::ServiceExt as _;

use crate::Emulator;
use crate::api::{ApiRequest, ApiResponse, bad_request};

/// At most this many requests in one batch.
const MAX_REQUESTS: usize = 20;

struct Step {
    id: String,
    method: String,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse_steps(request: &ApiRequest) -> Result<Vec<Step>, ApiResponse> {
    let body = request.json_object()?;
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return Err(bad_request(
            "Invalid batch payload format: the body must contain a 'requests' array.",
        ));
    };
    if requests.len() > MAX_REQUESTS {
        return Err(bad_request(&format!(
            "The number of batch requests exceeds the limit of {MAX_REQUESTS}."
        )));
    }
    let mut seen = BTreeSet::new();
    let mut steps = Vec::new();
    for entry in requests {
        let id = entry["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| bad_request("Each batch request must have a string 'id'."))?;
        if !seen.insert(id.to_ascii_lowercase()) {
            return Err(bad_request(&format!(
                "Batch request id '{id}' is used more than once; ids must be unique."
            )));
        }
        let method = entry["method"]
            .as_str()
            .map(str::to_ascii_uppercase)
            .ok_or_else(|| bad_request("Each batch request must have a 'method'."))?;
        let url = entry["url"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| bad_request("Each batch request must have a 'url'."))?;
        if url.starts_with("http://") || url.starts_with("https://") {
            return Err(bad_request("Batch request urls must be relative."));
        }
        let headers = entry["headers"].as_object().cloned().unwrap_or_default();
        let body = entry.get("body").cloned().filter(|body| !body.is_null());
        if body.is_some()
            && !headers
                .keys()
                .any(|name| name.eq_ignore_ascii_case("content-type"))
        {
            return Err(bad_request(&format!(
                "Batch request '{id}' has a body but no Content-Type header."
            )));
        }
        let depends_on = entry["dependsOn"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        steps.push(Step {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    for step in &steps {
        for dependency in &step.depends_on {
            if !steps
                .iter()
                .any(|other| other.id.eq_ignore_ascii_case(dependency))
            {
                return Err(bad_request(&format!(
                    "Batch request '{}' depends on unknown request '{dependency}'.",
                    step.id
                )));
            }
        }
    }
    Ok(steps)
}

/// Runs a batch; inner requests go through `emulator.router()`, so each is charged and
/// throttled on its own (an inner 429 carries its own `Retry-After`; the batch is still 200).
/// Returns the answer and the resource units its inner requests were charged together.
pub(crate) async fn run(emulator: &Emulator, request: &ApiRequest) -> (ApiResponse, u32) {
    let steps = match parse_steps(request) {
        Ok(steps) => steps,
        Err(error) => return (error, 0),
    };
    let mut statuses: BTreeMap<String, u16> = BTreeMap::new();
    let mut responses = Vec::new();
    let mut remaining: Vec<&Step> = steps.iter().collect();
    while !remaining.is_empty() {
        let ready: Vec<usize> = remaining
            .iter()
            .enumerate()
            .filter(|(_, step)| {
                step.depends_on
                    .iter()
                    .all(|dependency| statuses.contains_key(&dependency.to_ascii_lowercase()))
            })
            .map(|(index, _)| index)
            .collect();
        if ready.is_empty() {
            return (bad_request("Batch request dependencies form a cycle."), 0);
        }
        // The requests whose dependencies are settled run side by side, as Graph runs the
        // independent requests of a batch.
        let mut round = Vec::new();
        for index in ready.into_iter().rev() {
            let step = remaining.remove(index);
            let failed_dependency = step.depends_on.iter().any(|dependency| {
                statuses
                    .get(&dependency.to_ascii_lowercase())
                    .is_none_or(|status| *status >= 400)
            });
            round.push((step, failed_dependency));
        }
        let entries = join_all(round.iter().map(|(step, failed_dependency)| async move {
            if *failed_dependency {
                json!({
                    "id": step.id,
                    "status": 424,
                    "headers": {"Content-Type": "application/json", "x-ms-resource-unit": "0"},
                    "body": {"error": {"code": "Request_FailedDependency", "message": "The request was not executed because a request it depends on failed."}},
                })
            } else {
                execute(emulator, request, step).await
            }
        }))
        .await;
        for ((step, _), entry) in round.iter().zip(entries) {
            let status = entry["status"]
                .as_u64()
                .and_then(|status| u16::try_from(status).ok())
                .unwrap_or(500);
            statuses.insert(step.id.to_ascii_lowercase(), status);
            responses.push(entry);
        }
    }
    let resource_units = responses
        .iter()
        .filter_map(|entry| entry["headers"]["x-ms-resource-unit"].as_str())
        .filter_map(|value| value.parse::<u32>().ok())
        .fold(0_u32, u32::saturating_add);
    (
        ApiResponse::ok(json!({ "responses": responses })),
        resource_units,
    )
}

/// Header names as Graph spells them inside batch responses.
fn display_name(name: &str) -> String {
    match name {
        "content-type" => "Content-Type".to_owned(),
        "cache-control" => "Cache-Control".to_owned(),
        "odata-version" => "OData-Version".to_owned(),
        "retry-after" => "Retry-After".to_owned(),
        "location" => "Location".to_owned(),
        other => other.to_owned(),
    }
}

/// Percent-encodes what may not stand in a request target (spaces, quotes, non-ASCII, …):
/// batch urls are JSON strings, and callers write `$filter=clientId eq '…'` in them as Graph's
/// docs do.
fn escape_url(url: &str) -> String {
    percent_encoding::utf8_percent_encode(url, NOT_IN_A_REQUEST_TARGET).to_string()
}

/// Controls, space, non-ASCII (always escaped) and the ASCII that may not stand in a URL.
const NOT_IN_A_REQUEST_TARGET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

async fn execute(emulator: &Emulator, outer: &ApiRequest, step: &Step) -> Value {
    let url = step.url.trim_start_matches('/');
    if url.starts_with("$batch") {
        return json!({"id": step.id, "status": 400, "headers": {}, "body": {"error": {"code": "BadRequest", "message": "Nested batch requests are not supported."}}});
    }
    let mut builder = Request::builder()
        .extension(crate::dispatch::InnerBatchRequest)
        .method(step.method.as_str())
        .uri(format!("/v1.0/{}", escape_url(url)));
    for name in ["authorization", "host", "client-request-id"] {
        if let Some(value) = outer.headers.get(name) {
            builder = builder.header(name, value);
        }
    }
    for (name, value) in &step.headers {
        if let Some(value) = value.as_str() {
            builder = builder.header(name.as_str(), value);
        }
    }
    let body = step
        .body
        .as_ref()
        .map_or_else(Body::empty, |body| Body::from(body.to_string()));
    let Ok(inner) = builder.body(body) else {
        return json!({"id": step.id, "status": 400, "headers": {}, "body": {"error": {"code": "BadRequest", "message": "Invalid batch request."}}});
    };
    let response = match emulator.router().oneshot(inner).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        if name == axum::http::header::CONTENT_LENGTH {
            continue;
        }
        if let Ok(value) = value.to_str() {
            headers.insert(display_name(name.as_str()), Value::from(value));
        }
    }
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let mut entry = json!({ "id": step.id, "status": status.as_u16(), "headers": headers });
    if !bytes.is_empty() && status != StatusCode::NO_CONTENT {
        entry["body"] = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&bytes).into_owned()));
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::escape_url;

    #[test]
    fn batch_urls_are_escaped_where_needed() {
        assert_eq!(
            escape_url("/oauth2PermissionGrants?$filter=clientId eq 'a'"),
            "/oauth2PermissionGrants?$filter=clientId%20eq%20'a'"
        );
        assert_eq!(escape_url("/users?$top=1&x=%20"), "/users?$top=1&x=%20");
        assert_eq!(escape_url("/a\"b{}"), "/a%22b%7B%7D");
    }
}
