//! The checks: each rule over one declared application of the desired state, located through the
//! file's [`Positions`] (the desired state keeps origins only where plan-time errors need them).
//!
//! Values are evaluated as loaded (variables interpolated, defaults merged); what a finding shows
//! is the manifest's own spelling where the positions have it, so no variable's value is shown.

use std::collections::HashMap;

use registrar_catalog::{Catalog, PermissionKind, PrivilegeTier};
use registrar_manifest::Positions;
use registrar_model::{APP_ID_PLACEHOLDER, DesiredApplication, DesiredState, Guid, Origin};
use url::Url;

use crate::LintOptions;
use crate::finding::{Credential, Detail, Finding, Platform, ScopeBreadth, Workload};
use crate::rules::{Rule, Severity};

/// The loopback hosts, where `http` redirect URIs are fine.
const LOOPBACK_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// The GitHub Actions token issuer.
const GITHUB_ISSUER_HOST: &str = "token.actions.githubusercontent.com";

/// The subject prefix of a Kubernetes service account token.
const KUBERNETES_SUBJECT_PREFIX: &str = "system:serviceaccount:";

/// The Azure roles that are too broad at subscription scope or above.
const BROAD_ROLES: &[&str] = &["Owner", "Contributor", "User Access Administrator"];

/// Checks every application of `desired`.
pub(crate) fn check(
    desired: &DesiredState,
    positions: &HashMap<String, Positions>,
    options: &LintOptions,
) -> Vec<Finding> {
    let catalog = registrar_catalog::catalog();
    let verified_domains = verified_domains(desired.tenant.as_deref());
    let mut findings = Vec::new();
    let empty = Positions::default();
    for app in &desired.applications {
        let context = App {
            app,
            positions: positions.get(&app.origin.file).unwrap_or(&empty),
            catalog,
            findings: &mut findings,
        };
        context.check_all(desired, &verified_domains, options);
    }
    findings
}

/// The domains the manifest names: its `tenant:` when that is a domain, not a tenant id.
fn verified_domains(tenant: Option<&str>) -> Vec<String> {
    match tenant {
        Some(tenant) if tenant.contains('.') && Guid::parse(tenant).is_none() => {
            vec![tenant.to_ascii_lowercase()]
        }
        _ => Vec::new(),
    }
}

/// One application being checked.
struct App<'a> {
    app: &'a DesiredApplication,
    positions: &'a Positions,
    catalog: &'static Catalog,
    findings: &'a mut Vec<Finding>,
}

