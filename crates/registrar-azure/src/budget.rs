//! The client-side budget: every Graph and ARM request waits until the service's limits allow
//! it, so a large apply or snapshot runs at the speed the services allow and never faster
//! (docs/performance.md, "Writes").
//!
//! # Graph
//! Graph limits identity requests per (client application, tenant) with two token buckets
//! (docs/azure-behaviour.md and Graph's "identity and access service limits"): resource units
//! (RU: 3,500 / 5,000 / 8,000 per 10 s for tenant classes S / M / L) and writes (3,000 per
//! 150 s). One [`Pacer`] lives in the shared HTTP core, so every task of one [`crate::Clients`]
//! (reads and writes, the snapshot's batches and apply's concurrent changes) draws from the
//! same buckets. Before each request (each attempt, and each inner request of a `$batch`) the
//! estimated [`Cost`] ([`graph_cost`], Graph's documented rule) is reserved; when a bucket runs
//! dry the request waits until it refills. Both buckets start full, so a short run never waits.
//!
//! The answers correct the estimate: `x-ms-resource-unit` (the RU actually charged) settles the
//! difference, `x-ms-throttle-limit-percentage` (sent above 80 % of a limit) lowers the bucket to
//! what the service says is left, and a 429 empties both buckets and holds every request until
//! its `Retry-After` has passed (the retry loop still waits for it as before, see
//! [`crate::retry`]).
//!
//! # ARM
//! ARM keeps regional token buckets per principal and subscription for reads (250, refilled 25/s),
//! writes (200, 10/s) and deletes (200, 10/s), and reports what is left in
//! `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`. The pacer keeps the same
//! buckets, lowered to the reported remainder after each answer.
//!
//! Key Vault is not paced: one secret write per delivered secret stays far below its limits.
//!
//! The pacer never sleeps itself: [`Pacer::reserve`] returns how long to wait, which the HTTP
//! core scales like every other delay ([`crate::RetryConfig::delay_scale`]). Time comes from a
//! [`Clock`], so the unit tests drive it by hand.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::endpoints::Service;

/// Graph's tenant size classes, which set the RU bucket (S: fewer than 50 users, M: 50–500,
/// L: more than 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TenantClass {
    /// 3,500 RU per 10 s.
    #[default]
    S,
    /// 5,000 RU per 10 s.
    M,
    /// 8,000 RU per 10 s.
    L,
}

impl TenantClass {
    /// The RU Graph allows per 10 s for this class.
    pub fn resource_units_per_10s(self) -> u32 {
        match self {
            Self::S => 3_500,
            Self::M => 5_000,
            Self::L => 8_000,
        }
    }
}

impl std::str::FromStr for TenantClass {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "S" | "s" => Ok(Self::S),
            "M" | "m" => Ok(Self::M),
            "L" | "l" => Ok(Self::L),
            _ => Err(format!("`{text}` is not a tenant class (S, M or L)")),
        }
    }
}

/// Graph's budget per (client, tenant).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphBudget {
    /// RU per [`GraphBudget::resource_unit_window`].
    pub resource_units: u32,
    /// The RU bucket's window (10 s).
    pub resource_unit_window: Duration,
    /// Writes per [`GraphBudget::write_window`].
    pub writes: u32,
    /// The write bucket's window (150 s).
    pub write_window: Duration,
}

impl GraphBudget {
    /// The documented budget of a tenant class.
    pub fn for_class(class: TenantClass) -> Self {
        Self {
            resource_units: class.resource_units_per_10s(),
            resource_unit_window: Duration::from_secs(10),
            writes: 3_000,
            write_window: Duration::from_secs(150),
        }
    }
}

/// What the clients pace ([`PacingConfig::default`]: Graph as a class S tenant, and ARM).
#[derive(Debug, Clone, PartialEq)]
pub struct PacingConfig {
    /// Graph's budget; `None`: Graph requests are not paced.
    pub graph: Option<GraphBudget>,
    /// Whether ARM requests are paced by ARM's buckets and remaining-requests headers.
    pub arm: bool,
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self::for_class(TenantClass::S)
    }
}

