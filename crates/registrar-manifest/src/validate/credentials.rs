//! Secrets, certificates, federated credentials and role assignments.

use std::collections::HashMap;
use std::path::Path;

use registrar_model::{Guid, Origin};
use time::Duration;

use super::{Report, names, uri};
use crate::diagnostics::Diagnostic;
use crate::duration::{format_duration, parse_duration};
use crate::spanned::{NamedMap, Spanned};
use crate::types::{Certificate, Defaults, FederatedCredential, RoleAssignment, Secret};

/// A secret's lifetime when neither it nor `defaults.secretLifetime` says: 180 days.
pub(crate) const DEFAULT_LIFETIME_DAYS: i64 = 180;
/// A secret's rotation window when neither it nor `defaults.rotateBefore` says: 30 days.
pub(crate) const DEFAULT_ROTATE_BEFORE_DAYS: i64 = 30;
/// The audience of federated credentials for Entra ID.
pub(crate) const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";
/// Graph's limit on federated credentials per application.
const MAX_FEDERATED_CREDENTIALS: usize = 20;

/// The lifetime text that applies to `secret` (its own, else the file's default), if any.
pub(crate) fn lifetime_source<'a>(
    secret: &'a Secret,
    defaults: Option<&'a Defaults>,
) -> Option<&'a Spanned<String>> {
    secret
        .lifetime
        .as_ref()
        .or_else(|| defaults.and_then(|defaults| defaults.secret_lifetime.as_ref()))
}

/// The rotateBefore text that applies to `secret`, if any.
pub(crate) fn rotate_before_source<'a>(
    secret: &'a Secret,
    defaults: Option<&'a Defaults>,
) -> Option<&'a Spanned<String>> {
    secret
        .rotate_before
        .as_ref()
        .or_else(|| defaults.and_then(|defaults| defaults.rotate_before.as_ref()))
}

/// Parses a duration written in the manifest, reporting a bad one at its place. `what` names it
/// in messages (`lifetime`, `rotateBefore`, ...).
pub(crate) fn check_duration(
    text: &Spanned<String>,
    what: &str,
    report: &mut Report,
) -> Option<Duration> {
    match parse_duration(&text.value) {
        Ok(duration) => {
            let short = text.value.trim();
            if short.ends_with('m')
                && !short.starts_with(['P', 'p'])
                && duration < Duration::days(1)
                && what != "overlap"
            {
                let minutes = duration.whole_minutes();
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                report.push(
                    Diagnostic::warning(
                        text.origin.clone(),
                        format!("`{short}` for `{what}` means {minutes} {unit}"),
                    )
                    .with_hint("`m` is minutes; write days as `d`, e.g. `180d`"),
                );
            }
            Some(duration)
        }
        Err(error) => {
            report.push(
                Diagnostic::error(text.origin.clone(), error.message.to_string())
                    .with_hint_opt(error.hint),
            );
            None
        }
    }
}

/// Parses a duration known to be valid (checked by validation); `None` if it is not.
pub(crate) fn duration_of(text: Option<&Spanned<String>>) -> Option<Duration> {
    text.and_then(|text| parse_duration(&text.value).ok())
}

/// Where a secret is delivered, for telling two secrets with one store apart.
pub(crate) type StoreRegistry = HashMap<String, (String, Origin)>;

pub(super) fn check_secrets(
    app_key: &str,
    secrets: &NamedMap<Secret>,
    defaults: Option<&Defaults>,
    manifest_dir: &Path,
    stores: &mut StoreRegistry,
    report: &mut Report,
) {
    for (name, secret) in secrets.iter() {
        // Defaults are checked once where they are written; only the secret's own values here.
        let lifetime = match secret.lifetime.as_ref() {
            Some(text) => check_duration(text, "lifetime", report),
            None => duration_of(lifetime_source(secret, defaults)),
        };
        let rotate_before = match secret.rotate_before.as_ref() {
            Some(text) => check_duration(text, "rotateBefore", report),
            None => duration_of(rotate_before_source(secret, defaults)),
        };
        let overlap = secret
            .overlap
            .as_ref()
            .and_then(|text| check_duration(text, "overlap", report));
        let lifetime = lifetime.or_else(|| {
            lifetime_source(secret, defaults)
                .is_none()
                .then(|| Duration::days(DEFAULT_LIFETIME_DAYS))
        });
        let rotate_before = rotate_before.or_else(|| {
            rotate_before_source(secret, defaults)
                .is_none()
                .then(|| Duration::days(DEFAULT_ROTATE_BEFORE_DAYS))
        });
        let lifetime_origin = lifetime_source(secret, defaults)
            .map_or_else(|| name.origin.clone(), |text| text.origin.clone());
        if let Some(lifetime) = lifetime {
            if lifetime <= Duration::ZERO {
                report.push(Diagnostic::error(
                    lifetime_origin.clone(),
                    format!("secret `{}` has a zero lifetime", name.value),
                ));
            } else {
                if let Some(rotate_before) =
                    rotate_before.filter(|rotate_before| *rotate_before >= lifetime)
                {
                    let origin = rotate_before_source(secret, defaults)
                        .map_or_else(|| name.origin.clone(), |text| text.origin.clone());
                    report.push(
                        Diagnostic::error(
                            origin,
                            format!(
                                "secret `{}` rotates {} before expiry, which is not less than its lifetime of {}",
                                name.value,
                                format_duration(rotate_before),
                                format_duration(lifetime)
                            ),
                        )
                        .with_hint("`rotateBefore` must be shorter than `lifetime`, or every run would rotate"),
                    );
                }
                if let (Some(overlap), Some(text)) = (
                    overlap.filter(|overlap| *overlap >= lifetime),
                    secret.overlap.as_ref(),
                ) {
                    report.push(Diagnostic::error(
                        text.origin.clone(),
                        format!(
                            "secret `{}` overlaps {}, which is not less than its lifetime of {}",
                            name.value,
                            format_duration(overlap),
                            format_duration(lifetime)
                        ),
                    ));
                }
            }
        }
        check_store(app_key, &name.value, secret, manifest_dir, stores, report);
    }
}

