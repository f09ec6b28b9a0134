//! One `AddSecret` step: check that the store can take a value, add a client secret, deliver its value to its store, and make sure no
//! credential is left whose value nobody received: removed again when delivery fails, and read
//! back and removed when an `addPassword` failed in a way that may hide a created credential.

use registrar_azure::DeliveredSecret;
use registrar_model::{PasswordCredential, SecretStoreLocation};
use time::OffsetDateTime;

use crate::{ApplyError, TenantWriter, WriteError, describe_store, write_error};

/// Most `addPassword` attempts of one `AddSecret` step. A failed attempt is sent again only
/// when it may have been carried out and the read-back removed what it created, so each
/// attempt starts from a known state; three covers a dropped connection or a gateway timeout
/// without hammering a service that keeps failing.
const ADD_PASSWORD_ATTEMPTS: u32 = 3;

/// What one `AddSecret` step sent to `addPassword`: the credentials it may have created are the
/// application's password credentials with this display name, start and end (to the second:
/// the plan's clock, which no earlier apply shares, since a plan is applied once).
struct SentPassword<'a> {
    display_name: &'a str,
    start: OffsetDateTime,
    end: OffsetDateTime,
}

impl SentPassword<'_> {
    fn created(&self, credential: &PasswordCredential) -> bool {
        let same_second = |live: Option<OffsetDateTime>, sent: OffsetDateTime| {
            live.is_some_and(|live| live.unix_timestamp() == sent.unix_timestamp())
        };
        credential.display_name.as_deref() == Some(self.display_name)
            && same_second(credential.start, self.start)
            && same_second(credential.end, self.end)
    }
}

/// Reads the application's password credentials and removes those `sent` created, except
/// `keep` (the one whose value was delivered). Returns the error text and the credentials left
/// when reading or a removal failed.
async fn remove_undelivered(
    tenant: &dyn TenantWriter,
    application_id: &str,
    sent: &SentPassword<'_>,
    keep: Option<&str>,
) -> Result<(), (String, Vec<String>)> {
    let credentials = tenant
        .list_passwords(application_id)
        .await
        .map_err(|error| (error.to_string(), Vec::new()))?;
    let mut left = Vec::new();
    let mut failure = None;
    for credential in credentials
        .iter()
        .filter(|credential| sent.created(credential))
    {
        if keep == Some(credential.key_id.as_str()) {
            continue;
        }
        if let Err(error) = tenant
            .remove_password(application_id, &credential.key_id)
            .await
        {
            left.push(credential.key_id.clone());
            failure = Some(error.to_string());
        }
    }
    match failure {
        Some(error) => Err((error, left)),
        None => Ok(()),
    }
}

/// Adds a credential and delivers its value; on delivery failure removes the credential again.
/// An `addPassword` that failed but may have been carried out (a lost answer, a 5xx) is
/// followed by a read that removes what it created, then sent again (at most
/// [`ADD_PASSWORD_ATTEMPTS`] in all); after a success that followed such a failure, the read
/// runs once more (Graph's reads may lag its writes), keeping only the delivered credential.
pub(crate) async fn add_and_deliver_secret(
    tenant: &dyn TenantWriter,
    application_id: &str,
    app_id: &str,
    secret_name: &str,
    (start, end): (OffsetDateTime, OffsetDateTime),
    store: &SecretStoreLocation,
) -> Result<(), ApplyError> {
    // A credential whose value cannot reach its store is never created.
    tenant
        .check_store(store)
        .await
        .map_err(write_error(format!(
            "secret `{secret_name}` cannot be delivered to {}; no credential was created",
            describe_store(store)
        )))?;
    let sent = SentPassword {
        display_name: secret_name,
        start,
        end,
    };
    let left = |source: WriteError, (removal, key_ids): (String, Vec<String>)| {
        ApplyError::UndeliveredCredentialsLeft {
            secret: secret_name.to_owned(),
            store: describe_store(store),
            key_ids,
            removal,
            source,
        }
    };
    let mut attempt = 0;
    let mut uncertain = false;
    let (credential, value) = loop {
        attempt += 1;
        let error = match tenant
            .add_password(application_id, secret_name, start, end)
            .await
        {
            Ok(added) => break added,
            Err(error) => error,
        };
        if !tenant.may_have_been_applied(&error) {
            return Err(write_error(format!("adding secret `{secret_name}`"))(error));
        }
        uncertain = true;
        if let Err(failure) = remove_undelivered(tenant, application_id, &sent, None).await {
            return Err(left(error, failure));
        }
        if attempt >= ADD_PASSWORD_ATTEMPTS {
            return Err(write_error(format!("adding secret `{secret_name}`"))(error));
        }
    };
    let secret = DeliveredSecret {
        tenant_id: tenant.tenant_id(),
        client_id: app_id.to_owned(),
        key_id: credential.key_id.clone(),
        expires_on: Some(credential.end.unwrap_or(end)),
        value,
    };
    let delivered = tenant.deliver_secret(store, &secret).await;
    // The value leaves memory here, delivered or not.
    drop(secret);
    let Err(delivery_error) = delivered else {
        if uncertain {
            // A first attempt that the read-back did not see yet may have surfaced since.
            remove_undelivered(tenant, application_id, &sent, Some(&credential.key_id))
                .await
                .map_err(|failure| left(Box::new(UndeliveredDuplicate) as WriteError, failure))?;
        }
        return Ok(());
    };
    let store_name = describe_store(store);
    match tenant
        .remove_password(application_id, &credential.key_id)
        .await
    {
        Ok(()) => Err(ApplyError::DeliveryFailed {
            secret: secret_name.to_owned(),
            store: store_name,
            key_id: credential.key_id,
            source: delivery_error,
        }),
        Err(removal) => Err(ApplyError::DeliveryFailedOrphan {
            secret: secret_name.to_owned(),
            store: store_name,
            key_id: credential.key_id,
            removal: removal.to_string(),
            source: delivery_error,
        }),
    }
}

/// Why a delivered secret's step still failed: an earlier attempt's credential surfaced.
#[derive(Debug, thiserror::Error)]
#[error(
    "the secret was delivered, but an earlier addPassword attempt had created another credential"
)]
struct UndeliveredDuplicate;
