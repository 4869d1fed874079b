//! One HTTP/1.1 request over a fresh connection: enough to check that every
//! server answers the benchmarked requests alike before it is loaded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A benchmarked request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    /// Path and query.
    pub target: String,
    /// A JSON body, sent with `Content-Type: application/json`.
    pub json_body: Option<String>,
}

/// What a server answered.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

pub fn send(addr: SocketAddr, request: &Request) -> Result<Response, String> {
    send_waiting(addr, request, Duration::from_secs(10))
}

/// [`send`], waiting up to `timeout` for the answer.
pub fn send_waiting(
    addr: SocketAddr,
    request: &Request,
    timeout: Duration,
) -> Result<Response, String> {
    let failed =
        |e: std::io::Error| format!("{} {} on {addr}: {e}", request.method, request.target);
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(failed)?;
    stream.set_read_timeout(Some(timeout)).map_err(failed)?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n",
        request.method, request.target
    );
    let body = request.json_body.as_deref().unwrap_or("");
    if request.json_body.is_some() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(failed)?;
    stream.write_all(body.as_bytes()).map_err(failed)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(failed)?;
    parse(&raw).ok_or_else(|| {
        format!(
            "{} {} on {addr}: unreadable answer {:?}",
            request.method,
            request.target,
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        )
    })
}

/// A keep-alive connection sending one request at a time: an exact number
/// of requests, for instruction counts.
pub struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    addr: SocketAddr,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> Result<Self, String> {
        let failed = |e: std::io::Error| format!("connecting to {addr}: {e}");
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(failed)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(failed)?;
        stream.set_nodelay(true).map_err(failed)?;
        let writer = stream.try_clone().map_err(failed)?;
        Ok(Connection {
            reader: BufReader::new(stream),
            writer,
            addr,
        })
    }

    /// Sends `request` and reads the answer, whose length must be given by
    /// `Content-Length`.
    pub fn send(&mut self, request: &Request) -> Result<u16, String> {
        let addr = self.addr;
        let failed =
            |e: std::io::Error| format!("{} {} on {addr}: {e}", request.method, request.target);
        let body = request.json_body.as_deref().unwrap_or("");
        let mut message = format!(
            "{} {} HTTP/1.1\r\nHost: {addr}\r\n",
            request.method, request.target
        );
        if request.json_body.is_some() {
            message.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        message.push_str("\r\n");
        message.push_str(body);
        self.writer.write_all(message.as_bytes()).map_err(failed)?;
        let mut line = String::new();
        self.reader.read_line(&mut line).map_err(failed)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("unreadable status line {line:?} from {addr}"))?;
        let mut length = None;
        loop {
            line.clear();
            self.reader.read_line(&mut line).map_err(failed)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length =
            length.ok_or_else(|| format!("an answer without Content-Length from {addr}"))?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).map_err(failed)?;
        Ok(status)
    }
}

fn parse(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut content_type = None;
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    let rest = &raw[split + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else {
        match content_length {
            Some(length) => rest.get(..length)?.to_vec(),
            None => rest.to_vec(),
        }
    };
    Some(Response {
        status,
        content_type,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_sized_answer() {
        let raw =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        let response = parse(raw).expect("parses");
        assert_eq!(response.status, 200);
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
        assert_eq!(response.body, b"{}");
    }

    #[test]
    fn parses_a_chunked_answer() {
        let raw = b"HTTP/1.1 422 Unprocessable Entity\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let response = parse(raw).expect("parses");
        assert_eq!(response.status, 422);
        assert_eq!(response.body, b"abcde");
    }
}
