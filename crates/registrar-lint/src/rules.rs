//! The rules: stable ids (`RL001`) and names (`implicit-grant`), a default severity, the one-line
//! why and the link to Microsoft's guidance. `docs/lint.md` describes each one; the ids never
//! change meaning and a removed rule's id is never reused.

use std::fmt;

use serde::Serialize;

/// How bad a finding is. `registrar lint` exits 1 when a finding that is not suppressed is an
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Against the guidance in a way that exposes the tenant: fix it or suppress it with a reason.
    Error,
    /// Worth a second look.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A `# registrar:allow` comment that names no known rule or gives no reason.
    InvalidSuppression,
    /// Implicit grant issues access or ID tokens.
    ImplicitGrant,
    /// A redirect URI with a wildcard.
    RedirectUriWildcard,
    /// A redirect URI over `http` to a host other than the loopback.
    RedirectUriHttp,
    /// A URN redirect URI (`urn:ietf:wg:oauth:2.0:oob`).
    RedirectUriUrn,
    /// More redirect URIs than an application needs.
    RedirectUriCount,
    /// An identifier URI neither `api://{appId}` nor on a verified domain.
    IdentifierUri,
    /// A client secret on an application that already trusts a GitHub or Kubernetes workload.
    SecretWhereFederationWorks,
    /// A secret or certificate on a public client.
    PublicClientCredential,
    /// A client secret that lives longer than the threshold.
    SecretLifetime,
    /// More than two client secrets.
    TooManySecrets,
    /// Fewer than two owners.
    TooFewOwners,
    /// An application permission of the catalog's critical or high privilege tier.
    PrivilegedApplicationPermission,
    /// An admin-consented application permission whose delegated namesake would do.
    ApplicationPermissionWithDelegated,
    /// Owner, Contributor or User Access Administrator at subscription scope or above.
    PrivilegedRoleAssignment,
    /// A multi-tenant audience without a verified publisher domain.
    MultiTenantWithoutPublisherDomain,
}

/// Microsoft's security best practices for application properties.
const BEST_PRACTICES: &str = "https://learn.microsoft.com/entra/identity-platform/security-best-practices-for-app-registration";

impl Rule {
    /// Every rule, in id order.
    pub const ALL: [Rule; 16] = [
        Rule::InvalidSuppression,
        Rule::ImplicitGrant,
        Rule::RedirectUriWildcard,
        Rule::RedirectUriHttp,
        Rule::RedirectUriUrn,
        Rule::RedirectUriCount,
        Rule::IdentifierUri,
        Rule::SecretWhereFederationWorks,
        Rule::PublicClientCredential,
        Rule::SecretLifetime,
        Rule::TooManySecrets,
        Rule::TooFewOwners,
        Rule::PrivilegedApplicationPermission,
        Rule::ApplicationPermissionWithDelegated,
        Rule::PrivilegedRoleAssignment,
        Rule::MultiTenantWithoutPublisherDomain,
    ];