impl App<'_> {
    fn check_all(
        mut self,
        desired: &DesiredState,
        verified_domains: &[String],
        options: &LintOptions,
    ) {
        self.implicit_grant();
        self.redirect_uris(options.max_redirect_uris);
        self.identifier_uris(desired.tenant.as_deref(), verified_domains);
        self.credentials(options);
        self.owners();
        self.permissions();
        self.role_assignments();
        self.audience(verified_domains);
    }

    fn path<'p>(&'p self, rest: &[&'p str]) -> Vec<&'p str> {
        let mut path = vec!["applications", self.app.key.as_str()];
        path.extend_from_slice(rest);
        path
    }

    /// Where the value at `rest` (below the application) is written, else the application's key.
    fn value_at(&self, rest: &[&str]) -> Origin {
        self.positions
            .value(&self.path(rest))
            .cloned()
            .unwrap_or_else(|| self.app.origin.clone())
    }

    /// Where the key at `rest` (below the application) is written, if it is.
    fn key_at(&self, rest: &[&str]) -> Option<Origin> {
        self.positions.key(&self.path(rest)).cloned()
    }

    /// The manifest's spelling of the scalar at `rest`, else `value`.
    fn spelled(&self, rest: &[&str], value: &str) -> String {
        self.positions
            .text(&self.path(rest))
            .unwrap_or(value)
            .to_owned()
    }

    fn push(&mut self, rule: Rule, severity: Severity, origin: Origin, detail: Detail) {
        self.findings.push(Finding {
            rule,
            severity,
            origin,
            application: self.app.key.clone(),
            detail,
            suppression: None,
        });
    }

    fn push_default(&mut self, rule: Rule, origin: Origin, detail: Detail) {
        self.push(rule, rule.default_severity(), origin, detail);
    }

    fn implicit_grant(&mut self) {
        let web = &self.app.plain.web;
        let (access_tokens, id_tokens) = (
            web.implicit_grant_access_tokens,
            web.implicit_grant_id_tokens,
        );
        if !access_tokens && !id_tokens {
            return;
        }
        let field = if access_tokens {
            "accessTokens"
        } else {
            "idTokens"
        };
        let origin = self.value_at(&["web", "implicitGrant", field]);
        let severity = if access_tokens {
            Severity::Error
        } else {
            Severity::Warning
        };
        self.push(
            Rule::ImplicitGrant,
            severity,
            origin,
            Detail::ImplicitGrant {
                access_tokens,
                id_tokens,
            },
        );
    }

    fn redirect_uris(&mut self, limit: usize) {
        let plain = &self.app.plain;
        let platforms = [
            (Platform::Web, "web", plain.web.redirect_uris.clone()),
            (Platform::Spa, "spa", plain.spa_redirect_uris.clone()),
            (
                Platform::PublicClient,
                "publicClient",
                plain.public_client_redirect_uris.clone(),
            ),
        ];
        let mut seen = 0;
        let mut count_origin = None;
        for (platform, key, uris) in &platforms {
            for (index, uri) in uris.iter().enumerate() {
                seen += 1;
                let position = index.to_string();
                let rest = [*key, "redirectUris", position.as_str()];
                if seen == limit + 1 {
                    count_origin = self.key_at(&[key, "redirectUris"]);
                }
                let shown = self.spelled(&rest, uri);
                let origin = self.value_at(&rest);
                if uri.contains('*') {
                    let origin = origin.clone();
                    self.push_default(
                        Rule::RedirectUriWildcard,
                        origin,
                        Detail::RedirectUriWildcard {
                            platform: *platform,
                            uri: shown.clone(),
                        },
                    );
                }
                if uri
                    .get(..4)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("urn:"))
                {
                    let origin = origin.clone();
                    self.push_default(
                        Rule::RedirectUriUrn,
                        origin,
                        Detail::RedirectUriUrn {
                            platform: *platform,
                            uri: shown,
                        },
                    );
                } else if is_insecure_http(uri) {
                    let origin = origin.clone();
                    self.push_default(
                        Rule::RedirectUriHttp,
                        origin,
                        Detail::RedirectUriHttp {
                            platform: *platform,
                            uri: shown,
                        },
                    );
                }
            }
        }
        if seen > limit {
            let origin = count_origin.unwrap_or_else(|| self.app.origin.clone());
            self.push_default(
                Rule::RedirectUriCount,
                origin,
                Detail::RedirectUriCount { count: seen, limit },
            );
        }
    }

    fn identifier_uris(&mut self, tenant: Option<&str>, verified_domains: &[String]) {
        let tenant_id = tenant.and_then(Guid::parse);
        for (index, uri) in self.app.plain.identifier_uris.iter().enumerate() {
            let position = index.to_string();
            let rest = ["identifierUris", position.as_str()];
            let acceptable = if let Some(after) = strip_prefix_ignore_case(uri, "api://") {
                let authority = after.split('/').next().unwrap_or_default();
                let own_app_id = authority == APP_ID_PLACEHOLDER
                    || self
                        .app
                        .app_id
                        .as_deref()
                        .is_some_and(|app_id| Guid::same(app_id, authority));
                let tenant_form = tenant_id
                    .as_ref()
                    .is_some_and(|tenant| Guid::same(tenant.as_str(), authority));
                // Without declared domains only non-api:// URIs are flagged (docs/lint.md).
                own_app_id || tenant_form || verified_domains.is_empty()
            } else {
                Url::parse(uri)
                    .ok()
                    .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
                    .is_some_and(|host| {
                        verified_domains
                            .iter()
                            .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
                    })
            };
            if !acceptable {
                let origin = self.value_at(&rest);
                let uri = self.spelled(&rest, uri);
                self.push_default(
                    Rule::IdentifierUri,
                    origin,
                    Detail::IdentifierUri {
                        uri,
                        verified_domains: verified_domains.to_vec(),
                    },
                );
            }
        }
    }

    fn credentials(&mut self, options: &LintOptions) {
        let app = self.app;
        let workload = app.federated_credentials.iter().find_map(|credential| {
            let github = Url::parse(&credential.issuer)
                .ok()
                .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
                .is_some_and(|host| host == GITHUB_ISSUER_HOST);
            if github {
                Some((credential, Workload::GitHub))
            } else if credential.subject.starts_with(KUBERNETES_SUBJECT_PREFIX) {
                Some((credential, Workload::Kubernetes))
            } else {
                None
            }
        });
        let plain = &app.plain;
        let public_client = plain.is_fallback_public_client
            || (plain.web.redirect_uris.is_empty()
                && (!plain.spa_redirect_uris.is_empty()
                    || !plain.public_client_redirect_uris.is_empty()));
        for secret in &app.secrets {
            if let Some((federated, workload)) = workload {
                self.push_default(
                    Rule::SecretWhereFederationWorks,
                    secret.origin.clone(),
                    Detail::SecretWhereFederationWorks {
                        secret: secret.name.clone(),
                        federated_credential: federated.name.clone(),
                        workload,
                    },
                );
            }
            if public_client {
                self.push_default(
                    Rule::PublicClientCredential,
                    secret.origin.clone(),
                    Detail::PublicClientCredential {
                        credential: Credential::Secret,
                        name: secret.name.clone(),
                    },
                );
            }
            if secret.lifetime > options.max_secret_lifetime {
                let origin = self
                    .positions
                    .value(&self.path(&["secrets", &secret.name, "lifetime"]))
                    .or_else(|| self.positions.value(&["defaults", "secretLifetime"]))
                    .cloned()
                    .unwrap_or_else(|| secret.origin.clone());
                self.push_default(
                    Rule::SecretLifetime,
                    origin,
                    Detail::SecretLifetime {
                        secret: secret.name.clone(),
                        lifetime: secret.lifetime,
                        limit: options.max_secret_lifetime,
                    },
                );
            }
        }
        if public_client {
            for certificate in &app.certificates {
                self.push_default(
                    Rule::PublicClientCredential,
                    certificate.origin.clone(),
                    Detail::PublicClientCredential {
                        credential: Credential::Certificate,
                        name: certificate.name.clone(),
                    },
                );
            }
        }
        if app.secrets.len() > 2 {
            let origin = self
                .key_at(&["secrets"])
                .unwrap_or_else(|| app.origin.clone());
            self.push_default(
                Rule::TooManySecrets,
                origin,
                Detail::TooManySecrets {
                    count: app.secrets.len(),
                },
            );
        }
    }

    fn owners(&mut self) {
        let count = self.app.owners.len();
        if count >= 2 {
            return;
        }
        let origin = self
            .key_at(&["owners"])
            .unwrap_or_else(|| self.app.origin.clone());
        self.push_default(Rule::TooFewOwners, origin, Detail::TooFewOwners { count });
    }

    fn permissions(&mut self) {
        let app = self.app;
        let plain = &app.plain;
        let signs_users_in = !plain.web.redirect_uris.is_empty()
            || !plain.spa_redirect_uris.is_empty()
            || !plain.public_client_redirect_uris.is_empty();
        for access in &app.required_resource_access {
            let Some(api) = self.catalog.api(&access.resource.value) else {
                continue;
            };
            for role in &access.roles {
                let value = api
                    .permission(&role.value, PermissionKind::Application)
                    .map_or(role.value.as_str(), |permission| permission.value.as_str());
                if let Some(tier) = self.catalog.privilege_tier(&api.app_id, value) {
                    let severity = match tier {
                        PrivilegeTier::Critical => Severity::Error,
                        PrivilegeTier::High => Severity::Warning,
                    };
                    self.push(
                        Rule::PrivilegedApplicationPermission,
                        severity,
                        role.origin.clone(),
                        Detail::PrivilegedApplicationPermission {
                            resource: access.resource.value.clone(),
                            permission: value.to_owned(),
                            tier,
                        },
                    );
                }
                if access.admin_consent
                    && signs_users_in
                    && api.permission(value, PermissionKind::Delegated).is_some()
                {
                    self.push_default(
                        Rule::ApplicationPermissionWithDelegated,
                        role.origin.clone(),
                        Detail::ApplicationPermissionWithDelegated {
                            resource: access.resource.value.clone(),
                            permission: value.to_owned(),
                        },
                    );
                }
            }
        }
    }

    fn role_assignments(&mut self) {
        for assignment in &self.app.role_assignments {
            let Some(role) = self.catalog.role(&assignment.role.value) else {
                continue;
            };
            if !BROAD_ROLES
                .iter()
                .any(|broad| broad.eq_ignore_ascii_case(&role.role_name))
            {
                continue;
            }
            let Some(breadth) = scope_breadth(&assignment.scope.value) else {
                continue;
            };
            self.push_default(
                Rule::PrivilegedRoleAssignment,
                assignment.role.origin.clone(),
                Detail::PrivilegedRoleAssignment {
                    role: role.role_name.clone(),
                    scope: assignment.scope.value.clone(),
                    breadth,
                },
            );
        }
    }

    fn audience(&mut self, verified_domains: &[String]) {
        let audience = self.app.plain.sign_in_audience.as_str();
        if !matches!(
            audience,
            "AzureADMultipleOrgs" | "AzureADandPersonalMicrosoftAccount"
        ) {
            return;
        }
        let custom_domain = verified_domains
            .iter()
            .any(|domain| !is_initial_domain(domain));
        if custom_domain {
            return;
        }
        let origin = self.value_at(&["signInAudience"]);
        self.push_default(
            Rule::MultiTenantWithoutPublisherDomain,
            origin,
            Detail::MultiTenantWithoutPublisherDomain {
                audience: audience.to_owned(),
            },
        );
    }
}