impl PacingConfig {
    /// Graph paced for `class`, ARM paced.
    pub fn for_class(class: TenantClass) -> Self {
        Self {
            graph: Some(GraphBudget::for_class(class)),
            arm: true,
        }
    }

    /// No pacing at all (429s are still retried).
    pub fn off() -> Self {
        Self {
            graph: None,
            arm: false,
        }
    }
}

/// What one request costs: Graph RU and writes, or ARM reads, writes and deletes (one of the
/// three per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Cost {
    /// Graph RU, or ARM reads.
    pub(crate) units: u32,
    /// Graph writes, or ARM writes.
    pub(crate) writes: u32,
    /// ARM deletes.
    pub(crate) deletes: u32,
}

impl std::ops::Add for Cost {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            units: self.units + other.units,
            writes: self.writes + other.writes,
            deletes: self.deletes + other.deletes,
        }
    }
}

impl std::iter::Sum for Cost {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |sum, cost| sum + cost)
    }
}

/// Graph's documented cost of a request: 1 RU + 1 write for any POST, PATCH, PUT or DELETE; for
/// a GET 2 RU on applications (the collection or one application), oauth2PermissionGrants,
/// a service principal's appRoleAssignments and users, 3 RU on a group's members, 1 RU
/// otherwise; then `$select` −1, `$expand` +1, `$top` below 20 −1, at least 1. `target` is a URL
/// or a path relative to the version root (`/applications/x?$select=id`, as in a `$batch`).
/// The outer `POST /$batch` costs nothing of its own: its inner requests are charged.
pub(crate) fn graph_cost(method: &Method, target: &str) -> Cost {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // A URL: keep the path after the host and the version segment.
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => path,
    };
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .skip_while(|segment| matches!(*segment, "v1.0" | "beta"))
        .collect();
    if segments.first() == Some(&"$batch") {
        return Cost::default();
    }
    if method != Method::GET {
        return Cost {
            units: 1,
            writes: 1,
            deletes: 0,
        };
    }
    let first = segments.first().copied().unwrap_or_default();
    let base: i64 = match segments.as_slice() {
        [_] | [_, _] if first.starts_with("applications") => 2,
        [first, ..] if first.starts_with("oauth2PermissionGrants") => 2,
        [first, ..] if first.starts_with("users") => 2,
        [first, _, "appRoleAssignments"] if first.starts_with("servicePrincipals") => 2,
        [first, _, "members"] if first.starts_with("groups") => 3,
        _ => 1,
    };
    let mut cost = base;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "$select" | "%24select" => cost -= 1,
            "$expand" | "%24expand" => cost += 1,
            "$top" | "%24top" if value.parse::<u32>().is_ok_and(|top| top < 20) => cost -= 1,
            _ => {}
        }
    }
    Cost {
        units: u32::try_from(cost.max(1)).unwrap_or(1),
        writes: 0,
        deletes: 0,
    }
}

/// ARM's cost of a request: one read, write or delete by method.
pub(crate) fn arm_cost(method: &Method) -> Cost {
    let mut cost = Cost::default();
    if *method == Method::GET || *method == Method::HEAD {
        cost.units = 1;
    } else if *method == Method::DELETE {
        cost.deletes = 1;
    } else {
        cost.writes = 1;
    }
    cost
}

/// The time the pacer measures by. [`SystemClock`] in use; tests move a fake one by hand.
pub(crate) trait Clock: Send + Sync + fmt::Debug {
    /// Time since some fixed start.
    fn now(&self) -> Duration;
}

/// The monotonic clock.
#[derive(Debug)]
pub(crate) struct SystemClock {
    start: Instant,
}

impl SystemClock {
    pub(crate) fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// One token bucket. The level may go below zero: a reservation takes its tokens at once and
/// waits until the refill has paid the debt, so concurrent requests queue in the order they
/// reserved.
#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    per_second: f64,
    level: f64,
    updated: Duration,
}

