//! The retry rules, in one place: [`retry_policy`] decides for every failed attempt whether and
//! when to try again.
//!
//! # The rules
//! 1. **Throttling and transient service errors** (429, 503, 504): wait for `Retry-After`
//!    (decimal seconds or an HTTP-date, capped at [`RetryConfig::max_retry_after`]); without it,
//!    capped exponential backoff with jitter. At most [`RetryConfig::max_attempts`] attempts.
//! 2. **Connection errors**: the same backoff. A connection that was never established cannot
//!    have delivered the request, so every method is retried; an error after sending (reset,
//!    timeout) is retried only for idempotent requests.
//! 3. **Non-idempotent requests** (POST: addPassword, servicePrincipals, owners/$ref, restore)
//!    are retried only when the server certainly did not process them: the connection was never
//!    made, or the answer was a 429 or 503 *carrying a Graph/Key Vault error body* (the
//!    throttling layer rejected the request before it ran). A 504, a bare 503 or a timeout may
//!    hide a completed create, so the error goes back to the caller, which must reconcile (the
//!    next plan sees what exists).
//! 4. **Read-your-writes**: for a request on an object this run created (or restored), Graph
//!    may answer 404 `Request_ResourceNotFound` or 400 `NoBackingApplicationObject` while the
//!    write replicates (docs/azure-behaviour.md, "Replication delay"). Those are retried with backoff until
//!    [`RetryConfig::consistency_deadline`] of waiting has accumulated, for every method (the
//!    request was rejected, not processed).
//!
//! 5. **`PrincipalNotFound`** (ARM, on a role assignment create): the principal is always a
//!    service principal that Graph just created or returned in this run, so ARM has not seen it
//!    yet (docs/azure-behaviour.md, "Replication delay" and "ARM role definitions and role assignments"). Retried like rule 4, until the consistency deadline, whether or
//!    not this run created the principal: a service principal created by a previous apply that
//!    stopped here is just as likely to be lagging. A principal that really vanished between
//!    plan and apply costs one deadline of waiting before the error is reported.
//!
//! Waiting is measured as the sum of the delays this policy chose (unscaled), so with
//! [`RetryConfig::delay_scale`] = 0 (tests) the number of attempts is the same as in production,
//! and nothing sleeps.

use std::time::Duration;

use rand::Rng;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::error::AzureError;

/// Tunables of the retry policy (see the module docs). The caller builds them: [`RetryConfig::default`] for real use,
/// [`RetryConfig::without_delays`] for tests (this crate reads no environment for them).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// Most attempts (first try included) for throttling, transient and connection errors.
    pub max_attempts: u32,
    /// First backoff delay.
    pub base_delay: Duration,
    /// Cap of one backoff delay.
    pub max_delay: Duration,
    /// Cap of one `Retry-After` wait.
    pub max_retry_after: Duration,
    /// How long to keep retrying read-your-writes errors (404 after create,
    /// `NoBackingApplicationObject`), counted as the sum of the waits.
    pub consistency_deadline: Duration,
    /// Multiplies every real sleep; `0.0` disables sleeping (tests). The decisions, and so the
    /// number of requests, do not change.
    pub delay_scale: f64,
    /// Most read-your-writes attempts, a backstop for the deadline.
    pub max_consistency_attempts: u32,
    /// How long one attempt may take, from sending to the last byte of the answer (100 s by
    /// default, as the Azure SDKs). A timed-out attempt is a connection error after sending
    /// (rule 2): retried for idempotent requests only. Tests shorten it.
    pub request_timeout: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            consistency_deadline: Duration::from_secs(120),
            delay_scale: 1.0,
            max_consistency_attempts: 40,
            request_timeout: Duration::from_secs(100),
        }
    }
}

impl RetryConfig {
    /// The defaults without any sleeping (for tests): the same decisions and number of
    /// requests, no waiting.
    pub fn without_delays() -> Self {
        Self {
            delay_scale: 0.0,
            ..Self::default()
        }
    }

