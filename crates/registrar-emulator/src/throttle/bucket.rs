//! A token bucket with continuous refill, the one shape of every limit the emulator enforces
//! (Graph's resource units and writes, ARM's reads, writes and deletes, Key Vault's
//! transactions). The clock is an argument (`now_ms`), so the rules are tested without waiting.

use serde::{Deserialize, Serialize};

/// A limit: at most `capacity` tokens, refilled evenly over `window_ms` (so an idle client can
/// spend `capacity` at once, and `capacity` per window in the long run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// The bucket's size.
    pub capacity: u32,
    /// How long a drained bucket takes to fill up again, in milliseconds.
    pub window_ms: u64,
}

impl Limit {
    /// `capacity` per `seconds`.
    pub const fn per_seconds(capacity: u32, seconds: u64) -> Self {
        Self {
            capacity,
            window_ms: seconds * 1000,
        }
    }

    fn capacity(self) -> f64 {
        f64::from(self.capacity)
    }

    /// Tokens added per millisecond.
    #[allow(clippy::cast_precision_loss)]
    fn refill_per_ms(self) -> f64 {
        self.capacity() / self.window_ms.max(1) as f64
    }
}

/// The tokens left in one bucket and when it was last refilled. A bucket may go below zero
/// (into debt) where the service keeps counting refused requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TokenBucket {
    tokens: f64,
    refilled_at_ms: i64,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn full(limit: Limit, now_ms: i64) -> Self {
        Self {
            tokens: limit.capacity(),
            refilled_at_ms: now_ms,
        }
    }

    /// Adds what has refilled since the last call (a clock going backwards adds nothing).
    pub(crate) fn refill(&mut self, limit: Limit, now_ms: i64) {
        if now_ms > self.refilled_at_ms {
            #[allow(clippy::cast_precision_loss)]
            let elapsed = (now_ms - self.refilled_at_ms) as f64;
            self.tokens = (self.tokens + elapsed * limit.refill_per_ms()).min(limit.capacity());
            self.refilled_at_ms = now_ms;
        }
    }

    /// Whether `amount` tokens are there (after [`Self::refill`]); a request larger than the
    /// bucket needs a full bucket, so it is never refused for ever.
    pub(crate) fn has(&self, limit: Limit, amount: u32) -> bool {
        self.tokens >= f64::from(amount.min(limit.capacity))
    }

    /// Takes `amount` tokens; the bucket never goes below `-floor_fraction × capacity`.
    pub(crate) fn take(&mut self, limit: Limit, amount: u32, floor_fraction: f64) {
        let floor = -floor_fraction * limit.capacity();
        self.tokens = (self.tokens - f64::from(amount)).max(floor);
    }

    /// Milliseconds until the bucket holds `amount` tokens again (0 if it does now).
    pub(crate) fn wait_ms(&self, limit: Limit, amount: u32) -> u64 {
        let missing = f64::from(amount.min(limit.capacity)) - self.tokens;
        if missing <= 0.0 {
            return 0;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let wait = (missing / limit.refill_per_ms()).ceil() as u64;
        wait
    }

    /// The share of the limit in use: 0 when full, 1 when empty, above 1 in debt.
    pub(crate) fn used_fraction(&self, limit: Limit) -> f64 {
        if limit.capacity == 0 {
            return 1.0;
        }
        (limit.capacity() - self.tokens) / limit.capacity()
    }

    /// Whole tokens left (0 in debt), as ARM's `x-ms-ratelimit-remaining-…` headers show them.
    pub(crate) fn remaining(&self) -> u64 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let remaining = self.tokens.max(0.0).floor() as u64;
        remaining
    }
}

#[cfg(test)]
mod tests {
    use super::{Limit, TokenBucket};

    const TEN_PER_SECOND: Limit = Limit::per_seconds(10, 1);

    #[test]
    fn a_full_bucket_serves_its_capacity_at_once_then_refills_evenly() {
        let mut bucket = TokenBucket::full(TEN_PER_SECOND, 0);
        for _ in 0..10 {
            assert!(bucket.has(TEN_PER_SECOND, 1));
            bucket.take(TEN_PER_SECOND, 1, 0.0);
        }
        assert!(!bucket.has(TEN_PER_SECOND, 1));
        assert_eq!(bucket.wait_ms(TEN_PER_SECOND, 1), 100);
        assert_eq!(bucket.wait_ms(TEN_PER_SECOND, 3), 300);
        bucket.refill(TEN_PER_SECOND, 250);
        assert_eq!(bucket.remaining(), 2);
        bucket.refill(TEN_PER_SECOND, 60_000);
        assert_eq!(bucket.remaining(), 10, "never above capacity");
    }

    #[test]
    fn debt_is_bounded_and_lengthens_the_wait() {
        let mut bucket = TokenBucket::full(TEN_PER_SECOND, 0);
        bucket.take(TEN_PER_SECOND, 10, 0.8);
        bucket.take(TEN_PER_SECOND, 5, 0.8);
        assert!((bucket.used_fraction(TEN_PER_SECOND) - 1.5).abs() < 1e-9);
        bucket.take(TEN_PER_SECOND, 50, 0.8);
        assert!((bucket.used_fraction(TEN_PER_SECOND) - 1.8).abs() < 1e-9);
        assert_eq!(bucket.remaining(), 0);
        // From -8 tokens to 1: 9 tokens at 10 per second.
        assert_eq!(bucket.wait_ms(TEN_PER_SECOND, 1), 900);
    }

    #[test]
    fn a_clock_going_backwards_adds_nothing() {
        let mut bucket = TokenBucket::full(TEN_PER_SECOND, 1_000);
        bucket.take(TEN_PER_SECOND, 5, 0.0);
        bucket.refill(TEN_PER_SECOND, 500);
        assert_eq!(bucket.remaining(), 5);
        bucket.refill(TEN_PER_SECOND, 1_100);
        assert_eq!(bucket.remaining(), 6);
    }

    #[test]
    fn a_request_larger_than_the_bucket_waits_for_a_full_bucket_only() {
        let mut bucket = TokenBucket::full(TEN_PER_SECOND, 0);
        bucket.take(TEN_PER_SECOND, 10, 0.0);
        assert_eq!(bucket.wait_ms(TEN_PER_SECOND, 25), 1_000);
        bucket.refill(TEN_PER_SECOND, 1_000);
        assert!(bucket.has(TEN_PER_SECOND, 25));
    }
}
