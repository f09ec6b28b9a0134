//! Service limits, as Graph, ARM and Key Vault enforce them, and the usage counters.
//!
//! Throttling is off unless [`EmulatorConfig::throttle`](crate::EmulatorConfig::throttle) or
//! `POST /_emulator/throttle` switches it on with a [`ThrottleConfig`]. What is charged is
//! computed either way (Graph's `x-ms-resource-unit`, ARM's `x-ms-ratelimit-remaining-…`, the
//! counters in `usage`); only the 429s need throttling on.
//!
//! - Graph (identity and access limits): per (client appId, tenant) a resource-unit bucket of the
//!   tenant's size class per 10 s and a write bucket of 3,000 per 150 s, both refilled
//!   continuously. The cost of a request is in `cost`. A refused request is charged in full all
//!   the same ("usage keeps counting while a client is throttled"), so a client that retries
//!   without waiting only waits longer; the debt is bounded at 80% of a bucket, which is why
//!   `x-ms-throttle-limit-percentage` goes from 0.8 up to 1.8.
//! - ARM: per (subscription, or the tenant for tenant-level paths; client) and operation kind,
//!   reads 250 refilled 25/s, writes and deletes 200 refilled 10/s. A refused request takes
//!   nothing.
//! - Key Vault: per vault, creating a secret (`PUT /secrets/{name}`) 300 per 10 s and all other
//!   transactions 4,000 per 10 s. A refused request takes nothing (Key Vault does not count
//!   its 429s).
//!
//! Graph's writes of applications that allow personal Microsoft accounts (`signInAudience`
//! `AzureADandPersonalMicrosoftAccount` or `PersonalMicrosoftAccount`) also count against a
//! bucket of 60 per minute per (client, tenant).
//!
//! Not modelled: the limits across tenants (per app) and across apps (per tenant), Graph's CPU
//! limit and Key Vault's subscription-wide limit.

mod bucket;
mod cost;
mod usage;

use std::collections::BTreeMap;
use std::str::FromStr;

use axum::http::Method;
use serde::{Deserialize, Serialize};

pub use self::bucket::Limit;
use self::bucket::TokenBucket;
pub(crate) use self::cost::{GraphCost, graph_cost, writes_personal_account_application};
pub use self::usage::{ArmUsage, GraphUsage, RouteUsage, UsageReport, VaultUsage};
pub(crate) use self::usage::{Metered, ServiceName, Usage};

/// Graph's tenant size classes, by number of users: S under 50, M 50 to 500, L over 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TenantClass {
    /// 3,500 RU per 10 s.
    S,
    /// 5,000 RU per 10 s.
    M,
    /// 8,000 RU per 10 s.
    L,
}

impl TenantClass {
    /// The resource units one client may spend per 10 s in a tenant of this class.
    pub fn resource_units_per_10_seconds(self) -> u32 {
        match self {
            Self::S => 3_500,
            Self::M => 5_000,
            Self::L => 8_000,
        }
    }
}

impl FromStr for TenantClass {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_uppercase().as_str() {
            "S" => Ok(Self::S),
            "M" => Ok(Self::M),
            "L" => Ok(Self::L),
            _ => Err(format!("unknown tenant class `{text}`: expected S, M or L")),
        }
    }
}

/// The limits enforced when throttling is on. [`Self::graph_class`] gives the documented ones;
/// tests make a bucket small by changing a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ThrottleConfig {
    /// The tenant's size class (what [`Self::graph_resource_units`] was made from).
    pub class: TenantClass,
    /// Graph resource units per (client, tenant).
    pub graph_resource_units: Limit,
    /// Graph writes per (client, tenant).
    pub graph_writes: Limit,
    /// Graph writes (POST, PATCH, DELETE) of applications that allow personal Microsoft
    /// accounts, per (client, tenant).
    pub graph_personal_account_application_writes: Limit,
    /// ARM reads per (subscription, client).
    pub arm_reads: Limit,
    /// ARM writes per (subscription, client).
    pub arm_writes: Limit,
    /// ARM deletes per (subscription, client).
    pub arm_deletes: Limit,
    /// Key Vault secret creations (`SetSecret`) per vault.
    pub vault_secret_sets: Limit,
    /// Every other Key Vault transaction per vault.
    pub vault_transactions: Limit,
}

