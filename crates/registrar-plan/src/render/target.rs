//! The target of a plan or apply: which tenant (id and default domain) and which signed-in
//! client, shown atop every text and Markdown plan so a reviewer sees where it will be applied,
//! and carried by the JSON plan as `target`.
//!
//! The CLI prints the header before the plan itself; the Markdown header fits in the room
//! [`super::markdown`] leaves under [`super::COMMENT_LIMIT`].

use registrar_model::LiveTenant;
use serde::{Deserialize, Serialize};

/// The target of a plan: the JSON plan's `target` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetDocument {
    /// The tenant id.
    pub tenant_id: String,
    /// The tenant's default verified domain, when the credential could read it.
    #[serde(default)]
    pub default_domain: Option<String>,
    /// The signed-in client, when the token names it.
    #[serde(default)]
    pub signed_in: Option<SignedInDocument>,
}

/// The signed-in principal of a [`TargetDocument`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInDocument {
    /// The client's appId.
    pub app_id: String,
    /// The principal's object id.
    pub object_id: String,
    /// Its display name, when known.
    #[serde(default)]
    pub display_name: Option<String>,
}

impl TargetDocument {
    /// The target a snapshot was read from.
    pub fn of(live: &LiveTenant) -> Self {
        Self {
            tenant_id: live.tenant_id.clone(),
            default_domain: live.default_domain.clone(),
            signed_in: live.signed_in.as_ref().map(|client| SignedInDocument {
                app_id: client.app_id.clone(),
                object_id: client.object_id.clone(),
                display_name: client.display_name.clone(),
            }),
        }
    }
}

fn domain_text(target: &TargetDocument) -> String {
    match &target.default_domain {
        Some(domain) => domain.clone(),
        None => "default domain unknown".to_owned(),
    }
}

fn client_text(target: &TargetDocument, code: fn(&str) -> String) -> String {
    match &target.signed_in {
        Some(client) => {
            let app_id = if client.app_id.is_empty() {
                format!("object id {}", code(&client.object_id))
            } else {
                format!("appId {}", code(&client.app_id))
            };
            match &client.display_name {
                Some(name) => format!("{name} ({app_id})"),
                None => app_id,
            }
        }
        None => "unknown (the access token does not say)".to_owned(),
    }
}

/// The header of a text plan or apply: two lines and a blank one.
pub fn target_text(target: &TargetDocument) -> String {
    format!(
        "Tenant:    {} ({})\nSigned in: {}\n\n",
        target.tenant_id,
        domain_text(target),
        client_text(target, str::to_owned)
    )
}

/// The header of a Markdown plan: one line and a blank one.
pub fn target_markdown(target: &TargetDocument) -> String {
    format!(
        "**Tenant:** `{}` ({}) · **Signed in as:** {}\n\n",
        target.tenant_id,
        domain_text(target),
        client_text(target, |text| format!("`{text}`"))
    )
}

#[cfg(test)]
mod tests {
    use registrar_model::SignedInClient;

    use super::*;

    #[test]
    fn the_header_names_the_tenant_and_the_client() {
        let live = LiveTenant {
            tenant_id: "t-1".to_owned(),
            default_domain: Some("contoso.onmicrosoft.com".to_owned()),
            signed_in: Some(SignedInClient {
                object_id: "o-1".to_owned(),
                app_id: "a-1".to_owned(),
                display_name: Some("Pipeline".to_owned()),
                graph_roles: Vec::new(),
            }),
            ..LiveTenant::default()
        };
        let target = TargetDocument::of(&live);
        assert_eq!(
            target_text(&target),
            "Tenant:    t-1 (contoso.onmicrosoft.com)\nSigned in: Pipeline (appId a-1)\n\n"
        );
        assert_eq!(
            target_markdown(&target),
            "**Tenant:** `t-1` (contoso.onmicrosoft.com) · **Signed in as:** Pipeline (appId `a-1`)\n\n"
        );
        let unknown = TargetDocument {
            tenant_id: "t-1".to_owned(),
            ..TargetDocument::default()
        };
        assert_eq!(
            target_text(&unknown),
            "Tenant:    t-1 (default domain unknown)\nSigned in: unknown (the access token does not say)\n\n"
        );
    }
}
