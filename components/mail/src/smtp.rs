//! The SMTP submission dialog (RFC 5321) with a relay: greeting, EHLO, AUTH PLAIN when
//! credentials are set and the relay offers it, one envelope, DATA, QUIT.
//!
//! Written here because the well-kept clients don't build for `wasm32-wasip2` (lettre's SMTP
//! transport and mail-send pull in host-name lookup and async runtimes); the dialog is small and
//! runs over any `Read + Write`, so in wasm it is a `std::net::TcpStream`, which is
//! `wasi:sockets` underneath and which Spin allows by `allowed_outbound_hosts = ["tcp://…"]`.
//! No TLS: point it at a relay on the same host or network (the self-hoster's Postfix), or use
//! the HTTP API transport, whose TLS Spin does.

use base64::Engine;
use std::io::{BufRead, BufReader, Read, Write};

/// How a delivery failed: a 4xx answer or a broken connection is worth retrying; a 5xx answer
/// will be the same next time.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmtpError {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Permanent(String),
}

pub struct Credentials {
    pub username: String,
    pub password: String,
}

pub struct Envelope<'a> {
    pub from: &'a str,
    pub to: &'a str,
    /// The whole message (headers and body), CRLF line ends.
    pub data: &'a [u8],
}

fn io(e: std::io::Error) -> SmtpError {
    SmtpError::Transient(format!("connection: {e}"))
}

struct Session<S: Read + Write> {
    reader: BufReader<S>,
}

impl<S: Read + Write> Session<S> {
    /// One reply, all its lines (`250-…` continues, `250 …` ends): its code and text.
    fn reply(&mut self) -> Result<(u16, String), SmtpError> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).map_err(io)?;
            if n == 0 {
                return Err(SmtpError::Transient(
                    "the relay closed the connection".into(),
                ));
            }
            if line.len() < 4 || line.len() > 1000 {
                return Err(SmtpError::Transient(format!("not an SMTP reply: {line:?}")));
            }
            let code: u16 = line[..3]
                .parse()
                .map_err(|_| SmtpError::Transient(format!("not an SMTP reply: {line:?}")))?;
            text.push_str(line[4..].trim_end());
            text.push('\n');
            if line.as_bytes()[3] != b'-' {
                return Ok((code, text));
            }
        }
    }

    fn expect(&mut self, step: &str, ok: &[u16]) -> Result<String, SmtpError> {
        let (code, text) = self.reply()?;
        if ok.contains(&code) {
            return Ok(text);
        }
        let msg = format!("{step}: {code} {}", text.trim_end());
        Err(if (500..600).contains(&code) {
            SmtpError::Permanent(msg)
        } else {
            SmtpError::Transient(msg)
        })
    }

    fn command(&mut self, line: &str, step: &str, ok: &[u16]) -> Result<String, SmtpError> {
        // One write per command: a line sent in two pieces waits for the first piece's ACK
        // (Nagle's algorithm) while the relay waits for the line's end before it ACKs (delayed
        // ACK), 40 ms a command. The bench found this.
        let w = self.reader.get_mut();
        w.write_all(format!("{line}\r\n").as_bytes()).map_err(io)?;
        w.flush().map_err(io)?;
        self.expect(step, ok)
    }
}

/// The message as DATA carries it: every line end CRLF, a leading dot doubled (RFC 5321
/// §4.5.2), and the terminating `.` line.
pub fn dot_stuffed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut at_line_start = true;
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
        prev = b;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// An address safe to put between `<` and `>` in a command.
fn envelope_address(a: &str) -> Result<&str, SmtpError> {
    if a.is_empty()
        || a.len() > 254
        || a.bytes()
            .any(|b| b <= b' ' || b == b'<' || b == b'>' || b >= 0x7f)
    {
        return Err(SmtpError::Permanent(format!(
            "unusable envelope address {a:?}"
        )));
    }
    Ok(a)
}

/// Delivers one message over `stream`; the relay's answer to the message on success.
pub fn deliver<S: Read + Write>(
    stream: S,
    helo: &str,
    credentials: Option<&Credentials>,
    envelope: &Envelope,
) -> Result<String, SmtpError> {
    let from = envelope_address(envelope.from)?;
    let to = envelope_address(envelope.to)?;
    let mut s = Session {
        reader: BufReader::new(stream),
    };
    s.expect("greeting", &[220])?;
    let extensions = s.command(&format!("EHLO {helo}"), "EHLO", &[250])?;
    if let Some(c) = credentials {
        let offers_plain = extensions.lines().any(|l| {
            let l = l.to_ascii_uppercase();
            l.starts_with("AUTH") && l.split_whitespace().any(|m| m == "PLAIN")
        });
        if !offers_plain {
            return Err(SmtpError::Permanent(
                "credentials are set but the relay offers no AUTH PLAIN".into(),
            ));
        }
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("\0{}\0{}", c.username, c.password));
        s.command(&format!("AUTH PLAIN {token}"), "AUTH", &[235])?;
    }
    s.command(&format!("MAIL FROM:<{from}>"), "MAIL FROM", &[250])?;
    s.command(&format!("RCPT TO:<{to}>"), "RCPT TO", &[250, 251])?;
    s.command("DATA", "DATA", &[354])?;
    {
        let w = s.reader.get_mut();
        w.write_all(&dot_stuffed(envelope.data)).map_err(io)?;
        w.flush().map_err(io)?;
    }
    let accepted = s.expect("message", &[250])?;
    // The message is accepted: a failed goodbye changes nothing.
    let _ = s.command("QUIT", "QUIT", &[221]);
    Ok(format!("250 {}", accepted.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_doubles_leading_dots_and_ends_lines_with_crlf() {
        assert_eq!(
            dot_stuffed(b"a\n.b\r\n..c"),
            b"a\r\n..b\r\n...c\r\n.\r\n".to_vec()
        );
        assert_eq!(dot_stuffed(b".\r\n"), b"..\r\n.\r\n".to_vec());
    }

    #[test]
    fn an_envelope_address_cannot_smuggle_a_command() {
        for bad in ["a@b\r\nRCPT TO:<x@y>", "a@b>", "", "a b@c"] {
            assert!(
                matches!(envelope_address(bad), Err(SmtpError::Permanent(_))),
                "{bad:?}"
            );
        }
        assert!(envelope_address("a.b+c@example.org").is_ok());
    }
}
