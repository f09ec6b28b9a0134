//! Request dispatch: every API request (Graph, ARM, Key Vault) goes the same way, from the raw
//! HTTP request to the service's answer: find the service, count the request, apply the
//! injected latency, check the bearer token (and, for Graph, what its roles allow: `authorize`),
//! charge the client against the service's limits (`throttle`; a 429 when they are on and
//! exceeded), draw the throttling, unavailability and connection
//! faults, run the service's handler under the tenant lock and write the state file if it
//! changed. What differs between the services is in `service`.
//!
//! A dropped connection is a response marked [`DropConnection`]: the HTTPS server (`tls`) closes
//! the connection (HTTP/1.1) or resets the stream (HTTP/2) instead of sending it.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;

use crate::api::{ApiRequest, ApiResponse, Reply, graph_error, method_not_allowed};
use crate::service::{Service, unknown_path};
use crate::state::Tenant;
use crate::throttle::{
    ArmOperation, Charge, GraphCost, Metered, graph_cost, writes_personal_account_application,
};
use crate::util::{lock, now_ms};
use crate::{Emulator, arm, auth, authorize, graph, keyvault};

/// Request bodies larger than this are refused with 413.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Marks a response that is never sent: the server drops the connection instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// Marks the inner requests of a `$batch`, which cannot lose a connection of their own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InnerBatchRequest;

/// A connection fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnectionFault {
    ResetBefore,
    ResetAfter,
    Timeout,
}

