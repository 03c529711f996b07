//! What the fake servers and the server processes of the tests share.

use std::io::BufRead;
use std::net::SocketAddr;

/// Serves `app` on 127.0.0.1 (a free port) on its own runtime; the server
/// lives as long as the returned runtime.
pub(crate) fn serve(app: axum::Router) -> (SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, rt)
}

/// Reads a server's JSON log lines up to `listening` and returns the port
/// it bound (0 when the process ended first).
pub(crate) fn listening_port(lines: &mut impl BufRead) -> u16 {
    let mut line = String::new();
    while lines.read_line(&mut line).unwrap_or(0) > 0 {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["msg"] == "listening"
        {
            return v["addr"]
                .as_str()
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
        }
        line.clear();
    }
    0
}
