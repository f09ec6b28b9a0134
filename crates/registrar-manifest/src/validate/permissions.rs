//! `requiredResourceAccess`: resources resolve, appear once, stay within Graph's limits, and
//! request permissions of the right kind.
//!
//! A resource is, in this order: an application key of this manifest (names must be scopes or
//! app roles it declares); a catalog API by name, alias or appId (names must exist as that kind,
//! a name of the other kind says so, unknown names get the closest match); an unknown appId
//! (left for plan time, against the tenant).

use std::collections::HashMap;

use registrar_catalog::{Api, PermissionKind};
use registrar_model::{Guid, Located};

use super::{Apps, Report, names};
use crate::diagnostics::{Diagnostic, did_you_mean};
use crate::types::{Application, MemberType, ResourceAccess};

/// Graph's limits on `requiredResourceAccess` (since October 2021).
const MAX_RESOURCES: usize = 50;
const MAX_PERMISSIONS: usize = 400;

/// What a `resource:` names.
enum Resource<'a> {
    Manifest { key: &'a str, app: &'a Application },
    Catalog(&'a Api),
    UnknownAppId,
}

impl Resource<'_> {
    fn identity(&self, written: &str) -> String {
        match self {
            Self::Manifest { key, .. } => format!("key:{key}"),
            Self::Catalog(api) => api.app_id.to_ascii_lowercase(),
            Self::UnknownAppId => written.to_ascii_lowercase(),
        }
    }
}

pub(super) fn check_required_resource_access(
    app_key: &str,
    entries: &[ResourceAccess],
    apps: &Apps<'_>,
    report: &mut Report,
) {
    let mut seen: HashMap<String, &Located<String>> = HashMap::new();
    let mut n_permissions = 0;
    for (index, entry) in entries.iter().enumerate() {
        if index == MAX_RESOURCES {
            report.push(
                Diagnostic::error(
                    entry.resource.origin.clone(),
                    format!(
                        "`{app_key}` requests permissions on more than {MAX_RESOURCES} resources"
                    ),
                )
                .with_hint("Graph allows at most 50 resources in `requiredResourceAccess`"),
            );
        }
        for permission in entry.scopes.iter().chain(&entry.roles) {
            n_permissions += 1;
            if n_permissions == MAX_PERMISSIONS + 1 {
                report.push(
                    Diagnostic::error(
                        permission.origin.clone(),
                        format!("`{app_key}` requests more than {MAX_PERMISSIONS} permissions"),
                    )
                    .with_hint("Graph allows at most 400 permissions in `requiredResourceAccess`"),
                );
            }
        }
        let Some(resource) = resolve(&entry.resource, apps, report) else {
            continue;
        };
        let identity = resource.identity(&entry.resource.value);
        if let Some(first) = seen.get(&identity) {
            report.push(
                Diagnostic::error(
                    entry.resource.origin.clone(),
                    format!("resource `{}` is listed twice", entry.resource.value),
                )
                .with_hint(format!(
                    "it is first listed at {}:{}; merge the two entries",
                    first.origin.line, first.origin.column
                )),
            );
        } else {
            seen.insert(identity, &entry.resource);
        }
        if entry.scopes.is_empty() && entry.roles.is_empty() {
            report.push(Diagnostic::warning(
                entry.resource.origin.clone(),
                format!("no permissions are requested on `{}`", entry.resource.value),
            ));
        }
        check_duplicates(&entry.scopes, &entry.resource.value, report);
        check_duplicates(&entry.roles, &entry.resource.value, report);
        match resource {
            Resource::Catalog(api) => {
                for scope in &entry.scopes {
                    check_catalog_permission(api, scope, PermissionKind::Delegated, report);
                }
                for role in &entry.roles {
                    check_catalog_permission(api, role, PermissionKind::Application, report);
                }
            }
            Resource::Manifest { key, app } => {
                for scope in &entry.scopes {
                    check_manifest_scope(key, app, scope, report);
                }
                for role in &entry.roles {
                    check_manifest_role(key, app, role, report);
                }
            }
            Resource::UnknownAppId => {
                for permission in entry.scopes.iter().chain(&entry.roles) {
                    check_permission_spelling(permission, report);
                }
            }
        }
    }
}

fn resolve<'a>(
    resource: &Located<String>,
    apps: &Apps<'a>,
    report: &mut Report,
) -> Option<Resource<'a>> {
    let name = resource.value.as_str();
    if let Some((key, app)) = apps.by_key(name) {
        return Some(Resource::Manifest { key, app });
    }
    if Guid::parse(name).is_some()
        && let Some((key, app)) = apps.by_app_id(name)
    {
        return Some(Resource::Manifest { key, app });
    }
    let catalog = registrar_catalog::catalog();
    if let Some(api) = catalog.api(name) {
        return Some(Resource::Catalog(api));
    }
    if Guid::parse(name).is_some() {
        return Some(Resource::UnknownAppId);
    }
    if names::looks_like_guid(name) {
        report.push(Diagnostic::error(
            resource.origin.clone(),
            format!("resource `{name}` is not a valid GUID"),
        ));
        return None;
    }
    let candidates = catalog
        .apis
        .iter()
        .flat_map(|api| {
            std::iter::once(api.name.as_str()).chain(api.aliases.iter().map(String::as_str))
        })
        .chain(apps.keys());
    let hint = did_you_mean(name, candidates).unwrap_or_else(|| {
        "name a catalog API (e.g. `Microsoft Graph`), an appId, or an application key of this manifest".to_owned()
    });
    report.push(
        Diagnostic::error(
            resource.origin.clone(),
            format!("unknown resource `{name}`"),
        )
        .with_hint(hint),
    );
    None
}