impl Bucket {
    fn new(capacity: u32, window: Duration) -> Self {
        let capacity = f64::from(capacity.max(1));
        Self {
            capacity,
            per_second: capacity / window.as_secs_f64().max(0.001),
            level: capacity,
            updated: Duration::ZERO,
        }
    }

    fn refill(&mut self, now: Duration) {
        if now > self.updated {
            let elapsed = (now - self.updated).as_secs_f64();
            self.level = (self.level + elapsed * self.per_second).min(self.capacity);
            self.updated = now;
        }
    }

    /// Takes `amount` and returns how long until the bucket is out of debt (nothing to wait for
    /// a request that takes nothing from it).
    fn take(&mut self, amount: u32, now: Duration) -> Duration {
        self.refill(now);
        if amount == 0 {
            return Duration::ZERO;
        }
        self.level -= f64::from(amount);
        self.debt_wait()
    }

    fn debt_wait(&self) -> Duration {
        if self.level >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.level / self.per_second)
        }
    }

    /// Gives back (or takes, when negative) what an estimate got wrong.
    fn settle(&mut self, difference: f64, now: Duration) {
        self.refill(now);
        self.level = (self.level + difference).min(self.capacity);
    }

    /// Lowers the level to at most `level`.
    fn lower_to(&mut self, level: f64, now: Duration) {
        self.refill(now);
        self.level = self.level.min(level);
    }
}

#[derive(Debug)]
struct GraphBuckets {
    resource_units: Bucket,
    writes: Bucket,
    /// No request before this time (a 429's `Retry-After`).
    paused_until: Duration,
}

#[derive(Debug)]
struct ArmBuckets {
    reads: Bucket,
    writes: Bucket,
    deletes: Bucket,
    paused_until: Duration,
}

/// The shared budget of one [`crate::Clients`] (see the module docs).
#[derive(Debug)]
pub(crate) struct Pacer {
    clock: Arc<dyn Clock>,
    graph: Option<Mutex<GraphBuckets>>,
    arm: Option<Mutex<ArmBuckets>>,
}

/// Header values Graph and ARM answer with.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Observed {
    /// The status code.
    pub(crate) status: u16,
    /// `x-ms-resource-unit`: the RU charged.
    pub(crate) resource_units: Option<f64>,
    /// `x-ms-throttle-limit-percentage` (0.8 to 1.8).
    pub(crate) limit_fraction: Option<f64>,
    /// `Retry-After` of a 429.
    pub(crate) retry_after: Option<Duration>,
    /// ARM's `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`.
    pub(crate) remaining_reads: Option<f64>,
    pub(crate) remaining_writes: Option<f64>,
    pub(crate) remaining_deletes: Option<f64>,
}

fn number(headers: &HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|value| value.is_finite() && *value >= 0.0)
}

impl Observed {
    /// Reads the pacing headers of an answer (`retry_after` already parsed by the caller).
    pub(crate) fn from_headers(
        status: u16,
        headers: &HeaderMap,
        retry_after: Option<Duration>,
    ) -> Self {
        Self {
            status,
            resource_units: number(headers, "x-ms-resource-unit"),
            limit_fraction: number(headers, "x-ms-throttle-limit-percentage"),
            retry_after,
            remaining_reads: number(headers, "x-ms-ratelimit-remaining-subscription-reads"),
            remaining_writes: number(headers, "x-ms-ratelimit-remaining-subscription-writes"),
            remaining_deletes: number(headers, "x-ms-ratelimit-remaining-subscription-deletes"),
        }
    }
}