fn check_store(
    app_key: &str,
    secret_name: &str,
    secret: &Secret,
    manifest_dir: &Path,
    stores: &mut StoreRegistry,
    report: &mut Report,
) {
    let store = &secret.store;
    let identity = match (&store.value.key_vault, &store.value.file) {
        (None, None) => {
            report.push(
                Diagnostic::error(
                    store.origin.clone(),
                    format!("secret `{secret_name}` has no store"),
                )
                .with_hint("add `keyVault: { vault: …, name: … }` or `file: { path: … }`"),
            );
            return;
        }
        (Some(_), Some(_)) => {
            report.push(
                Diagnostic::error(
                    store.origin.clone(),
                    format!("secret `{secret_name}` has more than one store"),
                )
                .with_hint("keep exactly one of `keyVault` and `file`"),
            );
            return;
        }
        (Some(key_vault), None) => {
            let mut valid = true;
            if let Some(problem) = names::key_vault_name_problem(&key_vault.vault.value) {
                report.push(Diagnostic::error(
                    key_vault.vault.origin.clone(),
                    format!("Key Vault name `{}` {problem}", key_vault.vault.value),
                ));
                valid = false;
            }
            if !names::is_key_vault_secret_name(&key_vault.name.value) {
                let suggestion: String = key_vault
                    .name
                    .value
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .take(127)
                    .collect();
                report.push(
                    Diagnostic::error(
                        key_vault.name.origin.clone(),
                        format!(
                            "Key Vault secret name `{}` must be 1-127 letters, digits and hyphens",
                            key_vault.name.value
                        ),
                    )
                    .with_hint_opt(
                        (!suggestion.is_empty()).then(|| format!("e.g. `{suggestion}`")),
                    ),
                );
                valid = false;
            }
            if !valid {
                return;
            }
            format!(
                "key vault `{}` secret `{}`",
                key_vault.vault.value.to_ascii_lowercase(),
                key_vault.name.value.to_ascii_lowercase()
            )
        }
        (None, Some(file)) => {
            if file.path.value.trim().is_empty() {
                report.push(Diagnostic::error(
                    file.path.origin.clone(),
                    format!("secret `{secret_name}` has an empty file path"),
                ));
                return;
            }
            format!(
                "file `{}`",
                crate::load::resolve_path(manifest_dir, &file.path.value).display()
            )
        }
    };
    let this = format!("secret `{secret_name}` of `{app_key}`");
    if let Some((other, origin)) = stores.get(&identity) {
        report.push(
            Diagnostic::error(
                store.origin.clone(),
                format!("{this} is delivered to the same store as {other}"),
            )
            .with_hint(format!(
                "{other} is at {origin}; give each secret its own store"
            )),
        );
    } else {
        stores.insert(identity, (this, store.origin.clone()));
    }
}

pub(super) fn check_certificates(certificates: &NamedMap<Certificate>, report: &mut Report) {
    for (name, certificate) in certificates.iter() {
        if certificate.file.value.trim().is_empty() {
            report.push(Diagnostic::error(
                certificate.file.origin.clone(),
                format!("certificate `{}` has an empty file path", name.value),
            ));
        }
    }
}

