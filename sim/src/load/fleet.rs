//! Ramping the load chargers up, measuring a steady-state window, and stopping them.
//!
//! The steps are separate calls on [`LoadRun`] so that a caller can look at the server between
//! them (its memory once everything is connected, its CPU over the window); [`run_load`] does
//! them all in one go.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, broadcast, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::LoadConfig;
use super::charger::{self, Shared};
use super::stats::{LoadReport, Stats};
use crate::error::SimError;

/// Connects, measures for `config.hold` and stops: the whole load run with default steps.
pub async fn run_load(config: LoadConfig) -> Result<LoadReport, SimError> {
    let hold = config.hold;
    let mut run = LoadRun::start(config)?;
    run.wait_ramped().await;
    run.measure(hold).await;
    Ok(run.stop().await)
}

/// A load run in progress.
pub struct LoadRun {
    shared: Arc<Shared>,
    requested: usize,
    shutdown: watch::Sender<bool>,
    /// How many chargers finished setting up, successfully or not.
    settled: watch::Receiver<usize>,
    tasks: JoinSet<()>,
    started: Instant,
    ramp: Option<Duration>,
    connected_after_ramp: u64,
    window: Duration,
    held_at_end: u64,
}

impl LoadRun {
    /// Starts connecting every charger, at most `ramp_concurrency` at a time, in id order.
    pub fn start(config: LoadConfig) -> Result<Self, SimError> {
        config.validate()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (settled_tx, settled) = watch::channel(0_usize);
        let (events, _) = broadcast::channel(1);
        let started = Instant::now();
        let shared = Arc::new(Shared {
            stats: Stats::new(),
            meter_interval: config.meter_interval,
            epoch: started,
            connections: config.connections,
            call_timeout: config.call_timeout,
            server_url: config.server_url.clone(),
            shutdown: shutdown_rx,
            events,
        });
        let settled_tx = Arc::new(settled_tx);
        // Tokio's semaphore is fair, so chargers connect in id order.
        let ramp = Arc::new(Semaphore::new(config.ramp_concurrency));
        let mut tasks = JoinSet::new();
        for (index, id) in config.charge_point_ids().enumerate() {
            let (shared, ramp, settled_tx) = (shared.clone(), ramp.clone(), settled_tx.clone());
            tasks.spawn(async move {
                // The semaphore is never closed, so a permit always comes.
                let permit = ramp.acquire_owned().await;
                let online = charger::set_up(&shared, id).await;
                drop(permit);
                // Counted before the charger reports itself settled, so the count after the
                // ramp includes it.
                match &online {
                    Ok(_) => shared.stats.on_booted(),
                    Err(reason) => {
                        tracing::debug!(%reason, "load charger could not be set up");
                        shared.stats.on_connect_failed(reason.clone());
                    }
                }
                settled_tx.send_modify(|n| *n += 1);
                if let Ok(online) = online {
                    charger::run(&shared, index, online).await;
                }
            });
        }
        Ok(Self {
            shared,
            requested: config.connections,
            shutdown,
            settled,
            tasks,
            started,
            ramp: None,
            connected_after_ramp: 0,
            window: Duration::ZERO,
            held_at_end: 0,
        })
    }

    /// Waits until every charger is set up or has failed; returns how long the ramp took.
    pub async fn wait_ramped(&mut self) -> Duration {
        let requested = self.requested;
        // The senders live in the charger tasks, which settle before they end.
        let _ = self.settled.wait_for(|n| *n >= requested).await;
        let ramp = self.started.elapsed();
        self.ramp = Some(ramp);
        self.connected_after_ramp = self.shared.stats.connected_now();
        ramp
    }

    /// Chargers connected and booted right now.
    pub fn connected_now(&self) -> u64 {
        self.shared.stats.connected_now()
    }

    /// Measures the steady state for `window`: the latencies of CALLs sent during it are the
    /// report's headline figures.
    pub async fn measure(&mut self, window: Duration) {
        self.shared.stats.set_steady(true);
        let opened = Instant::now();
        tokio::time::sleep(window).await;
        self.shared.stats.set_steady(false);
        self.window += opened.elapsed();
        self.held_at_end = self.shared.stats.connected_now();
    }

    /// Waits (up to the call timeout) for the answers to the CALLs sent in the window, closes
    /// every connection (each with a Close handshake), waits for them, and reports. A CALL still
    /// unanswered then is a failure: a server that stalls at the end of the window is not
    /// measured as fast.
    pub async fn stop(mut self) -> LoadReport {
        let drain_until = Instant::now() + self.shared.call_timeout;
        while self.shared.stats.unsettled_in_window() > 0 && Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.shared.stats.set_stopping();
        self.shutdown.send_replace(true);
        while let Some(joined) = self.tasks.join_next().await {
            if let Err(error) = joined {
                tracing::error!(%error, "a load charger task failed");
            }
        }
        let ramp = self.ramp.unwrap_or_else(|| self.started.elapsed());
        self.shared.stats.report(self.requested, self.connected_after_ramp, self.held_at_end, ramp, self.window)
    }
}
