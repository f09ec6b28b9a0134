//! How an emulator is started and what can go wrong: [`EmulatorConfig`], the ARM options
//! ([`ArmOptions`]), whether service limits are enforced ([`crate::ThrottleConfig`]), the
//! injected [`Faults`] (changeable at run time), the count of what was
//! injected ([`InjectedFaults`]) and [`EmulatorError`].

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How to start an emulator.
#[derive(Debug, Clone, Default)]
pub struct EmulatorConfig {
    /// Loaded at start if it exists; written atomically after every request that changed state.
    pub state_file: Option<PathBuf>,
    /// `false` (lenient): any vault name exists. `true`: only the vaults in [`Self::vaults`]
    /// exist; others answer 404 `VaultNotFound`.
    pub strict_vaults: bool,
    /// Vaults that exist from the start.
    pub vaults: Vec<String>,
    /// Seed of the random numbers that decide fault injection (reproducible tests).
    pub seed: u64,
    /// Faults active from the start.
    pub faults: Faults,
    /// How the Azure Resource Manager (`Microsoft.Authorization`) routes behave where Azure's
    /// behaviour is not pinned down by its documentation.
    pub arm: ArmOptions,
    /// Graph, ARM and Key Vault service limits, enforced from the start; `None` (the default):
    /// nothing is throttled but what [`Faults::throttle_rate`] injects. Switchable at run time
    /// with [`Emulator::set_throttle`](crate::Emulator::set_throttle).
    pub throttle: Option<crate::ThrottleConfig>,
}

/// The form of `properties.roleDefinitionId` in role assignment responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RoleDefinitionIdForm {
    /// `/providers/Microsoft.Authorization/roleDefinitions/{guid}`, as the 2022-04-01 spec
    /// examples answer even to a subscription-scoped request.
    Tenant,
    /// `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}` for
    /// assignments inside a subscription, as Azure answers (the default): the Azure CLI names
    /// an assignment's role by matching this string to the ids of the subscription's role
    /// definitions, and finds nothing to delete by role otherwise.
    #[default]
    Subscription,
}

/// ARM options (`Microsoft.Authorization`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArmOptions {
    /// The form of `roleDefinitionId` in role assignment responses.
    pub role_definition_id_form: RoleDefinitionIdForm,
    /// Role assignments per subscription before `RoleAssignmentLimitExceeded` (4,000 in the
    /// public cloud, 2,000 in sovereign clouds).
    pub assignments_per_subscription: usize,
    /// Role assignments at one management group before `RoleAssignmentLimitExceeded` (500).
    pub assignments_per_management_group: usize,
    /// The subscriptions `GET /subscriptions` lists (to callers holding a role in them); one,
    /// [`ArmSubscription::default_subscription`], by default. Role assignments may still be made
    /// under any GUID subscription.
    pub subscriptions: Vec<ArmSubscription>,
}

/// A subscription the emulator lists (`GET /subscriptions`, `GET /subscriptions/{id}`), as the
/// Azure CLI's `az login` and `az account` read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ArmSubscription {
    /// The subscription id (a GUID).
    pub id: String,
    /// Its display name.
    pub display_name: String,
}

impl ArmSubscription {
    /// The subscription id of [`Self::default_subscription`].
    pub const DEFAULT_ID: &'static str = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";

    /// A subscription with this id and display name.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            display_name: display_name.into(),
        }
    }

    /// The one subscription of a default emulator: `a925f2f7-…`, "Local subscription".
    pub fn default_subscription() -> Self {
        Self::new(Self::DEFAULT_ID, "Local subscription")
    }
}

impl Default for ArmOptions {
    fn default() -> Self {
        Self {
            role_definition_id_form: RoleDefinitionIdForm::default(),
            assignments_per_subscription: 4000,
            assignments_per_management_group: 500,
            subscriptions: vec![ArmSubscription::default_subscription()],
        }
    }
}

impl ArmOptions {
    /// Sets [`Self::role_definition_id_form`].
    #[must_use]
    pub fn with_role_definition_id_form(mut self, form: RoleDefinitionIdForm) -> Self {
        self.role_definition_id_form = form;
        self
    }

    /// Sets the subscriptions listed ([`Self::subscriptions`]).
    #[must_use]
    pub fn with_subscriptions(mut self, subscriptions: Vec<ArmSubscription>) -> Self {
        self.subscriptions = subscriptions;
        self
    }

    /// Sets both role assignment limits.
    #[must_use]
    pub fn with_limits(mut self, per_subscription: usize, per_management_group: usize) -> Self {
        self.assignments_per_subscription = per_subscription;
        self.assignments_per_management_group = per_management_group;
        self
    }
}

