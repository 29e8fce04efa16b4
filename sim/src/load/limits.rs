//! The open-file limit: every WebSocket is a file descriptor, and the usual soft limit (often
//! 1,024) is far below the connections a load run holds.

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit, so the process can hold as
/// many sockets as the system lets it. Child processes inherit the raised limit. Returns the
/// soft limit now in force (`None` where there is no such limit to read).
///
/// Raising the hard limit itself needs privileges; if it is too low for a run, the connections
/// above it fail with "Too many open files" and the harness reports that.
pub fn raise_open_file_limit() -> std::io::Result<Option<u64>> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            limit = raised;
        }
        // `rlim_t` is u64 on Linux but not on every Unix.
        #[allow(clippy::unnecessary_cast)]
        Ok(Some(limit.rlim_cur as u64))
    }
    #[cfg(not(unix))]
    {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let limit = super::raise_open_file_limit().expect("raising the soft limit to the hard one is always allowed");
        #[cfg(unix)]
        assert!(limit.is_some_and(|n| n > 0));
    }
}
