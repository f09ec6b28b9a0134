//! One failing manifest per validation rule.

use super::*;

// ---------------------------------------------------------------------------------------------
// one failing manifest per rule

#[test]
fn rule_version_is_one() {
    check(
        "version: 2\nnamespace: test\n",
        expect![[r#"
            error: apps.yaml:1:10: unsupported manifest version `2`
              hint: this Registrar reads `version: 1`

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_namespace_pattern() {
    check(
        "version: 1\nnamespace: Platform_Team\n",
        expect![[r#"
        error: apps.yaml:2:12: namespace `Platform_Team` must be 1-32 of `a-z`, `0-9` and `-`
          hint: e.g. `platform-team`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_required_keys() {
    check(
        "namespace: test\n",
        expect![[r#"
        error: apps.yaml:1:1: missing required key `version`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_application_key_pattern() {
    check(
        "version: 1\nnamespace: test\napplications:\n  Dicom_Client: {}\n",
        expect![[r#"
        error: apps.yaml:4:3: application key `Dicom_Client` must match `[a-z0-9][a-z0-9-]{0,63}`
          hint: e.g. `dicom-client`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_duplicate_keys_in_a_file() {
    check(
        "version: 1\nnamespace: test\napplications:\n  a: {}\n  a: {}\n",
        expect![[r#"
        error: apps.yaml:5:3: duplicate key `a`
          hint: it is first defined at 4:3

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_unknown_keys_with_hints() {
    check_app(
        "web:\n  redirectUri: [https://a.contoso.com]\nsignInAudiance: AzureADMyOrg\n",
        expect![[r#"
        error: apps.yaml:6:7: unknown key `redirectUri`
          hint: did you mean `redirectUris`?
        error: apps.yaml:7:5: unknown key `signInAudiance`
          hint: did you mean `signInAudience`?

        2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_type_mismatch() {
    check_app(
        "identifierUris: api://a\n",
        expect![[r#"
        error: apps.yaml:5:21: expected a list, found the string `api://a`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_sign_in_audience_enum() {
    check_app(
        "signInAudience: AzureADMyOrganization\n",
        expect![[r#"
        error: apps.yaml:5:21: `AzureADMyOrganization` is not one of `AzureADMyOrg`, `AzureADMultipleOrgs`, `AzureADandPersonalMicrosoftAccount` or `PersonalMicrosoftAccount`
          hint: did you mean `AzureADMyOrg`?

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_group_membership_claims_enum() {
    check_app(
        "groupMembershipClaims: Security\n",
        expect![[r#"
        error: apps.yaml:5:28: `Security` is not one of `None`, `SecurityGroup`, `DirectoryRole`, `ApplicationGroup` or `All`
          hint: did you mean `SecurityGroup`?

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_app_id_is_a_guid() {
    check_app(
        "appId: 1234-5678\n",
        expect![[r#"
        error: apps.yaml:5:12: appId `1234-5678` is not a GUID
          hint: an appId looks like `00000000-0000-0000-0000-000000000000`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_identifier_uris() {
    check_app(
        "identifierUris:\n  - urn:dicom\n  - https://x/{appId}\n  - dicom\n  - api://{appId}\n",
        expect![[r#"
        error: apps.yaml:6:9: identifier URI `urn:dicom` must start with `api://` or `https://`
          hint: write `api://{appId}` or `api://<name>`
        error: apps.yaml:7:9: identifier URI `https://x/{appId}` uses `{appId}` out of place
          hint: `{appId}` may appear only as `api://{appId}`
        error: apps.yaml:8:9: identifier URI `dicom` is not an absolute URI
          hint: write `api://{appId}` or `api://<name>`

        3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_braces_in_flow_lists_get_a_hint() {
    check_app(
        "identifierUris: [api://{appId}]\n",
        expect![[r#"
        error: apps.yaml:5:28: invalid YAML: while parsing a flow sequence, expected ',' or ']'
          hint: inside `[…]`, quote values that contain `{` or `}`, e.g. `["api://{appId}"]`

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_identifier_uris_unique_in_the_manifest() {
    check(
        "version: 1\nnamespace: t\napplications:\n  a: { identifierUris: [api://x] }\n  b: { identifierUris: [api://x] }\n",
        expect![[r#"
            error: apps.yaml:5:25: identifier URI `api://x` is also used by `a`
              hint: identifier URIs are unique in a tenant; the other is at apps.yaml:4:25

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_web_redirect_uris() {
    check_app(
        "web:\n  redirectUris:\n    - http://app.contoso.com/auth\n    - https://app.contoso.com/#frag\n    - myapp://auth\n    - /signin\n    - http://localhost:5000/ok\n    - http://127.0.0.1/ok\n",
        expect![[r#"
            error: apps.yaml:7:11: web redirect URI `http://app.contoso.com/auth` must use https
              hint: `http` is allowed only for `localhost` and `127.0.0.1`
            error: apps.yaml:8:11: web redirect URI `https://app.contoso.com/#frag` has a fragment (`#…`), which Entra ID does not allow
            error: apps.yaml:9:11: web redirect URI `myapp://auth` must use https
              hint: custom schemes belong under `publicClient.redirectUris`
            error: apps.yaml:10:11: web redirect URI `/signin` is not an absolute URI
              hint: write the scheme and host, e.g. `https://app.contoso.com/auth`

            4 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_spa_and_public_client_redirect_uris() {
    check_app(
        "spa:\n  redirectUris: [http://spa.contoso.com, http://localhost:3000]\npublicClient:\n  redirectUris: [myapp://auth, ms-appx-web://microsoft.aad.brokerplugin/x, http://localhost, not a uri]\n",
        expect![[r#"
            error: apps.yaml:6:22: single-page application redirect URI `http://spa.contoso.com` must use https
              hint: `http` is allowed only for `localhost` and `127.0.0.1`
            error: apps.yaml:8:98: public client redirect URI `not a uri` is not an absolute URI
              hint: write the scheme and host, e.g. `https://app.contoso.com/auth`

            2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_links_are_absolute_http() {
    check_app(
        "web:\n  homePageUrl: contoso.com\n  logoutUrl: ftp://contoso.com/logout\ninfo:\n  supportUrl: https://contoso.com/support\n  privacyStatementUrl: /privacy\n",
        expect![[r#"
        error: apps.yaml:6:20: homePageUrl `contoso.com` is not an absolute URI
          hint: write the scheme and host, e.g. `https://app.contoso.com/auth`
        error: apps.yaml:7:18: logoutUrl `ftp://contoso.com/logout` must be an http or https URL
        error: apps.yaml:10:28: privacyStatementUrl `/privacy` is not an absolute URI
          hint: write the scheme and host, e.g. `https://app.contoso.com/auth`

        3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_scope_and_role_values() {
    check_app(
        "api:\n  scopes:\n    Read All: {}\n    Dicom.Read: {}\nappRoles:\n    Dicom.Read:\n      allowedMemberTypes: [Application]\n    Role.Ünicode:\n      allowedMemberTypes: []\n",
        expect![[r#"
            error: apps.yaml:7:9: scope value `Read All` contains a space
            error: apps.yaml:10:9: `Dicom.Read` is both a scope and an app role of `a`
              hint: scopes and app roles share one set of values; rename one (the scope is at 8:9)
            error: apps.yaml:12:9: app role value `Role.Ünicode` contains `Ü`, which Graph does not allow
            error: apps.yaml:12:9: app role `Role.Ünicode` has no `allowedMemberTypes`
              hint: write `[Application]`, `[User]` or both

            4 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_scope_value_length() {
    check_app(
        &format!("api:\n  scopes:\n    {}: {{}}\n", "a".repeat(121)),
        expect![[r#"
        error: apps.yaml:7:9: scope value `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` is longer than 120 characters

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_scope_type_and_member_types() {
    check_app(
        "api:\n  scopes:\n    X.Read: { type: Users }\nappRoles:\n  Y.Read:\n    allowedMemberTypes: [App]\n",
        expect![[r#"
        error: apps.yaml:7:25: `Users` is not one of `User` or `Admin`
          hint: did you mean `User`?
        error: apps.yaml:10:30: `App` is not one of `User` or `Application`

        2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_requested_access_token_version() {
    check_app(
        "api:\n  requestedAccessTokenVersion: 3\n",
        expect![[r#"
        error: apps.yaml:6:36: `requestedAccessTokenVersion` is `3`; it must be 1 or 2
          hint: 2 is the current token format

        1 error in 1 file; nothing was changed"#]],
    );
    check_app(
        "signInAudience: PersonalMicrosoftAccount\napi:\n  requestedAccessTokenVersion: 1\n",
        expect![[r#"
            error: apps.yaml:7:36: `requestedAccessTokenVersion` must be 2 when `signInAudience` is `PersonalMicrosoftAccount`
              hint: personal Microsoft accounts only get v2 access tokens

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_pre_authorized_and_known_clients() {
    check_app(
        "api:\n  knownClientApplications: [viewer, 00000000-0000-0000-0000-000000000001]\n  preAuthorizedApplications:\n    - app: viewr\n      scopes: [Dicom.Read]\n    - app: a\n      scopes: [Dicom.Raed]\n  scopes:\n    Dicom.Read: {}\n",
        expect![[r#"
            error: apps.yaml:6:33: known client application `viewer` is neither an application of this manifest nor an appId
              hint: name an application key of this manifest or an appId GUID
            error: apps.yaml:8:16: pre-authorized application `viewr` is neither an application of this manifest nor an appId
              hint: name an application key of this manifest or an appId GUID
            error: apps.yaml:11:20: `Dicom.Raed` is not a scope `a` exposes
              hint: did you mean `Dicom.Read`?

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_permission_kinds_on_catalog_apis() {
    check_app(
        "requiredResourceAccess:\n  - resource: Microsoft Graph\n    scopes: [Application.ReadWrite.OwnedBy, user.read, User.Read]\n    roles: [User.Read, Directory.Read.All, Sites.Raed.All]\n",
        expect![[r#"
            error: apps.yaml:7:18: `Application.ReadWrite.OwnedBy` is an application permission of Microsoft Graph, not a delegated permission
              hint: move it to `roles`
            error: apps.yaml:7:49: `user.read` is not a delegated permission of Microsoft Graph
              hint: did you mean `User.Read`?
            error: apps.yaml:7:60: `User.Read` is requested twice on `Microsoft Graph`
            error: apps.yaml:8:17: `User.Read` is a delegated permission of Microsoft Graph, not an application permission
              hint: move it to `scopes`, or use the application permission `User.Read.All`
            error: apps.yaml:8:48: `Sites.Raed.All` is not an application permission of Microsoft Graph
              hint: did you mean `Sites.Read.All`?

            5 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_permission_guids_on_catalog_apis() {
    check_app(
        "requiredResourceAccess:\n  - resource: 00000003-0000-0000-c000-000000000000\n    scopes: [e1fe6dd8-ba31-4d61-89e7-88639da4683d, 7ab1d382-f21e-4acd-a863-ba3e13f7da61, e1fe6dd8-ba31-4d61-89e7]\n    roles: [11111111-2222-3333-4444-555555555555]\n",
        expect![[r#"
            error: apps.yaml:7:56: `7ab1d382-f21e-4acd-a863-ba3e13f7da61` (`Directory.Read.All`) is an application permission of Microsoft Graph, not a delegated permission
              hint: move it to `roles`
            error: apps.yaml:7:94: permission `e1fe6dd8-ba31-4d61-89e7` is not a valid GUID

            2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_resources_resolve_and_appear_once() {
    check_app(
        "requiredResourceAccess:\n  - resource: Microsoft Graph\n    scopes: [User.Read]\n  - resource: 00000003-0000-0000-c000-000000000000\n    scopes: [Mail.Read]\n  - resource: Microsoft Grahp\n    scopes: [X]\n  - resource: 12345678-aaaa-bbbb-cccc-1234567890ab\n    scopes: [Anything.Goes]\n  - resource: Azure Resource Manager\n    scopes: [user_impersonation]\n  - resource: Azure Key Vault\n",
        expect![[r#"
            error: apps.yaml:8:19: resource `00000003-0000-0000-c000-000000000000` is listed twice
              hint: it is first listed at 6:19; merge the two entries
            error: apps.yaml:10:19: unknown resource `Microsoft Grahp`
              hint: did you mean `Microsoft Graph`?
            warning: apps.yaml:16:19: no permissions are requested on `Azure Key Vault`

            2 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_permissions_on_manifest_applications() {
    check(
        "version: 1\nnamespace: t\napplications:\n  api:\n    api:\n      scopes: { Data.Read: {} }\n    appRoles:\n      Data.Write: { allowedMemberTypes: [User] }\n      Data.All: { allowedMemberTypes: [Application] }\n  client:\n    requiredResourceAccess:\n      - resource: api\n        scopes: [Data.Read, Data.All, Data.Raed]\n        roles: [Data.Write, Data.Read, Data.All, Nope]\n",
        expect![[r#"
            error: apps.yaml:13:29: `Data.All` is an app role of `api`, not a scope
              hint: move it to `roles`
            error: apps.yaml:13:39: `api` does not expose a scope `Data.Raed`
              hint: did you mean `Data.Read`?
            error: apps.yaml:14:17: app role `Data.Write` of `api` cannot be assigned to applications
              hint: add `Application` to its `allowedMemberTypes` in `api`
            error: apps.yaml:14:29: `Data.Read` is a scope of `api`, not an app role
              hint: move it to `scopes`
            error: apps.yaml:14:50: `api` does not define an app role `Nope`
              hint: `api` declares its roles under `appRoles`

            5 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_required_resource_access_limits() {
    let mut body = "requiredResourceAccess:\n".to_owned();
    for index in 0..51 {
        body.push_str(&format!(
            "  - resource: 00000000-0000-0000-0000-{index:012}\n    scopes:\n"
        ));
        for permission in 0..8 {
            body.push_str(&format!("      - P{permission}\n"));
        }
    }
    let result = render(load_str(
        Path::new("apps.yaml"),
        &format!(
            "version: 1\nnamespace: test\napplications:\n  a:\n{}",
            body.lines()
                .map(|line| format!("    {line}\n"))
                .collect::<String>()
        ),
        &env,
    ));
    expect![[r#"
        error: apps.yaml:506:19: `a` requests permissions on more than 50 resources
          hint: Graph allows at most 50 resources in `requiredResourceAccess`
        error: apps.yaml:508:13: `a` requests more than 400 permissions
          hint: Graph allows at most 400 permissions in `requiredResourceAccess`

        2 errors in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn rule_secret_durations() {
    check_app(
        "secrets:\n  a:\n    lifetime: 6mo\n    store: { keyVault: { vault: kv-a, name: a } }\n  b:\n    lifetime: 30d\n    rotateBefore: 30d\n    overlap: 31d\n    store: { keyVault: { vault: kv-a, name: b } }\n  c:\n    lifetime: 90m\n    rotateBefore: 1m\n    store: { keyVault: { vault: kv-a, name: c } }\n  d:\n    lifetime: 0d\n    store: { keyVault: { vault: kv-a, name: d } }\n",
        expect![[r#"
            error: apps.yaml:7:19: `6mo` is not a duration
              hint: years and months vary in length; write days, e.g. `365d` or `P365D`
            error: apps.yaml:11:23: secret `b` rotates 30d before expiry, which is not less than its lifetime of 30d
              hint: `rotateBefore` must be shorter than `lifetime`, or every run would rotate
            error: apps.yaml:12:18: secret `b` overlaps 31d, which is not less than its lifetime of 30d
            warning: apps.yaml:15:19: `90m` for `lifetime` means 90 minutes
              hint: `m` is minutes; write days as `d`, e.g. `180d`
            warning: apps.yaml:16:23: `1m` for `rotateBefore` means 1 minute
              hint: `m` is minutes; write days as `d`, e.g. `180d`
            error: apps.yaml:19:19: secret `d` has a zero lifetime

            4 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_default_durations() {
    check(
        "version: 1\nnamespace: t\ndefaults:\n  secretLifetime: 20d\n  rotateBefore: 1y\napplications:\n  a:\n    secrets:\n      s: { store: { keyVault: { vault: kv-a, name: s } } }\n",
        expect![[r#"
            error: apps.yaml:5:17: `1y` is not a duration
              hint: years and months vary in length; write days, e.g. `365d` or `P365D`

            1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\ndefaults:\n  secretLifetime: 20d\napplications:\n  a:\n    secrets:\n      s: { store: { keyVault: { vault: kv-a, name: s } } }\n",
        expect![[r#"
            error: apps.yaml:8:7: secret `s` rotates 30d before expiry, which is not less than its lifetime of 20d
              hint: `rotateBefore` must be shorter than `lifetime`, or every run would rotate

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_secret_stores() {
    check_app(
        "secrets:\n  none:\n    store: {}\n  both:\n    store:\n      keyVault: { vault: kv-a, name: both }\n      file: { path: both.json }\n  vault:\n    store: { keyVault: { vault: 1kv--x, name: dicom_client } }\n  empty:\n    store: { file: { path: '' } }\n  format:\n    store: { file: { path: x.env, format: dotenv } }\n  same-a:\n    store: { keyVault: { vault: kv-a, name: shared } }\n  same-b:\n    store: { keyVault: { vault: KV-A, name: Shared } }\n",
        expect![[r#"
            error: apps.yaml:7:16: secret `none` has no store
              hint: add `keyVault: { vault: …, name: … }` or `file: { path: … }`
            error: apps.yaml:10:11: secret `both` has more than one store
              hint: keep exactly one of `keyVault` and `file`
            error: apps.yaml:13:37: Key Vault name `1kv--x` must start with a letter
            error: apps.yaml:13:51: Key Vault secret name `dicom_client` must be 1-127 letters, digits and hyphens
              hint: e.g. `dicom-client`
            error: apps.yaml:15:32: secret `empty` has an empty file path
            error: apps.yaml:17:47: `dotenv` is not one of `json`, `env` or `raw`
            error: apps.yaml:21:16: secret `same-b` of `a` is delivered to the same store as secret `same-a` of `a`
              hint: secret `same-a` of `a` is at apps.yaml:19:16; give each secret its own store

            7 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_certificates() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("key.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("junk.der"), b"\x30\x03\x02\x01\x01").expect("write");
    std::fs::copy(
        workspace_root().join("examples/directory-export/certs/directory-export.pem"),
        dir.path().join("ok.pem"),
    )
    .expect("copy");
    let manifest = dir.path().join("apps.yaml");
    std::fs::write(
        &manifest,
        "version: 1\nnamespace: t\napplications:\n  a:\n    certificates:\n      missing: { file: certs/missing.pem }\n      key: { file: key.pem }\n      junk: { file: junk.der }\n      ok: { file: ok.pem }\n",
    )
    .expect("write");
    let shown = manifest.display().to_string();
    let result = render(load(std::slice::from_ref(&manifest), &env)).replace(&shown, "apps.yaml");
    expect![[r#"
        error: apps.yaml:6:24: certificate `missing`: cannot read `certs/missing.pem`: no such file
        error: apps.yaml:7:20: certificate `key`: `key.pem` holds a private key
          hint: keep only the public certificate in the repository, e.g. `openssl x509 -in key.pem -out cert.pem`
        error: apps.yaml:8:21: certificate `junk`: `junk.der` is not an X.509 certificate (PEM or DER)

        3 errors in 1 file; nothing was changed"#]].assert_eq(&result);
}

#[test]
fn certificate_is_read_into_desired_state() {
    let manifest = workspace_root().join("examples/directory-export/manifest.yaml");
    let loaded = load(&[manifest], &env).expect("loads");
    let certificate = &loaded.desired.applications[0].certificates[0];
    assert_eq!(certificate.file, "certs/directory-export.pem");
    // The loader says which files it read, certificates included (saved plans hash them).
    assert_eq!(loaded.files.len(), 1);
    assert_eq!(loaded.certificate_files.len(), 1);
    assert!(
        loaded.certificate_files[0]
            .ends_with("examples/directory-export/certs/directory-export.pem"),
        "{:?}",
        loaded.certificate_files
    );
    assert!(certificate.not_before < certificate.not_after);
    let der = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &certificate.der_base64,
    )
    .expect("base64");
    let thumbprint = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &certificate.thumbprint_base64,
    )
    .expect("base64");
    assert_eq!(thumbprint.len(), 20);
    assert_eq!(
        thumbprint,
        <sha1::Sha1 as sha1::Digest>::digest(&der).to_vec()
    );
}

#[test]
fn rule_federated_credentials() {
    check_app(
        "federatedCredentials:\n  github/main:\n    issuer: http://token.actions.githubusercontent.com\n    subject: repo:contoso/x:ref:refs/heads/main\n    audiences: [api://AzureADTokenExchange, api://other]\n  copy:\n    issuer: http://token.actions.githubusercontent.com\n    subject: repo:contoso/x:ref:refs/heads/main\n",
        expect![[r#"
            error: apps.yaml:6:7: federated credential name `github/main` is not URL-safe (use letters, digits, `-`, `.`, `_` and `~`)
            error: apps.yaml:7:17: federated credential issuer `http://token.actions.githubusercontent.com` must be an https URL
              hint: e.g. `https://token.actions.githubusercontent.com`
            error: apps.yaml:9:20: federated credential `github/main` has 2 audiences; Graph takes exactly one
              hint: use `[api://AzureADTokenExchange]`, the default, unless the issuer says otherwise
            error: apps.yaml:10:7: federated credential `copy` has the same issuer and subject as `github/main`
              hint: Graph requires each (issuer, subject) pair once per application
            error: apps.yaml:11:17: federated credential issuer `http://token.actions.githubusercontent.com` must be an https URL
              hint: e.g. `https://token.actions.githubusercontent.com`

            5 errors in 1 file; nothing was changed"#]],
    );
    check_app(
        &format!(
            "federatedCredentials:\n  long:\n    issuer: https://issuer.example.com\n    subject: {}\n",
            "s".repeat(601)
        ),
        expect![[r#"
            error: apps.yaml:8:18: federated credential subject is 601 characters long; Graph allows at most 600

            1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_federated_credentials_limit() {
    let mut body = "federatedCredentials:\n".to_owned();
    for index in 0..21 {
        body.push_str(&format!(
            "  c{index}:\n    issuer: https://issuer.example.com\n    subject: s{index}\n"
        ));
    }
    check_app(
        &body,
        expect![[r#"
        error: apps.yaml:66:7: `a` has more than 20 federated credentials
          hint: Graph allows at most 20 per application

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_role_assignments() {
    check_app(
        "roleAssignments:\n  - role: Reeder\n    scope: /subscription/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001\n  - role: Platform Custom Deployer\n    scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg.\n  - role: acdd72a7-3385-48ef-bd42-f606fba81ae7\n    scope: /providers/Microsoft.Management/managementGroups/mg-1\n  - role: reader\n    scope: /providers/Microsoft.Management/managementGroups/mg-1\n",
        expect![[r#"
            error: apps.yaml:6:15: `Reeder` is not a built-in role
              hint: did you mean `Reader`?
            error: apps.yaml:7:16: role assignment scope `/subscription/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001` is not an ARM resource id
              hint: did you mean `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001`?
            error: apps.yaml:9:16: role assignment scope `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg.` is not an ARM resource id
              hint: resource group name `rg.` is not valid (1-90 letters, digits, `-_.()`, not ending with `.`)

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_owners_and_tags() {
    check(
        "version: 1\nnamespace: t\ndefaults:\n  owners: [alice]\n  tags: [registrar:mine]\napplications:\n  a:\n    owners: [00000000-0000-0000-0000-00000000000x, bob@contoso.com]\n    tags: [ok]\n",
        expect![[r#"
            error: apps.yaml:4:12: owner `alice` is neither a user principal name nor an object id
              hint: write a UPN like `alice@contoso.com` or an object id GUID
            error: apps.yaml:5:10: tag `registrar:mine` uses the reserved prefix `registrar:`
              hint: Registrar adds its marker tag `registrar:<namespace>` itself
            error: apps.yaml:8:14: owner `00000000-0000-0000-0000-00000000000x` is neither a user principal name nor an object id
              hint: write a UPN like `alice@contoso.com` or an object id GUID

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_service_principal_needed() {
    check_app(
        "servicePrincipal: false\nrequiredResourceAccess:\n  - resource: Microsoft Graph\n    roles: [User.Read.All]\n    adminConsent: true\nroleAssignments:\n  - role: Reader\n    scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e\n",
        expect![[r#"
            error: apps.yaml:7:19: `a` asks for admin consent but has no service principal
              hint: consent is granted to the service principal; remove `servicePrincipal: false` (at apps.yaml:5:23)
            error: apps.yaml:11:15: `a` has role assignments but no service principal
              hint: role assignments are granted to the service principal; remove `servicePrincipal: false` (at apps.yaml:5:23)

            2 errors in 1 file; nothing was changed"#]],
    );
    check_app(
        "servicePrincipal: [x]\n",
        expect![[r#"
        error: apps.yaml:5:23: expected a mapping, found a list

        1 error in 1 file; nothing was changed"#]],
    );
    check_app(
        "servicePrincipal: { appRoleAssignmentRequired: true, tagz: [] }\n",
        expect![[r#"
        error: apps.yaml:5:58: unknown key `tagz`
          hint: did you mean `tags`?

        1 error in 1 file; nothing was changed"#]],
    );
}

#[test]
fn rule_scopes_are_not_paths() {
    check_app(
        "roleAssignments:\n  - role: Reader\n    scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/providers/Microsoft.X/a/b/../../../../subscriptions/bbbb0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e\n  - role: Reader\n    scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001/\n  - role: Reader\n    scope: /subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e//resourceGroups/rg-001\n",
        expect![[r#"
            error: apps.yaml:7:16: role assignment scope `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/providers/Microsoft.X/a/b/../../../../subscriptions/bbbb0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e` is not an ARM resource id
              hint: remove the `.` and `..` segments: a scope is an ARM resource id, not a path, and is used as written
            error: apps.yaml:9:16: role assignment scope `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001/` is not an ARM resource id
              hint: remove the trailing `/`: `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourceGroups/rg-001`
            error: apps.yaml:11:16: role assignment scope `/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e//resourceGroups/rg-001` is not an ARM resource id
              hint: remove the empty segment (`//`)

            3 errors in 1 file; nothing was changed"#]],
    );
}