/// Injected faults; changeable at run time with [`Emulator::set_faults`](crate::Emulator::set_faults) or `PUT /_emulator/faults`.
///
/// The connection faults (`reset_*`, `timeout_*`) and [`Self::hold_after_mutations`] act on the
/// HTTPS server ([`Emulator::serve`](crate::Emulator::serve)): a request served through
/// [`Emulator::router`](crate::Emulator::router) alone gets a 502 in place of the dropped
/// connection. They do not apply to the inner requests of a `$batch` (the outer request draws
/// them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every API request (Graph, Key Vault, ARM), not to token or control routes.
    pub latency_ms: u64,
    /// Share (0..1) of API requests answered 429 `TooManyRequests` with `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` value sent with 429 and 503, in seconds (decimals allowed).
    pub retry_after_seconds: f64,
    /// Share (0..1) of API requests answered 503 (with `Retry-After`).
    pub unavailable_rate: f64,
    /// Objects created or changed stay invisible (404, `NoBackingApplicationObject`, missing
    /// from lists) for this long.
    pub replication_lag_ms: u64,
    /// Vaults that answer 403 `Forbidden` to every secret operation.
    pub deny_vaults: Vec<String>,
    /// Share (0..1) of API requests whose connection is closed before they are handled: no
    /// response, nothing changed.
    pub reset_before_rate: f64,
    /// Share (0..1) of API requests that are handled (and committed) and whose connection is then
    /// closed without the response: the ambiguous failure, the change happened but the client
    /// never heard of it.
    pub reset_after_rate: f64,
    /// Share (0..1) of API requests held for [`Self::timeout_hold_ms`] (longer than the client
    /// waits), then dropped without being handled.
    pub timeout_rate: f64,
    /// How long a timed-out request is held before its connection is closed (default 110 s,
    /// longer than Registrar's 100 s request timeout; tests set the client's timeout and this
    /// short).
    pub timeout_hold_ms: u64,
    /// After this many requests that changed the tenant (counted from the start or the last
    /// `POST /_emulator/requests/reset`), the last of them is committed and then it and every
    /// later API request are held without an answer until the faults are replaced, when their
    /// connections are closed; [`InjectedFaults::holding`] says when that point was reached. For
    /// kill tests: the client is stopped while the k-th change is done but unacknowledged.
    pub hold_after_mutations: Option<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            throttle_rate: 0.0,
            retry_after_seconds: 0.0,
            unavailable_rate: 0.0,
            replication_lag_ms: 0,
            deny_vaults: Vec::new(),
            reset_before_rate: 0.0,
            reset_after_rate: 0.0,
            timeout_rate: 0.0,
            timeout_hold_ms: 110_000,
            hold_after_mutations: None,
        }
    }
}

/// The faults injected so far (since the start or the last `POST /_emulator/requests/reset`),
/// by kind, and the requests that changed the tenant; `GET /_emulator/faults/injected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct InjectedFaults {
    /// Answered 429.
    pub throttled: u64,
    /// Answered 503.
    pub unavailable: u64,
    /// Connection closed before the request was handled.
    pub reset_before: u64,
    /// Connection closed after the request was handled and committed.
    pub reset_after: u64,
    /// Held past the client's timeout, then dropped unhandled.
    pub timeout: u64,
    /// API requests that changed the tenant (a `$batch` counts each inner one).
    pub mutations: u64,
    /// Whether [`Faults::hold_after_mutations`] was reached and requests are being held.
    pub holding: bool,
}

impl InjectedFaults {
    /// All injected faults together (not counting the mutations).
    pub fn total(&self) -> u64 {
        self.throttled + self.unavailable + self.reset_before + self.reset_after + self.timeout
    }
}

/// What went wrong starting or running the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The state file exists but could not be read.
    #[error("cannot read the emulator state file `{}`", path.display())]
    StateRead {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The state file is not valid JSON of the expected shape.
    #[error("the emulator state file `{}` is not valid", path.display())]
    StateParse {
        /// The state file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The state file was written by an incompatible version.
    #[error("the emulator state file `{}` has schema version {found}, expected {expected}", path.display())]
    StateSchema {
        /// The state file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The version this emulator writes.
        expected: u32,
    },
    /// The state file could not be written.
    #[error("cannot write the emulator state file `{}`", path.display())]
    StateWrite {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Generating the TLS certificates failed.
    #[error("cannot set up the emulator's TLS certificate: {0}")]
    Certificate(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing the CA certificate failed.
    #[error("cannot write the CA certificate to `{}`", path.display())]
    WriteCertificate {
        /// The target file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