impl Pacer {
    /// A pacer on the system clock.
    pub(crate) fn new(config: &PacingConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock::new()))
    }

    pub(crate) fn with_clock(config: &PacingConfig, clock: Arc<dyn Clock>) -> Self {
        let graph = config.graph.as_ref().map(|budget| {
            Mutex::new(GraphBuckets {
                resource_units: Bucket::new(budget.resource_units, budget.resource_unit_window),
                writes: Bucket::new(budget.writes, budget.write_window),
                paused_until: Duration::ZERO,
            })
        });
        let arm = config.arm.then(|| {
            Mutex::new(ArmBuckets {
                reads: Bucket::new(250, Duration::from_secs(10)),
                writes: Bucket::new(200, Duration::from_secs(20)),
                deletes: Bucket::new(200, Duration::from_secs(20)),
                paused_until: Duration::ZERO,
            })
        });
        Self { clock, graph, arm }
    }

    /// The estimated cost of a request to `service`.
    pub(crate) fn estimate(service: Service, method: &Method, url: &str) -> Cost {
        match service {
            Service::Graph => graph_cost(method, url),
            Service::Arm => arm_cost(method),
            Service::KeyVault => Cost::default(),
        }
    }

    /// Reserves `cost` and returns how long the request must wait before it is sent (unscaled).
    pub(crate) fn reserve(&self, service: Service, cost: Cost) -> Duration {
        let now = self.clock.now();
        match service {
            Service::Graph => self.graph.as_ref().map_or(Duration::ZERO, |graph| {
                let Ok(mut graph) = graph.lock() else {
                    return Duration::ZERO;
                };
                let units = graph.resource_units.take(cost.units, now);
                let writes = graph.writes.take(cost.writes, now);
                let paused = graph.paused_until.saturating_sub(now);
                units.max(writes).max(paused)
            }),
            Service::Arm => self.arm.as_ref().map_or(Duration::ZERO, |arm| {
                let Ok(mut arm) = arm.lock() else {
                    return Duration::ZERO;
                };
                let reads = arm.reads.take(cost.units, now);
                let writes = arm.writes.take(cost.writes, now);
                let deletes = arm.deletes.take(cost.deletes, now);
                let paused = arm.paused_until.saturating_sub(now);
                reads.max(writes).max(deletes).max(paused)
            }),
            Service::KeyVault => Duration::ZERO,
        }
    }

    /// Adapts to what an answer to a request of `estimated` cost said (see the module docs).
    pub(crate) fn observe(&self, service: Service, estimated: Cost, observed: &Observed) {
        let now = self.clock.now();
        let throttled = observed.status == 429;
        match service {
            Service::Graph => {
                let Some(Ok(mut graph)) = self.graph.as_ref().map(Mutex::lock) else {
                    return;
                };
                if let Some(charged) = observed.resource_units {
                    graph
                        .resource_units
                        .settle(f64::from(estimated.units) - charged, now);
                }
                if let Some(fraction) = observed.limit_fraction {
                    let units_left = graph.resource_units.capacity * (1.0 - fraction);
                    graph.resource_units.lower_to(units_left, now);
                    if estimated.writes > 0 {
                        let writes_left = graph.writes.capacity * (1.0 - fraction);
                        graph.writes.lower_to(writes_left, now);
                    }
                }
                if throttled {
                    graph.resource_units.lower_to(0.0, now);
                    graph.writes.lower_to(0.0, now);
                    let until = now + observed.retry_after.unwrap_or(Duration::from_secs(1));
                    graph.paused_until = graph.paused_until.max(until);
                }
            }
            Service::Arm => {
                let Some(Ok(mut arm)) = self.arm.as_ref().map(Mutex::lock) else {
                    return;
                };
                if let Some(left) = observed.remaining_reads {
                    arm.reads.lower_to(left, now);
                }
                if let Some(left) = observed.remaining_writes {
                    arm.writes.lower_to(left, now);
                }
                if let Some(left) = observed.remaining_deletes {
                    arm.deletes.lower_to(left, now);
                }
                if throttled {
                    let bucket = if estimated.deletes > 0 {
                        &mut arm.deletes
                    } else if estimated.writes > 0 {
                        &mut arm.writes
                    } else {
                        &mut arm.reads
                    };
                    bucket.lower_to(0.0, now);
                    let until = now + observed.retry_after.unwrap_or(Duration::from_secs(1));
                    arm.paused_until = arm.paused_until.max(until);
                }
            }
            Service::KeyVault => {}
        }
    }
}

#[cfg(test)]
mod tests;
