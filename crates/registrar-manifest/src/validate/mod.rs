//! Offline validation: every rule of `manifest.md` that needs no tenant data.
//!
//! [`validate`] walks all files of a manifest at once (so rules across files, like a key
//! defined twice or two secrets sharing a store, are checked) and returns every diagnostic it
//! finds; it never stops at the first. Besides the diagnostics it returns each application
//! with what it parsed while checking it ([`Validated`]: durations, defaults merged, and
//! secret stores), so `convert` never parses a value again. It does no I/O. Rules that need
//! the tenant (owner UPNs, custom role names, permissions of APIs outside the catalog, other
//! applications' appIds) are the planner's.
//!
//! Submodules hold the rules by subject: [`names`] (identifiers and ARM scopes), [`uri`],
//! [`permissions`] (`requiredResourceAccess` against the catalog and this manifest) and
//! [`credentials`] (secrets, certificates, federated credentials, role assignments).

pub(crate) mod credentials;
pub(crate) mod names;
mod permissions;
pub(crate) mod uri;

use std::collections::HashMap;

use registrar_model::{Guid, Located};

use crate::defaults::DefaultDurations;
use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::file::ManifestFile;
use crate::types::{Api, Application, Defaults, Manifest, ServicePrincipal};
use crate::validated::{Validated, ValidatedApplication, ValidatedSecret};

/// The diagnostics found so far.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// Every application of the manifest that deserialized, for rules that look across them.
pub(crate) struct Apps<'a> {
    entries: Vec<(&'a Located<String>, &'a Application)>,
}

impl<'a> Apps<'a> {
    fn new(files: &'a [ManifestFile]) -> Self {
        let entries = files.iter().flat_map(ManifestFile::applications).collect();
        Self { entries }
    }

    /// The application with this key.
    pub(crate) fn by_key(&self, key: &str) -> Option<(&'a str, &'a Application)> {
        self.entries
            .iter()
            .find(|(candidate, _)| candidate.value == key)
            .map(|(key, app)| (key.value.as_str(), *app))
    }

    /// The application pinned to this appId.
    pub(crate) fn by_app_id(&self, app_id: &str) -> Option<(&'a str, &'a Application)> {
        self.entries
            .iter()
            .find(|(_, app)| {
                app.app_id
                    .as_ref()
                    .is_some_and(|pinned| Guid::same(&pinned.value, app_id))
            })
            .map(|(key, app)| (key.value.as_str(), *app))
    }

    /// Every application key.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.entries.iter().map(|(key, _)| key.value.as_str())
    }
}

/// Checks every file and application; returns errors and warnings, and each application with
/// what was parsed while checking it.
pub(crate) fn validate(files: &[ManifestFile]) -> Validated<'_> {
    let mut report = Report::default();
    let default_durations = check_headers(files, &mut report);
    check_keys(files, &mut report);
    let apps = Apps::new(files);
    let keys: Vec<&str> = apps.keys().collect();
    let mut stores = credentials::StoreRegistry::new();
    let mut identifier_uris: HashMap<String, (&str, &Located<String>)> = HashMap::new();
    let mut applications = Vec::with_capacity(apps.entries.len());
    for (file, defaults) in files.iter().zip(&default_durations) {
        for (key, app) in file.applications() {
            let secrets = check_application(
                &key.value,
                app,
                defaults,
                file,
                &apps,
                &keys,
                &mut stores,
                &mut report,
            );
            check_identifier_uris_unique(key, app, &mut identifier_uris, &mut report);
            applications.push(ValidatedApplication {
                key,
                app,
                file,
                secrets,
            });
        }
    }
    Validated {
        diagnostics: report.diagnostics,
        applications,
    }
}

/// Identifier URIs are unique in a tenant, so across the manifest (`seen` holds the others).
fn check_identifier_uris_unique<'a>(
    key: &'a Located<String>,
    app: &'a Application,
    seen: &mut HashMap<String, (&'a str, &'a Located<String>)>,
    report: &mut Report,
) {
    for uri in &app.identifier_uris {
        if uri.value.contains(registrar_model::APP_ID_PLACEHOLDER) {
            continue;
        }
        match seen.get(&uri.value.to_ascii_lowercase()) {
            Some((other, first)) => report.push(
                Diagnostic::error(
                    uri.origin.clone(),
                    format!("identifier URI `{}` is also used by `{other}`", uri.value),
                )
                .with_hint(format!(
                    "identifier URIs are unique in a tenant; the other is at {}",
                    first.origin
                )),
            ),
            None => {
                seen.insert(uri.value.to_ascii_lowercase(), (key.value.as_str(), uri));
            }
        }
    }
}

