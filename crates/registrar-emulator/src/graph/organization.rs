//! `GET /organization`: the tenant itself, as Graph lists it (a collection of one), with its
//! verified domains. The initial `contoso.onmicrosoft.com` domain is the default one, as in a
//! tenant nobody has given a custom default domain; `contoso.com` is verified but not default.

use serde_json::{Value, json};

use super::{Ctx, applications};
use crate::api::{ApiResponse, Reply};
use crate::odata;
use crate::state::{DEFAULT_DOMAIN, Tenant, VERIFIED_DOMAINS};

/// The organization object of the local tenant.
fn organization(tenant: &Tenant) -> Value {
    let domains: Vec<Value> = VERIFIED_DOMAINS
        .iter()
        .map(|name| {
            let initial = name.eq_ignore_ascii_case(DEFAULT_DOMAIN);
            json!({
                "capabilities": if initial { "Email, OfficeCommunicationsOnline" } else { "Email" },
                "isDefault": initial,
                "isInitial": initial,
                "name": name,
                "type": "Managed",
            })
        })
        .collect();
    json!({
        "id": tenant.tenant_id,
        "deletedDateTime": null,
        "businessPhones": [],
        "city": null,
        "country": null,
        "countryLetterCode": "US",
        "createdDateTime": "2016-01-01T00:00:00Z",
        "displayName": "Contoso",
        "onPremisesSyncEnabled": null,
        "preferredLanguage": "en",
        "tenantType": "AAD",
        "technicalNotificationMails": [],
        "verifiedDomains": domains,
    })
}

/// `GET /organization[?$select=…]`.
pub(super) fn list(tenant: &Tenant, ctx: &Ctx<'_>) -> Reply {
    let object = organization(tenant);
    let select = applications::single_select(ctx);
    if let Some(select) = &select {
        odata::check_select(select, &object, "microsoft.graph.organization")?;
    }
    let object = odata::apply_select(object, select.as_deref());
    Ok(ApiResponse::ok(json!({
        "@odata.context": odata::context(&ctx.request.base, "organization", select.as_deref(), false),
        "value": [object],
    })))
}
