//! The one waiter: every wait in chatctl (health checks, database readiness, jobs) goes
//! through [`poll_until`], which polls with backoff until a deadline and, on timeout,
//! hands back the last status it saw.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// What one probe saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll<T, S> {
    /// The wait is over, with its result.
    Ready(T),
    /// Not yet; `S` describes the current status for the timeout report.
    Pending(S),
}

/// Why a wait ended without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError<S, E> {
    /// The deadline passed; `last` is the last status the probe reported.
    TimedOut {
        /// The last pending status (the probe always runs at least once).
        last: S,
    },
    /// The probe gave up (e.g. the container exited).
    Failed(E),
}

/// Calls `probe` until it is ready, fails, or `deadline` passes.
///
/// Polls start 100 ms apart and back off to one second, so fast checks finish fast
/// and slow ones do not hammer the engine.
pub async fn poll_until<T, S, E, F, Fut>(
    deadline: Instant,
    mut probe: F,
) -> Result<T, WaitError<S, E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T, S>, E>>,
{
    let mut interval = Duration::from_millis(100);
    loop {
        let last = match probe().await {
            Ok(Poll::Ready(value)) => return Ok(value),
            Ok(Poll::Pending(status)) => status,
            Err(error) => return Err(WaitError::Failed(error)),
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut { last });
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = (interval * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ready_after_some_polls() {
        let mut calls = 0;
        let result: Result<u32, WaitError<u32, ()>> =
            poll_until(Instant::now() + Duration::from_secs(10), || {
                calls += 1;
                let seen = calls;
                async move {
                    Ok(if seen == 3 {
                        Poll::Ready(seen)
                    } else {
                        Poll::Pending(seen)
                    })
                }
            })
            .await;
        assert_eq!(result, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_reports_last_status() {
        let mut calls = 0;
        let result: Result<(), WaitError<String, ()>> =
            poll_until(Instant::now() + Duration::from_secs(3), || {
                calls += 1;
                let seen = calls;
                async move { Ok(Poll::Pending(format!("starting ({seen})"))) }
            })
            .await;
        match result {
            Err(WaitError::TimedOut { last }) => assert!(last.starts_with("starting")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failure_stops_waiting() {
        let result: Result<(), WaitError<(), &str>> =
            poll_until(Instant::now() + Duration::from_secs(3), || async {
                Err("exited with code 1")
            })
            .await;
        assert_eq!(result, Err(WaitError::Failed("exited with code 1")));
    }
}