/// `version`, `namespace`, `tenant` and `defaults` of each file, and their agreement; returns
/// each file's default durations, parsed.
fn check_headers(files: &[ManifestFile], report: &mut Report) -> Vec<DefaultDurations> {
    let mut default_durations = Vec::with_capacity(files.len());
    let mut reference: Option<(&ManifestFile, &Manifest)> = None;
    let mut tenant_reference: Option<(&ManifestFile, &Located<String>)> = None;
    for file in files {
        let Some(header) = &file.header else {
            default_durations.push(DefaultDurations::default());
            continue;
        };
        if header.version.value != 1 {
            report.push(
                Diagnostic::error(
                    header.version.origin.clone(),
                    format!("unsupported manifest version `{}`", header.version.value),
                )
                .with_hint("this Registrar reads `version: 1`"),
            );
        }
        if !names::is_namespace(&header.namespace.value) {
            let suggestion = names::slug(&header.namespace.value);
            report.push(
                Diagnostic::error(
                    header.namespace.origin.clone(),
                    format!(
                        "namespace `{}` must be 1-32 of `a-z`, `0-9` and `-`",
                        header.namespace.value
                    ),
                )
                .with_hint_opt(
                    (!suggestion.is_empty())
                        .then(|| format!("e.g. `{}`", &suggestion[..suggestion.len().min(32)])),
                ),
            );
        }
        if let Some(tenant) = &header.tenant {
            if tenant.value.trim().is_empty() {
                report.push(
                    Diagnostic::error(tenant.origin.clone(), "tenant is empty")
                        .with_hint("remove `tenant`, or write its id or domain"),
                );
            }
            match tenant_reference {
                Some((first_file, first)) if !first.value.eq_ignore_ascii_case(&tenant.value) => {
                    report.push(
                        Diagnostic::error(
                            tenant.origin.clone(),
                            format!(
                                "tenant `{}` differs from `{}` in {}",
                                tenant.value, first.value, first_file.shown
                            ),
                        )
                        .with_hint("all files of a manifest must agree on `tenant`"),
                    )
                }
                Some(_) => {}
                None => tenant_reference = Some((file, tenant)),
            }
        }
        default_durations.push(
            header
                .defaults
                .as_ref()
                .map(|defaults| check_defaults(defaults, report))
                .unwrap_or_default(),
        );
        match reference {
            None => reference = Some((file, header)),
            Some((first_file, first)) => {
                if first.version.value != header.version.value {
                    report.push(
                        Diagnostic::error(
                            header.version.origin.clone(),
                            format!(
                                "version `{}` differs from `{}` in {}",
                                header.version.value, first.version.value, first_file.shown
                            ),
                        )
                        .with_hint("all files of a manifest must agree on `version`"),
                    );
                }
                if first.namespace.value != header.namespace.value {
                    report.push(
                        Diagnostic::error(
                            header.namespace.origin.clone(),
                            format!(
                                "namespace `{}` differs from `{}` in {}",
                                header.namespace.value, first.namespace.value, first_file.shown
                            ),
                        )
                        .with_hint("all files of a manifest must agree on `namespace`"),
                    );
                }
            }
        }
    }
    default_durations
}

/// Owners, tags and durations of `defaults:`; returns the durations, parsed.
fn check_defaults(defaults: &Defaults, report: &mut Report) -> DefaultDurations {
    check_owners(&defaults.owners, report);
    check_tags(&defaults.tags, report);
    let secret_lifetime = defaults
        .secret_lifetime
        .as_ref()
        .map(|text| credentials::parse_written(text, "secretLifetime", report));
    let rotate_before = defaults
        .rotate_before
        .as_ref()
        .map(|text| credentials::parse_written(text, "rotateBefore", report));
    if let (Some(lifetime), Some(rotate_before)) = (&secret_lifetime, &rotate_before)
        && let (Some(lifetime_value), Some(rotate_before_value)) =
            (lifetime.value, rotate_before.value)
        && rotate_before_value >= lifetime_value
    {
        report.push(
            Diagnostic::error(
                rotate_before.origin.clone(),
                "default `rotateBefore` is not less than default `secretLifetime`",
            )
            .with_hint(
                "`rotateBefore` must be shorter than the lifetime, or every run would rotate",
            ),
        );
    }
    DefaultDurations {
        secret_lifetime,
        rotate_before,
    }
}

