//! Request dispatch: every API request (Graph, ARM, Key Vault) goes the same way, from the raw
//! HTTP request to the service's answer: find the service, count the request, apply the
//! injected latency, check the bearer token (and, for Graph, what its roles allow: `authorize`), draw the throttling and unavailability faults, run
//! the service's handler under the tenant lock and write the state file if it changed. What
//! differs between the services is in `service`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;

use crate::api::{ApiRequest, ApiResponse, Reply, method_not_allowed};
use crate::service::{ArmRateLimit, Service, unknown_path};
use crate::state::Tenant;
use crate::util::{lock, now_ms};
use crate::{Emulator, arm, auth, authorize, graph, keyvault};

/// Request bodies larger than this are refused with 413.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Every request that no control or login route took lands here.
pub(crate) async fn api_request(State(emulator): State<Emulator>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // HTTP/1.1 clients name the host in `Host`; HTTP/2 clients in `:authority`, which hyper
    // keeps in the URI. Vault requests are routed by it, so both must be read.
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            parts
                .uri
                .authority()
                .map(|authority| authority.as_str().to_owned())
        });
    let base = match &host {
        Some(host) => format!("https://{host}"),
        None => emulator.base_for(&parts.headers),
    };
    let path = parts.uri.path().to_owned();
    let Some((service, template)) = Service::classify(&path, host.as_deref(), &base) else {
        return unknown_path(&path, &parts.headers);
    };
    emulator.count(format!("{} {template}", parts.method));
    let query = parts
        .uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut api_request = ApiRequest {
        method: parts.method.clone(),
        path,
        query,
        headers: parts.headers.clone(),
        body,
        base: base.clone(),
        claims: None,
    };
    let faults = emulator.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let arm_rate_limit = match &service {
        Service::Arm(route) => Some(emulator.arm_rate_limit(route.subscription(), &parts.method)),
        _ => None,
    };
    let reply =
        |response: ApiResponse| service.finish(response, &parts.headers, arm_rate_limit.as_ref());

    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let validated = {
        let tenant = lock(&emulator.inner.tenant);
        auth::validate(&tenant, authorization, service.audience())
            .map_err(|problem| (problem, tenant.tenant_id.clone()))
    };
    match validated {
        Ok(claims) => api_request.claims = Some(claims),
        Err((problem, tenant_id)) => {
            let login_base = emulator.login_base(&base);
            return reply(service.unauthorized(&problem, &login_base, &tenant_id));
        }
    }
    if let Service::Arm(_) = &service
        && let Err(response) = arm::check_api_version(&api_request, &template)
    {
        return reply(response);
    }

    // Both draws are made for every request, so a seed gives the same pattern whatever the rates.
    let (throttled, unavailable) = {
        let mut rng = lock(&emulator.inner.rng);
        let throttle_draw: f64 = rng.random();
        let unavailable_draw: f64 = rng.random();
        (
            throttle_draw < faults.throttle_rate,
            unavailable_draw < faults.unavailable_rate,
        )
    };
    let retry_after = retry_after_text(faults.retry_after_seconds);
    if throttled {
        return reply(service.throttled(&retry_after));
    }
    if unavailable {
        return reply(service.unavailable(&retry_after));
    }

    let lag_ms = i64::try_from(faults.replication_lag_ms).unwrap_or(i64::MAX);
    let response = match &service {
        Service::Graph(graph::Route::Batch) => {
            if parts.method == Method::POST {
                graph::batch::run(&emulator, &api_request).await
            } else {
                method_not_allowed()
            }
        }
        Service::Graph(route) => {
            let ctx = graph::Ctx {
                request: &api_request,
                now_ms: now_ms(),
                lag_ms,
            };
            emulator.with_tenant(|tenant| {
                if let Some(claims) = &api_request.claims {
                    authorize::graph(tenant, route, &parts.method, &api_request.body, claims)?;
                }
                let response = graph::handle(tenant, route, &ctx)?;
                if let Some(claims) = &api_request.claims {
                    authorize::after_graph_create(tenant, route, claims, &response);
                }
                Ok(response)
            })
        }
        Service::Arm(route) => {
            let ctx = arm::Ctx {
                request: &api_request,
                now_ms: now_ms(),
                lag_ms,
                options: &emulator.inner.arm,
            };
            emulator.with_tenant(|tenant| arm::handle(tenant, route, &ctx))
        }
        Service::Vault {
            route,
            vault,
            vault_url,
        } => {
            let denied = faults
                .deny_vaults
                .iter()
                .any(|denied| denied.eq_ignore_ascii_case(vault));
            let ctx = keyvault::KvCtx {
                request: &api_request,
                vault_url: vault_url.clone(),
                vault: vault.clone(),
                strict: emulator.inner.strict_vaults,
                denied,
            };
            emulator.with_tenant(|tenant| keyvault::handle(tenant, route, &ctx))
        }
    };
    reply(response)
}

/// `Retry-After` in seconds as configured, `1` for a value that is not a duration.
fn retry_after_text(seconds: f64) -> String {
    if seconds.is_finite() && seconds >= 0.0 {
        format!("{seconds}")
    } else {
        "1".to_owned()
    }
}

impl Emulator {
    /// Runs a handler under the tenant lock and writes the state file if the request changed
    /// the tenant.
    fn with_tenant(&self, handle: impl FnOnce(&mut Tenant) -> Reply) -> ApiResponse {
        let mut tenant = lock(&self.inner.tenant);
        let response = handle(&mut tenant).unwrap_or_else(|error| error);
        if response.mutated {
            self.persist(&tenant);
        }
        response
    }

    /// Takes one token from ARM's bucket for this subscription (or the tenant) and operation
    /// kind, and returns the `x-ms-ratelimit-remaining-…` header to send. The 2024+ public-cloud
    /// buckets: reads 250 (25/s), writes and deletes 200 (10/s). Only the header is computed:
    /// throttling itself is injected by [`crate::Faults::throttle_rate`].
    fn arm_rate_limit(&self, subscription: Option<&str>, method: &Method) -> ArmRateLimit {
        let (kind, capacity, refill_per_sec) = match *method {
            Method::GET | Method::HEAD => ("reads", 250.0, 25.0),
            Method::DELETE if subscription.is_some() => ("deletes", 200.0, 10.0),
            _ => ("writes", 200.0, 10.0),
        };
        let (owner, key) = match subscription {
            Some(subscription) => ("subscription", subscription.to_ascii_lowercase()),
            None => ("tenant", "tenant".to_owned()),
        };
        let now = now_ms();
        let mut buckets = lock(&self.inner.arm_buckets);
        let (tokens, refilled_at) = buckets.entry((key, kind)).or_insert((capacity, now));
        #[allow(clippy::cast_precision_loss)]
        let elapsed_secs = (now - *refilled_at).max(0) as f64 / 1000.0;
        *tokens = (*tokens + elapsed_secs * refill_per_sec).min(capacity);
        *refilled_at = now;
        *tokens = (*tokens - 1.0).max(0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let remaining = tokens.floor() as u64;
        (
            format!("x-ms-ratelimit-remaining-{owner}-{kind}"),
            remaining.to_string(),
        )
    }
}
