//! Scheduling for the media thread. Its 20 ms ticks must start on time even when other
//! programs keep every core busy, so, as audio servers do (PipeWire through rtkit, JACK),
//! it asks the kernel for round-robin real-time scheduling at a low real-time priority;
//! where that is not allowed (no `CAP_SYS_NICE` and no `RLIMIT_RTPRIO`) it asks for a
//! higher nice level, and where neither is allowed it runs as it is. Threads it starts
//! inherit what it got. `RINGLET_MEDIA_REALTIME=0` keeps the default scheduling.

/// The real-time priority asked for: above ordinary threads (0), well below the audio
/// servers' device threads (JACK and PipeWire use 70–88), so the sound card comes first.
pub const REALTIME_PRIORITY: i32 = 20;
/// The nice level asked for when real time is refused.
pub const RAISED_NICE: i32 = -10;

/// What the current thread got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduling {
    /// `SCHED_RR` at this priority.
    Realtime(i32),
    /// The default policy at this nice level.
    Nice(i32),
    /// Unchanged.
    Normal,
}

impl std::fmt::Display for Scheduling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scheduling::Realtime(priority) => {
                write!(f, "real-time (round-robin, priority {priority})")
            }
            Scheduling::Nice(nice) => write!(f, "nice {nice}"),
            Scheduling::Normal => write!(f, "normal"),
        }
    }
}

/// Raises the calling thread's scheduling as far as it is allowed (see the module).
pub fn raise_current_thread() -> Scheduling {
    if std::env::var_os("RINGLET_MEDIA_REALTIME").is_some_and(|value| value == "0") {
        return Scheduling::Normal;
    }
    platform::raise()
}

#[cfg(target_os = "linux")]
mod platform {
    use super::{RAISED_NICE, REALTIME_PRIORITY, Scheduling};

    pub(super) fn raise() -> Scheduling {
        let param = libc::sched_param {
            sched_priority: REALTIME_PRIORITY,
        };
        // SAFETY: pthread_self() names the calling thread, and `param` is a valid
        // sched_param that outlives the call.
        let refused =
            unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_RR, &param) };
        if refused == 0 {
            return Scheduling::Realtime(REALTIME_PRIORITY);
        }
        // On Linux a nice level belongs to a thread: PRIO_PROCESS with the thread's id.
        // SAFETY: gettid takes nothing and cannot fail.
        let thread_id = unsafe { libc::gettid() };
        // SAFETY: setpriority takes plain integers; the id is this thread's.
        let refused =
            unsafe { libc::setpriority(libc::PRIO_PROCESS, thread_id as libc::id_t, RAISED_NICE) };
        if refused == 0 {
            Scheduling::Nice(RAISED_NICE)
        } else {
            Scheduling::Normal
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::Scheduling;

    pub(super) fn raise() -> Scheduling {
        Scheduling::Normal
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The policy the kernel reports for the calling thread.
    fn current_policy() -> (i32, i32) {
        let mut policy = 0;
        let mut param = libc::sched_param { sched_priority: 0 };
        // SAFETY: both out-pointers are valid for the call.
        let status =
            unsafe { libc::pthread_getschedparam(libc::pthread_self(), &mut policy, &mut param) };
        assert_eq!(status, 0);
        (policy, param.sched_priority)
    }

    #[test]
    fn the_kernel_reports_what_the_thread_was_given() {
        std::thread::spawn(|| {
            let got = raise_current_thread();
            let (policy, priority) = current_policy();
            match got {
                Scheduling::Realtime(asked) => {
                    assert_eq!((policy, priority), (libc::SCHED_RR, asked));
                    // A thread it starts inherits it (the scoped helpers of many calls).
                    let child = std::thread::spawn(current_policy).join().unwrap();
                    assert_eq!(child, (libc::SCHED_RR, asked));
                }
                Scheduling::Nice(_) | Scheduling::Normal => assert_eq!(policy, libc::SCHED_OTHER),
            }
        })
        .join()
        .unwrap();
    }
}
