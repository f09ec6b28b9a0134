//! Creates that carry their application's owners and certificates, and their service
//! principal's owners, in one write.

use super::*;

/// [`create_plan`] with a certificate change and a service principal owner added.
fn create_plan_with_certificate_and_sp_owner() -> Plan {
    let mut plan = create_plan();
    let app = Address::application("api");
    let sp = Address::component("api", Component::ServicePrincipal);
    plan.changes.push(change(
        Address::component(
            "api",
            Component::Certificate {
                name: "signing".to_owned(),
                instance: None,
            },
        ),
        Action::Create,
        vec![app],
        vec![Operation::SetCertificates {
            application: planned("api"),
            certificates: vec![KeyCredential {
                key_id: "k".to_owned(),
                display_name: Some("signing".to_owned()),
                key_type: "AsymmetricX509Cert".to_owned(),
                usage: "Verify".to_owned(),
                custom_key_identifier: None,
                start: None,
                end: None,
                key: Some("MIIB".to_owned()),
            }],
        }],
    ));
    plan.changes.push(change(
        Address::component("api", Component::ServicePrincipalOwner("bob".to_owned())),
        Action::Create,
        vec![sp],
        vec![Operation::AddServicePrincipalOwner {
            service_principal: planned_sp("api"),
            owner_id: "bob-id".to_owned(),
        }],
    ));
    plan
}

#[test]
fn creates_carry_owners_and_certificates_in_one_write() {
    let plan = create_plan_with_certificate_and_sp_owner();
    // One by one: every owner and the certificate list cost a write of their own.
    let one_by_one = FakeTenant::default();
    let (report, _) = run(&plan, &one_by_one);
    assert!(report.is_success());
    let mut calls = one_by_one.calls();
    calls.sort();
    assert!(
        calls.contains(&"add_owner id-ns.api alice-id".to_owned()),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|call| call.starts_with("set_certificates")),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|call| call.starts_with("add_service_principal_owner")),
        "{calls:?}"
    );
    // Carried by the creates: three writes fewer, the same report.
    let carrying = FakeTenant {
        binds_extras: true,
        ..FakeTenant::default()
    };
    let (carried_report, events) = run(&plan, &carrying);
    assert!(carried_report.is_success());
    assert_eq!(carried_report.succeeded(), report.succeeded());
    assert_eq!(
        (carried_report.tally.add, carried_report.tally.change),
        (report.tally.add, report.tally.change)
    );
    let calls = carrying.calls();
    assert_eq!(calls.len() + 3, one_by_one.calls().len(), "{calls:?}");
    assert_eq!(
        calls[0],
        "create_application ns.api owners=[\"alice-id\"] certificates=1"
    );
    assert!(
        calls.contains(&"create_service_principal appid-ns.api owners=[\"bob-id\"]".to_owned()),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|call| call.starts_with("add_owner")
            || call.starts_with("set_certificates")
            || call.starts_with("add_service_principal_owner")),
        "{calls:?}"
    );
    let owner = Address::component("api", Component::Owner("alice@contoso.com".to_owned()));
    let certificate = Address::component(
        "api",
        Component::Certificate {
            name: "signing".to_owned(),
            instance: None,
        },
    );
    for address in [owner, certificate] {
        assert!(
            events.contains(&format!("ok {address}")),
            "{address}: {events:?}"
        );
    }
}

#[test]
fn a_failed_create_skips_what_it_carried() {
    let tenant = FakeTenant {
        binds_extras: true,
        fail_on: vec!["create_application"],
        ..FakeTenant::default()
    };
    let (report, events) = run(&create_plan_with_certificate_and_sp_owner(), &tenant);
    assert_eq!(report.succeeded(), 0);
    assert_eq!(report.failures().count(), 1);
    let owner = Address::component("api", Component::Owner("alice@contoso.com".to_owned()));
    assert!(
        events
            .iter()
            .any(|event| event.starts_with(&format!("skipped {owner}"))),
        "{events:?}"
    );
}
