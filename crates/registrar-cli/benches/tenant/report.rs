//! The figures of one phase ([`Row`]), the lower bound the services' budgets allow for them
//! ([`Bound`]), and the results as a markdown table and JSON.
//!
//! The bound: every limit is a token bucket that starts full (the harness re-arms throttling
//! before each phase) with capacity `C` refilled at `r` per second, so spending `X` takes at
//! least `max(0, X − C) / r` seconds. The bound of a phase is the largest of these over
//! Graph's resource units (class S: C = 3,500, r = 350/s; M 5,000, L 8,000 per 10 s), Graph's
//! writes (C = 3,000, r = 20/s), ARM's reads (250, 25/s), writes and deletes (200, 10/s each) and
//! Key Vault's secret sets (300, 30/s) and other transactions (4,000, 400/s). It ignores
//! latency and dependencies between requests, so it is a floor no client can beat; 0 means the
//! whole phase fits in the first buckets, and wall / bound is then not defined.

use serde_json::{Value, json};

use crate::phase::Outcome;

/// One bucket: capacity and refill per second.
struct Budget {
    name: &'static str,
    capacity: f64,
    per_second: f64,
}

/// The floor the budgets put on a phase, and the budget that sets it.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub(crate) seconds: f64,
    pub(crate) binding: &'static str,
}

/// Graph's resource units per 10 s for tenant class `class`.
pub(crate) fn class_resource_units(class: &str) -> f64 {
    match class.to_ascii_uppercase().as_str() {
        "M" => 5_000.0,
        "L" => 8_000.0,
        _ => 3_500.0,
    }
}

fn number(value: &Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(value, |value, field| &value[*field])
        .as_u64()
        .unwrap_or_default()
}

/// Key Vault secret sets (`PUT …/secrets/{name}`) in the per-route usage.
fn vault_secret_sets(usage: &Value) -> u64 {
    usage["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|route| {
            route["service"].as_str() == Some("keyvault")
                && route["method"].as_str() == Some("PUT")
                && route["route"]
                    .as_str()
                    .is_some_and(|route| route.contains("/secrets/"))
        })
        .map(|route| route["requests"].as_u64().unwrap_or_default())
        .sum()
}

impl Bound {
    /// The bound of the usage `usage` (the contract's `GET /_emulator/usage` body).
    pub(crate) fn of(usage: &Value, class: &str) -> Self {
        let ru_capacity = class_resource_units(class);
        let sets = vault_secret_sets(usage);
        #[allow(clippy::cast_precision_loss)]
        let spent = |path: &[&str]| number(usage, path) as f64;
        let budgets = [
            (
                Budget {
                    name: "Graph RU",
                    capacity: ru_capacity,
                    per_second: ru_capacity / 10.0,
                },
                spent(&["graph", "ru"]),
            ),
            (
                Budget {
                    name: "Graph writes",
                    capacity: 3_000.0,
                    per_second: 20.0,
                },
                spent(&["graph", "writes"]),
            ),
            (
                Budget {
                    name: "ARM reads",
                    capacity: 250.0,
                    per_second: 25.0,
                },
                spent(&["arm", "reads"]),
            ),
            (
                Budget {
                    name: "ARM writes",
                    capacity: 200.0,
                    per_second: 10.0,
                },
                spent(&["arm", "writes"]),
            ),
            (
                Budget {
                    name: "ARM deletes",
                    capacity: 200.0,
                    per_second: 10.0,
                },
                spent(&["arm", "deletes"]),
            ),
            #[allow(clippy::cast_precision_loss)]
            (
                Budget {
                    name: "Key Vault sets",
                    capacity: 300.0,
                    per_second: 30.0,
                },
                sets as f64,
            ),
            #[allow(clippy::cast_precision_loss)]
            (
                Budget {
                    name: "Key Vault",
                    capacity: 4_000.0,
                    per_second: 400.0,
                },
                (number(usage, &["keyvault", "requests"]).saturating_sub(sets)) as f64,
            ),
        ];
        budgets
            .iter()
            .map(|(budget, spent)| Self {
                seconds: ((spent - budget.capacity) / budget.per_second).max(0.0),
                binding: budget.name,
            })
            .fold(
                Self {
                    seconds: 0.0,
                    binding: "none",
                },
                |best, next| {
                    if next.seconds > best.seconds {
                        next
                    } else {
                        best
                    }
                },
            )
    }
}

/// One measured phase.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) apps: usize,
    pub(crate) phase: &'static str,
    /// `registrar` or `baseline`.
    pub(crate) reader: &'static str,
    pub(crate) outcome: Outcome,
    /// The emulator's usage counters for the phase (`None`: the emulator has none).
    pub(crate) usage: Option<Value>,
    pub(crate) bound: Option<Bound>,
}

impl Row {
    /// HTTP requests to Graph and ARM (the emulator's count, else the client's).
    pub(crate) fn graph_arm_requests(&self) -> u64 {
        match &self.usage {
            Some(usage) => {
                number(usage, &["graph", "requests"]) + number(usage, &["arm", "requests"])
            }
            None => self.outcome.client_graph_arm,
        }
    }