    /// The real sleep for a chosen delay.
    pub(crate) fn scaled(&self, delay: Duration) -> Duration {
        if self.delay_scale <= 0.0 {
            Duration::ZERO
        } else {
            delay.mul_f64(self.delay_scale)
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Give up and return the error.
    No,
    /// Try again after this delay (before [`RetryConfig::delay_scale`]).
    After(Duration),
}

/// Facts about the attempt that failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt<'a> {
    /// 1 for the first try.
    pub(crate) number: u32,
    /// Whether repeating the request is harmless (GET, PUT, PATCH, DELETE).
    pub(crate) idempotent: bool,
    /// Whether the request acts on an object this run created or restored, so a "not found"
    /// may be replication lag.
    pub(crate) fresh_object: bool,
    /// The sum of the delays chosen so far for this request.
    pub(crate) waited: Duration,
    /// The tunables.
    pub(crate) config: &'a RetryConfig,
}

/// Decides whether the failed `attempt` is tried again, and after how long. See the module docs
/// for the rules.
pub(crate) fn retry_policy(error: &AzureError, attempt: &Attempt<'_>) -> Retry {
    let config = attempt.config;
    // Rules 4 and 5: read-your-writes.
    if (attempt.fresh_object && error.is_graph_replication_lag()) || error.is_principal_not_found()
    {
        if attempt.number >= config.max_consistency_attempts
            || attempt.waited >= config.consistency_deadline
        {
            return Retry::No;
        }
        let delay =
            backoff(config, attempt.number).min(config.consistency_deadline - attempt.waited);
        return Retry::After(delay);
    }
    if attempt.number >= config.max_attempts {
        return Retry::No;
    }
    match error {
        AzureError::Transport { connect, .. } => {
            if *connect || attempt.idempotent {
                Retry::After(backoff(config, attempt.number))
            } else {
                Retry::No
            }
        }
        AzureError::Service(answer) => throttled(
            config,
            attempt,
            answer.status,
            answer.code.is_some(),
            answer.retry_after,
        ),
        _ => Retry::No,
    }
}

fn throttled(
    config: &RetryConfig,
    attempt: &Attempt<'_>,
    status: u16,
    has_error_body: bool,
    retry_after: Option<Duration>,
) -> Retry {
    let retryable = match status {
        429 | 503 => attempt.idempotent || has_error_body,
        504 => attempt.idempotent,
        _ => false,
    };
    if !retryable {
        return Retry::No;
    }
    match retry_after {
        Some(wait) => Retry::After(wait.min(config.max_retry_after)),
        None => Retry::After(backoff(config, attempt.number)),
    }
}

/// Capped exponential backoff with jitter: `base * 2^(n-1)`, capped, then a random 50–100 %.
fn backoff(config: &RetryConfig, attempt_number: u32) -> Duration {
    let exponent = attempt_number.saturating_sub(1).min(20);
    let full = config
        .base_delay
        .saturating_mul(1u32 << exponent)
        .min(config.max_delay);
    let factor = rand::rng().random_range(0.5..=1.0);
    full.mul_f64(factor)
}

/// Parses a `Retry-After` value: decimal seconds (`10`, `2.128`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, relative to `now`). Unparseable or negative values give
/// `None`.
pub(crate) fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    let delta = date - now;
    Some(if delta.is_negative() {
        Duration::ZERO
    } else {
        delta.unsigned_abs()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::Service;
    use crate::error::ServiceError;

    fn graph(status: u16, code: Option<&str>, retry_after: Option<Duration>) -> AzureError {
        AzureError::from(ServiceError {
            code: code.map(str::to_owned),
            retry_after,
            ..ServiceError::new(Service::Graph, "GET", "/v1.0/applications", status)
        })
    }

    fn attempt(config: &RetryConfig, number: u32, idempotent: bool, fresh: bool) -> Attempt<'_> {
        Attempt {
            number,
            idempotent,
            fresh_object: fresh,
            waited: Duration::ZERO,
            config,
        }
    }

    #[test]
    fn retry_after_parses_decimal_and_http_date() {
        let now = time::macros::datetime!(2015-10-21 07:27:50 UTC);
        assert_eq!(parse_retry_after("10", now), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after("2.128", now),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retry_policy_honors_retry_after_with_cap() {
        let config = RetryConfig::default();
        let error = graph(429, Some("TooManyRequests"), Some(Duration::from_secs(600)));
        assert_eq!(
            retry_policy(&error, &attempt(&config, 1, true, false)),
            Retry::After(Duration::from_secs(60))
        );
        let error = graph(429, Some("TooManyRequests"), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_policy(&error, &attempt(&config, 1, true, false)),
            Retry::After(Duration::from_secs(2))
        );
        assert_eq!(
            retry_policy(&error, &attempt(&config, 6, true, false)),
            Retry::No
        );
    }

    #[test]
    fn retry_policy_post_only_when_not_processed() {
        let config = RetryConfig::default();
        assert!(matches!(
            retry_policy(
                &graph(429, Some("TooManyRequests"), None),
                &attempt(&config, 1, false, false)
            ),
            Retry::After(_)
        ));
        assert_eq!(
            retry_policy(&graph(503, None, None), &attempt(&config, 1, false, false)),
            Retry::No
        );
        assert_eq!(
            retry_policy(
                &graph(504, Some("GatewayTimeout"), None),
                &attempt(&config, 1, false, false)
            ),
            Retry::No
        );
        assert!(matches!(
            retry_policy(&graph(504, None, None), &attempt(&config, 1, true, false)),
            Retry::After(_)
        ));
        assert_eq!(
            retry_policy(
                &graph(500, Some("x"), None),
                &attempt(&config, 1, true, false)
            ),
            Retry::No
        );
    }

    #[test]
    fn retry_policy_read_your_writes_until_deadline() {
        let config = RetryConfig::default();
        let not_found = graph(404, Some("Request_ResourceNotFound"), None);
        assert_eq!(
            retry_policy(&not_found, &attempt(&config, 1, true, false)),
            Retry::No
        );
        assert!(matches!(
            retry_policy(&not_found, &attempt(&config, 1, false, true)),
            Retry::After(_)
        ));
        let late = Attempt {
            waited: Duration::from_secs(120),
            ..attempt(&config, 3, true, true)
        };
        assert_eq!(retry_policy(&not_found, &late), Retry::No);
        let mut no_backing = ServiceError {
            code: Some("Request_BadRequest".into()),
            details: vec!["NoBackingApplicationObject".into()],
            ..ServiceError::new(Service::Graph, "POST", "/v1.0/servicePrincipals", 400)
        };
        assert!(matches!(
            retry_policy(
                &AzureError::from(no_backing.clone()),
                &attempt(&config, 1, false, true)
            ),
            Retry::After(_)
        ));
        no_backing.details.clear();
        assert_eq!(
            retry_policy(
                &AzureError::from(no_backing),
                &attempt(&config, 1, false, true)
            ),
            Retry::No
        );
    }

    #[test]
    fn backoff_is_capped() {
        let config = RetryConfig::default();
        for number in 1..30 {
            assert!(backoff(&config, number) <= config.max_delay);
        }
    }
}
