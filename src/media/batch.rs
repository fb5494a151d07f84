//! Reading every datagram queued on a non-blocking UDP socket in one system call. A call
//! gets one RTP packet per 20 ms tick, and a read loop needs two calls for it (the packet,
//! then the empty read that says the queue is drained); on Linux `recvmmsg` returns all
//! that is queued at once, and a short batch says the queue is drained, so a tick costs one
//! receive call per call instead of two. Elsewhere the batch falls back to `recv_from`.
//!
//! And sending several datagrams in one (`sendmmsg`, Linux only): a SIP account answers an
//! INVITE with 100, 180 and 200 in the same turn.

use std::net::{SocketAddr, UdpSocket};

/// Datagrams read per system call at most.
pub const BATCH: usize = 8;
/// Largest datagram read; longer ones are cut (and then fail to parse, counted there).
pub const MAX_DATAGRAM: usize = 1_500;

/// Preallocated room for a batch of datagrams and their sources.
pub struct DatagramBatch {
    buffers: Box<[u8]>,
    lens: [usize; BATCH],
    sources: [Option<SocketAddr>; BATCH],
    count: usize,
}

impl Default for DatagramBatch {
    fn default() -> DatagramBatch {
        DatagramBatch::new()
    }
}

impl DatagramBatch {
    /// Room for [`BATCH`] datagrams of up to [`MAX_DATAGRAM`] bytes.
    pub fn new() -> DatagramBatch {
        DatagramBatch {
            buffers: vec![0; BATCH * MAX_DATAGRAM].into_boxed_slice(),
            lens: [0; BATCH],
            sources: [None; BATCH],
            count: 0,
        }
    }

    /// Reads what is queued on `socket` (non-blocking), up to [`BATCH`] datagrams; returns
    /// how many. `Ok(0)` when nothing is queued. Fewer than [`BATCH`] means the queue was
    /// drained.
    pub fn recv(&mut self, socket: &UdpSocket) -> std::io::Result<usize> {
        self.count = 0;
        let count = platform::recv_batch(self, socket)?;
        self.count = count;
        Ok(count)
    }

    /// The `index`th datagram of the last read and where it came from.
    pub fn get(&self, index: usize) -> Option<(&[u8], SocketAddr)> {
        if index >= self.count {
            return None;
        }
        let len = *self.lens.get(index)?;
        let start = index * MAX_DATAGRAM;
        let data = self.buffers.get(start..start + len.min(MAX_DATAGRAM))?;
        let source = (*self.sources.get(index)?)?;
        Some((data, source))
    }
}

#[cfg(target_os = "linux")]
pub use platform::send_batch;

/// Datagrams sent per system call at most.
#[cfg(target_os = "linux")]
const SEND_BATCH: usize = 16;

#[cfg(target_os = "linux")]
mod platform {
    //! `recvmmsg(2)` and `sendmmsg(2)`: the FFI calls of this module.

    use std::mem::MaybeUninit;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
    use std::os::fd::AsRawFd as _;

    use super::{BATCH, DatagramBatch, MAX_DATAGRAM};

