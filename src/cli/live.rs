//! The options of live sources (`redis://`, `rediss://`, `unix://`),
//! accepted by every command wherever a dump file is.

use std::path::PathBuf;
use std::time::Duration;

use rdbscope::input::live::{ClusterRead, LiveOptions, Secret};

/// How to reach a live server given as a URL instead of a file.
#[derive(clap::Args, Debug, Default)]
#[command(next_help_heading = "Live sources (redis://, rediss://, unix://)")]
pub struct LiveArgs {
    /// CA certificate(s), PEM, that sign the server's TLS certificate
    /// (default: the system's).
    #[arg(long, global = true, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Client certificate, PEM, for servers that ask for one (Redis'
    /// default `tls-auth-clients yes`); with --key.
    #[arg(long, global = true, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The client certificate's private key, PEM.
    #[arg(long, global = true, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Accept any server certificate (encrypted, but not authenticated).
    #[arg(long, global = true)]
    insecure: bool,
    /// Read the password from the terminal (else from REDISCLI_AUTH, as
    /// redis-cli does; a password in the URL is seen by `ps`).
    #[arg(long, global = true)]
    askpass: bool,
    /// Give up when the server sends nothing for this many seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    timeout: u64,
    /// Also write the RDB received from a live server to FILE (renamed into
    /// place once complete).
    #[arg(long, global = true, value_name = "FILE")]
    save_to: Option<PathBuf>,
    /// Each address is a node of a cluster: read every primary that
    /// serves slots (one input per node, in slot order).
    #[arg(long, global = true)]
    cluster: bool,
    /// With --cluster: read one replica of each primary instead.
    #[arg(long, global = true, requires = "cluster")]
    replicas: bool,
}

impl LiveArgs {
    pub fn askpass(&self) -> bool {
        self.askpass
    }

    pub fn save_to(&self) -> Option<&std::path::Path> {
        self.save_to.as_deref()
    }

    /// Whether any TLS option was given (they are for rediss:// only).
    pub fn tls_options(&self) -> bool {
        self.cacert.is_some() || self.cert.is_some() || self.key.is_some() || self.insecure
    }

    /// Hands the options to the library; returns which nodes `--cluster`
    /// reads.
    pub fn install(self) -> anyhow::Result<Option<ClusterRead>> {
        let cluster = self.cluster.then_some(if self.replicas {
            ClusterRead::Replicas
        } else {
            ClusterRead::Primaries
        });
        let password = if self.askpass {
            Some(rdbscope::input::live::ask_password("Password: ")?)
        } else {
            std::env::var("REDISCLI_AUTH")
                .ok()
                .filter(|p| !p.is_empty())
                .map(Secret::new)
        };
        rdbscope::input::live::configure(LiveOptions {
            cacert: self.cacert,
            cert: self.cert,
            key: self.key,
            insecure: self.insecure,
            timeout: Some(Duration::from_secs(self.timeout)),
            password,
            save_to: self.save_to,
        });
        Ok(cluster)
    }
}
