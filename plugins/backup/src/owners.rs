//! User and group names for archive members, so a restore onto another machine gives files to
//! the same *named* owner (e.g. `privacyidea`) even when its numeric id differs there.

use std::ffi::{CStr, CString};

/// Name of a local user id.
pub fn user_name(uid: u64) -> Option<String> {
    let uid = u32::try_from(uid).ok()?;
    // SAFETY: getpwuid returns NULL or a pointer to static storage that we copy at once; the
    // program is single-threaded at this point.
    unsafe {
        let p = libc::getpwuid(uid);
        if p.is_null() || (*p).pw_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*p).pw_name).to_string_lossy().into_owned())
    }
}

/// Name of a local group id.
pub fn group_name(gid: u64) -> Option<String> {
    let gid = u32::try_from(gid).ok()?;
    // SAFETY: as in `user_name`.
    unsafe {
        let p = libc::getgrgid(gid);
        if p.is_null() || (*p).gr_name.is_null() {
            return None;
        }
        Some(CStr::from_ptr((*p).gr_name).to_string_lossy().into_owned())
    }
}

/// Local uid of a user name.
pub fn uid_of(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: as in `user_name`.
    unsafe {
        let p = libc::getpwnam(c.as_ptr());
        (!p.is_null()).then(|| (*p).pw_uid)
    }
}

/// Local gid of a group name.
pub fn gid_of(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: as in `user_name`.
    unsafe {
        let p = libc::getgrnam(c.as_ptr());
        (!p.is_null()).then(|| (*p).gr_gid)
    }
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
