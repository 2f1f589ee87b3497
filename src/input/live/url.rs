//! Source URLs: `redis://[user[:password]@]host[:port]`, `rediss://…`,
//! `unix:///path`; a password is taken out of a URL before anything can
//! print or store it.

use std::path::PathBuf;

use super::Secret;

/// Where a live source is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Endpoint {
    Tcp { host: String, port: u16, tls: bool },
    Unix(PathBuf),
}

/// A parsed source URL: `redis://[user[:password]@]host[:port]`,
/// `rediss://…` (TLS), `unix:///path/to.sock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceUrl {
    pub(super) endpoint: Endpoint,
    pub(super) user: Option<String>,
    pub(super) password: Option<String>,
}

impl SourceUrl {
    /// `None`: `s` is not a source URL (a file name); `Some(Err)`: a
    /// source URL that is malformed.
    pub fn parse(s: &str) -> Option<Result<SourceUrl, String>> {
        let (scheme, rest) = s.split_once("://")?;
        let tls = match scheme {
            "redis" => false,
            "rediss" => true,
            "unix" => {
                // `unix://[user[:password]@]/path`: a path may hold `@`, the
                // user part may not hold `/`.
                let (auth, path) = match rest.split_once('@') {
                    Some((a, p)) if !a.contains('/') => (Some(a), p),
                    _ => (None, rest),
                };
                if !path.starts_with('/') || path.len() < 2 {
                    return Some(Err(format!(
                        "{}: expected unix://[USER@]/path/to/redis.sock",
                        redact(s)
                    )));
                }
                return Some(
                    user_password(auth)
                        .map(|(user, password)| SourceUrl {
                            endpoint: Endpoint::Unix(PathBuf::from(path)),
                            user,
                            password,
                        })
                        .map_err(|e| format!("{}: {e}", redact(s))),
                );
            }
            _ => return None,
        };
        Some(parse_tcp(rest, tls).map_err(|e| format!("{}: {e}", redact(s))))
    }

    /// A `rediss://` source.
    pub fn is_tls(&self) -> bool {
        matches!(self.endpoint, Endpoint::Tcp { tls: true, .. })
    }

    /// The URL without its password: how the input is named everywhere.
    pub fn display(&self) -> String {
        match &self.endpoint {
            Endpoint::Unix(p) => {
                let user = self
                    .user
                    .as_deref()
                    .map(|u| format!("{}@", percent_encode(u)))
                    .unwrap_or_default();
                format!("unix://{user}{}", p.display())
            }
            Endpoint::Tcp { host, port, tls } => {
                let scheme = if *tls { "rediss" } else { "redis" };
                let user = self
                    .user
                    .as_deref()
                    .map(|u| format!("{}@", percent_encode(u)))
                    .unwrap_or_default();
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                format!("{scheme}://{user}{host}:{port}")
            }
        }
    }
}

fn parse_tcp(rest: &str, tls: bool) -> Result<SourceUrl, String> {
    let (auth, hostport) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    let hostport = hostport.strip_suffix('/').unwrap_or(hostport);
    if hostport.contains('/') || hostport.contains('?') {
        return Err(
            "a path or query is not accepted: a replica reads every database \
             (filter with --db N)"
                .into(),
        );
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("an unclosed [ in the host")?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let port = match port {
        None => 6379,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("{p:?} is not a port"))?,
    };
    let (user, password) = user_password(auth)?;
    Ok(SourceUrl {
        endpoint: Endpoint::Tcp {
            host: host.to_string(),
            port,
            tls,
        },
        user,
        password,
    })
}

/// The user and password of a URL's `user[:password]` part.
type Auth = (Option<String>, Option<String>);

fn user_password(auth: Option<&str>) -> Result<Auth, String> {
    let Some(a) = auth else {
        return Ok((None, None));
    };
    let (u, p) = match a.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (a, None),
    };
    let u = percent_decode(u).ok_or("a bad %-escape in the user name")?;
    let p = p
        .map(|p| percent_decode(p).ok_or("a bad %-escape in the password"))
        .transpose()?;
    Ok(((!u.is_empty()).then_some(u), p.filter(|p| !p.is_empty())))
}

/// `s` with anything between `://` and the last `@` but the user name
/// dropped: for messages about a URL that did not parse.
fn redact(s: &str) -> String {
    match s.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((auth, host)) => {
                let user = auth.split_once(':').map_or(auth, |(u, _)| u);
                format!("{scheme}://{user}@{host}")
            }
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Takes passwords out of source URLs among `args`: each such URL is
/// replaced by its redacted form (so no name, message or report holds
/// the password) and its password kept for the connection. Returns the
/// redacted URLs that held one; `Err` for a source URL that does not parse
/// (its message without the password: the URL must not reach any other
/// message as it was typed).
pub fn redact_args(args: &mut [String]) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    for a in args.iter_mut() {
        let url = match SourceUrl::parse(a) {
            None => continue,
            Some(Ok(url)) => url,
            Some(Err(e)) => return Err(e),
        };
        let Some(p) = url.password.clone() else {
            continue;
        };
        let name = url.display();
        super::remember_url_password(&name, Secret(p));
        *a = name.clone();
        found.push(name);
    }
    Ok(found)
}
