//! Sends the outbox's pushes in the background: each through its token's provider, retried
//! with a doubling, jittered delay up to `push.attempts`; a token the provider says is gone is
//! deleted with its pushes, and so is a Live Activity's token once its activity ended.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Providers;
use super::config::PushConfig;
use super::provider::{Device, PushError, PushMessage};
use crate::store::{DuePush, Store};

/// Pushes read per round.
const BATCH: u32 = 32;
/// The longest pause between two attempts at one push.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);

pub async fn run(store: Store, providers: Providers, config: PushConfig, wake: Arc<Notify>, shutdown: CancellationToken) {
    loop {
        let now = super::unix_ms(time::OffsetDateTime::now_utc());
        match store.due_pushes(now, BATCH).await {
            Ok(due) if !due.is_empty() => {
                for push in due {
                    deliver(&store, &providers, &config, push).await;
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the push outbox; trying again"),
        }
        let next_due = store.next_push_due_ms().await.ok().flatten();
        let wait = next_due.map_or(config.poll_interval * 20, |due| Duration::from_millis(u64::try_from(due - now).unwrap_or(0)));
        tokio::select! {
            _ = tokio::time::sleep(wait.max(Duration::from_millis(10))) => {}
            _ = wake.notified() => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

async fn deliver(store: &Store, providers: &Providers, config: &PushConfig, push: DuePush) {
    let outcome = match (providers.of(&push.token.provider), serde_json::from_str::<PushMessage>(&push.message)) {
        (None, _) => Err(PushError::Permanent(format!("push through {} is no longer configured", push.token.provider))),
        (_, Err(e)) => Err(PushError::Permanent(format!("an unreadable push in the outbox: {e}"))),
        (Some(provider), Ok(message)) => {
            let live_activity = push.token.purpose == "live_activity";
            let sent = provider.send(Device { token: &push.token.token, live_activity }, &message).await;
            sent.map(|()| live_activity && message.event.kind.ends_session())
        }
    };
    let done = match outcome {
        Ok(false) => store.delete_push(push.push_id).await,
        // The activity is over: its token has nothing more to receive.
        Ok(true) => store.delete_push_token_by_id(push.token.id).await,
        Err(PushError::Gone(reason)) => {
            tracing::info!(%reason, provider = %push.token.provider, "a device token is gone; deleted");
            store.delete_push_token_by_id(push.token.id).await
        }
        Err(PushError::Permanent(reason)) => {
            tracing::warn!(%reason, event = %push.event_id, "a push was refused; dropped");
            store.delete_push(push.push_id).await
        }
        Err(PushError::Transient(reason)) if push.attempts + 1 >= i64::from(config.attempts) => {
            tracing::warn!(%reason, event = %push.event_id, attempts = push.attempts + 1, "a push could not be delivered; given up");
            store.delete_push(push.push_id).await
        }
        Err(PushError::Transient(reason)) => {
            let delay = retry_delay(config.retry_delay, push.attempts);
            tracing::info!(%reason, event = %push.event_id, ?delay, "a push failed; retrying");
            let next = super::unix_ms(time::OffsetDateTime::now_utc()) + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
            store.retry_push_later(push.push_id, next, &reason).await
        }
    };
    if let Err(e) = done {
        tracing::warn!(error = %e, event = %push.event_id, "cannot record a push's outcome; it may be sent again");
    }
}

/// `first` doubled per attempt made, at most [`MAX_RETRY_DELAY`], between half and one and a
/// half times that (jitter, so devices failing together do not retry together).
fn retry_delay(first: Duration, attempts: i64) -> Duration {
    let doubled = first.saturating_mul(1 << attempts.clamp(0, 20) as u32).min(MAX_RETRY_DELAY);
    let random = (uuid::Uuid::new_v4().as_u128() % 1000) as u32;
    doubled / 2 + doubled * random / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_with_jitter_up_to_the_cap() {
        for attempts in 0..30 {
            let d = retry_delay(Duration::from_secs(1), attempts);
            let base = Duration::from_secs(1).saturating_mul(1 << attempts.min(20) as u32).min(MAX_RETRY_DELAY);
            assert!(d >= base / 2 && d <= base * 3 / 2, "{attempts}: {d:?}");
        }
    }
}
