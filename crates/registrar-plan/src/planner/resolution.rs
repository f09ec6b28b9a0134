//! Resolution: names in the manifest to ids in the tenant. Resources (an application of this
//! manifest, a well-known API, a service principal in the tenant, or an appId), permission
//! values of each kind, and application references (`knownClientApplications`,
//! `preAuthorizedApplications`); unknown names become plan errors with the closest known name.
//! Also [`Describe`], the reverse direction, which names ids for plan text.

use registrar_catalog::{PermissionKind, catalog};
use registrar_model::suggest::closest_with_closeness;
use registrar_model::{Guid, Located, ResourceAccess};

use super::Planner;
use super::identity::AppId;
use crate::error::PlanError;
use crate::settings::Describe;

/// The one "did you mean" (see [`registrar_model::suggest`]).
pub(crate) use registrar_model::suggest::closest;

/// A permission resolution source: the values and ids one API exposes.
pub(crate) struct PermissionSource {
    /// How errors name the API.
    pub(crate) name: String,
    /// `(value, id)` pairs; `None` when nothing is known about the API (a bare appId), so only
    /// GUIDs resolve.
    delegated: Option<Vec<(String, String)>>,
    application: Option<Vec<(String, String)>>,
}

impl PermissionSource {
    pub(crate) fn of(&self, kind: PermissionKind) -> Option<&Vec<(String, String)>> {
        match kind {
            PermissionKind::Delegated => self.delegated.as_ref(),
            PermissionKind::Application => self.application.as_ref(),
        }
    }
}

fn kind_words(kind: PermissionKind) -> (&'static str, &'static str) {
    match kind {
        PermissionKind::Delegated => ("a delegated permission", "scopes"),
        PermissionKind::Application => ("an application permission", "roles"),
    }
}

impl Describe for Planner<'_> {
    fn resource(&self, app_id: &str) -> Option<String> {
        if let Some(target) = self.target_by_app_id(app_id) {
            return Some(format!("application {}", target.key()));
        }
        if let Some(sp) = self.resource_sp(app_id) {
            return Some(sp.display_name.clone());
        }
        catalog().api(app_id).map(|api| api.name.clone())
    }

    fn permission(&self, app_id: &str, id: &str) -> Option<String> {
        if let Some(target) = self.target_by_app_id(app_id) {
            let exposed = self.exposed.get(target.key())?;
            return exposed
                .scopes
                .iter()
                .map(|scope| (&scope.id, &scope.value))
                .chain(exposed.roles.iter().map(|role| (&role.id, &role.value)))
                .find(|(scope_id, _)| Guid::same(scope_id, id))
                .map(|(_, value)| value.clone());
        }
        if let Some(sp) = self.resource_sp(app_id) {
            return sp
                .oauth2_permission_scopes
                .iter()
                .chain(&sp.app_roles)
                .find(|permission| Guid::same(&permission.id, id))
                .map(|permission| permission.value.clone());
        }
        catalog()
            .api(app_id)?
            .permissions
            .iter()
            .find(|permission| Guid::same(&permission.id, id))
            .map(|permission| permission.value.clone())
    }
}