/// The response that makes the server drop the connection (a bare 502 where nothing serves it
/// over a connection, as in `oneshot` tests).
fn dropped_connection() -> Response {
    let mut response = StatusCode::BAD_GATEWAY.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

/// Every request that no control or login route took lands here.
pub(crate) async fn api_request(State(emulator): State<Emulator>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let inner_batch_request = parts.extensions.get::<InnerBatchRequest>().is_some();
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
    let mut metered = Metered {
        service: service.name(),
        method: parts.method.to_string(),
        route: template
            .strip_prefix("/v1.0")
            .unwrap_or(&template)
            .to_owned(),
        inner_batch: inner_batch_request,
        resource_units: 0,
        writes: 0,
        arm_operation: None,
        throttled: false,
    };
    let request = Incoming {
        parts,
        body,
        path,
        base,
        inner_batch_request,
    };
    let response = answer(&emulator, &service, &template, request, &mut metered).await;
    metered.throttled = response.status() == StatusCode::TOO_MANY_REQUESTS;
    lock(&emulator.inner.usage).record(&metered);
    response
}

/// An API request, read and classified.
struct Incoming {
    parts: axum::http::request::Parts,
    body: axum::body::Bytes,
    path: String,
    base: String,
    inner_batch_request: bool,
}

/// The answer to one API request; `metered` gets what it was charged.
async fn answer(
    emulator: &Emulator,
    service: &Service,
    template: &str,
    request: Incoming,
    metered: &mut Metered,
) -> Response {
    let Incoming {
        parts,
        body,
        path,
        base,
        inner_batch_request,
    } = request;
    if !inner_batch_request && emulator.holding() {
        return emulator.hold().await;
    }
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
    let cost = match service {
        Service::Graph(route) => emulator.graph_cost(route, &api_request),
        _ => GraphCost::default(),
    };
    let finish = |response: ApiResponse, charge: &Charge| {
        service.finish(response, &parts.headers, &charge.headers)
    };

    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let validated = {
        let tenant = lock(&emulator.inner.tenant);
        auth::validate(&tenant, authorization, service.audience())
            .map_err(|problem| (problem, tenant.tenant_id.clone()))
    };
    let mut charge = match validated {
        Ok(claims) => {
            let charge = emulator.charge(service, &parts.method, &claims, cost, metered);
            api_request.claims = Some(claims);
            charge
        }
        Err((problem, tenant_id)) => {
            // No client to charge: Graph's answer shows what the request would cost.
            let uncharged = match service {
                Service::Graph(_) => Charge::resource_units(cost.resource_units),
                _ => Charge::default(),
            };
            let login_base = emulator.login_base(&base);
            return finish(
                service.unauthorized(&problem, &login_base, &tenant_id),
                &uncharged,
            );
        }
    };
    if let Service::Arm(_) = service
        && let Err(response) = arm::check_api_version(&api_request, template)
    {
        return finish(response, &charge);
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
    let connection_fault = if inner_batch_request {
        None
    } else {
        emulator.draw_connection_fault(&faults)
    };
    if let Some(seconds) = charge.retry_after_seconds {
        return finish(service.throttled(&seconds.to_string()), &charge);
    }
    let retry_after = retry_after_text(faults.retry_after_seconds);
    if throttled {
        emulator.note_injected(|injected| injected.throttled += 1);
        return finish(service.throttled(&retry_after), &charge);
    }
    if unavailable {
        emulator.note_injected(|injected| injected.unavailable += 1);
        return finish(service.unavailable(&retry_after), &charge);
    }
    match connection_fault {
        Some(ConnectionFault::ResetBefore) => {
            emulator.note_injected(|injected| injected.reset_before += 1);
            return dropped_connection();
        }
        Some(ConnectionFault::Timeout) => {
            emulator.note_injected(|injected| injected.timeout += 1);
            tokio::time::sleep(Duration::from_millis(faults.timeout_hold_ms)).await;
            return dropped_connection();
        }
        Some(ConnectionFault::ResetAfter) | None => {}
    }

    let lag_ms = i64::try_from(faults.replication_lag_ms).unwrap_or(i64::MAX);
    let response = match service {
        Service::Graph(graph::Route::Batch) => {
            if parts.method == Method::POST {
                let (response, inner_resource_units) =
                    graph::batch::run(emulator, &api_request).await;
                // The batch itself is not charged; its answer shows what its requests cost.
                charge = Charge::resource_units(inner_resource_units);
                response
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
    // The change that reached the hold point is committed; its answer is held like every other.
    if !inner_batch_request && emulator.holding() {
        return emulator.hold().await;
    }
    if connection_fault == Some(ConnectionFault::ResetAfter) {
        emulator.note_injected(|injected| injected.reset_after += 1);
        return dropped_connection();
    }
    finish(response, &charge)
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
    /// the tenant. Once the hold point ([`crate::Faults::hold_after_mutations`]) is reached no
    /// handler runs any more, so exactly that many changes are committed.
    fn with_tenant(&self, handle: impl FnOnce(&mut Tenant) -> Reply) -> ApiResponse {
        let mut tenant = lock(&self.inner.tenant);
        if self.holding() {
            // Never sent while the hold lasts (the request is held, then dropped).
            return graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The emulator is holding requests.",
            );
        }
        let response = handle(&mut tenant).unwrap_or_else(|error| error);
        if response.mutated {
            self.persist(&tenant);
            self.note_mutation();
        }
        response
    }

    /// Draws whether this request loses its connection, and how (one draw per request).
    fn draw_connection_fault(&self, faults: &crate::Faults) -> Option<ConnectionFault> {
        let draw: f64 = lock(&self.inner.connection_rng).random();
        let mut threshold = 0.0;
        for (rate, fault) in [
            (faults.reset_before_rate, ConnectionFault::ResetBefore),
            (faults.reset_after_rate, ConnectionFault::ResetAfter),
            (faults.timeout_rate, ConnectionFault::Timeout),
        ] {
            threshold += rate.clamp(0.0, 1.0);
            if draw < threshold {
                return Some(fault);
            }
        }
        None
    }

    /// Counts one injected fault.
    fn note_injected(&self, count: impl FnOnce(&mut crate::InjectedFaults)) {
        count(&mut lock(&self.inner.injected));
    }

    /// Counts a committed change and starts holding at the configured one.
    fn note_mutation(&self) {
        let hold_after = lock(&self.inner.faults).hold_after_mutations;
        let mut injected = lock(&self.inner.injected);
        injected.mutations += 1;
        if hold_after.is_some_and(|limit| injected.mutations >= limit) {
            injected.holding = true;
        }
    }

    /// Whether requests are being held.
    fn holding(&self) -> bool {
        lock(&self.inner.injected).holding
    }

    /// Holds a request until the hold is released, then drops its connection.
    async fn hold(&self) -> Response {
        while self.holding() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        dropped_connection()
    }

    /// What a Graph request costs (`throttle`), with whether it writes an application that
    /// allows personal accounts (which may need the stored application's audience).
    fn graph_cost(&self, route: &graph::Route, request: &ApiRequest) -> GraphCost {
        let personal_account_application_write =
            writes_personal_account_application(route, &request.method, &request.body, |key| {
                lock(&self.inner.tenant)
                    .applications
                    .values()
                    .find(|record| key.matches(record))
                    .and_then(|record| record.str_field("signInAudience"))
                    .map(str::to_owned)
            });
        GraphCost {
            personal_account_application_write,
            ..graph_cost(route, &request.method, &request.query)
        }
    }

    /// Charges a request of the client `claims` names against the service's limits (see
    /// `throttle`), and notes the charge in `metered`. A Graph client is its appId in its
    /// tenant; an ARM client its appId in the subscription; Key Vault counts per vault.
    fn charge(
        &self,
        service: &Service,
        method: &Method,
        claims: &auth::Claims,
        cost: GraphCost,
        metered: &mut Metered,
    ) -> Charge {
        let now = now_ms();
        let client = if claims.appid.is_empty() {
            &claims.azp
        } else {
            &claims.appid
        };
        let mut throttle = lock(&self.inner.throttle);
        match service {
            Service::Graph(_) => {
                metered.resource_units = cost.resource_units;
                metered.writes = cost.writes;
                throttle.charge_graph(client, &claims.tid, cost, now)
            }
            Service::Arm(route) => {
                let operation = ArmOperation::of(method, route.subscription());
                metered.arm_operation = Some(operation);
                metered.writes = u32::from(operation != ArmOperation::Read);
                throttle.charge_arm(route.subscription(), client, operation, now)
            }
            Service::Vault { route, vault, .. } => {
                let sets_secret =
                    *method == Method::PUT && matches!(route, keyvault::KvRoute::Secret(_));
                throttle.charge_vault(vault, sets_secret, now)
            }
        }
    }
}
