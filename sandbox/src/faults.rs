//! Fault injection for reliability tests: latency, Slack's server errors, HTTP 5xx and
//! dropped connections, per method.

use std::{collections::HashMap, collections::VecDeque, str::FromStr, sync::Mutex};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// `{"ok": false, "error": "internal_error"}`; nothing is changed.
    InternalError,
    /// `{"ok": false, "error": "fatal_error"}` after a write was applied (Slack: "some
    /// aspect of the operation may have succeeded").
    FatalError,
    /// HTTP 500 with an HTML body; nothing is changed.
    #[serde(rename = "http_500")]
    Http500,
    /// The connection is closed before the reply, after a write was applied.
    Drop,
}

impl FaultKind {
    const ALL: [FaultKind; 4] = [
        FaultKind::InternalError,
        FaultKind::FatalError,
        FaultKind::Http500,
        FaultKind::Drop,
    ];

    fn name(self) -> &'static str {
        match self {
            FaultKind::InternalError => "internal_error",
            FaultKind::FatalError => "fatal_error",
            FaultKind::Http500 => "http_500",
            FaultKind::Drop => "drop",
        }
    }
}

/// Faults for one method (or `*`, every method).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every reply.
    pub latency_ms: u64,
    /// Shares of calls (0 to 1) that fail each way.
    pub internal_error: f64,
    pub fatal_error: f64,
    pub http_500: f64,
    pub drop: f64,
    /// Failures for the next calls, in order, before the shares apply again.
    pub next: VecDeque<FaultKind>,
}

impl Faults {
    fn share(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::InternalError => self.internal_error,
            FaultKind::FatalError => self.fatal_error,
            FaultKind::Http500 => self.http_500,
            FaultKind::Drop => self.drop,
        }
    }
}

/// `METHOD:KEY=VALUE`, as `roster sandbox --fault` takes it: `admin.users.invite:fatal_error=0.1`,
/// `*:latency_ms=50`, `admin.users.remove:next=drop`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub method: String,
    pub faults: Faults,
}

impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "expected METHOD:KEY=VALUE (e.g. admin.users.invite:fatal_error=0.1), not {s:?}"
            )
        };
        let (method, setting) = s.split_once(':').ok_or_else(usage)?;
        let (key, value) = setting.split_once('=').ok_or_else(usage)?;
        let mut faults = Faults::default();
        let share = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|f| (0.0..=1.0).contains(f))
                .ok_or_else(|| format!("{key} must be a share between 0 and 1, not {v:?}"))
        };
        match key {
            "latency_ms" => faults.latency_ms = value.parse().map_err(|_| usage())?,
            "internal_error" => faults.internal_error = share(value)?,
            "fatal_error" => faults.fatal_error = share(value)?,
            "http_500" => faults.http_500 = share(value)?,
            "drop" => faults.drop = share(value)?,
            "next" => {
                for kind in value.split(',') {
                    let kind = FaultKind::ALL
                        .into_iter()
                        .find(|k| k.name() == kind)
                        .ok_or_else(usage)?;
                    faults.next.push_back(kind);
                }
            }
            _ => return Err(usage()),
        }
        Ok(FaultSpec {
            method: method.to_string(),
            faults,
        })
    }
}

/// The faults in force, by method.
#[derive(Debug)]
pub struct FaultPlan {
    by_method: Mutex<HashMap<String, Faults>>,
    rng: Mutex<ChaCha8Rng>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            by_method: Mutex::new(HashMap::new()),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(0xFA017)),
        }
    }
}

impl FaultPlan {
    /// Sets the faults of `method` (`*` for every method).
    pub fn set(&self, method: &str, faults: Faults) {
        self.by_method
            .lock()
            .unwrap()
            .insert(method.to_string(), faults);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.by_method.lock().unwrap().clear();
    }

    /// Latency to add to a reply of `method`.
    pub fn latency_ms(&self, method: &str) -> u64 {
        let plan = self.by_method.lock().unwrap();
        [method, "*"]
            .iter()
            .filter_map(|m| plan.get(*m))
            .map(|f| f.latency_ms)
            .max()
            .unwrap_or(0)
    }

    /// The failure to inject into this call of `method`, if any.
    pub fn draw(&self, method: &str) -> Option<FaultKind> {
        let mut plan = self.by_method.lock().unwrap();
        for key in [method, "*"] {
            if let Some(kind) = plan.get_mut(key).and_then(|f| f.next.pop_front()) {
                return Some(kind);
            }
        }
        let mut rng = self.rng.lock().unwrap();
        for key in [method, "*"] {
            if let Some(faults) = plan.get(key) {
                let roll: f64 = rng.random();
                let mut edge = 0.0;
                for kind in FaultKind::ALL {
                    edge += faults.share(kind);
                    if roll < edge {
                        return Some(kind);
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let spec: FaultSpec = "admin.users.invite:fatal_error=0.25".parse().unwrap();
        assert_eq!(spec.method, "admin.users.invite");
        assert_eq!(spec.faults.fatal_error, 0.25);
        let spec: FaultSpec = "*:next=drop,http_500".parse().unwrap();
        assert_eq!(spec.faults.next, [FaultKind::Drop, FaultKind::Http500]);
        assert!(
            "admin.users.invite:fatal_error=2"
                .parse::<FaultSpec>()
                .is_err()
        );
        assert!("nonsense".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn queued_faults_come_first_then_shares() {
        let plan = FaultPlan::default();
        plan.set(
            "m",
            Faults {
                next: [FaultKind::FatalError, FaultKind::Drop].into(),
                ..Faults::default()
            },
        );
        assert_eq!(plan.draw("m"), Some(FaultKind::FatalError));
        assert_eq!(plan.draw("m"), Some(FaultKind::Drop));
        assert_eq!(plan.draw("m"), None);
        assert_eq!(plan.draw("other"), None);
        plan.set(
            "*",
            Faults {
                internal_error: 1.0,
                ..Faults::default()
            },
        );
        assert_eq!(plan.draw("other"), Some(FaultKind::InternalError));
        plan.clear();
        assert_eq!(plan.draw("other"), None);
    }

    #[test]
    fn a_share_fails_about_that_many_calls() {
        let plan = FaultPlan::default();
        plan.set(
            "m",
            Faults {
                http_500: 0.3,
                ..Faults::default()
            },
        );
        let failed = (0..10_000).filter(|_| plan.draw("m").is_some()).count();
        assert!((2_700..3_300).contains(&failed), "{failed} of 10000");
    }
}
