//! Secrets, certificates, federated credentials and role assignments.

use std::collections::HashMap;

use registrar_model::{Guid, Located, Origin, SecretStoreLocation};
use time::Duration;

use super::{Report, names, uri};
use crate::defaults::{
    DEFAULT_AUDIENCE, DEFAULT_LIFETIME, DEFAULT_ROTATE_BEFORE, DefaultDurations, WrittenDuration,
    applying,
};
use crate::diagnostics::Diagnostic;
use crate::duration::{format_duration, parse_duration};
use crate::file::{ManifestFile, SecretPathProblem};
use crate::named_map::NamedMap;
use crate::types::{Certificate, FederatedCredential, FileFormat, RoleAssignment, Secret};
use crate::validated::ValidatedSecret;

/// Graph's limit on federated credentials per application.
const MAX_FEDERATED_CREDENTIALS: usize = 20;

/// Parses a duration written in the manifest, reporting a bad one at its place. `what` names it
/// in messages (`lifetime`, `rotateBefore`, ...). The only place a manifest duration is parsed.
pub(crate) fn parse_written(
    text: &Located<String>,
    what: &str,
    report: &mut Report,
) -> WrittenDuration {
    let parsed = match parse_duration(&text.value) {
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
    };
    Located::new(parsed, text.origin.clone())
}

/// Where a secret is delivered, for telling two secrets with one store apart.
pub(crate) type StoreRegistry = HashMap<String, (String, Origin)>;

/// Checks each secret's durations (defaults merged) and store; returns them, checked.
pub(super) fn check_secrets<'a>(
    app_key: &str,
    secrets: &'a NamedMap<Secret>,
    defaults: &DefaultDurations,
    file: &ManifestFile,
    stores: &mut StoreRegistry,
    report: &mut Report,
) -> Vec<ValidatedSecret<'a>> {
    let mut validated = Vec::with_capacity(secrets.len());
    for (name, secret) in secrets.iter() {
        // Defaults are parsed and checked once where they are written; only the secret's own
        // values here.
        let own_lifetime = secret
            .lifetime
            .as_ref()
            .map(|text| parse_written(text, "lifetime", report));
        let own_rotate_before = secret
            .rotate_before
            .as_ref()
            .map(|text| parse_written(text, "rotateBefore", report));
        let overlap = secret
            .overlap
            .as_ref()
            .map(|text| parse_written(text, "overlap", report));
        let lifetime = applying(
            own_lifetime,
            defaults.secret_lifetime.as_ref(),
            DEFAULT_LIFETIME,
            &name.origin,
        );
        let rotate_before = applying(
            own_rotate_before,
            defaults.rotate_before.as_ref(),
            DEFAULT_ROTATE_BEFORE,
            &name.origin,
        );
        check_durations(name, &lifetime, &rotate_before, overlap.as_ref(), report);
        let store = check_store(app_key, &name.value, secret, file, stores, report);
        validated.push(ValidatedSecret {
            name,
            lifetime: lifetime.value.unwrap_or(DEFAULT_LIFETIME),
            rotate_before: rotate_before.value.unwrap_or(DEFAULT_ROTATE_BEFORE),
            overlap: overlap.and_then(|overlap| overlap.value),
            store,
        });
    }
    validated
}

