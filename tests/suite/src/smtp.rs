//! A real SMTP server for tests and the bench: aiosmtpd (`tests/suite/smtp_relay.py`, from
//! tests/requirements.txt), keeping what it accepts in a Maildir. It stops when this process
//! ends (its standard input closes).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub port: u16,
    pub maildir: PathBuf,
    _child: Child,
}

impl Server {
    /// Starts one on a free port and waits until it listens.
    pub fn start() -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = std::env::temp_dir().join(format!("healthe-maildir-{}", crate::unique()));
        let mut child = Command::new("python3")
            .arg(crate::workspace_root().join("tests/suite/smtp_relay.py"))
            .arg(&maildir)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start aiosmtpd (pip install -r tests/requirements.txt)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        Server {
            port,
            maildir,
            _child: child,
        }
    }

    /// Every message received so far, raw.
    pub fn received(&self) -> Vec<Vec<u8>> {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|d| {
                d.flatten()
                    .map(|e| std::fs::read(e.path()).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many messages were received so far.
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}
