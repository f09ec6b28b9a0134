//! What one Graph request costs under the identity and access limits: resource units (RU) from
//! the documented base costs and query modifiers, and whether it counts against the write
//! quota. Computed for every Graph request, whether throttling is on or not (the
//! `x-ms-resource-unit` header and the usage counters need it).

use axum::http::Method;
use serde_json::Value;

use crate::graph::{Key, Route, Side};

/// The RU and writes one Graph request is charged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GraphCost {
    /// Resource units.
    pub(crate) resource_units: u32,
    /// 1 for a POST, PATCH, PUT or DELETE, else 0.
    pub(crate) writes: u32,
    /// A POST, PATCH or DELETE of an application that allows personal Microsoft accounts,
    /// which has a lower write limit of its own.
    pub(crate) personal_account_application_write: bool,
}

/// The cost of one request. `$batch` itself costs nothing: its inner requests are charged one
/// by one as they run.
///
/// Base costs: 2 RU for a GET of applications (the list, `$count` and one application),
/// oauth2PermissionGrants (also a service principal's grants), a service principal's
/// `appRoleAssignments` and users; 1 RU for any other GET; 1 RU and 1 write for a POST, PATCH,
/// PUT or DELETE. Modifiers: `$select` −1, `$expand` +1, `$top` below 20 −1; never below 1.
pub(crate) fn graph_cost(route: &Route, method: &Method, query: &[(String, String)]) -> GraphCost {
    if *route == Route::Batch {
        return GraphCost::default();
    }
    let writes = u32::from(is_write(method));
    let base: i64 = if writes == 1 {
        1
    } else {
        base_read_cost(route)
    };
    // Graph v1.0 takes the system query options with or without their `$`.
    let option = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key.trim_start_matches('$').eq_ignore_ascii_case(name))
    };
    let mut cost = base;
    if option("select").is_some() {
        cost -= 1;
    }
    if option("expand").is_some() {
        cost += 1;
    }
    if option("top")
        .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        .is_some_and(|top| top < 20)
    {
        cost -= 1;
    }
    GraphCost {
        resource_units: u32::try_from(cost.max(1)).unwrap_or(1),
        writes,
        personal_account_application_write: false,
    }
}

/// Whether a request writes (POST, PATCH, DELETE) an application whose `signInAudience` allows
/// personal Microsoft accounts: the audience the body sets, else the stored application's
/// (`stored_audience` looks it up).
pub(crate) fn writes_personal_account_application(
    route: &Route,
    method: &Method,
    body: &[u8],
    stored_audience: impl FnOnce(&Key) -> Option<String>,
) -> bool {
    let key = match route {
        Route::Applications if *method == Method::POST => None,
        Route::Application(key) if [Method::PATCH, Method::DELETE].contains(method) => Some(key),
        _ => return false,
    };
    let sent = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|body| body.get("signInAudience")?.as_str().map(str::to_owned));
    let audience = match (sent, key) {
        (Some(sent), _) => Some(sent),
        (None, Some(key)) => stored_audience(key),
        (None, None) => None,
    };
    audience.is_some_and(|audience| {
        [
            "AzureADandPersonalMicrosoftAccount",
            "PersonalMicrosoftAccount",
        ]
        .iter()
        .any(|personal| personal.eq_ignore_ascii_case(&audience))
    })
}

/// Whether Graph counts the method against the write quota.
fn is_write(method: &Method) -> bool {
    [Method::POST, Method::PATCH, Method::PUT, Method::DELETE].contains(method)
}

