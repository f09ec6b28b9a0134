//! [`CreatedIds`]: the ids of the objects created earlier in one apply (applications by
//! manifest key, and their service principals), and the substitution of the placeholders and
//! planned references that name them.

use std::collections::HashMap;
use std::sync::Mutex;

use registrar_model::{ApplicationRef, ApplicationSettings, PlannedAppId, ServicePrincipalRef};

use crate::ApplyError;

/// Ids of objects created during this apply, by manifest key.
#[derive(Default)]
pub(crate) struct CreatedIds {
    /// (object id, appId) of created or restored applications.
    applications: Mutex<HashMap<String, (String, String)>>,
    /// Object ids of created (or adopted) service principals, by their application's key.
    service_principals: Mutex<HashMap<String, String>>,
}

impl CreatedIds {
    pub(crate) fn record_application(&self, key: &str, id: String, app_id: String) {
        if let Ok(mut applications) = self.applications.lock() {
            applications.insert(key.to_owned(), (id, app_id));
        }
    }

    pub(crate) fn record_service_principal(&self, key: &str, id: String) {
        if let Ok(mut service_principals) = self.service_principals.lock() {
            service_principals.insert(key.to_owned(), id);
        }
    }

    /// The object id of a service principal that exists, or was created earlier in this apply.
    pub(crate) fn resolve_service_principal(
        &self,
        service_principal: &ServicePrincipalRef,
    ) -> Result<String, ApplyError> {
        match service_principal {
            ServicePrincipalRef::Existing { id } => Ok(id.clone()),
            ServicePrincipalRef::Planned { key } => self
                .service_principals
                .lock()
                .ok()
                .and_then(|service_principals| service_principals.get(key).cloned())
                .ok_or_else(|| ApplyError::MissingPlannedServicePrincipal { key: key.clone() }),
        }
    }

    /// Replaces the planner's `{appId:<key>}` placeholders (references to applications created
    /// earlier in this apply) with the appIds their creates returned.
    pub(crate) fn resolve_planned_app_ids(
        &self,
        settings: &mut ApplicationSettings,
    ) -> Result<(), ApplyError> {
        let mut failure = None;
        settings.retain_app_id_references(|text| {
            if failure.is_none()
                && let Some(planned) = PlannedAppId::parse(text)
            {
                match self.resolve(&ApplicationRef::Planned { key: planned.key }) {
                    Ok((_, app_id)) => *text = app_id,
                    Err(error) => failure = Some(error),
                }
            }
            true
        });
        failure.map_or(Ok(()), Err)
    }

    pub(crate) fn resolve(
        &self,
        application: &ApplicationRef,
    ) -> Result<(String, String), ApplyError> {
        match application {
            ApplicationRef::Existing { id, app_id } => Ok((id.clone(), app_id.clone())),
            ApplicationRef::Planned { key } => self
                .applications
                .lock()
                .ok()
                .and_then(|applications| applications.get(key).cloned())
                .ok_or_else(|| ApplyError::MissingPlannedApplication { key: key.clone() }),
        }
    }
}