/// A positive lifetime, and a rotation window and overlap shorter than it.
fn check_durations(
    name: &Located<String>,
    lifetime: &WrittenDuration,
    rotate_before: &WrittenDuration,
    overlap: Option<&WrittenDuration>,
    report: &mut Report,
) {
    let Some(lifetime_value) = lifetime.value else {
        return;
    };
    if lifetime_value <= Duration::ZERO {
        report.push(Diagnostic::error(
            lifetime.origin.clone(),
            format!("secret `{}` has a zero lifetime", name.value),
        ));
        return;
    }
    if let Some(rotate_before_value) = rotate_before
        .value
        .filter(|rotate_before| *rotate_before >= lifetime_value)
    {
        report.push(
            Diagnostic::error(
                rotate_before.origin.clone(),
                format!(
                    "secret `{}` rotates {} before expiry, which is not less than its lifetime of {}",
                    name.value,
                    format_duration(rotate_before_value),
                    format_duration(lifetime_value)
                ),
            )
            .with_hint("`rotateBefore` must be shorter than `lifetime`, or every run would rotate"),
        );
    }
    if let Some((overlap_value, overlap)) = overlap.and_then(|overlap| {
        overlap
            .value
            .filter(|value| *value >= lifetime_value)
            .map(|value| (value, overlap))
    }) {
        report.push(Diagnostic::error(
            overlap.origin.clone(),
            format!(
                "secret `{}` overlaps {}, which is not less than its lifetime of {}",
                name.value,
                format_duration(overlap_value),
                format_duration(lifetime_value)
            ),
        ));
    }
}

/// Exactly one valid store, not shared with another secret; returns where it delivers.
fn check_store(
    app_key: &str,
    secret_name: &str,
    secret: &Secret,
    file: &ManifestFile,
    stores: &mut StoreRegistry,
    report: &mut Report,
) -> Option<SecretStoreLocation> {
    let store = &secret.store;
    let (identity, location) = match (&store.value.key_vault, &store.value.file) {
        (None, None) => {
            report.push(
                Diagnostic::error(
                    store.origin.clone(),
                    format!("secret `{secret_name}` has no store"),
                )
                .with_hint("add `keyVault: { vault: …, name: … }` or `file: { path: … }`"),
            );
            return None;
        }
        (Some(_), Some(_)) => {
            report.push(
                Diagnostic::error(
                    store.origin.clone(),
                    format!("secret `{secret_name}` has more than one store"),
                )
                .with_hint("keep exactly one of `keyVault` and `file`"),
            );
            return None;
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
                return None;
            }
            (
                format!(
                    "key vault `{}` secret `{}`",
                    key_vault.vault.value.to_ascii_lowercase(),
                    key_vault.name.value.to_ascii_lowercase()
                ),
                SecretStoreLocation::KeyVault {
                    vault: key_vault.vault.value.clone(),
                    name: key_vault.name.value.clone(),
                },
            )
        }
        (None, Some(file_store)) => {
            if file_store.path.value.trim().is_empty() {
                report.push(Diagnostic::error(
                    file_store.path.origin.clone(),
                    format!("secret `{secret_name}` has an empty file path"),
                ));
                return None;
            }
            let written = &file_store.path.value;
            let path = match file.resolve_secret_path(written) {
                Ok(path) => path.display().to_string(),
                Err(problem) => {
                    let (message, hint) = match problem {
                        SecretPathProblem::Absolute => (
                            format!("secret file path `{written}` is absolute"),
                            "write it relative to the manifest's directory, or pass \
                             `--secret-dir DIR` and write it relative to DIR",
                        ),
                        SecretPathProblem::Escapes => (
                            format!(
                                "secret file path `{written}` leaves the directory it is relative to"
                            ),
                            "a secret file stays inside the manifest's directory (or \
                             `--secret-dir DIR`); remove the `..`, or pass `--secret-dir` with \
                             the directory it belongs in",
                        ),
                    };
                    report.push(
                        Diagnostic::error(file_store.path.origin.clone(), message).with_hint(hint),
                    );
                    return None;
                }
            };
            (
                format!("file `{path}`"),
                SecretStoreLocation::File {
                    path,
                    format: match file_store.format.unwrap_or(FileFormat::Json) {
                        FileFormat::Json => registrar_model::FileFormat::Json,
                        FileFormat::Env => registrar_model::FileFormat::Env,
                        FileFormat::Raw => registrar_model::FileFormat::Raw,
                    },
                },
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
    Some(location)
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
    let mut pairs: HashMap<(&str, &str), &Located<String>> = HashMap::new();
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

fn check_length(text: &Located<String>, what: &str, report: &mut Report) {
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
    let mut seen: HashMap<(String, String), &Located<String>> = HashMap::new();
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
