//! Bounds on what a server can make the client do: how many pages one paged read follows, how
//! large one response body may be, how long one paged read may take, and that no
//! `@odata.nextLink` (or ARM `nextLink`) comes back twice in one read. A server that breaks one
//! of them gets a [`LimitExceeded`] error naming the request and the limit, instead of a client
//! that loops, waits or allocates forever.
//!
//! The limits are far above what a real tenant needs (see each constant), so they only stop a
//! broken or hostile server; tests set small ones through [`crate::AzureConfig::with_read_limits`].

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::Url;

use crate::endpoints::Service;
use crate::error::{AzureError, Limit, LimitExceeded};

/// Most pages one paged read follows. Graph pages hold up to 999 objects (`$top=999`), so 1,000
/// pages are about a million objects: above any tenant's directory quota (300,000 objects with
/// a verified domain), and far above ARM's 4,000 role assignments per subscription.
pub const MAX_PAGES: usize = 1_000;

/// Largest response body read, in bytes (32 MiB). A Graph page of 999 applications with every
/// property Registrar selects is a few MiB; a `$batch` answer of 20 such inner pages stays under
/// this too. The body is read in chunks and refused as soon as it passes the cap (or at once when
/// `Content-Length` announces more), so an oversized body is never held whole.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Longest one paged read may take, retries and their waits included (10 minutes). Reading 1,000
/// pages at Graph's usual latency takes a few minutes; a server that answers each page slowly
/// (but within the per-request timeout) is stopped here.
pub const MAX_READ_TIME: Duration = Duration::from_secs(10 * 60);

/// The bounds the clients enforce ([`ReadLimits::default`]: the constants of this module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most pages one paged read follows ([`MAX_PAGES`]).
    pub max_pages: usize,
    /// Largest response body, in bytes ([`MAX_RESPONSE_BYTES`]).
    pub max_response_bytes: usize,
    /// Longest one paged read, retries included ([`MAX_READ_TIME`]).
    pub max_read_time: Duration,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_pages: MAX_PAGES,
            max_response_bytes: MAX_RESPONSE_BYTES,
            max_read_time: MAX_READ_TIME,
        }
    }
}

/// The state of one paged read: the links seen, the pages read and the deadline.
#[derive(Debug)]
pub(crate) struct PagedRead {
    service: Service,
    /// The collection's path (no host, no query: a skip token is not shown).
    path: String,
    /// The collection's origin: every link must stay on it.
    origin: String,
    seen: HashSet<String>,
    pages: usize,
    started: Instant,
    limits: ReadLimits,
}

impl PagedRead {
    /// Starts a read of the collection at `first` (already requested or about to be).
    pub(crate) fn new(
        first: &str,
        service: Service,
        limits: ReadLimits,
    ) -> Result<Self, AzureError> {
        let url = Url::parse(first).map_err(|source| AzureError::Config {
            message: format!("`{first}` is not a valid URL"),
            source: Some(Box::new(source)),
        })?;
        Ok(Self {
            service,
            path: url.path().to_owned(),
            origin: url.origin().ascii_serialization(),
            seen: HashSet::from([first.to_owned()]),
            pages: 1,
            started: Instant::now(),
            limits,
        })
    }

    /// Accepts `link` as the next page to read, or says which bound it breaks: another origin
    /// (the token would go there), a link seen before in this read, one page too many.
    pub(crate) fn next(&mut self, link: &str) -> Result<(), AzureError> {
        let same_origin = Url::parse(link)
            .is_ok_and(|parsed| parsed.origin().ascii_serialization() == self.origin);
        if !same_origin {
            return Err(AzureError::InvalidRequest(format!(
                "the service returned an unusable @odata.nextLink `{}` for {}: another origin",
                link_path(link),
                self.path
            )));
        }
        if !self.seen.insert(link.to_owned()) {
            return Err(self.exceeded(Limit::RepeatedNextLink));
        }
        self.pages += 1;
        if self.pages > self.limits.max_pages {
            return Err(self.exceeded(Limit::Pages(self.limits.max_pages)));
        }
        Ok(())
    }

    /// The time left for this read, or the error once it is spent.
    pub(crate) fn remaining(&self) -> Result<Duration, AzureError> {
        self.limits
            .max_read_time
            .checked_sub(self.started.elapsed())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| self.timed_out())
    }

    /// The error for a read that ran out of time.
    pub(crate) fn timed_out(&self) -> AzureError {
        self.exceeded(Limit::ReadTime(self.limits.max_read_time))
    }

    fn exceeded(&self, limit: Limit) -> AzureError {
        AzureError::Limit(Box::new(LimitExceeded {
            service: self.service,
            method: "GET".to_owned(),
            path: self.path.clone(),
            limit,
        }))
    }
}

/// A link's path only: its query may carry a skip token, which is not for display.
fn link_path(link: &str) -> String {
    Url::parse(link).map_or_else(|_| "(not a URL)".to_owned(), |url| url.path().to_owned())
}
