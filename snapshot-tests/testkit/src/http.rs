//! One raw HTTP/1.1 exchange with a local server, with socket timeouts.
//!
//! Tests speak raw HTTP where they need to (stalled bodies, odd headers); a
//! server that never answers fails the test with a message instead of
//! blocking the test thread forever.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// What came back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code; 0 when the connection was refused or reset before
    /// a status line arrived.
    pub status: u16,
    /// The status line and headers.
    pub head: String,
    /// The body (as sent; chunked bodies are not decoded).
    pub body: String,
}

impl Response {
    /// Splits a raw response.
    pub fn parse(raw: &str) -> Self {
        let status = raw
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        Self {
            status,
            head: head.to_owned(),
            body: body.to_owned(),
        }
    }
}

/// Sends `request` (a complete raw HTTP/1.1 request, normally with
/// `Connection: close`) to 127.0.0.1:`port` and reads the answer until the
/// server closes the connection. A refused connection gives status 0; no
/// answer within `timeout` panics naming the request's first line.
pub fn exchange(port: u16, request: &[u8], timeout: Duration) -> Response {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let first_line = String::from_utf8_lossy(request)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return Response::default();
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    if let Err(e) = stream.write_all(request)
        && is_timeout(&e)
    {
        panic!("127.0.0.1:{port} did not take `{first_line}` within {timeout:?}");
    }
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw)
        && is_timeout(&e)
    {
        panic!(
            "127.0.0.1:{port} did not answer `{first_line}` within {timeout:?}; got so far: {}",
            String::from_utf8_lossy(&raw)
        );
    }
    Response::parse(&String::from_utf8_lossy(&raw))
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_never_answers_fails_the_exchange() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let caught = std::panic::catch_unwind(|| {
            exchange(port, b"GET /x HTTP/1.1\r\n\r\n", Duration::from_millis(200))
        });
        let message = caught
            .err()
            .and_then(|p| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("did not answer `GET /x HTTP/1.1`"),
            "{message}"
        );
        drop(listener);
    }

    #[test]
    fn parses_status_head_and_body() {
        let r = Response::parse("HTTP/1.1 404 Not Found\r\nA: b\r\n\r\n{\"x\":1}");
        assert_eq!(
            (r.status, r.head.as_str(), r.body.as_str()),
            (404, "HTTP/1.1 404 Not Found\r\nA: b", "{\"x\":1}")
        );
    }
}
