//! The wording of the tenant-policy plan errors ([`PlanProblem::PolicyRestriction`] and
//! [`PlanProblem::LockedServicePrincipal`]): what the policy or lock forbids, named by its id
//! and display name, and what to do about it.

use crate::error::{PlanProblem, PolicyViolation};
use crate::model::quoted;

/// `(message, hint)` of a policy problem; other problems are worded in `words`.
pub(super) fn problem_text(problem: &PlanProblem) -> (String, String) {
    match problem {
        PlanProblem::PolicyRestriction {
            key,
            policy_id,
            policy_name,
            default_policy,
            restriction,
            violation,
        } => {
            let policy = format!(
                "the tenant's {} app management policy {} ({policy_id})",
                if *default_policy {
                    "default"
                } else {
                    "assigned"
                },
                quoted(policy_name)
            );
            let (what, hint) = match violation {
                PolicyViolation::SecretNotAllowed { secret } => (
                    format!("client secret `{secret}` of application `{key}` is not allowed: {policy} restricts `{restriction}` (no new client secrets)"),
                    "use a certificate or a federated credential instead, or ask an administrator to exempt the application with a policy of its own".to_owned(),
                ),
                PolicyViolation::SecretLifetime { secret, days, max_lifetime } => (
                    format!("client secret `{secret}` of application `{key}` would live {days} days, longer than {policy} allows (`{restriction}`: at most {max_lifetime})"),
                    format!("set `lifetime` of `{secret}` to {max_lifetime} or less (a `rotateBefore` shorter than it)"),
                ),
                PolicyViolation::CertificateLifetime { certificate, days, max_lifetime } => (
                    format!("certificate `{certificate}` of application `{key}` is valid for {days} days, longer than {policy} allows (`{restriction}`: at most {max_lifetime})"),
                    format!("issue `{certificate}` for {max_lifetime} or less"),
                ),
                PolicyViolation::NonDefaultIdentifierUri { uri } => (
                    format!("identifier URI `{uri}` of application `{key}` is not allowed: {policy} restricts `{restriction}` (only `api://{{appId}}` or `api://{{tenantId}}/{{appId}}` may be added)"),
                    "use `api://{appId}`, or set `api.requestedAccessTokenVersion: 2` if the policy exempts applications receiving v2 tokens".to_owned(),
                ),
                PolicyViolation::IdentifierUriWithoutTenantIdentifier { uri } => (
                    format!("identifier URI `{uri}` of application `{key}` is not allowed: {policy} restricts `{restriction}` (a new URI must contain the tenant id, the appId or a verified domain)"),
                    "use `api://{appId}/…`, `api://{tenantId}/…` or an https URI on a verified domain".to_owned(),
                ),
            };
            (what, hint)
        }
        PlanProblem::LockedServicePrincipal {
            key,
            property,
            key_id,
            lock,
        } => (
            format!(
                "the service principal of application `{key}` holds a credential (keyId {key_id}) in `{property}` that the plan removes, but the application's instance lock (`servicePrincipalLockConfiguration.{lock}`) locks it"
            ),
            format!(
                "remove the credential by hand after unlocking, or turn the lock off first: declare `instanceLock: {{enabled: false}}` under `{key}:` and apply that change on its own"
            ),
        ),
        _ => (String::new(), String::new()),
    }
}
