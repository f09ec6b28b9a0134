//! What a lint run finds, as data: [`Finding`] (a rule, a severity, where, and a typed
//! [`Detail`]), the [`Suppression`] that may cover it, and the [`LintReport`] of a run. The
//! renderers ([`crate::render`]) word them.

use registrar_catalog::PrivilegeTier;
use registrar_model::Origin;
use time::Duration;

use crate::rules::{Rule, Severity};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its severity (the rule's default unless [`Detail`] says otherwise).
    pub severity: Severity,
    /// Where the value it is about is written.
    pub origin: Origin,
    /// The application's manifest key; empty for a finding about no application (a suppression).
    pub application: String,
    /// What exactly was found.
    pub detail: Detail,
    /// The `# registrar:allow` comment that covers it, if any.
    pub suppression: Option<Suppression>,
}

impl Finding {
    /// Whether a suppression covers it.
    pub fn is_suppressed(&self) -> bool {
        self.suppression.is_some()
    }
}

/// A `# registrar:allow RULE reason` comment and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Where the comment is written.
    pub origin: Origin,
    /// The reason given.
    pub reason: String,
}

/// Which platform a redirect URI is declared under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// `web.redirectUris`.
    Web,
    /// `spa.redirectUris`.
    Spa,
    /// `publicClient.redirectUris`.
    PublicClient,
}

/// The kind of workload a federated credential trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// GitHub Actions (`token.actions.githubusercontent.com`).
    GitHub,
    /// A Kubernetes service account (`system:serviceaccount:…`).
    Kubernetes,
}

/// A credential kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A client secret.
    Secret,
    /// A certificate.
    Certificate,
}

/// Why a suppression comment is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppressionProblem {
    /// It names no rule at all.
    NoRule,
    /// It names a rule that does not exist.
    UnknownRule(String),
    /// It gives no reason.
    NoReason,
}

/// What a finding is about, with the values its message shows. Values are as the manifest
/// spells them (a `${var.…}` expression stays one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// [`Rule::InvalidSuppression`].
    InvalidSuppression(SuppressionProblem),
    /// [`Rule::ImplicitGrant`]: an error when access tokens are issued, a warning for ID tokens
    /// only.
    ImplicitGrant {
        /// `accessTokens: true`.
        access_tokens: bool,
        /// `idTokens: true`.
        id_tokens: bool,
    },
    /// [`Rule::RedirectUriWildcard`].
    RedirectUriWildcard {
        /// The platform.
        platform: Platform,
        /// The URI.
        uri: String,
    },
    /// [`Rule::RedirectUriHttp`].
    RedirectUriHttp {
        /// The platform.
        platform: Platform,
        /// The URI.
        uri: String,
    },
    /// [`Rule::RedirectUriUrn`].
    RedirectUriUrn {
        /// The platform.
        platform: Platform,
        /// The URI.
        uri: String,
    },
    /// [`Rule::RedirectUriCount`].
    RedirectUriCount {
        /// How many the application declares over all platforms.
        count: usize,
        /// The most the rule accepts.
        limit: usize,
    },
    /// [`Rule::IdentifierUri`].
    IdentifierUri {
        /// The URI.
        uri: String,
        /// The domains the manifest names (its `tenant:` when that is a domain); empty when it
        /// names none, so no https URI can be checked offline.
        verified_domains: Vec<String>,
    },
    /// [`Rule::SecretWhereFederationWorks`].
    SecretWhereFederationWorks {
        /// The secret's name.
        secret: String,
        /// The federated credential that already trusts the workload.
        federated_credential: String,
        /// What kind of workload it is.
        workload: Workload,
    },
    /// [`Rule::PublicClientCredential`].
    PublicClientCredential {
        /// Secret or certificate.
        credential: Credential,
        /// Its name.
        name: String,
    },
    /// [`Rule::SecretLifetime`].
    SecretLifetime {
        /// The secret's name.
        secret: String,
        /// Its lifetime.
        lifetime: Duration,
        /// The threshold (`--max-secret-lifetime`).
        limit: Duration,
    },
    /// [`Rule::TooManySecrets`].
    TooManySecrets {
        /// How many secrets the application declares.
        count: usize,
    },
    /// [`Rule::TooFewOwners`].
    TooFewOwners {
        /// How many owners it has (its own and `defaults.owners`).
        count: usize,
    },
    /// [`Rule::PrivilegedApplicationPermission`]: an error for the critical tier, a warning for
    /// the high one.
    PrivilegedApplicationPermission {
        /// The API, as the manifest names it.
        resource: String,
        /// The permission's value.
        permission: String,
        /// Its tier.
        tier: PrivilegeTier,
    },
    /// [`Rule::ApplicationPermissionWithDelegated`].
    ApplicationPermissionWithDelegated {
        /// The API, as the manifest names it.
        resource: String,
        /// The permission's value.
        permission: String,
    },
    /// [`Rule::PrivilegedRoleAssignment`].
    PrivilegedRoleAssignment {
        /// The role's name.
        role: String,
        /// The scope, as written.
        scope: String,
        /// How wide the scope is.
        breadth: ScopeBreadth,
    },
    /// [`Rule::MultiTenantWithoutPublisherDomain`].
    MultiTenantWithoutPublisherDomain {
        /// The sign-in audience.
        audience: String,
    },
}

/// How wide an ARM scope is, for [`Rule::PrivilegedRoleAssignment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeBreadth {
    /// `/subscriptions/{id}`.
    Subscription,
    /// `/providers/Microsoft.Management/managementGroups/{name}`.
    ManagementGroup,
    /// `/`.
    Root,
}

/// Every finding of a run, in file, line and column order, suppressed ones included.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LintReport {
    /// The findings.
    pub findings: Vec<Finding>,
    /// How many manifest files were checked.
    pub files: usize,
}

impl LintReport {
    /// The findings no suppression covers.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| !finding.is_suppressed())
    }

    /// The suppressed findings.
    pub fn suppressed(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.is_suppressed())
    }

    /// Whether a finding no suppression covers is an error (`registrar lint` then exits 1).
    pub fn has_errors(&self) -> bool {
        self.active()
            .any(|finding| finding.severity == Severity::Error)
    }

    /// How many active findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.active()
            .filter(|finding| finding.severity == severity)
            .count()
    }

    /// Adds another run's findings (one manifest set after another), keeping the order.
    pub fn extend(&mut self, other: LintReport) {
        self.findings.extend(other.findings);
        self.files += other.files;
    }
}