impl ThrottleConfig {
    /// The documented limits for a tenant of `class`.
    pub fn graph_class(class: TenantClass) -> Self {
        Self {
            class,
            graph_resource_units: Limit::per_seconds(class.resource_units_per_10_seconds(), 10),
            graph_writes: Limit::per_seconds(3_000, 150),
            graph_personal_account_application_writes: Limit::per_seconds(60, 60),
            arm_reads: Limit::per_seconds(250, 10),
            arm_writes: Limit::per_seconds(200, 20),
            arm_deletes: Limit::per_seconds(200, 20),
            vault_secret_sets: Limit::per_seconds(300, 10),
            vault_transactions: Limit::per_seconds(4_000, 10),
        }
    }
}

/// ARM's operation kinds, each with a bucket of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ArmOperation {
    Read,
    Write,
    Delete,
}

impl ArmOperation {
    /// The kind of a request: GET and HEAD read; DELETE inside a subscription deletes; the rest
    /// writes (a tenant-level DELETE counts as a write, as ARM has no tenant delete bucket).
    pub(crate) fn of(method: &Method, subscription: Option<&str>) -> Self {
        match *method {
            Method::GET | Method::HEAD => Self::Read,
            Method::DELETE if subscription.is_some() => Self::Delete,
            _ => Self::Write,
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Self::Read => "reads",
            Self::Write => "writes",
            Self::Delete => "deletes",
        }
    }

    fn limit(self, config: &ThrottleConfig) -> Limit {
        match self {
            Self::Read => config.arm_reads,
            Self::Write => config.arm_writes,
            Self::Delete => config.arm_deletes,
        }
    }
}

/// How far a Graph bucket may go into debt, as a share of its capacity.
const GRAPH_DEBT_FRACTION: f64 = 0.8;

/// Above this share of a limit Graph sends `x-ms-throttle-limit-percentage`.
const LIMIT_PERCENTAGE_FROM: f64 = 0.8;

/// The outcome of charging one request: the headers its answer carries and, when refused, the
/// `Retry-After` in whole seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Charge {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) retry_after_seconds: Option<u64>,
}

impl Charge {
    /// Graph's answer for a request charged `resource_units` and not refused.
    pub(crate) fn resource_units(resource_units: u32) -> Self {
        Self {
            headers: vec![("x-ms-resource-unit".to_owned(), resource_units.to_string())],
            retry_after_seconds: None,
        }
    }
}

/// Graph's buckets for one client.
#[derive(Debug, Clone, Copy)]
struct GraphBuckets {
    resource_units: TokenBucket,
    writes: TokenBucket,
    personal_account_application_writes: TokenBucket,
}

/// The switch and every bucket.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    config: Option<ThrottleConfig>,
    graph: BTreeMap<String, GraphBuckets>,
    arm: BTreeMap<(String, String, ArmOperation), TokenBucket>,
    vault: BTreeMap<(String, bool), TokenBucket>,
}

impl Throttle {
    pub(crate) fn new(config: Option<ThrottleConfig>) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The active limits, `None` when throttling is off.
    pub(crate) fn config(&self) -> Option<&ThrottleConfig> {
        self.config.as_ref()
    }

    /// Switches throttling on or off; every bucket starts full again.
    pub(crate) fn set(&mut self, config: Option<ThrottleConfig>) {
        *self = Self::new(config);
    }

