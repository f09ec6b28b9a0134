//! Plan-time errors: what the manifest names but the tenant (or the catalog) does not have, and
//! the safety rules a plan would break (an application Registrar did not create, a protected
//! application the plan would delete). All of them are collected and reported at once, each
//! with its origin and a hint.
//!
//! The safety rules are typed ([`PlanProblem`]) so callers can tell them apart; their text is
//! worded in [`crate::render`] (`render/words`), not by the planner.

use std::fmt;

use registrar_model::Origin;

/// One plan-time error: where, what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// Where the offending value was written.
    pub origin: Origin,
    /// What is wrong (lower-case start, no final period).
    pub message: String,
    /// What to do about it, if we can tell.
    pub hint: Option<String>,
    /// The typed problem behind `message` and `hint`, for the safety rules; `None` for
    /// resolution errors (an unknown name), which carry only their text.
    pub problem: Option<PlanProblem>,
}

/// A safety rule the plan would break. Data only: [`crate::render::problem_text`] words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanProblem {
    /// A declared application is found by its `uniqueName` (`<namespace>.<key>`), but the tenant
    /// application holding it does not carry this namespace's marker tag: Registrar did not
    /// create it, so it is not managed (its owners would keep control of an application
    /// Registrar grants consent and roles to). Adopting it on purpose means pinning its appId.
    UnmarkedApplication {
        /// The manifest key.
        key: String,
        /// The unique name it holds.
        unique_name: String,
        /// The marker tag it lacks.
        marker: String,
        /// Its display name.
        display_name: String,
        /// Its appId.
        app_id: String,
        /// Its object id.
        object_id: String,
        /// Its owners, as the snapshot knows them.
        owners: Vec<OwnerSummary>,
    },
    /// The plan would delete or replace an application that is protected: `protect: true` in the
    /// manifest, or the protect tag in the tenant.
    ProtectedApplication {
        /// The application's address key (its manifest key, or the key `--prune` names it by).
        key: String,
        /// Its display name.
        display_name: String,
        /// Its appId.
        app_id: String,
        /// Why it would go: it was removed from the manifest and `--prune` is set (`true`), or
        /// the plan deletes or replaces it otherwise (`false`).
        pruned: bool,
        /// The protect tag it carries, when the protection is recorded in the tenant.
        tag: Option<String>,
    },
    /// The tenant's app management policy in force for the application forbids a credential
    /// or identifier URI the plan would add: Graph would refuse it at apply.
    PolicyRestriction {
        /// The application's manifest key.
        key: String,
        /// The policy's id.
        policy_id: String,
        /// Its display name.
        policy_name: String,
        /// Whether it is the tenant's default policy (else one assigned to the application).
        default_policy: bool,
        /// The restriction, as Graph names it (`passwordLifetime`, `nonDefaultUriAddition`, …).
        restriction: String,
        /// What the plan would add and why it is refused.
        violation: PolicyViolation,
    },
    /// The plan would change a property of the application's service principal that the
    /// application's instance lock (`servicePrincipalLockConfiguration`) locks.
    LockedServicePrincipal {
        /// The application's manifest key.
        key: String,
        /// The locked property (`passwordCredentials`, `keyCredentials`).
        property: String,
        /// The credential's keyId.
        key_id: String,
        /// The lock flag that covers it (`allProperties`, `credentialsWithUsageVerify`, …).
        lock: String,
    },
}

/// What a plan would add that an app management policy forbids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyViolation {
    /// A client secret, where `passwordAddition` forbids new ones.
    SecretNotAllowed {
        /// The secret's name.
        secret: String,
    },
    /// A client secret living longer than `passwordLifetime` allows.
    SecretLifetime {
        /// The secret's name.
        secret: String,
        /// Its lifetime in whole days.
        days: i64,
        /// The policy's `maxLifetime` as written (`P90D`).
        max_lifetime: String,
    },
    /// A certificate living longer than `asymmetricKeyLifetime` allows.
    CertificateLifetime {
        /// The certificate's name.
        certificate: String,
        /// Its lifetime in whole days.
        days: i64,
        /// The policy's `maxLifetime`.
        max_lifetime: String,
    },
    /// An identifier URI other than `api://{appId}` where `nonDefaultUriAddition` forbids it.
    NonDefaultIdentifierUri {
        /// The URI.
        uri: String,
    },
    /// An identifier URI with neither the tenant id, the appId nor a verified domain, where
    /// `uriAdditionWithoutUniqueTenantIdentifier` forbids it.
    IdentifierUriWithoutTenantIdentifier {
        /// The URI.
        uri: String,
    },
}

/// An owner of an application, named as well as the snapshot allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OwnerSummary {
    /// Object id.
    pub object_id: String,
    /// The user's UPN, when the directory gave it.
    pub user_principal_name: Option<String>,
    /// displayName, when the directory gave it.
    pub display_name: Option<String>,
}

impl PlanError {
    pub(crate) fn new(origin: &Origin, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            origin: origin.clone(),
            message: message.into(),
            hint,
            problem: None,
        }
    }

    /// An error for a typed problem, worded by the renderers.
    pub(crate) fn problem(origin: &Origin, problem: PlanProblem) -> Self {
        let (message, hint) = crate::render::problem_text(&problem);
        Self {
            origin: origin.clone(),
            message,
            hint: Some(hint),
            problem: Some(problem),
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An application the manifest does not declare (one `--prune` would delete) has no
        // place in it to point at.
        if self.origin.file.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.origin, self.message)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every plan-time error, sorted by origin. Never empty when returned by [`crate::plan`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanErrors {
    /// The errors.
    pub errors: Vec<PlanError>,
}

impl fmt::Display for PlanErrors {
    /// `error: file:line:col: message` and `  hint: ...` lines, then `N errors; nothing was changed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.errors {
            writeln!(f, "error: {error}")?;
        }
        let count = self.errors.len();
        write!(
            f,
            "\n{count} error{}; nothing was changed",
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for PlanErrors {}