/// Whether `domain` is a tenant's initial domain (`contoso.onmicrosoft.com`), which cannot be a
/// verified publisher domain.
fn is_initial_domain(domain: &str) -> bool {
    [
        ".onmicrosoft.com",
        ".onmicrosoft.us",
        ".partner.onmschina.cn",
    ]
    .iter()
    .any(|suffix| domain.ends_with(suffix))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// An `http` URI to a host other than the loopback.
fn is_insecure_http(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|url| {
        url.scheme() == "http"
            && !url
                .host_str()
                .is_some_and(|host| LOOPBACK_HOSTS.contains(&host))
    })
}

/// How wide `scope` is when it is a subscription, a management group or the root; `None` below a
/// subscription.
fn scope_breadth(scope: &str) -> Option<ScopeBreadth> {
    let trimmed = scope.trim_end_matches('/');
    if trimmed.is_empty() {
        return Some(ScopeBreadth::Root);
    }
    let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [subscriptions, _] if subscriptions.eq_ignore_ascii_case("subscriptions") => {
            Some(ScopeBreadth::Subscription)
        }
        [providers, namespace, groups, _]
            if providers.eq_ignore_ascii_case("providers")
                && namespace.eq_ignore_ascii_case("Microsoft.Management")
                && groups.eq_ignore_ascii_case("managementGroups") =>
        {
            Some(ScopeBreadth::ManagementGroup)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_breadths() {
        assert_eq!(scope_breadth("/"), Some(ScopeBreadth::Root));
        assert_eq!(
            scope_breadth("/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"),
            Some(ScopeBreadth::Subscription)
        );
        assert_eq!(
            scope_breadth("/providers/Microsoft.Management/managementGroups/platform"),
            Some(ScopeBreadth::ManagementGroup)
        );
        assert_eq!(
            scope_breadth("/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg"),
            None
        );
    }

    #[test]
    fn http_is_insecure_beyond_the_loopback() {
        assert!(is_insecure_http("http://app.contoso.com/cb"));
        assert!(!is_insecure_http("http://localhost:5000/cb"));
        assert!(!is_insecure_http("http://127.0.0.1/cb"));
        assert!(!is_insecure_http("https://app.contoso.com/cb"));
        assert!(!is_insecure_http("myapp://auth"));
    }

    #[test]
    fn only_a_tenant_domain_counts_as_verified() {
        assert_eq!(verified_domains(Some("Contoso.com")), vec!["contoso.com"]);
        assert!(verified_domains(Some("aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e")).is_empty());
        assert!(verified_domains(None).is_empty());
    }
}
