//! `Microsoft.Resources` subscriptions and tenants, as much as a sign-in reads (`az login` lists
//! both, `az account show` reads one): `GET /subscriptions`, `GET /subscriptions/{id}` and
//! `GET /tenants` (api-version 2022-12-01 shapes).
//!
//! The subscriptions are those of [`crate::ArmOptions::subscriptions`] (one by default). As in
//! Azure, a caller sees a subscription only while it holds a role assignment at, above or below
//! it; the seeded automation client, Owner at the tenant root, sees them all. Subscriptions are
//! not resources here: they cannot be created, renamed or cancelled, and role assignments may
//! still be made under any GUID subscription.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Ctx, arm_error, scope_contains};
use crate::api::{ApiResponse, Reply};
use crate::state::{AUTOMATION_CLIENT_ID, DEFAULT_DOMAIN, Tenant, VERIFIED_DOMAINS};
use crate::{ArmSubscription, auth::Claims};

/// The tenant's display name (as `GET /organization` names it).
const TENANT_DISPLAY_NAME: &str = "Contoso";

/// Whether the caller holds a role reaching into the subscription (at, above or below it).
fn visible_to(tenant: &Tenant, subscription: &ArmSubscription, claims: Option<&Claims>) -> bool {
    let Some(claims) = claims else {
        return false;
    };
    if claims.appid.eq_ignore_ascii_case(AUTOMATION_CLIENT_ID) {
        return true;
    }
    let scope = format!("/subscriptions/{}", subscription.id);
    tenant.role_assignments.values().any(|assignment| {
        assignment.principal_id.eq_ignore_ascii_case(&claims.oid)
            && (scope_contains(&assignment.scope, &scope)
                || scope_contains(&scope, &assignment.scope))
    })
}

/// One subscription as `Subscriptions_List` / `Subscriptions_Get` answer it.
fn subscription_body(tenant: &Tenant, subscription: &ArmSubscription) -> Value {
    json!({
        "id": format!("/subscriptions/{}", subscription.id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": subscription.id,
        "tenantId": tenant.tenant_id,
        "displayName": subscription.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

/// `GET /subscriptions`: the subscriptions the caller can see.
pub(super) fn list(tenant: &Tenant, ctx: &Ctx<'_>) -> ApiResponse {
    let claims = ctx.request.claims.as_ref();
    let value: Vec<Value> = ctx
        .options
        .subscriptions
        .iter()
        .filter(|subscription| visible_to(tenant, subscription, claims))
        .map(|subscription| subscription_body(tenant, subscription))
        .collect();
    let count = value.len();
    ApiResponse::ok(json!({
        "value": value,
        "count": { "type": "Total", "value": count },
    }))
}

/// `GET /subscriptions/{id}`: 404 `SubscriptionNotFound` for one the caller cannot see, as Azure
/// answers for one that does not exist.
pub(super) fn get(tenant: &Tenant, id: &str, ctx: &Ctx<'_>) -> Reply {
    let claims = ctx.request.claims.as_ref();
    ctx.options
        .subscriptions
        .iter()
        .find(|subscription| {
            subscription.id.eq_ignore_ascii_case(id) && visible_to(tenant, subscription, claims)
        })
        .map(|subscription| ApiResponse::ok(subscription_body(tenant, subscription)))
        .ok_or_else(|| {
            arm_error(
                StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                &format!("The subscription '{id}' could not be found."),
            )
        })
}

/// `GET /tenants`: the local tenant, with its verified domains.
pub(super) fn tenants(tenant: &Tenant) -> ApiResponse {
    ApiResponse::ok(json!({
        "value": [{
            "id": format!("/tenants/{}", tenant.tenant_id),
            "tenantId": tenant.tenant_id,
            "countryCode": "US",
            "displayName": TENANT_DISPLAY_NAME,
            "domains": VERIFIED_DOMAINS,
            "tenantCategory": "Home",
            "defaultDomain": DEFAULT_DOMAIN,
            "tenantType": "AAD",
        }],
    }))
}