    /// Charges a Graph request of `client` (appId) in `tenant`.
    pub(crate) fn charge_graph(
        &mut self,
        client: &str,
        tenant: &str,
        cost: GraphCost,
        now_ms: i64,
    ) -> Charge {
        let mut charge = Charge::resource_units(cost.resource_units);
        let Some(config) = &self.config else {
            return charge;
        };
        if cost.resource_units == 0 && cost.writes == 0 {
            return charge;
        }
        let (ru_limit, write_limit) = (config.graph_resource_units, config.graph_writes);
        let personal_limit = config.graph_personal_account_application_writes;
        let buckets = self
            .graph
            .entry(format!("{}/{}", client.to_ascii_lowercase(), tenant))
            .or_insert_with(|| GraphBuckets {
                resource_units: TokenBucket::full(ru_limit, now_ms),
                writes: TokenBucket::full(write_limit, now_ms),
                personal_account_application_writes: TokenBucket::full(personal_limit, now_ms),
            });
        buckets.resource_units.refill(ru_limit, now_ms);
        buckets.writes.refill(write_limit, now_ms);
        let personal = cost.personal_account_application_write;
        if personal {
            buckets
                .personal_account_application_writes
                .refill(personal_limit, now_ms);
        }
        let ru_exceeded = !buckets.resource_units.has(ru_limit, cost.resource_units);
        let writes_exceeded = (cost.writes > 0 && !buckets.writes.has(write_limit, cost.writes))
            || (personal
                && !buckets
                    .personal_account_application_writes
                    .has(personal_limit, 1));
        buckets
            .resource_units
            .take(ru_limit, cost.resource_units, GRAPH_DEBT_FRACTION);
        if cost.writes > 0 {
            buckets
                .writes
                .take(write_limit, cost.writes, GRAPH_DEBT_FRACTION);
        }
        if personal {
            buckets.personal_account_application_writes.take(
                personal_limit,
                1,
                GRAPH_DEBT_FRACTION,
            );
        }
        let mut used = buckets.resource_units.used_fraction(ru_limit);
        if cost.writes > 0 {
            used = used.max(buckets.writes.used_fraction(write_limit));
        }
        if used > LIMIT_PERCENTAGE_FROM {
            charge.headers.push((
                "x-ms-throttle-limit-percentage".to_owned(),
                format!("{:.2}", used.min(1.0 + GRAPH_DEBT_FRACTION)),
            ));
        }
        if !ru_exceeded && !writes_exceeded {
            return charge;
        }
        // The wait until the retried request fits again in every bucket it needs.
        let mut wait_ms = buckets
            .resource_units
            .wait_ms(ru_limit, cost.resource_units);
        if cost.writes > 0 {
            wait_ms = wait_ms.max(buckets.writes.wait_ms(write_limit, cost.writes));
        }
        if personal {
            wait_ms = wait_ms.max(
                buckets
                    .personal_account_application_writes
                    .wait_ms(personal_limit, 1),
            );
        }
        let (scope, information) = if ru_exceeded {
            ("ReadWrite", "ResourceUnitLimitExceeded")
        } else {
            ("Write", "WriteLimitExceeded")
        };
        charge.headers.push((
            "x-ms-throttle-scope".to_owned(),
            format!("Tenant_Application/{scope}/{client}/{tenant}"),
        ));
        charge.headers.push((
            "x-ms-throttle-information".to_owned(),
            information.to_owned(),
        ));
        charge.retry_after_seconds = Some(whole_seconds(wait_ms));
        charge
    }

    /// Charges an ARM request of `client` against the bucket of its subscription (the tenant's
    /// for tenant-level paths) and kind. The header is sent whether throttling is on or off;
    /// with it off, the documented limits are counted and nothing is refused.
    pub(crate) fn charge_arm(
        &mut self,
        subscription: Option<&str>,
        client: &str,
        operation: ArmOperation,
        now_ms: i64,
    ) -> Charge {
        let enforced = self.config.is_some();
        let limit = match &self.config {
            Some(config) => operation.limit(config),
            None => operation.limit(&ThrottleConfig::graph_class(TenantClass::S)),
        };
        let (owner, key) = match subscription {
            Some(subscription) => ("subscription", subscription.to_ascii_lowercase()),
            None => ("tenant", "tenant".to_owned()),
        };
        let bucket = self
            .arm
            .entry((key, client.to_ascii_lowercase(), operation))
            .or_insert_with(|| TokenBucket::full(limit, now_ms));
        bucket.refill(limit, now_ms);
        let mut retry_after_seconds = None;
        if bucket.has(limit, 1) {
            bucket.take(limit, 1, 0.0);
        } else if enforced {
            retry_after_seconds = Some(whole_seconds(bucket.wait_ms(limit, 1)));
        }
        Charge {
            headers: vec![(
                format!("x-ms-ratelimit-remaining-{owner}-{}", operation.plural()),
                bucket.remaining().to_string(),
            )],
            retry_after_seconds,
        }
    }

    /// Charges a Key Vault request against its vault's bucket (`sets_secret` for `SetSecret`).
    /// Nothing is counted while throttling is off.
    pub(crate) fn charge_vault(&mut self, vault: &str, sets_secret: bool, now_ms: i64) -> Charge {
        let Some(config) = &self.config else {
            return Charge::default();
        };
        let limit = if sets_secret {
            config.vault_secret_sets
        } else {
            config.vault_transactions
        };
        let bucket = self
            .vault
            .entry((vault.to_ascii_lowercase(), sets_secret))
            .or_insert_with(|| TokenBucket::full(limit, now_ms));
        bucket.refill(limit, now_ms);
        if bucket.has(limit, 1) {
            bucket.take(limit, 1, 0.0);
            return Charge::default();
        }
        Charge {
            headers: Vec::new(),
            retry_after_seconds: Some(whole_seconds(bucket.wait_ms(limit, 1))),
        }
    }
}

