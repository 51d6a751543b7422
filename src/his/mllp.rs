//! The MLLP client: each message framed as 0x0B … 0x1C 0x0D on one TCP
//! connection, one ACK awaited per message with a timeout. A dropped
//! connection is re-opened and the message that had no ACK is sent again
//! with the same control id, so the HIS can tell it is the same message;
//! messages already ACKed are never sent again. An AE/AR is reported with
//! the receiving system's text and the batch goes on.

use super::HisError;
use super::hl7::{self, Ack};
use super::postings::{Answer, Outcome};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

pub const START: u8 = 0x0B;
pub const END: [u8; 2] = [0x1C, 0x0D];

/// Timeouts and retries.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub connect_timeout: Duration,
    pub ack_timeout: Duration,
    /// Further attempts for a message after its connection dropped.
    pub retries: u32,
    /// Pause before re-connecting (grows with each attempt).
    pub backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(5),
            ack_timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub receipt: String,
    pub control_id: String,
    pub text: String,
}

/// `HOST:PORT` → an address.
pub fn resolve(target: &str) -> Result<SocketAddr, HisError> {
    let bad = || HisError::BadTarget(target.to_string());
    let (host, port) = target.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    target
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

/// Wraps a message in the MLLP frame.
pub fn frame(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 3);
    out.push(START);
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&END);
    out
}

/// Why an attempt did not get an ACK.
enum Failed {
    /// The connection broke (or never came up): worth another attempt.
    Connection(String),
    /// The far end answered something we cannot read: it did get the
    /// message, so no retry.
    Garbled(String),
}

/// Reads one framed reply.
fn read_frame(stream: &mut TcpStream, timeout: Duration) -> Result<Vec<u8>, Failed> {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failed::Connection(format!(
                "no ACK within {} s",
                timeout.as_secs_f32()
            )));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| Failed::Connection(e.to_string()))?;
        match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(Failed::Connection(
                    "the HIS closed the connection before acknowledging".into(),
                ));
            }
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(2).position(|w| w == END) {
                    let start = buf.iter().position(|b| *b == START).map_or(0, |p| p + 1);
                    if start > end {
                        return Err(Failed::Garbled("reply without a start block".into()));
                    }
                    return Ok(buf[start..end].to_vec());
                }
                if buf.len() > 1 << 20 {
                    return Err(Failed::Garbled(
                        "reply over 1 MiB without an end block".into(),
                    ));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Failed::Connection(format!(
                    "no ACK within {} s",
                    timeout.as_secs_f32()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failed::Connection(e.to_string())),
        }
    }
}

/// Sends one message on `stream` and reads its ACK.
fn exchange(stream: &mut TcpStream, m: &Outgoing, opts: &Options) -> Result<Ack, Failed> {
    stream
        .write_all(&frame(&m.text))
        .map_err(|e| Failed::Connection(e.to_string()))?;
    let reply = read_frame(stream, opts.ack_timeout)?;
    let text = String::from_utf8_lossy(&reply);
    hl7::parse_ack(&text).ok_or_else(|| Failed::Garbled(format!("not an ACK: {}", text.trim())))
}

fn connect(addr: &SocketAddr, opts: &Options) -> Result<TcpStream, String> {
    let s = TcpStream::connect_timeout(addr, opts.connect_timeout).map_err(|e| e.to_string())?;
    // One small frame, then wait: without this Nagle holds the next frame.
    let _ = s.set_nodelay(true);
    Ok(s)
}

/// Sends every message in order, calling `on_answer` once per message as
/// its outcome is known. Fails only when the HIS cannot be reached at all
/// before the first message; a connection lost for good later marks the
/// rest as not delivered.
pub fn send_all(
    target: &str,
    messages: &[Outgoing],
    opts: &Options,
    on_answer: &mut dyn FnMut(Answer),
) -> Result<(), HisError> {
    let addr = resolve(target)?;
    if messages.is_empty() {
        return Ok(());
    }
    let mut conn = Some(
        connect(&addr, opts).map_err(|detail| HisError::Unreachable {
            target: target.to_string(),
            detail,
        })?,
    );
    let mut lost: Option<String> = None;
    for m in messages {
        let answer = |outcome, code: &str, detail: String| Answer {
            receipt: m.receipt.clone(),
            message_id: m.control_id.clone(),
            outcome,
            code: code.to_string(),
            detail,
        };
        if let Some(why) = &lost {
            on_answer(answer(
                Outcome::Error,
                "io",
                format!("not sent: connection lost ({why})"),
            ));
            continue;
        }
        let mut attempt = 0;
        loop {
            let stream = match conn.as_mut() {
                Some(s) => s,
                None => match connect(&addr, opts) {
                    Ok(s) => conn.insert(s),
                    Err(e) => {
                        if attempt >= opts.retries {
                            lost = Some(e.clone());
                            on_answer(answer(Outcome::Error, "io", e));
                            break;
                        }
                        attempt += 1;
                        std::thread::sleep(opts.backoff * attempt);
                        continue;
                    }
                },
            };
            match exchange(stream, m, opts) {
                Ok(ack) if ack.control_id != m.control_id && !ack.control_id.is_empty() => {
                    on_answer(answer(
                        Outcome::Error,
                        &ack.code,
                        format!(
                            "ACK names message {} instead of {}",
                            ack.control_id, m.control_id
                        ),
                    ));
                    break;
                }
                Ok(ack) => {
                    let outcome = if ack.accepted() {
                        Outcome::Accepted
                    } else {
                        Outcome::Refused
                    };
                    on_answer(answer(outcome, &ack.code, ack.text));
                    break;
                }
                Err(Failed::Garbled(why)) => {
                    on_answer(answer(Outcome::Error, "ack", why));
                    break;
                }
                Err(Failed::Connection(why)) => {
                    conn = None;
                    if attempt >= opts.retries {
                        on_answer(answer(Outcome::Error, "io", why));
                        break;
                    }
                    attempt += 1;
                    std::thread::sleep(opts.backoff * attempt);
                }
            }
        }
    }
    Ok(())
}
