//! Refusals the HTTP parser makes before a request reaches the app — a
//! request line or header block it cannot read, a URL over the 64 KiB the
//! `http` crate takes (400), a request head over actix-http's 128 KiB
//! buffer (431) — are written by actix-http as bare statuses with an empty
//! body and no security headers, and no middleware sees them. Every other
//! refusal of this API is a problem document with the security headers, so
//! the connection's writes are watched: a response that starts as such a
//! bare refusal (status 400 or 431 with `content-length: 0`, which no
//! handler of ours writes: our 400s carry a problem document) is replaced
//! by the same status with a problem document, the security headers and a
//! request id, and the connection closes as actix-http intended.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{PROBLEM_JSON, Problem};

/// A connection whose framework refusals are rewritten (see the module).
pub struct Refusals<T> {
    inner: T,
    /// A rewritten refusal still to be written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl<T> Refusals<T> {
    pub fn new(inner: T) -> Self {
        Refusals { inner, pending: Vec::new(), written: 0 }
    }
}

/// The status of a bare framework refusal that `head` starts with.
fn bare_refusal(head: &[u8]) -> Option<u16> {
    let status = match head.get(..13)? {
        b"HTTP/1.1 400 " | b"HTTP/1.0 400 " => 400,
        b"HTTP/1.1 431 " | b"HTTP/1.0 431 " => 431,
        _ => return None,
    };
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    head.lines().any(|line| line.trim() == "content-length: 0").then_some(status)
}

/// The response that replaces a bare refusal.
fn problem_response(status: u16) -> Vec<u8> {
    let request_id = uuid::Uuid::now_v7().to_string();
    let (reason, slug, title, detail) = match status {
        431 => (
            "Request Header Fields Too Large",
            "request-header-fields-too-large",
            "Request head too large",
            "The request line and headers exceed 128 KiB; send long filters in fewer or shorter parameters.",
        ),
        _ => (
            "Bad Request",
            "bad-request",
            "Bad request",
            "The request line or headers could not be read; a URL may be at most 64 KiB.",
        ),
    };
    let problem = Problem {
        problem_type: format!("/problems/{slug}"),
        title: title.into(),
        status,
        detail: detail.into(),
        instance: None,
        request_id: Some(request_id.clone()),
        errors: None,
    };
    let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nconnection: close\r\n\
         cache-control: no-store\r\nx-request-id: {request_id}\r\n",
        body.len()
    );
    for (name, value) in crate::security_headers::SECURITY_HEADERS {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-security-policy: {}\r\n\r\n", crate::security_headers::API_CSP));
    let mut response = head.into_bytes();
    response.extend_from_slice(&body);
    response
}

impl<T: AsyncWrite + Unpin> Refusals<T> {
    /// Writes what is pending of a rewritten refusal.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Refusals<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Refusals<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Poll::Ready(Err(error)) = this.poll_pending(cx) {
            return Poll::Ready(Err(error));
        }
        if this.written < this.pending.len() {
            return Poll::Pending;
        }
        if let Some(status) = bare_refusal(buf) {
            // The refusal is taken whole; what replaces it is written now
            // and, as far as it does not fit, by the flush that follows.
            this.pending = problem_response(status);
            this.written = 0;
            if let Poll::Ready(Err(error)) = this.poll_pending(cx) {
                return Poll::Ready(Err(error));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_refusals_are_rewritten() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        assert_eq!(bare_refusal(bare), Some(400));
        let too_large = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_refusal(too_large), Some(431));
        let ours =
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\ncontent-type: application/problem+json\r\n\r\n{}";
        assert_eq!(bare_refusal(ours), None);
        assert_eq!(bare_refusal(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"), None);
        let response = String::from_utf8(problem_response(400)).unwrap_or_default();
        assert!(response.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{response}");
        assert!(response.contains("x-content-type-options: nosniff") && response.contains("\"request_id\""));
    }
}