pub(super) fn check_federated_credentials(
    app_key: &str,
    credentials: &NamedMap<FederatedCredential>,
    report: &mut Report,
) {
    if credentials.len() > MAX_FEDERATED_CREDENTIALS {
        let (name, _) = &credentials.0[MAX_FEDERATED_CREDENTIALS];
        report.push(
            Diagnostic::error(
                name.origin.clone(),
                format!(
                    "`{app_key}` has more than {MAX_FEDERATED_CREDENTIALS} federated credentials"
                ),
            )
            .with_hint("Graph allows at most 20 per application"),
        );
    }
    let mut pairs: HashMap<(&str, &str), &Spanned<String>> = HashMap::new();
    for (name, credential) in credentials.iter() {
        if let Some(problem) = names::federated_name_problem(&name.value) {
            report.push(Diagnostic::error(
                name.origin.clone(),
                format!("federated credential name `{}` {problem}", name.value),
            ));
        }
        if let Some((message, hint)) = uri::issuer_problem(&credential.issuer.value) {
            report.push(
                Diagnostic::error(credential.issuer.origin.clone(), message).with_hint_opt(hint),
            );
        }
        check_length(&credential.issuer, "federated credential issuer", report);
        if credential.subject.value.trim().is_empty() {
            report.push(Diagnostic::error(
                credential.subject.origin.clone(),
                "federated credential subject is empty",
            ));
        }
        check_length(&credential.subject, "federated credential subject", report);
        if let Some(description) = &credential.description {
            check_length(description, "federated credential description", report);
        }
        if let Some(audiences) = &credential.audiences {
            if audiences.value.len() != 1 {
                report.push(
                    Diagnostic::error(
                        audiences.origin.clone(),
                        format!(
                            "federated credential `{}` has {} audiences; Graph takes exactly one",
                            name.value,
                            audiences.value.len()
                        ),
                    )
                    .with_hint(format!(
                        "use `[{DEFAULT_AUDIENCE}]`, the default, unless the issuer says otherwise"
                    )),
                );
            }
            for audience in &audiences.value {
                check_length(audience, "federated credential audience", report);
            }
        }
        let pair = (
            credential.issuer.value.as_str(),
            credential.subject.value.as_str(),
        );
        if let Some(first) = pairs.get(&pair) {
            report.push(
                Diagnostic::error(
                    name.origin.clone(),
                    format!(
                        "federated credential `{}` has the same issuer and subject as `{}`",
                        name.value, first.value
                    ),
                )
                .with_hint("Graph requires each (issuer, subject) pair once per application"),
            );
        } else {
            pairs.insert(pair, name);
        }
    }
}

fn check_length(text: &Spanned<String>, what: &str, report: &mut Report) {
    let length = text.value.chars().count();
    if length > 600 {
        report.push(Diagnostic::error(
            text.origin.clone(),
            format!("{what} is {length} characters long; Graph allows at most 600"),
        ));
    }
}

pub(super) fn check_role_assignments(assignments: &[RoleAssignment], report: &mut Report) {
    let catalog = registrar_catalog::catalog();
    let mut seen: HashMap<(String, String), &Spanned<String>> = HashMap::new();
    for assignment in assignments {
        let role = assignment.role.value.as_str();
        if Guid::parse(role).is_some() {
            // A role definition GUID: built-in or custom, resolved at plan time.
        } else if names::looks_like_guid(role) {
            report.push(Diagnostic::error(
                assignment.role.origin.clone(),
                format!("role `{role}` is not a valid GUID"),
            ));
        } else if catalog.role(role).is_none() {
            let close = catalog
                .roles
                .iter()
                .map(|builtin| {
                    (
                        strsim::levenshtein(
                            &builtin.role_name.to_lowercase(),
                            &role.to_lowercase(),
                        ),
                        builtin,
                    )
                })
                .filter(|(distance, _)| *distance <= 2)
                .min_by_key(|(distance, _)| *distance);
            if let Some((_, builtin)) = close {
                report.push(
                    Diagnostic::error(
                        assignment.role.origin.clone(),
                        format!("`{role}` is not a built-in role"),
                    )
                    .with_hint(format!("did you mean `{}`?", builtin.role_name)),
                );
            }
            // Anything else may be a custom role: resolved at plan time.
        }
        if let Some(hint) = names::arm_scope_problem(&assignment.scope.value) {
            report.push(
                Diagnostic::error(
                    assignment.scope.origin.clone(),
                    format!(
                        "role assignment scope `{}` is not an ARM resource id",
                        assignment.scope.value
                    ),
                )
                .with_hint(hint),
            );
            continue;
        }
        let key = (
            role.to_ascii_lowercase(),
            assignment
                .scope
                .value
                .trim_end_matches('/')
                .to_ascii_lowercase(),
        );
        if let Some(first) = seen.get(&key) {
            report.push(
                Diagnostic::error(
                    assignment.role.origin.clone(),
                    format!("role `{role}` is assigned twice at the same scope"),
                )
                .with_hint(format!(
                    "it is first assigned at {}:{}",
                    first.origin.line, first.origin.column
                )),
            );
        } else {
            seen.insert(key, &assignment.role);
        }
    }
}