/// The documented base cost of a read.
fn base_read_cost(route: &Route) -> i64 {
    match route {
        Route::Applications
        | Route::ApplicationsCount
        | Route::Application(_)
        | Route::Grants
        | Route::Grant(_)
        | Route::ServicePrincipalGrants(_)
        | Route::AppRoleAssignments(_, Side::Principal)
        | Route::AppRoleAssignment(_, Side::Principal, _)
        | Route::Users
        | Route::User(_) => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::{GraphCost, graph_cost, writes_personal_account_application};
    use crate::graph::{Key, Parent, Route, Side};

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn ru(route: &Route, method: &Method, pairs: &[(&str, &str)]) -> u32 {
        graph_cost(route, method, &query(pairs)).resource_units
    }

    #[test]
    fn base_costs_follow_the_documented_table() {
        let id = || Key::Id("x".to_owned());
        for route in [
            Route::Applications,
            Route::Application(id()),
            Route::Grants,
            Route::Grant("g".to_owned()),
            Route::AppRoleAssignments(id(), Side::Principal),
            Route::Users,
        ] {
            assert_eq!(ru(&route, &Method::GET, &[]), 2, "{route:?}");
        }
        for route in [
            Route::ServicePrincipals,
            Route::ServicePrincipal(id()),
            Route::AppRoleAssignments(id(), Side::Resource),
            Route::Owners(Parent::Application(id())),
            Route::Organization,
            Route::DeletedApplications,
        ] {
            assert_eq!(ru(&route, &Method::GET, &[]), 1, "{route:?}");
        }
    }

    #[test]
    fn writes_cost_one_resource_unit_and_one_write() {
        for method in [Method::POST, Method::PATCH, Method::PUT, Method::DELETE] {
            assert_eq!(
                graph_cost(&Route::Applications, &method, &[]),
                GraphCost {
                    resource_units: 1,
                    writes: 1,
                    personal_account_application_write: false,
                },
                "{method}"
            );
        }
        assert_eq!(
            graph_cost(&Route::Applications, &Method::GET, &[]).writes,
            0
        );
    }

    #[test]
    fn modifiers_apply_and_the_minimum_is_one() {
        let apps = Route::Applications;
        assert_eq!(ru(&apps, &Method::GET, &[("$select", "id")]), 1);
        assert_eq!(ru(&apps, &Method::GET, &[("$expand", "owners")]), 3);
        assert_eq!(ru(&apps, &Method::GET, &[("$top", "5")]), 1);
        assert_eq!(ru(&apps, &Method::GET, &[("$top", "20")]), 2);
        assert_eq!(ru(&apps, &Method::GET, &[("$top", "many")]), 2);
        assert_eq!(
            ru(
                &apps,
                &Method::GET,
                &[("$select", "id"), ("$expand", "owners"), ("$top", "999")]
            ),
            2
        );
        assert_eq!(
            ru(&apps, &Method::GET, &[("$select", "id"), ("$top", "1")]),
            1,
            "never below 1"
        );
        assert_eq!(
            ru(
                &Route::ServicePrincipals,
                &Method::GET,
                &[("$select", "id")]
            ),
            1
        );
        assert_eq!(
            ru(
                &apps,
                &Method::GET,
                &[("select", "id"), ("EXPAND", "owners")]
            ),
            2
        );
    }

    #[test]
    fn application_writes_that_allow_personal_accounts_are_recognised() {
        let personal = br#"{"signInAudience": "AzureADandPersonalMicrosoftAccount"}"#;
        let key = Key::Id("x".to_owned());
        let stored = |audience: &'static str| move |_: &Key| Some(audience.to_owned());
        let check = |route: &Route, method: &Method, body: &[u8], audience: &'static str| {
            writes_personal_account_application(route, method, body, stored(audience))
        };
        assert!(check(
            &Route::Applications,
            &Method::POST,
            personal,
            "AzureADMyOrg"
        ));
        assert!(!check(
            &Route::Applications,
            &Method::POST,
            b"{}",
            "PersonalMicrosoftAccount"
        ));
        let app = Route::Application(key);
        assert!(check(
            &app,
            &Method::PATCH,
            b"{}",
            "PersonalMicrosoftAccount"
        ));
        assert!(!check(
            &app,
            &Method::PATCH,
            br#"{"signInAudience": "AzureADMyOrg"}"#,
            "PersonalMicrosoftAccount"
        ));
        assert!(check(
            &app,
            &Method::DELETE,
            b"",
            "PersonalMicrosoftAccount"
        ));
        assert!(!check(
            &app,
            &Method::GET,
            personal,
            "PersonalMicrosoftAccount"
        ));
        assert!(!check(
            &Route::ServicePrincipals,
            &Method::POST,
            personal,
            "x"
        ));
    }

    #[test]
    fn a_batch_costs_nothing_itself() {
        assert_eq!(
            graph_cost(&Route::Batch, &Method::POST, &[]),
            GraphCost::default()
        );
    }
}
