//! A loopback TCP forwarder in front of an edge that keeps a copy of every
//! byte the edge sends back, so a run can be scanned afterwards for secrets
//! and tokens: responses to the HTTP tests, the browser's requests, the
//! load generator's — everything, headers included.
//!
//! Each connection's bytes are buffered and appended to the record as one
//! piece when the connection ends, so a token can never be split by bytes
//! of another connection written in between.

use std::fs::File;
use std::io::{Read, Write, copy};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::Result;

pub struct Recorder {
    pub port: u16,
    pub path: PathBuf,
}

impl Recorder {
    /// Listens on a free loopback port and forwards every connection to
    /// `target_port`, recording the target's side into `path` (truncated).
    pub fn start(target_port: u16, path: &Path) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("binding the recording proxy: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let record = File::create(path).map_err(|e| format!("creating {path:?}: {e}"))?;
        let record = Arc::new(Mutex::new(record));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let record = Arc::clone(&record);
                std::thread::spawn(move || forward(client, target_port, &record));
            }
        });
        Ok(Self {
            port,
            path: path.to_path_buf(),
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn forward(client: TcpStream, target_port: u16, record: &Mutex<File>) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let upstream = std::thread::spawn(move || {
        let _ = copy(&mut client_read, &mut server_write);
        let _ = server_write.shutdown(Shutdown::Write);
    });
    let (mut server_read, mut client_write) = (server, client);
    let mut sent = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match server_read.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                sent.extend_from_slice(&buffer[..n]);
                if client_write.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = client_write.shutdown(Shutdown::Write);
    let _ = upstream.join();
    if let Ok(mut file) = record.lock() {
        let _ = file.write_all(&sent);
        // A separator no token contains, so two connections' bytes never
        // join into a match.
        let _ = file.write_all(b"\n\0\n");
    }
}