    pub(crate) fn key_vault_requests(&self) -> u64 {
        match &self.usage {
            Some(usage) => number(usage, &["keyvault", "requests"]),
            None => self.outcome.client_key_vault,
        }
    }

    pub(crate) fn resource_units(&self) -> Option<u64> {
        self.usage
            .as_ref()
            .map(|usage| number(usage, &["graph", "ru"]))
    }

    /// Graph writes, and ARM's writes and deletes.
    pub(crate) fn writes(&self) -> Option<u64> {
        self.usage.as_ref().map(|usage| {
            number(usage, &["graph", "writes"])
                + number(usage, &["arm", "writes"])
                + number(usage, &["arm", "deletes"])
        })
    }

    pub(crate) fn throttled(&self) -> Option<u64> {
        self.usage
            .as_ref()
            .map(|usage| {
                number(usage, &["graph", "throttled"])
                    + number(usage, &["arm", "throttled"])
                    + number(usage, &["keyvault", "throttled"])
            })
            .or(self.outcome.client_throttled)
    }

    fn wall_over_bound(&self) -> Option<f64> {
        self.bound
            .as_ref()
            .filter(|bound| bound.seconds > 0.0)
            .map(|bound| self.outcome.wall_seconds / bound.seconds)
    }

    fn to_json(&self) -> Value {
        json!({
            "apps": self.apps,
            "phase": self.phase,
            "reader": self.reader,
            "graph_arm_requests": self.graph_arm_requests(),
            "key_vault_requests": self.key_vault_requests(),
            "resource_units": self.resource_units(),
            "writes": self.writes(),
            "throttled": self.throttled(),
            "wall_seconds": self.outcome.wall_seconds,
            "bound_seconds": self.bound.as_ref().map(|bound| bound.seconds),
            "bound_by": self.bound.as_ref().map(|bound| bound.binding),
            "wall_over_bound": self.wall_over_bound(),
            "peak_rss_mib": self.outcome.peak_rss_mib,
            "changes": self.outcome.changes,
            "client_requests": {
                "graph_arm": self.outcome.client_graph_arm,
                "key_vault": self.outcome.client_key_vault,
            },
            "usage": self.usage,
        })
    }
}

fn or_na(value: Option<u64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |value| value.to_string())
}

/// The table of every row, then the baseline's ratios to Registrar per plan phase.
pub(crate) fn markdown(rows: &[Row]) -> String {
    let mut text = String::from(
        "| apps | phase | reader | Graph+ARM requests | Key Vault requests | RU | writes | 429s | wall | bound (budget) | wall / bound | peak memory |\n\
         |---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n",
    );
    for row in rows {
        let bound = row.bound.as_ref().map_or_else(
            || "n/a".to_owned(),
            |bound| {
                if bound.seconds > 0.0 {
                    format!("{:.1} s ({})", bound.seconds, bound.binding)
                } else {
                    "0 s (fits the buckets)".to_owned()
                }
            },
        );
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s | {} | {} | {:.0} MiB |\n",
            row.apps,
            row.phase,
            row.reader,
            row.graph_arm_requests(),
            row.key_vault_requests(),
            or_na(row.resource_units()),
            or_na(row.writes()),
            or_na(row.throttled()),
            row.outcome.wall_seconds,
            bound,
            row.wall_over_bound()
                .map_or_else(|| "—".to_owned(), |ratio| format!("{ratio:.2}")),
            row.outcome.peak_rss_mib,
        ));
    }
    let pairs: Vec<(&Row, &Row)> = rows
        .iter()
        .filter(|row| row.reader == "registrar")
        .filter_map(|ours| {
            rows.iter()
                .find(|theirs| {
                    theirs.reader == "baseline"
                        && theirs.apps == ours.apps
                        && theirs.phase == ours.phase
                })
                .map(|theirs| (ours, theirs))
        })
        .collect();
    if !pairs.is_empty() {
        text.push_str(
            "\nPer-object baseline ÷ Registrar (how many times more the baseline spends):\n\n\
             | apps | phase | Graph+ARM requests | Key Vault requests | RU | wall |\n\
             |---:|---|---:|---:|---:|---:|\n",
        );
        #[allow(clippy::cast_precision_loss)]
        let ratio = |theirs: Option<u64>, ours: Option<u64>| match (theirs, ours) {
            (Some(theirs), Some(ours)) if ours > 0 => {
                format!("{:.1}×", theirs as f64 / ours as f64)
            }
            _ => "n/a".to_owned(),
        };
        for (ours, theirs) in pairs {
            text.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                ours.apps,
                ours.phase,
                ratio(
                    Some(theirs.graph_arm_requests()),
                    Some(ours.graph_arm_requests())
                ),
                ratio(
                    Some(theirs.key_vault_requests()),
                    Some(ours.key_vault_requests())
                ),
                ratio(theirs.resource_units(), ours.resource_units()),
                if ours.outcome.wall_seconds > 0.0 {
                    format!(
                        "{:.1}×",
                        theirs.outcome.wall_seconds / ours.outcome.wall_seconds
                    )
                } else {
                    "n/a".to_owned()
                },
            ));
        }
    }
    text
}

/// Every row as JSON, with the run's settings.
pub(crate) fn json(rows: &[Row], settings: Value) -> Value {
    json!({
        "settings": settings,
        "rows": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
    })
}