/// `Retry-After` in whole seconds, rounded up, at least 1.
fn whole_seconds(wait_ms: u64) -> u64 {
    wait_ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::{ArmOperation, GraphCost, Limit, TenantClass, Throttle, ThrottleConfig};

    const CLIENT: &str = "11111111-1111-1111-1111-111111111111";
    const TENANT: &str = "22222222-2222-2222-2222-222222222222";

    fn header<'a>(charge: &'a super::Charge, name: &str) -> Option<&'a str> {
        charge
            .headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn small_graph() -> Throttle {
        let mut config = ThrottleConfig::graph_class(TenantClass::S);
        config.graph_resource_units = Limit::per_seconds(10, 10);
        config.graph_writes = Limit::per_seconds(3, 30);
        Throttle::new(Some(config))
    }

    const READ_2: GraphCost = GraphCost {
        resource_units: 2,
        writes: 0,
        personal_account_application_write: false,
    };
    const WRITE: GraphCost = GraphCost {
        resource_units: 1,
        writes: 1,
        personal_account_application_write: false,
    };

    #[test]
    fn the_classes_have_the_documented_budgets() {
        let budget = |class| {
            ThrottleConfig::graph_class(class)
                .graph_resource_units
                .capacity
        };
        assert_eq!(
            (
                budget(TenantClass::S),
                budget(TenantClass::M),
                budget(TenantClass::L)
            ),
            (3_500, 5_000, 8_000)
        );
        assert_eq!("m".parse::<TenantClass>(), Ok(TenantClass::M));
        assert!("XL".parse::<TenantClass>().is_err());
    }

    #[test]
    fn off_only_reports_the_cost() {
        let mut throttle = Throttle::new(None);
        for _ in 0..10_000 {
            let charge = throttle.charge_graph(CLIENT, TENANT, READ_2, 0);
            assert_eq!(charge.retry_after_seconds, None);
            assert_eq!(header(&charge, "x-ms-resource-unit"), Some("2"));
            assert_eq!(charge.headers.len(), 1);
        }
    }

    #[test]
    fn graph_refuses_past_the_resource_units_and_keeps_counting() {
        let mut throttle = small_graph();
        for _ in 0..5 {
            let charge = throttle.charge_graph(CLIENT, TENANT, READ_2, 0);
            assert_eq!(charge.retry_after_seconds, None);
        }
        let refused = throttle.charge_graph(CLIENT, TENANT, READ_2, 0);
        // 10 RU per 10 s: from -2 to 2 RU takes 4 s.
        assert_eq!(refused.retry_after_seconds, Some(4));
        assert_eq!(
            header(&refused, "x-ms-throttle-information"),
            Some("ResourceUnitLimitExceeded")
        );
        assert_eq!(
            header(&refused, "x-ms-throttle-scope"),
            Some(format!("Tenant_Application/ReadWrite/{CLIENT}/{TENANT}").as_str())
        );
        assert_eq!(
            header(&refused, "x-ms-throttle-limit-percentage"),
            Some("1.20")
        );
        // Retrying at once pushes the wait further.
        let again = throttle.charge_graph(CLIENT, TENANT, READ_2, 0);
        assert_eq!(again.retry_after_seconds, Some(6));
        // Waiting as told is enough.
        let after = throttle.charge_graph(CLIENT, TENANT, READ_2, 6_000);
        assert_eq!(after.retry_after_seconds, None);
        // Another client has its own bucket.
        let other = throttle.charge_graph("other", TENANT, READ_2, 0);
        assert_eq!(other.retry_after_seconds, None);
    }

    #[test]
    fn the_limit_percentage_is_sent_above_eighty_percent() {
        let mut throttle = small_graph();
        let mut percentages = Vec::new();
        for _ in 0..5 {
            let charge = throttle.charge_graph(CLIENT, TENANT, READ_2, 0);
            percentages.push(header(&charge, "x-ms-throttle-limit-percentage").map(str::to_owned));
        }
        assert_eq!(
            percentages,
            [None, None, None, None, Some("1.00".to_owned())]
        );
    }

    #[test]
    fn graph_writes_have_their_own_quota() {
        let mut throttle = small_graph();
        for _ in 0..3 {
            assert_eq!(
                throttle
                    .charge_graph(CLIENT, TENANT, WRITE, 0)
                    .retry_after_seconds,
                None
            );
        }
        let refused = throttle.charge_graph(CLIENT, TENANT, WRITE, 0);
        assert_eq!(
            header(&refused, "x-ms-throttle-information"),
            Some("WriteLimitExceeded")
        );
        assert_eq!(
            header(&refused, "x-ms-throttle-scope"),
            Some(format!("Tenant_Application/Write/{CLIENT}/{TENANT}").as_str())
        );
        // 3 writes per 30 s: from -1 to 1 write takes 20 s.
        assert_eq!(refused.retry_after_seconds, Some(20));
        // Reads still pass.
        let read = throttle.charge_graph(CLIENT, TENANT, READ_2, 0);
        assert_eq!(read.retry_after_seconds, None);
    }

    #[test]
    fn applications_that_allow_personal_accounts_have_a_lower_write_limit() {
        let mut config = ThrottleConfig::graph_class(TenantClass::S);
        config.graph_personal_account_application_writes = Limit::per_seconds(1, 60);
        let mut throttle = Throttle::new(Some(config));
        let personal = GraphCost {
            personal_account_application_write: true,
            ..WRITE
        };
        assert_eq!(
            throttle
                .charge_graph(CLIENT, TENANT, personal, 0)
                .retry_after_seconds,
            None
        );
        let refused = throttle.charge_graph(CLIENT, TENANT, personal, 0);
        assert_eq!(
            header(&refused, "x-ms-throttle-information"),
            Some("WriteLimitExceeded")
        );
        // From the debt floor, -0.8, back to 1 at 1 per minute.
        assert_eq!(refused.retry_after_seconds, Some(108));
        assert_eq!(
            throttle
                .charge_graph(CLIENT, TENANT, WRITE, 0)
                .retry_after_seconds,
            None,
            "other writes are not held back"
        );
    }

    #[test]
    fn arm_buckets_are_per_subscription_client_and_kind() {
        let mut config = ThrottleConfig::graph_class(TenantClass::S);
        config.arm_reads = Limit::per_seconds(2, 1);
        let mut throttle = Throttle::new(Some(config));
        let read = |throttle: &mut Throttle, client: &str| {
            throttle.charge_arm(Some("SUB"), client, ArmOperation::Read, 0)
        };
        let first = read(&mut throttle, CLIENT);
        assert_eq!(
            first.headers,
            [(
                "x-ms-ratelimit-remaining-subscription-reads".to_owned(),
                "1".to_owned()
            )]
        );
        assert_eq!(read(&mut throttle, CLIENT).retry_after_seconds, None);
        let refused = read(&mut throttle, CLIENT);
        assert_eq!(refused.retry_after_seconds, Some(1));
        assert_eq!(refused.headers[0].1, "0");
        assert_eq!(read(&mut throttle, "other").retry_after_seconds, None);
        let write = throttle.charge_arm(Some("sub"), CLIENT, ArmOperation::Write, 0);
        assert_eq!(
            write.headers[0],
            (
                "x-ms-ratelimit-remaining-subscription-writes".to_owned(),
                "199".to_owned()
            )
        );
        let tenant = throttle.charge_arm(None, CLIENT, ArmOperation::Read, 0);
        assert_eq!(tenant.headers[0].0, "x-ms-ratelimit-remaining-tenant-reads");
    }

    #[test]
    fn arm_off_counts_the_documented_buckets_and_refuses_nothing() {
        let mut throttle = Throttle::new(None);
        let mut last = None;
        for _ in 0..300 {
            last = Some(throttle.charge_arm(Some("sub"), CLIENT, ArmOperation::Delete, 0));
            assert_eq!(last.as_ref().unwrap().retry_after_seconds, None);
        }
        assert_eq!(last.unwrap().headers[0].1, "0");
    }

    #[test]
    fn key_vault_limits_secret_sets_apart_and_does_not_count_refusals() {
        let mut config = ThrottleConfig::graph_class(TenantClass::S);
        config.vault_secret_sets = Limit::per_seconds(1, 10);
        let mut throttle = Throttle::new(Some(config));
        assert_eq!(
            throttle.charge_vault("kv", true, 0).retry_after_seconds,
            None
        );
        assert_eq!(
            throttle.charge_vault("KV", true, 0).retry_after_seconds,
            Some(10)
        );
        assert_eq!(
            throttle.charge_vault("kv", true, 5_000).retry_after_seconds,
            Some(5)
        );
        assert_eq!(
            throttle.charge_vault("kv", false, 0).retry_after_seconds,
            None
        );
        assert_eq!(
            throttle
                .charge_vault("kv", true, 10_000)
                .retry_after_seconds,
            None
        );
        assert_eq!(
            Throttle::new(None)
                .charge_vault("kv", true, 0)
                .retry_after_seconds,
            None
        );
    }

    #[test]
    fn switching_refills_every_bucket() {
        let mut throttle = small_graph();
        for _ in 0..10 {
            throttle.charge_graph(CLIENT, TENANT, READ_2, 0);
        }
        let config = throttle.config().cloned();
        throttle.set(config);
        assert_eq!(
            throttle
                .charge_graph(CLIENT, TENANT, READ_2, 0)
                .retry_after_seconds,
            None
        );
    }
}
