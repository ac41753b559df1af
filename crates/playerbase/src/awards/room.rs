//! A bound on the awards waiting for the writer. Its queue counts jobs, and
//! a job is one award or a batch of up to 10,000: without this bound, a few
//! thousand queued batches from one fast game server would hold gigabytes.
//! Callers wait for room instead, as they wait for a full queue.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct Room {
    awards: Arc<Semaphore>,
    capacity: usize,
}

/// Room held by one queued job; the writer gives it back by dropping it when it takes the job.
pub type Taken = OwnedSemaphorePermit;

impl Room {
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0 && u32::try_from(capacity).is_ok(), "room for 1 to u32::MAX awards");
        Self { awards: Arc::new(Semaphore::new(capacity)), capacity }
    }

    /// Waits until there is room for `awards` awards. A job of no awards
    /// still takes one place; one larger than the whole room waits for all of it.
    pub async fn take(&self, awards: usize) -> Taken {
        let wanted = awards.clamp(1, self.capacity) as u32;
        self.awards.clone().acquire_many_owned(wanted).await.expect("the room's semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn waits(take: impl std::future::Future<Output = Taken>) -> bool {
        tokio::time::timeout(Duration::from_millis(50), take).await.is_err()
    }

    #[tokio::test]
    async fn queued_awards_stay_within_the_room_and_waiting_jobs_go_on_as_room_is_given_back() {
        let room = Room::new(20_000);
        let first = room.take(10_000).await;
        let second = room.take(10_000).await;
        assert!(waits(room.take(1)).await, "full: even one award waits");
        drop(first);
        let third = room.take(10_000).await;
        drop((second, third));
        assert!(!waits(room.take(20_000)).await, "all of it again once everything is taken by the writer");
    }

    #[tokio::test]
    async fn a_job_larger_than_the_room_waits_for_all_of_it_then_goes_through() {
        let room = Room::new(100);
        let small = room.take(0).await;
        let large = room.take(10_000);
        assert!(waits(room.take(10_000)).await, "one award queued leaves no room for all of it");
        drop(small);
        let large = large.await;
        assert!(waits(room.take(1)).await, "the large job holds the whole room");
        drop(large);
        drop(room.take(1).await);
    }
}
