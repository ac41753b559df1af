//! Faults: the real binary killed mid-stream, its database going away and
//! coming back, and its logs at their most verbose — it loses nothing,
//! recovers by itself, and lets no secret out.

mod crash;
mod outage;
mod proxy;
mod secrets;
