//! A TCP forwarder that can be started late: an "edge" that is down until
//! the test brings it up.

use std::io::copy;
use std::net::{TcpListener, TcpStream};

/// A loopback port reserved for a proxy that is not listening yet; until
/// [`LateProxy::start`], connections to it are refused, as to a down server.
pub struct LateProxy {
    pub port: u16,
}

impl LateProxy {
    pub fn reserve() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("local addr").port();
        drop(listener);
        Self { port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts forwarding every connection on `self.port` to `target_port`.
    pub fn start(&self, target_port: u16) {
        let listener =
            TcpListener::bind(("127.0.0.1", self.port)).expect("re-bind the reserved port");
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    continue;
                };
                let (mut client_read, mut server_write) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                let (mut server_read, mut client_write) = (server, client);
                std::thread::spawn(move || {
                    let _ = copy(&mut client_read, &mut server_write);
                    let _ = server_write.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = copy(&mut server_read, &mut client_write);
                    let _ = client_write.shutdown(std::net::Shutdown::Write);
                });
            }
        });
    }
}