    pub(super) fn recv_batch(
        batch: &mut DatagramBatch,
        socket: &UdpSocket,
    ) -> std::io::Result<usize> {
        // SAFETY: all-zero is a valid value for these plain C structs.
        let mut names: [libc::sockaddr_storage; BATCH] =
            unsafe { MaybeUninit::zeroed().assume_init() };
        // SAFETY: as above.
        let mut headers: [libc::mmsghdr; BATCH] = unsafe { MaybeUninit::zeroed().assume_init() };
        let mut iovecs = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; BATCH];
        for (index, chunk) in batch.buffers.chunks_exact_mut(MAX_DATAGRAM).enumerate() {
            let (Some(iovec), Some(header), Some(name)) = (
                iovecs.get_mut(index),
                headers.get_mut(index),
                names.get_mut(index),
            ) else {
                break;
            };
            iovec.iov_base = chunk.as_mut_ptr().cast();
            iovec.iov_len = chunk.len();
            header.msg_hdr.msg_iov = iovec;
            header.msg_hdr.msg_iovlen = 1;
            header.msg_hdr.msg_name = std::ptr::from_mut(name).cast();
            header.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        }
        // SAFETY: every header points at an iovec and a sockaddr_storage that live on this
        // stack frame, and each iovec at its own MAX_DATAGRAM-byte chunk of `batch.buffers`,
        // which is borrowed mutably for the whole call; the kernel writes at most `BATCH`
        // headers and within the given lengths. MSG_DONTWAIT keeps it from blocking, and a
        // null timeout is allowed.
        let received = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                headers.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if received < 0 {
            let error = std::io::Error::last_os_error();
            return if error.kind() == std::io::ErrorKind::WouldBlock {
                Ok(0)
            } else {
                Err(error)
            };
        }
        let count = (received as usize).min(BATCH);
        for index in 0..count {
            let (Some(header), Some(name)) = (headers.get(index), names.get(index)) else {
                break;
            };
            if let Some(len) = batch.lens.get_mut(index) {
                *len = header.msg_len as usize;
            }
            if let Some(source) = batch.sources.get_mut(index) {
                *source = socket_addr(name);
            }
        }
        Ok(count)
    }

    /// Sends `datagrams`, each to its address, in order, in one system call (non-blocking)
    /// as far as the socket takes them, at most `SEND_BATCH`: how many went (one or more),
    /// or the error of the first one.
    pub fn send_batch(
        socket: std::os::fd::BorrowedFd<'_>,
        datagrams: &[(SocketAddr, Vec<u8>)],
    ) -> std::io::Result<usize> {
        let datagrams = datagrams
            .get(..datagrams.len().min(super::SEND_BATCH))
            .unwrap_or_default();
        if datagrams.is_empty() {
            return Ok(0);
        }
        let names: Vec<socket2::SockAddr> = datagrams
            .iter()
            .map(|(to, _)| socket2::SockAddr::from(*to))
            .collect();
        let mut iovecs: Vec<libc::iovec> = datagrams
            .iter()
            .map(|(_, bytes)| libc::iovec {
                // The kernel only reads from it.
                iov_base: bytes.as_ptr().cast_mut().cast(),
                iov_len: bytes.len(),
            })
            .collect();
        let headers = names.iter().zip(iovecs.iter_mut()).map(|(name, iovec)| {
            // SAFETY: all-zero is a valid value for this plain C struct.
            let mut header: libc::mmsghdr = unsafe { MaybeUninit::zeroed().assume_init() };
            header.msg_hdr.msg_name = name.as_ptr().cast_mut().cast();
            header.msg_hdr.msg_namelen = name.len();
            header.msg_hdr.msg_iov = iovec;
            header.msg_hdr.msg_iovlen = 1;
            header
        });
        let mut headers: Vec<libc::mmsghdr> = headers.collect();
        // SAFETY: each header points at an address and an iovec held by `names` and
        // `iovecs`, and each iovec at a datagram of `datagrams`, all alive and unmoved for
        // the call; the kernel reads them and writes only the headers' `msg_len`. The count
        // is the headers' number; MSG_DONTWAIT keeps it from blocking.
        let sent = unsafe {
            libc::sendmmsg(
                socket.as_raw_fd(),
                headers.as_mut_ptr(),
                headers.len() as libc::c_uint,
                libc::MSG_DONTWAIT,
            )
        };
        if sent < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(sent as usize)
    }

    fn socket_addr(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
        match libc::c_int::from(name.ss_family) {
            libc::AF_INET => {
                // SAFETY: the family says the storage holds a sockaddr_in, which is smaller
                // than sockaddr_storage and no more aligned.
                let v4 = unsafe { &*std::ptr::from_ref(name).cast::<libc::sockaddr_in>() };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr)),
                    u16::from_be(v4.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: as above, for sockaddr_in6.
                let v6 = unsafe { &*std::ptr::from_ref(name).cast::<libc::sockaddr_in6>() };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(v6.sin6_addr.s6_addr),
                    u16::from_be(v6.sin6_port),
                    v6.sin6_flowinfo,
                    v6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use std::net::UdpSocket;

    use super::{BATCH, DatagramBatch, MAX_DATAGRAM};

    pub(super) fn recv_batch(
        batch: &mut DatagramBatch,
        socket: &UdpSocket,
    ) -> std::io::Result<usize> {
        let mut count = 0;
        for (index, chunk) in batch.buffers.chunks_exact_mut(MAX_DATAGRAM).enumerate() {
            match socket.recv_from(chunk) {
                Ok((len, from)) => {
                    batch.lens[index] = len;
                    batch.sources[index] = Some(from);
                    count += 1;
                }
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(err) if count == 0 => return Err(err),
                Err(_) => break,
            }
            if count == BATCH {
                break;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn pair(ip: std::net::IpAddr) -> (UdpSocket, UdpSocket) {
        let a = UdpSocket::bind((ip, 0)).unwrap();
        let b = UdpSocket::bind((ip, 0)).unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }

    #[test]
    fn an_empty_socket_reads_nothing() {
        let (_a, b) = pair(Ipv4Addr::LOCALHOST.into());
        let mut batch = DatagramBatch::new();
        assert_eq!(batch.recv(&b).unwrap(), 0);
        assert!(batch.get(0).is_none());
    }

    #[test]
    fn queued_datagrams_arrive_in_order_with_their_source_in_batches() {
        let (a, b) = pair(Ipv4Addr::LOCALHOST.into());
        let to = b.local_addr().unwrap();
        for index in 0..(BATCH + 3) {
            a.send_to(&vec![index as u8; index + 1], to).unwrap();
        }
        let mut batch = DatagramBatch::new();
        let mut seen = Vec::new();
        // Loopback delivers synchronously, so everything is queued already.
        loop {
            let count = batch.recv(&b).unwrap();
            for index in 0..count {
                let (data, from) = batch.get(index).unwrap();
                assert_eq!(from, a.local_addr().unwrap());
                seen.push(data.to_vec());
            }
            if count < BATCH {
                break;
            }
        }
        assert_eq!(seen.len(), BATCH + 3);
        for (index, data) in seen.iter().enumerate() {
            assert_eq!(data, &vec![index as u8; index + 1]);
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_batch_sent_in_one_call_arrives_in_order_at_each_address() {
        use std::os::fd::AsFd as _;
        let (a, b) = pair(Ipv4Addr::LOCALHOST.into());
        let c = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        c.set_nonblocking(true).unwrap();
        let (to_b, to_c) = (b.local_addr().unwrap(), c.local_addr().unwrap());
        let datagrams: Vec<(SocketAddr, Vec<u8>)> = (0..20u8)
            .map(|index| {
                (
                    if index % 3 == 0 { to_c } else { to_b },
                    vec![index; 40 + usize::from(index)],
                )
            })
            .collect();
        // At most SEND_BATCH a call: the rest go with the next.
        assert_eq!(send_batch(a.as_fd(), &datagrams).unwrap(), SEND_BATCH);
        let rest = datagrams.get(SEND_BATCH..).unwrap();
        assert_eq!(send_batch(a.as_fd(), rest).unwrap(), rest.len());
        assert_eq!(send_batch(a.as_fd(), &[]).unwrap(), 0);
        for (socket, to) in [(&b, to_b), (&c, to_c)] {
            let mut batch = DatagramBatch::new();
            let mut seen = Vec::new();
            while let Ok(count @ 1..) = batch.recv(socket) {
                seen.extend((0..count).map(|index| batch.get(index).unwrap().0.to_vec()));
            }
            let sent: Vec<Vec<u8>> = datagrams
                .iter()
                .filter(|(address, _)| *address == to)
                .map(|(_, bytes)| bytes.clone())
                .collect();
            assert_eq!(seen, sent);
        }
        // To an address no socket of this family can reach: the first one's error.
        let nowhere: SocketAddr = "[::1]:9".parse().unwrap();
        assert!(send_batch(a.as_fd(), &[(nowhere, vec![1])]).is_err());
    }

    #[test]
    fn ipv6_sources_are_read() {
        let a = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).unwrap();
        let b = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).unwrap();
        b.set_nonblocking(true).unwrap();
        a.send_to(b"six", b.local_addr().unwrap()).unwrap();
        let mut batch = DatagramBatch::new();
        assert_eq!(batch.recv(&b).unwrap(), 1);
        let (data, from) = batch.get(0).unwrap();
        assert_eq!(data, b"six");
        assert_eq!(from, a.local_addr().unwrap());
    }

    #[test]
    fn oversized_datagrams_are_cut_not_overflowed() {
        let (a, b) = pair(Ipv4Addr::LOCALHOST.into());
        a.send_to(&[7u8; MAX_DATAGRAM + 500], b.local_addr().unwrap())
            .unwrap();
        let mut batch = DatagramBatch::new();
        assert_eq!(batch.recv(&b).unwrap(), 1);
        assert_eq!(batch.get(0).unwrap().0.len(), MAX_DATAGRAM);
    }
}
