//! `allowed_outbound_hosts` as Spin reads it: `scheme://host[:port]`, where `*` may stand for the
//! scheme, the host, a leading host label (`*.example.com`) or the port, a port may be a range
//! (`1000-2000`), and the port defaults to the scheme's. `http://<component>.spin.internal` (or
//! `http://*.spin.internal`) grants service chaining.

use wasmtime::error::Context;
use wasmtime::{bail, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq)]
enum HostPattern {
    Any,
    Exact(String),
    Suffix(String),
}

#[derive(Debug, Clone, PartialEq)]
enum PortPattern {
    Any,
    Range(u16, u16),
    SchemeDefault,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHost {
    pub fn parse(s: &str) -> Result<AllowedHost> {
        let (scheme, rest) = s
            .split_once("://")
            .with_context(|| format!("{s:?} needs a scheme"))?;
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            bail!("{s:?}: an allowed host has no path");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let host = match host {
            "*" => HostPattern::Any,
            h if h.starts_with("*.") => HostPattern::Suffix(h[1..].to_ascii_lowercase()),
            h => HostPattern::Exact(h.to_ascii_lowercase()),
        };
        let port = match port {
            None => PortPattern::SchemeDefault,
            Some("*") => PortPattern::Any,
            Some(p) => match p.split_once('-') {
                Some((a, b)) => PortPattern::Range(a.parse()?, b.parse()?),
                None => {
                    let n = p.parse()?;
                    PortPattern::Range(n, n)
                }
            },
        };
        Ok(AllowedHost {
            scheme: (scheme != "*").then(|| scheme.to_ascii_lowercase()),
            host,
            port,
        })
    }

    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        if self.scheme.as_deref().is_some_and(|s| s != scheme) {
            return false;
        }
        let host = host.to_ascii_lowercase();
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => *h == host,
            HostPattern::Suffix(suffix) => host.ends_with(suffix.as_str()),
        };
        let port = port.or_else(|| default_port(scheme));
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::Range(a, b) => port.is_some_and(|p| (a..=b).contains(&p)),
            PortPattern::SchemeDefault => port.is_some() && port == default_port(scheme),
        };
        host_ok && port_ok
    }
}

/// The component a `*.spin.internal` host names, if it is one.
pub fn chaining_target(host: &str) -> Option<&str> {
    host.strip_suffix(".spin.internal")
}

/// Spin's `is_service_chaining_host`: `<component>.spin.internal`, with or without a port.
pub fn is_service_chaining_host(host: &str) -> bool {
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    host.split_once('.')
        .is_some_and(|(_, rest)| rest == "spin.internal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_spin() {
        let a = AllowedHost::parse("http://auth.spin.internal").unwrap();
        assert!(a.allows("http", "auth.spin.internal", None));
        assert!(!a.allows("http", "mail.spin.internal", None));
        assert!(!a.allows("https", "auth.spin.internal", None));
        let w = AllowedHost::parse("https://*.example.com:*").unwrap();
        assert!(w.allows("https", "api.example.com", Some(8443)));
        assert!(!w.allows("https", "example.org", None));
        let r = AllowedHost::parse("*://127.0.0.1:3000-3010").unwrap();
        assert!(r.allows("http", "127.0.0.1", Some(3005)));
        assert!(!r.allows("http", "127.0.0.1", Some(80)));
    }
}
