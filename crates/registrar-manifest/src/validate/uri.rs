//! URI rules: redirect URIs per platform, identifier URIs, and informational links.
//!
//! Each function returns the message and hint of the first problem, or `None`.

use registrar_model::APP_ID_PLACEHOLDER;
use url::Url;

/// A problem: message and optional hint.
pub(crate) type Problem = (String, Option<String>);

/// The platform a redirect URI is declared under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
    Web,
    Spa,
    PublicClient,
}

impl Platform {
    fn label(self) -> &'static str {
        match self {
            Self::Web => "web redirect URI",
            Self::Spa => "single-page application redirect URI",
            Self::PublicClient => "public client redirect URI",
        }
    }
}

const LOOPBACK_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

fn is_loopback(url: &Url) -> bool {
    url.host_str()
        .is_some_and(|host| LOOPBACK_HOSTS.contains(&host))
}

fn not_absolute(label: &str, uri: &str) -> Problem {
    (
        format!("{label} `{uri}` is not an absolute URI"),
        Some("write the scheme and host, e.g. `https://app.contoso.com/auth`".to_owned()),
    )
}

/// Rules for a redirect URI on `platform`.
pub(crate) fn redirect_uri_problem(platform: Platform, uri: &str) -> Option<Problem> {
    let label = platform.label();
    let Ok(url) = Url::parse(uri) else {
        return Some(not_absolute(label, uri));
    };
    if url.fragment().is_some() {
        return Some((
            format!("{label} `{uri}` has a fragment (`#…`), which Entra ID does not allow"),
            None,
        ));
    }
    match platform {
        Platform::PublicClient => None,
        Platform::Web | Platform::Spa => match url.scheme() {
            "https" if url.host_str().is_some_and(|host| !host.is_empty()) => None,
            "https" => Some(not_absolute(label, uri)),
            "http" if is_loopback(&url) => None,
            "http" => Some((
                format!("{label} `{uri}` must use https"),
                Some("`http` is allowed only for `localhost` and `127.0.0.1`".to_owned()),
            )),
            _ => Some((
                format!("{label} `{uri}` must use https"),
                Some("custom schemes belong under `publicClient.redirectUris`".to_owned()),
            )),
        },
    }
}

/// Rules for an identifier URI: `api://…` or `https://…`; the `{appId}` placeholder only right
/// after `api://`.
pub(crate) fn identifier_uri_problem(uri: &str) -> Option<Problem> {
    let placeholder_prefix = format!("api://{APP_ID_PLACEHOLDER}");
    let placeholder_count = uri.matches(APP_ID_PLACEHOLDER).count();
    let resolved = if placeholder_count > 0 {
        let after = uri.strip_prefix(&placeholder_prefix);
        let well_placed = placeholder_count == 1
            && after.is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if !well_placed {
            return Some((
                format!("identifier URI `{uri}` uses `{APP_ID_PLACEHOLDER}` out of place"),
                Some(format!(
                    "`{APP_ID_PLACEHOLDER}` may appear only as `api://{APP_ID_PLACEHOLDER}`"
                )),
            ));
        }
        uri.replace(APP_ID_PLACEHOLDER, "00000000-0000-0000-0000-000000000000")
    } else {
        uri.to_owned()
    };
    let Ok(url) = Url::parse(&resolved) else {
        return Some((
            format!("identifier URI `{uri}` is not an absolute URI"),
            Some(format!(
                "write `api://{APP_ID_PLACEHOLDER}` or `api://<name>`"
            )),
        ));
    };
    match url.scheme() {
        "api" | "https" if url.host_str().is_some_and(|host| !host.is_empty()) => None,
        "api" | "https" => Some((format!("identifier URI `{uri}` has no host"), None)),
        _ => Some((
            format!("identifier URI `{uri}` must start with `api://` or `https://`"),
            Some(format!(
                "write `api://{APP_ID_PLACEHOLDER}` or `api://<name>`"
            )),
        )),
    }
}

/// Rules for a link (`homePageUrl`, `logoutUrl`, `info.*`): absolute http or https.
pub(crate) fn link_problem(label: &str, uri: &str) -> Option<Problem> {
    let Ok(url) = Url::parse(uri) else {
        return Some(not_absolute(label, uri));
    };
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|host| !host.is_empty()) => None,
        _ => Some((
            format!("{label} `{uri}` must be an http or https URL"),
            None,
        )),
    }
}

/// Rules for a federated credential issuer: an https URL.
pub(crate) fn issuer_problem(uri: &str) -> Option<Problem> {
    match Url::parse(uri) {
        Ok(url)
            if url.scheme() == "https" && url.host_str().is_some_and(|host| !host.is_empty()) =>
        {
            None
        }
        _ => Some((
            format!("federated credential issuer `{uri}` must be an https URL"),
            Some("e.g. `https://token.actions.githubusercontent.com`".to_owned()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_per_platform() {
        assert_eq!(
            redirect_uri_problem(Platform::Web, "https://app.contoso.com/auth"),
            None
        );
        assert_eq!(
            redirect_uri_problem(Platform::Web, "http://localhost:5000/auth"),
            None
        );
        assert_eq!(
            redirect_uri_problem(Platform::Web, "http://127.0.0.1/auth"),
            None
        );
        assert!(redirect_uri_problem(Platform::Web, "http://app.contoso.com").is_some());
        assert!(redirect_uri_problem(Platform::Web, "myapp://auth").is_some());
        assert!(redirect_uri_problem(Platform::Web, "/signin-oidc").is_some());
        assert!(redirect_uri_problem(Platform::Web, "https://a.com/#x").is_some());
        assert_eq!(
            redirect_uri_problem(Platform::Spa, "http://localhost:3000"),
            None
        );
        assert!(redirect_uri_problem(Platform::Spa, "http://spa.contoso.com").is_some());
        assert_eq!(
            redirect_uri_problem(Platform::PublicClient, "myapp://auth"),
            None
        );
        assert_eq!(
            redirect_uri_problem(
                Platform::PublicClient,
                "ms-appx-web://microsoft.aad.brokerplugin/x"
            ),
            None
        );
        assert_eq!(
            redirect_uri_problem(Platform::PublicClient, "http://localhost"),
            None
        );
        assert!(redirect_uri_problem(Platform::PublicClient, "not a uri").is_some());
    }

    #[test]
    fn identifier_uris() {
        assert_eq!(identifier_uri_problem("api://{appId}"), None);
        assert_eq!(identifier_uri_problem("api://{appId}/dicom"), None);
        assert_eq!(identifier_uri_problem("api://dicom-client"), None);
        assert_eq!(identifier_uri_problem("https://dicom.contoso.com"), None);
        assert!(identifier_uri_problem("https://x/{appId}").is_some());
        assert!(identifier_uri_problem("api://{appId}{appId}").is_some());
        assert!(identifier_uri_problem("urn:dicom").is_some());
        assert!(identifier_uri_problem("dicom").is_some());
    }
}
