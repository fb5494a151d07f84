//! The end of each turn of a driver's loop: what the turn queued goes out together, the
//! datagrams in as few system calls as the socket takes, the reports as one batch.

use std::net::SocketAddr;

use super::{Driver, DriverEvent, DriverReport, Input, SipSocket, now};

impl Driver {
    /// The end of a turn of the loop: the datagrams it queued go out (a failure is fed
    /// back, which may queue more: a few rounds at most), then its reports.
    pub(super) async fn end_turn(&mut self) {
        for _ in 0..4 {
            let failed = self.socket.flush().await;
            if failed.is_empty() {
                break;
            }
            for (to, err) in failed {
                self.send_failed(to, &err);
            }
            self.carry_out().await;
        }
        self.flush();
    }

    /// Tells the core a message to `to` could not be sent.
    pub(super) fn send_failed(&mut self, to: SocketAddr, err: &std::io::Error) {
        tracing::debug!(%err, %to, "SIP send failed");
        let stream = matches!(self.socket, SipSocket::Tcp(_));
        let error = err.to_string();
        self.core
            .handle_input(now(), Input::SendFailed { to, error, stream });
    }

    /// Queues a report for the end of this turn (see [`Driver::flush`]).
    pub(super) fn emit(&mut self, event: DriverEvent) {
        self.pending.push(DriverReport {
            account: self.account.clone(),
            event,
            at: std::time::SystemTime::now(),
        });
    }

    /// Sends this turn's reports as one batch: one wake-up of the engine, not one a report.
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            // The engine going away ends the driver at the next command.
            self.events.send(std::mem::take(&mut self.pending)).ok();
        }
    }
}