fn check_duplicates(permissions: &[Located<String>], resource: &str, report: &mut Report) {
    let mut seen = std::collections::HashSet::new();
    for permission in permissions {
        if !seen.insert(permission.value.to_ascii_lowercase()) {
            report.push(Diagnostic::error(
                permission.origin.clone(),
                format!("`{}` is requested twice on `{resource}`", permission.value),
            ));
        }
    }
}

fn kind_words(kind: PermissionKind) -> (&'static str, &'static str) {
    match kind {
        PermissionKind::Delegated => ("a delegated permission", "scopes"),
        PermissionKind::Application => ("an application permission", "roles"),
    }
}

fn check_catalog_permission(
    api: &Api,
    permission: &Located<String>,
    kind: PermissionKind,
    report: &mut Report,
) {
    let value = permission.value.as_str();
    let (wanted, _) = kind_words(kind);
    let (other, other_list) = kind_words(kind.other());
    if Guid::parse(value).is_some() {
        let same = api.permission(value, kind);
        let different = api.permission(value, kind.other());
        if let (None, Some(found)) = (same, different) {
            report.push(
                Diagnostic::error(
                    permission.origin.clone(),
                    format!(
                        "`{value}` (`{}`) is {other} of {}, not {wanted}",
                        found.value, api.name
                    ),
                )
                .with_hint(format!("move it to `{other_list}`")),
            );
        }
        // A GUID the catalog does not know is left for plan time: catalogs lag behind Graph.
        return;
    }
    if names::looks_like_guid(value) {
        report.push(Diagnostic::error(
            permission.origin.clone(),
            format!("permission `{value}` is not a valid GUID"),
        ));
        return;
    }
    if api.permission(value, kind).is_some() {
        return;
    }
    if api.permission(value, kind.other()).is_some() {
        let mut hint = format!("move it to `{other_list}`");
        if kind == PermissionKind::Application {
            let all = format!("{value}.All");
            if api.permission(&all, kind).is_some() {
                hint.push_str(&format!(", or use the application permission `{all}`"));
            }
        }
        report.push(
            Diagnostic::error(
                permission.origin.clone(),
                format!("`{value}` is {other} of {}, not {wanted}", api.name),
            )
            .with_hint(hint),
        );
        return;
    }
    let hint = did_you_mean(
        value,
        api.permissions_of(kind)
            .map(|candidate| candidate.value.as_str()),
    );
    report.push(
        Diagnostic::error(
            permission.origin.clone(),
            format!("`{value}` is not {wanted} of {}", api.name),
        )
        .with_hint_opt(hint),
    );
}

fn check_permission_spelling(permission: &Located<String>, report: &mut Report) {
    if Guid::parse(&permission.value).is_none() && names::looks_like_guid(&permission.value) {
        report.push(Diagnostic::error(
            permission.origin.clone(),
            format!("permission `{}` is not a valid GUID", permission.value),
        ));
    }
}

fn check_manifest_scope(
    key: &str,
    app: &Application,
    scope: &Located<String>,
    report: &mut Report,
) {
    let value = scope.value.as_str();
    if Guid::parse(value).is_some() {
        return;
    }
    let scopes = app.api.as_ref().map(|api| &api.scopes);
    if scopes.is_some_and(|scopes| scopes.get(value).is_some()) {
        return;
    }
    let role = app.app_roles.get(value);
    if role.is_some_and(|role| {
        role.allowed_member_types
            .iter()
            .any(|t| t.value == MemberType::Application)
    }) {
        report.push(
            Diagnostic::error(
                scope.origin.clone(),
                format!("`{value}` is an app role of `{key}`, not a scope"),
            )
            .with_hint("move it to `roles`"),
        );
        return;
    }
    let hint = scopes
        .and_then(|scopes| did_you_mean(value, scopes.iter().map(|(name, _)| name.value.as_str())));
    let hint = hint.or_else(|| Some(format!("`{key}` declares its scopes under `api.scopes`")));
    report.push(
        Diagnostic::error(
            scope.origin.clone(),
            format!("`{key}` does not expose a scope `{value}`"),
        )
        .with_hint_opt(hint),
    );
}

fn check_manifest_role(key: &str, app: &Application, role: &Located<String>, report: &mut Report) {
    let value = role.value.as_str();
    if Guid::parse(value).is_some() {
        return;
    }
    if let Some(declared) = app.app_roles.get(value) {
        if !declared
            .allowed_member_types
            .iter()
            .any(|t| t.value == MemberType::Application)
        {
            report.push(
                Diagnostic::error(
                    role.origin.clone(),
                    format!("app role `{value}` of `{key}` cannot be assigned to applications"),
                )
                .with_hint(format!(
                    "add `Application` to its `allowedMemberTypes` in `{key}`"
                )),
            );
        }
        return;
    }
    if app
        .api
        .as_ref()
        .is_some_and(|api| api.scopes.get(value).is_some())
    {
        report.push(
            Diagnostic::error(
                role.origin.clone(),
                format!("`{value}` is a scope of `{key}`, not an app role"),
            )
            .with_hint("move it to `scopes`"),
        );
        return;
    }
    let hint = did_you_mean(
        value,
        app.app_roles.iter().map(|(name, _)| name.value.as_str()),
    )
    .or_else(|| Some(format!("`{key}` declares its roles under `appRoles`")));
    report.push(
        Diagnostic::error(
            role.origin.clone(),
            format!("`{key}` does not define an app role `{value}`"),
        )
        .with_hint_opt(hint),
    );
}