/// Key patterns, and keys defined in two files.
fn check_keys(files: &[ManifestFile], report: &mut Report) {
    let mut seen: HashMap<&str, &Located<String>> = HashMap::new();
    for file in files {
        for (key, _) in &file.applications {
            if !names::is_app_key(&key.value) {
                let suggestion = names::slug(&key.value);
                report.push(
                    Diagnostic::error(
                        key.origin.clone(),
                        format!(
                            "application key `{}` must match `[a-z0-9][a-z0-9-]{{0,63}}`",
                            key.value
                        ),
                    )
                    .with_hint_opt(
                        (!suggestion.is_empty())
                            .then(|| format!("e.g. `{}`", &suggestion[..suggestion.len().min(64)])),
                    ),
                );
            }
            match seen.get(key.value.as_str()) {
                Some(first) => report.push(
                    Diagnostic::error(
                        key.origin.clone(),
                        format!("application `{}` is defined twice", key.value),
                    )
                    .with_hint(format!("it is first defined at {}", first.origin)),
                ),
                None => {
                    seen.insert(&key.value, key);
                }
            }
        }
    }
}

/// Every rule about one application; returns its secrets, checked.
#[allow(clippy::too_many_arguments)]
fn check_application<'a>(
    key: &str,
    app: &'a Application,
    defaults: &DefaultDurations,
    file: &ManifestFile,
    apps: &Apps<'_>,
    keys: &[&str],
    stores: &mut credentials::StoreRegistry,
    report: &mut Report,
) -> Vec<ValidatedSecret<'a>> {
    if let Some(app_id) = &app.app_id
        && Guid::parse(&app_id.value).is_none()
    {
        report.push(
            Diagnostic::error(
                app_id.origin.clone(),
                format!("appId `{}` is not a GUID", app_id.value),
            )
            .with_hint("an appId looks like `00000000-0000-0000-0000-000000000000`"),
        );
    }
    for uri in &app.identifier_uris {
        if let Some((message, hint)) = uri::identifier_uri_problem(&uri.value) {
            report.push(Diagnostic::error(uri.origin.clone(), message).with_hint_opt(hint));
        }
    }
    if let Some(lock) = &app.instance_lock
        && lock.value.enabled != Some(false)
        && !lock.value.locks_something()
    {
        report.push(
            Diagnostic::error(
                lock.origin.clone(),
                "`instanceLock` is enabled but locks nothing",
            )
            .with_hint(
                "set `allProperties: true` (recommended), or name what it locks (`credentialsWithUsageVerify`, `credentialsWithUsageSign`, `identifierUris`, `tokenEncryptionKeyId`); `enabled: false` turns the lock off",
            ),
        );
    }
    check_tags(&app.tags, report);
    check_owners(&app.owners, report);
    if let Some(web) = &app.web {
        for (label, link) in [
            ("homePageUrl", &web.home_page_url),
            ("logoutUrl", &web.logout_url),
        ] {
            check_link(label, link.as_ref(), report);
        }
        check_redirect_uris(uri::Platform::Web, &web.redirect_uris, report);
    }
    if let Some(spa) = &app.spa {
        check_redirect_uris(uri::Platform::Spa, &spa.redirect_uris, report);
    }
    if let Some(public_client) = &app.public_client {
        check_redirect_uris(
            uri::Platform::PublicClient,
            &public_client.redirect_uris,
            report,
        );
    }
    if let Some(info) = &app.info {
        for (label, link) in [
            ("marketingUrl", &info.marketing_url),
            ("privacyStatementUrl", &info.privacy_statement_url),
            ("supportUrl", &info.support_url),
            ("termsOfServiceUrl", &info.terms_of_service_url),
        ] {
            check_link(label, link.as_ref(), report);
        }
    }
    if let Some(claims) = &app.optional_claims {
        for claim in claims
            .id_token
            .iter()
            .chain(&claims.access_token)
            .chain(&claims.saml2_token)
        {
            if claim.name.value.trim().is_empty() {
                report.push(Diagnostic::error(
                    claim.name.origin.clone(),
                    "optional claim name is empty",
                ));
            }
        }
    }
    check_api(key, app, keys, report);
    check_app_roles(key, app, report);
    permissions::check_required_resource_access(key, &app.required_resource_access, apps, report);
    let secrets = credentials::check_secrets(key, &app.secrets, defaults, file, stores, report);
    credentials::check_certificates(&app.certificates, report);
    credentials::check_federated_credentials(key, &app.federated_credentials, report);
    credentials::check_role_assignments(&app.role_assignments, report);
    if let Some(service_principal) = &app.service_principal
        && let ServicePrincipal::Enabled(settings) = &service_principal.value
    {
        check_owners(&settings.owners, report);
    }
    if let Some(service_principal) = &app.service_principal
        && service_principal.value == ServicePrincipal::Disabled
    {
        if let Some(assignment) = app.role_assignments.first() {
            report.push(
                    Diagnostic::error(assignment.role.origin.clone(), format!("`{key}` has role assignments but no service principal"))
                        .with_hint(format!("role assignments are granted to the service principal; remove `servicePrincipal: false` (at {})", service_principal.origin)),
                );
        }
        if let Some(entry) = app
            .required_resource_access
            .iter()
            .find(|entry| entry.admin_consent)
        {
            report.push(
                    Diagnostic::error(entry.resource.origin.clone(), format!("`{key}` asks for admin consent but has no service principal"))
                        .with_hint(format!("consent is granted to the service principal; remove `servicePrincipal: false` (at {})", service_principal.origin)),
                );
        }
    }
    secrets
}

