//! Prometheus metrics at `/metrics`, kept with the `prometheus-client`
//! crate: requests by route and status with their latency, the connection
//! pools, the webhook outbox, audit group commits and the sign-in throttle.
//!
//! Counters and histograms are updated where things happen (the request
//! middleware, `Db`, the login handler); gauges that describe a state (pool
//! connections, the outbox backlog) are read when Prometheus scrapes.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A request's labels: the route's pattern (never the raw path, whose ids
/// would make a series per record), the method and the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `main`, or `readers` (SQLite's read-only pool).
    pub pool: String,
    /// `in_use` or `idle`.
    pub state: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// What the database layer counts; shared by every clone of a `Db`.
#[derive(Debug, Clone)]
pub struct DbMetrics {
    /// How long work waited for its connection (and, for a SQLite write, its
    /// turn at the writer).
    pub connection_wait: Histogram,
    /// How many reads' audit trails each group commit stored together.
    pub audit_group_size: Histogram,
}

impl Default for DbMetrics {
    fn default() -> Self {
        DbMetrics {
            connection_wait: latency_histogram(),
            audit_group_size: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
        }
    }
}

/// The gauges read at scrape time.
#[derive(Debug, Default, Clone)]
struct Gauges {
    pool: Family<PoolLabels, Gauge>,
    outbox_pending: Gauge,
    outbox_oldest_pending_seconds: Gauge,
}

/// Every metric Spoke exposes, and the registry that renders them.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    sign_in_throttled: Counter,
    gauges: Gauges,
}

impl Metrics {
    pub fn new(db: &DbMetrics) -> Metrics {
        let mut registry = Registry::with_prefix("spoke");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route and method",
            latency.clone(),
        );
        let sign_in_throttled = Counter::default();
        registry.register(
            "sign_in_throttled",
            "Sign-in attempts refused by the throttle (429)",
            sign_in_throttled.clone(),
        );
        registry.register(
            "db_connection_wait_seconds",
            "Time work waited for a database connection (and SQLite's writer turn)",
            db.connection_wait.clone(),
        );
        registry.register(
            "audit_group_commit_size",
            "Reads' audit trails stored by one group commit",
            db.audit_group_size.clone(),
        );
        let gauges = Gauges::default();
        registry.register(
            "db_pool_connections",
            "Database connections by pool and state",
            gauges.pool.clone(),
        );
        registry.register(
            "webhook_outbox_pending",
            "Webhook deliveries waiting to be delivered",
            gauges.outbox_pending.clone(),
        );
        registry.register(
            "webhook_outbox_oldest_pending_age_seconds",
            "Age of the oldest webhook delivery still waiting (0 when none)",
            gauges.outbox_oldest_pending_seconds.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            requests,
            latency,
            sign_in_throttled,
            gauges,
        }
    }

    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn sign_in_throttled(&self) {
        self.sign_in_throttled.inc();
    }

    /// The text exposition, with the state gauges set to `state`.
    pub fn render(&self, state: &Snapshot) -> Result<String, std::fmt::Error> {
        for pool in &state.pools {
            for (label, value) in [("in_use", pool.in_use), ("idle", pool.idle)] {
                self.gauges
                    .pool
                    .get_or_create(&PoolLabels {
                        pool: pool.name.to_owned(),
                        state: label.to_owned(),
                    })
                    .set(i64::from(value));
            }
        }
        self.gauges.outbox_pending.set(state.outbox_pending);
        self.gauges
            .outbox_oldest_pending_seconds
            .set(state.outbox_oldest_pending_seconds);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// One pool's connections.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub name: &'static str,
    pub in_use: u32,
    pub idle: u32,
}

/// The state read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub pools: Vec<PoolState>,
    pub outbox_pending: i64,
    pub outbox_oldest_pending_seconds: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_by_route_and_the_state_it_is_given() {
        let db = DbMetrics::default();
        let metrics = Metrics::new(&db);
        metrics.request("GET", "/v1/clients/{id}", 200, Duration::from_millis(3));
        metrics.request("GET", "/v1/clients/{id}", 404, Duration::from_millis(1));
        metrics.sign_in_throttled();
        db.audit_group_size.observe(6.0);
        let text = metrics
            .render(&Snapshot {
                pools: vec![PoolState {
                    name: "main",
                    in_use: 2,
                    idle: 8,
                }],
                outbox_pending: 3,
                outbox_oldest_pending_seconds: 42,
            })
            .unwrap();
        assert!(text.contains(
            r#"spoke_http_requests_total{method="GET",route="/v1/clients/{id}",status="404"} 1"#
        ));
        assert!(text.contains(r#"spoke_db_pool_connections{pool="main",state="idle"} 8"#));
        assert!(text.contains("spoke_webhook_outbox_pending 3"));
        assert!(text.contains("spoke_webhook_outbox_oldest_pending_age_seconds 42"));
        assert!(text.contains("spoke_sign_in_throttled_total 1"));
        assert!(text.contains("spoke_audit_group_commit_size_count 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