    /// The stable id, `RL000` to `RL015`.
    pub fn id(self) -> &'static str {
        match self {
            Self::InvalidSuppression => "RL000",
            Self::ImplicitGrant => "RL001",
            Self::RedirectUriWildcard => "RL002",
            Self::RedirectUriHttp => "RL003",
            Self::RedirectUriUrn => "RL004",
            Self::RedirectUriCount => "RL005",
            Self::IdentifierUri => "RL006",
            Self::SecretWhereFederationWorks => "RL007",
            Self::PublicClientCredential => "RL008",
            Self::SecretLifetime => "RL009",
            Self::TooManySecrets => "RL010",
            Self::TooFewOwners => "RL011",
            Self::PrivilegedApplicationPermission => "RL012",
            Self::ApplicationPermissionWithDelegated => "RL013",
            Self::PrivilegedRoleAssignment => "RL014",
            Self::MultiTenantWithoutPublisherDomain => "RL015",
        }
    }

    /// The stable name, e.g. `implicit-grant`; a suppression may use it instead of the id.
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidSuppression => "invalid-suppression",
            Self::ImplicitGrant => "implicit-grant",
            Self::RedirectUriWildcard => "redirect-uri-wildcard",
            Self::RedirectUriHttp => "redirect-uri-http",
            Self::RedirectUriUrn => "redirect-uri-urn",
            Self::RedirectUriCount => "redirect-uri-count",
            Self::IdentifierUri => "identifier-uri",
            Self::SecretWhereFederationWorks => "secret-where-federation-works",
            Self::PublicClientCredential => "public-client-credential",
            Self::SecretLifetime => "secret-lifetime",
            Self::TooManySecrets => "too-many-secrets",
            Self::TooFewOwners => "too-few-owners",
            Self::PrivilegedApplicationPermission => "privileged-application-permission",
            Self::ApplicationPermissionWithDelegated => "application-permission-with-delegated",
            Self::PrivilegedRoleAssignment => "privileged-role-assignment",
            Self::MultiTenantWithoutPublisherDomain => "multi-tenant-without-publisher-domain",
        }
    }

    /// The rule with this id or name (case-insensitive).
    pub fn parse(text: &str) -> Option<Rule> {
        Self::ALL.into_iter().find(|rule| {
            rule.id().eq_ignore_ascii_case(text) || rule.name().eq_ignore_ascii_case(text)
        })
    }

    /// The severity of its findings unless a finding says otherwise (documented per rule).
    pub fn default_severity(self) -> Severity {
        match self {
            Self::ImplicitGrant
            | Self::RedirectUriWildcard
            | Self::RedirectUriHttp
            | Self::PublicClientCredential
            | Self::PrivilegedApplicationPermission
            | Self::PrivilegedRoleAssignment => Severity::Error,
            Self::InvalidSuppression
            | Self::RedirectUriUrn
            | Self::RedirectUriCount
            | Self::IdentifierUri
            | Self::SecretWhereFederationWorks
            | Self::SecretLifetime
            | Self::TooManySecrets
            | Self::TooFewOwners
            | Self::ApplicationPermissionWithDelegated
            | Self::MultiTenantWithoutPublisherDomain => Severity::Warning,
        }
    }

    /// Why the rule exists, in one line.
    pub fn why(self) -> &'static str {
        match self {
            Self::InvalidSuppression => {
                "a suppression must name a rule and say why, or it hides nothing and explains nothing"
            }
            Self::ImplicitGrant => {
                "implicit grant returns tokens in the URL, where they leak; use the authorization code flow with PKCE"
            }
            Self::RedirectUriWildcard => {
                "a wildcard lets a token be sent to a page nobody reviewed, and Entra ID refuses them for most platforms"
            }
            Self::RedirectUriHttp => {
                "over http, the authorization code or token crosses the network in clear text"
            }
            Self::RedirectUriUrn => {
                "URN redirect URIs (out-of-band) are deprecated; use the loopback or a platform redirect URI"
            }
            Self::RedirectUriCount => {
                "every redirect URI is a place tokens can be sent; unused ones are attack surface"
            }
            Self::IdentifierUri => {
                "an identifier URI on a domain the tenant has not verified can be claimed by someone else; use api://{appId} or a verified domain"
            }
            Self::SecretWhereFederationWorks => {
                "the workload can sign in through its federated credential; a secret is one more thing to leak and rotate"
            }
            Self::PublicClientCredential => {
                "a public client (desktop, mobile, device code) cannot keep a credential secret; anyone with the app has it"
            }
            Self::SecretLifetime => {
                "a long-lived secret stays useful to whoever copied it; rotate often or use a certificate or federation"
            }
            Self::TooManySecrets => {
                "more than two live secrets means more to leak and usually a forgotten one; keep one, two during a rotation"
            }
            Self::TooFewOwners => {
                "with fewer than two owners, nobody can take over when the owner leaves, and nobody reviews the owner"
            }
            Self::PrivilegedApplicationPermission => {
                "this application permission leads to tenant control or broad write access; grant the least that works"
            }
            Self::ApplicationPermissionWithDelegated => {
                "the application signs users in and a delegated permission of the same name exists; it acts only within the user's own access"
            }
            Self::PrivilegedRoleAssignment => {
                "Owner, Contributor and User Access Administrator over a whole subscription or more give far more than one application needs"
            }
            Self::MultiTenantWithoutPublisherDomain => {
                "users of other tenants see an unverified publisher and may be lured by a look-alike; set a verified publisher domain"
            }
        }
    }

    /// The Microsoft guidance the rule follows.
    pub fn help_uri(self) -> &'static str {
        match self {
            Self::ImplicitGrant => {
                "https://learn.microsoft.com/entra/identity-platform/v2-oauth2-implicit-grant-flow"
            }
            Self::RedirectUriWildcard | Self::RedirectUriHttp | Self::RedirectUriUrn => {
                "https://learn.microsoft.com/entra/identity-platform/reply-url"
            }
            Self::SecretWhereFederationWorks => {
                "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
            }
            Self::PrivilegedApplicationPermission | Self::ApplicationPermissionWithDelegated => {
                "https://learn.microsoft.com/entra/identity-platform/secure-least-privileged-access"
            }
            Self::PrivilegedRoleAssignment => {
                "https://learn.microsoft.com/azure/role-based-access-control/best-practices"
            }
            Self::MultiTenantWithoutPublisherDomain => {
                "https://learn.microsoft.com/entra/identity-platform/publisher-verification-overview"
            }
            Self::InvalidSuppression
            | Self::RedirectUriCount
            | Self::IdentifierUri
            | Self::PublicClientCredential
            | Self::SecretLifetime
            | Self::TooManySecrets
            | Self::TooFewOwners => BEST_PRACTICES,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique_and_parse_back() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
        for (index, rule) in Rule::ALL.into_iter().enumerate() {
            assert_eq!(rule.id(), format!("RL{index:03}"));
            assert_eq!(Rule::parse(rule.id()), Some(rule));
            assert_eq!(Rule::parse(&rule.name().to_uppercase()), Some(rule));
            assert!(rule.help_uri().starts_with("https://learn.microsoft.com/"));
        }
        assert_eq!(Rule::parse("RL999"), None);
    }
}
