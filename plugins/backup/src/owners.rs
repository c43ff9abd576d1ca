//! User and group names for archive members, so a restore onto another machine gives files to
//! the same *named* owner (e.g. `privacyidea`) even when its numeric id differs there.

use std::ffi::{CStr, CString};

const BUF: usize = 16 * 1024;

/// Name of a local user id.
pub fn user_name(uid: u64) -> Option<String> {
    let uid = u32::try_from(uid).ok()?;
    let mut buf = vec![0 as libc::c_char; BUF];
    // SAFETY: an all-zero passwd is a valid value for getpwuid_r to fill.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; getpwuid_r is thread-safe.
    let r = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if r != 0 || out.is_null() || pw.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points into `buf`, NUL-terminated.
    Some(
        unsafe { CStr::from_ptr(pw.pw_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// Name of a local group id.
pub fn group_name(gid: u64) -> Option<String> {
    let gid = u32::try_from(gid).ok()?;
    let mut buf = vec![0 as libc::c_char; BUF];
    // SAFETY: an all-zero group is a valid value for getgrgid_r to fill.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as in `user_name`.
    let r = unsafe { libc::getgrgid_r(gid, &mut gr, buf.as_mut_ptr(), buf.len(), &mut out) };
    if r != 0 || out.is_null() || gr.gr_name.is_null() {
        return None;
    }
    // SAFETY: gr_name points into `buf`, NUL-terminated.
    Some(
        unsafe { CStr::from_ptr(gr.gr_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// Local uid of a user name.
pub fn uid_of(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; BUF];
    // SAFETY: as in `user_name`.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `user_name`.
    let r = unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    (r == 0 && !out.is_null()).then_some(pw.pw_uid)
}

/// Local gid of a group name.
pub fn gid_of(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; BUF];
    // SAFETY: as in `group_name`.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as in `group_name`.
    let r = unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut out) };
    (r == 0 && !out.is_null()).then_some(gr.gr_gid)
}

/// The owner to give a restored file: the local id of the recorded name when that name exists
/// here, else the recorded number.
pub fn resolve(uname: Option<&str>, uid: u64, gname: Option<&str>, gid: u64) -> (u32, u32) {
    let u = uname
        .filter(|n| !n.is_empty())
        .and_then(uid_of)
        .unwrap_or(uid as u32);
    let g = gname
        .filter(|n| !n.is_empty())
        .and_then(gid_of)
        .unwrap_or(gid as u32);
    (u, g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_round_trips() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert_eq!(uid_of("root"), Some(0));
        assert_eq!(
            resolve(Some("root"), 12345, Some("no-such-group-x"), 777),
            (0, 777)
        );
        assert_eq!(resolve(None, 5, None, 6), (5, 6));
    }
}