fn check_link(label: &str, link: Option<&Located<String>>, report: &mut Report) {
    if let Some(link) = link
        && let Some((message, hint)) = uri::link_problem(label, &link.value)
    {
        report.push(Diagnostic::error(link.origin.clone(), message).with_hint_opt(hint));
    }
}

fn check_redirect_uris(platform: uri::Platform, uris: &[Located<String>], report: &mut Report) {
    let mut seen = std::collections::HashSet::new();
    for redirect in uris {
        if let Some((message, hint)) = uri::redirect_uri_problem(platform, &redirect.value) {
            report.push(Diagnostic::error(redirect.origin.clone(), message).with_hint_opt(hint));
        }
        if !seen.insert(redirect.value.as_str()) {
            report.push(Diagnostic::error(
                redirect.origin.clone(),
                format!("redirect URI `{}` is listed twice", redirect.value),
            ));
        }
    }
}

fn check_api(key: &str, app: &Application, keys: &[&str], report: &mut Report) {
    let audience = app.sign_in_audience.as_ref();
    let personal = audience.is_some_and(|audience| audience.value.includes_personal_accounts());
    let Some(api) = &app.api else { return };
    if let Some(version) = &api.requested_access_token_version {
        if !(1..=2).contains(&version.value) {
            report.push(
                Diagnostic::error(
                    version.origin.clone(),
                    format!(
                        "`requestedAccessTokenVersion` is `{}`; it must be 1 or 2",
                        version.value
                    ),
                )
                .with_hint("2 is the current token format"),
            );
        } else if version.value != 2 && personal {
            let audience = audience
                .map(|audience| audience.value.as_str())
                .unwrap_or_default();
            report.push(
                Diagnostic::error(version.origin.clone(), format!("`requestedAccessTokenVersion` must be 2 when `signInAudience` is `{audience}`"))
                    .with_hint("personal Microsoft accounts only get v2 access tokens"),
            );
        }
    }
    for client in &api.known_client_applications {
        check_app_reference(client, keys, "known client application", report);
    }
    check_scopes(api, report);
    let mut seen_clients: Vec<&Located<String>> = Vec::new();
    for pre_authorized in &api.pre_authorized_applications {
        check_app_reference(
            &pre_authorized.app,
            keys,
            "pre-authorized application",
            report,
        );
        if let Some(first) = seen_clients
            .iter()
            .find(|seen| seen.value == pre_authorized.app.value)
        {
            report.push(
                Diagnostic::error(
                    pre_authorized.app.origin.clone(),
                    format!("`{}` is pre-authorized twice", pre_authorized.app.value),
                )
                .with_hint(format!(
                    "it is first pre-authorized at {}:{}; merge the two entries",
                    first.origin.line, first.origin.column
                )),
            );
        } else {
            seen_clients.push(&pre_authorized.app);
        }
        if pre_authorized.scopes.is_empty() {
            report.push(Diagnostic::error(
                pre_authorized.app.origin.clone(),
                format!(
                    "pre-authorized application `{}` names no scopes",
                    pre_authorized.app.value
                ),
            ));
        }
        for scope in &pre_authorized.scopes {
            if api.scopes.get(&scope.value).is_none() {
                let hint = did_you_mean(
                    &scope.value,
                    api.scopes.iter().map(|(name, _)| name.value.as_str()),
                )
                .unwrap_or_else(|| format!("declare it under `api.scopes` of `{key}`"));
                report.push(
                    Diagnostic::error(
                        scope.origin.clone(),
                        format!("`{}` is not a scope `{key}` exposes", scope.value),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
}

fn check_scopes(api: &Api, report: &mut Report) {
    for (value, _) in api.scopes.iter() {
        if let Some(problem) = names::permission_value_problem(&value.value) {
            report.push(Diagnostic::error(
                value.origin.clone(),
                format!("scope value `{}` {problem}", value.value),
            ));
        }
    }
}

fn check_app_roles(key: &str, app: &Application, report: &mut Report) {
    let scopes = app.api.as_ref().map(|api| &api.scopes);
    for (value, role) in app.app_roles.iter() {
        if let Some(problem) = names::permission_value_problem(&value.value) {
            report.push(Diagnostic::error(
                value.origin.clone(),
                format!("app role value `{}` {problem}", value.value),
            ));
        }
        if role.allowed_member_types.is_empty() {
            report.push(
                Diagnostic::error(
                    value.origin.clone(),
                    format!("app role `{}` has no `allowedMemberTypes`", value.value),
                )
                .with_hint("write `[Application]`, `[User]` or both"),
            );
        }
        if let Some((scope, _)) =
            scopes.and_then(|scopes| scopes.iter().find(|(scope, _)| scope.value == value.value))
        {
            report.push(
                Diagnostic::error(value.origin.clone(), format!("`{}` is both a scope and an app role of `{key}`", value.value))
                    .with_hint(format!(
                        "scopes and app roles share one set of values; rename one (the scope is at {}:{})",
                        scope.origin.line, scope.origin.column
                    )),
            );
        }
    }
}

/// Owners are user principal names (with `@`) or object ids.
fn check_owners(owners: &[Located<String>], report: &mut Report) {
    for owner in owners {
        let value = owner.value.trim();
        if value.contains('@')
            && !value.starts_with('@')
            && !value.ends_with('@')
            && !value.contains(char::is_whitespace)
        {
            continue;
        }
        if Guid::parse(value).is_some() {
            continue;
        }
        report.push(
            Diagnostic::error(
                owner.origin.clone(),
                format!("owner `{value}` is neither a user principal name nor an object id"),
            )
            .with_hint("write a UPN like `alice@contoso.com` or an object id GUID"),
        );
    }
}

/// Tags: at most 256 characters, and `registrar:` is reserved for the marker tag.
fn check_tags(tags: &[Located<String>], report: &mut Report) {
    for tag in tags {
        if tag
            .value
            .to_ascii_lowercase()
            .starts_with(registrar_model::MARKER_TAG_PREFIX)
        {
            report.push(
                Diagnostic::error(
                    tag.origin.clone(),
                    format!("tag `{}` uses the reserved prefix `registrar:`", tag.value),
                )
                .with_hint("Registrar adds its marker tag `registrar:<namespace>` itself"),
            );
        } else if tag.value.chars().count() > 256 {
            report.push(Diagnostic::error(
                tag.origin.clone(),
                "tag is longer than 256 characters",
            ));
        } else if tag.value.trim().is_empty() {
            report.push(Diagnostic::error(tag.origin.clone(), "tag is empty"));
        }
    }
}

/// An application key of this manifest or an appId (`what` names the field for messages).
fn check_app_reference(
    reference: &Located<String>,
    keys: &[&str],
    what: &str,
    report: &mut Report,
) {
    let value = reference.value.as_str();
    if keys.contains(&value) || Guid::parse(value).is_some() {
        return;
    }
    let hint = did_you_mean(value, keys.iter().copied())
        .unwrap_or_else(|| "name an application key of this manifest or an appId GUID".to_owned());
    report.push(
        Diagnostic::error(
            reference.origin.clone(),
            format!("{what} `{value}` is neither an application of this manifest nor an appId"),
        )
        .with_hint(hint),
    );
}
