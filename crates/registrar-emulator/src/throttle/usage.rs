//! The usage counters (`GET /_emulator/usage`): HTTP requests, Graph resource units and writes,
//! ARM reads, writes and deletes, and 429s, per service and per route. Kept whether throttling
//! is on or off, so a benchmark can read what a run would cost on a real tenant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ArmOperation;

/// Everything counted since the start or the last `POST /_emulator/usage/reset`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UsageReport {
    /// Microsoft Graph.
    pub graph: GraphUsage,
    /// Azure Resource Manager.
    pub arm: ArmUsage,
    /// Key Vault.
    pub keyvault: VaultUsage,
    /// Per service, method and route template, sorted.
    pub routes: Vec<RouteUsage>,
}

/// Graph's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GraphUsage {
    /// HTTP requests (a `$batch` is one).
    pub requests: u64,
    /// Resource units charged (each inner request of a `$batch` on its own; refused requests
    /// too, as Graph keeps counting while a client is throttled).
    pub ru: u64,
    /// Writes charged (POST, PATCH, PUT, DELETE; inner requests one by one).
    pub writes: u64,
    /// 429 answers (inner requests one by one).
    pub throttled: u64,
}

/// ARM's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ArmUsage {
    /// HTTP requests.
    pub requests: u64,
    /// GET and HEAD requests.
    pub reads: u64,
    /// PUT, PATCH and POST requests (and DELETE outside a subscription).
    pub writes: u64,
    /// DELETE requests inside a subscription.
    pub deletes: u64,
    /// 429 answers.
    pub throttled: u64,
}

/// Key Vault's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VaultUsage {
    /// HTTP requests.
    pub requests: u64,
    /// 429 answers.
    pub throttled: u64,
}

/// One route's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RouteUsage {
    /// `graph`, `arm` or `keyvault`.
    pub service: String,
    /// The HTTP method.
    pub method: String,
    /// The path with its ids replaced (`/applications/{id}`,
    /// `/{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`,
    /// `/vaults/{vault}/secrets/{name}`).
    pub route: String,
    /// Requests to this route, the inner requests of `$batch` included.
    pub requests: u64,
    /// Of those, how many were inner requests of a `$batch` (not HTTP requests of their own).
    pub batched: u64,
    /// Graph resource units charged.
    pub ru: u64,
    /// Writes charged (Graph writes; ARM writes and deletes).
    pub writes: u64,
    /// 429 answers.
    pub throttled: u64,
}

/// Which service a request was for, as the usage report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ServiceName {
    Graph,
    Arm,
    KeyVault,
}

impl ServiceName {
    fn as_str(self) -> &'static str {
        match self {
            Self::Graph => "graph",
            Self::Arm => "arm",
            Self::KeyVault => "keyvault",
        }
    }
}

/// What one request was charged, recorded once it is answered.
#[derive(Debug, Clone)]
pub(crate) struct Metered {
    pub(crate) service: ServiceName,
    pub(crate) method: String,
    pub(crate) route: String,
    /// An inner request of a `$batch`: counted on its route, not as an HTTP request.
    pub(crate) inner_batch: bool,
    pub(crate) resource_units: u32,
    pub(crate) writes: u32,
    /// ARM's operation kind (ARM only).
    pub(crate) arm_operation: Option<ArmOperation>,
    /// Answered 429.
    pub(crate) throttled: bool,
}

/// The counters.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    totals: UsageReport,
    routes: BTreeMap<(ServiceName, String, String), RouteUsage>,
}

impl Usage {
    /// Counts one answered request.
    pub(crate) fn record(&mut self, metered: &Metered) {
        let http_request = u64::from(!metered.inner_batch);
        let throttled = u64::from(metered.throttled);
        let ru = u64::from(metered.resource_units);
        let writes = u64::from(metered.writes);
        match metered.service {
            ServiceName::Graph => {
                let graph = &mut self.totals.graph;
                graph.requests += http_request;
                graph.ru += ru;
                graph.writes += writes;
                graph.throttled += throttled;
            }
            ServiceName::Arm => {
                let arm = &mut self.totals.arm;
                arm.requests += http_request;
                arm.throttled += throttled;
                match metered.arm_operation {
                    Some(ArmOperation::Read) => arm.reads += 1,
                    Some(ArmOperation::Write) => arm.writes += 1,
                    Some(ArmOperation::Delete) => arm.deletes += 1,
                    None => {}
                }
            }
            ServiceName::KeyVault => {
                let vault = &mut self.totals.keyvault;
                vault.requests += http_request;
                vault.throttled += throttled;
            }
        }
        let route = self
            .routes
            .entry((
                metered.service,
                metered.method.clone(),
                metered.route.clone(),
            ))
            .or_insert_with(|| RouteUsage {
                service: metered.service.as_str().to_owned(),
                method: metered.method.clone(),
                route: metered.route.clone(),
                ..RouteUsage::default()
            });
        route.requests += 1;
        route.batched += u64::from(metered.inner_batch);
        route.ru += ru;
        route.writes += writes;
        route.throttled += throttled;
    }

    /// The report.
    pub(crate) fn report(&self) -> UsageReport {
        UsageReport {
            routes: self.routes.values().cloned().collect(),
            ..self.totals.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ArmOperation, Metered, ServiceName, Usage};

    fn graph(route: &str, inner_batch: bool, resource_units: u32, writes: u32) -> Metered {
        Metered {
            service: ServiceName::Graph,
            method: if writes > 0 { "PATCH" } else { "GET" }.to_owned(),
            route: route.to_owned(),
            inner_batch,
            resource_units,
            writes,
            arm_operation: None,
            throttled: false,
        }
    }

    #[test]
    fn a_batch_is_one_request_and_its_inner_requests_are_charged_on_their_routes() {
        let mut usage = Usage::default();
        usage.record(&Metered {
            method: "POST".to_owned(),
            ..graph("/$batch", false, 0, 0)
        });
        usage.record(&graph("/applications/{id}", true, 1, 1));
        usage.record(&Metered {
            throttled: true,
            ..graph("/applications/{id}", true, 1, 1)
        });
        usage.record(&graph("/applications", false, 2, 0));
        let report = usage.report();
        assert_eq!(report.graph.requests, 2);
        assert_eq!(report.graph.ru, 4);
        assert_eq!(report.graph.writes, 2);
        assert_eq!(report.graph.throttled, 1);
        let patch = report
            .routes
            .iter()
            .find(|route| route.route == "/applications/{id}")
            .unwrap();
        assert_eq!(
            (patch.requests, patch.batched, patch.ru, patch.throttled),
            (2, 2, 2, 1)
        );
        assert_eq!(report.routes.len(), 3);
    }

    #[test]
    fn arm_requests_are_counted_by_operation_kind() {
        let mut usage = Usage::default();
        for operation in [ArmOperation::Read, ArmOperation::Read, ArmOperation::Delete] {
            usage.record(&Metered {
                service: ServiceName::Arm,
                arm_operation: Some(operation),
                ..graph("/{arm}", false, 0, 0)
            });
        }
        let report = usage.report();
        assert_eq!(
            (report.arm.requests, report.arm.reads, report.arm.deletes),
            (3, 2, 1)
        );
        assert_eq!(report.graph.requests, 0);
    }
}
