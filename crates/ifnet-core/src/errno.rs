//! Kernel error numbers and extended-ack messages, as rtnetlink returns them.
//!
//! Every operation a caller can make fail returns `KResult<T>`: the errno the
//! kernel would put in NLMSG_ERROR plus, where the kernel sets one, the extack
//! text (`NL_SET_ERR_MSG`). The text is the kernel's own string, so the CLI can
//! print `Error: <text>.` exactly as iproute2 does.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A Linux errno value. Only the numbers matter on the wire; the names follow
/// `include/uapi/asm-generic/errno-base.h` and `errno.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Errno {
    EPERM,
    ENOENT,
    EINTR,
    EIO,
    ENOMEM,
    EBUSY,
    EEXIST,
    ENODEV,
    EINVAL,
    ENFILE,
    ENOSPC,
    ERANGE,
    EMLINK,
    ENOBUFS,
    EOPNOTSUPP,
    EAFNOSUPPORT,
    ENOTSUPP,
    EMSGSIZE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ELOOP,
    ENOTCONN,
    EXFULL,
    EBADF,
    ESRCH,
    ENXIO,
    EACCES,
    EOVERFLOW,
    ENOTEMPTY,
    /// Any other value, kept as received.
    Unknown(i32),
}

impl Errno {
    /// The positive errno number.
    pub fn number(self) -> i32 {
        match self {
            Errno::EPERM => 1,
            Errno::ENOENT => 2,
            Errno::EINTR => 4,
            Errno::EIO => 5,
            Errno::ENOMEM => 12,
            Errno::EBUSY => 16,
            Errno::EEXIST => 17,
            Errno::ENODEV => 19,
            Errno::EINVAL => 22,
            Errno::ENFILE => 23,
            Errno::ENOSPC => 28,
            Errno::ERANGE => 34,
            Errno::EMLINK => 31,
            Errno::ENOBUFS => 105,
            Errno::EOPNOTSUPP => 95,
            Errno::EAFNOSUPPORT => 97,
            Errno::ENOTSUPP => 524,
            Errno::EMSGSIZE => 90,
            Errno::EADDRNOTAVAIL => 99,
            Errno::ENETDOWN => 100,
            Errno::ELOOP => 40,
            Errno::ENOTCONN => 107,
            Errno::EXFULL => 54,
            Errno::EBADF => 9,
            Errno::ESRCH => 3,
            Errno::ENXIO => 6,
            Errno::EACCES => 13,
            Errno::EOVERFLOW => 75,
            Errno::ENOTEMPTY => 39,
            Errno::Unknown(n) => n,
        }
    }

    /// Inverse of [`Errno::number`]; unknown values are kept.
    pub fn from_number(n: i32) -> Errno {
        const ALL: [Errno; 29] = [
            Errno::EPERM,
            Errno::ENOENT,
            Errno::EINTR,
            Errno::EIO,
            Errno::ENOMEM,
            Errno::EBUSY,
            Errno::EEXIST,
            Errno::ENODEV,
            Errno::EINVAL,
            Errno::ENFILE,
            Errno::ENOSPC,
            Errno::ERANGE,
            Errno::EMLINK,
            Errno::ENOBUFS,
            Errno::EOPNOTSUPP,
            Errno::EAFNOSUPPORT,
            Errno::ENOTSUPP,
            Errno::EMSGSIZE,
            Errno::EADDRNOTAVAIL,
            Errno::ENETDOWN,
            Errno::ELOOP,
            Errno::ENOTCONN,
            Errno::EXFULL,
            Errno::EBADF,
            Errno::ESRCH,
            Errno::ENXIO,
            Errno::EACCES,
            Errno::EOVERFLOW,
            Errno::ENOTEMPTY,
        ];
        ALL.into_iter()
            .find(|e| e.number() == n)
            .unwrap_or(Errno::Unknown(n))
    }

    /// glibc's `strerror` text, which iproute2 prints after
    /// `RTNETLINK answers: `.
    pub fn strerror(self) -> String {
        match self {
            Errno::EPERM => "Operation not permitted".into(),
            Errno::ENOENT => "No such file or directory".into(),
            Errno::EINTR => "Interrupted system call".into(),
            Errno::EIO => "Input/output error".into(),
            Errno::ENOMEM => "Cannot allocate memory".into(),
            Errno::EBUSY => "Device or resource busy".into(),
            Errno::EEXIST => "File exists".into(),
            Errno::ENODEV => "No such device".into(),
            Errno::EINVAL => "Invalid argument".into(),
            Errno::ENFILE => "Too many open files in system".into(),
            Errno::ENOSPC => "No space left on device".into(),
            Errno::ERANGE => "Numerical result out of range".into(),
            Errno::EMLINK => "Too many links".into(),
            Errno::ENOBUFS => "No buffer space available".into(),
            Errno::EOPNOTSUPP => "Operation not supported".into(),
            Errno::EAFNOSUPPORT => "Address family not supported by protocol".into(),
            Errno::ENOTSUPP => "Unknown error 524".into(),
            Errno::EMSGSIZE => "Message too long".into(),
            Errno::EADDRNOTAVAIL => "Cannot assign requested address".into(),
            Errno::ENETDOWN => "Network is down".into(),
            Errno::ELOOP => "Too many levels of symbolic links".into(),
            Errno::ENOTCONN => "Transport endpoint is not connected".into(),
            Errno::EXFULL => "Exchange full".into(),
            Errno::EBADF => "Bad file descriptor".into(),
            Errno::ESRCH => "No such process".into(),
            Errno::ENXIO => "No such device or address".into(),
            Errno::EACCES => "Permission denied".into(),
            Errno::EOVERFLOW => "Value too large for defined data type".into(),
            Errno::ENOTEMPTY => "Directory not empty".into(),
            Errno::Unknown(n) => format!("Unknown error {n}"),
        }
    }
}

/// An error as the kernel reports it: errno plus optional extack message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", errno.strerror(), extack.as_ref().map(|m| format!(" ({m})")).unwrap_or_default())]
pub struct KError {
    pub errno: Errno,
    pub extack: Option<Cow<'static, str>>,
}

impl KError {
    pub const fn new(errno: Errno) -> KError {
        KError {
            errno,
            extack: None,
        }
    }
    pub const fn msg(errno: Errno, extack: &'static str) -> KError {
        KError {
            errno,
            extack: Some(Cow::Borrowed(extack)),
        }
    }

    /// An error whose extack text is formatted (`NL_SET_ERR_MSG_FMT`).
    pub fn msg_fmt(errno: Errno, extack: String) -> KError {
        KError {
            errno,
            extack: Some(Cow::Owned(extack)),
        }
    }
}

impl From<Errno> for KError {
    fn from(errno: Errno) -> KError {
        KError::new(errno)
    }
}

pub type KResult<T> = Result<T, KError>;
