//! The address a request came from: the socket's peer, or the last
//! `X-Forwarded-For` entry when `limits.trust_forwarded_for` says a reverse
//! proxy in front of the server sets it.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn of(parts: &Parts, trust_forwarded_for: bool) -> Self {
        if trust_forwarded_for {
            let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back();
            if let Some(ip) = forwarded.and_then(|v| v.rsplit(',').next()).and_then(|v| v.trim().parse().ok()) {
                return Self(ip);
            }
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        // Without a socket (requests handed to the router in-process) every caller is one.
        Self(peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, state.config.limits.trust_forwarded_for))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(forwarded: &[&str], peer: Option<&str>) -> Parts {
        let mut request = Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            parts.extensions.insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        }
        parts
    }

    #[test]
    fn the_proxy_added_entry_is_the_last_one() {
        let parts = parts(&["6.6.6.6", "203.0.113.9, 198.51.100.7"], Some("10.0.0.2:4000"));
        assert_eq!(ClientIp::of(&parts, true).0, "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(ClientIp::of(&parts, false).0, "10.0.0.2".parse::<IpAddr>().unwrap(), "untrusted: the peer");
    }

    #[test]
    fn garbage_falls_back_to_the_peer() {
        let parts = parts(&["not an address"], Some("[::1]:4000"));
        assert_eq!(ClientIp::of(&parts, true).0, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(ClientIp::of(&self::parts(&[], None), true).0, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
}