impl<'a> Planner<'a> {
    pub(crate) fn resource_sp(
        &self,
        app_id: &str,
    ) -> Option<&'a registrar_model::ResourceServicePrincipal> {
        self.live
            .resource_service_principals
            .iter()
            .filter(|sp| Guid::same(&sp.app_id, app_id))
            .min_by(|a, b| a.id.cmp(&b.id))
    }

    /// A `knownClientApplications` / `preAuthorizedApplications` entry: a key of this manifest
    /// or an appId.
    pub(super) fn resolve_app_reference(
        &mut self,
        reference: &Located<String>,
        field: &str,
    ) -> Option<AppId> {
        if let Some(app_id) = self.app_id_of(&reference.value) {
            return Some(app_id);
        }
        if Guid::parse(&reference.value).is_some() {
            return Some(AppId::Known(reference.value.to_lowercase()));
        }
        let keys = self.desired.applications.iter().map(|app| app.key.as_str());
        let suggestion = closest(&reference.value, keys);
        self.errors.push(PlanError::new(
            &reference.origin,
            format!(
                "{field}: `{}` is not an application of this manifest",
                reference.value
            ),
            Some(match suggestion {
                Some(key) => format!("did you mean `{key}`? (or give the client's appId)"),
                None => "name an application key of this manifest, or give the client's appId"
                    .to_owned(),
            }),
        ));
        None
    }

    pub(super) fn resolve_required_access(
        &mut self,
        access: &registrar_model::DesiredResourceAccess,
    ) -> Option<(AppId, Vec<ResourceAccess>)> {
        let (app_id, source) = self.resolve_resource(&access.resource)?;
        let mut entries: Vec<ResourceAccess> = Vec::new();
        for (names, kind) in [
            (&access.scopes, PermissionKind::Delegated),
            (&access.roles, PermissionKind::Application),
        ] {
            for name in names {
                if let Some(id) = self.resolve_permission(&source, name, kind) {
                    let access_type = kind;
                    if !entries
                        .iter()
                        .any(|entry| entry.id == id && entry.access_type == access_type)
                    {
                        entries.push(ResourceAccess { id, access_type });
                    }
                }
            }
        }
        Some((app_id, entries))
    }

    /// The permissions an application of this manifest exposes, as settled for this plan.
    pub(crate) fn managed_source(&self, key: &str) -> PermissionSource {
        let exposed = self.exposed.get(key).cloned().unwrap_or_default();
        PermissionSource {
            name: format!("application `{key}`"),
            delegated: Some(
                exposed
                    .scopes
                    .iter()
                    .map(|s| (s.value.clone(), s.id.clone()))
                    .collect(),
            ),
            application: Some(
                exposed
                    .roles
                    .iter()
                    .filter(|role| {
                        role.allowed_member_types
                            .iter()
                            .any(|kind| kind == "Application")
                    })
                    .map(|role| (role.value.clone(), role.id.clone()))
                    .collect(),
            ),
        }
    }

    pub(crate) fn resolve_resource(
        &mut self,
        resource: &Located<String>,
    ) -> Option<(AppId, PermissionSource)> {
        let name = resource.value.as_str();
        if let Some(app_id) = self.app_id_of(name) {
            return Some((app_id, self.managed_source(name)));
        }
        let app_id = if Guid::parse(name).is_some() {
            Some(name.to_lowercase())
        } else if let Some(api) = catalog().api(name) {
            Some(api.app_id.clone())
        } else {
            self.live
                .resource_service_principals
                .iter()
                .filter(|sp| sp.display_name.eq_ignore_ascii_case(name))
                .min_by(|a, b| a.id.cmp(&b.id))
                .map(|sp| sp.app_id.clone())
        };
        let Some(app_id) = app_id else {
            let candidates: Vec<&str> = self
                .desired
                .applications
                .iter()
                .map(|app| app.key.as_str())
                .chain(catalog().apis.iter().map(|api| api.name.as_str()))
                .chain(
                    self.live
                        .resource_service_principals
                        .iter()
                        .map(|sp| sp.display_name.as_str()),
                )
                .collect();
            let suggestion = closest(name, candidates);
            self.errors.push(PlanError::new(
                &resource.origin,
                format!(
                    "resource `{name}` is neither an application of this manifest, a known API, nor a service principal in the tenant"
                ),
                Some(match suggestion {
                    Some(candidate) => format!("did you mean `{candidate}`? (or give the API's appId)"),
                    None => "give the API's appId".to_owned(),
                }),
            ));
            return None;
        };
        let pairs = |permissions: &[registrar_model::ExposedPermission]| {
            permissions
                .iter()
                .map(|p| (p.value.clone(), p.id.clone()))
                .collect::<Vec<_>>()
        };
        let source = if let Some(sp) = self.resource_sp(&app_id) {
            PermissionSource {
                name: sp.display_name.clone(),
                delegated: Some(pairs(&sp.oauth2_permission_scopes)),
                application: Some(pairs(&sp.app_roles)),
            }
        } else if let Some(api) = catalog().api(&app_id) {
            let of = |kind| {
                api.permissions_of(kind)
                    .map(|p| (p.value.clone(), p.id.clone()))
                    .collect::<Vec<_>>()
            };
            PermissionSource {
                name: api.name.clone(),
                delegated: Some(of(PermissionKind::Delegated)),
                application: Some(of(PermissionKind::Application)),
            }
        } else {
            PermissionSource {
                name: format!("`{app_id}`"),
                delegated: None,
                application: None,
            }
        };
        Some((AppId::Known(app_id), source))
    }

    pub(crate) fn resolve_permission(
        &mut self,
        source: &PermissionSource,
        name: &Located<String>,
        kind: PermissionKind,
    ) -> Option<String> {
        let wanted = name.value.as_str();
        let (kind_text, section) = kind_words(kind);
        let Some(same_kind) = source.of(kind) else {
            if Guid::parse(wanted).is_some() {
                return Some(wanted.to_lowercase());
            }
            self.errors.push(PlanError::new(
                &name.origin,
                format!(
                    "cannot resolve `{wanted}`: the service principal of {} is not in the tenant",
                    source.name
                ),
                Some("give the permission's GUID".to_owned()),
            ));
            return None;
        };
        if let Some((_, id)) = same_kind
            .iter()
            .find(|(value, id)| value == wanted || Guid::same(id, wanted))
        {
            return Some(id.clone());
        }
        let other = source
            .of(kind.other())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if other
            .iter()
            .any(|(value, id)| value == wanted || Guid::same(id, wanted))
        {
            let (other_text, other_section) = kind_words(kind.other());
            let mut hint = format!("move it to `{other_section}`");
            let all = format!("{wanted}.All");
            if same_kind.iter().any(|(value, _)| *value == all) {
                let noun = kind_text.trim_start_matches("an ").trim_start_matches("a ");
                hint.push_str(&format!(", or use the {noun} `{all}`"));
            }
            let other_noun = other_text
                .trim_start_matches("an ")
                .trim_start_matches("a ");
            let kind_noun = kind_text.trim_start_matches("an ").trim_start_matches("a ");
            self.errors.push(PlanError::new(
                &name.origin,
                format!(
                    "`{wanted}` is a {other_noun} of {}, not {} {kind_noun}",
                    source.name,
                    article(kind_noun)
                ),
                Some(hint),
            ));
            return None;
        }
        let same_best =
            closest_with_closeness(wanted, same_kind.iter().map(|(value, _)| value.as_str()));
        let other_best =
            closest_with_closeness(wanted, other.iter().map(|(value, _)| value.as_str()));
        let hint = match (same_best, other_best) {
            (same, Some((value, other_closeness)))
                if same.is_none_or(|(_, closeness)| other_closeness.rank(&closeness).is_lt()) =>
            {
                let (other_text, other_section) = kind_words(kind.other());
                format!(
                    "did you mean `{value}`? it is {other_text}: list it under `{other_section}`"
                )
            }
            (Some((value, _)), _) => format!("did you mean `{value}`?"),
            (None, _) => format!(
                "list {} that {} exposes under `{section}`",
                plural(kind),
                source.name
            ),
        };
        self.errors.push(PlanError::new(
            &name.origin,
            format!("`{wanted}` is not {kind_text} of {}", source.name),
            Some(hint),
        ));
        None
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn plural(kind: PermissionKind) -> &'static str {
    match kind {
        PermissionKind::Delegated => "delegated permissions",
        PermissionKind::Application => "application permissions",
    }
}
